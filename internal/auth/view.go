package auth

import (
	"context"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/store"
)

// CredentialsView renders credentials in Nango's shape for their auth mode
// (authmode.View). The refresh token, which lets its holder mint access
// tokens forever, is only included when asked for (also inside raw).
func CredentialsView(c *store.Credentials, withRefreshToken bool) map[string]any {
	return authmode.View(c, withRefreshToken)
}

// FetchInput names a connection to show as GET /connections/{id} does.
type FetchInput struct {
	EnvironmentID, IntegrationKey, ConnectionID string
	// ForceRefresh renews the credentials even when they are not about
	// to expire.
	ForceRefresh bool
	// WithRefreshToken shows the refresh token.
	WithRefreshToken bool
	// WithAppJWT adds jwtToken (Nango's name), a new JWT of the GitHub App
	// an installation was made from, to an installation's credentials
	// (Nango's refresh_github_app_jwt_token).
	WithAppJWT bool
}

// Fetch returns a connection with fresh credentials (Connection) and
// those credentials in Nango's shape for its auth mode (getConnection's).
func (s *Service) Fetch(ctx context.Context, in FetchInput) (*store.Connection, map[string]any, error) {
	c, err := s.Connection(ctx, in.EnvironmentID, in.IntegrationKey, in.ConnectionID, in.ForceRefresh)
	if err != nil {
		return nil, nil, err
	}
	view := CredentialsView(&c.Credentials, in.WithRefreshToken)
	if in.WithAppJWT {
		appJWT, err := s.installationAppJWT(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		if appJWT != "" {
			view["jwtToken"] = appJWT
		}
	}
	return c, view, nil
}
