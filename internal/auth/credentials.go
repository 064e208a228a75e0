package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// CredentialsInput creates a connection from credentials the end user
// typed (API key, basic, JWT, client credentials).
type CredentialsInput struct {
	EnvironmentID  string
	IntegrationKey string
	// Mode is the auth mode the endpoint serves; the integration's provider
	// must use it.
	Mode             string
	ConnectionID     string
	ConnectionConfig map[string]any
	ConnectSessionID string
	EndUser          *store.EndUser
	Credentials      store.Credentials
}

// Connect validates the credentials (with the provider's verification
// request when it has one, or by fetching a token), then saves the
// connection.
func (s *Service) Connect(ctx context.Context, in CredentialsInput) (*store.Connection, error) {
	integ, p, err := s.integration(ctx, in.EnvironmentID, in.IntegrationKey)
	if err != nil {
		return nil, err
	}
	if p.AuthMode != in.Mode {
		return nil, errorf(fault.Invalid, "invalid_auth_mode", "integration %q uses auth mode %s, not %s", integ.UniqueKey, p.AuthMode, in.Mode)
	}
	if in.ConnectionID == "" {
		in.ConnectionID = uuid.NewString()
	}
	config := withIntegrationConfig(in.ConnectionConfig, integ)
	if err := checkConnectionConfig(p, config); err != nil {
		return nil, err
	}
	if err := s.checkConfigURLs(ctx, p, config, fromParams); err != nil {
		return nil, err
	}
	m := authmode.Get(in.Mode)
	if m.Form == nil {
		return nil, errorf(fault.Invalid, "invalid_auth_mode", "auth mode %s has no credentials endpoint", in.Mode)
	}
	creds := in.Credentials
	creds.Type = in.Mode
	creds, ferr := m.Form.Check(requiredCredentials(p), &integ.Credentials, creds)
	if ferr != nil {
		return nil, &Error{Kind: fault.Invalid, Message: ferr.Message, Field: []string{ferr.Field}}
	}
	if first := minters[m.Mint].first; first != nil {
		if creds, err = first(s, ctx, p, config, creds); err != nil {
			return nil, err
		}
	}
	if !m.Form.MintProves {
		if err := s.verify(ctx, p, config, &creds); err != nil {
			return nil, err
		}
	}
	return s.save(ctx, saveInput{environmentID: in.EnvironmentID, integration: integ, connectionID: in.ConnectionID,
		config: config, creds: creds, connectSessionID: in.ConnectSessionID, endUser: in.EndUser, authMode: in.Mode})
}

