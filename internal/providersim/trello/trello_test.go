package trello

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
	e := simtest.Entry(t, New(Options{}), base, "trello")
	want := map[string]string{
		"auth_mode":         "OAUTH1",
		"request_url":       base + "/trello/1/OAuthGetRequestToken",
		"authorization_url": base + "/trello/1/OAuthAuthorizeToken",
		"token_url":         base + "/trello/1/OAuthGetAccessToken",
		"signature_method":  "HMAC-SHA1",
		"scope_separator":   ",",
		"expiration":        "never",
		"proxy.base_url":    base + "/trello",
	}
	got := map[string]string{
		"auth_mode":         e.AuthMode,
		"request_url":       e.RequestURL,
		"authorization_url": e.AuthorizationURL,
		"token_url":         e.TokenURL,
		"signature_method":  e.SignatureMethod,
		"scope_separator":   e.ScopeSeparator,
		"expiration":        e.AuthorizationParams["expiration"],
		"proxy.base_url":    e.Proxy.BaseURL,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestThreeLeggedFlow(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := defaultSigner()

	rt, rs := b.requestToken(t, sg, "http://app.test/cb?state=xyz")
	loc := b.authorize(t, url.Values{"oauth_token": {rt}, "name": {"Test App"}, "scope": {"read,write"}, "expiration": {"never"}, "sim_user": {"grace"}})
	q := loc.Query()
	if loc.Host != "app.test" || loc.Path != "/cb" || q.Get("state") != "xyz" || q.Get("oauth_token") != rt || q.Get("oauth_verifier") == "" {
		t.Fatalf("callback = %s", loc)
	}

	res := b.accessToken(t, sg, rt, rs, q.Get("oauth_verifier"))
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Fatalf("access token: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Text())
	}
	f := res.Form(t)
	token, secret := f.Get("oauth_token"), f.Get("oauth_token_secret")
	if !strings.HasPrefix(token, "ATTA") || len(token) != 68 || secret == "" {
		t.Fatalf("token credentials %q", res.Text())
	}

	// The request token served its one exchange.
	if again := b.accessToken(t, sg, rt, rs, q.Get("oauth_verifier")); again.Status != http.StatusUnauthorized || again.Text() != "invalid token" {
		t.Errorf("second exchange: %d %q", again.Status, again.Text())
	}

	req := b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me", nil)
	sg.sign(t, req, token, secret, nil)
	me := simtest.Do(t, req)
	var m struct {
		ID       string   `json:"id"`
		Username string   `json:"username"`
		Email    *string  `json:"email"`
		IDBoards []string `json:"idBoards"`
	}
	me.Decode(t, &m)
	if me.Status != http.StatusOK || m.Username != "grace" || len(m.ID) != 24 || len(m.IDBoards) != 5 || m.Email != nil {
		t.Fatalf("members/me: %d %s", me.Status, me.Text())
	}

	// Query parameters with commas are part of what is signed.
	req = b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me/boards?filter=open&fields=name,closed,url", nil)
	sg.sign(t, req, token, secret, nil)
	boards := simtest.Do(t, req)
	var list []map[string]any
	boards.Decode(t, &list)
	if boards.Status != http.StatusOK || len(list) != 4 {
		t.Fatalf("boards: %d %s", boards.Status, boards.Text())
	}
	for _, bd := range list {
		if len(bd) != 4 || bd["closed"] != false || bd["id"] == "" {
			t.Errorf("board %v: want id, name, closed (false) and url only", bd)
		}
	}

	grants := map[string]int{}
	for _, r := range b.s.Requests(sim.RequestFilter{Provider: "trello"}) {
		if g := r.Notes["grant"]; g != "" {
			grants[g+"/"+http.StatusText(r.Status)]++
		}
	}
	if grants["request_token/OK"] != 1 || grants["access_token/OK"] != 1 || grants["access_token/Unauthorized"] != 1 {
		t.Errorf("request log grants = %v", grants)
	}
	if n := len(b.s.Requests(sim.RequestFilter{Provider: "trello", Note: "auth=oauth"})); n != 2 {
		t.Errorf("signed API calls logged = %d, want 2", n)
	}
}

func TestPlaintextFlow(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := &signer{key: defaultKey, secret: defaultSecret, method: "PLAINTEXT"}
	token, secret := b.connect(t, sg, "", "read")
	req := b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me", nil)
	sg.sign(t, req, token, secret, nil)
	simtest.Do(t, req).Want(t, http.StatusOK, "members/me")
	// A PLAINTEXT signature with the wrong token secret is refused.
	req = b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me", nil)
	sg.sign(t, req, token, "wrong", nil)
	if res := simtest.Do(t, req); res.Status != http.StatusUnauthorized || res.Text() != "invalid signature" {
		t.Fatalf("wrong secret: %d %q", res.Status, res.Text())
	}
}

func TestRequestTokenRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	fixedNonce := &signer{key: defaultKey, secret: defaultSecret, nonce: func() string { return "same" },
		now: func() time.Time { return time.Unix(time.Now().Unix(), 0) }}
	tests := []struct {
		name       string
		sg         *signer
		token      string
		extra      map[string]string
		tamper     func(*http.Request)
		wantStatus int
		wantBody   string
	}{
		{name: "unknown key", sg: &signer{key: "nope", secret: defaultSecret}, extra: map[string]string{"oauth_callback": "oob"},
			wantStatus: 401, wantBody: "invalid key"},
		{name: "wrong consumer secret", sg: &signer{key: defaultKey, secret: "wrong"}, extra: map[string]string{"oauth_callback": "oob"},
			wantStatus: 401, wantBody: "invalid signature"},
		{name: "no callback", sg: defaultSigner(), wantStatus: 400, wantBody: "oauth_callback is required"},
		{name: "relative callback", sg: defaultSigner(), extra: map[string]string{"oauth_callback": "/cb"}, wantStatus: 400, wantBody: "invalid oauth_callback"},
		{name: "token given", sg: defaultSigner(), token: "abc", extra: map[string]string{"oauth_callback": "oob"}, wantStatus: 401, wantBody: "invalid token"},
		{name: "stale timestamp", sg: &signer{key: defaultKey, secret: defaultSecret, now: func() time.Time { return time.Now().Add(-6 * time.Minute) }},
			extra: map[string]string{"oauth_callback": "oob"}, wantStatus: 401, wantBody: "invalid timestamp"},
		{name: "future timestamp", sg: &signer{key: defaultKey, secret: defaultSecret, now: func() time.Time { return time.Now().Add(6 * time.Minute) }},
			extra: map[string]string{"oauth_callback": "oob"}, wantStatus: 401, wantBody: "invalid timestamp"},
		{name: "RSA-SHA1", sg: &signer{key: defaultKey, secret: defaultSecret, method: "RSA-SHA1"}, extra: map[string]string{"oauth_callback": "oob"},
			wantStatus: 401, wantBody: "invalid signature method"},
		{name: "no header", sg: defaultSigner(), tamper: func(r *http.Request) { r.Header.Del("Authorization") }, wantStatus: 400},
		{name: "signed for another path", sg: defaultSigner(), extra: map[string]string{"oauth_callback": "oob"},
			tamper: func(r *http.Request) { r.URL.RawQuery = "extra=1" }, wantStatus: 401, wantBody: "invalid signature"},
		{name: "first use of a nonce", sg: fixedNonce, extra: map[string]string{"oauth_callback": "oob"}, wantStatus: 200},
		{name: "replayed nonce", sg: fixedNonce, extra: map[string]string{"oauth_callback": "oob"}, wantStatus: 401, wantBody: "invalid nonce"},
	}
	for _, tt := range tests { // in order: the replay follows the first use
		req := b.s.NewRequest(t, http.MethodPost, "/trello/1/OAuthGetRequestToken", nil)
		tt.sg.sign(t, req, tt.token, "", tt.extra)
		if tt.tamper != nil {
			tt.tamper(req)
		}
		res := simtest.Do(t, req)
		if res.Status != tt.wantStatus || tt.wantBody != "" && res.Text() != tt.wantBody {
			t.Errorf("%s: %d %q, want %d %q", tt.name, res.Status, res.Text(), tt.wantStatus, tt.wantBody)
		}
	}
}

