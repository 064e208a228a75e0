package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// appJWTLifetime is the longest GitHub accepts (10 minutes), less a margin
// for clock skew; iat is backdated by a minute for the same reason.
const appJWTLifetime = 9 * time.Minute

// completeApp finishes a GitHub App installation (APP) or an installation
// with user authorisation (CUSTOM): it records the installation id and
// fetches the first installation token, plus the user token when the
// redirect carries a code.
func (s *Service) completeApp(ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, q url.Values, config map[string]any) (store.Credentials, error) {
	id := q.Get("installation_id")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil || id == "" {
		return store.Credentials{}, &Error{Kind: fault.Invalid, Code: "missing_installation_id",
			Message: "the installation redirect has no valid installation_id", Field: []string{"installation_id"}}
	}
	config["installation_id"] = id
	creds, err := s.installationToken(ctx, p, integ, config)
	if err != nil {
		return creds, err
	}
	if m := authmode.Get(sess.AuthMode); m.UserAuthorization {
		creds.Type = m.Name
		if code := q.Get("code"); code != "" {
			user, err := s.exchangeCode(ctx, p, integ, sess, code, config)
			if err != nil {
				return creds, err
			}
			creds.User = &user
		}
	}
	return creds, nil
}

// installationToken mints an installation access token with the app's
// JWT. GitHub's tokens last an hour and cannot be refreshed, only minted
// again, which is what a refresh of an APP connection does.
func (s *Service) installationToken(ctx context.Context, p *catalog.Provider, integ *store.Integration, config map[string]any) (store.Credentials, error) {
	appJWT, err := s.appJWT(integ)
	if err != nil {
		return store.Credentials{}, err
	}
	tmpl := tokenURLFor(p, authmode.MintInstallation.Issuer())
	tokenURL, err := catalog.Interpolate(tmpl, TemplateValues(config, nil, s.now()))
	if err != nil {
		return store.Credentials{}, configError(err)
	}
	ctx, target, err := s.target(ctx, tokenURL, tmpl, config)
	if err != nil {
		return store.Credentials{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), nil)
	if err != nil {
		return store.Credentials{}, configError(err)
	}
	req.Header.Set("Authorization", "Bearer "+appJWT)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return store.Credentials{}, ctx.Err()
		}
		if refused := s.refused(tmpl, config, fromConfig, err); refused != nil {
			return store.Credentials{}, refused // a dial or redirect the guard refused
		}
		return store.Credentials{}, tokenFailure("get an installation token", &tokenError{err: err})
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var body struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &body)
		te := &tokenError{status: resp.StatusCode, description: truncate(body.Message, 200),
			permanent: resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests, answer: answerExcerpt(raw, nil)}
		if te.permanent {
			te.code = "installation_token_refused"
		}
		return store.Credentials{}, tokenFailure("get an installation token", te)
	}
	var body struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.Token == "" {
		return store.Credentials{}, tokenFailure("get an installation token", &tokenError{status: resp.StatusCode, err: errors.New("the response has no token")})
	}
	exp := body.ExpiresAt.UTC()
	return store.Credentials{Type: authmode.MintInstallation.Issuer().Name, AccessToken: body.Token, ExpiresAt: &exp, Raw: raw}, nil
}

// appJWT signs the GitHub App's own JWT (RS256, issuer = app id).
func (s *Service) appJWT(integ *store.Integration) (string, error) {
	if integ.Credentials.AppID == "" || integ.Credentials.PrivateKey == "" {
		return "", errorf(fault.Invalid, "missing_app_credentials", "integration %q needs app_id and private_key", integ.UniqueKey)
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(integ.Credentials.PrivateKey))
	if err != nil {
		return "", errorf(fault.Invalid, "invalid_private_key", "integration %q: the private key is not an RSA PEM key", integ.UniqueKey)
	}
	now := s.now()
	claims := jwt.RegisteredClaims{
		Issuer:    integ.Credentials.AppID,
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(appJWTLifetime)),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign app JWT: %w", err)
	}
	return signed, nil
}

// installationAppJWT is a newly signed JWT of the GitHub App whose
// installation c belongs to (APP and CUSTOM connections), for callers
// that talk to GitHub as the app itself, e.g. to list its installations:
// what Nango's refresh_github_app_jwt_token adds to a connection's
// credentials as jwtToken (Fetch). It is "" for a connection of any other
// mode. The JWT is signed on every call, never stored: it is valid for
// minutes and costs no request to GitHub.
func (s *Service) installationAppJWT(ctx context.Context, c *store.Connection) (string, error) {
	if authmode.Get(c.Credentials.Type).Mint != authmode.MintInstallation {
		return "", nil
	}
	integ, _, err := s.integration(ctx, c.EnvironmentID, c.IntegrationKey)
	if err != nil {
		return "", err
	}
	return s.appJWT(integ)
}

// importInstallation mints the first installation token of an app
// installation imported by its installation_id alone, as Nango does, into
// c. The installation's address is checked like every URL a connection's
// config makes Patchbay call.
func (s *Service) importInstallation(ctx context.Context, p *catalog.Provider, integ *store.Integration, config map[string]any, c store.Credentials) (store.Credentials, error) {
	if id, ok := config["installation_id"]; !ok || fmt.Sprint(id) == "" {
		return c, &Error{Kind: fault.Invalid, Code: "missing_installation_id",
			Message: "credentials.installation_id is required to mint the installation's token, or give credentials.access_token",
			Field:   []string{"credentials", "installation_id"}}
	}
	if err := s.checkConfigURLs(ctx, p, config, fromConfig); err != nil {
		return c, err
	}
	minted, err := s.installationToken(ctx, p, integ, config)
	if err != nil {
		return c, err
	}
	c.AccessToken, c.ExpiresAt, c.Raw = minted.AccessToken, minted.ExpiresAt, minted.Raw
	return c, nil
}
