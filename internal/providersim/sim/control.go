package sim

import (
	"net/http"
	"time"
)

// mountControl registers the control API shared by all providers.
// Providers add their own under /_control/{name}/.
func (s *Server) mountControl() {
	m := s.mux
	m.HandleFunc("POST /_control/reset", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Seed *int64 `json:"seed"`
		}
		if !DecodeControl(w, r, &body) {
			return
		}
		seed := s.Seed()
		if body.Seed != nil {
			seed = *body.Seed
		}
		s.Reset(seed)
		WriteJSON(w, http.StatusOK, map[string]any{"seed": seed})
	})
	m.HandleFunc("GET /_control/clock", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"now": s.Clock.Now()})
	})
	m.HandleFunc("POST /_control/clock/advance", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Seconds float64 `json:"seconds"`
		}
		if !DecodeControl(w, r, &body) {
			return
		}
		if body.Seconds < 0 {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "seconds must not be negative"})
			return
		}
		s.Clock.Advance(time.Duration(body.Seconds * float64(time.Second)))
		WriteJSON(w, http.StatusOK, map[string]any{"now": s.Clock.Now()})
	})
	m.HandleFunc("GET /_control/faults", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"faults": s.faults.List()})
	})
	m.HandleFunc("POST /_control/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !DecodeControl(w, r, &f) {
			return
		}
		switch f.Kind {
		case FaultLatency, FaultError, FaultDrop, FaultRateLimit:
		default:
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "kind must be latency, error, drop or rate_limit"})
			return
		}
		s.faults.Add(f)
		WriteJSON(w, http.StatusCreated, map[string]any{"faults": s.faults.List()})
	})
	m.HandleFunc("DELETE /_control/faults", func(w http.ResponseWriter, r *http.Request) {
		s.faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("POST /_control/revoke", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Provider string `json:"provider"`
			Token    string `json:"token"`
			Subject  string `json:"subject"`
		}
		if !DecodeControl(w, r, &body) {
			return
		}
		switch {
		case body.Provider == "" || (body.Token == "") == (body.Subject == ""):
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "give provider and exactly one of token, subject"})
		case body.Token != "":
			n := 0
			if s.OAuth.Revoke(body.Provider, body.Token) {
				n = 1
			}
			WriteJSON(w, http.StatusOK, map[string]int{"revoked": n})
		default:
			WriteJSON(w, http.StatusOK, map[string]int{"revoked": s.OAuth.RevokeSubject(body.Provider, body.Subject)})
		}
	})
	m.HandleFunc("POST /_control/tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Provider   string   `json:"provider"`
			Subject    string   `json:"subject"`
			ClientID   string   `json:"client_id"`
			Scopes     []string `json:"scopes"`
			TTLSeconds int      `json:"ttl_seconds"`
			Refresh    bool     `json:"refresh"`
		}
		if !DecodeControl(w, r, &body) {
			return
		}
		if body.Provider == "" || body.Subject == "" {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "provider and subject are required"})
			return
		}
		if body.ClientID == "" {
			body.ClientID = DefaultClient(body.Provider).ID
		}
		g := s.OAuth.Issue(Grant{Provider: body.Provider, ClientID: body.ClientID, Subject: body.Subject, Scopes: body.Scopes},
			time.Duration(body.TTLSeconds)*time.Second, body.Refresh)
		WriteJSON(w, http.StatusCreated, StandardTokenJSON(g, s.Clock.Now()))
	})
	m.HandleFunc("POST /_control/clients", func(w http.ResponseWriter, r *http.Request) {
		var c Client
		if !DecodeControl(w, r, &c) {
			return
		}
		if c.Provider == "" || c.ID == "" || c.Secret == "" {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "provider, client_id and client_secret are required"})
			return
		}
		s.OAuth.RegisterClient(c)
		WriteJSON(w, http.StatusCreated, c)
	})
	m.HandleFunc("POST /_control/ratelimits", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Enabled bool `json:"enabled"`
		}
		if !DecodeControl(w, r, &body) {
			return
		}
		s.limitsOff.Store(!body.Enabled)
		WriteJSON(w, http.StatusOK, map[string]bool{"enabled": body.Enabled})
	})
	m.HandleFunc("GET /_control/requests", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		WriteJSON(w, http.StatusOK, map[string]any{"requests": s.Requests(RequestFilter{
			Provider: q.Get("provider"), Method: q.Get("method"), Path: q.Get("path"), Note: q.Get("note"),
		})})
	})
	m.HandleFunc("DELETE /_control/requests", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /_control/webhooks", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"url": s.hooks.URL(), "deliveries": s.hooks.Deliveries()})
	})
	m.HandleFunc("POST /_control/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			URL string `json:"url"`
		}
		if !DecodeControl(w, r, &body) {
			return
		}
		s.hooks.SetURL(body.URL)
		WriteJSON(w, http.StatusOK, body)
	})
	m.HandleFunc("GET /_control/providers.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write([]byte(s.CatalogYAML()))
	})
}

// DecodeControl reads a control request's JSON body (an empty body is an
// empty object) and answers 400 itself when it is malformed. Providers'
// control endpoints use it too, so every control error has one shape.
func DecodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	if err := ReadJSON(r, v); err != nil {
		ControlError(w, "malformed JSON body: "+err.Error())
		return false
	}
	return true
}

// ControlError answers a bad control request: 400 {"error": msg}.
func ControlError(w http.ResponseWriter, msg string) {
	WriteJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}