func TestTimestampWindowFollowsSimClock(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	b.s.Clock.Advance(10 * time.Minute)
	req := b.s.NewRequest(t, http.MethodPost, "/trello/1/OAuthGetRequestToken", nil)
	defaultSigner().sign(t, req, "", "", map[string]string{"oauth_callback": "oob"})
	if res := simtest.Do(t, req); res.Status != http.StatusUnauthorized || res.Text() != "invalid timestamp" {
		t.Fatalf("real-time timestamp on a clock 10 minutes ahead: %d %q", res.Status, res.Text())
	}
	sg := &signer{key: defaultKey, secret: defaultSecret, now: b.s.Clock.Now}
	b.requestToken(t, sg, "oob")
}

func TestAccessTokenRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := defaultSigner()
	approved := func() (string, string, string) {
		rt, rs := b.requestToken(t, sg, "http://app.test/cb")
		loc := b.authorize(t, url.Values{"oauth_token": {rt}})
		return rt, rs, loc.Query().Get("oauth_verifier")
	}

	rt, rs, v := approved()
	if res := b.accessToken(t, sg, rt, "wrong-secret", v); res.Status != 401 || res.Text() != "invalid signature" {
		t.Errorf("wrong request token secret: %d %q", res.Status, res.Text())
	}
	// A bad signature does not spend the request token.
	if res := b.accessToken(t, sg, rt, rs, v); res.Status != 200 {
		t.Errorf("exchange after a bad signature: %d %q", res.Status, res.Text())
	}

	rt, rs, _ = approved()
	if res := b.accessToken(t, sg, rt, rs, "not-the-verifier"); res.Status != 401 || res.Text() != "invalid verifier" {
		t.Errorf("wrong verifier: %d %q", res.Status, res.Text())
	}

	// Not approved yet.
	rt, rs = b.requestToken(t, sg, "http://app.test/cb")
	if res := b.accessToken(t, sg, rt, rs, ""); res.Status != 401 || res.Text() != "invalid verifier" {
		t.Errorf("unapproved: %d %q", res.Status, res.Text())
	}

	// Another consumer's request token.
	if st := b.control(t, http.MethodPost, "/_control/trello/consumers", map[string]string{"key": "k2", "secret": "s2"}, nil); st != http.StatusCreated {
		t.Fatalf("register consumer: %d", st)
	}
	rt, rs, v = approved()
	if res := b.accessToken(t, &signer{key: "k2", secret: "s2"}, rt, rs, v); res.Status != 401 || res.Text() != "invalid token" {
		t.Errorf("other consumer: %d %q", res.Status, res.Text())
	}

	// Expired temporary credentials.
	rt, rs, v = approved()
	b.s.Clock.Advance(11 * time.Minute)
	late := &signer{key: defaultKey, secret: defaultSecret, now: b.s.Clock.Now}
	if res := b.accessToken(t, late, rt, rs, v); res.Status != 401 || res.Text() != "invalid token" {
		t.Errorf("expired request token: %d %q", res.Status, res.Text())
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := defaultSigner()

	t.Run("deny", func(t *testing.T) {
		rt, rs := b.requestToken(t, sg, "http://app.test/cb")
		req := b.s.NewRequest(t, http.MethodPost, "/trello/1/OAuthAuthorizeToken", url.Values{"oauth_token": {rt}, "decision": {"deny"}})
		res := simtest.Do(t, req)
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.Status != http.StatusFound || loc.Query().Get("oauth_token") != rt || loc.Query().Has("oauth_verifier") {
			t.Fatalf("deny: %d %s", res.Status, res.Header.Get("Location"))
		}
		if res := b.accessToken(t, sg, rt, rs, ""); res.Status != 401 || res.Text() != "invalid token" {
			t.Errorf("exchange after denial: %d %q", res.Status, res.Text())
		}
	})
	t.Run("refusals", func(t *testing.T) {
		rt, _ := b.requestToken(t, sg, "http://app.test/cb")
		for _, tt := range []struct {
			q    url.Values
			want string
		}{
			{url.Values{"oauth_token": {"unknown"}}, "invalid token"},
			{url.Values{"oauth_token": {rt}, "scope": {"read,admin"}}, "invalid scope"},
			{url.Values{"oauth_token": {rt}, "expiration": {"1week"}}, "invalid expiration"},
			{url.Values{"oauth_token": {rt}, "sim_user": {"no spaces"}}, "invalid sim_user"},
		} {
			res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/OAuthAuthorizeToken?"+tt.q.Encode(), nil))
			if res.Status != http.StatusBadRequest || res.Text() != tt.want {
				t.Errorf("%v: %d %q, want 400 %q", tt.q, res.Status, res.Text(), tt.want)
			}
		}
		b.authorize(t, url.Values{"oauth_token": {rt}})
		res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/OAuthAuthorizeToken?oauth_token="+rt, nil))
		if res.Status != http.StatusBadRequest || res.Text() != "invalid token" {
			t.Errorf("approving twice: %d %q", res.Status, res.Text())
		}
	})
	t.Run("oob", func(t *testing.T) {
		rt, rs := b.requestToken(t, sg, "oob")
		res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/OAuthAuthorizeToken?oauth_token="+rt, nil))
		_, after, ok := strings.Cut(res.Text(), `<pre id="verifier">`)
		verifier, _, _ := strings.Cut(after, "</pre>")
		if res.Status != http.StatusOK || !ok || verifier == "" {
			t.Fatalf("oob page: %d %s", res.Status, res.Text())
		}
		if res := b.accessToken(t, sg, rt, rs, verifier); res.Status != 200 {
			t.Errorf("oob exchange: %d %q", res.Status, res.Text())
		}
	})
}

