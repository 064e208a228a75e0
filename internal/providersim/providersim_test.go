package providersim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// TestAllProviders checks the wiring: every provider answers under its
// prefix with a token minted through the shared OAuth server.
func TestAllProviders(t *testing.T) {
	t.Parallel()
	s := providersim.Start(t, providersim.Options{})
	tests := []struct {
		provider, subject, path string
	}{
		{"github", "octocat", "/github/user"},
		{"hubspot", "", "/hubspot/crm/v3/objects/contacts?limit=2"},
		{"google", "alice@example.com", "/google/oauth2/v2/userinfo"},
		{"slack", "", "/slack/api/api.test"},
	}
	for _, tt := range tests {
		// Sequential, so the request-log check below sees them all.
		t.Run(tt.provider, func(t *testing.T) {
			subject := tt.subject
			if subject == "" {
				subject = "sim-subject"
			}
			g := s.OAuth.Issue(sim.Grant{Provider: tt.provider, ClientID: sim.DefaultClient(tt.provider).ID, Subject: subject}, 0, false)
			req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+g.AccessToken)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body any
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatalf("%s: not JSON: %v", tt.path, err)
			}
			if res.StatusCode >= 500 {
				t.Fatalf("%s: %d %v", tt.path, res.StatusCode, body)
			}
		})
	}
	if n := len(s.Requests(sim.RequestFilter{})); n < len(tests) {
		t.Fatalf("request log has %d entries", n)
	}
}

// TestProvidersFileLoadsIntoPatchbay: the generated providers file overlays
// Patchbay's built-in catalog, and every simulated entry is usable there.
func TestProvidersFileLoadsIntoPatchbay(t *testing.T) {
	t.Parallel()
	s := providersim.Start(t, providersim.Options{})
	path := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(path, []byte(s.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"github", "github-app", "github-app-oauth", "hubspot", "google", "google-sheet", "google-calendar", "google-mail", "slack"} {
		p, ok := c.Lookup(name)
		if !ok || !p.Supported() {
			t.Fatalf("%s: missing or unsupported after overlay: %+v", name, p)
		}
		if p.Proxy == nil || len(p.Proxy.BaseURL) < len(s.URL()) || p.Proxy.BaseURL[:len(s.URL())] != s.URL() {
			t.Errorf("%s: proxy base URL %v does not point at the simulator %s", name, p.Proxy, s.URL())
		}
	}
}
