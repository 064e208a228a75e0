package catalog

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// setup returns a freshly parsed built-in catalog, so tests share nothing.
func setup(t *testing.T) *Catalog {
	t.Helper()
	c, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	return c
}

func TestBuiltinSeedProviders(t *testing.T) {
	t.Parallel()
	c := setup(t)
	if c.Len() < 60 {
		t.Fatalf("built-in catalog has %d providers, want at least 60", c.Len())
	}
	tests := []struct{ name, mode string }{
		{"github", "OAUTH2"}, {"github-app", "APP"}, {"github-app-oauth", "CUSTOM"},
		{"google", "OAUTH2"}, {"google-sheet", "OAUTH2"}, {"google-calendar", "OAUTH2"},
		{"google-mail", "OAUTH2"}, {"google-drive", "OAUTH2"}, {"microsoft", "OAUTH2"},
		{"outlook", "OAUTH2"}, {"microsoft-teams", "OAUTH2"}, {"hubspot", "OAUTH2"},
		{"salesforce", "OAUTH2"}, {"slack", "OAUTH2"}, {"linear", "OAUTH2"},
		{"notion", "OAUTH2"}, {"jira", "OAUTH2"}, {"zendesk", "OAUTH2"},
		{"intercom", "OAUTH2"}, {"stripe", "OAUTH2"}, {"asana", "OAUTH2"},
		{"airtable", "OAUTH2"}, {"dropbox", "OAUTH2"}, {"box", "OAUTH2"},
		{"zoom", "OAUTH2"}, {"shopify", "OAUTH2"}, {"quickbooks", "OAUTH2"},
		{"xero", "OAUTH2"}, {"gitlab", "OAUTH2"}, {"bitbucket", "OAUTH2"},
		{"discord", "OAUTH2"}, {"figma", "OAUTH2"}, {"trello", "OAUTH1"},
		{"twitter", "OAUTH1"}, {"clickup", "OAUTH2"}, {"monday", "OAUTH2"},
		{"pipedrive", "OAUTH2"}, {"zoho-crm", "OAUTH2"}, {"freshdesk", "BASIC"},
		{"mailchimp", "OAUTH2"}, {"twilio", "BASIC"}, {"sendgrid", "API_KEY"},
		{"gong", "BASIC"}, {"calendly", "OAUTH2"}, {"docusign", "OAUTH2"},
		{"typeform", "OAUTH2"}, {"webflow", "OAUTH2"}, {"confluence", "OAUTH2"},
		{"attio", "OAUTH2"}, {"close", "OAUTH2"}, {"front", "OAUTH2"},
		{"gorgias", "OAUTH2"}, {"zoom-cc", "OAUTH2_CC"}, {"ghost-admin", "JWT"},
		{"unauthenticated", "NONE"}, {"netsuite-tba", "TBA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := c.Lookup(tt.name)
			if !ok {
				t.Fatalf("provider %q missing", tt.name)
			}
			if p.AuthMode != tt.mode {
				t.Errorf("auth mode = %q, want %q", p.AuthMode, tt.mode)
			}
		})
	}
}

func TestBuiltinEntriesAreComplete(t *testing.T) {
	t.Parallel()
	c := setup(t)
	placeholder := regexp.MustCompile(`\$\{(connectionConfig|credentials)\.([A-Za-z0-9_.-]+)\}`)
	for _, p := range c.All() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			if p.DisplayName == "" || p.Docs == "" || len(p.Categories) == 0 {
				t.Errorf("display_name, docs and categories are required")
			}
			if !strings.HasPrefix(p.Docs, "https://") {
				t.Errorf("docs %q is not an https URL", p.Docs)
			}
			if !p.Supported() && AuthModeSupported(p.AuthMode) {
				t.Errorf("supported mode but unusable: %s", p.Unsupported)
			}
			if p.AuthMode == "OAUTH2" {
				for field, u := range map[string]string{"authorization_url": p.AuthorizationURL, "token_url": p.TokenURL} {
					for _, alt := range strings.Split(u, "||") {
						if !strings.HasPrefix(strings.TrimSpace(alt), "https://") {
							t.Errorf("%s alternative %q is not https", field, alt)
						}
					}
				}
			}
			if p.AuthMode != "NONE" && (p.Proxy == nil || p.Proxy.BaseURL == "") {
				t.Errorf("proxy.base_url is missing")
			}
			switch p.AuthMode {
			case "API_KEY":
				if _, ok := p.Credentials["apiKey"]; !ok {
					t.Errorf("API_KEY entry has no credentials.apiKey definition")
				}
				if !usesAPIKey(p) {
					t.Errorf("API_KEY entry never sends ${apiKey}")
				}
			case "BASIC":
				for _, f := range []string{"username", "password"} {
					if _, ok := p.Credentials[f]; !ok {
						t.Errorf("BASIC entry has no credentials.%s definition", f)
					}
				}
			}
			if (p.AuthMode == "API_KEY" || p.AuthMode == "BASIC") && (p.Proxy.Verification == nil || len(p.Proxy.Verification.Endpoints) == 0) {
				t.Errorf("%s entry has no proxy.verification endpoint", p.AuthMode)
			}
			for _, tmpl := range templates(p) {
				if _, err := Placeholders(tmpl); err != nil {
					t.Errorf("template %q: %v", tmpl, err)
				}
				for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
					defs := p.ConnectionConfig
					if m[1] == "credentials" {
						defs = p.Credentials
					}
					if _, ok := defs[m[2]]; !ok {
						t.Errorf("template %q uses %s.%s, which the entry does not define", tmpl, m[1], m[2])
					}
				}
			}
			for group, fields := range map[string]map[string]ConfigField{"connection_config": p.ConnectionConfig, "credentials": p.Credentials} {
				for name, f := range fields {
					checkField(t, group+"."+name, f)
				}
			}
		})
	}
}

