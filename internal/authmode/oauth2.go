package authmode

import "github.com/patchbay/patchbay/internal/store"

// oauthApp are the integration credentials of an OAuth app.
var oauthApp = &Fields{Required: []string{"client_id", "client_secret"}, Optional: []string{"scopes", "webhook_secret"}}

// OAuth2 is OAuth 2's authorization-code flow: a user token, renewed with
// its refresh token when it has one.
var OAuth2 = &Mode{
	Name:        "OAUTH2",
	CatalogURLs: []string{"authorization_url", "token_url"},
	Integration: oauthApp,
	Import: &Import{
		Fields:  Fields{Required: []string{"access_token"}, Optional: []string{"refresh_token", "expires_at"}},
		KeepRaw: true,
		Stored:  []string{"access_token"},
		// Nango's per-connection OAuth client ({client_id,
		// client_secret}): refreshes here use the integration's.
		Ignored: map[string]string{"config_override": "object"},
	},
	Browser:           BrowserOAuth2,
	Mint:              MintRefreshToken,
	NeedsRefreshToken: true,
	Issuer:            true,
	View: func(c *store.Credentials, withRefreshToken bool, out map[string]any) {
		out["access_token"] = c.AccessToken
		if withRefreshToken && c.RefreshToken != "" {
			out["refresh_token"] = c.RefreshToken
		}
		putExpiry(out, c.ExpiresAt)
		out["raw"] = RawJSON(c.Raw, withRefreshToken)
	},
	Header: func(c *store.Credentials) string { return bearer(c.AccessToken) },
}
