package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func githubIntegration(w *world) {
	w.createIntegration(map[string]any{
		"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret", "scopes": "repo,read:user"},
	})
}

// connectGitHub runs the whole popup flow and returns the connection.
func connectGitHub(t *testing.T, w *world) connectionJSON {
	t.Helper()
	token := w.session(nil)
	status, page := w.browser("/oauth/connect/github?connect_session_token=" + token + "&ws_client_id=nobody")
	if status != http.StatusOK {
		t.Fatalf("callback page: status %d: %s", status, page)
	}
	return w.onlyConnection("github")
}

func TestOAuth2AuthorizationCode(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, worldOptions{backend: backend})
			githubIntegration(w)
			token := w.session(nil)

			// What Patchbay sends the browser to: the catalog's authorize URL
			// with PKCE, state, scopes joined by the provider's separator.
			start := w.startURL("/oauth/connect/github?connect_session_token=" + token)
			q := start.Query()
			if !strings.HasSuffix(start.Path, "/github/login/oauth/authorize") {
				t.Fatalf("redirected to %s", start)
			}
			for name, want := range map[string]string{"client_id": "github-client-id", "response_type": "code",
				"code_challenge_method": "S256", "scope": "repo read:user", "redirect_uri": w.pb.URL + "/oauth/callback"} {
				if got := q.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if len(q.Get("state")) != 64 || len(q.Get("code_challenge")) != 43 {
				t.Errorf("state %q / code_challenge %q have unexpected lengths", q.Get("state"), q.Get("code_challenge"))
			}

			c := connectGitHub(t, w)
			if c.Credentials.Type != "OAUTH2" || !strings.HasPrefix(c.Credentials.AccessToken, "ghu_") || !strings.HasPrefix(c.Credentials.RefreshToken, "ghr_") || c.Credentials.ExpiresAt == "" {
				t.Fatalf("credentials = %+v", c.Credentials)
			}
			if c.EndUser["id"] != "user-1" {
				t.Errorf("end_user = %v", c.EndUser)
			}
			// The provider really issued it: the simulated API accepts it.
			req, _ := http.NewRequest("GET", w.sim.URL()+"/github/user", nil)
			req.Header.Set("Authorization", "Bearer "+c.Credentials.AccessToken)
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("the simulated GitHub refuses the token: %v %v", err, resp)
			} else {
				resp.Body.Close()
			}
			hooks := w.waitHooks(t, 1, func(m map[string]any) bool { return m["type"] == "auth" && m["operation"] == "creation" })
			if hooks[0]["connectionId"] != c.ConnectionID || hooks[0]["success"] != true || hooks[0]["providerConfigKey"] != "github" ||
				hooks[0]["environment"] != "dev" || hooks[0]["authMode"] != "OAUTH2" {
				t.Errorf("auth webhook = %v", hooks[0])
			}
			var settings struct {
				Data struct {
					SigningKey string `json:"signing_key"`
				} `json:"data"`
			}
			w.call("GET", "/environment/webhooks", nil, http.StatusOK, &settings)
			if settings.Data.SigningKey == "" {
				t.Fatal("GET /environment/webhooks shows no signing key")
			}
			w.hooks.verify(t, settings.Data.SigningKey)
		})
	}
}

