package slack

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	const base = "http://127.0.0.1:9999"
	e := simtest.Entry(t, New(Options{}), base, "slack")
	got := map[string]string{
		"authorization_url": e.AuthorizationURL,
		"token_url":         e.TokenURL,
		"proxy.base_url":    e.Proxy.BaseURL,
		"scope_separator":   e.ScopeSeparator,
		"alternate path":    e.AlternateAccessTokenResponsePath,
		"paginate cursor":   e.Proxy.Paginate.CursorPathInResponse,
	}
	want := map[string]string{
		"authorization_url": base + "/slack/oauth/v2/authorize",
		"token_url":         base + "/slack/api/oauth.v2.access",
		"proxy.base_url":    base + "/slack/api",
		"scope_separator":   ",",
		"alternate path":    "authed_user",
		"paginate cursor":   "response_metadata.next_cursor",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestOAuthAuthedUserNesting checks where each token lands: the bot token
// at the top level only with bot scopes, the user token under authed_user
// only with user scopes, and that each works and is what it claims.
func TestOAuthAuthedUserNesting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, scope, userScope string
		wantBot, wantUser      bool
	}{
		{"bot only", "users:read,chat:write", "", true, false},
		{"user only", "", "search:read,users:read", false, true},
		{"both", "channels:read", "users:read", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sim.Options{}, Options{})
			q := url.Values{}
			if tt.scope != "" {
				q.Set("scope", tt.scope)
			}
			if tt.userScope != "" {
				q.Set("user_scope", tt.userScope)
			}
			code := b.authorize(t, q)
			m := wantOK(t, b.access(t, exchangeForm(code)))
			if m["app_id"] != "A01SIMAPP0" || m["enterprise"] != nil || m["is_enterprise_install"] != false {
				t.Errorf("app/enterprise fields: %v", m)
			}
			if team, _ := m["team"].(map[string]any); team["id"] != b.ws.id || team["name"] != b.ws.name {
				t.Errorf("team = %v", m["team"])
			}
			au, _ := m["authed_user"].(map[string]any)
			if au["id"] != b.ws.ownerID {
				t.Errorf("authed_user.id = %v, want the installer %s", au["id"], b.ws.ownerID)
			}

			botToken, _ := m["access_token"].(string)
			if got := botToken != ""; got != tt.wantBot {
				t.Fatalf("top-level access_token present = %v, want %v: %v", got, tt.wantBot, m)
			}
			if tt.wantBot {
				if !strings.HasPrefix(botToken, "xoxb-") || m["token_type"] != "bot" || m["scope"] != tt.scope || m["bot_user_id"] != b.ws.botUserID {
					t.Errorf("bot token fields: %v", m)
				}
				at := wantOK(t, b.call(t, "auth.test", botToken, nil))
				if at["bot_id"] != b.ws.botID || at["user_id"] != b.ws.botUserID {
					t.Errorf("auth.test with the bot token: %v", at)
				}
			} else if _, ok := m["token_type"]; ok {
				t.Errorf("token_type without a bot token: %v", m)
			}

			userToken, _ := au["access_token"].(string)
			if got := userToken != ""; got != tt.wantUser {
				t.Fatalf("authed_user.access_token present = %v, want %v: %v", got, tt.wantUser, au)
			}
			if tt.wantUser {
				if !strings.HasPrefix(userToken, "xoxp-") || au["token_type"] != "user" || au["scope"] != tt.userScope {
					t.Errorf("user token fields: %v", au)
				}
				at := wantOK(t, b.call(t, "auth.test", userToken, nil))
				if _, ok := at["bot_id"]; ok || at["user_id"] != b.ws.ownerID {
					t.Errorf("auth.test with the user token: %v", at)
				}
			} else if len(au) != 1 {
				t.Errorf("authed_user should hold only the id: %v", au)
			}
		})
	}
}

func TestOAuthErrorsAre200(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	def := sim.DefaultClient(name)
	tests := []struct {
		name string
		form func(t testing.TB) url.Values
		want string
	}{
		{"unknown code", func(t testing.TB) url.Values { return exchangeForm("nope") }, "invalid_code"},
		{"code used twice", func(t testing.TB) url.Values {
			code := b.authorize(t, url.Values{"scope": {"chat:write"}})
			wantOK(t, b.access(t, exchangeForm(code)))
			return exchangeForm(code)
		}, "invalid_code"},
		{"unknown client", func(t testing.TB) url.Values {
			f := exchangeForm(b.authorize(t, url.Values{"scope": {"chat:write"}}))
			f.Set("client_id", "someone-else")
			return f
		}, "invalid_client_id"},
		{"wrong secret", func(t testing.TB) url.Values {
			f := exchangeForm(b.authorize(t, url.Values{"scope": {"chat:write"}}))
			f.Set("client_secret", "wrong")
			return f
		}, "bad_client_secret"},
		{"redirect mismatch", func(t testing.TB) url.Values {
			f := exchangeForm(b.authorize(t, url.Values{"scope": {"chat:write"}}))
			f.Set("redirect_uri", "https://evil.example.com/cb")
			return f
		}, "bad_redirect_uri"},
		{"refresh without rotation", func(t testing.TB) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"xoxe-1-abc"}, "client_id": {def.ID}, "client_secret": {def.Secret}}
		}, "invalid_refresh_token"},
		{"bad grant type", func(t testing.TB) url.Values {
			f := exchangeForm("x")
			f.Set("grant_type", "password")
			return f
		}, "invalid_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, b.access(t, tt.form(t)), tt.want)
		})
	}
}

