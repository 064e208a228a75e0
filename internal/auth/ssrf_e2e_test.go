package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/store/storetest"
)

// The secrets an SSRF would carry to the attacker's listener.
const (
	ssrfClientSecret = "ssrf-client-secret-3c1f"
	ssrfAPIKey       = "glpat-ssrf-api-key-77aa"
)

// ssrfResolver is the attacker's DNS: names that resolve to the internal
// addresses a request must never reach.
var ssrfResolver = tableResolver{
	"loop.test":    {"127.0.0.1"},
	"loop6.test":   {"::1"},
	"meta.test":    {"169.254.169.254"},
	"private.test": {"10.0.0.1"},
	"mixed.test":   {"93.184.216.34", "127.0.0.1"},
}

type tableResolver map[string][]string

func (r tableResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range r[host] {
		ip := netip.MustParseAddr(a)
		if network == "ip4" && !ip.Is4() || network == "ip6" && !ip.Is6() {
			continue
		}
		out = append(out, ip)
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// listener is an attacker's server inside the network: on 127.0.0.1 and,
// when the machine has IPv6, on [::1], on the same port. It counts every
// request that reaches it.
type listener struct {
	port string
	hits atomic.Int64
}

func startListener(t *testing.T) *listener {
	t.Helper()
	l := &listener{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"stolen","oauth_token":"stolen","oauth_token_secret":"stolen"}`)
	})
	v4 := httptest.NewServer(h)
	t.Cleanup(v4.Close)
	l.port = strings.TrimPrefix(v4.URL, "http://127.0.0.1:")
	if ln, err := net.Listen("tcp", "[::1]:"+l.port); err == nil {
		v6 := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
		v6.Start()
		t.Cleanup(v6.Close)
	}
	return l
}

// ssrfCatalog has one entry per auth mode whose URLs take their host
// from connection config and then the listener's port, so a host that
// resolves to loopback would reach the listener if the guard let it.
func ssrfCatalog(port string) string {
	host := "http://${connectionConfig.host}:" + port
	config := `    connection_config:
        host:
            type: string
            title: Host
`
	verify := `        verification:
            method: GET
            endpoints:
                - /me
`
	return fmt.Sprintf(`ssrf-api-key:
    display_name: SSRF API key
    auth_mode: API_KEY
    proxy:
        base_url: %[1]s/api
        headers:
            authorization: Bearer ${apiKey}
%[2]s%[3]s
ssrf-basic:
    display_name: SSRF basic
    auth_mode: BASIC
    proxy:
        base_url: %[1]s/api
%[2]s%[3]s
ssrf-jwt:
    display_name: SSRF JWT
    auth_mode: JWT
    signature:
        protocol: HMAC
    token:
        signing_key: ${credentials.secret}
        expires_in_ms: 300000
        header:
            alg: HS256
            typ: JWT
            kid: ${credentials.keyId}
        payload:
            aud: /admin/
    proxy:
        base_url: %[1]s/api
%[2]s%[3]s
ssrf-cc:
    display_name: SSRF client credentials
    auth_mode: OAUTH2_CC
    token_url: %[1]s/token
    proxy:
        base_url: https://api.example.com
%[3]s
ssrf-oauth2:
    display_name: SSRF OAuth 2
    auth_mode: OAUTH2
    authorization_url: %[1]s/authorize
    token_url: %[1]s/token
    proxy:
        base_url: https://api.example.com
%[3]s
ssrf-oauth2-callback:
    display_name: SSRF OAuth 2, host from the redirect
    auth_mode: OAUTH2
    authorization_url: https://auth.example.com/authorize
    token_url: %[1]s/token
    redirect_uri_metadata:
        - host
    proxy:
        base_url: https://api.example.com
    connection_config:
        host:
            type: string
            title: Host
            optional: true

ssrf-oauth1:
    display_name: SSRF OAuth 1
    auth_mode: OAUTH1
    request_url: %[1]s/request
    authorization_url: %[1]s/authorize
    token_url: %[1]s/access
    signature_method: HMAC-SHA1
    proxy:
        base_url: https://api.example.com
%[3]s`, host, verify, config)
}

type ssrfWorld struct {
	*world
	ln *listener
}

func newSSRFWorld(t *testing.T) *ssrfWorld {
	t.Helper()
	ln := startListener(t)
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(ssrfCatalog(ln.port)), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, pb: apptest.Start(t, apptest.Options{RealURL: true, Resolver: ssrfResolver,
		Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file}})}
	oauth := map[string]any{"type": "OAUTH2", "client_id": "ssrf-client-id", "client_secret": ssrfClientSecret}
	for key, creds := range map[string]map[string]any{
		"ssrf-api-key": nil, "ssrf-basic": nil, "ssrf-jwt": nil, "ssrf-cc": nil,
		"ssrf-oauth2": oauth, "ssrf-oauth2-callback": oauth,
		"ssrf-oauth1": {"type": "OAUTH1", "client_id": "ssrf-client-id", "client_secret": ssrfClientSecret},
		"gitlab-pat":  nil,
		"salesforce":  oauth,
	} {
		body := map[string]any{"unique_key": key, "provider": key}
		if creds != nil {
			body["credentials"] = creds
		}
		w.createIntegration(body)
	}
	return &ssrfWorld{world: w, ln: ln}
}

// outcome is what a flow answered: status, Location, body.
type outcome struct {
	status   int
	location string
	body     string
}

func (w *ssrfWorld) send(method, path string, body any) outcome {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, w.pb.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw)}
}

// TestSSRFRefused drives every flow an end user holding only a connect
// session token can start, with connection-config hosts that are, or
// resolve to, loopback, link-local (metadata) and private addresses, or
// smuggle a port: each is refused with a 4xx naming the field, no request
// reaches the listener, and no redirect is issued.
func TestSSRFRefused(t *testing.T) {
	t.Parallel()
	w := newSSRFWorld(t)
	targets := []string{
		"127.0.0.1", "[::1]", "::1", "169.254.169.254", "10.0.0.1", "2130706433", "localhost",
		"loop.test", "loop6.test", "meta.test", "private.test", "mixed.test",
		"127.0.0.1:" + w.ln.port, "loop.test:" + w.ln.port, "api.example.com@127.0.0.1", "loop.test/x?",
	}
	type flow struct {
		name   string
		field  string // the connection-config member the error must name
		browse bool   // a browser flow: an HTML page, never a redirect
		run    func(token, host string) outcome
	}
	q := func(token, host, name string) string {
		return "?connect_session_token=" + token + "&params[" + name + "]=" + url.QueryEscape(host)
	}
	flows := []flow{
		{"api key", "host", false, func(tok, h string) outcome {
			return w.send("POST", "/api-auth/api-key/ssrf-api-key"+q(tok, h, "host"), map[string]any{"apiKey": ssrfAPIKey})
		}},
		{"api key, built-in gitlab-pat", "hostname", false, func(tok, h string) outcome {
			return w.send("POST", "/api-auth/api-key/gitlab-pat"+q(tok, h, "hostname"), map[string]any{"apiKey": ssrfAPIKey})
		}},
		{"basic", "host", false, func(tok, h string) outcome {
			return w.send("POST", "/api-auth/basic/ssrf-basic"+q(tok, h, "host"), map[string]any{"username": "u", "password": ssrfAPIKey})
		}},
		{"jwt", "host", false, func(tok, h string) outcome {
			return w.send("POST", "/auth/jwt/ssrf-jwt"+q(tok, h, "host"), map[string]any{"keyId": "k", "secret": ssrfAPIKey})
		}},
		{"client credentials", "host", false, func(tok, h string) outcome {
			return w.send("POST", "/oauth2/auth/ssrf-cc"+q(tok, h, "host"), map[string]any{"client_id": "ssrf-client-id", "client_secret": ssrfClientSecret})
		}},
		{"oauth2 authorize", "host", true, func(tok, h string) outcome {
			return w.send("GET", "/oauth/connect/ssrf-oauth2"+q(tok, h, "host"), nil)
		}},
		{"oauth2 authorize, built-in salesforce", "hostname", true, func(tok, h string) outcome {
			return w.send("GET", "/oauth/connect/salesforce"+q(tok, h, "hostname"), nil)
		}},
		{"oauth2 callback", "host", true, func(tok, h string) outcome {
			start := w.send("GET", "/oauth/connect/ssrf-oauth2-callback?connect_session_token="+tok, nil)
			if start.status != http.StatusFound {
				t.Fatalf("start without a host: status %d: %s", start.status, start.body)
			}
			loc, _ := url.Parse(start.location)
			return w.send("GET", "/oauth/callback?state="+loc.Query().Get("state")+"&code=c0de&host="+url.QueryEscape(h), nil)
		}},
		{"oauth1", "host", true, func(tok, h string) outcome {
			return w.send("GET", "/oauth/connect/ssrf-oauth1"+q(tok, h, "host"), nil)
		}},
	}
	for _, f := range flows {
		for _, host := range targets {
			token := w.session(nil)
			got := f.run(token, host)
			name := fmt.Sprintf("%s, host %q", f.name, host)
			if got.status < 400 || got.status >= 500 {
				t.Errorf("%s: status %d, want 4xx: %s", name, got.status, got.body)
			}
			if got.location != "" {
				t.Errorf("%s: redirected to %s", name, got.location)
			}
			if !strings.Contains(got.body, "invalid_connection_config") || !strings.Contains(got.body, f.field) {
				t.Errorf("%s: the answer does not name connection config %q: %s", name, f.field, got.body)
			}
			if !f.browse {
				var e struct {
					Error struct {
						Errors []struct {
							Path []string `json:"path"`
						} `json:"errors"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(got.body), &e); err != nil || len(e.Error.Errors) != 1 ||
					strings.Join(e.Error.Errors[0].Path, ".") != "params."+f.field {
					t.Errorf("%s: error path is not params.%s: %s", name, f.field, got.body)
				}
			}
			for _, secret := range []string{ssrfClientSecret, ssrfAPIKey} {
				if strings.Contains(got.body, secret) {
					t.Errorf("%s: the answer echoes a secret", name)
				}
			}
		}
	}
	if n := w.ln.hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the listener", n)
	}

	// POST /connections refuses the same values, naming connection_config.
	for _, host := range targets {
		var out struct {
			Error struct {
				Code   string `json:"code"`
				Errors []struct {
					Path []string `json:"path"`
				} `json:"errors"`
			} `json:"error"`
		}
		w.call("POST", "/connections", map[string]any{"connection_id": "imported", "provider_config_key": "ssrf-api-key",
			"connection_config": map[string]any{"host": host}, "credentials": map[string]any{"type": "API_KEY", "apiKey": ssrfAPIKey}},
			http.StatusBadRequest, &out)
		if out.Error.Code != "invalid_connection_config" || len(out.Error.Errors) != 1 || strings.Join(out.Error.Errors[0].Path, ".") != "connection_config.host" {
			t.Errorf("import with host %q: %+v", host, out)
		}
	}
}

