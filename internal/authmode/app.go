package authmode

import "github.com/patchbay/patchbay/internal/store"

// App is a GitHub App installation: installation tokens minted with the
// app's private key, an hour each, minted again rather than refreshed.
var App = &Mode{
	Name:        "APP",
	Integration: &Fields{Required: []string{"app_id", "app_link", "private_key"}, Optional: []string{"webhook_secret"}},
	Import: &Import{
		// Nango imports an installation by its id alone and mints its
		// token; an access token, when given, is kept as it is.
		Fields: Fields{Optional: []string{"access_token", "expires_at", "app_id", "installation_id"}},
		Config: []string{"app_id", "installation_id"},
		Stored: []string{"access_token"},
	},
	Browser: BrowserInstall,
	Mint:    MintInstallation,
	Issuer:  true,
	View:    viewInstallation,
	Header:  func(c *store.Credentials) string { return bearer(c.AccessToken) },
}

// viewInstallation shows an installation token.
func viewInstallation(c *store.Credentials, _ bool, out map[string]any) {
	out["access_token"] = c.AccessToken
	putExpiry(out, c.ExpiresAt)
	out["raw"] = RawJSON(c.Raw, true)
}
