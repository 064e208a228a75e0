package authmode

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// registry holds every mode under its catalog name.
var registry = byName(OAuth2, OAuth1, ClientCredentials, APIKey, Basic, JWT, App, Custom, None, TBA)

func byName(modes ...*Mode) map[string]*Mode {
	out := make(map[string]*Mode, len(modes))
	for _, m := range modes {
		out[m.Name] = m
	}
	return out
}

// defaultMode is what a connection of no known provider is shown as
// (function fixtures without a provider).
var defaultMode = OAuth2

// Lookup returns the named mode, and false when Patchbay has none by that
// name.
func Lookup(name string) (*Mode, bool) {
	m, ok := registry[name]
	return m, ok
}

// Get returns the named mode, or an empty Mode of that name (no flows, no
// fields, nothing to renew) when there is none, so callers can ask it
// questions without checking first.
func Get(name string) *Mode {
	if m, ok := registry[name]; ok {
		return m
	}
	return &Mode{Name: name}
}

// Each calls f with every mode, in name order.
func Each(f func(*Mode)) {
	for _, name := range slices.Sorted(maps.Keys(registry)) {
		f(registry[name])
	}
}

// Importable lists, sorted, the modes whose connections can be imported.
func Importable() []string {
	var out []string
	Each(func(m *Mode) {
		if m.Import != nil {
			out = append(out, m.Name)
		}
	})
	return out
}

// View renders credentials in Nango's shape for their auth mode
// (getConnection's credentials). The refresh token is only included when
// asked for (also inside raw).
func View(c *store.Credentials, withRefreshToken bool) map[string]any {
	out := map[string]any{"type": c.Type}
	if m := Get(c.Type); m.View != nil {
		m.View(c, withRefreshToken, out)
	}
	return out
}

// Token is the credential Nango's getToken returns for c: the mode's own
// shape, else the access token.
func Token(c *store.Credentials) any {
	if m := Get(c.Type); m.Token != nil {
		return m.Token(c)
	}
	return c.AccessToken
}

// AuthorizationHeader is the Authorization value c carries when the
// catalog's proxy.headers set none, or "" for modes without one of their
// own (API_KEY: the templates place the key; OAUTH1: requests are signed).
func AuthorizationHeader(c *store.Credentials) string {
	if m := Get(c.Type); m.Header != nil {
		return m.Header(c)
	}
	return ""
}

// Sign signs r with c when c's mode authorizes by signing each request;
// app holds the integration's client credentials.
func Sign(r *http.Request, app *store.IntegrationCredentials, c *store.Credentials, now func() time.Time) error {
	if m := Get(c.Type); m.Sign != nil {
		return m.Sign(r, app, c, now)
	}
	return nil
}

// Refreshable reports whether c has a way to be renewed.
func Refreshable(c *store.Credentials) bool {
	m := Get(c.Type)
	return m.Mint != MintNone && (!m.NeedsRefreshToken || c.RefreshToken != "")
}

// Stranded reports whether c expires without a way to be renewed: an
// OAuth 2 token without a refresh token.
func Stranded(c *store.Credentials) bool {
	return Get(c.Type).NeedsRefreshToken && c.RefreshToken == ""
}

// Placeholder is a connection's credentials of the named mode, with
// placeholder secrets, as function tests see them; "" is the default mode.
func Placeholder(name string) map[string]any {
	m := defaultMode
	if name != "" {
		m = Get(name)
	}
	out := map[string]any{"type": m.Name}
	if m.Placeholder != nil {
		maps.Copy(out, m.Placeholder)
	} else {
		out["access_token"] = "test-access-token"
	}
	return out
}

// Member points at the credentials field Nango calls name (access_token,
// apiKey, …), or is nil when there is none.
func Member(c *store.Credentials, name string) *string {
	switch name {
	case "access_token":
		return &c.AccessToken
	case "refresh_token":
		return &c.RefreshToken
	case "token":
		return &c.Token
	case "oauth_token":
		return &c.OAuthToken
	case "oauth_token_secret":
		return &c.OAuthTokenSecret
	case "apiKey":
		return &c.APIKey
	case "username":
		return &c.Username
	case "password":
		return &c.Password
	case "client_id":
		return &c.ClientID
	case "client_secret":
		return &c.ClientSecret
	}
	return nil
}

// issuers are the modes that own each mechanism, from their Issuer marks.
var mintIssuers, browserIssuers = issuersOf(registry)

// issuersOf indexes the issuer modes by mechanism. Two issuers of one
// mechanism would make the type of its credentials ambiguous: a
// registration mistake, refused when the package loads.
func issuersOf(modes map[string]*Mode) (map[Mint]*Mode, map[Browser]*Mode) {
	mints, browsers := map[Mint]*Mode{}, map[Browser]*Mode{}
	for _, name := range slices.Sorted(maps.Keys(modes)) {
		m := modes[name]
		if !m.Issuer {
			continue
		}
		if m.Mint != MintNone {
			if other := mints[m.Mint]; other != nil {
				panic("authmode: " + other.Name + " and " + m.Name + " both issue mint kind")
			}
			mints[m.Mint] = m
		}
		if m.Browser != BrowserNone {
			if other := browsers[m.Browser]; other != nil {
				panic("authmode: " + other.Name + " and " + m.Name + " both issue browser kind")
			}
			browsers[m.Browser] = m
		}
	}
	return mints, browsers
}

// Issuer is the mode whose credentials the mechanism k makes (JWT for
// MintJWT), or an empty Mode when none issues it.
func (k Mint) Issuer() *Mode {
	if m := mintIssuers[k]; m != nil {
		return m
	}
	return &Mode{}
}

// Issuer is the mode whose credentials the browser flow b makes (OAuth2
// for BrowserOAuth2), or an empty Mode when none issues it.
func (b Browser) Issuer() *Mode {
	if m := browserIssuers[b]; m != nil {
		return m
	}
	return &Mode{}
}
