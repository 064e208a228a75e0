package zoom

import (
	"net/http"
	"regexp"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// accountPattern is the shape of an account id, as the built-in catalog
// entry validates it.
var accountPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// maxUsers bounds an account sized through the control API; users are
// generated eagerly.
const maxUsers = 100000

// controlAddApp serves POST /_control/zoom/apps {"client_id"?,
// "client_secret"?, "account_id"?, "scopes"?}: it adds or replaces a
// Server-to-Server OAuth app and answers 201 with it.
func (p *Provider) controlAddApp(w http.ResponseWriter, r *http.Request) {
	var body app
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.ClientID == "" {
		body.ClientID = sim.RandomToken("")[:22]
	}
	if body.ClientSecret == "" {
		body.ClientSecret = sim.RandomToken("")[:32]
	}
	if body.AccountID == "" {
		body.AccountID = DefaultAccountID
	}
	if !accountPattern.MatchString(body.AccountID) {
		sim.ControlError(w, "account_id must be letters, digits, _ and -")
		return
	}
	if body.Scopes == nil {
		body.Scopes = []string{scopeReadUser, scopeListUsers}
	}
	a := &app{ClientID: body.ClientID, ClientSecret: body.ClientSecret, AccountID: body.AccountID, Scopes: body.Scopes}
	p.mu.Lock()
	p.apps[a.ClientID] = a
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusCreated, a)
}

// controlDeleteApp serves DELETE /_control/zoom/apps/{clientId}: the app
// is gone and every token it was issued stops working, as when an app is
// deactivated on the Marketplace.
func (p *Provider) controlDeleteApp(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("clientId")
	p.mu.Lock()
	a := p.apps[id]
	delete(p.apps, id)
	p.mu.Unlock()
	if a != nil {
		for _, tok := range a.tokens {
			p.s.OAuth.Revoke(name, tok)
		}
	}
	sim.ControlRemoved(w, a != nil, "app")
}

// controlAccount serves POST /_control/zoom/accounts {"account_id"?,
// "users"}: it sizes an account and regenerates its users from the seed.
func (p *Provider) controlAccount(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AccountID string `json:"account_id"`
		Users     *int   `json:"users"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.AccountID == "" {
		body.AccountID = DefaultAccountID
	}
	switch {
	case !accountPattern.MatchString(body.AccountID):
		sim.ControlError(w, "account_id must be letters, digits, _ and -")
		return
	case body.Users == nil || *body.Users < 0 || *body.Users > maxUsers:
		sim.ControlError(w, "users must be between 0 and 100000")
		return
	}
	p.mu.Lock()
	p.sizes[body.AccountID] = *body.Users
	p.mu.Unlock()
	p.accounts.Forget(body.AccountID)
	sim.WriteJSON(w, http.StatusOK, map[string]any{"account_id": body.AccountID, "users": *body.Users})
}
