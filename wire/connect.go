package wire

import (
	"encoding/json"
	"time"
)

// ConnectSessionRequest is the body of POST /connect/sessions. Every
// member is optional; the members are in name order, as the client has
// always sent them.
type ConnectSessionRequest struct {
	// AllowedIntegrations restricts the session to these integrations'
	// unique keys; empty allows all of them.
	AllowedIntegrations []string `json:"allowed_integrations,omitempty"`
	// EndUser is who the session's connections will belong to.
	EndUser *EndUserInput `json:"end_user,omitempty"`
	// IntegrationsConfigDefaults are keyed by integration unique key.
	IntegrationsConfigDefaults map[string]IntegrationConfigDefaults `json:"integrations_config_defaults,omitempty"`
	// Organization is the end user's organization: Nango's body has it
	// beside end_user, not inside.
	Organization *OrganizationInput `json:"organization,omitempty"`
}

// ReconnectSessionRequest is the body of POST /connect/sessions/reconnect.
type ReconnectSessionRequest struct {
	// ConnectionID and IntegrationID (the integration's unique key) name
	// the connection the session may re-authorise; both are required.
	ConnectionID               string                               `json:"connection_id"`
	EndUser                    *EndUserInput                        `json:"end_user,omitempty"`
	IntegrationID              string                               `json:"integration_id"`
	IntegrationsConfigDefaults map[string]IntegrationConfigDefaults `json:"integrations_config_defaults,omitempty"`
	Organization               *OrganizationInput                   `json:"organization,omitempty"`
}

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

// EndUserInput is an end user as clients send it (connect sessions,
// imports, PATCH /connections): unset members left out.
type EndUserInput struct {
	ID           string             `json:"id"`
	Email        string             `json:"email,omitempty"`
	DisplayName  string             `json:"display_name,omitempty"`
	Tags         map[string]string  `json:"tags,omitempty"`
	Organization *OrganizationInput `json:"organization,omitempty"`
}

// OrganizationInput is an organization as clients send it, and as GET
// /connect/session answers it: display_name left out when empty.
type OrganizationInput struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name,omitempty"`
}

// ConnectSession is a new connect session (the answer of POST
// /connect/sessions and …/reconnect).
type ConnectSession struct {
	// Token authenticates the browser's calls for this session only.
	Token string `json:"token"`
	// ConnectLink opens the hosted Connect UI for the session.
	ConnectLink string    `json:"connect_link"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// ConnectSessionInfo is a session as its own token sees it (GET
// /connect/session).
type ConnectSessionInfo struct {
	// EndUser is null when the session was created without one.
	EndUser *SessionEndUser   `json:"end_user"`
	Tags    map[string]string `json:"tags,omitempty"`
	// Organization is the end user's, beside it as in the request.
	Organization *OrganizationInput `json:"organization"`
	// AllowedIntegrations is empty (never null) when every integration
	// is allowed.
	AllowedIntegrations        []string                   `json:"allowed_integrations"`
	IntegrationsConfigDefaults map[string]json.RawMessage `json:"integrations_config_defaults,omitempty"`
	// ConnectionID is set for reconnect sessions.
	ConnectionID string    `json:"connection_id,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// SessionEndUser is a session's end user as GET /connect/session answers
// it: unset members null, the members in name order (as the answer has
// always had them), the organization beside it.
type SessionEndUser struct {
	DisplayName *string           `json:"display_name"`
	Email       *string           `json:"email"`
	ID          string            `json:"id"`
	Tags        map[string]string `json:"tags"`
}
