package github

import (
	"regexp"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	base := b.s.BaseURL()
	providers := simtest.Catalog(t, b.p, base)
	tests := []struct {
		name, mode, token string
	}{
		{"github", "OAUTH2", base + "/github/login/oauth/access_token"},
		{"github-app", "APP", base + "/github/app/installations/${connectionConfig.installation_id}/access_tokens"},
		{"github-app-oauth", "CUSTOM", ""},
	}
	for _, tt := range tests {
		p := providers[tt.name]
		if p == nil {
			t.Fatalf("no %s entry", tt.name)
		}
		if !p.Supported() || p.AuthMode != tt.mode || p.TokenURL != tt.token {
			t.Errorf("%s: supported %v (%s), mode %s, token_url %q", tt.name, p.Supported(), p.Unsupported, p.AuthMode, p.TokenURL)
		}
		// Aliased entries inherit the proxy from github.
		if p.Proxy == nil || p.Proxy.BaseURL != base+"/github" {
			t.Errorf("%s: proxy %+v", tt.name, p.Proxy)
		}
	}
	if got := providers["github"].AuthorizationURL; got != base+"/github/login/oauth/authorize" {
		t.Errorf("authorization_url %q", got)
	}
	if got := providers["github-app-oauth"].TokenURLByMode["OAUTH2"]; got != base+"/github/login/oauth/access_token" {
		t.Errorf("github-app-oauth OAUTH2 token_url %q", got)
	}
	link := providers["github-app"].ConnectionConfig["appPublicLink"]
	re, err := regexp.Compile(link.Pattern)
	if err != nil || !re.MatchString(base+"/github/apps/patchbay-test") || re.MatchString("https://github.com/apps/x") {
		t.Errorf("appPublicLink pattern %q: %v", link.Pattern, err)
	}
	if !strings.Contains(b.s.CatalogYAML(), "github-app-oauth:") {
		t.Error("server catalog lacks the github entries")
	}
}
