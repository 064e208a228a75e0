package authmode

import (
	"fmt"
	"strings"

	"github.com/patchbay/patchbay/internal/store"
)

// JWT is a token Patchbay signs from the provider's own credential fields
// (the catalog's credentials and token blocks), signed again when it
// expires.
var JWT = &Mode{
	Name: "JWT",
	Import: &Import{
		Fields:         Fields{Required: []string{"token"}, Optional: []string{"expires_at"}},
		ProviderFields: true,
		Stored:         []string{"token"},
	},
	Form: &Form{
		Path:          "/auth/jwt/",
		CatalogFields: true,
		Check: func(required []ProviderField, _ *store.IntegrationCredentials, c store.Credentials) (store.Credentials, *FieldError) {
			for _, f := range required {
				if strings.TrimSpace(c.Fields[f.Name]) == "" {
					return c, &FieldError{Field: f.Name, Message: fmt.Sprintf("%s (%s) is required", f.Name, f.Title)}
				}
			}
			return c, nil
		},
	},
	Mint:   MintJWT,
	Issuer: true,
	View: func(c *store.Credentials, _ bool, out map[string]any) {
		for k, v := range c.Fields {
			out[k] = v
		}
		out["type"] = c.Type
		out["token"] = c.Token
		delete(out, "expires_at")
		putExpiry(out, c.ExpiresAt)
	},
	Token:  func(c *store.Credentials) any { return c.Token },
	Header: func(c *store.Credentials) string { return bearer(c.Token) },
}
