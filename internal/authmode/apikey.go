package authmode

import (
	"strings"

	"github.com/patchbay/patchbay/internal/store"
)

// APIKey is a key the end user types; the catalog's templates place it in
// requests.
var APIKey = &Mode{
	Name: "API_KEY",
	Import: &Import{
		Fields: Fields{Required: []string{"apiKey"}},
		Stored: []string{"apiKey"},
	},
	Form: &Form{
		Path:   "/api-auth/api-key/",
		Fields: []FormField{{Name: "apiKey", Title: "API key", Secret: true, Required: true}},
		Check: func(_ []ProviderField, _ *store.IntegrationCredentials, c store.Credentials) (store.Credentials, *FieldError) {
			if strings.TrimSpace(c.APIKey) == "" {
				return c, &FieldError{Field: "apiKey", Message: "apiKey is required"}
			}
			return store.Credentials{Type: c.Type, APIKey: c.APIKey}, nil
		},
	},
	View:        func(c *store.Credentials, _ bool, out map[string]any) { out["apiKey"] = c.APIKey },
	Token:       func(c *store.Credentials) any { return c.APIKey },
	Placeholder: map[string]any{"apiKey": "test-api-key"},
}
