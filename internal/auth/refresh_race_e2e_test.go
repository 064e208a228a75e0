package auth_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
)

// raceRuns and raceCallers size the refresh race tests: 20 consecutive
// runs of 200 concurrent callers, the load that found the race.
const (
	raceRuns    = 20
	raceCallers = 200
)

// TestEarlyExpiryRefreshesOnce: the provider expires the access token
// while Patchbay still believes it valid, so 200 concurrent proxied calls
// all get the provider's 401 at about the same time. Between them they
// must refresh exactly once (GitHub retires the access token on refresh,
// so a second refresh would break callers of the first one's token) and
// no caller may receive the provider's 401. On PostgreSQL the callers are
// split over two nodes.
func TestEarlyExpiryRefreshesOnce(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			r := newRaceWorld(t, backend)
			start := time.Now()
			for run := range raceRuns {
				// GitHub user tokens live 8 h; Patchbay's clock stays put, so
				// it still thinks the token has about 8 h left.
				r.sim.Clock.Advance(9 * time.Hour)
				before := refreshCount(r.world)
				statuses, _ := burst(t, raceCallers, func(i int) *http.Request {
					req, _ := http.NewRequest("GET", r.urls[i%len(r.urls)]+"/proxy/user", nil)
					req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
					req.Header.Set("Provider-Config-Key", "github")
					req.Header.Set("Connection-Id", r.conn.ConnectionID)
					return req
				})
				refreshes := refreshCount(r.world) - before
				t.Logf("run %d: %d refreshes, statuses %v", run+1, refreshes, statuses)
				if refreshes != 1 || statuses[http.StatusOK] != raceCallers {
					t.Errorf("run %d: %d refreshes (want 1), statuses %v (want %d × 200; %d callers got the provider's 401)",
						run+1, refreshes, statuses, raceCallers, statuses[http.StatusUnauthorized])
				}
			}
			t.Logf("%d runs of %d proxied calls on %d node(s) in %s", raceRuns, raceCallers, len(r.urls), time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestForceRefreshCoalesces: 200 concurrent force_refresh calls, all
// asked before the refresh they share has finished, cause one refresh
// and all get its token; a call asked after it refreshes again. The
// provider's token endpoint is held until every call has been asked, so
// that "concurrent" does not depend on how fast this machine is.
func TestForceRefreshCoalesces(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			r := newRaceWorld(t, backend)
			path := "/connections/" + url.PathEscape(r.conn.ConnectionID) + "?provider_config_key=github&force_refresh=true"
			start := time.Now()
			for run := range raceRuns {
				before := refreshCount(r.world)
				prev := r.connection("github", r.conn.ConnectionID).Credentials.AccessToken
				asked := r.asked.count()
				r.gate.shut()
				done := make(chan struct{})
				var statuses map[int]int
				var tokens map[string]int
				go func() {
					defer close(done)
					statuses, tokens = burst(t, raceCallers, func(i int) *http.Request {
						req, _ := http.NewRequest("GET", r.urls[i%len(r.urls)]+path, nil)
						req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
						return req
					})
				}()
				r.asked.waitFor(t, asked+raceCallers)
				r.gate.open()
				<-done
				refreshes := refreshCount(r.world) - before
				if refreshes != 1 || statuses[http.StatusOK] != raceCallers || len(tokens) != 1 || tokens[prev] != 0 {
					t.Errorf("run %d: %d refreshes (want 1), statuses %v, tokens %v (want all on one new token)", run+1, refreshes, statuses, tokens)
				}
			}
			t.Logf("%d runs of %d force_refresh calls on %d node(s) in %s", raceRuns, raceCallers, len(r.urls), time.Since(start).Round(time.Millisecond))

			// Asked after the last refresh finished: refreshes again.
			before := refreshCount(r.world)
			for _, u := range r.urls {
				statuses, _ := burst(t, 1, func(int) *http.Request {
					req, _ := http.NewRequest("GET", u+path, nil)
					req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
					return req
				})
				if statuses[http.StatusOK] != 1 {
					t.Fatalf("force_refresh on %s: statuses %v", u, statuses)
				}
			}
			if got := refreshCount(r.world) - before; got != len(r.urls) {
				t.Errorf("%d sequential force_refresh calls made %d refreshes", len(r.urls), got)
			}
		})
	}
}

