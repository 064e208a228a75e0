package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

type fakeConns struct {
	conn   *store.Connection
	forced int
}

func (f *fakeConns) Connection(_ context.Context, _, _, _ string, force bool) (*store.Connection, error) {
	if force {
		f.forced++
	}
	c := *f.conn
	return &c, nil
}

func (f *fakeConns) Renew(context.Context, *store.Connection) (*store.Connection, bool, error) {
	f.forced++
	c := *f.conn
	return &c, true, nil
}

type fakeIntegrations struct{ in *store.Integration }

func (f fakeIntegrations) Get(context.Context, string, string) (*store.Integration, error) {
	return f.in, nil
}

type memRecorder struct {
	mu    sync.Mutex
	calls []Call
}

func (m *memRecorder) Record(_ context.Context, c Call) {
	m.mu.Lock()
	m.calls = append(m.calls, c)
	m.mu.Unlock()
}

// testProxy builds a Proxy whose only provider, "p", lives at srv with the
// given proxy config; sleeps are recorded, not slept.
func testProxy(t *testing.T, srv *httptest.Server, cfg string, creds store.Credentials) (*Proxy, *memRecorder, *[]time.Duration) {
	t.Helper()
	yaml := "p:\n    display_name: P\n    auth_mode: " + creds.Type + "\n    proxy:\n        base_url: " + srv.URL + "\n" + cfg
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	rec := &memRecorder{}
	var sleeps []time.Duration
	p := New(Options{
		Connections:  &fakeConns{conn: &store.Connection{ID: "row", Provider: "p", ConnectionID: "c", Credentials: creds}},
		Integrations: fakeIntegrations{&store.Integration{UniqueKey: "p", Provider: "p"}},
		Catalog:      cat,
		Recorder:     rec,
		Sleep: func(ctx context.Context, d time.Duration) error {
			sleeps = append(sleeps, d)
			return ctx.Err()
		},
	})
	return p, rec, &sleeps
}

func TestDoRetriesAndRecords(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Query().Get("api_key") != "secret-key" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		if calls == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	p, rec, sleeps := testProxy(t, srv, "        query:\n            api_key: ${apiKey}\n", store.Credentials{Type: "API_KEY", APIKey: "secret-key"})
	resp, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/things?limit=2", Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"ok":true}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if len(*sleeps) != 1 || (*sleeps)[0] != 7*time.Second {
		t.Errorf("waits %v, want the provider's Retry-After of 7s", *sleeps)
	}
	if len(rec.calls) != 1 {
		t.Fatalf("%d calls recorded", len(rec.calls))
	}
	c := rec.calls[0]
	if c.Attempts != 2 || c.Status != 200 || c.ResponseBytes != int64(len(body)) || strings.Contains(c.URL, "secret-key") || !strings.Contains(c.URL, "limit=2") {
		t.Errorf("recorded %+v", c)
	}
}

func TestDoDecompressAndPassThrough(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/missing" {
			w.Header().Set("X-Provider", "1")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found"}`)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		io.WriteString(gz, "hello, compressed world")
		gz.Close()
	}))
	defer srv.Close()
	p, _, _ := testProxy(t, srv, "", store.Credentials{Type: "OAUTH2", AccessToken: "at"})
	for _, decompress := range []bool{false, true} {
		resp, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/z", Decompress: decompress})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		plain := string(body) == "hello, compressed world"
		if plain != decompress || (resp.Header.Get("Content-Encoding") == "") != decompress {
			t.Errorf("decompress=%v: body %q, encoding %q", decompress, body, resp.Header.Get("Content-Encoding"))
		}
	}
	resp, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/missing"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("X-Provider") != "1" || !bytes.Contains(body, []byte("Not Found")) {
		t.Errorf("provider error changed on the way: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

func TestDoDoesNotRetryPostWithoutConsent(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	p, _, _ := testProxy(t, srv, "", store.Credentials{Type: "OAUTH2", AccessToken: "at"})
	for _, tc := range []struct {
		retries, want int
	}{{0, 1}, {2, 3}} {
		calls = 0
		resp, err := p.Do(context.Background(), &Request{Method: "POST", Endpoint: "/x", Body: strings.NewReader(`{"a":1}`), ContentLength: 7, Retries: tc.retries})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if calls != tc.want {
			t.Errorf("Retries %d: provider saw %d POSTs, want %d", tc.retries, calls, tc.want)
		}
	}
}

func TestDoRedirects(t *testing.T) {
	var posts, olds int
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			olds++
			http.Redirect(w, r, "/new", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/new":
			if r.Header.Get("Authorization") != "Bearer at" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			io.WriteString(w, "moved here")
		case "/away":
			http.Redirect(w, r, "http://example.invalid/steal", http.StatusFound)
		case "/post":
			posts++
			http.Redirect(w, r, srvURL+"/new", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	srvURL = srv.URL
	p, _, _ := testProxy(t, srv, "", store.Credentials{Type: "OAUTH2", AccessToken: "at"})
	resp, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/old"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "moved here" || olds != 1 {
		t.Errorf("same-host redirect: %d %q, the old URL asked %d times", resp.StatusCode, body, olds)
	}
	if _, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/loop"}); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: %v", err)
	}
	if _, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/away"}); err == nil {
		t.Error("a redirect to another host was followed")
	}
	resp, err = p.Do(context.Background(), &Request{Method: "POST", Endpoint: "/post", Body: strings.NewReader("x"), ContentLength: 1})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if posts != 1 {
		t.Errorf("a redirected POST reached the provider %d times", posts)
	}
}