func TestInteractiveConsent(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Interactive: true}, Options{})
	sg := defaultSigner()
	rt, rs := b.requestToken(t, sg, "http://app.test/cb")
	page := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/OAuthAuthorizeToken?name=My+App&scope=read,write&oauth_token="+rt, nil))
	if page.Status != http.StatusOK || !strings.Contains(page.Text(), "My App") || !strings.Contains(page.Text(), `value="`+rt+`"`) {
		t.Fatalf("consent page: %d %s", page.Status, page.Text())
	}
	res := simtest.Do(t, b.s.NewRequest(t, http.MethodPost, "/trello/1/OAuthAuthorizeToken",
		url.Values{"oauth_token": {rt}, "scope": {"read,write"}, "decision": {"approve"}, "sim_user": {"ada"}}))
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.Status != http.StatusFound || loc.Query().Get("oauth_verifier") == "" {
		t.Fatalf("approve: %d %s", res.Status, res.Header.Get("Location"))
	}
	if res := b.accessToken(t, sg, rt, rs, loc.Query().Get("oauth_verifier")); res.Status != 200 {
		t.Errorf("exchange: %d %q", res.Status, res.Text())
	}
}

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := defaultSigner()
	token, secret := b.connect(t, sg, "", "read")

	get := func(path string, sign simtest.Option) simtest.Response {
		return b.s.Call(t, http.MethodGet, path, nil, sign)
	}
	signed := func(tok, sec string) func(*http.Request) {
		return func(r *http.Request) { sg.sign(t, r, tok, sec, nil) }
	}
	tests := []struct {
		name       string
		path       string
		sign       func(*http.Request)
		wantStatus int
		wantBody   string
	}{
		{name: "signed", path: "/trello/1/members/me", sign: signed(token, secret), wantStatus: 200},
		{name: "key and token", path: "/trello/1/members/me?key=" + defaultKey + "&token=" + token, wantStatus: 200},
		{name: "unsigned header", path: "/trello/1/members/me", sign: func(r *http.Request) {
			r.Header.Set("Authorization", `OAuth oauth_consumer_key="`+defaultKey+`", oauth_token="`+token+`"`)
		}, wantStatus: 200},
		{name: "wrong token secret", path: "/trello/1/members/me", sign: signed(token, "x"), wantStatus: 401, wantBody: "invalid signature"},
		{name: "unknown token", path: "/trello/1/members/me", sign: signed("ATTAnope", secret), wantStatus: 401, wantBody: "invalid token"},
		{name: "no credentials", path: "/trello/1/members/me", wantStatus: 401, wantBody: "invalid key"},
		{name: "key without token", path: "/trello/1/members/me?key=" + defaultKey, wantStatus: 401, wantBody: "unauthorized permission requested"},
		{name: "unknown key", path: "/trello/1/members/me?key=abc&token=" + token, wantStatus: 401, wantBody: "invalid key"},
		{name: "bad fields", path: "/trello/1/members/me?fields=nope&key=" + defaultKey + "&token=" + token, wantStatus: 400, wantBody: "invalid value for fields"},
		{name: "bad filter", path: "/trello/1/members/me/boards?filter=nope&key=" + defaultKey + "&token=" + token, wantStatus: 400, wantBody: "invalid value for filter"},
	}
	for _, tt := range tests {
		res := get(tt.path, tt.sign)
		if res.Status != tt.wantStatus || tt.wantBody != "" && res.Text() != tt.wantBody {
			t.Errorf("%s: %d %q, want %d %q", tt.name, res.Status, res.Text(), tt.wantStatus, tt.wantBody)
		}
		if tt.wantBody != "" && res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tt.name, res.Header.Get("Content-Type"))
		}
	}
	// The two bad-parameter calls authenticate with key and token too.
	for note, want := range map[string]int{"oauth": 1, "key_token": 3, "oauth_unsigned": 1} {
		if n := len(b.s.Requests(sim.RequestFilter{Provider: "trello", Note: "auth=" + note})); n != want {
			t.Errorf("requests noted auth=%s: %d, want %d", note, n, want)
		}
	}

	// A token works only with the key it was issued to.
	b.control(t, http.MethodPost, "/_control/trello/consumers", map[string]string{"key": "k2", "secret": "s2"}, nil)
	if res := get("/trello/1/members/me", func(r *http.Request) { (&signer{key: "k2", secret: "s2"}).sign(t, r, token, secret, nil) }); res.Status != 401 || res.Text() != "invalid token" {
		t.Errorf("token under another key: %d %q", res.Status, res.Text())
	}

	// Revoked through the control API.
	var out map[string]int
	if st := b.control(t, http.MethodDelete, "/_control/trello/tokens/"+token, nil, &out); st != 200 || out["revoked"] != 1 {
		t.Fatalf("revoke: %d %v", st, out)
	}
	if res := get("/trello/1/members/me", signed(token, secret)); res.Status != 401 || res.Text() != "invalid token" {
		t.Errorf("revoked: %d %q", res.Status, res.Text())
	}
	if st := b.control(t, http.MethodDelete, "/_control/trello/tokens/unknown", nil, nil); st != http.StatusNotFound {
		t.Errorf("revoke unknown: %d", st)
	}
}

