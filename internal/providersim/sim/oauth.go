package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuthConfig describes one provider's authorization server.
type OAuthConfig struct {
	Provider string
	// AccessTTL is the access-token lifetime; 0 means tokens never expire
	// (GitHub OAuth apps without expiring tokens).
	AccessTTL time.Duration
	// RefreshTokens issues refresh tokens with every grant.
	RefreshTokens bool
	// RotateRefresh replaces the refresh token on every refresh; the old one
	// then gets invalid_grant.
	RotateRefresh bool
	// ScopeSeparator splits the scope parameter (default " ").
	ScopeSeparator string
	// DefaultSubject is the account that approves when the authorize request
	// names none (sim_user=…).
	DefaultSubject string
	// Respond writes a successful token response; nil writes RFC 6749 JSON.
	Respond func(w http.ResponseWriter, r *http.Request, g *Grant)
	// Fail writes a token error; nil writes RFC 6749 JSON.
	Fail func(w http.ResponseWriter, r *http.Request, status int, code, description string)
}

// Grant is an issued access token and what it stands for.
type Grant struct {
	Provider     string
	ClientID     string
	Subject      string // the user or account the token acts as
	Scopes       []string
	AccessToken  string
	RefreshToken string
	IssuedAt     time.Time
	ExpiresAt    time.Time // zero: never
	// Extra carries provider-specific facts (an installation id, a team id).
	Extra map[string]string

	revoked bool
}

// ExpiresIn is the remaining lifetime in whole seconds, 0 when the token
// does not expire.
func (g *Grant) ExpiresIn(now time.Time) int {
	if g.ExpiresAt.IsZero() {
		return 0
	}
	return int(g.ExpiresAt.Sub(now).Round(time.Second) / time.Second)
}

// Client is a registered OAuth client (an app registration).
type Client struct {
	Provider string `json:"provider"`
	ID       string `json:"client_id"`
	Secret   string `json:"client_secret"`
}

type authCode struct {
	grant       Grant
	redirectURI string
	challenge   string
	method      string
	expires     time.Time
}

type refreshRecord struct {
	grant   Grant // template for the next access token
	used    bool
	revoked bool
}

// OAuth is the shared authorization server: clients, codes and tokens of
// every provider.
type OAuth struct {
	s       *Server
	mu      sync.Mutex
	clients map[string]Client // provider + "\x00" + client id
	codes   map[string]*authCode
	access  map[string]*Grant
	refresh map[string]*refreshRecord
}

func newOAuth(s *Server) *OAuth {
	o := &OAuth{s: s}
	o.reset()
	return o
}

func (o *OAuth) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients = map[string]Client{}
	o.codes = map[string]*authCode{}
	o.access = map[string]*Grant{}
	o.refresh = map[string]*refreshRecord{}
}

// DefaultClient is the client every provider accepts after a reset:
// client id "<provider>-client-id", secret "<provider>-client-secret".
func DefaultClient(provider string) Client {
	return Client{Provider: provider, ID: provider + "-client-id", Secret: provider + "-client-secret"}
}

// RegisterClient adds (or replaces) an OAuth client.
func (o *OAuth) RegisterClient(c Client) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients[c.Provider+"\x00"+c.ID] = c
}

