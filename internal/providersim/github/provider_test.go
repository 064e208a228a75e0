package github

import (
	"net/http"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestResetRestoresState(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 9}, Options{})
	before := b.api(t, http.MethodGet, "/github/repos/acme/api/issues?state=all&per_page=100", nil).Body
	b.api(t, http.MethodPost, "/github/repos/acme/api/issues", map[string]any{"title": "temporary"})
	b.control(t, "apps", map[string]any{"app_id": 5, "public_key": publicPEM(t, appKey())}, http.StatusCreated)
	b.control(t, "seed", map[string]any{"repo": "globex/web", "issues": 1}, http.StatusOK)

	if res := b.request(t, http.MethodPost, "/_control/reset", "", nil); res.Status != http.StatusOK {
		t.Fatalf("reset: %d", res.Status)
	}
	// The shared reset also forgets tokens; mint a new one.
	b.token = b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: "octocat"}, 0, false).AccessToken
	after := b.api(t, http.MethodGet, "/github/repos/acme/api/issues?state=all&per_page=100", nil).Body
	if string(before) != string(after) {
		t.Fatal("the dataset differs after a reset with the same seed")
	}
	if res := b.api(t, http.MethodGet, "/github/repos/globex/web", nil); res.Status != http.StatusNotFound {
		t.Fatalf("seeded repo survived the reset: %d", res.Status)
	}
	b.control(t, "installations", map[string]any{"app_id": 5, "account": "acme"}, http.StatusBadRequest)
}

func TestTokenRequestAsJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	c := sim.DefaultClient(name)
	code := b.authorize(t, "repo")
	res := b.request(t, http.MethodPost, "/github/login/oauth/access_token", "",
		map[string]any{"client_id": c.ID, "client_secret": c.Secret, "code": code, "redirect_uri": callback},
		simtest.Header("Accept", "application/json"))
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	res.Decode(t, &tok)
	if res.Status != http.StatusOK || !strings.HasPrefix(tok.AccessToken, "ghu_") || tok.ExpiresIn != 28800 {
		t.Fatalf("JSON token request: %d %s", res.Status, res.Body)
	}
}
