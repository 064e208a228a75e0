package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/auth/oauth1"
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// oauthSessionTTL bounds how long a user may take between starting an
// authorisation and the provider's redirect back.
const oauthSessionTTL = 10 * time.Minute

// StartInput begins a browser flow (OAuth 2, OAuth 1.0a, GitHub App).
type StartInput struct {
	EnvironmentID  string
	IntegrationKey string
	// ConnectionID is the id to save the connection under; empty picks a
	// new UUID.
	ConnectionID string
	// ConnectionConfig holds params[…] from the query and the session's
	// defaults.
	ConnectionConfig map[string]any
	// AuthorizationParams are added to (or, with the value "undefined",
	// removed from) the provider's authorization parameters.
	AuthorizationParams map[string]string
	UserScope           []string
	ConnectSessionID    string
	WSClientID          string
}

// Start prepares an authorisation and returns the provider URL the
// browser goes to.
func (s *Service) Start(ctx context.Context, in StartInput) (string, error) {
	integ, p, err := s.integration(ctx, in.EnvironmentID, in.IntegrationKey)
	if err != nil {
		return "", err
	}
	if in.ConnectionID == "" {
		in.ConnectionID = uuid.NewString()
	}
	config := withIntegrationConfig(in.ConnectionConfig, integ)
	if err := checkConnectionConfig(p, config); err != nil {
		return "", err
	}
	if err := s.checkConfigURLs(ctx, p, config, fromParams); err != nil {
		return "", err
	}
	if err := checkAuthorizationParams(in.AuthorizationParams); err != nil {
		return "", err
	}
	sess := &store.OAuthSession{
		ID:               randomHex(32),
		EnvironmentID:    in.EnvironmentID,
		IntegrationKey:   integ.UniqueKey,
		ConnectionID:     in.ConnectionID,
		ConnectSessionID: in.ConnectSessionID,
		WSClientID:       in.WSClientID,
		AuthMode:         p.AuthMode,
		ConnectionConfig: config,
		RedirectURI:      s.CallbackURL(),
		CreatedAt:        s.now().UTC(),
	}
	sess.ExpiresAt = sess.CreatedAt.Add(oauthSessionTTL)

	flow, ok := browserFlows[authmode.Get(p.AuthMode).Browser]
	if !ok {
		return "", errorf(fault.Invalid, "invalid_auth_mode", "integration %q uses auth mode %s, which has no browser flow; use its own endpoint", integ.UniqueKey, p.AuthMode)
	}
	target, err := flow.start(s, ctx, p, integ, sess, in)
	if err != nil {
		return "", err
	}
	if err := s.oauthSessions.Create(ctx, sess); err != nil {
		return "", fmt.Errorf("save OAuth session: %w", err)
	}
	return target, nil
}

// reservedAuthorizationParams are the authorize request's parameters that
// bind it to this integration, this flow and its callback. The caller's
// authorization_params (which an end user can set in the connect URL) may
// add to or remove the provider's parameters, but not these: a replaced
// state, redirect_uri or PKCE challenge would send the code elsewhere or
// let another flow's callback complete this one.
var reservedAuthorizationParams = map[string]bool{
	"client_id": true, "redirect_uri": true, "state": true,
	"code_challenge": true, "code_challenge_method": true,
	"oauth_token": true, "oauth_callback": true, // OAuth 1.0a
}

func checkAuthorizationParams(params map[string]string) error {
	for k := range params {
		if reservedAuthorizationParams[strings.ToLower(k)] {
			return &Error{Kind: fault.Invalid, Code: "invalid_authorization_params",
				Message: fmt.Sprintf("authorization parameter %q is set by Patchbay and cannot be overridden", k),
				Field:   []string{"authorization_params", k}}
		}
	}
	return nil
}

// withIntegrationConfig adds what the integration itself contributes to
// templates (a GitHub App's public link). The link is the integration's
// alone: a value from the end user would make the installation redirect
// an open redirect.
func withIntegrationConfig(config map[string]any, in *store.Integration) map[string]any {
	out := make(map[string]any, len(config)+1)
	for k, v := range config {
		out[k] = v
	}
	delete(out, "appPublicLink")
	if in.Credentials.AppLink != "" {
		out["appPublicLink"] = in.Credentials.AppLink
	}
	return out
}