func (o *OAuth) client(provider, id string) (Client, bool) {
	if id == DefaultClient(provider).ID {
		return DefaultClient(provider), true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.clients[provider+"\x00"+id]
	return c, ok
}

// RandomToken returns prefix plus 40 random hex characters.
func RandomToken(prefix string) string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Issue mints an access token (and, when refresh is true, a refresh token)
// for g's provider, client, subject and scopes, valid for ttl (0: forever).
func (o *OAuth) Issue(g Grant, ttl time.Duration, refresh bool) *Grant {
	now := o.s.Clock.Now()
	g.AccessToken = RandomToken(g.Provider + "_at_")
	g.IssuedAt = now
	g.ExpiresAt = time.Time{}
	if ttl > 0 {
		g.ExpiresAt = now.Add(ttl)
	}
	g.revoked = false
	o.mu.Lock()
	defer o.mu.Unlock()
	if refresh && g.RefreshToken == "" {
		g.RefreshToken = RandomToken(g.Provider + "_rt_")
	}
	if g.RefreshToken != "" {
		tmpl := g
		tmpl.AccessToken = ""
		o.refresh[g.RefreshToken] = &refreshRecord{grant: tmpl}
	}
	stored := g
	o.access[g.AccessToken] = &stored
	return &g
}

// AuthError says why a request's token was refused.
type AuthError struct {
	Reason string // "missing", "invalid", "expired", "revoked"
}

func (e *AuthError) Error() string { return "token " + e.Reason }

// Authenticate checks the request's bearer token (Authorization header, or
// a "token"/"access_token" query or form value as Slack and older APIs
// accept) for provider.
func (o *OAuth) Authenticate(r *http.Request, provider string) (*Grant, *AuthError) {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token") {
			token = strings.TrimSpace(rest)
		}
	}
	if token == "" {
		token = r.URL.Query().Get("access_token")
	}
	if token == "" {
		return nil, &AuthError{Reason: "missing"}
	}
	return o.Lookup(provider, token)
}

// Lookup validates an access token for provider.
func (o *OAuth) Lookup(provider, token string) (*Grant, *AuthError) {
	now := o.s.Clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	g, ok := o.access[token]
	switch {
	case !ok || g.Provider != provider:
		return nil, &AuthError{Reason: "invalid"}
	case g.revoked:
		return nil, &AuthError{Reason: "revoked"}
	case !g.ExpiresAt.IsZero() && !now.Before(g.ExpiresAt):
		return nil, &AuthError{Reason: "expired"}
	}
	c := *g
	return &c, nil
}

// Revoke revokes a token (access or refresh) and everything issued with
// it. It reports whether the token was known.
func (o *OAuth) Revoke(provider, token string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if g, ok := o.access[token]; ok && g.Provider == provider {
		g.revoked = true
		if rec := o.refresh[g.RefreshToken]; rec != nil && g.RefreshToken != "" {
			rec.revoked = true
		}
		return true
	}
	if rec, ok := o.refresh[token]; ok && rec.grant.Provider == provider {
		rec.revoked = true
		for _, g := range o.access {
			if g.RefreshToken == token {
				g.revoked = true
			}
		}
		return true
	}
	return false
}

// RevokeSubject revokes every token of one account at provider, as when a
// user uninstalls the app; it returns how many tokens were revoked.
func (o *OAuth) RevokeSubject(provider, subject string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, g := range o.access {
		if g.Provider == provider && g.Subject == subject && !g.revoked {
			g.revoked = true
			n++
		}
	}
	for _, rec := range o.refresh {
		if rec.grant.Provider == provider && rec.grant.Subject == subject && !rec.revoked {
			rec.revoked = true
			n++
		}
	}
	return n
}

