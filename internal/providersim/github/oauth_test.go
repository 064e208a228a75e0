package github

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

const callback = "http://app.example/callback"

// authorize runs the authorize leg and returns the code.
func (b *bundle) authorize(t testing.TB, scope string) string {
	t.Helper()
	q := url.Values{"client_id": {sim.DefaultClient(name).ID}, "redirect_uri": {callback}, "scope": {scope}, "state": {"st"}}
	res := b.request(t, http.MethodGet, "/github/login/oauth/authorize?"+q.Encode(), "", nil)
	if res.Status != http.StatusFound {
		t.Fatalf("authorize: %d %s", res.Status, res.Body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize redirect %q", res.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// tokenRequest posts a form to the token endpoint and returns the
// status, content type and the answer's fields (form or JSON).
func (b *bundle) tokenRequest(t testing.TB, form url.Values, asJSON bool) (int, string, map[string]string) {
	t.Helper()
	var accept simtest.Option
	if asJSON {
		accept = simtest.Header("Accept", "application/json")
	}
	res := b.s.Call(t, http.MethodPost, "/github/login/oauth/access_token", form, accept)
	data, ct := res.Body, res.Header.Get("Content-Type")
	out := map[string]string{}
	if asJSON {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("JSON token answer %q: %v", data, err)
		}
		for k, v := range m {
			out[k] = jsonScalar(v)
		}
	} else {
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			t.Fatalf("form token answer %q: %v", data, err)
		}
		for k := range vals {
			out[k] = vals.Get(k)
		}
	}
	return res.Status, ct, out
}

func jsonScalar(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func codeForm(code string) url.Values {
	c := sim.DefaultClient(name)
	return url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}, "code": {code}, "redirect_uri": {callback}}
}

func TestTokenResponseFormAndJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	tests := []struct {
		name   string
		asJSON bool
		ctype  string
	}{
		{"form by default", false, "application/x-www-form-urlencoded"},
		{"JSON when asked", true, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// GitHub accepts space- and comma-separated scopes alike.
			code := b.authorize(t, "repo user")
			status, ct, tok := b.tokenRequest(t, codeForm(code), tt.asJSON)
			if status != http.StatusOK || !strings.HasPrefix(ct, tt.ctype) {
				t.Fatalf("status %d, content type %q", status, ct)
			}
			if !strings.HasPrefix(tok["access_token"], "ghu_") || !strings.HasPrefix(tok["refresh_token"], "ghr_") {
				t.Fatalf("token prefixes: %v", tok)
			}
			if tok["scope"] != "repo,user" || tok["token_type"] != "bearer" || tok["expires_in"] != "28800" || tok["refresh_token_expires_in"] != "15811200" {
				t.Fatalf("token fields: %v", tok)
			}
			if res := b.request(t, http.MethodGet, "/github/user", "token "+tok["access_token"], nil); res.Status != http.StatusOK {
				t.Fatalf("token does not work: %d", res.Status)
			}
		})
	}
}

func TestTokenErrorsAreHTTP200(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	c := sim.DefaultClient(name)
	tests := []struct {
		name string
		form func() url.Values
		want string
	}{
		{"bad code", func() url.Values { return codeForm("nope") }, "bad_verification_code"},
		{"code reused", func() url.Values {
			code := b.authorize(t, "repo")
			b.tokenRequest(t, codeForm(code), false)
			return codeForm(code)
		}, "bad_verification_code"},
		{"wrong secret", func() url.Values {
			f := codeForm(b.authorize(t, "repo"))
			f.Set("client_secret", "wrong")
			return f
		}, "incorrect_client_credentials"},
		{"redirect mismatch", func() url.Values {
			f := codeForm(b.authorize(t, "repo"))
			f.Set("redirect_uri", "http://evil.example/cb")
			return f
		}, "redirect_uri_mismatch"},
		{"bad refresh token", func() url.Values {
			return url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}, "grant_type": {"refresh_token"}, "refresh_token": {"ghr_nope"}}
		}, "bad_refresh_token"},
		{"client credentials grant", func() url.Values {
			return url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}, "grant_type": {"client_credentials"}}
		}, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{false, true} {
			status, _, out := b.tokenRequest(t, tt.form(), asJSON)
			if status != http.StatusOK || out["error"] != tt.want || out["error_description"] == "" || out["error_uri"] == "" || out["access_token"] != "" {
				t.Errorf("%s (json %v): %d %v", tt.name, asJSON, status, out)
			}
		}
	}
}

