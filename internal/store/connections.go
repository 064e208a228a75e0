package store

import (
	"context"
	"encoding/json"
	"time"
)

// Connection is one end user's account at a provider, reached through an
// integration. Credentials are sealed at rest; everything else is plain.
type Connection struct {
	ID             string // internal row id (UUID)
	EnvironmentID  string
	IntegrationID  string
	IntegrationKey string // the integration's unique_key (provider_config_key)
	Provider       string // the integration's provider, filled on reads
	ConnectionID   string // the customer-facing id

	Credentials Credentials
	// CredentialsExpiresAt mirrors Credentials.ExpiresAt (unset when the
	// credentials cannot be renewed: OAuth 2 without a refresh token) so the background
	// refresher can find expiring connections without decrypting anything.
	CredentialsExpiresAt *time.Time

	ConnectionConfig map[string]any
	Metadata         map[string]any
	EndUser          *EndUser
	Tags             map[string]string

	// Errors is the connection's health: empty when it works.
	Errors               []ConnectionError
	LastRefreshSuccessAt *time.Time
	LastRefreshFailureAt *time.Time
	// RefreshAttempts counts consecutive transient refresh failures.
	RefreshAttempts int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Credentials are an end user's credentials, in Nango's shape for the
// connection's auth mode. Which fields are set depends on Type. The store
// seals them in its own encoding (sqlstore's storedCredentials) and the API
// shows them through authmode.View, so neither depends on these names.
type Credentials struct {
	// Type is the auth mode: OAUTH2, OAUTH1, OAUTH2_CC, API_KEY, BASIC,
	// JWT, APP or CUSTOM.
	Type string

	// OAUTH2, APP, CUSTOM (the installation token), OAUTH2_CC ("token").
	AccessToken  string
	RefreshToken string
	ExpiresAt    *time.Time
	Token        string

	// OAUTH1.
	OAuthToken       string
	OAuthTokenSecret string

	// API_KEY.
	APIKey string
	// BASIC.
	Username string
	Password string

	// OAUTH2_CC: the per-connection client, when the end user brings one.
	ClientID     string
	ClientSecret string

	// Fields holds mode-specific inputs the catalog names (JWT's key id and
	// private key, client credentials' extra fields, …).
	Fields map[string]string

	// User is the user-to-server OAuth token of a CUSTOM (GitHub App
	// OAuth) connection, next to the installation token above.
	User *Credentials

	// Raw is the provider's token response, minus nothing: Nango returns it
	// to customers as credentials.raw.
	Raw json.RawMessage
}

// EndUser identifies the customer's user a connection belongs to. The API
// and functions show it in their own shapes, the store keeps it in its
// own (sqlstore's storedEndUser).
type EndUser struct {
	ID           string
	Email        string
	DisplayName  string
	Tags         map[string]string
	Organization *Organization
}

// Organization is the end user's organization in the customer's product.
type Organization struct {
	ID          string
	DisplayName string
}

// ConnectionError is one health problem (Nango's connection "errors").
type ConnectionError struct {
	// Type is "auth" for refresh failures; later issues add "sync".
	Type string
	// Code is machine-readable (e.g. "refresh_token_revoked").
	Code    string
	Message string
	At      time.Time
}

// ConnectionFilter selects connections to list. Empty fields match all.
type ConnectionFilter struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	// Search matches connection ids, end-user ids, e-mails and display
	// names, case-insensitively, as a substring.
	Search    string
	EndUserID string
	// IntegrationKeys, when set, must hold the connection's integration
	// (Nango's integrationId=a,b); IntegrationKey still applies with it.
	IntegrationKeys []string
	// EndUserOrganizationID matches the id of the end user's organization.
	EndUserOrganizationID string
	// Tags must all match.
	Tags map[string]string
	// Limit is the page size (1–1000); Page counts from 0.
	Limit int
	Page  int
}

// Connections stores connections, scoped to an environment. Reads return
// decrypted credentials; writes seal them.
type Connections interface {
	// Upsert saves c under (integration, connection id): a new connection
	// is created (created=true); an existing one gets c's credentials,
	// connection config, end user and tags (metadata is kept when c's is
	// nil) and its errors cleared, as a successful re-authorisation does.
	// c's ID and timestamps are filled in.
	Upsert(ctx context.Context, c *Connection) (created bool, err error)
	// Create inserts c; ErrConflict if the connection id is taken for the
	// integration. c.IntegrationID must be set.
	Create(ctx context.Context, c *Connection) error
	// Get finds a connection by integration unique key and connection id.
	Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*Connection, error)
	// ByID finds a connection by its row id.
	ByID(ctx context.Context, id string) (*Connection, error)
	// List returns the connections matching f, newest first.
	List(ctx context.Context, f ConnectionFilter) ([]*Connection, error)
	// Update applies change to the stored connection in one transaction.
	Update(ctx context.Context, id string, change func(*Connection) error) (*Connection, error)
	// Delete removes a connection.
	Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error
	// Expiring returns connections whose credentials expire before t and
	// that have no permanent error, soonest first, starting after the
	// position after (the zero ExpiringKey starts at the beginning).
	Expiring(ctx context.Context, before time.Time, after ExpiringKey, limit int) ([]ExpiringKey, error)
}