// AuthorizeHandler serves the authorization endpoint: it checks the client
// and redirect URI, then approves at once (or after a consent page in
// interactive mode) and redirects with a single-use code.
func (o *OAuth) AuthorizeHandler(cfg OAuthConfig) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		q := r.Form
		clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
		if _, ok := o.client(cfg.Provider, clientID); !ok {
			http.Error(w, "unknown client_id", http.StatusBadRequest)
			return
		}
		target, err := url.Parse(redirectURI)
		if err != nil || !target.IsAbs() {
			http.Error(w, "redirect_uri must be an absolute URL", http.StatusBadRequest)
			return
		}
		if rt := q.Get("response_type"); rt != "" && rt != "code" {
			redirectWith(w, r, target, url.Values{"error": {"unsupported_response_type"}, "state": {q.Get("state")}})
			return
		}
		method := q.Get("code_challenge_method")
		if q.Get("code_challenge") != "" && method != "S256" && method != "plain" && method != "" {
			redirectWith(w, r, target, url.Values{"error": {"invalid_request"}, "error_description": {"unsupported code_challenge_method"}, "state": {q.Get("state")}})
			return
		}
		if o.s.Interactive() && r.Method == http.MethodGet {
			consentPage.Execute(w, map[string]any{"Provider": cfg.Provider, "Client": clientID, "Scope": q.Get("scope"), "Form": q})
			return
		}
		if r.Method == http.MethodPost && q.Get("decision") == "deny" {
			redirectWith(w, r, target, url.Values{"error": {"access_denied"}, "state": {q.Get("state")}})
			return
		}
		subject := q.Get("sim_user")
		if subject == "" {
			subject = cfg.DefaultSubject
		}
		sep := cfg.ScopeSeparator
		if sep == "" {
			sep = " "
		}
		var scopes []string
		for _, s := range strings.Split(q.Get("scope"), sep) {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
		code := RandomToken("code_")
		if method == "" && q.Get("code_challenge") != "" {
			method = "plain"
		}
		o.mu.Lock()
		o.codes[code] = &authCode{
			grant:       Grant{Provider: cfg.Provider, ClientID: clientID, Subject: subject, Scopes: scopes},
			redirectURI: redirectURI,
			challenge:   q.Get("code_challenge"),
			method:      method,
			expires:     o.s.Clock.Now().Add(10 * time.Minute),
		}
		o.mu.Unlock()
		params := url.Values{"code": {code}}
		if st := q.Get("state"); st != "" {
			params.Set("state", st)
		}
		redirectWith(w, r, target, params)
	}
}