func checkField(t *testing.T, path string, f ConfigField) {
	t.Helper()
	if f.Type != "string" {
		t.Errorf("%s: type = %q, want string", path, f.Type)
	}
	if f.Description == "" {
		t.Errorf("%s: description is empty", path)
	}
	if f.Pattern == "" {
		return
	}
	re, err := regexp.Compile(f.Pattern)
	if err != nil {
		t.Errorf("%s: pattern does not compile: %v", path, err)
		return
	}
	if f.Example != "" && !re.MatchString(f.Example) {
		t.Errorf("%s: example %q does not match pattern %q", path, f.Example, f.Pattern)
	}
}

func usesAPIKey(p *Provider) bool {
	for _, tmpl := range templates(p) {
		if strings.Contains(tmpl, "${apiKey}") {
			return true
		}
	}
	return false
}

// templates lists every string of an entry that may hold placeholders.
func templates(p *Provider) []string {
	out := []string{p.AuthorizationURL, p.TokenURL, p.RefreshURL, p.RequestURL}
	for _, u := range p.TokenURLByMode {
		out = append(out, u)
	}
	for _, m := range []map[string]string{p.AuthorizationParams, p.TokenParams, p.RefreshParams} {
		for _, v := range m {
			out = append(out, v)
		}
	}
	if p.Token != nil {
		out = append(out, p.Token.SigningKey)
		for _, v := range p.Token.Header {
			out = append(out, v)
		}
	}
	if px := p.Proxy; px != nil {
		out = append(out, px.BaseURL)
		for _, m := range []map[string]string{px.Headers, px.Query, px.ConnectionConfig} {
			for _, v := range m {
				out = append(out, v)
			}
		}
		if px.Verification != nil {
			out = append(out, px.Verification.Endpoints...)
		}
	}
	kept := out[:0]
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}

// TestBuiltinBaseURLsInterpolate fills every base URL with the example
// values the entry documents, proving the templates and the connection
// config definitions agree.
func TestBuiltinBaseURLsInterpolate(t *testing.T) {
	t.Parallel()
	c := setup(t)
	for _, p := range c.All() {
		if p.Proxy == nil || p.Proxy.BaseURL == "" {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			v := Values{}
			for name, f := range p.ConnectionConfig {
				val := f.Example
				switch {
				case val == "" && len(f.Enum) > 0:
					val = f.Enum[0]
				case val == "" && f.Format == "uri":
					val = "https://example.com"
				case val == "":
					val = "example"
				}
				v["connectionConfig."+name] = val
			}
			got, err := Interpolate(p.Proxy.BaseURL, v)
			if err != nil {
				t.Fatalf("Interpolate(%q): %v", p.Proxy.BaseURL, err)
			}
			u, err := url.Parse(got)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("base URL %q is not an absolute https URL", got)
			}
		})
	}
}

func TestBuiltinAliasesInherit(t *testing.T) {
	t.Parallel()
	c := setup(t)
	google, _ := c.Lookup("google")
	sheet, _ := c.Lookup("google-sheet")
	if sheet.AuthorizationURL != google.AuthorizationURL || sheet.AuthorizationParams["access_type"] != "offline" {
		t.Errorf("google-sheet did not inherit google's OAuth settings: %+v", sheet)
	}
	if sheet.Proxy.BaseURL != "https://sheets.googleapis.com/v4" {
		t.Errorf("google-sheet base_url = %q, want its own", sheet.Proxy.BaseURL)
	}
	if sheet.Proxy.Retry == nil {
		t.Errorf("google-sheet should inherit google's proxy.retry (proxy merges one level deep)")
	}
	app, _ := c.Lookup("github-app")
	if app.AuthMode != "APP" || app.Proxy == nil || app.Proxy.BaseURL != "https://api.github.com" {
		t.Errorf("github-app should keep its own mode and inherit github's proxy: %+v", app)
	}
}