// requiredCredentials lists, by name, the provider's own credential
// fields its catalog entry says the end user must give.
func requiredCredentials(p *catalog.Provider) []authmode.ProviderField {
	var out []authmode.ProviderField
	for name, f := range p.Credentials {
		if !f.Optional && !f.Automated {
			out = append(out, authmode.ProviderField{Name: name, Title: f.Title})
		}
	}
	slices.SortFunc(out, func(a, b authmode.ProviderField) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// signJWT builds a JWT-mode token from the catalog's token spec.
func (s *Service) signJWT(p *catalog.Provider, config map[string]any, creds store.Credentials) (store.Credentials, error) {
	if p.Token == nil {
		return creds, errorf(fault.Invalid, "invalid_provider_config", "provider %q has no token block for JWT signing", p.Name)
	}
	now := s.now()
	values := TemplateValues(config, &creds, now)
	keyText, err := catalog.Interpolate(p.Token.SigningKey, values)
	if err != nil {
		return creds, configError(err)
	}
	header, err := interpolateMap(p.Token.Header, values)
	if err != nil {
		return creds, configError(err)
	}
	alg := header["alg"]
	if alg == "" {
		alg = "RS256"
	}
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		return creds, errorf(fault.Invalid, "invalid_provider_config", "provider %q signs with unsupported algorithm %q", p.Name, alg)
	}
	var key any
	switch {
	case strings.HasPrefix(alg, "HS"):
		raw := []byte(keyText)
		if p.Signature != nil && p.Signature.HMACSecretEncoding == "hex" {
			if raw, err = hex.DecodeString(keyText); err != nil {
				return creds, &Error{Kind: fault.Invalid, Code: "invalid_credentials", Message: "the secret must be hexadecimal", Field: []string{"secret"}}
			}
		} else if p.Signature != nil && p.Signature.HMACSecretEncoding == "base64" {
			if raw, err = base64.StdEncoding.DecodeString(keyText); err != nil {
				return creds, &Error{Kind: fault.Invalid, Code: "invalid_credentials", Message: "the secret must be base64", Field: []string{"secret"}}
			}
		}
		key = raw
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		if key, err = jwt.ParseRSAPrivateKeyFromPEM([]byte(keyText)); err != nil {
			return creds, &Error{Kind: fault.Invalid, Code: "invalid_credentials", Message: "the private key is not an RSA PEM key", Field: []string{"privateKey"}}
		}
	case strings.HasPrefix(alg, "ES"):
		if key, err = jwt.ParseECPrivateKeyFromPEM([]byte(keyText)); err != nil {
			return creds, &Error{Kind: fault.Invalid, Code: "invalid_credentials", Message: "the private key is not an EC PEM key", Field: []string{"privateKey"}}
		}
	default:
		return creds, errorf(fault.Invalid, "invalid_provider_config", "provider %q signs with unsupported algorithm %q", p.Name, alg)
	}
	lifetime := time.Duration(p.Token.ExpiresInMs) * time.Millisecond
	if lifetime <= 0 {
		lifetime = 5 * time.Minute
	}
	claims := jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(lifetime).Unix()}
	for k, v := range p.Token.Payload {
		switch x := v.(type) {
		case string:
			if claims[k], err = catalog.Interpolate(x, values); err != nil {
				return creds, configError(err)
			}
		case []any:
			list := make([]string, 0, len(x))
			for _, item := range x {
				str, _ := item.(string)
				if str, err = catalog.Interpolate(str, values); err != nil {
					return creds, configError(err)
				}
				list = append(list, str)
			}
			claims[k] = list
		default:
			claims[k] = v
		}
	}
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if k != "alg" {
			tok.Header[k] = v
		}
	}
	signed, err := tok.SignedString(key)
	if err != nil {
		return creds, fmt.Errorf("sign JWT for %s: %w", p.Name, err)
	}
	exp := now.Add(lifetime).UTC().Truncate(time.Second)
	return store.Credentials{Type: authmode.MintJWT.Issuer().Name, Token: signed, ExpiresAt: &exp, Fields: creds.Fields}, nil
}

// clientCredentialsToken fetches an OAUTH2_CC token.
func (s *Service) clientCredentialsToken(ctx context.Context, p *catalog.Provider, config map[string]any, creds store.Credentials) (store.Credentials, error) {
	values := TemplateValues(config, &creds, s.now())
	tokenURL, err := catalog.Interpolate(p.TokenURL, values)
	if err != nil {
		return creds, configError(err)
	}
	params, err := interpolateMap(p.TokenParams, values)
	if err != nil {
		return creds, configError(err)
	}
	if params["grant_type"] == "" {
		params["grant_type"] = "client_credentials"
	}
	if sc := strings.Join(p.DefaultScopes, separator(p)); sc != "" && params["scope"] == "" {
		params["scope"] = sc
	}
	fields, raw, err := s.do(ctx, tokenRequest{url: tokenURL, template: p.TokenURL, config: config, params: params, clientID: creds.ClientID,
		clientSecret: creds.ClientSecret, basic: basicAuth(p), json: p.BodyFormat == "json"})
	if err != nil {
		var te *tokenError
		if errors.As(err, &te) && te.permanent {
			return creds, &Error{Kind: fault.Invalid, Code: "connection_test_failed",
				Message: fmt.Sprintf("%s did not accept these client credentials (%s)", displayName(p), te.Error()), Err: err}
		}
		return creds, tokenFailure("get a client-credentials token", err)
	}
	oc, err := oauth2Credentials(p, fields, raw, s.now(), nil)
	if err != nil {
		return creds, tokenFailure("get a client-credentials token", err)
	}
	return store.Credentials{Type: authmode.MintClientCredentials.Issuer().Name, Token: oc.AccessToken, ExpiresAt: oc.ExpiresAt,
		ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, Fields: creds.Fields, Raw: raw}, nil
}