// checkConnectionConfig requires the user-supplied connection-config
// fields the catalog marks mandatory and checks their patterns.
func checkConnectionConfig(p *catalog.Provider, config map[string]any) error {
	names := make([]string, 0, len(p.ConnectionConfig))
	for name := range p.ConnectionConfig {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := p.ConnectionConfig[name]
		if f.Automated {
			continue
		}
		val, present := config[name]
		s, _ := scalarString(val)
		if !present || s == "" {
			if f.Optional {
				continue
			}
			return &Error{Kind: fault.Invalid, Code: "missing_connection_config",
				Message: fmt.Sprintf("connection config %q (%s) is required", name, f.Title), Field: []string{"params", name}}
		}
		if f.Pattern != "" {
			if ok, err := matchPattern(f.Pattern, s); err == nil && !ok {
				return &Error{Kind: fault.Invalid, Code: "invalid_connection_config",
					Message: fmt.Sprintf("connection config %q does not have the expected format (e.g. %s)", name, f.Example), Field: []string{"params", name}}
			}
		}
	}
	return nil
}

func (s *Service) authorizationURL(ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, in StartInput) (string, error) {
	values := TemplateValues(sess.ConnectionConfig, nil, s.now())
	base, err := catalog.Interpolate(p.AuthorizationURL, values)
	if err != nil {
		return "", configError(err)
	}
	u, err := s.authorizeTarget(ctx, base, p.AuthorizationURL, sess.ConnectionConfig)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", integ.Credentials.ClientID)
	q.Set("redirect_uri", sess.RedirectURI)
	q.Set("state", sess.ID)
	if scope := scopes(p, integ); scope != "" {
		q.Set("scope", scope)
	}
	if len(in.UserScope) > 0 {
		q.Set("user_scope", strings.Join(in.UserScope, separator(p)))
	}
	if !p.DisablePKCE {
		verifier := base64.RawURLEncoding.EncodeToString(randomBytes(32))
		sum := sha256.Sum256([]byte(verifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
		sess.Secret = verifier
	}
	params, err := interpolateMap(p.AuthorizationParams, values)
	if err != nil {
		return "", configError(err)
	}
	for k, v := range params {
		q.Set(k, v)
	}
	for k, v := range in.AuthorizationParams {
		if v == "undefined" {
			q.Del(k)
			continue
		}
		q.Set(k, v)
	}
	if p.AuthorizationURLSkipEmpty {
		for k := range q {
			if q.Get(k) == "" {
				q.Del(k)
			}
		}
	}
	u.RawQuery = q.Encode()
	if p.AuthorizationURLFragment != "" {
		u.Fragment = p.AuthorizationURLFragment
	}
	return u.String(), nil
}

// scopes joins the integration's scopes (stored comma-separated, as
// Nango's API carries them) with the provider's separator, falling back to
// the provider's default scopes.
func scopes(p *catalog.Provider, integ *store.Integration) string {
	var list []string
	for _, sc := range strings.Split(integ.Credentials.Scopes, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			list = append(list, sc)
		}
	}
	if len(list) == 0 {
		list = p.DefaultScopes
	}
	return strings.Join(list, separator(p))
}

func separator(p *catalog.Provider) string {
	if p.ScopeSeparator != "" {
		return p.ScopeSeparator
	}
	return " "
}

func installURL(p *catalog.Provider, sess *store.OAuthSession) (string, error) {
	base, err := catalog.Interpolate(p.AuthorizationURL, TemplateValues(sess.ConnectionConfig, nil, time.Time{}))
	if err != nil {
		return "", configError(err)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", errorf(fault.Invalid, "invalid_app_link", "the GitHub App public link is not a valid http(s) URL; set the integration's app_link")
	}
	q := u.Query()
	q.Set("state", sess.ID)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (s *Service) startOAuth1(ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, in StartInput) (string, error) {
	client := s.oauth1Client(p, integ)
	values := TemplateValues(sess.ConnectionConfig, nil, s.now())
	requestURL, err := catalog.Interpolate(p.RequestURL, values)
	if err != nil {
		return "", configError(err)
	}
	params, err := interpolateMap(p.RequestParams, values)
	if err != nil {
		return "", configError(err)
	}
	reqCtx, target, err := s.target(ctx, requestURL, p.RequestURL, sess.ConnectionConfig)
	if err != nil {
		return "", err
	}
	token, secret, _, err := client.RequestToken(reqCtx, target.String(), sess.RedirectURI, params)
	if err != nil {
		if refused := s.refused(p.RequestURL, sess.ConnectionConfig, fromParams, err); refused != nil {
			return "", refused // a dial or redirect the guard refused
		}
		return "", &Error{Kind: fault.Upstream, Code: "request_token_failed",
			Message: "the provider refused to start the authorisation (OAuth 1.0a request token); check the integration's consumer key and secret", Err: err}
	}
	sess.RequestToken, sess.Secret = token, secret
	authParams, err := interpolateMap(p.AuthorizationParams, values)
	if err != nil {
		return "", configError(err)
	}
	if scope := scopes(p, integ); scope != "" {
		authParams["scope"] = scope
	}
	for k, v := range in.AuthorizationParams {
		authParams[k] = v
	}
	authURL, err := catalog.Interpolate(p.AuthorizationURL, values)
	if err != nil {
		return "", configError(err)
	}
	checked, err := s.authorizeTarget(ctx, authURL, p.AuthorizationURL, sess.ConnectionConfig)
	if err != nil {
		return "", err
	}
	return s.oauth1Client(p, integ).AuthorizeURL(checked.String(), token, authParams)
}

func (s *Service) oauth1Client(p *catalog.Provider, integ *store.Integration) *oauth1.Client {
	return &oauth1.Client{
		ConsumerKey:     integ.Credentials.ClientID,
		ConsumerSecret:  integ.Credentials.ClientSecret,
		SignatureMethod: p.SignatureMethod,
		HTTPClient:      s.http,
		Now:             s.now,
	}
}

// CallbackResult tells the caller what a callback was about, even when it
// failed, so the browser that started the flow can be told.
type CallbackResult struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	WSClientID     string
	// ContinueURL is set when the flow goes on at the provider (a GitHub
	// App installation followed by user authorisation).
	ContinueURL string
	Connection  *store.Connection
	AuthMode    string
}

// Callback completes a browser flow from the query of the provider's
// redirect to /oauth/callback or /app-auth/connect. The OAuth session is
// consumed first, so a replayed or forged state never saves anything.
func (s *Service) Callback(ctx context.Context, q url.Values) (*CallbackResult, error) {
	var sess *store.OAuthSession
	var err error
	switch {
	case q.Get("state") != "":
		sess, err = s.oauthSessions.Take(ctx, q.Get("state"))
	case q.Get("oauth_token") != "":
		sess, err = s.oauthSessions.TakeByRequestToken(ctx, q.Get("oauth_token"))
	default:
		return &CallbackResult{}, errorf(fault.Invalid, "invalid_state", "the callback has no state parameter")
	}
	if errors.Is(err, store.ErrNotFound) {
		return &CallbackResult{}, errorf(fault.Invalid, "invalid_state", "this authorisation link is unknown or was already used")
	}
	if err != nil {
		return &CallbackResult{}, err
	}
	res := &CallbackResult{EnvironmentID: sess.EnvironmentID, IntegrationKey: sess.IntegrationKey,
		ConnectionID: sess.ConnectionID, WSClientID: sess.WSClientID, AuthMode: sess.AuthMode}
	if !s.now().Before(sess.ExpiresAt) {
		return res, errorf(fault.Invalid, "expired_state", "this authorisation took longer than %s; start again", oauthSessionTTL)
	}
	if code := q.Get("error"); code != "" {
		desc := q.Get("error_description")
		if desc == "" {
			desc = "the provider did not grant access"
		}
		return res, &Error{Kind: fault.Invalid, Code: providerErrorCode(code), Message: truncate(desc, 300)}
	}
	if sess.ConnectSessionID != "" {
		if err := s.checkConnectSession(ctx, sess); err != nil {
			return res, err
		}
	}
	integ, p, err := s.integration(ctx, sess.EnvironmentID, sess.IntegrationKey)
	if err != nil {
		return res, err
	}
	config := sess.ConnectionConfig
	if config == nil {
		config = map[string]any{}
	}
	for _, k := range p.RedirectURIMetadata {
		if v := q.Get(k); v != "" {
			config[k] = v
		}
	}
	// The redirect's query is the browser's to write: values it added must
	// not move the token request elsewhere either.
	if len(p.RedirectURIMetadata) > 0 {
		if err := s.checkConfigURLs(ctx, p, config, fromConfig); err != nil {
			return res, err
		}
	}
	var creds store.Credentials
	if flow, ok := browserFlows[authmode.Get(sess.AuthMode).Browser]; ok {
		creds, err = flow.complete(s, ctx, p, integ, sess, q, config)
	} else {
		err = errorf(fault.Invalid, "invalid_auth_mode", "unexpected auth mode %s", sess.AuthMode)
	}
	if err != nil {
		return res, err
	}
	conn, err := s.save(ctx, saveInput{
		environmentID: sess.EnvironmentID, integration: integ, connectionID: sess.ConnectionID,
		config: config, creds: creds, connectSessionID: sess.ConnectSessionID, authMode: sess.AuthMode,
	})
	if err != nil {
		return res, err
	}
	res.Connection = conn
	return res, nil
}

func codeParam(p *catalog.Provider) string {
	if p.AuthorizationCodeParamInCallback != "" {
		return p.AuthorizationCodeParamInCallback
	}
	return "code"
}

// providerErrorCode keeps standard OAuth error codes and folds anything
// else into one code, so a provider cannot inject arbitrary codes.
func providerErrorCode(code string) string {
	switch code {
	case "access_denied", "invalid_scope", "server_error", "temporarily_unavailable", "unauthorized_client", "invalid_request", "consent_required", "login_required":
		return code
	}
	return "provider_error"
}

func (s *Service) exchangeCode(ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, code string, config map[string]any) (store.Credentials, error) {
	if code == "" {
		return store.Credentials{}, errorf(fault.Invalid, "missing_code", "the provider's redirect has no authorization code")
	}
	values := TemplateValues(config, nil, s.now())
	tmpl := tokenURLFor(p, authmode.BrowserOAuth2.Issuer())
	tokenURL, err := catalog.Interpolate(tmpl, values)
	if err != nil {
		return store.Credentials{}, configError(err)
	}
	params, err := interpolateMap(p.TokenParams, values)
	if err != nil {
		return store.Credentials{}, configError(err)
	}
	if params["grant_type"] == "" {
		params["grant_type"] = "authorization_code"
	}
	params["code"] = code
	params["redirect_uri"] = sess.RedirectURI
	if sess.Secret != "" {
		params["code_verifier"] = sess.Secret
	}
	fields, raw, err := s.do(ctx, tokenRequest{url: tokenURL, template: tmpl, config: config, params: params, clientID: integ.Credentials.ClientID,
		clientSecret: integ.Credentials.ClientSecret, basic: basicAuth(p), json: p.BodyFormat == "json"})
	if err != nil {
		return store.Credentials{}, tokenFailure("exchange the authorization code", err)
	}
	creds, err := oauth2Credentials(p, fields, raw, s.now(), nil)
	if err != nil {
		return creds, tokenFailure("exchange the authorization code", err)
	}
	for _, path := range p.TokenResponseMetadata {
		if v := lookupPath(fields, path); v != nil {
			config[path] = v
		}
	}
	return creds, nil
}

func (s *Service) exchangeOAuth1(ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, q url.Values, config map[string]any) (store.Credentials, error) {
	verifier := q.Get("oauth_verifier")
	if verifier == "" {
		return store.Credentials{}, errorf(fault.Invalid, "access_denied", "the provider did not grant access (no oauth_verifier)")
	}
	tokenURL, err := catalog.Interpolate(p.TokenURL, TemplateValues(config, nil, s.now()))
	if err != nil {
		return store.Credentials{}, configError(err)
	}
	reqCtx, target, err := s.target(ctx, tokenURL, p.TokenURL, config)
	if err != nil {
		return store.Credentials{}, err
	}
	token, secret, raw, err := s.oauth1Client(p, integ).AccessToken(reqCtx, target.String(), sess.RequestToken, sess.Secret, verifier)
	if err != nil {
		if refused := s.refused(p.TokenURL, config, fromConfig, err); refused != nil {
			return store.Credentials{}, refused // a dial or redirect the guard refused
		}
		return store.Credentials{}, &Error{Kind: fault.Upstream, Code: "token_exchange_failed", Message: "the provider refused to issue an access token", Err: err}
	}
	rawJSON := map[string]string{}
	for k := range raw {
		if k != "oauth_token" && k != "oauth_token_secret" {
			rawJSON[k] = raw.Get(k)
		}
	}
	b, _ := jsonMarshal(rawJSON)
	return store.Credentials{Type: authmode.BrowserOAuth1.Issuer().Name, OAuthToken: token, OAuthTokenSecret: secret, Raw: b}, nil
}

// tokenURLFor picks the token URL of a step, by the mode that issues the
// step's credentials: entries of a mode with several steps (an
// installation with user authorization) have one per step.
func tokenURLFor(p *catalog.Provider, issuer *authmode.Mode) string {
	if u := p.TokenURLByMode[issuer.Name]; u != "" {
		return u
	}
	return p.TokenURL
}

// tokenFailure turns a token-endpoint failure into an error for the user.
func tokenFailure(what string, err error) error {
	var te *tokenError
	if errors.As(err, &te) {
		kind := fault.Upstream
		msg := fmt.Sprintf("could not %s: the provider answered %s", what, te.Error())
		if te.permanent {
			kind = fault.Invalid
		}
		return &Error{Kind: kind, Code: "token_exchange_failed", Message: truncate(msg, 400), Err: err}
	}
	return err
}

func configError(err error) error {
	var me *catalog.MissingValueError
	if errors.As(err, &me) {
		name := strings.TrimPrefix(me.Name, "connectionConfig.")
		return &Error{Kind: fault.Invalid, Code: "missing_connection_config",
			Message: fmt.Sprintf("connection config %q is required by this provider", name), Field: []string{"params", name}, Err: err}
	}
	return &Error{Kind: fault.Invalid, Code: "invalid_provider_config", Message: "the provider's catalog entry cannot be used: " + err.Error(), Err: err}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
