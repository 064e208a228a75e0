package google

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// accessTTL is an access token's lifetime; Google reports it as
// expires_in 3599.
const accessTTL = 3599 * time.Second

const scopePrefix = "https://www.googleapis.com/auth/"

// Scopes each API accepts, any one of which will do.
var (
	sheetsReadScopes  = fullScopes("spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file")
	sheetsWriteScopes = fullScopes("spreadsheets", "drive", "drive.file")
	calendarRead      = fullScopes("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
	calendarWrite     = fullScopes("calendar", "calendar.events")
	gmailSendScopes   = append(fullScopes("gmail.send", "gmail.compose", "gmail.modify"), "https://mail.google.com/")
	gmailReadScopes   = append(fullScopes("gmail.readonly", "gmail.modify", "gmail.metadata"), "https://mail.google.com/")
	gmailLabelScopes  = append(fullScopes("gmail.labels"), gmailReadScopes...)
	gmailProfile      = append(fullScopes("gmail.compose"), gmailReadScopes...)
	userinfoScopes    = []string{"openid", scopePrefix + "userinfo.email", scopePrefix + "userinfo.profile"}
)

func fullScopes(short ...string) []string {
	out := make([]string, len(short))
	for i, s := range short {
		out[i] = scopePrefix + s
	}
	return out
}

// canonicalScope expands the short OpenID scope names Google accepts into
// the URLs it reports back in token responses.
func canonicalScope(s string) string {
	switch s {
	case "email":
		return scopePrefix + "userinfo.email"
	case "profile":
		return scopePrefix + "userinfo.profile"
	}
	return s
}

func hasScope(g *sim.Grant, scope string) bool {
	if len(g.Scopes) == 0 {
		return true // control-minted tokens carry everything
	}
	for _, s := range g.Scopes {
		if canonicalScope(s) == scope {
			return true
		}
	}
	return false
}

// authRequest is what an authorization request asked for that the shared
// authorization server does not track.
type authRequest struct {
	offline bool // access_type=offline
	consent bool // prompt includes consent
}

func (p *Provider) oauthConfig() sim.OAuthConfig {
	return sim.OAuthConfig{
		Provider:       Name,
		AccessTTL:      accessTTL,
		RefreshTokens:  false, // decided per grant in respondToken
		ScopeSeparator: " ",
		DefaultSubject: DefaultUser,
		Respond:        p.respondToken,
		Fail:           p.failToken,
	}
}

func (p *Provider) mountOAuth(mux *http.ServeMux) {
	cfg := p.oauthConfig()
	authorize := p.authorizeHandler(p.s.OAuth.AuthorizeHandler(cfg))
	mux.HandleFunc("GET /google/o/oauth2/v2/auth", authorize)
	mux.HandleFunc("POST /google/o/oauth2/v2/auth", authorize)
	mux.HandleFunc("POST /google/token", p.s.OAuth.TokenHandler(cfg))
	mux.HandleFunc("POST /google/revoke", p.revoke)
	mux.HandleFunc("GET /google/oauth2/v2/userinfo", p.userinfo(false))
	mux.HandleFunc("GET /google/oauth2/v3/userinfo", p.userinfo(true))
}

// authorizeHandler wraps the shared authorization endpoint with Google's
// parameters: scope is required, login_hint picks the account, and
// access_type/prompt are remembered against the code so the token
// exchange knows whether to issue a refresh token.
func (p *Provider) authorizeHandler(inner http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "Error 400: invalid_request", http.StatusBadRequest)
			return
		}
		if strings.TrimSpace(r.Form.Get("scope")) == "" {
			http.Error(w, "Error 400: invalid_request\nMissing required parameter: scope", http.StatusBadRequest)
			return
		}
		if r.Form.Get("sim_user") == "" && r.Form.Get("login_hint") != "" {
			r.Form.Set("sim_user", r.Form.Get("login_hint"))
		}
		req := authRequest{
			offline: r.Form.Get("access_type") == "offline",
			consent: strings.Contains(r.Form.Get("prompt"), "consent"),
		}
		// Buffer the answer: the code must be on record before the client
		// can see the redirect and exchange it.
		buf := &bufferedResponse{header: http.Header{}}
		inner(buf, r)
		if loc, err := url.Parse(buf.header.Get("Location")); err == nil {
			if code := loc.Query().Get("code"); code != "" {
				p.authMu.Lock()
				p.pending[code] = req
				p.authMu.Unlock()
			}
		}
		buf.replay(w)
	}
}

