// Package store defines Patchbay's persistence: one interface per aggregate,
// with an SQLite implementation (store/sqlite, the embedded default) and a
// PostgreSQL one (store/postgres), both built on store/sqlstore and held to
// the same contract by store/storetest.
//
// Secrets never cross this boundary in encrypted form: callers hand the store
// plaintext values and the store seals them with the vault before they reach
// the database, binding each ciphertext to its table, column and row. That
// keeps the encryption in one place, which is what makes whole-database key
// rotation (RotateEncryption) possible.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/patchbay/patchbay/internal/vault"
)

// Errors returned by every implementation; internal/api maps them to HTTP.
var (
	// ErrNotFound: the row asked for does not exist in this environment.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a row with the same unique key already exists.
	ErrConflict = errors.New("already exists")
	// ErrLeaseLost: a sync run's lease is held by another run.
	ErrLeaseLost = errors.New("the sync run's lease is held by another run")
	// ErrWrongEncryptionKey: the database was encrypted with another key.
	ErrWrongEncryptionKey = errors.New("the encryption key does not match the one this database was encrypted with")
)

// Store is the whole persistence layer.
type Store interface {
	Environments() Environments
	Integrations() Integrations
	Connections() Connections
	ConnectSessions() ConnectSessions
	OAuthSessions() OAuthSessions
	Settings() EnvironmentSettings
	Deployments() Deployments
	ActionRuns() ActionRuns
	FunctionLocks() FunctionLocks
	Records() Records
	SyncInstances() SyncInstances
	// Locker's locks hold across all processes on this database: an
	// in-process lock on SQLite (one process owns the data directory) and
	// advisory locks on PostgreSQL.
	Locker() Locker
	// Notifier reaches every process on this database: in-process on
	// SQLite, LISTEN/NOTIFY on PostgreSQL.
	Notifier() Notifier
	// Throttles' buckets are shared by every process on this database:
	// in-process on SQLite, rows on PostgreSQL.
	Throttles() Throttles

	// UnreadableRows counts, since the store opened, the rows reads met
	// that could not be decoded (see UnreadableError): lists skip them,
	// so this is where they show.
	UnreadableRows() int64

	// Dialect names the backend: "sqlite" or "postgres".
	Dialect() string
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// RotateEncryption re-encrypts every secret with next, in one
	// transaction, and makes next the store's key. Other processes still
	// holding the old key must be stopped first.
	RotateEncryption(ctx context.Context, next *vault.Vault) error
	// Close releases the database handles.
	Close() error
}

// Environment is an isolated space (dev, prod, …) with its own secret key.
type Environment struct {
	ID   string // UUID; also the public id used in inbound webhook URLs
	Name string
	// SecretKey is the plaintext API key. It is set only by Create and by
	// Environments.SecretKey; lookups go through its hash.
	SecretKey string
	// WebhookSigningKey signs outbound webhooks (X-Nango-Hmac-Sha256).
	WebhookSigningKey string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Environments stores environments and their keys.
type Environments interface {
	// Create inserts env (ID, timestamps and, when empty, the signing key
	// are filled in). If an environment with that name exists it returns
	// ErrConflict and changes nothing, so concurrent first starts of several
	// nodes agree on one key.
	Create(ctx context.Context, env *Environment) error
	// ByName returns an environment without its secrets.
	ByName(ctx context.Context, name string) (*Environment, error)
	// BySecretKey authenticates an API key; ErrNotFound if none matches.
	BySecretKey(ctx context.Context, secretKey string) (*Environment, error)
	// List returns every environment, oldest first, without secrets.
	List(ctx context.Context) ([]*Environment, error)
	// Secrets returns the environment with SecretKey and
	// WebhookSigningKey decrypted.
	Secrets(ctx context.Context, name string) (*Environment, error)
	// RotateSecretKey replaces the environment's secret key; the old key
	// stops working at once.
	RotateSecretKey(ctx context.Context, name, newKey string) error
}

// Integration is a provider from the catalog configured with the customer's
// own app credentials.
type Integration struct {
	ID            string
	EnvironmentID string
	UniqueKey     string
	Provider      string
	DisplayName   string
	Credentials   IntegrationCredentials
	Settings      IntegrationSettings
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// IntegrationSettings are an integration's overrides of the catalog, kept
// in the integration's settings column. None of them is secret.
type IntegrationSettings struct {
	// RateLimit replaces the catalog's proxy.rate_limit for this
	// integration's connections; nil keeps the catalog's.
	RateLimit *RateLimitOverride
	// AllowedBaseURLs are the base URLs a proxy request may send to with
	// Base-Url-Override, besides the provider's own.
	AllowedBaseURLs []string
	// Functions replaces the node's limits for this integration's
	// function executions; nil keeps the node's.
	Functions *FunctionLimits
}

// FunctionLimits are per-integration limits of function executions; a
// zero field keeps the node's value.
type FunctionLimits struct {
	Memory        int64 // bytes
	ActionTimeout time.Duration
	// SyncTimeout bounds one sync run.
	SyncTimeout           time.Duration
	ConnectionConcurrency int
	// RecordsRetention, when set (whole days), is how long a record of
	// the integration's connections is kept once no sync run saves or
	// deletes it any more; zero keeps every record (there is no node
	// default).
	RecordsRetention time.Duration
	// EnforceActionOutput fails an action whose output does not fit its
	// zod schema; otherwise such an output is returned with a warning
	// logged, as Nango's runner does by default.
	EnforceActionOutput bool
}

// RateLimitOverride is a provider limit set on one integration: at most
// Requests per Interval per connection, Burst of them back to back (0: the
// catalog's default burst).
type RateLimitOverride struct {
	Requests int
	Interval time.Duration
	Burst    int
}

// IntegrationCredentials are the customer's app credentials. ClientSecret,
// WebhookSecret and PrivateKey are secrets and are stored sealed; the rest is
// stored in plain columns.
type IntegrationCredentials struct {
	Type          string // OAUTH1, OAUTH2, TBA, APP, CUSTOM or "" when none
	ClientID      string
	ClientSecret  string
	Scopes        string // comma-separated, as Nango's API carries them
	WebhookSecret string
	AppID         string
	AppLink       string
	PrivateKey    string
}

// Integrations stores integrations, scoped to an environment.
type Integrations interface {
	// Create inserts in (ID and timestamps are filled in); ErrConflict if
	// the unique key is taken in that environment.
	Create(ctx context.Context, in *Integration) error
	Get(ctx context.Context, environmentID, uniqueKey string) (*Integration, error)
	// List returns the environment's integrations ordered by unique key.
	List(ctx context.Context, environmentID string) ([]*Integration, error)
	// Update applies change to the stored integration inside one
	// transaction and saves the result; renaming onto a taken unique key
	// returns ErrConflict and saves nothing.
	Update(ctx context.Context, environmentID, uniqueKey string, change func(*Integration) error) (*Integration, error)
	// Delete removes the integration and, through the schema, everything
	// that belongs to it (connections, deployments, records).
	Delete(ctx context.Context, environmentID, uniqueKey string) error
}
