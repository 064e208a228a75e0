package stripe

import (
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// controlAddKey serves POST /_control/stripe/keys {"key"?, "account"?}:
// it makes a key valid (for the default account unless one is named) and
// answers 201 {"key","account"}. Without a key it mints an sk_test_ one.
func (p *Provider) controlAddKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Key     string `json:"key"`
		Account string `json:"account"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Key == "" {
		body.Key = "sk_test_" + sim.RandomToken("")
	}
	if !keyPattern.MatchString(body.Key) {
		sim.ControlError(w, "key must look like sk_test_…, sk_live_…, rk_test_… or rk_live_… (letters and digits after the prefix)")
		return
	}
	if body.Account == "" {
		body.Account = DefaultAccount
	}
	if !strings.HasPrefix(body.Account, "acct_") {
		sim.ControlError(w, "account must be an acct_… id")
		return
	}
	p.keys.Put(body.Key, body.Account)
	sim.WriteJSON(w, http.StatusCreated, body)
}

// controlRevokeKey serves DELETE /_control/stripe/keys/{key}: the key
// stops working at once, as when it is rolled or deleted in the
// dashboard.
func (p *Provider) controlRevokeKey(w http.ResponseWriter, r *http.Request) {
	sim.ControlRemoved(w, p.keys.Remove(r.PathValue("key")), "key")
}