// bufferedResponse holds a handler's answer until it is replayed.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) replay(w http.ResponseWriter) {
	for k, vs := range b.header {
		w.Header()[k] = vs
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// respondToken writes Google's token response. A refresh token comes only
// with offline access, and only on the first consent of a user to a client
// or when prompt=consent forced consent again; refresh responses never
// repeat it, because Google's refresh tokens do not rotate.
func (p *Provider) respondToken(w http.ResponseWriter, r *http.Request, g *sim.Grant) {
	switch r.Form.Get("grant_type") {
	case "client_credentials":
		// Google has no client-credentials grant; take back what the shared
		// server minted.
		p.s.OAuth.Revoke(Name, g.AccessToken)
		p.failToken(w, r, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	case "authorization_code":
		g = p.maybeAddRefresh(r.Form.Get("code"), g)
	case "refresh_token":
		c := *g
		c.RefreshToken = ""
		g = &c
	}
	now := p.s.Clock.Now()
	scopes := make([]string, len(g.Scopes))
	for i, s := range g.Scopes {
		scopes[i] = canonicalScope(s)
	}
	out := map[string]any{
		"access_token": g.AccessToken,
		"expires_in":   g.ExpiresIn(now),
		"scope":        strings.Join(scopes, " "),
		"token_type":   "Bearer",
	}
	if g.RefreshToken != "" {
		out["refresh_token"] = g.RefreshToken
	}
	if hasListedScope(g.Scopes, "openid") {
		if tok, err := p.idToken(r, g, now); err == nil {
			out["id_token"] = tok
		} else {
			p.s.Logger().Error("google: signing id_token", "err", err)
		}
	}
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	sim.WriteJSON(w, http.StatusOK, out)
}

func hasListedScope(scopes []string, want string) bool {
	for _, s := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

// maybeAddRefresh re-issues a code exchange's grant with a refresh token
// when the authorization asked for offline access and Google would grant
// one.
func (p *Provider) maybeAddRefresh(code string, g *sim.Grant) *sim.Grant {
	key := g.ClientID + "\x00" + g.Subject
	p.authMu.Lock()
	req := p.pending[code]
	delete(p.pending, code)
	issue := req.offline && (req.consent || !p.consented[key] || p.opts.RefreshTokenEveryConsent)
	p.authMu.Unlock()
	if !issue {
		return g
	}
	ng := p.s.OAuth.Issue(sim.Grant{Provider: Name, ClientID: g.ClientID, Subject: g.Subject, Scopes: g.Scopes}, accessTTL, true)
	p.s.OAuth.Revoke(Name, g.AccessToken) // the refresh-less twin is never handed out
	p.authMu.Lock()
	p.consented[key] = true
	p.refreshOwner[ng.RefreshToken] = key
	p.authMu.Unlock()
	return ng
}

// idToken is an OpenID Connect ID token with Google's claims. It is signed
// HS256 with the client secret (allowed by OIDC for confidential clients)
// rather than with Google's rotating RS256 keys.
func (p *Provider) idToken(r *http.Request, g *sim.Grant, now time.Time) (string, error) {
	_, secret, ok := r.BasicAuth()
	if !ok {
		secret = r.Form.Get("client_secret")
	}
	id := identityOf(g.Subject)
	claims := jwt.MapClaims{
		"iss": "https://accounts.google.com",
		"azp": g.ClientID,
		"aud": g.ClientID,
		"sub": id.ID,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	if hasScope(g, scopePrefix+"userinfo.email") {
		claims["email"] = id.Email
		claims["email_verified"] = true
	}
	if hasScope(g, scopePrefix+"userinfo.profile") {
		claims["name"], claims["given_name"], claims["family_name"], claims["picture"] = id.Name, id.Given, id.Family, id.Picture
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("sign id_token: %w", err)
	}
	return tok, nil
}

// failToken writes a token error in Google's words.
func (p *Provider) failToken(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	switch code {
	case "invalid_client":
		status, description = http.StatusUnauthorized, "Unauthorized"
	case "invalid_grant":
		switch {
		case r.Form.Get("grant_type") == "refresh_token":
			description = "Token has been expired or revoked."
		case strings.Contains(description, "PKCE"):
			description = "Invalid code verifier."
		default:
			description = "Bad Request"
		}
	case "unsupported_grant_type":
		description = "Invalid grant_type: " + r.Form.Get("grant_type")
	}
	sim.WriteJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// revoke serves oauth2.googleapis.com/revoke. Revoking either token of a
// grant revokes the whole grant: the refresh token and every access token
// minted from it. Unknown, expired or already revoked access tokens get
// 400 invalid_token, as Google answers.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Bad Request"})
		return
	}
	token := r.Form.Get("token")
	g, aerr := p.s.OAuth.Lookup(Name, token)
	switch {
	case aerr == nil:
		if g.RefreshToken != "" {
			p.s.OAuth.Revoke(Name, g.RefreshToken)
		}
		p.s.OAuth.Revoke(Name, token)
		p.forgetConsent(g.ClientID + "\x00" + g.Subject)
	case aerr.Reason == "invalid" && token != "" && p.s.OAuth.Revoke(Name, token):
		// A refresh token: the shared server revoked its access tokens too.
		p.authMu.Lock()
		key := p.refreshOwner[token]
		p.authMu.Unlock()
		p.forgetConsent(key)
	default:
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_token", "error_description": "Token expired or revoked"})
		return
	}
	sim.Annotate(r, "revoked", "grant")
	sim.WriteJSON(w, http.StatusOK, map[string]any{})
}

// forgetConsent makes the next offline authorization of the pair a first
// consent again, since revoking removes the app's access entirely.
func (p *Provider) forgetConsent(key string) {
	if key == "" {
		return
	}
	p.authMu.Lock()
	defer p.authMu.Unlock()
	delete(p.consented, key)
}

// userinfo serves the OpenID userinfo endpoint (v2: id/verified_email,
// v3: sub/email_verified). Email fields need the email scope and name
// fields the profile scope.
func (p *Provider) userinfo(v3 bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, ok := p.authenticate(w, r, userinfoStyle, userinfoScopes)
		if !ok {
			return
		}
		id := identityOf(g.Subject)
		out := map[string]any{"id": id.ID}
		if v3 {
			out = map[string]any{"sub": id.ID}
		}
		if hasScope(g, scopePrefix+"userinfo.email") {
			out["email"] = id.Email
			if v3 {
				out["email_verified"] = true
			} else {
				out["verified_email"] = true
			}
		}
		if hasScope(g, scopePrefix+"userinfo.profile") {
			out["name"], out["given_name"], out["family_name"], out["picture"] = id.Name, id.Given, id.Family, id.Picture
		}
		sim.WriteJSON(w, http.StatusOK, out)
	}
}

// identity is a simulated Google account.
type identity struct {
	ID, Email, Name, Given, Family, Picture string
}

var familyNames = []string{"Anderson", "Baker", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Larsen"}

// identityOf derives a stable account from an email address: the same
// address is the same 21-digit user id in every run and every seed.
func identityOf(email string) identity {
	h := sim.Hash("google/user", email)
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	given := "User"
	if len(parts) > 0 {
		given = titleCase(parts[0])
	}
	family := familyNames[h%uint64(len(familyNames))]
	if len(parts) > 1 {
		family = titleCase(parts[len(parts)-1])
	}
	return identity{
		ID:      fmt.Sprintf("1%020d", h),
		Email:   email,
		Name:    given + " " + family,
		Given:   given,
		Family:  family,
		Picture: fmt.Sprintf("https://lh3.googleusercontent.com/a/sim-%x=s96-c", h>>32),
	}
}

func titleCase(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
