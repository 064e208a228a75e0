package authmode

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/catalog"
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
		Check: func(p *catalog.Provider, _ *store.IntegrationCredentials, c store.Credentials) (store.Credentials, *FieldError) {
			return c, requireFields(p, c.Fields)
		},
	},
	Mint: MintJWT,
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

// requireFields checks the credential fields the catalog lists as
// mandatory.
func requireFields(p *catalog.Provider, fields map[string]string) *FieldError {
	names := make([]string, 0, len(p.Credentials))
	for name, f := range p.Credentials {
		if !f.Optional && !f.Automated {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if strings.TrimSpace(fields[name]) == "" {
			return &FieldError{Field: name, Message: fmt.Sprintf("%s (%s) is required", name, p.Credentials[name].Title)}
		}
	}
	return nil
}
