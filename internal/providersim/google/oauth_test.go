package google_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/providersim/google"
)

const (
	clientID     = "google-client-id"
	clientSecret = "google-client-secret"
	redirectURI  = "http://app.test/callback"
	sheetsScope  = "https://www.googleapis.com/auth/spreadsheets"
)

// authorize runs the consent step and returns the code.
func (b *bundle) authorize(params url.Values) string {
	b.t.Helper()
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {"openid email " + sheetsScope}, "state": {"st"}}
	for k, v := range params {
		q[k] = v
	}
	res := b.s.Call(b.t, http.MethodGet, "/google/o/oauth2/v2/auth?"+q.Encode(), nil).Want(b.t, http.StatusFound, "authorize")
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	if loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		b.t.Fatalf("authorize redirected to %s", loc)
	}
	return loc.Query().Get("code")
}

// tokenRequest posts a form to the token endpoint.
func (b *bundle) tokenRequest(form url.Values) (int, map[string]any) {
	b.t.Helper()
	res := b.s.Call(b.t, http.MethodPost, "/google/token", form)
	var out map[string]any
	res.Decode(b.t, &out)
	return res.Status, out
}

func (b *bundle) exchange(code string) map[string]any {
	b.t.Helper()
	status, tok := b.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "client_id": {clientID}, "client_secret": {clientSecret}})
	if status != http.StatusOK {
		b.t.Fatalf("exchange: %d %v", status, tok)
	}
	return tok
}

func (b *bundle) refresh(rt string) (int, map[string]any) {
	b.t.Helper()
	return b.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}, "client_secret": {clientSecret}})
}

func TestOAuthOfflineAccessAndRefresh(t *testing.T) {
	t.Parallel()
	b := setup(t, google.Options{})
	tok := b.exchange(b.authorize(url.Values{"access_type": {"offline"}, "prompt": {"consent"}, "login_hint": {"bob@example.com"}}))

	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3599) {
		t.Errorf("token = %v, want Bearer expiring in 3599", tok)
	}
	if want := "openid https://www.googleapis.com/auth/userinfo.email " + sheetsScope; tok["scope"] != want {
		t.Errorf("scope = %q, want %q", tok["scope"], want)
	}
	rt, _ := tok["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token for offline access: %v", tok)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok["id_token"].(string), claims, func(*jwt.Token) (any, error) { return []byte(clientSecret), nil }); err != nil {
		t.Fatalf("id_token: %v", err)
	}
	if claims["email"] != "bob@example.com" || claims["aud"] != clientID || claims["iss"] != "https://accounts.google.com" {
		t.Errorf("id_token claims = %v", claims)
	}
	info := b.must(http.StatusOK, "GET", "/google/oauth2/v2/userinfo", tok["access_token"].(string), nil)
	if info["email"] != "bob@example.com" || info["verified_email"] != true || len(info["id"].(string)) != 21 {
		t.Errorf("userinfo = %v", info)
	}

	// An hour later the access token is dead; the refresh token is not,
	// and it does not rotate.
	b.advance(time.Hour)
	if res := b.call("GET", "/google/oauth2/v2/userinfo", tok["access_token"].(string), nil); res.status != http.StatusUnauthorized {
		t.Fatalf("expired token: status %d", res.status)
	}
	for i := range 2 {
		status, next := b.refresh(rt)
		if status != http.StatusOK {
			t.Fatalf("refresh %d: %d %v", i, status, next)
		}
		if _, ok := next["refresh_token"]; ok {
			t.Errorf("refresh %d repeated the refresh token: %v", i, next)
		}
		if next["expires_in"] != float64(3599) || next["access_token"] == tok["access_token"] {
			t.Errorf("refresh %d = %v", i, next)
		}
		b.must(http.StatusOK, "GET", "/google/oauth2/v2/userinfo", next["access_token"].(string), nil)
	}
	if n := len(b.s.Requests(simFilter("grant_type=refresh_token"))); n != 2 {
		t.Errorf("logged %d refresh requests, want 2", n)
	}
}