func TestProviderJSONShape(t *testing.T) {
	t.Parallel()
	c := setup(t)
	hubspot, _ := c.Lookup("hubspot")
	b, err := json.Marshal(hubspot)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"name":"hubspot","display_name":"HubSpot"`) {
		t.Errorf("JSON should start with name and display_name: %s", b)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "display_name", "categories", "auth_mode", "authorization_url", "token_url", "proxy", "docs"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	for _, k := range []string{"refresh_url", "unsupported", "alias", "connection_config", "disable_pkce"} {
		if _, ok := got[k]; ok {
			t.Errorf("JSON has empty field %q: %s", k, b)
		}
	}
	paginate := got["proxy"].(map[string]any)["paginate"].(map[string]any)
	if paginate["cursor_path_in_response"] != "paging.next.after" {
		t.Errorf("proxy.paginate = %v", paginate)
	}

	custom, _ := c.Lookup("github-app-oauth")
	b, _ = json.Marshal(custom)
	var shape struct {
		TokenURL map[string]string `json:"token_url"`
	}
	if err := json.Unmarshal(b, &shape); err != nil || shape.TokenURL["OAUTH2"] == "" || shape.TokenURL["APP"] == "" {
		t.Errorf("CUSTOM token_url should marshal as an object per mode: %s (%v)", b, err)
	}

	tba, _ := c.Lookup("netsuite-tba")
	b, _ = json.Marshal(tba)
	if !strings.Contains(string(b), `"unsupported":"auth mode \"TBA\" is not supported yet"`) {
		t.Errorf("unsupported entry should say why in JSON: %s", b)
	}
}

func TestLoadOverlay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "providers.yaml")
	overlay := `
github:
    display_name: GitHub Enterprise
    auth_mode: OAUTH2
    authorization_url: https://ghe.example.com/login/oauth/authorize
    token_url: https://ghe.example.com/login/oauth/access_token
    proxy:
        base_url: https://ghe.example.com/api/v3
    docs: https://docs.github.com/en/enterprise-server
acme-drive:
    display_name: Acme Drive
    alias: google
    proxy:
        base_url: https://drive.acme.example
    docs: https://acme.example/docs
`
	if err := os.WriteFile(path, []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	builtin := setup(t)
	if c.Len() != builtin.Len()+1 {
		t.Errorf("Len = %d, want %d (one replaced, one added)", c.Len(), builtin.Len()+1)
	}
	gh, _ := c.Lookup("github")
	if gh.DisplayName != "GitHub Enterprise" || gh.Proxy.BaseURL != "https://ghe.example.com/api/v3" {
		t.Errorf("overlay did not replace github: %+v", gh)
	}
	if gh.Proxy.Paginate != nil {
		t.Errorf("a replaced entry must not keep built-in fields the overlay omitted")
	}
	// Aliases in the overlay resolve against built-in entries.
	acme, ok := c.Lookup("acme-drive")
	if !ok || acme.AuthMode != "OAUTH2" || acme.TokenURL != "https://oauth2.googleapis.com/token" {
		t.Errorf("acme-drive should inherit google: %+v", acme)
	}
	// Entries that alias the replaced github now inherit the overlay's.
	app, _ := c.Lookup("github-app")
	if app.Proxy.BaseURL != "https://ghe.example.com/api/v3" {
		t.Errorf("github-app base_url = %q, want the overlay's github", app.Proxy.BaseURL)
	}
	all := c.All()
	for i := 1; i < len(all); i++ {
		if all[i-1].Name >= all[i].Name {
			t.Fatalf("All is not sorted at %d: %q >= %q", i, all[i-1].Name, all[i].Name)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("acme:\n    auth_mode: API_KEY\n    default_scopes: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), []string{filepath.Join(dir, "nope.yaml")}},
		{"malformed entry", bad, []string{bad, `provider "acme"`, `field "default_scopes"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestLoadKeepsIncompleteUserEntries: a user's copy of Nango's file has a
// few entries without the URLs their mode needs; they load as unusable
// instead of failing the whole file, while Parse (the linter) rejects them.
func TestLoadKeepsIncompleteUserEntries(t *testing.T) {
	t.Parallel()
	src := "partner:\n    display_name: Partner\n    auth_mode: OAUTH2_CC\n    proxy:\n        base_url: https://api.partner.example\n    docs: https://partner.example\n"
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	p, _ := c.Lookup("partner")
	if p.Supported() || !strings.Contains(p.Unsupported, `"token_url"`) {
		t.Errorf("Unsupported = %q, want a reason naming token_url", p.Unsupported)
	}
	if _, err := Parse([]byte(src), "p.yaml"); err == nil || !strings.Contains(err.Error(), `field "token_url"`) {
		t.Errorf("Parse error = %v, want one naming token_url", err)
	}
}

func TestAuthModeRegistry(t *testing.T) {
	t.Parallel()
	for _, m := range []string{"OAUTH2", "OAUTH1", "OAUTH2_CC", "API_KEY", "BASIC", "JWT", "APP", "CUSTOM", "NONE"} {
		if !AuthModeSupported(m) {
			t.Errorf("%s should be supported", m)
		}
	}
	for _, m := range []string{"TBA", "TWO_STEP", "SIGNATURE", "BILL", "MCP_OAUTH2", "INSTALL_PLUGIN", "APP_STORE", "TABLEAU", "oauth2", ""} {
		if AuthModeSupported(m) {
			t.Errorf("%s should not be supported", m)
		}
	}
}

func BenchmarkBuiltin(b *testing.B) {
	for b.Loop() {
		if _, err := Builtin(); err != nil {
			b.Fatal(err)
		}
	}
}
