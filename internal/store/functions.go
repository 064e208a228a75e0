package store

import (
	"context"
	"encoding/json"
	"time"
)

// Deployment is the deployed version of one function of an integration.
// Deploying again replaces it: a function has one live version.
type Deployment struct {
	ID             string
	EnvironmentID  string
	IntegrationKey string // filled on reads from the integration's row
	// Name is the function's name, unique within the integration and
	// type: an action and a sync may share one, as Nango allows.
	Name string
	// Type is "action", "sync" or "on-event".
	Type    string
	Version string
	// SourceHash is the hex SHA-256 of the sources the bundle was built
	// from, so a deploy of unchanged code can be recognised.
	SourceHash string
	// Bundle is the compiled JavaScript (an esbuild IIFE).
	Bundle string
	// Definition is the function's definition as the compiler extracted
	// it (description, JSON Schemas of input/output/models, frequency, …),
	// JSON-encoded by internal/functions; the store does not look inside.
	Definition json.RawMessage
	// SourceMap is the bundle's source map (version 3 JSON, without the
	// sources' content), so the function's errors can name its
	// TypeScript files; empty for deployments made before maps were kept.
	SourceMap string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Deployments stores deployed functions, each keyed by environment,
// integration, type and name.
type Deployments interface {
	// Put inserts or replaces each deployment, keyed by environment,
	// integration, type and name, in one transaction: either all are live
	// after it or none. ErrNotFound if an integration does not exist. IDs
	// and timestamps are filled in (CreatedAt is kept on replacement).
	Put(ctx context.Context, deployments []*Deployment) error
	// Get returns the deployment of the function of type typ named name.
	Get(ctx context.Context, environmentID, integrationKey, typ, name string) (*Deployment, error)
	// List returns the environment's deployments ordered by integration
	// key, name, then type; integrationKey "" lists every integration's.
	List(ctx context.Context, environmentID, integrationKey string) ([]*Deployment, error)
	// Delete removes one deployment; ErrNotFound if there is none.
	Delete(ctx context.Context, environmentID, integrationKey, typ, name string) error
}

// Action run states.
const (
	ActionPending   = "pending"
	ActionRunning   = "running"
	ActionSucceeded = "succeeded"
	ActionFailed    = "failed"
)

// ActionRun is one invocation of an action: what was asked, its state and
// its outcome. Input, Output and Error are the customer's data and are
// sealed at rest.
type ActionRun struct {
	ID             string // UUID, filled in by Create
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string // the customer-facing connection id
	ActionName     string
	// IdempotencyKey is the caller's Idempotency-Key header, "" if none.
	// Within an environment a key names one run until ExpiresAt.
	IdempotencyKey string
	// RequestHash identifies the request (integration, connection, action,
	// input) so a key reused for a different request can be refused.
	RequestHash string
	Input       json.RawMessage
	Status      string
	Output      json.RawMessage // set when Status is ActionSucceeded
	// Error is the structured failure ({type, message, payload}) when
	// Status is ActionFailed.
	Error      json.RawMessage
	Async      bool
	Attempts   int
	MaxRetries int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// ExpiresAt is when the run (and its idempotency key) is forgotten.
	ExpiresAt time.Time
	// Owner names the attempt running it ("" when none runs), and
	// HeartbeatAt is when that attempt last said it is alive: a run whose
	// heartbeat stopped (its node died) is found by Stale.
	Owner       string
	HeartbeatAt *time.Time
}

// ActionRuns stores action invocations.
type ActionRuns interface {
	// Create inserts run (ID and timestamps are filled in) and returns
	// it with true. If run has an IdempotencyKey that an unexpired run of
	// the same environment holds, it inserts nothing and returns that run
	// with false; an expired holder is replaced.
	Create(ctx context.Context, run *ActionRun) (*ActionRun, bool, error)
	Get(ctx context.Context, environmentID, id string) (*ActionRun, error)
	// Update applies change to the stored run inside one transaction and
	// saves the result (UpdatedAt is set).
	Update(ctx context.Context, environmentID, id string, change func(*ActionRun) error) (*ActionRun, error)
	// DeleteExpired removes the runs whose ExpiresAt is before now and
	// returns how many.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
	// Stale returns up to limit running runs whose heartbeat is before
	// before, oldest first (runs without a heartbeat are not stale).
	Stale(ctx context.Context, before time.Time, limit int) ([]*ActionRun, error)
}

// EnvironmentVariable is a name and value a function reads with
// nango.getEnvironmentVariables(). Values are sealed at rest, in the
// store's own encoding (sqlstore's storedVariable).
type EnvironmentVariable struct {
	Name  string
	Value string
}

// FunctionLocks are the named, expiring locks functions take with
// nango.tryAcquireLock: held across executions and nodes until released or
// expired.
type FunctionLocks interface {
	// TryAcquire takes the lock (scope, key) for owner until now+ttl and
	// reports whether it did. A lock held by another owner that has not
	// expired is not taken; the same owner extends its own.
	TryAcquire(ctx context.Context, scope, key, owner string, ttl time.Duration) (bool, error)
	// Release frees the lock if owner holds it and reports whether it did.
	Release(ctx context.Context, scope, key, owner string) (bool, error)
	// ReleaseAll frees every lock owner holds (an execution's end).
	ReleaseAll(ctx context.Context, owner string) error
	// DeleteExpired removes locks that expired before now (those of
	// executions that ended without releasing them) and returns how many.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
}