func TestOAuthBasicAuthAndNoScope(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	code := b.authorize(t, url.Values{"scope": {"chat:write"}, "team": {"T02OTHER"}})
	form := exchangeForm(code)
	form.Del("client_id")
	form.Del("client_secret")
	def := sim.DefaultClient(name)
	m := wantOK(t, b.s.Call(t, http.MethodPost, "/slack/api/oauth.v2.access", form, simtest.Basic(def.ID, def.Secret)))
	if team := m["team"].(map[string]any); team["id"] != "T02OTHER" {
		t.Errorf("team=T02OTHER should install into that workspace, got %v", team)
	}

	q := url.Values{"client_id": {def.ID}, "redirect_uri": {redirectURI}}
	if res := b.s.Call(t, http.MethodGet, "/slack/oauth/v2/authorize?"+q.Encode(), nil); res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "invalid_scope") {
		t.Errorf("authorize without scopes: %d %s", res.Status, res.Body)
	}
}

func TestTokenRotation(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{TokenRotation: true})
	code := b.authorize(t, url.Values{"scope": {"chat:write,users:read"}, "user_scope": {"users:read"}})
	m := wantOK(t, b.access(t, exchangeForm(code)))
	bot, _ := m["access_token"].(string)
	refresh, _ := m["refresh_token"].(string)
	if !strings.HasPrefix(bot, "xoxe.xoxb-1-") || !strings.HasPrefix(refresh, "xoxe-1-") || m["expires_in"] != float64(43200) {
		t.Fatalf("rotating bot token fields: %v", m)
	}
	au := m["authed_user"].(map[string]any)
	if !strings.HasPrefix(au["access_token"].(string), "xoxe.xoxp-1-") || !strings.HasPrefix(au["refresh_token"].(string), "xoxe-1-") || au["expires_in"] != float64(43200) {
		t.Fatalf("rotating user token fields: %v", au)
	}

	b.s.Clock.Advance(12*time.Hour + time.Second)
	wantError(t, b.call(t, "auth.test", bot, nil), "token_expired")

	def := sim.DefaultClient(name)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {def.ID}, "client_secret": {def.Secret}}
	r := wantOK(t, b.access(t, form))
	if r["token_type"] != "bot" || r["bot_user_id"] != b.ws.botUserID || r["refresh_token"] == refresh || r["expires_in"] != float64(43200) {
		t.Fatalf("refresh answer: %v", r)
	}
	wantOK(t, b.call(t, "auth.test", r["access_token"].(string), nil))
	// Refresh tokens are single use under rotation.
	wantError(t, b.access(t, form), "invalid_refresh_token")

	form.Set("refresh_token", au["refresh_token"].(string))
	r = wantOK(t, b.access(t, form))
	if r["token_type"] != "user" || !strings.HasPrefix(r["access_token"].(string), "xoxe.xoxp-1-") {
		t.Fatalf("user refresh answer: %v", r)
	}
}

func TestIncomingWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	m := wantOK(t, b.access(t, exchangeForm(b.authorize(t, url.Values{"scope": {"incoming-webhook,chat:write"}}))))
	hook, _ := m["incoming_webhook"].(map[string]any)
	hookURL, _ := hook["url"].(string)
	if hook["channel"] != "#general" || !strings.HasPrefix(hookURL, b.s.BaseURL()+"/slack/services/"+b.ws.id+"/") {
		t.Fatalf("incoming_webhook = %v", hook)
	}
	tests := []struct {
		body       string
		wantStatus int
		wantBody   string
	}{
		{`{"text":"deployed"}`, http.StatusOK, "ok"},
		{`{}`, http.StatusBadRequest, "no_text"},
		{`not json`, http.StatusBadRequest, "invalid_payload"},
	}
	for _, tt := range tests {
		res := simtest.Do(t, mustRequest(t, http.MethodPost, hookURL, tt.body))
		if res.Status != tt.wantStatus || strings.TrimSpace(string(res.Body)) != tt.wantBody {
			t.Errorf("post %s: %d %q, want %d %q", tt.body, res.Status, res.Body, tt.wantStatus, tt.wantBody)
		}
	}
}

func mustRequest(t testing.TB, method, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// TestInteractiveConsentKeepsUserScope approves on the consent page, whose
// form posts back every authorize parameter, user_scope included.
func TestInteractiveConsentKeepsUserScope(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Interactive: true}, Options{})
	q := url.Values{"client_id": {sim.DefaultClient(name).ID}, "redirect_uri": {redirectURI},
		"scope": {"chat:write"}, "user_scope": {"users:read"}}
	page := b.s.Call(t, http.MethodGet, "/slack/oauth/v2/authorize?"+q.Encode(), nil)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `name="user_scope"`) {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	q.Set("decision", "approve")
	res := b.s.Call(t, http.MethodPost, "/slack/oauth/v2/authorize", q)
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.Status != http.StatusFound || err != nil {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	m := wantOK(t, b.access(t, exchangeForm(loc.Query().Get("code"))))
	if au := m["authed_user"].(map[string]any); au["scope"] != "users:read" || m["scope"] != "chat:write" {
		t.Errorf("tokens after consent: %v", m)
	}
}
