package authmode

import "github.com/patchbay/patchbay/internal/store"

// Custom is a GitHub App installation with user authorization: the
// installation token of App, and a user token (OAuth 2, in
// Credentials.User) when the installation redirect carries a code.
var Custom = &Mode{
	Name: "CUSTOM",
	Integration: &Fields{Required: []string{"client_id", "client_secret", "app_id", "app_link", "private_key"},
		Optional: []string{"scopes", "webhook_secret"}},
	Import: &Import{
		Fields: Fields{Required: []string{"access_token"}, Optional: []string{"expires_at", "app_id", "installation_id"}},
		Config: []string{"app_id", "installation_id"},
	},
	Browser:           BrowserInstall,
	UserAuthorization: true,
	Mint:              MintInstallation,
	View: func(c *store.Credentials, withRefreshToken bool, out map[string]any) {
		viewInstallation(c, withRefreshToken, out)
		if u := c.User; u != nil {
			user := map[string]any{"access_token": u.AccessToken}
			if withRefreshToken && u.RefreshToken != "" {
				user["refresh_token"] = u.RefreshToken
			}
			putExpiry(user, u.ExpiresAt)
			if len(u.Raw) > 0 {
				user["raw"] = RawJSON(u.Raw, withRefreshToken)
			}
			out["user"] = user
		}
	},
	Header: func(c *store.Credentials) string { return bearer(c.AccessToken) },
}
