package connect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

const (
	testToken    = "nango_connect_session_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testAPIURL   = "http://api.example.test:3003"
	expiredToken = "nango_connect_session_expired"
)

// samplePage has one integration of each flow kind.
func samplePage() *PageData {
	return &PageData{
		SessionToken: testToken,
		APIURL:       testAPIURL + "/",
		Integrations: []PageIntegration{
			{Key: "github", Provider: "github", DisplayName: "GitHub (User OAuth)", LogoURL: testAPIURL + "/images/template-logos/github.svg", AuthMode: "OAUTH2"},
			{
				Key: "zendesk", Provider: "zendesk", DisplayName: "Zendesk", AuthMode: "API_KEY",
				DocsURL: "https://docs.example/zendesk",
				CredentialFields: []PageField{
					{Name: "apiKey", Title: "API token", Description: "From Admin > API", Example: "abc123", Secret: true, DocURL: "https://docs.example/token"},
				},
				ConfigFields: []PageField{
					{Name: "subdomain", Title: "Subdomain", Pattern: `^[a-z0-9-]+$`, Prefix: "https://", Suffix: ".zendesk.com", Format: "hostname"},
					{Name: "region", Title: "Region", Optional: true},
				},
			},
			{Key: "weird", Provider: "weird", DisplayName: "Weird", AuthMode: "TBA"},
		},
	}
}

type uiBundle struct {
	handler http.Handler
	pages   map[string]*PageData
	calls   atomic.Int32
	logs    *bytes.Buffer
}

func setupUI(t *testing.T) *uiBundle {
	t.Helper()
	b := &uiBundle{pages: map[string]*PageData{testToken: samplePage()}, logs: &bytes.Buffer{}}
	source := func(ctx context.Context, token string) (*PageData, error) {
		b.calls.Add(1)
		switch token {
		case expiredToken:
			return &PageData{Settings: store.ConnectUISettings{Name: "Acme CRM"}}, fmt.Errorf("load: %w", ErrExpiredSession)
		case "broken":
			return nil, errors.New("database on fire")
		case "nil":
			return nil, nil
		}
		if p, ok := b.pages[token]; ok {
			return p, nil
		}
		return nil, ErrInvalidSession
	}
	b.handler = NewUI(source, slog.New(slog.NewTextHandler(b.logs, nil)))
	return b
}

func (b *uiBundle) get(t *testing.T, target string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func contains(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q", s)
		}
	}
}

func lacks(t *testing.T, body string, notWant ...string) {
	t.Helper()
	for _, s := range notWant {
		if strings.Contains(body, s) {
			t.Errorf("body contains %q", s)
		}
	}
}

func TestUIConnectPage(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	res, body := b.get(t, "/connect?session_token="+testToken, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d\n%s", res.StatusCode, body)
	}
	contains(t, body,
		"<title>Connect</title>",
		`data-mode="connect"`,
		`data-session-token="`+testToken+`"`,
		`data-api-url="`+testAPIURL+`"`, // trailing slash trimmed
		`data-theme="light"`,
		// the list, rendered on the server
		`data-flow="pb-i0" data-key="github"`,
		`<img class="pb-logo" src="`+testAPIURL+`/images/template-logos/github.svg"`,
		`<span class="pb-integration-name">GitHub</span>`,
		`<span class="pb-logo pb-monogram" aria-hidden="true">Z</span>`,
		// flows
		`id="pb-i0" class="pb-screen pb-flow"`, `data-kind="popup"`, "Continue to GitHub",
		`data-kind="form" data-endpoint="/api-auth/api-key/"`,
		"Weird cannot be connected from this page yet.",
		// no white-label settings: discreet branding
		"Powered by Patchbay",
		`<script type="application/json" id="pb-messages">`,
	)
	lacks(t, body, "<style nonce", // no primary colour to inject
		"User OAuth") // the catalog's auth variant is not the end user's business
	// One line about the sign-in window, which the script rewrites while
	// the window is open.
	github := section(t, body, "pb-i0")
	if n := strings.Count(github, "window"); n != 2 { // data-idle and the status line
		t.Errorf("GitHub's flow mentions the window %d times, want the status line and its idle text:\n%s", n, github)
	}
	contains(t, github, `data-idle="A window opens where you sign in to GitHub."`,
		`data-role="status" aria-live="polite">A window opens where you sign in to GitHub.</p>`)
}

