package slack

import (
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// allScopes is what the bundle's bot token may do.
var allScopes = []string{"users:read", "users:read.email", "channels:read", "groups:read", "chat:write"}

// bundle is one test's simulator, its default workspace and a bot token.
type bundle struct {
	s     *simtest.Server
	p     *Provider
	ws    *workspace
	token string
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	s := simtest.Start(t, so, p)
	b := &bundle{s: s, p: p, ws: p.workspaces.Get(p.opts.TeamID)}
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

// fields decodes the body as an object.
func fields(t testing.TB, r simtest.Response) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// call POSTs a form to a Web API method with token as a Bearer header
// ("" sends none).
func (b *bundle) call(t testing.TB, method, token string, form url.Values) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodPost, "/slack/api/"+method, form, simtest.Bearer(token))
}

// callJSON POSTs a JSON body to a Web API method with a Bearer token.
func (b *bundle) callJSON(t testing.TB, method, token string, body any) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodPost, "/slack/api/"+method, body,
		simtest.Header("Content-Type", "application/json; charset=utf-8"), simtest.Bearer(token))
}

// wantOK fails unless the answer is HTTP 200 with ok:true.
func wantOK(t testing.TB, r simtest.Response) map[string]any {
	t.Helper()
	m := fields(t, r)
	if r.Status != http.StatusOK || m["ok"] != true {
		t.Fatalf("want 200 ok:true, got %d %s", r.Status, r.Body)
	}
	return m
}

// wantError fails unless the answer is HTTP 200 with ok:false and code.
func wantError(t testing.TB, r simtest.Response, code string) map[string]any {
	t.Helper()
	m := fields(t, r)
	if r.Status != http.StatusOK || m["ok"] != false || m["error"] != code {
		t.Fatalf("want 200 {ok:false, error:%q}, got %d %s", code, r.Status, r.Body)
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
	res := b.s.Call(t, http.MethodGet, "/slack/oauth/v2/authorize?"+q.Encode(), nil).Want(t, http.StatusFound, "authorize")
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("state") != "st4te" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize redirected to %s", loc)
	}
	return loc.Query().Get("code")
}

// access posts form to oauth.v2.access.
func (b *bundle) access(t testing.TB, form url.Values) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodPost, "/slack/api/oauth.v2.access", form)
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
