package trello

import (
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// controlConsumer serves POST /_control/trello/consumers {"key","secret"}:
// it registers (or replaces) an API key and its OAuth secret.
func (p *Provider) controlConsumer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Key    string `json:"key"`
		Secret string `json:"secret"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Key == "" || body.Secret == "" {
		sim.ControlError(w, "key and secret are required")
		return
	}
	if body.Key == sim.DefaultClient(name).ID {
		sim.ControlError(w, "the default consumer cannot be replaced")
		return
	}
	p.consumers.Put(body.Key, body.Secret)
	sim.WriteJSON(w, http.StatusCreated, body)
}

// controlIssue serves POST /_control/trello/tokens {"key","member",
// "scope","expiration"}: it mints a token without the OAuth dance (key
// defaults to the default consumer, member to Options.Member, scope to
// "read", expiration to "never") and answers it with its OAuth secret.
func (p *Provider) controlIssue(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Key        string `json:"key"`
		Member     string `json:"member"`
		Scope      string `json:"scope"`
		Expiration string `json:"expiration"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Key == "" {
		body.Key = sim.DefaultClient(name).ID
	}
	if body.Member == "" {
		body.Member = p.opts.Member
	}
	if body.Expiration == "" {
		body.Expiration = "never"
	}
	scopes, ok := parseScope(body.Scope)
	switch _, exp := expirations[body.Expiration]; {
	case !ok:
		sim.ControlError(w, "scope must be a comma-separated list of read, write and account")
		return
	case !exp:
		sim.ControlError(w, "expiration must be 1hour, 1day, 30days or never")
		return
	case !validUsername(body.Member):
		sim.ControlError(w, "member must be a Trello username: lower-case letters, digits and underscores")
		return
	}
	if _, known := p.consumerSecret(body.Key); !known {
		sim.ControlError(w, "unknown consumer key")
		return
	}
	at := p.issue(body.Key, body.Member, scopes, body.Expiration)
	sim.WriteJSON(w, http.StatusCreated, map[string]any{
		"token":        at.token,
		"token_secret": at.secret,
		"key":          at.consumer,
		"member":       at.member,
		"scope":        strings.Join(at.scopes, ","),
		"expiration":   at.expiration,
	})
}

// controlRevoke serves DELETE /_control/trello/tokens/{token}, as when the
// member revokes the app in their Trello settings: 200 {"revoked":1}, or
// 404 for a token never issued.
func (p *Provider) controlRevoke(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	t, ok := p.tokens[r.PathValue("token")]
	if ok {
		t.revoked = true
	}
	p.mu.Unlock()
	if !ok {
		sim.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "unknown token"})
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]int{"revoked": 1})
}