func TestTokenExpiration(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := &signer{key: defaultKey, secret: defaultSecret, now: b.s.Clock.Now}
	rt, rs := b.requestToken(t, sg, "http://app.test/cb")
	loc := b.authorize(t, url.Values{"oauth_token": {rt}, "expiration": {"1hour"}})
	f := b.accessToken(t, sg, rt, rs, loc.Query().Get("oauth_verifier")).Form(t)
	path := "/trello/1/members/me?key=" + defaultKey + "&token=" + f.Get("oauth_token")
	if res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, path, nil)); res.Status != 200 {
		t.Fatalf("fresh token: %d %q", res.Status, res.Text())
	}
	b.s.Clock.Advance(time.Hour)
	if res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, path, nil)); res.Status != 401 || res.Text() != "invalid token" {
		t.Errorf("expired token: %d %q", res.Status, res.Text())
	}
}

func TestScopesAndCreateBoard(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	sg := defaultSigner()
	readTok, readSec := b.connect(t, sg, "ada", "read")
	writeTok, writeSec := b.connect(t, sg, "ada", "read,write,account")

	create := func(tok, sec string) simtest.Response {
		req := b.s.NewRequest(t, http.MethodPost, "/trello/1/boards?desc=from+test", url.Values{"name": {"Q3 Plan & Budget"}})
		sg.sign(t, req, tok, sec, nil)
		return simtest.Do(t, req)
	}
	if res := create(readTok, readSec); res.Status != 401 || res.Text() != "unauthorized permission requested" {
		t.Errorf("create with read scope: %d %q", res.Status, res.Text())
	}
	res := create(writeTok, writeSec)
	var bd struct{ ID, Name, Desc, URL string }
	res.Decode(t, &bd)
	if res.Status != 200 || bd.Name != "Q3 Plan & Budget" || bd.Desc != "from test" || !strings.HasSuffix(bd.URL, "/q3-plan-budget") {
		t.Fatalf("create: %d %s", res.Status, res.Text())
	}

	req := b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me/boards?fields=name", nil)
	sg.sign(t, req, readTok, readSec, nil)
	var list []struct{ ID, Name string }
	simtest.Do(t, req).Decode(t, &list)
	if len(list) != 6 || list[5].ID != bd.ID {
		t.Errorf("boards after create = %+v", list)
	}

	req = b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me?fields=email,username", nil)
	sg.sign(t, req, writeTok, writeSec, nil)
	var m map[string]any
	simtest.Do(t, req).Decode(t, &m)
	if m["email"] != "ada@example.com" || m["username"] != "ada" || len(m) != 3 {
		t.Errorf("member with account scope = %v", m)
	}
}

