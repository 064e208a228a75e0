package auth

import (
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/store"
)

// CredentialsView renders credentials in Nango's shape for their auth mode
// (authmode.View). The refresh token, which lets its holder mint access
// tokens forever, is only included when asked for (also inside raw).
func CredentialsView(c *store.Credentials, withRefreshToken bool) map[string]any {
	return authmode.View(c, withRefreshToken)
}