func TestUIFormFields(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	_, body := b.get(t, "/connect?session_token="+testToken, nil)
	flow := section(t, body, "pb-i1")

	// Connection settings precede credentials.
	if strings.Index(flow, `data-name="subdomain"`) > strings.Index(flow, `data-name="apiKey"`) {
		t.Error("config fields should come before credential fields")
	}
	contains(t, flow,
		`<label for="pb-i1-k0">API token</label>`,
		`type="password"`, `placeholder="abc123"`, ` required`,
		`From Admin &gt; API <a href="https://docs.example/token" target="_blank" rel="noopener noreferrer">`,
		`aria-describedby="pb-i1-k0-help pb-i1-k0-error"`,
		`data-kind="credential" data-name="apiKey"`,
		`data-kind="config" data-name="subdomain"`,
		`pattern="^[a-z0-9-]&#43;$"`, `inputmode="url"`,
		`<span class="pb-adorn" id="pb-i1-c0-prefix">https://</span>`,
		`<span class="pb-adorn" id="pb-i1-c0-suffix">.zendesk.com</span>`,
		`aria-describedby="pb-i1-c0-prefix pb-i1-c0-suffix pb-i1-c0-error"`,
		`Region <span class="pb-optional">(optional)</span>`,
		`href="https://docs.example/zendesk"`,
		`role="alert"`, `aria-live="polite"`,
	)
	region := flow[strings.Index(flow, `id="pb-i1-c1"`):]
	region = region[:strings.Index(region, ">")]
	if strings.Contains(region, "required") {
		t.Errorf("optional field is required: %s", region)
	}
}

// section returns the HTML of the element with id, up to the next section.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<section id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section %s", id)
	}
	rest := body[i+1:]
	if j := strings.Index(rest, "<section"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestUISecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	for _, target := range []string{"/connect?session_token=" + testToken, "/connect", "/connect?session_token=nope"} {
		res, _ := b.get(t, target, nil)
		h := res.Header
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"Cache-Control":          "no-store",
			"Content-Type":           "text/html; charset=utf-8",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", target, k, got, want)
			}
		}
		if h.Get("X-Frame-Options") != "" {
			t.Errorf("%s: X-Frame-Options set; customers embed this page", target)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self';", "img-src 'self' https: data:", "connect-src 'self'", "base-uri 'none'", "form-action 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", target, csp, want)
			}
		}
		if strings.Contains(csp, "frame-ancestors") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", target, csp)
		}
	}
	res, _ := b.get(t, "/connect?session_token="+testToken, nil)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://api.example.test:3003 ws://api.example.test:3003;") {
		t.Errorf("CSP %q does not allow the API and its websocket", csp)
	}
}

func TestUIWhiteLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings store.ConnectUISettings
		want     []string
		notWant  []string
		nonce    bool
	}{
		{
			name:     "name only",
			settings: store.ConnectUISettings{Name: "Acme CRM"},
			want:     []string{"<title>Acme CRM</title>", `<span class="pb-title">Acme CRM</span>`, `data-app-name="Acme CRM"`},
		},
		{
			name:     "colour and dark mode",
			settings: store.ConnectUISettings{PrimaryColor: "#FF8800", DarkMode: true},
			want:     []string{`data-theme="dark"`, ":root{--pb-primary:#ff8800;--pb-on-primary:#111827}"},
			nonce:    true,
		},
		{
			name:     "dark primary gets white text",
			settings: store.ConnectUISettings{PrimaryColor: "#123"},
			want:     []string{"--pb-primary:#123;--pb-on-primary:#ffffff"},
			nonce:    true,
		},
		{
			name:     "logo",
			settings: store.ConnectUISettings{LogoURL: "https://cdn.acme.example/logo.png"},
			want:     []string{`<img class="pb-brand-logo" src="https://cdn.acme.example/logo.png"`},
		},
		{
			name:     "http logo from Patchbay itself",
			settings: store.ConnectUISettings{LogoURL: testAPIURL + "/logo.svg"},
			want:     []string{`<img class="pb-brand-logo" src="` + testAPIURL + `/logo.svg"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupUI(t)
			b.pages[testToken].Settings = tt.settings
			res, body := b.get(t, "/connect?session_token="+testToken, nil)
			contains(t, body, tt.want...)
			// White-labelled: not a word about Patchbay.
			if strings.Contains(strings.ToLower(body), "patchbay") {
				t.Error("white-labelled page mentions Patchbay")
			}
			csp := res.Header.Get("Content-Security-Policy")
			m := nonceAttr.FindStringSubmatch(body)
			if tt.nonce != (m != nil) {
				t.Fatalf("style nonce present = %v, want %v", m != nil, tt.nonce)
			}
			if m != nil && !strings.Contains(csp, "style-src 'self' 'nonce-"+m[1]+"'") {
				t.Errorf("nonce %s not in CSP %q", m[1], csp)
			}
		})
	}
}

func TestUIRejectsUnsafeSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings store.ConnectUISettings
		notWant  []string
	}{
		{"css injection in colour", store.ConnectUISettings{PrimaryColor: "red;}</style><script>alert(1)</script>"}, []string{"red;", "<script>alert"}},
		{"colour with trailing rule", store.ConnectUISettings{PrimaryColor: "#fff;background:url(https://evil.example)"}, []string{"evil.example", "--pb-primary:"}},
		{"named colour", store.ConnectUISettings{PrimaryColor: "red"}, []string{"--pb-primary:"}},
		{"expression", store.ConnectUISettings{PrimaryColor: "expression(alert(1))"}, []string{"expression("}},
		{"javascript logo", store.ConnectUISettings{LogoURL: "javascript:alert(1)"}, []string{"javascript:", "pb-brand-logo"}},
		{"data logo", store.ConnectUISettings{LogoURL: "data:image/svg+xml,<svg onload=alert(1)>"}, []string{"onload", "pb-brand-logo"}},
		{"http logo elsewhere", store.ConnectUISettings{LogoURL: "http://tracker.example/pixel.gif"}, []string{"tracker.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupUI(t)
			b.pages[testToken].Settings = tt.settings
			res, body := b.get(t, "/connect?session_token="+testToken, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; a bad setting must not take the page down", res.StatusCode)
			}
			lacks(t, body, tt.notWant...)
			lacks(t, body, "<style nonce")
			if strings.Contains(res.Header.Get("Content-Security-Policy"), "nonce-") {
				t.Error("CSP has a nonce though nothing inline was rendered")
			}
			if !strings.Contains(b.logs.String(), "ignoring") {
				t.Error("rejected setting was not logged")
			}
		})
	}
}

func TestUIEscapesHostileData(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	p := b.pages[testToken]
	p.Settings.Name = `</title><script>alert("name")</script>`
	p.Integrations[0].DisplayName = `<script>alert("display")</script>`
	p.Integrations[0].Key = `gh" onclick="alert(1)`
	p.Integrations[0].LogoURL = `javascript:alert("logo")`
	p.Integrations[1].DocsURL = `javascript:alert("docs")`
	f := &p.Integrations[1].CredentialFields[0]
	f.Title = `<img src=x onerror=alert("title")>`
	f.Description = `<b onmouseover=alert("help")>`
	f.Example = `" autofocus onfocus="alert(1)`
	f.Pattern = `"><script>alert("pattern")</script>`
	f.DocURL = `javascript:alert("doc")`
	p.Reconnect = &PageReconnect{IntegrationKey: "zendesk", ConnectionID: `"><script>alert("conn")</script>`}

	res, body := b.get(t, "/connect?session_token="+testToken, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", res.StatusCode)
	}
	lacks(t, body, "<script>alert", "<img src=x", "<b onmouseover", `" onclick="`, `" autofocus`, "javascript:")
	contains(t, body,
		"&lt;/title&gt;&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;",
		"&lt;script&gt;alert(&#34;display&#34;)&lt;/script&gt;",
		"#ZgotmplZ", // html/template's marker for a refused URL
	)
	// Every script element is ours: the asset and the JSON data block.
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1)
	if len(scripts) != 2 {
		t.Errorf("script elements: %q", scripts)
	}
}

func TestUISessionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		token      string
		wantStatus int
		want       []string
	}{
		{"expired", expiredToken, http.StatusUnauthorized, []string{
			"This link has expired", "Go back to Acme CRM and try again.", `data-error-type="expired_connect_session_token"`, "<title>Acme CRM</title>",
		}},
		// A token of the right shape that no session has: it expired and
		// was cleaned up, or the app deleted the session.
		{"unknown", "nango_connect_session_" + strings.Repeat("ab", 32), http.StatusUnauthorized, []string{
			"Link no longer valid", "This link has expired or was cancelled. Go back to the app and try again.",
			`data-error-type="invalid_connect_session_token"`,
		}},
		// Never a token: cut short or mistyped on its way here.
		{"cut short", "nango_connect_session_abab", http.StatusUnauthorized, []string{
			"Link not valid", "This is not a complete connect link", `data-error-type="invalid_connect_session_token"`,
		}},
		{"too long to look up", strings.Repeat("x", 1000), http.StatusUnauthorized, []string{"Link not valid", "This is not a complete connect link"}},
		{"source fails", "broken", http.StatusInternalServerError, []string{"Something went wrong"}},
		{"source returns nothing", "nil", http.StatusInternalServerError, []string{"Something went wrong"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupUI(t)
			res, body := b.get(t, "/connect?session_token="+tt.token, nil)
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			contains(t, body, tt.want...)
			lacks(t, body, "data-session-token", "database on fire", "any more")
		})
	}
	b := setupUI(t)
	b.get(t, "/connect?session_token="+strings.Repeat("x", 1000), nil)
	if b.calls.Load() != 0 {
		t.Error("an oversized token reached the page source")
	}
}

