package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		{name: "temporarily_unavailable 400 is transient", status: 400, contentType: "application/json", body: `{"error":"temporarily_unavailable","error_description":"maintenance"}`, wantErr: "temporarily_unavailable", permanent: false},
		{name: "temporarily_unavailable with 200 is transient", status: 200, contentType: "application/json", body: `{"error":"temporarily_unavailable"}`, wantErr: "temporarily_unavailable", permanent: false},
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

// TestTokenFailureLogsAnswer: a refused token request is logged (key err)
// with the provider's answer, blanked of every secret the request sent
// and of credential members, and the message users see leaves it out.
func TestTokenFailureLogsAnswer(t *testing.T) {
	t.Parallel()
	const (
		secret = "client-secret-9f8e"
		code   = "auth-code-5d4c"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"client rejected","hint":"secret %s and code %s do not match","refresh_token":"rt-leak","trace":"abc123"}`,
			r.PostForm.Get("client_secret"), url.QueryEscape(r.PostForm.Get("code")))
	}))
	defer srv.Close()
	s := &Service{http: srv.Client(), guard: outbound.NewGuard(outbound.GuardOptions{})}
	_, _, err := s.do(t.Context(), tokenRequest{url: srv.URL, template: srv.URL, clientID: "cid", clientSecret: secret,
		params: map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": "https://pb.example/cb"}})
	err = tokenFailure("exchange the authorization code", err)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != "token_exchange_failed" {
		t.Fatalf("err = %v, want token_exchange_failed", err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("authorisation flow refused", "err", err)
	out := logs.String()
	for _, want := range []string{`"err":"token_exchange_failed`, "the provider answered", "abc123", "client rejected", "[REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q: %s", want, out)
		}
	}
	for _, leak := range []string{secret, code, "rt-leak"} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q: %s", leak, out)
		}
		if strings.Contains(ae.Message, leak) {
			t.Errorf("message holds %q: %s", leak, ae.Message)
		}
	}
	if strings.Contains(ae.Message, "abc123") {
		t.Errorf("the message shown to users carries the provider's raw answer: %s", ae.Message)
	}
}

func TestAnswerExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		sent      []string
		want      []string
		not       []string
	}{
		{name: "json members", raw: `{"error":"x","access_token":"at-1","nested":{"id_token":"it-1","ok":1}}`,
			want: []string{`"error":"x"`, `"ok":1`}, not: []string{"at-1", "it-1"}},
		{name: "form members", raw: "error=x&oauth_token_secret=ots-1", want: []string{"error=x"}, not: []string{"ots-1"}},
		{name: "echoed secret in html", raw: "<p>bad secret s3cr3t/+= here</p>", sent: []string{"s3cr3t/+="}, want: []string{"<p>bad secret [REDACTED] here</p>"}},
		{name: "echoed secret query-escaped", raw: "got s3cr3t%2F%2B%3D", sent: []string{"s3cr3t/+="}, not: []string{"s3cr3t"}},
		{name: "long", raw: strings.Repeat("é", 600), want: []string{"…"}},
	}
	for _, tt := range tests {
		got := answerExcerpt([]byte(tt.raw), tt.sent)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.name, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q holds %q", tt.name, got, n)
			}
		}
		if len(got) > maxAnswerExcerpt+len("…") || !utf8.ValidString(got) {
			t.Errorf("%s: excerpt of %d bytes, valid UTF-8 %v", tt.name, len(got), utf8.ValidString(got))
		}
	}
}
