package trello

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

const (
	defaultKey    = "trello-client-id"
	defaultSecret = "trello-client-secret"
)

// bundle is one test's simulator.
type bundle struct {
	s *simtest.Server
	p *Provider
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	return &bundle{s: simtest.Start(t, so, p), p: p}
}

// signer signs test requests as an OAuth 1.0a client would, with this
// package's base string code (pinned to the RFC's vectors by
// TestSignatureBaseVectors).
type signer struct {
	key, secret string
	method      string // "" is HMAC-SHA1
	now         func() time.Time
	nonce       func() string
}

var nonceSeq atomic.Int64

func defaultSigner() *signer { return &signer{key: defaultKey, secret: defaultSecret} }

// sign sets req's Authorization header. It returns the protocol
// parameters it used, oauth_signature included.
func (sg *signer) sign(t testing.TB, req *http.Request, token, tokenSecret string, extra map[string]string) map[string]string {
	t.Helper()
	method := sg.method
	if method == "" {
		method = "HMAC-SHA1"
	}
	now := time.Now()
	if sg.now != nil {
		now = sg.now()
	}
	nonce := "n" + strconv.FormatInt(nonceSeq.Add(1), 10)
	if sg.nonce != nil {
		nonce = sg.nonce()
	}
	oauth := map[string]string{
		"oauth_consumer_key":     sg.key,
		"oauth_signature_method": method,
		"oauth_timestamp":        strconv.FormatInt(now.Unix(), 10),
		"oauth_nonce":            nonce,
		"oauth_version":          "1.0",
	}
	if token != "" {
		oauth["oauth_token"] = token
	}
	for k, v := range extra {
		oauth[k] = v
	}
	var body []byte
	if req.Body != nil && req.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	base, err := signatureBase(req, oauth, body)
	if err != nil {
		t.Fatal(err)
	}
	oauth["oauth_signature"] = expectedSignature(method, base, sg.secret, tokenSecret)
	req.Header.Set("Authorization", header(oauth))
	return oauth
}

// header renders an OAuth Authorization header.
func header(oauth map[string]string) string {
	names := make([]string, 0, len(oauth))
	for k := range oauth {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf(`%s="%s"`, oauthEncode(k), oauthEncode(oauth[k]))
	}
	return "OAuth " + strings.Join(parts, ", ")
}

// requestToken runs the first leg with sg and callback.
func (b *bundle) requestToken(t testing.TB, sg *signer, callback string) (token, secret string) {
	t.Helper()
	req := b.s.NewRequest(t, http.MethodPost, "/trello/1/OAuthGetRequestToken", nil)
	sg.sign(t, req, "", "", map[string]string{"oauth_callback": callback})
	res := simtest.Do(t, req).Want(t, http.StatusOK, "request token")
	f := res.Form(t)
	if f.Get("oauth_callback_confirmed") != "true" || f.Get("oauth_token") == "" || f.Get("oauth_token_secret") == "" {
		t.Fatalf("request token answer %q", res.Body)
	}
	return f.Get("oauth_token"), f.Get("oauth_token_secret")
}

// authorize approves a request token and returns the callback URL
// the member was sent back to.
func (b *bundle) authorize(t testing.TB, query url.Values) *url.URL {
	t.Helper()
	res := b.s.Call(t, http.MethodGet, "/trello/1/OAuthAuthorizeToken?"+query.Encode(), nil).Want(t, http.StatusFound, "authorize")
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// accessToken runs the third leg.
func (b *bundle) accessToken(t testing.TB, sg *signer, token, secret, verifier string) simtest.Response {
	t.Helper()
	req := b.s.NewRequest(t, http.MethodPost, "/trello/1/OAuthGetAccessToken", nil)
	sg.sign(t, req, token, secret, map[string]string{"oauth_verifier": verifier})
	return simtest.Do(t, req)
}

// connect runs all three legs for member with scope and returns the token
// credentials.
func (b *bundle) connect(t testing.TB, sg *signer, member, scope string) (token, secret string) {
	t.Helper()
	rt, rs := b.requestToken(t, sg, "http://app.test/cb")
	q := url.Values{"oauth_token": {rt}, "name": {"Test App"}, "scope": {scope}, "expiration": {"never"}}
	if member != "" {
		q.Set("sim_user", member)
	}
	loc := b.authorize(t, q)
	f := b.accessToken(t, sg, rt, rs, loc.Query().Get("oauth_verifier")).Want(t, http.StatusOK, "access token").Form(t)
	return f.Get("oauth_token"), f.Get("oauth_token_secret")
}

// control sends a control request and decodes the answer into out.
func (b *bundle) control(t testing.TB, method, path string, body any, out any) int {
	t.Helper()
	res := b.s.Call(t, method, path, body)
	if out != nil {
		res.Decode(t, out)
	}
	return res.Status
}