// TestSSRFAllowedHosts: the same flows with a public host still go out
// (here: the request is attempted, and fails only because the name does
// not exist), so the guard refuses what it must and no more.
func TestSSRFAllowedHosts(t *testing.T) {
	t.Parallel()
	w := newSSRFWorld(t)
	token := w.session(nil)
	got := w.send("GET", "/oauth/connect/ssrf-oauth2?connect_session_token="+token+"&params[host]=auth.example.com", nil)
	if got.status != http.StatusFound || !strings.HasPrefix(got.location, "http://auth.example.com:"+w.ln.port+"/authorize?") {
		t.Fatalf("authorize with a public host: status %d, Location %q: %s", got.status, got.location, got.body)
	}
	got = w.send("GET", "/oauth/connect/salesforce?connect_session_token="+w.session(nil)+"&params[hostname]=acme.my.salesforce.com", nil)
	if got.status != http.StatusFound || !strings.HasPrefix(got.location, "https://acme.my.salesforce.com/services/oauth2/authorize?") {
		t.Fatalf("salesforce with its own domain: status %d, Location %q", got.status, got.location)
	}
}

// TestSSRFRefresh: a connection stored before its config was checked
// (an older version, a direct database edit) is still refused at refresh
// time: the token request is never sent, and the error names the field.
func TestSSRFRefresh(t *testing.T) {
	t.Parallel()
	ln := startListener(t)
	ctx := t.Context()
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(ssrfCatalog(ln.port)), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, t.TempDir(), storetest.NewVault(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &store.Environment{Name: "dev", SecretKey: "sk-" + t.Name()}
	if err := st.Environments().Create(ctx, env); err != nil {
		t.Fatal(err)
	}
	integ := &store.Integration{EnvironmentID: env.ID, UniqueKey: "ssrf-oauth2", Provider: "ssrf-oauth2",
		Credentials: store.IntegrationCredentials{Type: "OAUTH2", ClientID: "ssrf-client-id", ClientSecret: ssrfClientSecret}}
	if err := st.Integrations().Create(ctx, integ); err != nil {
		t.Fatal(err)
	}
	svc := auth.New(auth.Options{Connections: st.Connections(), Integrations: st.Integrations(), OAuthSessions: st.OAuthSessions(),
		ConnectSessions: st.ConnectSessions(), Locker: st.Locker(), Catalog: cat, ServerURL: "http://patchbay.test", Logger: slog.New(slog.DiscardHandler),
		Guard: outbound.NewGuard(outbound.GuardOptions{Resolver: ssrfResolver})})
	for i, host := range []string{"127.0.0.1", "169.254.169.254", "10.0.0.1", "loop.test", "loop6.test", "meta.test", "private.test", "127.0.0.1:" + ln.port} {
		past := time.Now().Add(-time.Minute)
		c := &store.Connection{EnvironmentID: env.ID, IntegrationID: integ.ID, ConnectionID: fmt.Sprintf("c%d", i),
			ConnectionConfig: map[string]any{"host": host},
			Credentials:      store.Credentials{Type: "OAUTH2", AccessToken: "old", RefreshToken: "refresh-me", ExpiresAt: &past}}
		if err := st.Connections().Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Connection(ctx, env.ID, integ.UniqueKey, c.ConnectionID, true)
		var ae *auth.Error
		if !errors.As(err, &ae) || httperr.Status(ae.Kind) < 400 || httperr.Status(ae.Kind) >= 500 || !strings.Contains(ae.Message, `"host"`) {
			t.Errorf("refresh with host %q: err = %v, want a 4xx naming connection config \"host\"", host, err)
		}
		if err != nil && strings.Contains(err.Error(), ssrfClientSecret) {
			t.Errorf("refresh with host %q: the error holds the client secret", host)
		}
	}
	if n := ln.hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the listener", n)
	}
}

// TestAppLinkIsTheIntegrations: a GitHub App's installation redirect goes
// to the integration's public link whatever params[appPublicLink] says
// (an end user's value made it an open redirect).
func TestAppLinkIsTheIntegrations(t *testing.T) {
	t.Parallel()
	w := newSSRFWorld(t)
	w.createIntegration(map[string]any{"unique_key": "github-app", "provider": "github-app",
		"credentials": map[string]any{"type": "APP", "app_id": "4242", "app_link": "https://github.com/apps/patchbay-test", "private_key": appKey()}})
	got := w.send("GET", "/oauth/connect/github-app?connect_session_token="+w.session(nil)+"&params[appPublicLink]="+url.QueryEscape("https://evil.example/apps/x"), nil)
	if got.status != http.StatusFound || !strings.HasPrefix(got.location, "https://github.com/apps/patchbay-test/installations/new?") {
		t.Fatalf("status %d, Location %q: %s", got.status, got.location, got.body)
	}
}