func TestOAuthRefreshTokenIssuance(t *testing.T) {
	t.Parallel()
	offline := url.Values{"access_type": {"offline"}}
	forced := url.Values{"access_type": {"offline"}, "prompt": {"consent"}}
	online := url.Values{}
	tests := []struct {
		name  string
		opts  google.Options
		steps []url.Values
		want  []bool // refresh token issued per step
	}{
		{"first consent only", google.Options{}, []url.Values{offline, offline, offline}, []bool{true, false, false}},
		{"prompt=consent forces one", google.Options{}, []url.Values{offline, offline, forced}, []bool{true, false, true}},
		{"online never", google.Options{}, []url.Values{online, online}, []bool{false, false}},
		{"online then offline", google.Options{}, []url.Values{online, offline}, []bool{false, true}},
		{"lenient option", google.Options{RefreshTokenEveryConsent: true}, []url.Values{offline, offline}, []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.opts)
			for i, params := range tt.steps {
				tok := b.exchange(b.authorize(params))
				if _, got := tok["refresh_token"]; got != tt.want[i] {
					t.Errorf("step %d: refresh token issued = %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestOAuthRevokeWholeGrant(t *testing.T) {
	t.Parallel()
	for _, which := range []string{"access_token", "refresh_token"} {
		t.Run(which, func(t *testing.T) {
			t.Parallel()
			b := setup(t, google.Options{})
			tok := b.exchange(b.authorize(url.Values{"access_type": {"offline"}}))
			at, rt := tok["access_token"].(string), tok["refresh_token"].(string)
			_, refreshed := b.refresh(rt)
			at2 := refreshed["access_token"].(string)

			b.s.Call(t, http.MethodPost, "/google/revoke?token="+url.QueryEscape(tok[which].(string)), url.Values{}).Want(t, http.StatusOK, "revoke")
			status, body := b.refresh(rt)
			if status != http.StatusBadRequest || body["error"] != "invalid_grant" || body["error_description"] != "Token has been expired or revoked." {
				t.Errorf("refresh after revoke = %d %v", status, body)
			}
			for _, token := range []string{at, at2} {
				r := b.call("GET", "/google/v4/spreadsheets/x", token, nil)
				e := errorOf(t, r)
				if r.status != http.StatusUnauthorized || e["status"] != "UNAUTHENTICATED" || !strings.HasPrefix(e["message"].(string), "Request had invalid authentication credentials") {
					t.Errorf("revoked token: %d %s", r.status, r.raw)
				}
			}
			// Revoking a dead access token is an error at Google.
			if res := b.s.Call(t, http.MethodPost, "/google/revoke", url.Values{"token": {at}}); res.Status != http.StatusBadRequest {
				t.Errorf("second revoke: %d, want 400", res.Status)
			}
			// Revoking removed the consent: the next offline grant gets a
			// refresh token again.
			if tok := b.exchange(b.authorize(url.Values{"access_type": {"offline"}})); tok["refresh_token"] == nil {
				t.Errorf("no refresh token after re-consent: %v", tok)
			}
		})
	}
}

func TestOAuthTokenErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, google.Options{})
	used := b.authorize(nil)
	b.exchange(used)
	tests := []struct {
		name       string
		form       url.Values
		status     int
		err, descr string
	}{
		{"bad secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {clientID}, "client_secret": {"wrong"}},
			http.StatusUnauthorized, "invalid_client", "Unauthorized"},
		{"unknown client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"nobody"}, "client_secret": {"x"}},
			http.StatusUnauthorized, "invalid_client", "Unauthorized"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"1//nope"}, "client_id": {clientID}, "client_secret": {clientSecret}},
			http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked."},
		{"code reused", url.Values{"grant_type": {"authorization_code"}, "code": {used}, "redirect_uri": {redirectURI}, "client_id": {clientID}, "client_secret": {clientSecret}},
			http.StatusBadRequest, "invalid_grant", "Bad Request"},
		{"client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}},
			http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: client_credentials"},
	}
	for _, tt := range tests {
		status, body := b.tokenRequest(tt.form)
		if status != tt.status || body["error"] != tt.err || body["error_description"] != tt.descr {
			t.Errorf("%s: %d %v, want %d %s %q", tt.name, status, body, tt.status, tt.err, tt.descr)
		}
	}

	res := b.s.Call(t, http.MethodGet, "/google/o/oauth2/v2/auth?"+url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}}.Encode(), nil)
	if res.Status != http.StatusBadRequest {
		t.Errorf("authorize without scope: %d, want 400", res.Status)
	}
}

func TestAPIAuthErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, google.Options{})
	readonly := b.token(google.DefaultUser, "https://www.googleapis.com/auth/spreadsheets.readonly")
	tests := []struct {
		name, method, path, token string
		status                    int
		grpc, msgPrefix           string
	}{
		{"missing", "GET", "/google/calendar/v3/calendars/primary/events", "", 401, "UNAUTHENTICATED", "Request is missing required authentication credential"},
		{"invalid", "GET", "/google/gmail/v1/users/me/profile", "nope", 401, "UNAUTHENTICATED", "Request had invalid authentication credentials"},
		{"wrong scope", "POST", "/google/v4/spreadsheets", readonly, 403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."},
		{"other API", "GET", "/google/gmail/v1/users/me/labels", readonly, 403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."},
	}
	for _, tt := range tests {
		res := b.call(tt.method, tt.path, tt.token, nil)
		e := errorOf(t, res)
		if res.status != tt.status || e["code"] != float64(tt.status) || e["status"] != tt.grpc || !strings.HasPrefix(e["message"].(string), tt.msgPrefix) {
			t.Errorf("%s: %d %s", tt.name, res.status, res.raw)
		}
		if res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate header", tt.name)
		}
	}
}