func TestOAuth2CallbackRefusals(t *testing.T) {
	w := newWorld(t, worldOptions{})
	githubIntegration(w)
	token := w.session(nil)

	// The state parameter works once: the callback replayed saves nothing.
	start := w.startURL("/oauth/connect/github?connect_session_token=" + token)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(start.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, w.pb.URL+"/oauth/callback?") {
		t.Fatalf("provider redirected to %q", callback)
	}
	for i, wantOK := range []bool{true, false} {
		resp, err := http.Get(callback)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ok := resp.StatusCode == http.StatusOK; ok != wantOK {
			t.Errorf("callback #%d: status %d", i+1, resp.StatusCode)
		}
	}
	w.onlyConnection("github")

	// A forged state is an error page, not a connection.
	status, _ := w.browser("/oauth/callback?state=" + strings.Repeat("ab", 32) + "&code=x")
	if status < 400 {
		t.Errorf("forged state: status %d", status)
	}

	// The user denies access at the provider.
	start = w.startURL("/oauth/connect/github?connect_session_token=" + token)
	form := start.Query()
	form.Set("decision", "deny")
	resp, err = c.PostForm(start.Scheme+"://"+start.Host+start.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	denied, _ := url.Parse(resp.Header.Get("Location"))
	if denied.Query().Get("error") != "access_denied" {
		t.Fatalf("deny redirected to %s", denied)
	}
	status, page := w.browser(denied.RequestURI())
	if status < 400 || !strings.Contains(page, "access_denied") && !strings.Contains(strings.ToLower(page), "declined") {
		t.Errorf("denied: status %d, page %s", status, page)
	}
	w.onlyConnection("github") // still only the first one

	// Sessions gate the start: unknown token, integration not allowed.
	status, _ = w.browser("/oauth/connect/github?connect_session_token=nango_connect_session_" + strings.Repeat("0", 64))
	if status < 400 {
		t.Errorf("unknown session: status %d", status)
	}
	w.createIntegration(map[string]any{"unique_key": "other", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"}})
	limited := w.session(map[string]any{"allowed_integrations": []string{"other"}})
	status, _ = w.browser("/oauth/connect/github?connect_session_token=" + limited)
	if status < 400 {
		t.Errorf("integration not allowed: status %d", status)
	}
	w.onlyConnection("github")
}

// expireConnection re-imports c with an access token that expired a
// second ago, keeping the refresh token, as if it had aged.
func expireConnection(t *testing.T, w *world, key string, c connectionJSON) {
	t.Helper()
	w.call("POST", "/connections", map[string]any{
		"provider_config_key": key, "connection_id": c.ConnectionID,
		"credentials": map[string]any{"type": "OAUTH2", "access_token": c.Credentials.AccessToken,
			"refresh_token": c.Credentials.RefreshToken, "expires_at": time.Now().Add(-time.Second).UTC().Format(time.RFC3339)},
	}, http.StatusOK, nil)
}

func refreshCount(w *world) int {
	return len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"}))
}

// hammer sends n concurrent GETs of the connection and returns the access
// tokens they saw.
func hammer(t *testing.T, urls []string, key, id string, n int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	// Its own transport, closed at the end: connections it dialled but did
	// not need would otherwise keep the server's graceful shutdown waiting.
	transport := &http.Transport{MaxIdleConnsPerHost: n}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", urls[i%len(urls)]+"/connections/"+url.PathEscape(id)+"?provider_config_key="+key, nil)
			req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
			resp, err := client.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			var c connectionJSON
			if resp.StatusCode != http.StatusOK {
				errs <- resp.Status
				return
			}
			if err := jsonDecode(resp, &c); err != nil {
				errs <- err.Error()
				return
			}
			mu.Lock()
			seen[c.Credentials.AccessToken]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("request failed: %s", e)
	}
	return seen
}

func TestRefreshRaceOneNode(t *testing.T) {
	w := newWorld(t, worldOptions{})
	githubIntegration(w)
	c := connectGitHub(t, w)
	expireConnection(t, w, "github", c)
	before := refreshCount(w)

	seen := hammer(t, []string{w.pb.URL}, "github", c.ConnectionID, 200)
	if got := refreshCount(w) - before; got != 1 {
		t.Errorf("the provider saw %d refreshes for 200 concurrent users, want 1", got)
	}
	if len(seen) != 1 || seen[c.Credentials.AccessToken] != 0 {
		t.Errorf("callers saw tokens %v; want all 200 on one new token", seen)
	}
	after := w.connection("github", c.ConnectionID)
	if after.Credentials.RefreshToken == c.Credentials.RefreshToken {
		t.Errorf("the rotated refresh token was not saved")
	}
	// Fresh now: no further refresh.
	hammer(t, []string{w.pb.URL}, "github", c.ConnectionID, 20)
	if got := refreshCount(w) - before; got != 1 {
		t.Errorf("a fresh token was refreshed again (%d refreshes)", got)
	}
	// force_refresh always refreshes, with the latest refresh token.
	w.call("GET", "/connections/"+c.ConnectionID+"?provider_config_key=github&force_refresh=true", nil, http.StatusOK, nil)
	if got := refreshCount(w) - before; got != 2 {
		t.Errorf("force_refresh: %d refreshes, want 2", got)
	}
}

func TestRefreshRaceTwoNodes(t *testing.T) {
	if !contains(apptest.Backends(), apptest.Postgres) {
		t.Skip("needs PostgreSQL (PATCHBAY_TEST_DATABASE_URL)")
	}
	w := newWorld(t, worldOptions{backend: apptest.Postgres})
	// A second node on the same database, same key, same catalog.
	env := map[string]string{}
	for k, v := range w.pb.Env {
		env[k] = v
	}
	env["PATCHBAY_ADDR"] = "127.0.0.1:0"
	second := apptest.Start(t, apptest.Options{Backend: apptest.Postgres, Env: env})

	githubIntegration(w)
	c := connectGitHub(t, w)
	expireConnection(t, w, "github", c)
	before := refreshCount(w)
	seen := hammer(t, []string{w.pb.URL, second.URL}, "github", c.ConnectionID, 200)
	if got := refreshCount(w) - before; got != 1 {
		t.Errorf("two nodes: the provider saw %d refreshes for 200 concurrent users, want 1", got)
	}
	if len(seen) != 1 {
		t.Errorf("callers saw %d different tokens, want 1: %v", len(seen), seen)
	}
}

func TestRevokedRefreshToken(t *testing.T) {
	logs := &apptest.LogBuffer{}
	w := newWorld(t, worldOptions{logs: logs})
	githubIntegration(w)
	c := connectGitHub(t, w)
	expireConnection(t, w, "github", c)
	if n := w.sim.OAuth.RevokeSubject("github", "octocat"); n == 0 {
		t.Fatal("nothing revoked at the simulator")
	}
	before := refreshCount(w)
	for range 5 {
		status, body := w.do(apptest.DevKey, "GET", "/connections/"+c.ConnectionID+"?provider_config_key=github", nil)
		if status != http.StatusFailedDependency || !strings.Contains(string(body), "connection_refresh_failed") {
			t.Fatalf("status %d: %s", status, body)
		}
		if strings.Contains(string(body), c.Credentials.RefreshToken) {
			t.Fatal("the error echoes the refresh token")
		}
	}
	if got := refreshCount(w) - before; got != 1 {
		t.Errorf("%d refresh attempts reached the provider after a permanent failure, want 1 (no retry storm)", got)
	}
	hooks := w.waitHooks(t, 1, func(m map[string]any) bool { return m["operation"] == "refresh" })
	if hooks[0]["success"] != false || hooks[0]["connectionId"] != c.ConnectionID {
		t.Errorf("refresh webhook = %v", hooks[0])
	}
	// The list shows the connection as unhealthy.
	var list struct {
		Connections []struct {
			Errors []map[string]any `json:"errors"`
		} `json:"connections"`
	}
	w.call("GET", "/connections?integrationId=github", nil, http.StatusOK, &list)
	if len(list.Connections) != 1 || len(list.Connections[0].Errors) == 0 || list.Connections[0].Errors[0]["type"] != "auth" {
		t.Errorf("connections = %+v", list)
	}
	// Re-authorising through a reconnect session heals it.
	var re struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	w.call("POST", "/connect/sessions/reconnect", map[string]any{"connection_id": c.ConnectionID, "integration_id": "github"}, http.StatusCreated, &re)
	if status, page := w.browser("/oauth/connect/github?connect_session_token=" + re.Data.Token); status != http.StatusOK {
		t.Fatalf("reconnect: status %d: %s", status, page)
	}
	healed := w.onlyConnection("github")
	if len(healed.Errors) != 0 || healed.Credentials.AccessToken == c.Credentials.AccessToken {
		t.Errorf("after reconnect: errors %v, same token %v", healed.Errors, healed.Credentials.AccessToken == c.Credentials.AccessToken)
	}
	if got := len(w.hooks.matching(func(m map[string]any) bool { return m["operation"] == "refresh" })); got != 1 {
		t.Errorf("%d refresh webhooks, want exactly 1", got)
	}
	w.waitHooks(t, 1, func(m map[string]any) bool { return m["operation"] == "override" })

	// Nothing secret reached the debug logs on the way.
	for _, secret := range []string{c.Credentials.AccessToken, c.Credentials.RefreshToken, healed.Credentials.AccessToken,
		healed.Credentials.RefreshToken, "github-client-secret", re.Data.Token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the server logs contain a secret")
		}
	}
	if !strings.Contains(logs.String(), "connection authorised") {
		t.Error("the debug logs were not captured")
	}
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// waitHooks waits (up to 5 s) for n webhooks matching match.
func (w *world) waitHooks(t *testing.T, n int, match func(map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := w.hooks.matching(match)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d matching webhooks, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tokenRequests(w *world) int {
	return len(w.sim.Requests(sim.RequestFilter{Provider: "github", Method: "POST", Path: "/github/login/oauth/access_token"}))
}

// TestTransientRefreshFailures: a provider that fails with 5xx is retried
// with backoff; if it keeps failing the connection stays healthy, callers
// get a clear error and the provider is left alone during the cooldown.
func TestTransientRefreshFailures(t *testing.T) {
	w := newWorld(t, worldOptions{})
	githubIntegration(w)
	c := connectGitHub(t, w)
	expireConnection(t, w, "github", c)
	path := "/connections/" + c.ConnectionID + "?provider_config_key=github"

	// Two failures, then success within one refresh.
	w.sim.Faults().Add(sim.Fault{Kind: sim.FaultError, Provider: "github", Path: "/github/login/oauth/access_token", Status: 503, Count: 2})
	before := tokenRequests(w)
	var got connectionJSON
	w.call("GET", path, nil, http.StatusOK, &got)
	if n := tokenRequests(w) - before; n != 3 {
		t.Errorf("%d token requests, want 3 (two failures, one success)", n)
	}
	if got.Credentials.AccessToken == c.Credentials.AccessToken {
		t.Error("the token was not refreshed")
	}

	// Failing for good: three attempts, then a 502, and the cooldown keeps
	// further callers from reaching the provider.
	w.sim.Faults().Clear()
	expireConnection(t, w, "github", w.connection("github", c.ConnectionID))
	w.sim.Faults().Add(sim.Fault{Kind: sim.FaultError, Provider: "github", Path: "/github/login/oauth/access_token", Status: 502})
	before = tokenRequests(w)
	status, body := w.do(apptest.DevKey, "GET", path, nil)
	if status != http.StatusBadGateway || !strings.Contains(string(body), "connection_refresh_failed") {
		t.Fatalf("status %d: %s", status, body)
	}
	if n := tokenRequests(w) - before; n != 3 {
		t.Errorf("%d token requests, want 3 attempts", n)
	}
	status, body = w.do(apptest.DevKey, "GET", path, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "connection_refresh_cooldown") {
		t.Errorf("during the cooldown: status %d: %s", status, body)
	}
	if n := tokenRequests(w) - before; n != 3 {
		t.Errorf("the cooldown let %d more token requests through", n-3)
	}
	var list struct {
		Connections []struct {
			Errors []map[string]any `json:"errors"`
		} `json:"connections"`
	}
	w.call("GET", "/connections?integrationId=github", nil, http.StatusOK, &list)
	if len(list.Connections) != 1 || len(list.Connections[0].Errors) != 0 {
		t.Errorf("a transient failure marked the connection unhealthy: %+v", list)
	}
}
