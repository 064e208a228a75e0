package sim_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// acme is a minimal provider: standard OAuth with rotating refresh tokens
// and one authenticated endpoint.
type acme struct{ resets int }

func (a *acme) Name() string { return "acme" }
func (a *acme) Reset()       { a.resets++ }
func (a *acme) CatalogYAML(base string) string {
	return "acme:\n    auth_mode: OAUTH2\n    authorization_url: " + base + "/acme/authorize\n"
}
func (a *acme) Mount(s *sim.Server, mux *http.ServeMux) {
	cfg := sim.OAuthConfig{Provider: "acme", AccessTTL: time.Hour, RefreshTokens: true, RotateRefresh: true, DefaultSubject: "user-1"}
	mux.HandleFunc("GET /acme/authorize", s.OAuth.AuthorizeHandler(cfg))
	mux.HandleFunc("POST /acme/token", s.OAuth.TokenHandler(cfg))
	mux.HandleFunc("POST /acme/revoke", s.OAuth.RevokeHandler("acme"))
	mux.HandleFunc("GET /acme/me", func(w http.ResponseWriter, r *http.Request) {
		g, err := s.OAuth.Authenticate(r, "acme")
		if err != nil {
			sim.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Reason})
			return
		}
		sim.WriteJSON(w, http.StatusOK, map[string]any{"subject": g.Subject, "scopes": g.Scopes})
	})
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
}

func postForm(t *testing.T, u string, form url.Values) (int, tokenResponse) {
	t.Helper()
	res, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(res.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, tr
}

// authorize runs the authorize step and returns the code.
func authorize(t *testing.T, s *sim.Server, extra url.Values) string {
	t.Helper()
	q := url.Values{"client_id": {"acme-client-id"}, "redirect_uri": {"http://app.test/cb"}, "state": {"xyz"}, "scope": {"read write"}, "response_type": {"code"}}
	for k, v := range extra {
		q[k] = v
	}
	res, err := noRedirect.Get(s.BaseURL() + "/acme/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect = %s", loc)
	}
	return loc.Query().Get("code")
}

func exchange(t *testing.T, s *sim.Server, code string, extra url.Values) (int, tokenResponse) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://app.test/cb"},
		"client_id": {"acme-client-id"}, "client_secret": {"acme-client-secret"}}
	for k, v := range extra {
		form[k] = v
	}
	return postForm(t, s.BaseURL()+"/acme/token", form)
}

func get(t *testing.T, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	t.Parallel()
	s := sim.ServeTest(t, sim.Options{}, &acme{})
	verifier := "a-long-random-verifier-0123456789-abcdefghijklmnop"
	sum := sha256.Sum256([]byte(verifier))
	challenge := url.Values{"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}

	tests := []struct {
		name  string
		extra url.Values
		code  string
		want  string
	}{
		{name: "wrong verifier", extra: url.Values{"code_verifier": {"nope"}}, want: "invalid_grant"},
		{name: "no verifier", want: "invalid_grant"},
		{name: "wrong redirect", extra: url.Values{"code_verifier": {verifier}, "redirect_uri": {"http://evil.test/cb"}}, want: "invalid_grant"},
		{name: "wrong secret", extra: url.Values{"code_verifier": {verifier}, "client_secret": {"x"}}, want: "invalid_client"},
		{name: "ok", extra: url.Values{"code_verifier": {verifier}}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code := authorize(t, s, challenge)
			status, tr := exchange(t, s, code, tt.extra)
			if tr.Error != tt.want {
				t.Fatalf("error = %q (status %d), want %q", tr.Error, status, tt.want)
			}
			if tt.want != "" {
				return
			}
			if tr.AccessToken == "" || tr.RefreshToken == "" || tr.ExpiresIn != 3600 {
				t.Fatalf("token response = %+v", tr)
			}
			if _, again := exchange(t, s, code, tt.extra); again.Error != "invalid_grant" {
				t.Fatalf("code reused: %+v", again)
			}
		})
	}
}

