package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// appKey is one RSA key for every GitHub App test (generating is slow).
var appKey = sync.OnceValue(func() string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
})

// registerApp registers a GitHub App at the simulator, as a customer does
// in GitHub's settings.
func registerApp(t *testing.T, w *world, app map[string]any) {
	t.Helper()
	body, _ := json.Marshal(app)
	resp, err := http.Post(w.sim.URL()+"/_control/github/apps", "application/json", strings.NewReader(string(body)))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register app: %v %v", err, resp)
	}
	resp.Body.Close()
}

func TestGitHubApp(t *testing.T) {
	w := newWorld(t, worldOptions{})
	pemKey := appKey()
	registerApp(t, w, map[string]any{"app_id": 4242, "slug": "patchbay-test", "private_key": pemKey,
		"setup_url": w.pb.URL + "/app-auth/connect"})
	w.createIntegration(map[string]any{"unique_key": "github-app", "provider": "github-app",
		"credentials": map[string]any{"type": "APP", "app_id": "4242", "app_link": w.sim.URL() + "/github/apps/patchbay-test", "private_key": pemKey}})

	status, page := w.browser("/oauth/connect/github-app?connect_session_token=" + w.session(nil))
	if status != http.StatusOK {
		t.Fatalf("install flow: status %d: %s", status, page)
	}
	c := w.onlyConnection("github-app")
	if c.Credentials.Type != "APP" || !strings.HasPrefix(c.Credentials.AccessToken, "ghs_") || c.Credentials.ExpiresAt == "" {
		t.Fatalf("credentials = %+v", c.Credentials)
	}
	if c.ConnectionConfig["installation_id"] == nil {
		t.Errorf("connection_config = %v", c.ConnectionConfig)
	}
	// An installation token cannot be refreshed, only minted again with
	// the app's JWT.
	var forced connectionJSON
	w.call("GET", "/connections/"+c.ConnectionID+"?provider_config_key=github-app&force_refresh=true", nil, http.StatusOK, &forced)
	if forced.Credentials.AccessToken == c.Credentials.AccessToken || !strings.HasPrefix(forced.Credentials.AccessToken, "ghs_") {
		t.Errorf("force_refresh kept the installation token or lost it: %+v", forced.Credentials)
	}
	// A wrong state on the setup URL saves nothing.
	if status, _ := w.browser("/app-auth/connect?installation_id=1&setup_action=install&state=bogus"); status < 400 {
		t.Errorf("bogus state: status %d", status)
	}
	w.onlyConnection("github-app")
}

// TestGitHubAppOAuth: an app that asks for user authorisation during
// installation (github-app-oauth, auth mode CUSTOM) yields both an
// installation token and a user token, and both are renewed.
func TestGitHubAppOAuth(t *testing.T) {
	w := newWorld(t, worldOptions{})
	pemKey := appKey()
	registerApp(t, w, map[string]any{"app_id": 4343, "slug": "patchbay-oauth", "private_key": pemKey,
		"client_id": "app-client-id", "client_secret": "app-client-secret", "callback_url": w.pb.URL + "/oauth/callback"})
	w.createIntegration(map[string]any{"unique_key": "gh-app-oauth", "provider": "github-app-oauth",
		"credentials": map[string]any{"type": "CUSTOM", "client_id": "app-client-id", "client_secret": "app-client-secret",
			"app_id": "4343", "app_link": w.sim.URL() + "/github/apps/patchbay-oauth", "private_key": pemKey}})

	if status, page := w.browser("/oauth/connect/gh-app-oauth?connect_session_token=" + w.session(nil)); status != http.StatusOK {
		t.Fatalf("install flow: status %d: %s", status, page)
	}
	var c struct {
		ConnectionID     string         `json:"connection_id"`
		ConnectionConfig map[string]any `json:"connection_config"`
		Credentials      struct {
			Type        string `json:"type"`
			AccessToken string `json:"access_token"`
			User        *struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			} `json:"user"`
		} `json:"credentials"`
	}
	id := w.onlyConnection("gh-app-oauth").ConnectionID
	path := "/connections/" + id + "?provider_config_key=gh-app-oauth&refresh_token=true"
	w.call("GET", path, nil, http.StatusOK, &c)
	if c.Credentials.Type != "CUSTOM" || !strings.HasPrefix(c.Credentials.AccessToken, "ghs_") || c.ConnectionConfig["installation_id"] == nil {
		t.Fatalf("connection = %+v", c)
	}
	if c.Credentials.User == nil || !strings.HasPrefix(c.Credentials.User.AccessToken, "ghu_") || c.Credentials.User.RefreshToken == "" {
		t.Fatalf("no user token in %+v", c.Credentials)
	}
	first := c.Credentials.AccessToken
	w.call("GET", path+"&force_refresh=true", nil, http.StatusOK, &c)
	if c.Credentials.AccessToken == first || c.Credentials.User == nil {
		t.Errorf("force_refresh: installation token kept or user token lost: %+v", c.Credentials)
	}
}

