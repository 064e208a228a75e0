package github

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// The shared OAuth server mints tokens as "github_at_…" and
// "github_rt_…"; GitHub's carry a prefix naming their kind. Tokens are
// shown to clients with GitHub's prefixes and mapped back on the way in.
const (
	simAccessPrefix         = "github_at_"
	simRefreshPrefix        = "github_rt_"
	oauthAppTokenPrefix     = "gho_"
	userTokenPrefix         = "ghu_"
	refreshTokenPrefix      = "ghr_"
	installationTokenPrefix = "ghs_"
	tokenErrorsDoc          = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
)

func (p *Provider) expiring() bool { return !p.opts.NonExpiringUserTokens }

func (p *Provider) oauthConfig() sim.OAuthConfig {
	cfg := sim.OAuthConfig{
		Provider: name,
		// GitHub rotates refresh tokens: a used one stops working.
		RotateRefresh:  true,
		ScopeSeparator: ",",
		DefaultSubject: defaultSubject,
		Respond:        p.tokenResponse,
		Fail:           p.tokenError,
	}
	if p.expiring() {
		cfg.AccessTTL = userTokenTTL
		cfg.RefreshTokens = true
	}
	return cfg
}

func (p *Provider) publicAccess(t string) string {
	rest, ok := strings.CutPrefix(t, simAccessPrefix)
	if !ok {
		return t
	}
	if p.expiring() {
		return userTokenPrefix + rest
	}
	return oauthAppTokenPrefix + rest
}

func publicRefresh(t string) string {
	if rest, ok := strings.CutPrefix(t, simRefreshPrefix); ok {
		return refreshTokenPrefix + rest
	}
	return t
}

// internalToken maps a GitHub-prefixed token back to the shared OAuth
// server's name for it; other tokens (minted by the control API) pass
// through.
func internalToken(t string) string {
	for _, pre := range []string{oauthAppTokenPrefix, userTokenPrefix} {
		if rest, ok := strings.CutPrefix(t, pre); ok {
			return simAccessPrefix + rest
		}
	}
	if rest, ok := strings.CutPrefix(t, refreshTokenPrefix); ok {
		return simRefreshPrefix + rest
	}
	return t
}

// authorize accepts scopes separated by spaces or commas, as GitHub does,
// and lets login= (GitHub's account hint) pick the approving user.
func (p *Provider) authorize(inner http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if scope := r.Form.Get("scope"); scope != "" {
			r.Form.Set("scope", strings.Join(splitScopes(scope), ","))
		}
		if r.Form.Get("sim_user") == "" && r.Form.Get("login") != "" {
			r.Form.Set("sim_user", r.Form.Get("login"))
		}
		inner(w, r)
	}
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '+' })
}

// accessToken adapts GitHub's token request to the shared server: GitHub
// takes parameters in the query, a form or JSON, needs no grant_type for
// a code exchange, has no client_credentials grant, and lets refresh
// tokens expire after six months.
func (p *Provider) accessToken(inner http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		vals, err := tokenParams(r)
		if err != nil {
			p.tokenError(w, r, http.StatusBadRequest, "invalid_request", "The request body could not be parsed.")
			return
		}
		grant := vals.Get("grant_type")
		if grant == "" {
			grant = "authorization_code"
		}
		vals.Set("grant_type", grant)
		switch grant {
		case "authorization_code":
		case "refresh_token":
			rt := internalToken(vals.Get("refresh_token"))
			vals.Set("refresh_token", rt)
			p.mu.RLock()
			issued, ok := p.refreshIssued[rt]
			p.mu.RUnlock()
			if ok && !p.s.Clock.Now().Before(issued.Add(refreshTokenTTL)) {
				r.Form = vals
				p.tokenError(w, r, http.StatusBadRequest, "invalid_grant", "refresh token expired")
				return
			}
		default:
			r.Form = vals
			p.tokenError(w, r, http.StatusBadRequest, "unsupported_grant_type", "")
			return
		}
		body := vals.Encode()
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = ""
		r2.Body = io.NopCloser(strings.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r2.Form, r2.PostForm = nil, nil
		inner(w, r2)
	}
}

