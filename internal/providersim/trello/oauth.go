package trello

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// requestToken is a set of temporary credentials, waiting for the member's
// approval and then for the exchange.
type requestToken struct {
	token, secret string
	consumer      string
	callback      string // an absolute URL or "oob"
	expires       time.Time

	// Set on approval.
	verifier   string
	member     string
	scopes     []string
	expiration string
}

// accessToken is a Trello token: what OAuth's token credentials and the
// key+token style of authentication both carry.
type accessToken struct {
	token, secret string
	consumer      string
	member        string
	scopes        []string
	expiration    string
	expires       time.Time // zero: never
	revoked       bool
}

func (t *accessToken) has(scope string) bool { return slices.Contains(t.scopes, scope) }

// Token lifetimes Trello offers (the expiration parameter).
var expirations = map[string]time.Duration{
	"1hour":  time.Hour,
	"1day":   24 * time.Hour,
	"30days": 30 * 24 * time.Hour,
	"never":  0,
}

var knownScopes = []string{"read", "write", "account"}

// parseScope splits Trello's comma-separated scope ("read" when empty).
func parseScope(s string) ([]string, bool) {
	if strings.TrimSpace(s) == "" {
		return []string{"read"}, true
	}
	var out []string
	for _, sc := range strings.Split(s, ",") {
		sc = strings.TrimSpace(sc)
		if !slices.Contains(knownScopes, sc) {
			return nil, false
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// plain writes one of Trello's plain-text answers ("invalid token"), with
// no trailing newline, as Trello sends them.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// writeForm writes a credentials response, form-encoded (RFC 5849 §2.1).
func writeForm(w http.ResponseWriter, v url.Values) {
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(v.Encode()))
}

// oauthParams reads the request's OAuth header; it answers 400 itself for
// a malformed one or a request without it.
func oauthParams(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	oauth, err := parseAuthorization(r.Header.Get("Authorization"))
	switch {
	case err == errNotOAuth:
		plain(w, http.StatusBadRequest, "missing OAuth Authorization header")
		return nil, false
	case err != nil:
		plain(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return oauth, true
}

// consumerParams reads a credentials request's OAuth header and the
// secret of the consumer it names; it answers 400 or 401 itself when
// either is missing.
func (p *Provider) consumerParams(w http.ResponseWriter, r *http.Request) (oauth map[string]string, consumerSecret string, ok bool) {
	if oauth, ok = oauthParams(w, r); !ok {
		return nil, "", false
	}
	if consumerSecret, ok = p.consumerSecret(oauth["oauth_consumer_key"]); !ok {
		plain(w, http.StatusUnauthorized, "invalid key")
		return nil, "", false
	}
	return oauth, consumerSecret, true
}

// requestToken serves OAuthGetRequestToken: a request signed with the
// consumer secret alone, naming its oauth_callback, gets temporary
// credentials.
func (p *Provider) requestToken(w http.ResponseWriter, r *http.Request) {
	sim.Annotate(r, "grant", "request_token")
	oauth, cs, ok := p.consumerParams(w, r)
	if !ok {
		return
	}
	key := oauth["oauth_consumer_key"]
	if oauth["oauth_token"] != "" {
		plain(w, http.StatusUnauthorized, "invalid token")
		return
	}
	callback := oauth["oauth_callback"]
	if callback == "" {
		plain(w, http.StatusBadRequest, "oauth_callback is required")
		return
	}
	if callback != "oob" {
		if u, err := url.Parse(callback); err != nil || !u.IsAbs() || u.Host == "" {
			plain(w, http.StatusBadRequest, "invalid oauth_callback")
			return
		}
	}
	if msg := p.checkSignature(r, oauth, cs, ""); msg != "" {
		plain(w, http.StatusUnauthorized, msg)
		return
	}
	rt := &requestToken{
		token:    randomHex(16),
		secret:   randomHex(16),
		consumer: key,
		callback: callback,
		expires:  p.s.Clock.Now().Add(p.opts.RequestTokenTTL),
	}
	p.mu.Lock()
	p.requests[rt.token] = rt
	p.mu.Unlock()
	writeForm(w, url.Values{
		"oauth_token":              {rt.token},
		"oauth_token_secret":       {rt.secret},
		"oauth_callback_confirmed": {"true"},
	})
}

// pendingRequest returns a copy of an unexpired, not yet approved request
// token.
func (p *Provider) pendingRequest(token string) (requestToken, bool) {
	now := p.s.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	rt, ok := p.requests[token]
	if !ok || rt.verifier != "" || !now.Before(rt.expires) {
		return requestToken{}, false
	}
	return *rt, true
}

// authorize serves OAuthAuthorizeToken, the member's consent: approved at
// once, or after a consent page when the server is interactive. Approval
// redirects to the callback with oauth_token and oauth_verifier; denial
// with oauth_token alone, and the request token is gone.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		plain(w, http.StatusBadRequest, "bad request")
		return
	}
	q := r.Form
	rt, ok := p.pendingRequest(q.Get("oauth_token"))
	if !ok {
		plain(w, http.StatusBadRequest, "invalid token")
		return
	}
	scopes, ok := parseScope(q.Get("scope"))
	if !ok {
		plain(w, http.StatusBadRequest, "invalid scope")
		return
	}
	expiration := q.Get("expiration")
	if expiration == "" {
		expiration = "30days"
	}
	if _, ok := expirations[expiration]; !ok {
		plain(w, http.StatusBadRequest, "invalid expiration")
		return
	}
	if p.s.Interactive() && r.Method == http.MethodGet {
		appName := q.Get("name")
		if appName == "" {
			appName = rt.consumer
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = consentPage.Execute(w, map[string]any{
			"App": appName, "Scopes": scopes, "Expiration": expiration, "Form": q,
		})
		return
	}
	if r.Method == http.MethodPost && q.Get("decision") == "deny" {
		p.mu.Lock()
		delete(p.requests, rt.token)
		p.mu.Unlock()
		p.callback(w, r, rt, url.Values{"oauth_token": {rt.token}})
		return
	}
	member := strings.ToLower(q.Get("sim_user"))
	if member == "" {
		member = p.opts.Member
	}
	if !validUsername(member) {
		plain(w, http.StatusBadRequest, "invalid sim_user")
		return
	}
	verifier := randomHex(16)
	p.mu.Lock()
	stored, ok := p.requests[rt.token]
	if ok && stored.verifier == "" {
		stored.verifier, stored.member, stored.scopes, stored.expiration = verifier, member, scopes, expiration
	}
	p.mu.Unlock()
	if !ok || stored.verifier != verifier {
		plain(w, http.StatusBadRequest, "invalid token")
		return
	}
	p.callback(w, r, rt, url.Values{"oauth_token": {rt.token}, "oauth_verifier": {verifier}})
}

// callback sends the member back to the consumer: a redirect to its
// callback URL with params added to its query, or for "oob" a page that
// shows them.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request, rt requestToken, params url.Values) {
	if rt.callback == "oob" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = oobPage.Execute(w, map[string]string{"Verifier": params.Get("oauth_verifier")})
		return
	}
	u, err := url.Parse(rt.callback)
	if err != nil { // checked when the request token was issued
		plain(w, http.StatusBadRequest, "invalid oauth_callback")
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// accessToken serves OAuthGetAccessToken: a request signed with the
// consumer secret and the request token's secret, bearing the verifier,
// gets token credentials. A request token serves one exchange: once the
// signature checks out it is spent, whether the verifier is right or not.
func (p *Provider) accessToken(w http.ResponseWriter, r *http.Request) {
	sim.Annotate(r, "grant", "access_token")
	oauth, cs, ok := p.consumerParams(w, r)
	if !ok {
		return
	}
	key := oauth["oauth_consumer_key"]
	token := oauth["oauth_token"]
	now := p.s.Clock.Now()
	p.mu.Lock()
	rt, ok := p.requests[token]
	var secret string
	if ok {
		secret = rt.secret
		ok = rt.consumer == key && now.Before(rt.expires)
	}
	p.mu.Unlock()
	if !ok {
		plain(w, http.StatusUnauthorized, "invalid token")
		return
	}
	if msg := p.checkSignature(r, oauth, cs, secret); msg != "" {
		plain(w, http.StatusUnauthorized, msg)
		return
	}
	p.mu.Lock()
	rt, ok = p.requests[token]
	delete(p.requests, token)
	p.mu.Unlock()
	if !ok { // a concurrent exchange got there first
		plain(w, http.StatusUnauthorized, "invalid token")
		return
	}
	if rt.verifier == "" || subtle.ConstantTimeCompare([]byte(rt.verifier), []byte(oauth["oauth_verifier"])) != 1 {
		plain(w, http.StatusUnauthorized, "invalid verifier")
		return
	}
	at := p.issue(key, rt.member, rt.scopes, rt.expiration)
	writeForm(w, url.Values{"oauth_token": {at.token}, "oauth_token_secret": {at.secret}})
}

// issue mints a Trello token ("ATTA" and 64 hex digits, like current
// Trello tokens) with its OAuth secret.
func (p *Provider) issue(consumer, member string, scopes []string, expiration string) *accessToken {
	at := &accessToken{
		token:      "ATTA" + randomHex(32),
		secret:     randomHex(16),
		consumer:   consumer,
		member:     member,
		scopes:     scopes,
		expiration: expiration,
	}
	if ttl := expirations[expiration]; ttl > 0 {
		at.expires = p.s.Clock.Now().Add(ttl)
	}
	p.mu.Lock()
	p.tokens[at.token] = at
	p.mu.Unlock()
	c := *at
	return &c
}

// validUsername accepts Trello usernames: lower-case letters, digits and
// underscores.
func validUsername(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Let {{.App}} use your account?</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}</style></head>
<body><h1>Simulated Trello</h1>
<p><strong>{{.App}}</strong> would like to: {{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}.
Access lasts: <code>{{.Expiration}}</code>.</p>
<form method="post">{{range $k, $vs := .Form}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<label>Act as member <input name="sim_user" placeholder="default member"></label><p>
<button name="decision" value="approve" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button></p></form>
<p><small>This is Patchbay's provider simulator, not the real Trello.</small></p></body></html>`))

var oobPage = template.Must(template.New("oob").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Simulated Trello</title></head>
<body>{{if .Verifier}}<p>You have granted access. Your verification code is:</p><pre id="verifier">{{.Verifier}}</pre>
{{else}}<p>You have denied access.</p>{{end}}</body></html>`))
