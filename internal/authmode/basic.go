package authmode

import (
	"encoding/base64"

	"github.com/patchbay/patchbay/internal/store"
)

// Basic is a username and password, sent as HTTP Basic credentials.
var Basic = &Mode{
	Name: "BASIC",
	Import: &Import{
		Fields:     Fields{Required: []string{"username", "password"}},
		AllowEmpty: true,
	},
	Form: &Form{
		Path: "/api-auth/basic/",
		Fields: []FormField{
			{Name: "username", Title: "Username", Required: true},
			{Name: "password", Title: "Password", Secret: true},
		},
		Check: func(_ []ProviderField, _ *store.IntegrationCredentials, c store.Credentials) (store.Credentials, *FieldError) {
			if c.Username == "" && c.Password == "" {
				return c, &FieldError{Field: "username", Message: "username is required"}
			}
			return store.Credentials{Type: c.Type, Username: c.Username, Password: c.Password}, nil
		},
	},
	View: func(c *store.Credentials, _ bool, out map[string]any) {
		out["username"] = c.Username
		out["password"] = c.Password
	},
	Token: func(c *store.Credentials) any {
		return map[string]string{"username": c.Username, "password": c.Password}
	},
	Header: func(c *store.Credentials) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password))
	},
	Placeholder: map[string]any{"username": "test-user", "password": "test-password"},
}