// tokenParams merges the query with a form or JSON body.
func tokenParams(r *http.Request) (url.Values, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("parse token form: %w", err)
		}
		return r.Form, nil
	}
	vals := r.URL.Query()
	var body map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("parse token JSON: %w", err)
	}
	for k, v := range body {
		vals.Set(k, fmt.Sprint(v))
	}
	return vals, nil
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// tokenResponse writes GitHub's token answer: form-encoded unless the
// client asked for JSON, scopes joined with commas. A refresh also
// retires the access token issued with the old refresh token.
func (p *Provider) tokenResponse(w http.ResponseWriter, r *http.Request, g *sim.Grant) {
	now := p.s.Clock.Now()
	if r.Form.Get("grant_type") == "refresh_token" {
		p.s.OAuth.Revoke(name, r.Form.Get("refresh_token"))
	}
	fields := [][2]string{
		{"access_token", p.publicAccess(g.AccessToken)},
		{"scope", strings.Join(g.Scopes, ",")},
		{"token_type", "bearer"},
	}
	if g.RefreshToken != "" && p.expiring() {
		p.mu.Lock()
		p.refreshIssued[g.RefreshToken] = now
		p.mu.Unlock()
		fields = append(fields,
			[2]string{"expires_in", strconv.Itoa(g.ExpiresIn(now))},
			[2]string{"refresh_token", publicRefresh(g.RefreshToken)},
			[2]string{"refresh_token_expires_in", strconv.Itoa(int(refreshTokenTTL.Seconds()))})
	}
	if wantsJSON(r) {
		out := map[string]any{}
		for _, f := range fields {
			if n, err := strconv.Atoi(f[1]); err == nil && strings.HasSuffix(f[0], "expires_in") {
				out[f[0]] = n
			} else {
				out[f[0]] = f[1]
			}
		}
		sim.WriteJSON(w, http.StatusOK, out)
		return
	}
	vals := url.Values{}
	for _, f := range fields {
		vals.Set(f[0], f[1])
	}
	writeForm(w, vals)
}

func writeForm(w http.ResponseWriter, vals url.Values) {
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, vals.Encode())
}

// tokenError reproduces GitHub's quirk: token errors are HTTP 200 with
// error, error_description and error_uri in the (form or JSON) body.
func (p *Provider) tokenError(w http.ResponseWriter, r *http.Request, _ int, code, description string) {
	ghCode, ghDesc := code, description
	switch code {
	case "invalid_client":
		ghCode, ghDesc = "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect."
	case "invalid_grant":
		switch {
		case r.Form.Get("grant_type") == "refresh_token":
			ghCode, ghDesc = "bad_refresh_token", "The refresh token passed is incorrect or expired."
		case strings.Contains(description, "redirect_uri"):
			ghCode, ghDesc = "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application."
		default:
			ghCode, ghDesc = "bad_verification_code", "The code passed is incorrect or expired."
		}
	case "unsupported_grant_type":
		ghDesc = "The grant type is not supported."
	}
	sim.Annotate(r, "token_error", ghCode)
	vals := url.Values{
		"error":             {ghCode},
		"error_description": {ghDesc},
		"error_uri":         {tokenErrorsDoc + "#" + strings.ReplaceAll(ghCode, "_", "-")},
	}
	if wantsJSON(r) {
		sim.WriteJSON(w, http.StatusOK, map[string]string{"error": ghCode, "error_description": ghDesc, "error_uri": vals.Get("error_uri")})
		return
	}
	writeForm(w, vals)
}