func TestControl(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	for _, tt := range []struct {
		path string
		body any
	}{
		{"/_control/trello/consumers", map[string]string{"key": "k"}},
		{"/_control/trello/consumers", map[string]string{"key": defaultKey, "secret": "x"}},
		{"/_control/trello/tokens", map[string]string{"scope": "admin"}},
		{"/_control/trello/tokens", map[string]string{"expiration": "1week"}},
		{"/_control/trello/tokens", map[string]string{"member": "Bad Name"}},
		{"/_control/trello/tokens", map[string]string{"key": "unknown"}},
	} {
		var out map[string]string
		if st := b.control(t, http.MethodPost, tt.path, tt.body, &out); st != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("%s %v: %d %v", tt.path, tt.body, st, out)
		}
	}

	var tok map[string]string
	if st := b.control(t, http.MethodPost, "/_control/trello/tokens", map[string]string{"member": "linus", "scope": "read,write"}, &tok); st != http.StatusCreated {
		t.Fatalf("issue: %d %v", st, tok)
	}
	if tok["member"] != "linus" || tok["scope"] != "read,write" || tok["expiration"] != "never" || tok["key"] != defaultKey {
		t.Errorf("issued %v", tok)
	}
	req := b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me", nil)
	defaultSigner().sign(t, req, tok["token"], tok["token_secret"], nil)
	var m struct{ Username string }
	if res := simtest.Do(t, req); res.Status != 200 {
		t.Fatalf("members/me with a control token: %d %q", res.Status, res.Text())
	} else if res.Decode(t, &m); m.Username != "linus" {
		t.Errorf("username %q", m.Username)
	}

	// Reset forgets tokens and registered consumers.
	b.control(t, http.MethodPost, "/_control/trello/consumers", map[string]string{"key": "k9", "secret": "s9"}, nil)
	b.s.Reset(0)
	if res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me?key="+defaultKey+"&token="+tok["token"], nil)); res.Status != 401 {
		t.Errorf("token after reset: %d", res.Status)
	}
	if res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me?key=k9&token=x", nil)); res.Text() != "invalid key" {
		t.Errorf("consumer after reset: %q", res.Text())
	}
}

func TestDataFollowsSeed(t *testing.T) {
	t.Parallel()
	fetch := func(seed int64) string {
		b := setup(t, sim.Options{Seed: seed}, Options{Boards: 3})
		var tok map[string]string
		b.control(t, http.MethodPost, "/_control/trello/tokens", nil, &tok)
		res := simtest.Do(t, b.s.NewRequest(t, http.MethodGet, "/trello/1/members/me/boards?key="+defaultKey+"&token="+tok["token"], nil))
		if res.Status != 200 {
			t.Fatalf("boards: %d %s", res.Status, res.Text())
		}
		return res.Text()
	}
	a, again, other := fetch(7), fetch(7), fetch(8)
	if a != again {
		t.Errorf("same seed, different boards:\n%s\n%s", a, again)
	}
	if a == other {
		t.Errorf("different seeds, same boards: %s", a)
	}
}
