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
type IntegrationConfigDefaults = wire.IntegrationConfigDefaults

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

// MarshalJSON writes Nango's shape (wire.ConnectSessionRequest), where
// the organization sits beside end_user rather than inside it.
func (in ConnectSessionInput) MarshalJSON() ([]byte, error) {
	user, org := sessionUser(in.EndUser)
	return json.Marshal(wire.ConnectSessionRequest{AllowedIntegrations: in.AllowedIntegrations, EndUser: user,
		IntegrationsConfigDefaults: in.IntegrationsConfigDefaults, Organization: org})
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

// MarshalJSON writes Nango's shape (wire.ReconnectSessionRequest).
func (in ReconnectSessionInput) MarshalJSON() ([]byte, error) {
	user, org := sessionUser(in.EndUser)
	return json.Marshal(wire.ReconnectSessionRequest{ConnectionID: in.ConnectionID, IntegrationID: in.IntegrationID,
		EndUser: user, IntegrationsConfigDefaults: in.IntegrationsConfigDefaults, Organization: org})
}

// sessionUser splits u into a session body's end_user and organization.
func sessionUser(u *EndUser) (*wire.EndUserInput, *wire.OrganizationInput) {
	if u == nil {
		return nil, nil
	}
	user := u.toInput()
	org := user.Organization
	user.Organization = nil
	return user, org
}

// ConnectSession is a new connect session. Hand Token (or ConnectLink) to
// the end user's browser; never the secret key.
type ConnectSession = wire.ConnectSession

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

// UnmarshalJSON reads the server's shape (wire.ConnectSessionInfo), with
// organization beside end_user.
func (s *ConnectSessionInfo) UnmarshalJSON(data []byte) error {
	var w wire.ConnectSessionInfo
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	out := ConnectSessionInfo{AllowedIntegrations: w.AllowedIntegrations, ConnectionID: w.ConnectionID, ExpiresAt: w.ExpiresAt}
	if u := w.EndUser; u != nil {
		out.EndUser = &EndUser{ID: u.ID, Email: deref(u.Email), DisplayName: deref(u.DisplayName), Tags: u.Tags}
		if o := w.Organization; o != nil {
			out.EndUser.Organization = &Organization{ID: o.ID, DisplayName: o.DisplayName}
		}
	}
	if w.IntegrationsConfigDefaults != nil {
		out.IntegrationsConfigDefaults = make(map[string]IntegrationConfigDefaults, len(w.IntegrationsConfigDefaults))
		for key, raw := range w.IntegrationsConfigDefaults {
			var d IntegrationConfigDefaults
			if err := json.Unmarshal(raw, &d); err != nil {
				return fmt.Errorf("integrations_config_defaults.%s: %w", key, err)
			}
			out.IntegrationsConfigDefaults[key] = d
		}
	}
	*s = out
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
