package zoom

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestDefaultAppIsTheDefaultClient(t *testing.T) {
	t.Parallel()
	if c := sim.DefaultClient(name); c.ID != DefaultClientID || c.Secret != DefaultClientSecret {
		t.Fatalf("sim.DefaultClient(%q) = %+v, constants say %s / %s", name, c, DefaultClientID, DefaultClientSecret)
	}
}

func TestTokenRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		params     url.Values
		query      string
		id, secret string
		status     int
		errCode    string
		reason     string
	}{
		{"form body", accountCredentials(DefaultAccountID), "", DefaultClientID, DefaultClientSecret, 200, "", ""},
		{"query string", nil, "?grant_type=account_credentials&account_id=" + DefaultAccountID, DefaultClientID, DefaultClientSecret, 200, "", ""},
		{"wrong secret", accountCredentials(DefaultAccountID), "", DefaultClientID, "nope", 401, "invalid_client", "Invalid client_id or client_secret"},
		{"unknown client", accountCredentials(DefaultAccountID), "", "someone-else", DefaultClientSecret, 401, "invalid_client", "Invalid client_id or client_secret"},
		{"no client", accountCredentials(DefaultAccountID), "", "", "", 401, "invalid_client", "Invalid client_id or client_secret"},
		{"client_credentials grant", url.Values{"grant_type": {"client_credentials"}, "account_id": {DefaultAccountID}}, "", DefaultClientID, DefaultClientSecret, 400, "unsupported_grant_type", "Unsupported grant type"},
		{"no account_id", url.Values{"grant_type": {"account_credentials"}}, "", DefaultClientID, DefaultClientSecret, 400, "invalid_request", "Invalid account_id"},
		{"another account", accountCredentials("someOtherAccount"), "", DefaultClientID, DefaultClientSecret, 400, "invalid_request", "Invalid account_id"},
	}
	b := setup(t, sim.Options{}, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.s.Call(t, http.MethodPost, "/zoom/oauth/token"+tt.query, tt.params, client(tt.id, tt.secret))
			var tok tokenOut
			res.Decode(t, &tok)
			if res.Status != tt.status || tok.Error != tt.errCode || tok.Reason != tt.reason {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			if tt.status == 200 && (tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 3600 ||
				tok.Scope != "user:read:user:admin user:read:list_users:admin" || tok.APIURL != b.s.BaseURL()+"/zoom") {
				t.Fatalf("token %s", res.Body)
			}
		})
	}
}

