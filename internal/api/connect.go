package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/connect"
	"github.com/patchbay/patchbay/internal/settings"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// ConnectSessions is the connect-session service as the API uses it.
type ConnectSessions interface {
	Create(ctx context.Context, env *store.Environment, in connect.CreateInput) (*connect.Created, error)
	Authenticate(ctx context.Context, token string) (*store.ConnectSession, error)
	Delete(ctx context.Context, sess *store.ConnectSession) error
}

// CredentialFlows saves connections from credentials typed by end users
// under a connect session (connect.Flows).
type CredentialFlows interface {
	ConnectCredentials(ctx context.Context, req connect.CredentialsRequest) (*store.Connection, error)
}

// Settings are an environment's settings (internal/settings), which check
// what is written.
type Settings interface {
	ConnectUI(ctx context.Context, environmentID string) (store.ConnectUISettings, error)
	SetConnectUI(ctx context.Context, environmentID string, s store.ConnectUISettings) error
	WebhooksWithKey(ctx context.Context, env *store.Environment) (settings.KeyedWebhooks, error)
	SetWebhooks(ctx context.Context, environmentID string, s store.WebhookSettings) error
	Variables(ctx context.Context, environmentID string) ([]store.EnvironmentVariable, error)
	SetVariables(ctx context.Context, environmentID string, vars []store.EnvironmentVariable) error
}

func (s *Server) connectRoutes() {
	if s.sessions == nil {
		return
	}
	private := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.authenticate(h)) }
	private("POST /connect/sessions", s.createConnectSession)
	private("POST /connect/sessions/reconnect", s.reconnectSession)
	private("GET /environment/connect-ui", s.getConnectUI)
	private("PUT /environment/connect-ui", s.putConnectUI)
	private("GET /environment/webhooks", s.getWebhookSettings)
	private("PUT /environment/webhooks", s.putWebhookSettings)

	// Called from end users' browsers on customers' pages: CORS-open, and
	// authenticated by the connect session token alone.
	browser := func(pattern string, h http.HandlerFunc) {
		s.mux.Handle(pattern, cors(h))
		method, path, _ := strings.Cut(pattern, " ")
		if method != http.MethodGet {
			s.mux.Handle("OPTIONS "+path, cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
		}
	}
	browser("GET /connect/session", s.getConnectSession)
	browser("DELETE /connect/session", s.deleteConnectSession)
	// Each mode with a credentials form takes it at its own path.
	authmode.Each(func(m *authmode.Mode) {
		if m.Form != nil {
			browser("POST "+m.Form.Path+"{key}", s.credentialFlow(m))
		}
	})

	if s.flows != nil {
		for _, pattern := range s.flows.Routes() {
			s.mux.Handle(pattern, s.flows)
		}
	}
}

func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		next.ServeHTTP(w, r)
	})
}

func organizationFields(dest **store.Organization) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		if isNull(raw) {
			return nil
		}
		o := &store.Organization{}
		errs := decodeObject(raw, path, map[string]field{
			"id":           {dest: &o.ID, required: true},
			"display_name": {dest: &o.DisplayName},
		})
		// auth's rule of an organization, with this body's paths: here it
		// sits beside end_user.
		if len(errs) == 0 {
			if p := auth.CheckOrganization(o, path...); p != nil {
				errs = append(errs, fieldError{Code: p.Code, Message: p.Message, Path: p.Path})
			}
		}
		*dest = o
		return errs
	}
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// stringList decodes an array of non-empty strings.
func stringList(dest *[]string) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil || isNull(raw) {
			return []fieldError{{Code: "invalid_type", Message: "expected an array of strings, received " + jsonKind(raw), Path: path}}
		}
		for i, v := range list {
			if v == "" {
				return []fieldError{{Code: "too_small", Message: "must not be empty", Path: append(path, i)}}
			}
		}
		*dest = list
		return nil
	}
}

// rawObjects decodes an object whose values are objects, kept raw.
func rawObjects(dest *map[string]json.RawMessage, each func(raw json.RawMessage, path []any) []fieldError) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || isNull(raw) {
			return []fieldError{{Code: "invalid_type", Message: "expected an object, received " + jsonKind(raw), Path: path}}
		}
		var errs []fieldError
		for k, v := range m {
			errs = append(errs, each(v, append(path, k))...)
		}
		*dest = m
		return errs
	}
}