func TestUserTokenExpiryAndRefresh(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	c := sim.DefaultClient(name)
	_, _, tok := b.tokenRequest(t, codeForm(b.authorize(t, "repo")), false)
	get := func(token string) int {
		return b.request(t, http.MethodGet, "/github/user", "Bearer "+token, nil).Status
	}
	if got := get(tok["access_token"]); got != http.StatusOK {
		t.Fatalf("fresh token: %d", got)
	}
	b.s.Clock.Advance(userTokenTTL - time.Minute)
	if got := get(tok["access_token"]); got != http.StatusOK {
		t.Fatalf("token before 8 h: %d", got)
	}
	b.s.Clock.Advance(time.Minute)
	if got := get(tok["access_token"]); got != http.StatusUnauthorized {
		t.Fatalf("token after 8 h: %d", got)
	}

	refresh := url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}, "grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"]}}
	_, _, next := b.tokenRequest(t, refresh, true)
	if next["error"] != "" || next["refresh_token"] == tok["refresh_token"] || get(next["access_token"]) != http.StatusOK {
		t.Fatalf("refresh: %v", next)
	}
	// The used refresh token is spent.
	if _, _, again := b.tokenRequest(t, refresh, false); again["error"] != "bad_refresh_token" {
		t.Fatalf("reused refresh token: %v", again)
	}

	// A refresh token lapses after six months.
	_, _, fresh := b.tokenRequest(t, codeForm(b.authorize(t, "repo")), false)
	b.s.Clock.Advance(refreshTokenTTL)
	refresh.Set("refresh_token", fresh["refresh_token"])
	if _, _, out := b.tokenRequest(t, refresh, false); out["error"] != "bad_refresh_token" {
		t.Fatalf("refresh after six months: %v", out)
	}
}

func TestRefreshRetiresOldAccessToken(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	c := sim.DefaultClient(name)
	_, _, tok := b.tokenRequest(t, codeForm(b.authorize(t, "repo")), false)
	refresh := url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}, "grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"]}}
	if _, _, out := b.tokenRequest(t, refresh, false); out["access_token"] == "" {
		t.Fatalf("refresh: %v", out)
	}
	if res := b.request(t, http.MethodGet, "/github/user", "Bearer "+tok["access_token"], nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("old access token after refresh: %d", res.Status)
	}
}

func TestNonExpiringTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{NonExpiringUserTokens: true})
	_, _, tok := b.tokenRequest(t, codeForm(b.authorize(t, "repo,gist")), false)
	if !strings.HasPrefix(tok["access_token"], "gho_") || tok["expires_in"] != "" || tok["refresh_token"] != "" || tok["scope"] != "repo,gist" {
		t.Fatalf("classic token: %v", tok)
	}
	b.s.Clock.Advance(365 * 24 * time.Hour)
	if res := b.request(t, http.MethodGet, "/github/user", "token "+tok["access_token"], nil); res.Status != http.StatusOK {
		t.Fatalf("classic token after a year: %d", res.Status)
	}
}

func TestApplicationTokenEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	c := sim.DefaultClient(name)
	issue := func() string {
		_, _, tok := b.tokenRequest(t, codeForm(b.authorize(t, "repo")), false)
		return tok["access_token"]
	}
	call := func(method, path, user, pass, token string) int {
		return b.s.Call(t, method, path, map[string]string{"access_token": token}, simtest.Basic(user, pass)).Status
	}
	app := "/github/applications/" + c.ID
	one := issue()
	if got := call(http.MethodPost, app+"/token", c.ID, c.Secret, one); got != http.StatusOK {
		t.Fatalf("check token: %d", got)
	}
	if got := call(http.MethodDelete, app+"/token", c.ID, "wrong", one); got != http.StatusUnauthorized {
		t.Fatalf("delete with a wrong secret: %d", got)
	}
	if got := call(http.MethodDelete, app+"/token", c.ID, c.Secret, one); got != http.StatusNoContent {
		t.Fatalf("delete token: %d", got)
	}
	if got := call(http.MethodPost, app+"/token", c.ID, c.Secret, one); got != http.StatusNotFound {
		t.Fatalf("check revoked token: %d", got)
	}

	two, three := issue(), issue()
	if got := call(http.MethodDelete, app+"/grant", c.ID, c.Secret, two); got != http.StatusNoContent {
		t.Fatalf("delete grant: %d", got)
	}
	if res := b.request(t, http.MethodGet, "/github/user", "Bearer "+three, nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("other token of the user after grant deletion: %d", res.Status)
	}
}