func TestTokenRequestsAreAnnotated(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	b.token(t)
	b.token(t)
	b.tokenRequest(t, accountCredentials(DefaultAccountID), DefaultClientID, "wrong")
	got := b.s.Requests(sim.RequestFilter{Provider: name, Path: "/zoom/oauth/token", Note: "grant_type=account_credentials"})
	if len(got) != 3 || got[0].Notes["account_id"] != DefaultAccountID || got[0].Status != 200 || got[2].Status != 401 {
		t.Fatalf("logged token requests: %+v", got)
	}
}

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	token := b.token(t)
	// Tokens minted through the control API act for their subject.
	minted := b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: DefaultClientID, Subject: DefaultAccountID}, time.Hour, false).AccessToken
	narrow := b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: DefaultClientID, Subject: DefaultAccountID,
		Scopes: []string{"meeting:read:admin"}}, time.Hour, false).AccessToken
	revoked := b.token(t)
	b.s.Call(t, http.MethodPost, "/_control/revoke", map[string]string{"provider": name, "token": revoked}).Want(t, 200, "revoke")

	tests := []struct {
		name, path, token string
		status, code      int
		message           string
	}{
		{"me", "/users/me", token, 200, 0, ""},
		{"control-minted token", "/users/me", minted, 200, 0, ""},
		{"no token", "/users/me", "", 401, 124, "Invalid access token."},
		{"unknown token", "/users", "zoom_at_nope", 401, 124, "Invalid access token."},
		{"revoked token", "/users", revoked, 401, 124, "Invalid access token."},
		{"missing scope", "/users", narrow, 400, 4711, "Invalid access token, does not contain scopes:[user:read:list_users:admin]."},
		{"unknown user", "/users/nobody", token, 404, 1001, "User does not exist: nobody."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.get(t, tt.path, tt.token)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if tt.status == 200 {
				var me userOut
				res.Decode(t, &me)
				if me.RoleName != "Owner" || me.AccountID != DefaultAccountID || me.Status != "active" {
					t.Errorf("me %s", res.Body)
				}
				return
			}
			var e zoomError
			res.Decode(t, &e)
			if e.Code != tt.code || e.Message != tt.message {
				t.Errorf("error %s", res.Body)
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	token := b.token(t)
	b.s.Clock.Advance(59 * time.Minute)
	b.get(t, "/users/me", token).Want(t, 200, "after 59 minutes")
	b.s.Clock.Advance(time.Minute)
	res := b.get(t, "/users/me", token)
	var e zoomError
	res.Decode(t, &e)
	if res.Status != 401 || e.Code != 124 || e.Message != "Access token is expired." {
		t.Fatalf("after an hour: %d %s", res.Status, res.Body)
	}
	// A new token request is the only way on: there is no refresh token.
	b.get(t, "/users/me", b.token(t)).Want(t, 200, "new token")
}

func TestUsersPagination(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 2}, Options{})
	b.s.Call(t, http.MethodPost, "/_control/zoom/accounts", map[string]any{"users": 70}).Want(t, 200, "size account")
	token := b.token(t)
	seen := map[string]bool{}
	total := -1
	next := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		path := "/users?page_size=20"
		if next != "" {
			path += "&next_page_token=" + url.QueryEscape(next)
		}
		res := b.get(t, path, token)
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		var page usersPage
		res.Decode(t, &page)
		total = page.TotalRecords
		for _, u := range page.Users {
			if seen[u.ID] || u.Status != "active" || len(u.ID) != 22 {
				t.Fatalf("user %+v (seen before: %v)", u, seen[u.ID])
			}
			seen[u.ID] = true
		}
		if page.PageSize != 20 || page.PageCount != (total+19)/20 {
			t.Errorf("page envelope %+v", page)
		}
		if next = page.NextPageToken; next == "" {
			break
		}
	}
	// 70 users: 6 inactive (i%11 == 10) and 5 pending (i%13 == 12) leave
	// 59 active.
	if total != 59 || len(seen) != 59 {
		t.Fatalf("%d active users listed, total_records %d; want 59", len(seen), total)
	}

	var inactive usersPage
	b.get(t, "/users?status=inactive&page_size=300", token).Decode(t, &inactive)
	if inactive.TotalRecords != 6 || len(inactive.Users) != 6 || inactive.Users[0].Status != "inactive" {
		t.Errorf("inactive users: %+v", inactive)
	}
	var capped usersPage
	b.get(t, "/users?page_size=1000", token).Decode(t, &capped)
	if capped.PageSize != 300 || len(capped.Users) != 59 || capped.NextPageToken != "" {
		t.Errorf("page_size 1000: %+v", capped)
	}

	var first usersPage
	b.get(t, "/users?page_size=10", token).Decode(t, &first)
	tests := []struct{ name, path string }{
		{"page_size zero", "/users?page_size=0"},
		{"page_size not a number", "/users?page_size=ten"},
		{"unknown status", "/users?status=deleted"},
		{"garbage token", "/users?next_page_token=%21%21"},
		{"token of another listing", "/users?status=inactive&next_page_token=" + url.QueryEscape(first.NextPageToken)},
	}
	for _, tt := range tests {
		res := b.get(t, tt.path, token)
		var e zoomError
		res.Decode(t, &e)
		if res.Status != 400 || e.Code != 300 {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
		}
	}
	// Page tokens expire after 15 minutes.
	b.s.Clock.Advance(14 * time.Minute)
	b.get(t, "/users?page_size=10&next_page_token="+url.QueryEscape(first.NextPageToken), token).Want(t, 200, "page token after 14 minutes")
	b.s.Clock.Advance(time.Minute)
	b.get(t, "/users?page_size=10&next_page_token="+url.QueryEscape(first.NextPageToken), b.token(t)).Want(t, 400, "page token after 15 minutes")
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	token := b.token(t)
	var page usersPage
	b.get(t, "/users?page_size=5", token).Decode(t, &page)
	member := page.Users[3]
	for _, key := range []string{member.ID, member.Email, strings.ToUpper(member.Email)} {
		var u userOut
		res := b.get(t, "/users/"+url.PathEscape(key), token)
		res.Decode(t, &u)
		if res.Status != 200 || u.ID != member.ID || u.RoleName != "Member" {
			t.Errorf("%s: %d %s", key, res.Status, res.Body)
		}
	}
}

