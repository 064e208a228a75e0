package providersim_test

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/ghost"
	"github.com/patchbay/patchbay/internal/providersim/jira"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
	"github.com/patchbay/patchbay/internal/providersim/zoom"
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
	for _, name := range []string{"github", "github-app", "github-app-oauth", "hubspot", "google", "google-sheet", "google-calendar", "google-mail", "slack",
		"stripe-api-key", "jira-basic", "zoom-cc", "ghost-admin"} {
		p, ok := c.Lookup(name)
		if !ok || !p.Supported() {
			t.Fatalf("%s: missing or unsupported after overlay: %+v", name, p)
		}
		if p.Proxy == nil || len(p.Proxy.BaseURL) < len(s.URL()) || p.Proxy.BaseURL[:len(s.URL())] != s.URL() {
			t.Errorf("%s: proxy base URL %v does not point at the simulator %s", name, p.Proxy, s.URL())
		}
	}
}

// TestProvidersFileParsesStrictly: the generated file passes catalog.Parse,
// which lints a providers file on its own, and every entry is usable.
func TestProvidersFileParsesStrictly(t *testing.T) {
	t.Parallel()
	s := providersim.Start(t, providersim.Options{})
	providers, err := catalog.Parse([]byte(s.CatalogYAML()), "sim-providers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(providers) < 13 {
		t.Fatalf("%d entries", len(providers))
	}
	for name, p := range providers {
		if !p.Supported() {
			t.Errorf("%s: %s", name, p.Unsupported)
		}
	}
}

// TestCredentialProviders checks the wiring of the providers whose auth is
// not an OAuth dance: each answers under its prefix with its default
// credentials.
func TestCredentialProviders(t *testing.T) {
	t.Parallel()
	s := providersim.Start(t, providersim.Options{})
	zoomToken := func(t *testing.T) string {
		form := url.Values{"grant_type": {"account_credentials"}, "account_id": {zoom.DefaultAccountID}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/zoom/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(zoom.DefaultClientID, zoom.DefaultClientSecret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
			t.Fatalf("zoom token: %d %v", res.StatusCode, err)
		}
		return tok.AccessToken
	}
	ghostToken := func(t *testing.T) string {
		secret, _ := hex.DecodeString(ghost.DefaultKeySecret)
		now := s.Clock.Now().Unix()
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": "/admin/", "iat": now, "exp": now + 300})
		tok.Header["kid"] = ghost.DefaultKeyID
		signed, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	tests := []struct {
		provider, path string
		auth           func(*testing.T, *http.Request)
	}{
		{"stripe", "/stripe/v1/balance", func(_ *testing.T, r *http.Request) { r.Header.Set("Authorization", "Bearer "+stripe.DefaultKey) }},
		{"jira", "/jira/" + jira.DefaultSite + "/rest/api/3/myself", func(_ *testing.T, r *http.Request) { r.SetBasicAuth(jira.DefaultEmail, jira.DefaultAPIToken) }},
		{"zoom", "/zoom/v2/users/me", func(t *testing.T, r *http.Request) { r.Header.Set("Authorization", "Bearer "+zoomToken(t)) }},
		{"ghost", "/ghost/" + ghost.DefaultSite + "/ghost/api/admin/site/", func(t *testing.T, r *http.Request) { r.Header.Set("Authorization", "Ghost "+ghostToken(t)) }},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+tt.path, nil)
			tt.auth(t, req)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", tt.path, res.StatusCode)
			}
			if n := len(s.Requests(sim.RequestFilter{Provider: tt.provider, Path: tt.path})); n != 1 {
				t.Errorf("request log has %d entries for %s", n, tt.path)
			}
		})
	}
}
