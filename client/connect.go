package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/patchbay/patchbay/wire"
)

// IntegrationConfigDefaults pre-fill one integration's authorisation in a
// connect session: the end user is not asked for what is set here.
type IntegrationConfigDefaults struct {
	// ConnectionConfig presets connection-config fields (subdomain, …).
	ConnectionConfig map[string]any `json:"connection_config,omitempty"`
	// UserScopes are the user scopes to request, comma-separated.
	UserScopes string `json:"user_scopes,omitempty"`
	// AuthorizationParams are added to the provider's authorisation URL.
	AuthorizationParams map[string]string `json:"authorization_params,omitempty"`
}

// ConnectSessionInput is the body of CreateConnectSession. Every field is
// optional.
type ConnectSessionInput struct {
	// EndUser is who the session's connections will belong to; its
	// Organization is sent as the session's organization.
	EndUser *EndUser
	// AllowedIntegrations restricts the session to these integrations'
	// unique keys; empty allows all of the environment's integrations.
	AllowedIntegrations []string
	// IntegrationsConfigDefaults are keyed by integration unique key.
	IntegrationsConfigDefaults map[string]IntegrationConfigDefaults
}

// MarshalJSON writes Nango's shape, where the organization sits beside
// end_user rather than inside it.
func (in ConnectSessionInput) MarshalJSON() ([]byte, error) {
	out := sessionUserJSON(in.EndUser)
	if len(in.AllowedIntegrations) > 0 {
		out["allowed_integrations"] = in.AllowedIntegrations
	}
	if len(in.IntegrationsConfigDefaults) > 0 {
		out["integrations_config_defaults"] = in.IntegrationsConfigDefaults
	}
	return json.Marshal(out)
}

// ReconnectSessionInput is the body of CreateReconnectSession.
type ReconnectSessionInput struct {
	// ConnectionID and IntegrationID (the integration's unique key) name
	// the existing connection the session may re-authorise; both are
	// required.
	ConnectionID  string
	IntegrationID string
	// EndUser replaces the connection's end user when set; by default the
	// session keeps the connection's.
	EndUser                    *EndUser
	IntegrationsConfigDefaults map[string]IntegrationConfigDefaults
}

// MarshalJSON writes Nango's shape (see ConnectSessionInput.MarshalJSON).
func (in ReconnectSessionInput) MarshalJSON() ([]byte, error) {
	out := sessionUserJSON(in.EndUser)
	out["connection_id"], out["integration_id"] = in.ConnectionID, in.IntegrationID
	if len(in.IntegrationsConfigDefaults) > 0 {
		out["integrations_config_defaults"] = in.IntegrationsConfigDefaults
	}
	return json.Marshal(out)
}

// sessionUserJSON starts a session body with end_user and organization.
func sessionUserJSON(u *EndUser) map[string]any {
	out := map[string]any{}
	if u == nil {
		return out
	}
	user := *u
	user.Organization = nil
	out["end_user"] = user
	if u.Organization != nil {
		out["organization"] = u.Organization
	}
	return out
}

// ConnectSession is a new connect session. Hand Token (or ConnectLink) to
// the end user's browser; never the secret key.
type ConnectSession struct {
	// Token authenticates the browser's calls for this session only.
	Token string `json:"token"`
	// ConnectLink opens the hosted Connect UI for the session.
	ConnectLink string    `json:"connect_link"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// ConnectSessionInfo is a session as its own token sees it.
type ConnectSessionInfo struct {
	// EndUser is nil when the session was created without one; its
	// Organization is the session's organization.
	EndUser *EndUser
	// AllowedIntegrations is empty when every integration is allowed.
	AllowedIntegrations        []string
	IntegrationsConfigDefaults map[string]IntegrationConfigDefaults
	// ConnectionID is set for reconnect sessions: the one connection the
	// session may re-authorise.
	ConnectionID string
	ExpiresAt    time.Time
}

// UnmarshalJSON reads the server's shape, with organization beside
// end_user.
func (s *ConnectSessionInfo) UnmarshalJSON(data []byte) error {
	var wire struct {
		EndUser                    *EndUser                             `json:"end_user"`
		Organization               *Organization                        `json:"organization"`
		AllowedIntegrations        []string                             `json:"allowed_integrations"`
		IntegrationsConfigDefaults map[string]IntegrationConfigDefaults `json:"integrations_config_defaults"`
		ConnectionID               string                               `json:"connection_id"`
		ExpiresAt                  time.Time                            `json:"expires_at"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*s = ConnectSessionInfo{EndUser: wire.EndUser, AllowedIntegrations: wire.AllowedIntegrations,
		IntegrationsConfigDefaults: wire.IntegrationsConfigDefaults, ConnectionID: wire.ConnectionID, ExpiresAt: wire.ExpiresAt}
	if s.EndUser != nil && wire.Organization != nil {
		s.EndUser.Organization = wire.Organization
	}
	return nil
}