func TestSlackNestedTokenResponse(t *testing.T) {
	w := newWorld(t, worldOptions{backend: apptest.SQLite})
	w.createIntegration(map[string]any{"unique_key": "slack", "provider": "slack",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "slack-client-id", "client_secret": "slack-client-secret", "scopes": "channels:read,chat:write"}})
	start := w.startURL("/oauth/connect/slack?connect_session_token=" + w.session(nil) + "&user_scope=search:read")
	if got := start.Query().Get("scope"); got != "channels:read,chat:write" {
		t.Errorf("scope = %q, want Slack's comma separator", got)
	}
	if got := start.Query().Get("user_scope"); got != "search:read" {
		t.Errorf("user_scope = %q", got)
	}
	if status, page := w.browser("/oauth/connect/slack?connect_session_token=" + w.session(nil) + "&user_scope=search:read"); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, page)
	}
	c := w.onlyConnection("slack")
	if !strings.HasPrefix(c.Credentials.AccessToken, "xoxb-") {
		t.Errorf("access_token = %q, want the bot token", c.Credentials.AccessToken)
	}
	var raw map[string]any
	if err := json.Unmarshal(c.Credentials.Raw, &raw); err != nil || raw["authed_user"] == nil {
		t.Errorf("raw = %s, want Slack's nested authed_user kept", c.Credentials.Raw)
	}
}

func TestOAuth1Trello(t *testing.T) {
	w := newWorld(t, worldOptions{backend: apptest.SQLite})
	w.createIntegration(map[string]any{"unique_key": "trello", "provider": "trello",
		"credentials": map[string]any{"type": "OAUTH1", "client_id": "trello-client-id", "client_secret": "trello-client-secret", "scopes": "read,write"}})
	start := w.startURL("/oauth/connect/trello?connect_session_token=" + w.session(nil))
	if start.Query().Get("oauth_token") == "" || start.Query().Get("scope") != "read,write" || start.Query().Get("expiration") != "never" {
		t.Errorf("authorize URL %s lacks the request token, scope or catalog parameters", start)
	}
	if status, page := w.browser("/oauth/connect/trello?connect_session_token=" + w.session(nil)); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, page)
	}
	c := w.onlyConnection("trello")
	if c.Credentials.Type != "OAUTH1" || c.Credentials.OAuthToken == "" || c.Credentials.OAuthTokenSecret == "" {
		t.Fatalf("credentials = %+v", c.Credentials)
	}
	// The access token works at the simulated API with a key+token query.
	resp, err := http.Get(w.sim.URL() + "/trello/1/members/me?key=trello-client-id&token=" + c.Credentials.OAuthToken)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("members/me with the saved token: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestGitHubAppImportByInstallation: an installation imported by its
// installation_id alone, as Nango takes it, gets its token minted at once;
// and refresh_github_app_jwt_token gives the app's own JWT, which GitHub
// takes as the app.
func TestGitHubAppImportByInstallation(t *testing.T) {
	w := newWorld(t, worldOptions{})
	pemKey := appKey()
	registerApp(t, w, map[string]any{"app_id": 4545, "slug": "patchbay-import", "private_key": pemKey})
	resp, err := http.Post(w.sim.URL()+"/_control/github/installations", "application/json",
		strings.NewReader(`{"id":45450001,"app_id":4545,"account":"octocat","repositories":["octocat/hello-world"]}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("install the app: %v %v", err, resp)
	}
	resp.Body.Close()
	w.createIntegration(map[string]any{"unique_key": "gh-import", "provider": "github-app",
		"credentials": map[string]any{"type": "APP", "app_id": "4545", "app_link": w.sim.URL() + "/github/apps/patchbay-import", "private_key": pemKey}})

	var c connectionJSON
	w.call("POST", "/connections", map[string]any{"provider_config_key": "gh-import", "connection_id": "imported",
		"credentials": map[string]any{"type": "APP", "app_id": "4545", "installation_id": "45450001"}}, http.StatusCreated, &c)
	if c.Credentials.Type != "APP" || !strings.HasPrefix(c.Credentials.AccessToken, "ghs_") || c.Credentials.ExpiresAt == "" {
		t.Fatalf("credentials = %+v", c.Credentials)
	}
	if c.ConnectionConfig["installation_id"] != "45450001" {
		t.Errorf("connection_config = %v", c.ConnectionConfig)
	}
	// Neither a token nor an installation: refused, naming the field.
	status, raw := w.do(apptest.DevKey, "POST", "/connections", map[string]any{"provider_config_key": "gh-import", "connection_id": "nothing",
		"credentials": map[string]any{"type": "APP", "app_id": "4545"}})
	if status != http.StatusBadRequest || !strings.Contains(string(raw), `"installation_id"`) {
		t.Errorf("import without installation: %d %s", status, raw)
	}

	var withJWT struct {
		Credentials map[string]any `json:"credentials"`
	}
	w.call("GET", "/connections/imported?provider_config_key=gh-import&refresh_github_app_jwt_token=true", nil, http.StatusOK, &withJWT)
	appJWT, _ := withJWT.Credentials["jwtToken"].(string)
	req, _ := http.NewRequest("GET", w.sim.URL()+"/github/app", nil)
	req.Header.Set("Authorization", "Bearer "+appJWT)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var app struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&app); err != nil || resp.StatusCode != http.StatusOK || app.ID != 4545 {
		t.Errorf("GET /app as the jwtToken: %d %+v %v", resp.StatusCode, app, err)
	}
}