// configDefaults checks one entry of integrations_config_defaults; the
// raw entry is stored as given, so it must keep the stored document's
// rules, and its connection_config those of the connection config it
// becomes.
func configDefaults(raw json.RawMessage, path []any) []fieldError {
	if fe := checkDocument(raw, path, store.DocConfigDefaults); fe != nil {
		return []fieldError{*fe}
	}
	var scopes string
	object := func(values string) nested {
		return func(r json.RawMessage, p []any) []fieldError {
			var m map[string]any
			if err := json.Unmarshal(r, &m); err != nil || m == nil {
				return []fieldError{{Code: "invalid_type", Message: "expected an object, received " + jsonKind(r), Path: p}}
			}
			if values == "any" {
				if fe := checkDocument(r, p, store.DocConnectionConfig); fe != nil {
					return []fieldError{*fe}
				}
			}
			if values == "string" {
				for k, v := range m {
					if _, ok := v.(string); !ok {
						return []fieldError{{Code: "invalid_type", Message: "expected a string", Path: append(p, k)}}
					}
				}
			}
			return nil
		}
	}
	return decodeObject(raw, path, map[string]field{
		"connection_config":    {dest: object("any")},
		"user_scopes":          {dest: &scopes},
		"authorization_params": {dest: object("string")},
	})
}

func (s *Server) createConnectSession(w http.ResponseWriter, r *http.Request) {
	var in connect.CreateInput
	if !s.decodeRequest(w, r, map[string]field{
		"end_user":                     {dest: endUserField(&in.EndUser)},
		"organization":                 {dest: organizationFields(&in.Organization)},
		"allowed_integrations":         {dest: stringList(&in.AllowedIntegrations)},
		"integrations_config_defaults": {dest: rawObjects(&in.IntegrationsConfigDefaults, configDefaults)},
		"tags":                         {dest: tagsField(&in.Tags)},
		// Nango's Connect UI overrides per integration and webhook URL
		// per connection: neither has a setting here yet.
		"overrides":            ignore("object"),
		"webhook_url_override": ignore("string"),
	}) {
		return
	}
	s.finishSession(w, r, in)
}

func (s *Server) reconnectSession(w http.ResponseWriter, r *http.Request) {
	var in connect.CreateInput
	if !s.decodeRequest(w, r, map[string]field{
		"connection_id":                {dest: &in.ReconnectConnectionID, required: true},
		"integration_id":               {dest: &in.ReconnectIntegration, required: true},
		"end_user":                     {dest: endUserField(&in.EndUser)},
		"organization":                 {dest: organizationFields(&in.Organization)},
		"integrations_config_defaults": {dest: rawObjects(&in.IntegrationsConfigDefaults, configDefaults)},
		"tags":                         {dest: tagsField(&in.Tags)},
		// As on POST /connect/sessions.
		"overrides":            ignore("object"),
		"webhook_url_override": ignore("string"),
	}) {
		return
	}
	in.Reconnect = true
	s.finishSession(w, r, in)
}

func (s *Server) finishSession(w http.ResponseWriter, r *http.Request, in connect.CreateInput) {
	created, err := s.sessions.Create(r.Context(), environment(r.Context()), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": wire.ConnectSession{
		Token: created.Token, ConnectLink: created.ConnectLink, ExpiresAt: created.ExpiresAt}})
}