// appClient checks the Basic credentials of the /applications/{client_id}
// endpoints. The username must be the path's client id; the secret is
// checked for the clients this provider knows (the default client and
// apps with OAuth credentials). Clients added through /_control/clients
// are not visible here and are trusted.
func (p *Provider) appClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	clientID := r.PathValue("client_id")
	user, pass, ok := r.BasicAuth()
	if !ok {
		writeError(w, http.StatusUnauthorized, "Requires authentication", docsREST)
		return "", false
	}
	if user != clientID {
		notFound(w)
		return "", false
	}
	if want, known := p.clientSecret(clientID); known && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
		writeError(w, http.StatusUnauthorized, "Bad credentials", docsREST)
		return "", false
	}
	return clientID, true
}

func (p *Provider) clientSecret(clientID string) (string, bool) {
	if def := sim.DefaultClient(name); clientID == def.ID {
		return def.Secret, true
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, a := range p.apps {
		if a.clientID == clientID && a.clientSecret != "" {
			return a.clientSecret, true
		}
	}
	return "", false
}

// appToken reads {"access_token": …} and finds the token, which must
// belong to the client; it answers 404 itself otherwise.
func (p *Provider) appToken(w http.ResponseWriter, r *http.Request, clientID string) (string, *sim.Grant, bool) {
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := sim.ReadJSON(r, &body); err != nil || body.AccessToken == "" {
		validationFailed(w, docsApps, fieldError{Resource: "OauthAccess", Code: "missing_field", Field: "access_token"})
		return "", nil, false
	}
	token := internalToken(body.AccessToken)
	g, err := p.s.OAuth.Lookup(name, token)
	if err != nil || g.ClientID != clientID {
		notFound(w)
		return "", nil, false
	}
	return token, g, true
}

// deleteToken serves DELETE /applications/{client_id}/token: it revokes
// one token (and the refresh token issued with it).
func (p *Provider) deleteToken(w http.ResponseWriter, r *http.Request) {
	clientID, ok := p.appClient(w, r)
	if !ok {
		return
	}
	token, _, ok := p.appToken(w, r, clientID)
	if !ok {
		return
	}
	p.s.OAuth.Revoke(name, token)
	w.WriteHeader(http.StatusNoContent)
}

// deleteGrant serves DELETE /applications/{client_id}/grant, which
// removes the user's whole authorization. The shared OAuth server keeps no
// grants per client, so every token of that user is revoked.
func (p *Provider) deleteGrant(w http.ResponseWriter, r *http.Request) {
	clientID, ok := p.appClient(w, r)
	if !ok {
		return
	}
	_, g, ok := p.appToken(w, r, clientID)
	if !ok {
		return
	}
	p.s.OAuth.RevokeSubject(name, g.Subject)
	w.WriteHeader(http.StatusNoContent)
}

// checkToken serves POST /applications/{client_id}/token, which apps use
// to validate a token and learn its user and scopes.
func (p *Provider) checkToken(w http.ResponseWriter, r *http.Request) {
	clientID, ok := p.appClient(w, r)
	if !ok {
		return
	}
	token, g, ok := p.appToken(w, r, clientID)
	if !ok {
		return
	}
	base := p.s.RequestBaseURL(r)
	p.mu.RLock()
	u, known := p.users[strings.ToLower(g.Subject)]
	p.mu.RUnlock()
	if !known {
		u = userAccount(g.Subject)
	}
	scopes := g.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	public := p.publicAccess(token)
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"id":               sim.Hash("github-authorization", token) % 1000000000,
		"url":              base + "/github/authorizations/" + strconv.FormatUint(sim.Hash("github-authorization", token)%1000000000, 10),
		"app":              map[string]any{"client_id": clientID, "name": clientID, "url": base + "/github"},
		"token":            public,
		"token_last_eight": public[max(0, len(public)-8):],
		"note":             nil,
		"scopes":           scopes,
		"created_at":       stamp(g.IssuedAt),
		"updated_at":       stamp(g.IssuedAt),
		"expires_at":       stampPtr(g.ExpiresAt),
		"user":             renderAccount(base, u),
	})
}