func redirectWith(w http.ResponseWriter, r *http.Request, target *url.URL, params url.Values) {
	u := *target
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Authorize {{.Client}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}</style></head>
<body><h1>Simulated {{.Provider}}</h1>
<p><strong>{{.Client}}</strong> wants access to your {{.Provider}} account{{if .Scope}} with scopes <code>{{.Scope}}</code>{{end}}.</p>
<form method="post">{{range $k, $vs := .Form}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<label>Act as user <input name="sim_user" placeholder="default user"></label><p>
<button name="decision" value="approve" type="submit">Approve</button>
<button name="decision" value="deny" type="submit">Deny</button></p></form>
<p><small>This is Patchbay's provider simulator, not the real {{.Provider}}.</small></p></body></html>`))

// IssueCode mints a single-use authorization code for g, redeemable at the
// token endpoint with redirectURI and no PKCE, for providers that start
// user authorisation themselves (GitHub's "request user authorization
// during installation").
func (o *OAuth) IssueCode(g Grant, redirectURI string) string {
	code := RandomToken("code_")
	o.mu.Lock()
	defer o.mu.Unlock()
	o.codes[code] = &authCode{grant: g, redirectURI: redirectURI, expires: o.s.Clock.Now().Add(10 * time.Minute)}
	return code
}

// TokenHandler serves the token endpoint for authorization_code,
// refresh_token and client_credentials grants.
func (o *OAuth) TokenHandler(cfg OAuthConfig) http.HandlerFunc {
	fail := cfg.Fail
	if fail == nil {
		fail = func(w http.ResponseWriter, _ *http.Request, status int, code, description string) {
			WriteJSON(w, status, map[string]string{"error": code, "error_description": description})
		}
	}
	respond := cfg.Respond
	if respond == nil {
		respond = func(w http.ResponseWriter, r *http.Request, g *Grant) {
			WriteJSON(w, http.StatusOK, StandardTokenJSON(g, o.s.Clock.Now()))
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if err := parseBody(r); err != nil {
			fail(w, r, http.StatusBadRequest, "invalid_request", "the body must be form-encoded or JSON")
			return
		}
		grantType := r.Form.Get("grant_type")
		Annotate(r, "grant_type", grantType)
		clientID, secret, basic := r.BasicAuth()
		if !basic {
			clientID, secret = r.Form.Get("client_id"), r.Form.Get("client_secret")
		}
		client, ok := o.client(cfg.Provider, clientID)
		if !ok || subtle.ConstantTimeCompare([]byte(client.Secret), []byte(secret)) != 1 {
			fail(w, r, http.StatusUnauthorized, "invalid_client", "client authentication failed")
			return
		}
		var g *Grant
		var errCode, errDesc string
		switch grantType {
		case "authorization_code":
			g, errCode, errDesc = o.exchangeCode(cfg, r, clientID)
		case "refresh_token":
			g, errCode, errDesc = o.refreshGrant(cfg, r.Form.Get("refresh_token"), clientID)
		case "client_credentials":
			g = o.Issue(Grant{Provider: cfg.Provider, ClientID: clientID, Subject: clientID, Scopes: strings.Fields(r.Form.Get("scope"))}, cfg.AccessTTL, false)
		default:
			errCode, errDesc = "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", grantType)
		}
		if errCode != "" {
			fail(w, r, http.StatusBadRequest, errCode, errDesc)
			return
		}
		respond(w, r, g)
	}
}

func (o *OAuth) exchangeCode(cfg OAuthConfig, r *http.Request, clientID string) (*Grant, string, string) {
	code := r.Form.Get("code")
	o.mu.Lock()
	c, ok := o.codes[code]
	delete(o.codes, code) // single use, whatever happens next
	o.mu.Unlock()
	switch {
	case !ok:
		return nil, "invalid_grant", "the code is invalid or was already used"
	case !o.s.Clock.Now().Before(c.expires):
		return nil, "invalid_grant", "the code expired"
	case c.grant.ClientID != clientID:
		return nil, "invalid_grant", "the code was issued to another client"
	case c.redirectURI != r.Form.Get("redirect_uri"):
		return nil, "invalid_grant", "redirect_uri does not match the authorization request"
	}
	if c.challenge != "" {
		verifier := r.Form.Get("code_verifier")
		expected := verifier
		if c.method == "S256" {
			sum := sha256.Sum256([]byte(verifier))
			expected = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if verifier == "" || subtle.ConstantTimeCompare([]byte(expected), []byte(c.challenge)) != 1 {
			return nil, "invalid_grant", "PKCE verification failed"
		}
	}
	return o.Issue(c.grant, cfg.AccessTTL, cfg.RefreshTokens), "", ""
}

func (o *OAuth) refreshGrant(cfg OAuthConfig, token, clientID string) (*Grant, string, string) {
	o.mu.Lock()
	rec, ok := o.refresh[token]
	switch {
	case !ok || rec.grant.Provider != cfg.Provider:
		o.mu.Unlock()
		return nil, "invalid_grant", "the refresh token is invalid"
	case rec.revoked:
		o.mu.Unlock()
		return nil, "invalid_grant", "the refresh token was revoked"
	case rec.used:
		o.mu.Unlock()
		return nil, "invalid_grant", "the refresh token was already used"
	case rec.grant.ClientID != clientID:
		o.mu.Unlock()
		return nil, "invalid_grant", "the refresh token was issued to another client"
	}
	next := rec.grant
	if cfg.RotateRefresh {
		rec.used = true
		next.RefreshToken = ""
	}
	o.mu.Unlock()
	return o.Issue(next, cfg.AccessTTL, true), "", ""
}

// RevokeHandler serves a token revocation endpoint (RFC 7009 style:
// token=… in the form or query); unknown tokens succeed, as the RFC says.
func (o *OAuth) RevokeHandler(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := parseBody(r); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		o.Revoke(provider, r.Form.Get("token"))
		w.WriteHeader(http.StatusOK)
	}
}

// StandardTokenJSON is an RFC 6749 token response.
func StandardTokenJSON(g *Grant, now time.Time) map[string]any {
	out := map[string]any{"access_token": g.AccessToken, "token_type": "bearer", "scope": strings.Join(g.Scopes, " ")}
	if g.RefreshToken != "" {
		out["refresh_token"] = g.RefreshToken
	}
	if n := g.ExpiresIn(now); n > 0 {
		out["expires_in"] = n
	}
	return out
}

// parseBody fills r.Form from a form-encoded or JSON body and the query.
func parseBody(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		if err := ReadJSON(r, &body); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		for k, v := range body {
			r.Form.Set(k, fmt.Sprint(v))
		}
		return nil
	}
	return r.ParseForm()
}
