package proxy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/jira"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
	"github.com/patchbay/patchbay/internal/proxy"
)

// world is a Patchbay server whose catalog points at the simulator, plus
// extra catalog entries the test adds (e.g. a local file server).
type world struct {
	t   *testing.T
	sim *providersim.Simulator
	pb  *apptest.Server
}

func newWorld(t *testing.T, backend apptest.Backend, extraYAML string) *world {
	t.Helper()
	w := &world{t: t, sim: providersim.Start(t, providersim.Options{})}
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()+"\n"+extraYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	w.pb = apptest.Start(t, apptest.Options{Backend: backend, Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file}})
	return w
}

func (w *world) api(method, path string, body any, want int) []byte {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.pb.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		w.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return raw
}

// connection creates an integration and imports a connection with creds.
func (w *world) connection(key, provider, id string, integrationCreds, creds map[string]any, config map[string]any) {
	w.t.Helper()
	in := map[string]any{"unique_key": key, "provider": provider}
	if integrationCreds != nil {
		in["credentials"] = integrationCreds
	}
	w.api("POST", "/integrations", in, http.StatusOK)
	body := map[string]any{"provider_config_key": key, "connection_id": id, "credentials": creds}
	if config != nil {
		body["connection_config"] = config
	}
	w.api("POST", "/connections", body, http.StatusCreated)
}

type proxyResult struct {
	status int
	header http.Header
	body   []byte
}

func (w *world) proxy(method, endpoint string, headers map[string]string, body io.Reader) proxyResult {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.pb.URL+"/proxy"+endpoint, body)
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return proxyResult{resp.StatusCode, resp.Header, raw}
}

func githubToken(w *world) (string, string) {
	g := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, 8*time.Hour, true)
	return g.AccessToken, g.RefreshToken
}

func TestProxyAuthModes(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, backend, "")
			at, rt := githubToken(w)
			w.connection("github", "github", "gh-1",
				map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"},
				map[string]any{"type": "OAUTH2", "access_token": at, "refresh_token": rt, "expires_at": time.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)}, nil)
			w.connection("stripe", "stripe-api-key", "st-1", nil, map[string]any{"type": "API_KEY", "apiKey": stripe.DefaultKey}, nil)
			w.connection("jira", "jira-basic", "ji-1", nil, map[string]any{"type": "BASIC", "username": jira.DefaultEmail, "password": jira.DefaultAPIToken},
				map[string]any{"subdomain": jira.DefaultSite})

			cases := []struct {
				name, method, endpoint string
				headers                map[string]string
				status                 int
				contains               string
			}{
				{"oauth2 bearer", "GET", "/user", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}, 200, `"login":"octocat"`},
				{"query kept", "GET", "/repos/octocat/hello-world/issues?per_page=2&state=all", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}, 200, `"number"`},
				{"provider error passes through", "GET", "/repos/octocat/does-not-exist/issues", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}, 404, `Not Found`},
				{"api key template", "GET", "/v1/balance", map[string]string{"Provider-Config-Key": "stripe", "Connection-Id": "st-1"}, 200, `"object":"balance"`},
				{"basic with templated base URL", "GET", "/rest/api/3/myself", map[string]string{"Provider-Config-Key": "jira", "Connection-Id": "ji-1"}, 200, jira.DefaultEmail},
				{"missing connection id", "GET", "/user", map[string]string{"Provider-Config-Key": "github"}, 400, `"Connection-Id"`},
				{"missing both", "GET", "/user", nil, 400, `"Provider-Config-Key"`},
				{"unknown connection", "GET", "/user", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "nope"}, 404, "unknown_connection"},
				{"bad retries", "GET", "/user", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1", "Retries": "many"}, 400, `"Retries"`},
				{"override refused", "GET", "/user", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1", "Base-Url-Override": "http://169.254.169.254"}, 400, "base_url_override_not_allowed"},
				{"traversal refused", "GET", "/..%2f..%2f_control/reset", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}, 400, "invalid_endpoint"},
			}
			for _, tc := range cases {
				res := w.proxy(tc.method, tc.endpoint, tc.headers, nil)
				if res.status != tc.status || !strings.Contains(string(res.body), tc.contains) {
					t.Errorf("%s: %d %s; want %d containing %s", tc.name, res.status, truncate(res.body), tc.status, tc.contains)
				}
				for _, secret := range []string{at, rt, stripe.DefaultKey, jira.DefaultAPIToken, apptest.DevKey} {
					if strings.Contains(string(res.body), secret) {
						t.Errorf("%s: the answer contains a secret", tc.name)
					}
				}
			}
			// The caller's own Authorization (the Patchbay secret key) never
			// reaches the provider: GitHub saw the connection's token.
			if res := w.proxy("GET", "/user", map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1", "Nango-Proxy-X-Custom": "1"}, nil); res.status != 200 {
				t.Errorf("status %d", res.status)
			}
		})
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func TestProxyRefreshOn401AndRetries(t *testing.T) {
	w := newWorld(t, apptest.SQLite, "")
	_, rt := githubToken(w)
	// The stored access token is one the provider no longer accepts (as
	// after an early revocation); the refresh token is good.
	w.connection("github", "github", "gh-1",
		map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"},
		map[string]any{"type": "OAUTH2", "access_token": "ghu_no_longer_valid", "refresh_token": rt, "expires_at": time.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)}, nil)
	h := map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}

	// One refresh, one retry.
	before := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"}))
	if res := w.proxy("GET", "/user", h, nil); res.status != 200 {
		t.Fatalf("after revocation: %d %s", res.status, truncate(res.body))
	}
	if got := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"})) - before; got != 1 {
		t.Errorf("%d refreshes, want 1", got)
	}

	// 503 twice, then fine: Retries: 3 gets through.
	w.sim.Faults().Add(sim.Fault{Kind: sim.FaultError, Provider: "github", Path: "/github/user", Status: 503, Count: 2})
	calls := func() int { return len(w.sim.Requests(sim.RequestFilter{Provider: "github", Path: "/github/user"})) }
	n := calls()
	h["Retries"] = "3"
	if res := w.proxy("GET", "/user", h, nil); res.status != 200 {
		t.Errorf("with retries: %d", res.status)
	}
	if got := calls() - n; got != 3 {
		t.Errorf("%d provider calls, want 3", got)
	}
	// Without Retries the 503 is passed through as the provider sent it.
	delete(h, "Retries")
	w.sim.Faults().Add(sim.Fault{Kind: sim.FaultError, Provider: "github", Path: "/github/user", Status: 503, Count: 1})
	if res := w.proxy("GET", "/user", h, nil); res.status != 503 {
		t.Errorf("without retries: %d, want the provider's 503", res.status)
	}
}