// verify runs the provider's verification request with the credentials,
// so a wrong key is refused before anything is saved.
func (s *Service) verify(ctx context.Context, p *catalog.Provider, config map[string]any, creds *store.Credentials) error {
	if p.Proxy == nil || p.Proxy.Verification == nil || len(p.Proxy.Verification.Endpoints) == 0 {
		return nil
	}
	v := p.Proxy.Verification
	values := TemplateValues(config, creds, s.now())
	tmpl := v.BaseURLOverride
	if tmpl == "" {
		tmpl = p.Proxy.BaseURL
	}
	base, err := catalog.Interpolate(tmpl, values)
	if err != nil {
		return configError(err)
	}
	endpoint, err := catalog.Interpolate(v.Endpoints[0], values)
	if err != nil {
		return configError(err)
	}
	// Check, then Target: the base must be the template filled in, and the
	// endpoint may only add a path below it.
	ctx, _, err = s.target(ctx, base, tmpl, config)
	if err != nil {
		return err
	}
	target, err := s.guard.Target(base, endpoint, tmpl)
	if err != nil {
		return &Error{Kind: fault.Invalid, Code: "invalid_provider_config",
			Message: "the provider's verification endpoint cannot be used: " + err.Error(), Err: err}
	}
	var body io.Reader
	if v.Data != nil {
		b, err := json.Marshal(v.Data)
		if err != nil {
			return configError(err)
		}
		body = bytes.NewReader(b)
	}
	method := strings.ToUpper(v.Method)
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return configError(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	headers := map[string]string{}
	for k, t := range p.Proxy.Headers {
		headers[strings.ToLower(k)] = t
	}
	for k, t := range v.Headers {
		headers[strings.ToLower(k)] = t
	}
	filled, err := interpolateMap(headers, values)
	if err != nil {
		return configError(err)
	}
	for k, val := range filled {
		req.Header.Set(k, val)
	}
	if _, set := filled["authorization"]; !set {
		if h := AuthorizationHeader(creds); h != "" {
			req.Header.Set("Authorization", h)
		}
	}
	if len(p.Proxy.Query) > 0 {
		query, err := interpolateMap(p.Proxy.Query, values)
		if err != nil {
			return configError(err)
		}
		q := req.URL.Query()
		for k, val := range query {
			q.Set(k, val)
		}
		req.URL.RawQuery = q.Encode()
	}
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if refused := s.refused(tmpl, config, fromParams, err); refused != nil {
			return refused // a dial or redirect the guard refused
		}
		return &Error{Kind: fault.Upstream, Code: "connection_test_failed",
			Message: fmt.Sprintf("could not reach %s to check the credentials", displayName(p)), Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500:
		return &Error{Kind: fault.Upstream, Code: "connection_test_failed",
			Message: fmt.Sprintf("%s could not check the credentials right now (HTTP %d); try again", displayName(p), resp.StatusCode)}
	default:
		return &Error{Kind: fault.Invalid, Code: "connection_test_failed",
			Message: fmt.Sprintf("%s did not accept these credentials (HTTP %d)", displayName(p), resp.StatusCode)}
	}
}

func displayName(p *catalog.Provider) string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Name
}

// matchPattern applies a catalog pattern (JavaScript regular-expression
// syntax, which for the patterns providers use is also RE2 syntax).
func matchPattern(pattern, s string) (bool, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false, err
	}
	return re.MatchString(s), nil
}

func jsonMarshal(v any) (json.RawMessage, error) { return json.Marshal(v) }
