package ghost

import (
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// controlAddKey serves POST /_control/ghost/sites/{site}/keys {"id"?,
// "secret"?}: it adds (or replaces) an Admin API key of the site, minting
// what is omitted, and answers 201 with the key.
func (p *Provider) controlAddKey(w http.ResponseWriter, r *http.Request) {
	siteName := strings.ToLower(r.PathValue("site"))
	var body struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.ID == "" {
		body.ID = sim.RandomToken("")[:24]
	}
	if body.Secret == "" {
		body.Secret = sim.RandomToken("") + sim.RandomToken("")[:24]
	}
	switch {
	case !sitePattern.MatchString(siteName):
		sim.ControlError(w, "site must be lowercase letters, digits, dots and dashes")
		return
	case !keyIDPattern.MatchString(body.ID):
		sim.ControlError(w, "id must be 24 lowercase hex characters")
		return
	case !secretPattern.MatchString(body.Secret):
		sim.ControlError(w, "secret must be 64 lowercase hex characters")
		return
	}
	p.sites.Get(siteName).keys.Put(body.ID, mustHex(body.Secret))
	sim.WriteJSON(w, http.StatusCreated, map[string]string{
		"site": siteName, "id": body.ID, "secret": body.Secret, "key": body.ID + ":" + body.Secret,
	})
}

// controlRemoveKey serves DELETE /_control/ghost/sites/{site}/keys/{id};
// tokens signed with the key stop working at once.
func (p *Provider) controlRemoveKey(w http.ResponseWriter, r *http.Request) {
	siteName, id := strings.ToLower(r.PathValue("site")), r.PathValue("id")
	removed := sitePattern.MatchString(siteName) && p.sites.Get(siteName).keys.Remove(id)
	sim.ControlRemoved(w, removed, "key")
}
