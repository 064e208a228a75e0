package jira

import (
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// controlAddAccount serves POST /_control/jira/sites/{site}/accounts
// {"email", "api_token"?, "display_name"?}: it adds or replaces an account
// of the site and answers 201 with its credentials and account id.
func (p *Provider) controlAddAccount(w http.ResponseWriter, r *http.Request) {
	siteName := r.PathValue("site")
	var body struct {
		Email       string `json:"email"`
		APIToken    string `json:"api_token"`
		DisplayName string `json:"display_name"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	local, domain, ok := strings.Cut(body.Email, "@")
	switch {
	case !sitePattern.MatchString(siteName):
		sim.ControlError(w, "site must be lowercase letters, digits and dashes")
		return
	case !ok || local == "" || domain == "":
		sim.ControlError(w, "email is required and must be an email address")
		return
	}
	if body.APIToken == "" {
		body.APIToken = sim.RandomToken("ATATT3xFfGF0")
	}
	if body.DisplayName == "" {
		body.DisplayName = local
	}
	a := p.sites.Get(siteName).add(body.Email, body.APIToken, body.DisplayName)
	sim.WriteJSON(w, http.StatusCreated, map[string]string{
		"site": siteName, "email": a.email, "api_token": a.token, "account_id": a.id, "display_name": a.displayName,
	})
}

// controlRemoveAccount serves DELETE
// /_control/jira/sites/{site}/accounts/{email}; the account's
// credentials stop working at once.
func (p *Provider) controlRemoveAccount(w http.ResponseWriter, r *http.Request) {
	siteName, email := r.PathValue("site"), strings.ToLower(r.PathValue("email"))
	removed := sitePattern.MatchString(siteName) && p.sites.Get(siteName).accounts.Remove(email)
	sim.ControlRemoved(w, removed, "account")
}
