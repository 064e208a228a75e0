package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/outbound"
)

func TestTokenResponses(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		provider    catalog.Provider

		wantToken, wantRefresh string
		wantExpiry             time.Duration
		wantErr                string
		permanent              bool
	}{
		{name: "json", status: 200, contentType: "application/json", body: `{"access_token":"at","refresh_token":"rt","expires_in":3600}`, wantToken: "at", wantRefresh: "rt", wantExpiry: time.Hour},
		{name: "form (GitHub without Accept)", status: 200, contentType: "application/x-www-form-urlencoded", body: "access_token=at&scope=repo&token_type=bearer", wantToken: "at"},
		{name: "expires_in as a string", status: 200, contentType: "application/json", body: `{"access_token":"at","expires_in":"120"}`, wantToken: "at", wantExpiry: 2 * time.Minute},
		{name: "expires_in in milliseconds", status: 200, contentType: "application/json", body: `{"access_token":"at","expires_in":60000}`, provider: catalog.Provider{ExpiresInUnit: "milliseconds"}, wantToken: "at", wantExpiry: time.Minute},
		{name: "json without content type", status: 200, body: `{"access_token":"at"}`, wantToken: "at"},
		{name: "slack user token only", status: 200, contentType: "application/json", body: `{"ok":true,"authed_user":{"access_token":"xoxp-1","refresh_token":"xoxe-1","expires_in":43200}}`, provider: catalog.Provider{AlternateAccessTokenResponsePath: "authed_user"}, wantToken: "xoxp-1", wantRefresh: "xoxe-1", wantExpiry: 12 * time.Hour},
		{name: "invalid_grant 400", status: 400, contentType: "application/json", body: `{"error":"invalid_grant","error_description":"revoked"}`, wantErr: "invalid_grant", permanent: true},
		{name: "GitHub error with 200", status: 200, contentType: "application/json", body: `{"error":"bad_refresh_token","error_description":"The refresh token passed is incorrect or expired."}`, wantErr: "bad_refresh_token", permanent: true},
		{name: "Slack ok:false", status: 200, contentType: "application/json", body: `{"ok":false,"error":"invalid_refresh_token"}`, wantErr: "invalid_refresh_token", permanent: true},
		{name: "401 without a body", status: 401, wantErr: "http_401", permanent: true},
		{name: "503 is transient", status: 503, contentType: "text/html", body: "<html>down</html>", wantErr: "503", permanent: false},
		{name: "429 is transient", status: 429, wantErr: "429", permanent: false},
		{name: "200 without a token", status: 200, contentType: "application/json", body: `{"token_type":"bearer"}`, wantErr: "no access_token"},
		{name: "200 garbage", status: 200, contentType: "text/plain", body: "%%%", wantErr: "neither JSON nor form"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			s := &Service{http: srv.Client(), guard: outbound.NewGuard(outbound.GuardOptions{})}
			fields, raw, err := s.do(context.Background(), tokenRequest{url: srv.URL, template: srv.URL, params: map[string]string{"grant_type": "refresh_token"}})
			var creds = struct{ token, refresh string }{}
			if err == nil {
				c, cerr := oauth2Credentials(&tc.provider, fields, raw, now, nil)
				err = cerr
				creds.token, creds.refresh = c.AccessToken, c.RefreshToken
				if cerr == nil {
					var got time.Duration
					if c.ExpiresAt != nil {
						got = c.ExpiresAt.Sub(now)
					}
					if got != tc.wantExpiry {
						t.Errorf("expiry in %v, want %v", got, tc.wantExpiry)
					}
				}
			}
			if tc.wantErr != "" {
				var te *tokenError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				if errors.As(err, &te) && te.permanent != tc.permanent {
					t.Errorf("permanent = %v, want %v", te.permanent, tc.permanent)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if creds.token != tc.wantToken || creds.refresh != tc.wantRefresh {
				t.Errorf("token %q refresh %q, want %q %q", creds.token, creds.refresh, tc.wantToken, tc.wantRefresh)
			}
		})
	}
}

// FuzzDecodeTokenBody: token endpoints are untrusted; nothing they send
// may panic the parser.
func FuzzDecodeTokenBody(f *testing.F) {
	for _, seed := range []string{`{"access_token":"a","expires_in":1}`, "access_token=a&expires_in=x", `{"authed_user":{"access_token":1}}`, `[]`, `null`, "", "%zz"} {
		f.Add("application/json", seed)
		f.Add("application/x-www-form-urlencoded", seed)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		fields, raw := decodeTokenBody(contentType, []byte(body))
		if fields == nil {
			return
		}
		_, _ = expiresIn(fields, "")
		_, _ = oauth2Credentials(&catalog.Provider{AlternateAccessTokenResponsePath: "authed_user"}, fields, raw, time.Unix(0, 0), nil)
	})
}