// ExpiringKey is a connection's position in Expiring's order: its
// credentials' expiry, then its id. The last key of a page is where the
// next page starts.
type ExpiringKey struct {
	ExpiresAt time.Time
	ID        string
}

// ConnectSession is a short-lived grant that lets an end user's browser
// create (or re-authorise) connections without the secret key.
type ConnectSession struct {
	ID            string
	EnvironmentID string
	// TokenHash is the SHA-256 of the token; the token itself is never
	// stored.
	TokenHash           string
	EndUser             *EndUser
	AllowedIntegrations []string // empty: all
	// IntegrationsConfigDefaults is Nango's integrations_config_defaults:
	// per integration key, {"connection_config": {…}, "user_scopes": …}.
	IntegrationsConfigDefaults map[string]json.RawMessage
	// Tags are given to the connections the session creates.
	Tags map[string]string
	// Reconnect sessions name the one connection they may re-authorise.
	ReconnectConnectionID string
	ReconnectIntegration  string
	CreatedAt             time.Time
	ExpiresAt             time.Time
}

// ConnectSessions stores connect sessions.
type ConnectSessions interface {
	Create(ctx context.Context, s *ConnectSession) error
	// ByTokenHash returns the session, expired or not; callers check
	// ExpiresAt.
	ByTokenHash(ctx context.Context, tokenHash string) (*ConnectSession, error)
	// ByID returns the session by its row id (ErrNotFound if deleted), for
	// OAuth callbacks that must check their session still stands.
	ByID(ctx context.Context, id string) (*ConnectSession, error)
	Delete(ctx context.Context, id string) error
	// DeleteExpired removes sessions that expired before t.
	DeleteExpired(ctx context.Context, before time.Time) (int64, error)
}

// OAuthSession is the server-side state of one authorisation in flight,
// found again by the state parameter the provider echoes back.
type OAuthSession struct {
	ID               string // the state parameter itself (random, 32 bytes hex)
	EnvironmentID    string
	IntegrationKey   string
	ConnectionID     string
	ConnectSessionID string // empty when started with the public key/HMAC
	WSClientID       string
	// AuthMode is the flow that started it (OAUTH2, OAUTH1, APP, CUSTOM).
	AuthMode         string
	ConnectionConfig map[string]any
	// Secret is sealed: the PKCE code verifier, or OAuth 1.0a's request
	// token secret.
	Secret string
	// RequestToken is OAuth 1.0a's temporary token.
	RequestToken string
	RedirectURI  string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// OAuthSessions stores OAuth sessions. Take is the only way to read one and
// deletes it, so a state parameter works once.
type OAuthSessions interface {
	Create(ctx context.Context, s *OAuthSession) error
	// Take returns and deletes the session atomically; ErrNotFound if it
	// does not exist (or was already taken). Callers check ExpiresAt.
	Take(ctx context.Context, id string) (*OAuthSession, error)
	// TakeByRequestToken is Take for OAuth 1.0a callbacks, which carry the
	// request token instead of a state parameter.
	TakeByRequestToken(ctx context.Context, requestToken string) (*OAuthSession, error)
	DeleteExpired(ctx context.Context, before time.Time) (int64, error)
}

// ConnectUISettings white-label the hosted Connect UI of an environment.
type ConnectUISettings struct {
	Name         string
	LogoURL      string
	PrimaryColor string
	DarkMode     bool
}

// WebhookSettings are an environment's outbound webhook targets.
type WebhookSettings struct {
	URL          string
	SecondaryURL string
	// SendAuthWebhooks turns on "auth" webhooks (creation, refresh
	// failures). Default on.
	SendAuthWebhooks *bool
}

// EnvironmentSettings are the per-environment settings stored as JSON.
type EnvironmentSettings interface {
	ConnectUI(ctx context.Context, environmentID string) (ConnectUISettings, error)
	SetConnectUI(ctx context.Context, environmentID string, s ConnectUISettings) error
	Webhooks(ctx context.Context, environmentID string) (WebhookSettings, error)
	SetWebhooks(ctx context.Context, environmentID string, s WebhookSettings) error
	// Variables returns the environment's variables (decrypted), in the
	// order they were set.
	Variables(ctx context.Context, environmentID string) ([]EnvironmentVariable, error)
	// SetVariables replaces the environment's variables; they are sealed
	// as one value.
	SetVariables(ctx context.Context, environmentID string, vars []EnvironmentVariable) error
}

// Locker takes named locks that hold across every process sharing the
// database, for work that must not run twice at once (token refresh).
type Locker interface {
	// Lock blocks until the lock named key is held or ctx ends; unlock
	// releases it and must be called exactly once.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// Notifier passes small messages (under 8000 bytes) between the processes
// sharing the database, for events one node produces and another must act
// on, like an OAuth callback landing on a node other than the one holding
// the browser's websocket.
type Notifier interface {
	// Notify sends payload to every listener of channel, in every process.
	Notify(ctx context.Context, channel, payload string) error
	// Listen calls handle for each payload sent to channel until ctx
	// ends. Delivery is at most once and only to listeners present when
	// the message is sent.
	Listen(ctx context.Context, channel string, handle func(payload string)) error
}