func TestRefreshRotationRevocationAndExpiry(t *testing.T) {
	t.Parallel()
	s := sim.ServeTest(t, sim.Options{}, &acme{})
	_, tr := exchange(t, s, authorize(t, s, nil), nil)
	if code := get(t, s.BaseURL()+"/acme/me", tr.AccessToken); code != 200 {
		t.Fatalf("fresh token: %d", code)
	}
	refresh := func(token string) tokenResponse {
		_, r := postForm(t, s.BaseURL()+"/acme/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token},
			"client_id": {"acme-client-id"}, "client_secret": {"acme-client-secret"}})
		return r
	}
	next := refresh(tr.RefreshToken)
	if next.AccessToken == "" || next.RefreshToken == tr.RefreshToken {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	if used := refresh(tr.RefreshToken); used.Error != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %+v", used)
	}
	if n := len(s.Requests(sim.RequestFilter{Path: "/acme/token", Note: "grant_type=refresh_token"})); n != 2 {
		t.Fatalf("request log counts %d refresh calls, want 2", n)
	}

	s.Clock.Advance(time.Hour)
	if code := get(t, s.BaseURL()+"/acme/me", next.AccessToken); code != 401 {
		t.Fatalf("token after its lifetime: %d", code)
	}
	if n := s.OAuth.RevokeSubject("acme", "user-1"); n == 0 {
		t.Fatal("RevokeSubject revoked nothing")
	}
	if r := refresh(next.RefreshToken); r.Error != "invalid_grant" {
		t.Fatalf("refresh after revocation: %+v", r)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := sim.ServeTest(t, sim.Options{}, &acme{})
	g := s.OAuth.Issue(sim.Grant{Provider: "acme", ClientID: "acme-client-id", Subject: "u"}, 0, false)
	me := s.BaseURL() + "/acme/me"

	s.Faults().Add(sim.Fault{Kind: sim.FaultError, Path: "/acme/me", Skip: 1, Count: 2, Status: 503})
	var codes []int
	for range 4 {
		codes = append(codes, get(t, me, g.AccessToken))
	}
	if want := []int{200, 503, 503, 200}; !equal(codes, want) {
		t.Fatalf("codes = %v, want %v", codes, want)
	}
	s.Faults().Clear()

	s.Faults().Add(sim.Fault{Kind: sim.FaultRateLimit, Provider: "acme", RetryAfterSeconds: 7, Count: 1})
	res, err := http.Get(me)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "7" {
		t.Fatalf("rate-limit fault: %d %q", res.StatusCode, res.Header.Get("Retry-After"))
	}

	s.Faults().Add(sim.Fault{Kind: sim.FaultDrop, Path: "/acme/*", Count: 1})
	if _, err := http.Get(me); err == nil {
		t.Fatal("dropped connection returned a response")
	} else if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") {
		t.Logf("drop error: %v", err)
	}
	if code := get(t, me, g.AccessToken); code != 200 {
		t.Fatalf("after a one-shot drop: %d", code)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	p := &acme{}
	s := sim.ServeTest(t, sim.Options{Seed: 1}, p)
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		res, err := http.Post(s.BaseURL()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	before := s.Clock.Now()
	if code, _ := post("/_control/clock/advance", `{"seconds":3600}`); code != 200 {
		t.Fatalf("advance: %d", code)
	}
	if d := s.Clock.Now().Sub(before); d < time.Hour || d > time.Hour+time.Minute {
		t.Fatalf("clock moved %v", d)
	}
	code, tok := post("/_control/tokens", `{"provider":"acme","subject":"u9","ttl_seconds":60}`)
	if code != 201 || tok["access_token"] == "" {
		t.Fatalf("tokens: %d %v", code, tok)
	}
	if c := get(t, s.BaseURL()+"/acme/me", tok["access_token"].(string)); c != 200 {
		t.Fatalf("control-issued token: %d", c)
	}
	if code, out := post("/_control/revoke", `{"provider":"acme","subject":"u9"}`); code != 200 || out["revoked"].(float64) != 1 {
		t.Fatalf("revoke: %d %v", code, out)
	}
	if c := get(t, s.BaseURL()+"/acme/me", tok["access_token"].(string)); c != 401 {
		t.Fatalf("revoked token: %d", c)
	}
	if code, _ := post("/_control/faults", `{"kind":"explode"}`); code != 400 {
		t.Fatalf("bad fault kind: %d", code)
	}
	if code, _ := post("/_control/revoke", `{"provider":"acme"}`); code != 400 {
		t.Fatalf("revoke without target: %d", code)
	}
	if code, _ := post("/_control/clock/advance", `{"seconds":`); code != 400 {
		t.Fatalf("malformed body: %d", code)
	}
	if code, out := post("/_control/reset", `{"seed":42}`); code != 200 || out["seed"].(float64) != 42 || s.Seed() != 42 || p.resets != 2 {
		t.Fatalf("reset: %d %v seed=%d resets=%d", code, out, s.Seed(), p.resets)
	}
	if n := len(s.Requests(sim.RequestFilter{})); n != 0 {
		t.Fatalf("request log after reset has %d entries", n)
	}
	res, err := http.Get(s.BaseURL() + "/_control/providers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), s.BaseURL()+"/acme/authorize") {
		t.Fatalf("providers.yaml = %s", body)
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	clock := sim.NewClock()
	l := sim.NewLimiter(clock)
	for i := range 5 {
		if v := l.Take("k", 5, time.Second); !v.Allowed || v.Remaining != 4-i {
			t.Fatalf("take %d: %+v", i, v)
		}
	}
	if v := l.Take("k", 5, time.Second); v.Allowed || v.Remaining != 0 {
		t.Fatalf("over the limit: %+v", v)
	}
	if v := l.Take("other", 5, time.Second); !v.Allowed {
		t.Fatal("keys share a window")
	}
	clock.Advance(time.Second)
	if v := l.Take("k", 5, time.Second); !v.Allowed {
		t.Fatal("a new window did not reset the count")
	}
}

func TestDeterministicData(t *testing.T) {
	t.Parallel()
	a := sim.New(sim.Options{Seed: 7})
	b := sim.New(sim.Options{Seed: 7})
	c := sim.New(sim.Options{Seed: 8})
	if a.ItemRand("x", 3).Uint64() != b.ItemRand("x", 3).Uint64() || a.Rand("y").Uint64() != b.Rand("y").Uint64() {
		t.Fatal("same seed, different data")
	}
	if a.ItemRand("x", 3).Uint64() == c.ItemRand("x", 3).Uint64() {
		t.Fatal("different seeds, same data")
	}
	if a.ItemRand("x", 3).Uint64() == a.ItemRand("x", 4).Uint64() {
		t.Fatal("neighbouring items share data")
	}
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	receiver := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("X-Test") + " " + string(b)
		w.WriteHeader(http.StatusAccepted)
	})}
	ts := sim.ServeTest(t, sim.Options{}, &acme{})
	rs := httptestServer(t, receiver.Handler)
	ts.Webhooks().SetURL(rs)
	ts.Webhooks().Send("acme", http.Header{"X-Test": {"yes"}}, []byte(`{"event":1}`))
	ts.Webhooks().Wait()
	if msg := <-got; msg != `yes {"event":1}` {
		t.Fatalf("receiver got %q", msg)
	}
	d := ts.Webhooks().Deliveries()
	if len(d) != 1 || d[0].Status != http.StatusAccepted || d[0].Provider != "acme" {
		t.Fatalf("deliveries = %+v", d)
	}
	ts.Webhooks().SetURL("")
	ts.Webhooks().Send("acme", nil, []byte(`{}`))
	ts.Webhooks().Wait()
	if n := len(ts.Webhooks().Deliveries()); n != 1 {
		t.Fatalf("sent without a URL: %d deliveries", n)
	}
}

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