func TestUIBadAPIURL(t *testing.T) {
	t.Parallel()
	for _, apiURL := range []string{"", "ftp://x", "http://a b", "http://host; script-src *", "https://user:pw@host"} {
		b := setupUI(t)
		b.pages[testToken].APIURL = apiURL
		res, body := b.get(t, "/connect?session_token="+testToken, nil)
		if res.StatusCode != http.StatusInternalServerError {
			t.Errorf("API URL %q: status %d, want 500", apiURL, res.StatusCode)
		}
		lacks(t, body, "data-session-token")
	}
}

// TestUIShell covers what @nangohq/frontend's openConnectUI loads: its
// baseURL with a slash appended and its options in the query, so the
// server's root and the connect link's base both work, in an iframe
// (Sec-Fetch-Dest) with a spinner until the token arrives. Opened
// directly, the same URLs show a landing page instead.
func TestUIShell(t *testing.T) {
	t.Parallel()
	iframe := http.Header{"Sec-Fetch-Dest": {"iframe"}}
	top := http.Header{"Sec-Fetch-Dest": {"document"}}
	for _, target := range []string{
		"/connect", "/connect/", "/",
		"/connect/?apiURL=https%3A%2F%2Fapi.example&lang=fr&theme=dark&detectClosedAuthWindow=true",
		"/?apiURL=https%3A%2F%2Fapi.example",
	} {
		for _, tt := range []struct {
			name        string
			header      http.Header
			wait        bool
			closeHidden bool
		}{
			{"iframe", iframe, true, false},
			{"top", top, false, true},
			{"no fetch metadata", nil, false, true},
		} {
			b := setupUI(t)
			res, body := b.get(t, target, tt.header)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s %s: status %d", target, tt.name, res.StatusCode)
			}
			contains(t, body, `data-mode="shell"`, `id="pb-wait"`, `id="pb-landing"`, `href="`+docsURL+`"`)
			lacks(t, body, "data-session-token", "data-api-url", "Powered by")
			if got := !hiddenSection(body, "pb-wait"); got != tt.wait {
				t.Errorf("%s %s: spinner shown = %v, want %v", target, tt.name, got, tt.wait)
			}
			if got := !hiddenSection(body, "pb-landing"); got == tt.wait {
				t.Errorf("%s %s: landing shown = %v, want %v", target, tt.name, got, !tt.wait)
			}
			closeHidden := regexp.MustCompile(`class="pb-close"[^>]*hidden`).MatchString(body)
			if closeHidden != tt.closeHidden {
				t.Errorf("%s %s: close button hidden = %v, want %v", target, tt.name, closeHidden, tt.closeHidden)
			}
			if b.calls.Load() != 0 {
				t.Errorf("%s: the shell looked up a session", target)
			}
		}
	}
}

// hiddenSection tells whether the section's opening tag hides it.
func hiddenSection(body, id string) bool {
	return regexp.MustCompile(`<section id="` + id + `"[^>]* hidden[ >]`).MatchString(body)
}

// TestUIRoutes: the page with a token answers on both of openConnectUI's
// bases too, and nothing else under /connect/ is the page.
func TestUIRoutes(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	for target, want := range map[string]int{
		"/connect?session_token=" + testToken:  http.StatusOK,
		"/connect/?session_token=" + testToken: http.StatusOK,
		"/?session_token=" + testToken:         http.StatusOK,
		"/connect/other":                       http.StatusNotFound,
	} {
		res, body := b.get(t, target, nil)
		if res.StatusCode != want {
			t.Errorf("%s: status %d, want %d", target, res.StatusCode, want)
		}
		if want == http.StatusOK {
			contains(t, body, `data-mode="connect"`)
		}
	}
}

func TestEndUserNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"GitHub (User OAuth)", "Stripe (API key)", "Zoom (Server-to-Server OAuth)", "NetSuite (Token-Based Auth)"},
			[]string{"GitHub", "Stripe", "Zoom", "NetSuite"}},
		{[]string{"X / Twitter (OAuth 1.0a)", "Microsoft (Client Credentials)", "GitLab (Personal Access Token)", "Greenhouse (Harvest API key)"},
			[]string{"X / Twitter", "Microsoft", "GitLab", "Greenhouse"}},
		// Not an auth variant: it says which account to use.
		{[]string{"Salesforce (Sandbox)", "Stripe Connect", "Gmail"}, []string{"Salesforce (Sandbox)", "Stripe Connect", "Gmail"}},
		// Two that would look alike keep their full names.
		{[]string{"GitHub (User OAuth)", "GitHub (Personal Access Token)", "Jira (API token)"},
			[]string{"GitHub (User OAuth)", "GitHub (Personal Access Token)", "Jira"}},
		{[]string{"(API key)"}, []string{"(API key)"}},
	}
	for _, tt := range tests {
		var ins []PageIntegration
		for _, n := range tt.names {
			ins = append(ins, PageIntegration{Key: "k", DisplayName: n})
		}
		if got := endUserNames(ins); !slices.Equal(got, tt.want) {
			t.Errorf("endUserNames(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

func TestUIReconnect(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	b.pages[testToken].Reconnect = &PageReconnect{IntegrationKey: "zendesk", ConnectionID: "conn-42"}
	_, body := b.get(t, "/connect?session_token="+testToken, nil)
	contains(t, body, `data-reconnect-flow="pb-i1"`, `data-connection-id="conn-42"`,
		`<section id="pb-list" class="pb-screen" aria-labelledby="pb-list-heading" hidden>`)

	b.pages[testToken].Reconnect = &PageReconnect{IntegrationKey: "gone", ConnectionID: "conn-42"}
	_, body = b.get(t, "/connect?session_token="+testToken, nil)
	contains(t, body, `data-reconnect-flow=""`)
	if !strings.Contains(b.logs.String(), "reconnect integration") {
		t.Error("missing reconnect integration not logged")
	}
}

func TestUIEmptySession(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	b.pages[testToken].Integrations = nil
	_, body := b.get(t, "/connect?session_token="+testToken, nil)
	contains(t, body, "There is nothing to connect from this link.")
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/connect/assets/([a-z]+\.(?:js|css))\?v=([0-9a-f]+))"`)

func TestUIAssets(t *testing.T) {
	t.Parallel()
	b := setupUI(t)
	_, page := b.get(t, "/connect?session_token="+testToken, nil)
	refs := assetRef.FindAllStringSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("asset references: %q", refs)
	}
	wantType := map[string]string{"connect.js": "text/javascript; charset=utf-8", "connect.css": "text/css; charset=utf-8"}
	for _, ref := range refs {
		url, name, version := ref[1], ref[2], ref[3]
		res, body := b.get(t, url, nil)
		if res.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("%s: status %d, %d bytes", url, res.StatusCode, len(body))
		}
		if got := res.Header.Get("Content-Type"); got != wantType[name] {
			t.Errorf("%s: Content-Type %q, want %q", name, got, wantType[name])
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", name)
		}
		// Another version is not the one cached for a year.
		res, _ = b.get(t, "/connect/assets/"+name+"?v=old", nil)
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s with a stale version: Cache-Control %q", name, got)
		}
		res, _ = b.get(t, url, http.Header{"If-None-Match": {`"` + version + `"`}})
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidation: status %d, want 304", name, res.StatusCode)
		}
	}
	for _, name := range []string{"connect.html", "nope.js", "..%2fui.go"} {
		if res, _ := b.get(t, "/connect/assets/"+name, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", name, res.StatusCode)
		}
	}
}

func TestTextOn(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"#ffffff": "#111827", "#fff": "#111827", "#ffff00": "#111827", "#ff8800": "#111827",
		"#000000": "#ffffff", "#4f46e5": "#ffffff", "#123": "#ffffff", "#12345678": "#ffffff",
	}
	for in, want := range tests {
		if got := textOn(in); got != want {
			t.Errorf("textOn(%s) = %s, want %s", in, got, want)
		}
	}
}
