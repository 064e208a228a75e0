package authmode

import (
	"github.com/patchbay/patchbay/internal/store"
)

// ClientCredentials is OAuth 2's client-credentials grant: the end user
// (or the integration) gives a client id and secret, and tokens are asked
// for with them, again whenever one expires.
var ClientCredentials = &Mode{
	Name:        "OAUTH2_CC",
	CatalogURLs: []string{"token_url"},
	Import: &Import{
		Fields:  Fields{Required: []string{"token", "client_id", "client_secret"}, Optional: []string{"expires_at"}},
		KeepRaw: true,
		Stored:  []string{"token"},
		// Nango's mutual-TLS client key pair: token requests here
		// present no client certificate.
		Ignored: map[string]string{"client_certificate": "string", "client_private_key": "string"},
	},
	Form: &Form{
		Path: "/oauth2/auth/",
		Fields: []FormField{
			{Name: "client_id", Title: "Client ID", Required: true},
			{Name: "client_secret", Title: "Client secret", Secret: true, Required: true},
		},
		Check: func(_ []ProviderField, app *store.IntegrationCredentials, c store.Credentials) (store.Credentials, *FieldError) {
			if c.ClientID == "" {
				c.ClientID, c.ClientSecret = app.ClientID, app.ClientSecret
			}
			if c.ClientID == "" || c.ClientSecret == "" {
				return c, &FieldError{Field: "client_id", Message: "client_id and client_secret are required"}
			}
			return c, nil
		},
		MintProves: true,
	},
	Mint:   MintClientCredentials,
	Issuer: true,
	View: func(c *store.Credentials, _ bool, out map[string]any) {
		out["token"] = c.Token
		putExpiry(out, c.ExpiresAt)
		out["raw"] = RawJSON(c.Raw, true)
		out["client_id"] = c.ClientID
		out["client_secret"] = c.ClientSecret
	},
	Token:  func(c *store.Credentials) any { return c.Token },
	Header: func(c *store.Credentials) string { return bearer(c.Token) },
}