// raceWorld is a world whose GitHub token endpoint can be held shut, with
// a second node on PostgreSQL, and a connected GitHub account.
type raceWorld struct {
	*world
	urls  []string // the nodes
	gate  *tokenGate
	asked *logCounter // forced refreshes asked, over all nodes
	conn  connectionJSON
}

func newRaceWorld(t *testing.T, backend apptest.Backend) *raceWorld {
	t.Helper()
	r := &raceWorld{gate: &tokenGate{}, asked: &logCounter{match: []byte(`msg="forced refresh asked"`)}}
	s := providersim.New(providersim.Options{})
	srv := httptest.NewServer(r.gate.wrap(s, "/github/login/oauth/access_token"))
	s.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		r.gate.open()
		srv.Close()
		s.Webhooks().Wait()
	})
	w := &world{t: t, sim: s, hooks: startHookRecorder(t)}
	catalogFile := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(catalogFile, []byte(s.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	w.pb = apptest.Start(t, apptest.Options{Backend: backend, RealURL: true, Logs: r.asked,
		Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": catalogFile}})
	r.world, r.urls = w, []string{w.pb.URL}
	if backend == apptest.Postgres {
		// A second node on the same database, key and catalog.
		env := map[string]string{}
		for k, v := range w.pb.Env {
			env[k] = v
		}
		env["PATCHBAY_ADDR"] = "127.0.0.1:0"
		second := apptest.Start(t, apptest.Options{Backend: backend, Env: env, Logs: r.asked})
		r.urls = append(r.urls, second.URL)
	}
	// Patchbay's own throttle (the catalog's 5000 calls an hour) would
	// hold the later runs back; the simulator's clock moves 9 h a run.
	w.createIntegration(map[string]any{
		"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret", "scopes": "repo,read:user"},
		"settings":    map[string]any{"rate_limit": map[string]any{"requests": 1_000_000, "interval": "1s"}},
	})
	r.conn = connectGitHub(t, w)
	return r
}

// burst sends n requests at once and returns their statuses and, for
// connection reads, the access tokens they returned.
func burst(t *testing.T, n int, request func(i int) *http.Request) (map[int]int, map[string]int) {
	t.Helper()
	// Its own transport, closed at the end: connections it dialled but did
	// not need would otherwise keep a server's graceful shutdown waiting.
	transport := &http.Transport{MaxIdleConnsPerHost: n}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	var mu sync.Mutex
	statuses, tokens := map[int]int{}, map[string]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Do(request(i))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			var c connectionJSON
			if resp.StatusCode == http.StatusOK && resp.Request.URL.Path != "/proxy/user" {
				if err := jsonDecode(resp, &c); err != nil {
					t.Errorf("request %d: %v", i, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if c.Credentials.AccessToken != "" {
				tokens[c.Credentials.AccessToken]++
			}
		}()
	}
	wg.Wait()
	return statuses, tokens
}

// tokenGate holds requests to one path of a handler while shut.
type tokenGate struct {
	mu     sync.Mutex
	closed chan struct{} // non-nil while shut; closed to open
}

func (g *tokenGate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed == nil {
		g.closed = make(chan struct{})
	}
}

func (g *tokenGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed != nil {
		close(g.closed)
		g.closed = nil
	}
}

func (g *tokenGate) wrap(h http.Handler, path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			g.mu.Lock()
			wait := g.closed
			g.mu.Unlock()
			if wait != nil {
				select {
				case <-wait:
				case <-r.Context().Done():
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// logCounter is a server log that counts the lines containing match.
type logCounter struct {
	match []byte
	mu    sync.Mutex
	n     int
	tail  []byte // an unfinished line
}

func (l *logCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := append(l.tail, p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if bytes.Contains(buf[:i], l.match) {
			l.n++
		}
		buf = buf[i+1:]
	}
	l.tail = append(l.tail[:0:0], buf...)
	return len(p), nil
}

func (l *logCounter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// waitFor waits until n lines have matched. The deadline only turns a
// hang into a failure; nothing is asserted about how long it takes.
func (l *logCounter) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for l.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls asked in 2 minutes", l.count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