func TestControlApps(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	res := b.s.Call(t, http.MethodPost, "/_control/zoom/apps", map[string]any{"account_id": "otherAccount_1"})
	var a app
	res.Decode(t, &a)
	if res.Status != http.StatusCreated || a.ClientID == "" || a.ClientSecret == "" || a.AccountID != "otherAccount_1" || len(a.Scopes) != 2 {
		t.Fatalf("add app: %d %s", res.Status, res.Body)
	}
	b.tokenRequest(t, accountCredentials(DefaultAccountID), a.ClientID, a.ClientSecret).Want(t, 400, "the app got a token for another account")
	tr := b.tokenRequest(t, accountCredentials("otherAccount_1"), a.ClientID, a.ClientSecret)
	var tok tokenOut
	tr.Decode(t, &tok)
	if tr.Status != 200 {
		t.Fatalf("token for the new app: %d %s", tr.Status, tr.Body)
	}
	var me userOut
	b.get(t, "/users/me", tok.AccessToken).Decode(t, &me)
	var defaultMe userOut
	b.get(t, "/users/me", b.token(t)).Decode(t, &defaultMe)
	if me.AccountID != "otherAccount_1" || me.ID == defaultMe.ID {
		t.Errorf("the new account's owner %+v, the default one %+v", me, defaultMe)
	}

	for _, bad := range []map[string]any{{"account_id": "has space"}} {
		if res := b.s.Call(t, http.MethodPost, "/_control/zoom/apps", bad); res.Status != 400 {
			t.Errorf("%v: %d", bad, res.Status)
		}
	}
	for _, bad := range []map[string]any{{}, {"users": -1}, {"users": 5, "account_id": "a b"}} {
		if res := b.s.Call(t, http.MethodPost, "/_control/zoom/accounts", bad); res.Status != 400 {
			t.Errorf("accounts %v: %d", bad, res.Status)
		}
	}

	b.s.Call(t, http.MethodDelete, "/_control/zoom/apps/"+a.ClientID, nil).Want(t, http.StatusNoContent, "delete app")
	b.s.Call(t, http.MethodDelete, "/_control/zoom/apps/"+a.ClientID, nil).Want(t, http.StatusNotFound, "delete twice")
	if res := b.get(t, "/users/me", tok.AccessToken); res.Status != 401 {
		t.Errorf("a deleted app's token still works: %d", res.Status)
	}
	if res := b.tokenRequest(t, accountCredentials("otherAccount_1"), a.ClientID, a.ClientSecret); res.Status != 401 {
		t.Errorf("a deleted app got a token: %d", res.Status)
	}

	b.s.Call(t, http.MethodDelete, "/_control/zoom/apps/"+DefaultClientID, nil)
	b.tokenRequest(t, accountCredentials(DefaultAccountID), DefaultClientID, DefaultClientSecret).Want(t, 401, "deleted default app")
	b.s.Reset(0)
	b.token(t) // the default app is back
}

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	base := b.s.BaseURL()
	p := simtest.Entry(t, b.p, base, "zoom-cc")
	if p.AuthMode != "OAUTH2_CC" {
		t.Fatalf("entry %+v", p)
	}
	if p.TokenURL != base+"/zoom/oauth/token" || p.TokenRequestAuthMethod != "basic" || p.Proxy.BaseURL != base+"/zoom/v2" {
		t.Errorf("urls: token %q (%s), proxy %q", p.TokenURL, p.TokenRequestAuthMethod, p.Proxy.BaseURL)
	}
	f := p.ConnectionConfig["accountId"]
	if f.Example != DefaultAccountID || !accountPattern.MatchString(f.Example) {
		t.Errorf("accountId field %+v", f)
	}
	// The token request Patchbay builds from the entry succeeds.
	params := url.Values{}
	for k, v := range p.TokenParams {
		s, err := catalog.Interpolate(v, catalog.Values{"connectionConfig.accountId": f.Example})
		if err != nil {
			t.Fatal(err)
		}
		params.Set(k, s)
	}
	if res := b.tokenRequest(t, params, DefaultClientID, DefaultClientSecret); res.Status != 200 {
		t.Errorf("token request from the entry's params %v: %d %s", params, res.Status, res.Body)
	}
}
