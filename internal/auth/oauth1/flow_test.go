package oauth1

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeProvider answers every request with status and body; it records the
// last request's Authorization header and body.
type fakeProvider struct {
	status      int
	body        string
	contentType string
	gotAuth     string
	gotBody     string
}

func (f *fakeProvider) serve(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.gotAuth = r.Header.Get("Authorization")
		data, _ := io.ReadAll(r.Body)
		f.gotBody = string(data)
		if f.contentType != "" {
			w.Header().Set("Content-Type", f.contentType)
		}
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestRequestTokenAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		wantToken  string
		wantErr    error
		wantStatus int
	}{
		{name: "ok", status: 200, body: "oauth_token=rt&oauth_token_secret=rs&oauth_callback_confirmed=true", wantToken: "rt"},
		{name: "trailing newline", status: 200, body: "oauth_token=rt&oauth_token_secret=rs\n", wantToken: "rt"},
		{name: "no confirmation (OAuth 1.0)", status: 201, body: "oauth_token=rt&oauth_token_secret=rs", wantToken: "rt"},
		{name: "callback not confirmed", status: 200, body: "oauth_token=rt&oauth_token_secret=rs&oauth_callback_confirmed=false", wantErr: ErrBadResponse},
		{name: "no token", status: 200, body: "oauth_token_secret=rs", wantErr: ErrBadResponse},
		{name: "no secret", status: 200, body: "oauth_token=rt", wantErr: ErrBadResponse},
		{name: "HTML", status: 200, body: "<html>maintenance</html>", wantErr: ErrBadResponse},
		{name: "JSON", status: 200, body: `{"oauth_token":"rt"}`, wantErr: ErrBadResponse},
		{name: "bad escape", status: 200, body: "oauth_token=%zz&oauth_token_secret=x", wantErr: ErrBadResponse},
		{name: "rejected", status: 401, body: "invalid signature", wantStatus: 401},
		{name: "outage", status: 503, body: "try later", wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeProvider{status: tt.status, body: tt.body}
			base := f.serve(t)
			c := &Client{ConsumerKey: "ck", ConsumerSecret: "cs", HTTPClient: http.DefaultClient}
			token, secret, raw, err := c.RequestToken(context.Background(), base+"/initiate", "https://app.test/cb?x=1", map[string]string{"scope": "read write"})
			switch {
			case tt.wantStatus != 0:
				var e *Error
				if !errors.As(err, &e) || e.StatusCode != tt.wantStatus || e.Body != tt.body || e.Op != "request token" {
					t.Fatalf("err = %#v", err)
				}
				if e.Rejected() != (tt.wantStatus == 401) || e.Temporary() != (tt.wantStatus == 503) {
					t.Errorf("Rejected %v Temporary %v", e.Rejected(), e.Temporary())
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "rs") && strings.Contains(tt.body, "oauth_token_secret=rs") {
					t.Errorf("the error quotes the response: %v", err)
				}
			default:
				if err != nil || token != tt.wantToken || secret != "rs" || raw.Get("oauth_token") != "rt" {
					t.Fatalf("= %q %q %v %v", token, secret, raw, err)
				}
			}
			if !strings.Contains(f.gotAuth, `oauth_callback="https%3A%2F%2Fapp.test%2Fcb%3Fx%3D1"`) || strings.Contains(f.gotAuth, "oauth_token=") {
				t.Errorf("Authorization %s", f.gotAuth)
			}
			if f.gotBody != "scope=read+write" {
				t.Errorf("body %q", f.gotBody)
			}
		})
	}
}

func TestRequestTokenOOB(t *testing.T) {
	t.Parallel()
	f := &fakeProvider{status: 200, body: "oauth_token=a&oauth_token_secret=b"}
	base := f.serve(t)
	if _, _, _, err := (&Client{HTTPClient: http.DefaultClient}).RequestToken(context.Background(), base, "", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.gotAuth, `oauth_callback="oob"`) || f.gotBody != "" {
		t.Errorf("Authorization %s, body %q", f.gotAuth, f.gotBody)
	}
}

// TestErrorBodyRedaction: a provider that echoes what it was sent (the
// Authorization header, with a PLAINTEXT signature that is the secrets
// themselves) must not get them into an Error.
func TestErrorBodyRedaction(t *testing.T) {
	t.Parallel()
	const cs, ts, verifier = "consumer s3cret/+", "token-secret&x", "verif1er"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "bad request: "+r.Header.Get("Authorization")+" raw="+cs+" "+ts+" form="+url.QueryEscape(ts))
	}))
	t.Cleanup(echo.Close)
	for _, method := range []string{PLAINTEXT, HMACSHA1} {
		c := &Client{ConsumerKey: "ck", ConsumerSecret: cs, SignatureMethod: method, HTTPClient: http.DefaultClient}
		_, _, _, err := c.AccessToken(context.Background(), echo.URL, "rt", ts, verifier)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != 401 || !e.Rejected() {
			t.Fatalf("%s: err = %v", method, err)
		}
		for _, s := range []string{cs, ts, verifier, PercentEncode(cs), PercentEncode(ts), url.QueryEscape(ts), "s3cret", "token-secret"} {
			if strings.Contains(e.Body, s) || strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q leaked into %q", method, s, e.Body)
			}
		}
		if !strings.Contains(e.Body, "[REDACTED]") || !strings.Contains(e.Body, `oauth_token="rt"`) {
			t.Errorf("%s: body %q", method, e.Body)
		}
	}
}

func TestErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		secrets    []string
		want       string
	}{
		{"nothing to hide", "invalid token", []string{"s"}, "invalid token"},
		{"raw and encoded", "a=x y&b=x%20y&c=x+y", []string{"x y"}, "a=[REDACTED]&b=[REDACTED]&c=[REDACTED]"},
		{"overlapping secrets leave no part", "..abcdef..", []string{"abcd", "cdef"}, "..[REDACTED].."},
		{"a secret inside the marker", "E and E", []string{"E"}, "[REDACTED] and [REDACTED]"},
		{"empty secrets ignored", "abc", []string{"", ""}, "abc"},
	}
	for _, tt := range tests {
		if got := errorBody(strings.NewReader(tt.body), tt.secrets); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}

	long := strings.Repeat("é", 600) + "SECRET" + strings.Repeat("x", 5000)
	got := errorBody(strings.NewReader(long), []string{"SECRET"})
	if len(got) > maxErrorBody || !strings.HasPrefix(got, "éé") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("truncated body: %d bytes, %q…", len(got), got[:10])
	}
	// A secret cut by the 1 KiB limit leaves no prefix behind.
	cut := strings.Repeat("a", maxErrorBody-3) + "SECRET"
	if got := errorBody(strings.NewReader(cut), []string{"SECRET"}); strings.Contains(got, "SEC") {
		t.Errorf("a secret's prefix survived the cut: %q", got[len(got)-10:])
	}
}

func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	c := &Client{}
	got, err := c.AuthorizeURL("https://trello.com/1/OAuthAuthorizeToken?existing=1", "tok en",
		map[string]string{"name": "My App", "scope": "read,write", "expiration": "never"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if u.Host != "trello.com" || u.Path != "/1/OAuthAuthorizeToken" || q.Get("existing") != "1" || q.Get("oauth_token") != "tok en" ||
		q.Get("name") != "My App" || q.Get("scope") != "read,write" || q.Get("expiration") != "never" {
		t.Errorf("AuthorizeURL = %s", got)
	}
	// oauth_token is the request token, whatever params say.
	got, _ = c.AuthorizeURL("https://x.test/auth", "real", map[string]string{"oauth_token": "forged"})
	if u, _ := url.Parse(got); u.Query().Get("oauth_token") != "real" {
		t.Errorf("AuthorizeURL = %s", got)
	}
	for _, bad := range []struct{ u, tok string }{{"/relative", "t"}, {"https://x.test/a", ""}, {"://", "t"}} {
		if _, err := c.AuthorizeURL(bad.u, bad.tok, nil); err == nil {
			t.Errorf("AuthorizeURL(%q, %q) should fail", bad.u, bad.tok)
		}
	}
}

func TestAccessTokenTransportError(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	c := &Client{ConsumerKey: "k", ConsumerSecret: "super-secret", HTTPClient: http.DefaultClient}
	_, _, _, err := c.AccessToken(context.Background(), ts.URL, "rt", "rts", "v")
	var e *Error
	if err == nil || errors.As(err, &e) || strings.Contains(err.Error(), "super-secret") {
		t.Fatalf("err = %v", err)
	}
	if _, _, _, err := c.AccessToken(context.Background(), ts.URL, "", "rts", "v"); err == nil {
		t.Error("an empty request token should be refused")
	}
}

// TestNoDefaultHTTPClient: without a client of the caller's, nothing is
// sent (no unguarded http.DefaultClient).
func TestNoDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	var hit atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit.Store(true) }))
	defer ts.Close()
	if _, _, _, err := (&Client{}).RequestToken(context.Background(), ts.URL, "", nil); err == nil || hit.Load() {
		t.Fatalf("RequestToken without HTTPClient: err = %v, request sent = %v", err, hit.Load())
	}
}

// FuzzParseCredentials feeds the credentials-response parser untrusted
// bodies: it must never panic, and what it accepts must survive
// re-encoding.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{
		"oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=true",
		"oauth_token=a%20b&oauth_token_secret=", "a=1&a=2", "=x", "%zz", "<html>", "a=b;c", "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseCredentials(data)
		if err != nil {
			return
		}
		again, err := parseCredentials([]byte(v.Encode()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", v.Encode(), err)
		}
		if again.Encode() != v.Encode() {
			t.Fatalf("round trip %q → %q", v.Encode(), again.Encode())
		}
	})
}
