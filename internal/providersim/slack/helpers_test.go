package slack

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// allScopes is what the bundle's bot token may do.
var allScopes = []string{"users:read", "users:read.email", "channels:read", "groups:read", "chat:write"}

// bundle is one test's simulator, its default workspace and a bot token.
type bundle struct {
	s     *sim.Server
	p     *Provider
	ws    *workspace
	token string
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	s := sim.ServeTest(t, so, p)
	b := &bundle{s: s, p: p, ws: p.workspace(p.opts.TeamID)}
	b.token = b.issue(kindBot, allScopes...)
	return b
}

// issue mints a non-expiring token of kind for the default workspace, in
// Slack's spelling.
func (b *bundle) issue(kind string, scopes ...string) string {
	userID := b.ws.botUserID
	if kind == kindUser {
		userID = b.ws.ownerID
	}
	g := b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: b.ws.id,
		Scopes: scopes, Extra: map[string]string{"kind": kind, "user_id": userID}}, 0, false)
	return externalAccess(g)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// fields decodes the body as an object.
func (r response) fields(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// noRedirects is a client that reports redirects instead of following
// them (authorization responses).
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func send(t testing.TB, req *http.Request) response {
	t.Helper()
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// call POSTs a form to a Web API method with token as a Bearer header
// ("" sends none).
func (b *bundle) call(t testing.TB, method, token string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.BaseURL()+"/slack/api/"+method, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, req)
}

// callJSON POSTs a JSON body to a Web API method with a Bearer token.
func (b *bundle) callJSON(t testing.TB, method, token string, body any) response {
	t.Helper()
	buf, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.s.BaseURL()+"/slack/api/"+method, bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

// control POSTs JSON to path and returns the answer.
func (b *bundle) control(t testing.TB, path string, body any) response {
	t.Helper()
	buf, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.s.BaseURL()+path, bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return send(t, req)
}

// wantOK fails unless the answer is HTTP 200 with ok:true.
func wantOK(t testing.TB, r response) map[string]any {
	t.Helper()
	m := r.fields(t)
	if r.status != http.StatusOK || m["ok"] != true {
		t.Fatalf("want 200 ok:true, got %d %s", r.status, r.body)
	}
	return m
}

// wantError fails unless the answer is HTTP 200 with ok:false and code.
func wantError(t testing.TB, r response, code string) map[string]any {
	t.Helper()
	m := r.fields(t)
	if r.status != http.StatusOK || m["ok"] != false || m["error"] != code {
		t.Fatalf("want 200 {ok:false, error:%q}, got %d %s", code, r.status, r.body)
	}
	return m
}

const redirectURI = "https://app.example.com/oauth/callback"

// authorize runs the authorization step and returns the code.
func (b *bundle) authorize(t testing.TB, q url.Values) string {
	t.Helper()
	q.Set("client_id", sim.DefaultClient(name).ID)
	q.Set("redirect_uri", redirectURI)
	q.Set("state", "st4te")
	req, err := http.NewRequest(http.MethodGet, b.s.BaseURL()+"/slack/oauth/v2/authorize?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := send(t, req)
	if res.status != http.StatusFound {
		t.Fatalf("authorize: %d %s", res.status, res.body)
	}
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("state") != "st4te" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize redirected to %s", loc)
	}
	return loc.Query().Get("code")
}

// access posts form to oauth.v2.access.
func (b *bundle) access(t testing.TB, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.BaseURL()+"/slack/api/oauth.v2.access", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

// exchangeForm is a valid code exchange with the credentials in the body.
func exchangeForm(code string) url.Values {
	c := sim.DefaultClient(name)
	return url.Values{"code": {code}, "client_id": {c.ID}, "client_secret": {c.Secret}, "redirect_uri": {redirectURI}}
}

// sink is a webhook receiver that records what it gets.
type sink struct {
	mu       sync.Mutex
	requests []sinkRequest
}

type sinkRequest struct {
	header http.Header
	body   []byte
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, sinkRequest{header: r.Header.Clone(), body: body})
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *sink) all() []sinkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkRequest(nil), s.requests...)
}