// CreateConnectSession starts a connect session (30 minutes) in which an
// end user can authorise connections from the browser.
func (c *Client) CreateConnectSession(ctx context.Context, in ConnectSessionInput) (*ConnectSession, error) {
	return getData[ConnectSession](ctx, c, request{method: http.MethodPost, path: "/connect/sessions", body: in})
}

// CreateReconnectSession starts a connect session that may only
// re-authorise one existing connection. An unknown connection yields an
// *Error with code "unknown_connection".
func (c *Client) CreateReconnectSession(ctx context.Context, in ReconnectSessionInput) (*ConnectSession, error) {
	if in.ConnectionID == "" || in.IntegrationID == "" {
		return nil, fmt.Errorf("patchbay: a reconnect session needs a connection id and an integration id")
	}
	return getData[ConnectSession](ctx, c, request{method: http.MethodPost, path: "/connect/sessions/reconnect", body: in})
}

// GetConnectSession returns the session token belongs to. It authenticates
// with token, not with the Client's secret key, as a browser would; an
// expired or deleted session yields an *Error with status 401 and code
// "expired_connect_session_token" or "invalid_connect_session_token".
func (c *Client) GetConnectSession(ctx context.Context, token string) (*ConnectSessionInfo, error) {
	sc, err := c.asSession(token)
	if err != nil {
		return nil, err
	}
	return getData[ConnectSessionInfo](ctx, sc, request{method: http.MethodGet, path: "/connect/session"})
}

// DeleteConnectSession ends the session token belongs to at once,
// authenticating with token as GetConnectSession does.
func (c *Client) DeleteConnectSession(ctx context.Context, token string) error {
	sc, err := c.asSession(token)
	if err != nil {
		return err
	}
	return sc.send(ctx, request{method: http.MethodDelete, path: "/connect/session"}, nil)
}

// asSession returns a copy of c that sends token as its Bearer credential
// instead of the secret key. Going through send keeps one request path, and
// its error scrubbing then redacts the session token as it would the key.
func (c *Client) asSession(token string) (*Client, error) {
	if token == "" {
		return nil, fmt.Errorf("patchbay: connect session token must not be empty")
	}
	sc := *c
	sc.secretKey = token
	return &sc, nil
}

// ConnectUISettings white-label the hosted Connect UI of an environment.
// Once any is set, the UI no longer shows Patchbay's branding.
type ConnectUISettings = wire.ConnectUISettings

// GetConnectUISettings returns the environment's Connect UI settings.
func (c *Client) GetConnectUISettings(ctx context.Context) (*ConnectUISettings, error) {
	return getData[ConnectUISettings](ctx, c, request{method: http.MethodGet, path: "/environment/connect-ui"})
}

// SetConnectUISettings replaces all of the environment's Connect UI
// settings (empty fields clear them) and returns them as stored.
func (c *Client) SetConnectUISettings(ctx context.Context, s ConnectUISettings) (*ConnectUISettings, error) {
	return getData[ConnectUISettings](ctx, c, request{method: http.MethodPut, path: "/environment/connect-ui", body: s})
}

// WebhookSettings are where an environment's outbound webhooks go. The
// server shows SigningKey on GetWebhookSettings only; SetWebhookSettings
// ignores it.
type WebhookSettings = wire.WebhookSettings

// GetWebhookSettings returns the environment's webhook settings and
// signing key.
func (c *Client) GetWebhookSettings(ctx context.Context) (*WebhookSettings, error) {
	return getData[WebhookSettings](ctx, c, request{method: http.MethodGet, path: "/environment/webhooks"})
}

// SetWebhookSettings replaces all of the environment's webhook settings:
// SendAuthWebhooks is always sent, so a zero value turns auth webhooks
// off. It returns the settings as stored, without the signing key.
func (c *Client) SetWebhookSettings(ctx context.Context, s WebhookSettings) (*WebhookSettings, error) {
	body := map[string]any{
		"webhook_url":           s.WebhookURL,
		"secondary_webhook_url": s.SecondaryWebhookURL,
		"send_auth_webhooks":    s.SendAuthWebhooks,
	}
	return getData[WebhookSettings](ctx, c, request{method: http.MethodPut, path: "/environment/webhooks", body: body})
}