func TestProxyUnhealthyConnection(t *testing.T) {
	w := newWorld(t, apptest.SQLite, "")
	at, rt := githubToken(w)
	w.connection("github", "github", "gh-1",
		map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"},
		map[string]any{"type": "OAUTH2", "access_token": at, "refresh_token": rt, "expires_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}, nil)
	w.sim.OAuth.RevokeSubject("github", "octocat")
	h := map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}
	for range 3 {
		if res := w.proxy("GET", "/user", h, nil); res.status != http.StatusFailedDependency || !strings.Contains(string(res.body), "connection_refresh_failed") {
			t.Fatalf("%d %s", res.status, truncate(res.body))
		}
	}
	if got := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Path: "/github/user"})); got != 0 {
		t.Errorf("%d calls reached the provider for a revoked connection", got)
	}
}

// TestProxyStreaming: a 100 MB download and a 20 MB upload pass through
// without being held in memory.
func TestProxyStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 120 MB")
	}
	const size = 100 << 20
	var uploaded atomic.Int64
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer file-key" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(size))
			chunk := bytes.Repeat([]byte("patchbay"), 8192)
			for sent := 0; sent < size; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case http.MethodPost:
			if r.URL.Path == "/form" {
				// Multipart passes through byte for byte, boundary included.
				f, hdr, err := r.FormFile("file")
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				data, _ := io.ReadAll(f)
				fmt.Fprintf(w, "%s:%s:%s", hdr.Filename, r.FormValue("note"), data)
				return
			}
			n, _ := io.Copy(io.Discard, r.Body)
			uploaded.Store(n)
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer files.Close()
	extra := fmt.Sprintf("files:\n    display_name: Files\n    auth_mode: API_KEY\n    proxy:\n        base_url: %s\n        headers:\n            authorization: Bearer ${apiKey}\n", files.URL)
	w := newWorld(t, apptest.SQLite, extra)
	w.connection("files", "files", "f-1", nil, map[string]any{"type": "API_KEY", "apiKey": "file-key"}, nil)

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	req, _ := http.NewRequest("GET", w.pb.URL+"/proxy/big.bin", nil)
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	req.Header.Set("Provider-Config-Key", "files")
	req.Header.Set("Connection-Id", "f-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != size || resp.StatusCode != 200 {
		t.Fatalf("download: %d bytes, status %d, %v", n, resp.StatusCode, err)
	}

	up := io.LimitReader(zeroReader{}, 20<<20)
	req, _ = http.NewRequest("POST", w.pb.URL+"/proxy/upload", up)
	req.ContentLength = 20 << 20
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	req.Header.Set("Provider-Config-Key", "files")
	req.Header.Set("Connection-Id", "f-1")
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(stop)
	wg.Wait()

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "report.csv")
	io.WriteString(fw, "a,b\n1,2\n")
	mw.WriteField("note", "quarterly")
	mw.Close()
	res := w.proxy("POST", "/form", map[string]string{"Provider-Config-Key": "files", "Connection-Id": "f-1", "Content-Type": mw.FormDataContentType()}, &form)
	if res.status != 200 || string(res.body) != "report.csv:quarterly:a,b\n1,2\n" {
		t.Errorf("multipart: %d %q", res.status, res.body)
	}
	if resp.StatusCode != http.StatusCreated || uploaded.Load() != 20<<20 {
		t.Fatalf("upload: status %d, provider got %d bytes", resp.StatusCode, uploaded.Load())
	}
	if grew := int64(peak.Load()) - int64(base.HeapInuse); grew > 32<<20 {
		t.Errorf("the heap grew by %d MB while streaming 120 MB; bodies are being buffered", grew>>20)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestProxyOAuth1 signs each call as the simulated Trello checks it.
func TestProxyOAuth1(t *testing.T) {
	w := newWorld(t, apptest.SQLite, "")
	// An access token minted by the simulator's control API (the
	// three-legged flow itself is internal/auth's test).
	body := `{"scope":"read,write"}`
	resp, err := http.Post(w.sim.URL()+"/_control/trello/tokens", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("mint token: %v %v", err, resp)
	}
	var tok struct {
		Token  string `json:"token"`
		Secret string `json:"token_secret"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.Token == "" || tok.Secret == "" {
		t.Fatalf("control answered %+v", tok)
	}
	w.connection("trello", "trello", "tr-1",
		map[string]any{"type": "OAUTH1", "client_id": "trello-client-id", "client_secret": "trello-client-secret"},
		map[string]any{"type": "OAUTH1", "oauth_token": tok.Token, "oauth_token_secret": tok.Secret}, nil)
	h := map[string]string{"Provider-Config-Key": "trello", "Connection-Id": "tr-1"}
	if res := w.proxy("GET", "/1/members/me?fields=username", h, nil); res.status != 200 {
		t.Fatalf("signed GET: %d %s", res.status, truncate(res.body))
	}
	// A form body is part of the signature.
	h["Content-Type"] = "application/x-www-form-urlencoded"
	if res := w.proxy("POST", "/1/boards", h, strings.NewReader("name=Roadmap+2027&desc=a%26b")); res.status != 200 {
		t.Fatalf("signed POST: %d %s", res.status, truncate(res.body))
	}
	if got := len(w.sim.Requests(sim.RequestFilter{Provider: "trello", Note: "auth=oauth_unsigned"})); got != 0 {
		t.Errorf("%d calls were not signed", got)
	}
}

// TestPages walks each pagination type through the proxy against the
// simulator: GitHub (link header), HubSpot (cursor in the body), Jira
// (offset), with the provider's defaults merged under the caller's.
func TestPages(t *testing.T) {
	w := newWorld(t, apptest.SQLite, "")
	at, rt := githubToken(w)
	w.connection("github", "github", "gh-1",
		map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"},
		map[string]any{"type": "OAUTH2", "access_token": at, "refresh_token": rt, "expires_at": time.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)}, nil)
	hs := w.sim.OAuth.Issue(sim.Grant{Provider: "hubspot", ClientID: "hubspot-client-id", Subject: "portal-1"}, time.Hour, true)
	w.connection("hubspot", "hubspot", "hs-1",
		map[string]any{"type": "OAUTH2", "client_id": "hubspot-client-id", "client_secret": "hubspot-client-secret"},
		map[string]any{"type": "OAUTH2", "access_token": hs.AccessToken, "refresh_token": hs.RefreshToken, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, nil)
	w.connection("jira", "jira-basic", "ji-1", nil, map[string]any{"type": "BASIC", "username": jira.DefaultEmail, "password": jira.DefaultAPIToken},
		map[string]any{"subdomain": jira.DefaultSite})
	ctx := t.Context()
	env, err := w.pb.App.EnvironmentID(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	px := w.pb.App.Proxy()
	count := func(req proxy.Request, caller *catalog.PaginateConfig, limit int) (int, int) {
		t.Helper()
		req.EnvironmentID = env
		records, pages := 0, 0
		seen := map[string]bool{}
		for page, err := range px.Pages(ctx, req, caller, limit) {
			if err != nil {
				t.Fatalf("%s: %v", req.Endpoint, err)
			}
			pages++
			for _, r := range page {
				if seen[string(r)] {
					t.Fatalf("%s: a record came twice", req.Endpoint)
				}
				seen[string(r)] = true
			}
			records += len(page)
		}
		return records, pages
	}
	if n, pages := count(proxy.Request{IntegrationKey: "github", ConnectionID: "gh-1", Method: "GET", Endpoint: "/repos/octocat/hello-world/issues?state=all"}, nil, 30); n != 100 || pages != 4 {
		t.Errorf("github link pagination: %d records in %d pages, want 100 in 4", n, pages)
	}
	if n, _ := count(proxy.Request{IntegrationKey: "hubspot", ConnectionID: "hs-1", Method: "GET", Endpoint: "/crm/v3/objects/contacts"}, nil, 100); n < 100 {
		t.Errorf("hubspot cursor pagination: %d records", n)
	}
	offset := &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "startAt", LimitNameInRequest: "maxResults", ResponsePath: "values"}
	if n, pages := count(proxy.Request{IntegrationKey: "jira", ConnectionID: "ji-1", Method: "GET", Endpoint: "/rest/api/3/project/search"}, offset, 5); n != 12 || pages != 3 {
		t.Errorf("jira offset pagination: %d records in %d pages, want 12 in 3", n, pages)
	}
}

// TestProxyBaseURLOverride: an override must be the provider's base URL or
// one the integration lists, and must still pass the address policy.
func TestProxyBaseURLOverride(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "other:"+r.Header.Get("Authorization"))
	}))
	defer other.Close()
	for _, tc := range []struct {
		name     string
		networks string
		want     int
	}{
		{"loopback refused by default", "", http.StatusBadRequest},
		{"loopback allowed by configuration", "127.0.0.0/8", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &world{t: t, sim: providersim.Start(t, providersim.Options{})}
			file := filepath.Join(t.TempDir(), "providers.yaml")
			if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
				t.Fatal(err)
			}
			w.pb = apptest.Start(t, apptest.Options{Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file, "PATCHBAY_PROXY_ALLOWED_NETWORKS": tc.networks}})
			w.connection("stripe", "stripe-api-key", "st-1", nil, map[string]any{"type": "API_KEY", "apiKey": stripe.DefaultKey}, nil)
			h := map[string]string{"Provider-Config-Key": "stripe", "Connection-Id": "st-1"}

			// The provider's own base URL is always a valid override.
			h["Base-Url-Override"] = w.sim.URL() + "/stripe"
			if res := w.proxy("GET", "/v1/balance", h, nil); res.status != 200 {
				t.Fatalf("own base URL: %d %s", res.status, truncate(res.body))
			}
			// Another URL only once the integration lists it.
			h["Base-Url-Override"] = other.URL
			if res := w.proxy("GET", "/x", h, nil); res.status != 400 || !strings.Contains(string(res.body), "base_url_override_not_allowed") {
				t.Fatalf("unlisted override: %d %s", res.status, truncate(res.body))
			}
			w.api("PATCH", "/integrations/stripe", map[string]any{"settings": map[string]any{"allowed_base_urls": []string{other.URL}}}, http.StatusOK)
			res := w.proxy("GET", "/x", h, nil)
			if res.status != tc.want {
				t.Fatalf("listed override: %d %s, want %d", res.status, truncate(res.body), tc.want)
			}
			if res.status == 200 && string(res.body) != "other:Bearer "+stripe.DefaultKey {
				t.Errorf("override answered %q", res.body)
			}
		})
	}
}