// sessionToken reads a connect session token from the query (what the
// frontend SDK sends) or a Bearer header (what GET /connect/session uses).
func sessionToken(r *http.Request) string {
	if t := r.URL.Query().Get("connect_session_token"); t != "" {
		return t
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

func (s *Server) authenticateSession(w http.ResponseWriter, r *http.Request) (*store.ConnectSession, bool) {
	token := sessionToken(r)
	if token == "" {
		if r.URL.Query().Get("public_key") != "" {
			s.writeError(w, r, newError(http.StatusUnauthorized, "public_key_not_supported", "public keys are not supported; create a connect session (POST /connect/sessions) and pass connect_session_token"))
			return nil, false
		}
		s.writeError(w, r, newError(http.StatusUnauthorized, "missing_connect_session_token", "a connect session token is required (connect_session_token or Authorization: Bearer)"))
		return nil, false
	}
	sess, err := s.sessions.Authenticate(r.Context(), token)
	switch {
	case errors.Is(err, connect.ErrExpiredSession):
		s.writeError(w, r, newError(http.StatusUnauthorized, "expired_connect_session_token", "the connect session expired; create a new one"))
		return nil, false
	case errors.Is(err, connect.ErrInvalidSession):
		s.writeError(w, r, newError(http.StatusUnauthorized, "invalid_connect_session_token", "the connect session token is unknown"))
		return nil, false
	case err != nil:
		s.writeError(w, r, err)
		return nil, false
	}
	return sess, true
}

func (s *Server) getConnectSession(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.authenticateSession(w, r)
	if !ok {
		return
	}
	out := wire.ConnectSessionInfo{Tags: sess.Tags, AllowedIntegrations: sess.AllowedIntegrations, IntegrationsConfigDefaults: sess.IntegrationsConfigDefaults,
		ConnectionID: sess.ReconnectConnectionID, ExpiresAt: sess.ExpiresAt.UTC()}
	if out.AllowedIntegrations == nil {
		out.AllowedIntegrations = []string{}
	}
	if u := sess.EndUser; u != nil {
		out.EndUser = &wire.SessionEndUser{ID: u.ID, Email: nonEmpty(u.Email), DisplayName: nonEmpty(u.DisplayName), Tags: u.Tags}
		if o := u.Organization; o != nil {
			out.Organization = &wire.OrganizationInput{ID: o.ID, DisplayName: o.DisplayName}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) deleteConnectSession(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.authenticateSession(w, r)
	if !ok {
		return
	}
	if err := s.sessions.Delete(r.Context(), sess); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// authResultJSON is what @nangohq/frontend's auth() resolves with.
type authResultJSON struct {
	ProviderConfigKey string `json:"providerConfigKey"`
	ConnectionID      string `json:"connectionId"`
}

// credentialFlow serves the endpoint where the end user types a mode's
// credentials (API key, basic, JWT, client credentials).
func (s *Server) credentialFlow(m *authmode.Mode) http.HandlerFunc {
	mode := m.Name
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.authenticateSession(w, r)
		if !ok {
			return
		}
		key := r.PathValue("key")
		decode := func(c *store.Credentials) error {
			body, aerr := readBody(w, r)
			if aerr != nil {
				return aerr
			}
			fields := map[string]field{}
			for _, f := range m.Form.Fields {
				fields[f.Name] = field{dest: authmode.Member(c, f.Name), required: f.Required}
			}
			if m.Form.CatalogFields {
				if err := decodeProviderFields(body, &c.Fields); err != nil {
					return err
				}
			}
			if len(fields) > 0 {
				if err := decodeBody(w, body, fields); err != nil {
					return err
				}
			}
			return nil
		}
		conn, err := s.credentials.ConnectCredentials(r.Context(), connect.CredentialsRequest{
			Session: sess, IntegrationKey: key, Mode: mode, Query: r.URL.Query(), Decode: decode})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, authResultJSON{ProviderConfigKey: key, ConnectionID: conn.ConnectionID})
	}
}

// decodeProviderFields accepts a credentials body of the provider's own
// fields (JWT's), flat string members the catalog says which are required
// of; privateKey may also be Nango's {id, secret} object.
func decodeProviderFields(body []byte, dest *map[string]string) *apiError {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return invalidBody(fieldError{Code: "invalid_type", Message: "expected a JSON object", Path: []any{}})
	}
	out := make(map[string]string, len(members))
	for k, raw := range members {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			out[k] = s
			continue
		}
		var pair struct{ ID, Secret string }
		if k == "privateKey" && json.Unmarshal(raw, &pair) == nil && pair.ID != "" {
			out["privateKeyId"], out["privateKey"] = pair.ID, pair.Secret
			continue
		}
		return invalidBody(fieldError{Code: "invalid_type", Message: fmt.Sprintf("expected a string, received %s", jsonKind(raw)), Path: []any{k}})
	}
	*dest = out
	return nil
}

func (s *Server) getConnectUI(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	cur, err := s.settings.ConnectUI(r.Context(), environment(r.Context()).ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": wire.ConnectUISettings(cur)})
}

func (s *Server) putConnectUI(w http.ResponseWriter, r *http.Request) {
	var in store.ConnectUISettings
	var darkRaw bool
	if !s.decodeRequest(w, r, map[string]field{
		"name":          {dest: &in.Name},
		"logo_url":      {dest: &in.LogoURL},
		"primary_color": {dest: &in.PrimaryColor},
		"dark_mode": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
			if err := json.Unmarshal(raw, &darkRaw); err != nil || isNull(raw) {
				return []fieldError{{Code: "invalid_type", Message: "expected a boolean, received " + jsonKind(raw), Path: path}}
			}
			return nil
		})},
	}) {
		return
	}
	in.DarkMode = darkRaw
	if err := s.settings.SetConnectUI(r.Context(), environment(r.Context()).ID, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": wire.ConnectUISettings(in)})
}

// webhookJSON is ws as GET and PUT answer it: the signing key is added by
// GET only.
func webhookJSON(ws store.WebhookSettings) wire.WebhookSettings {
	return wire.WebhookSettings{WebhookURL: ws.URL, SecondaryWebhookURL: ws.SecondaryURL, SendAuthWebhooks: ws.SendAuthWebhooks == nil || *ws.SendAuthWebhooks}
}

func (s *Server) getWebhookSettings(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	cur, err := s.settings.WebhooksWithKey(r.Context(), environment(r.Context()))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := webhookJSON(cur.WebhookSettings)
	out.SigningKey = cur.SigningKey
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) putWebhookSettings(w http.ResponseWriter, r *http.Request) {
	var in store.WebhookSettings
	var send *bool
	if !s.decodeRequest(w, r, map[string]field{
		"webhook_url":           {dest: &in.URL},
		"secondary_webhook_url": {dest: &in.SecondaryURL},
		"send_auth_webhooks": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
			send = new(bool)
			return boolField(send)(raw, path)
		})},
	}) {
		return
	}
	in.SendAuthWebhooks = send
	if err := s.settings.SetWebhooks(r.Context(), environment(r.Context()).ID, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": webhookJSON(in)})
}
