package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sync run outcomes and types, as GET /sync/status reports them.
const (
	SyncSuccess = "SUCCESS"
	SyncError   = "ERROR"

	SyncInitial     = "INITIAL"
	SyncIncremental = "INCREMENTAL"
)

// SyncInstance is a sync function × a connection × a variant: its schedule,
// the lease of its current run, the outcome of its last one, and (read
// apart, sealed at rest) its checkpoint.
type SyncInstance struct {
	ID             string // UUID
	EnvironmentID  string
	IntegrationID  string
	IntegrationKey string // filled on reads from the integration's row
	// ConnectionRef is the connection's row id; ConnectionID, filled on
	// reads, its customer-facing id.
	ConnectionRef string
	ConnectionID  string
	SyncName      string
	Variant       string

	// Enabled is whether the instance runs on its schedule: false when
	// paused, or never started (autoStart false).
	Enabled bool
	// Started records that the instance was ever enabled (PAUSED versus
	// STOPPED in the status).
	Started bool
	// Frequency overrides the deployment's frequency; 0 keeps it.
	Frequency time.Duration
	// NextRunAt is when the scheduler queues the next run; nil while one
	// is queued or running, or when disabled.
	NextRunAt *time.Time

	// QueueToken names the queued run: a job carries it and runs only
	// while the instance still holds it, so a job queued twice (a node
	// died, the sweep queued again) runs once.
	QueueToken string
	QueuedAt   *time.Time
	// RunOptions are the queued run's options (JSON, the syncs package's).
	RunOptions json.RawMessage

	// LeaseOwner holds the run until LeaseUntil; the run renews it while
	// it goes (its heartbeat). An expired lease is a dead run, which the
	// sweep queues again to resume from the checkpoint.
	LeaseOwner string
	LeaseUntil *time.Time

	// Generation numbers runs: records saved by a run carry its
	// generation (delete detection). A run resumed after its node died
	// keeps its generation.
	Generation int64
	// RunID is the current or last run's id; RunType its type
	// (SyncInitial or SyncIncremental); RunStartedAt its start.
	RunID        string
	RunType      string
	RunStartedAt *time.Time
	// RunResult accumulates the current run's counts per model, so a
	// resumed run reports the whole run; RunInvalid likewise the records
	// it skipped as invalid (failing the model's schema, or too big).
	RunResult  map[string]RecordCounts
	RunInvalid map[string]int

	// LastStatus is the last finished run's outcome (SyncSuccess,
	// SyncError, "" before any).
	LastStatus string
	// LastError is the last failure ({type, message, payload}), nil after
	// a success.
	LastError  json.RawMessage
	FinishedAt *time.Time
	// LastSuccessAt is the start of the last successful run: the next
	// run's lastSyncDate.
	LastSuccessAt *time.Time
	// Failures counts consecutive failed runs.
	Failures int
	// LatestResult is the last finished run's counts per model, and
	// LatestInvalid the records it skipped as invalid per model (models
	// without any left out).
	LatestResult  map[string]RecordCounts
	LatestInvalid map[string]int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SyncInstanceFilter selects sync instances of an environment.
type SyncInstanceFilter struct {
	EnvironmentID  string
	IntegrationKey string // "" any
	ConnectionID   string // "" any (the customer-facing id)
	SyncNames      []string
	Variant        string // "" any
}

// ErrSkip, returned by a change function, leaves the row as it was and is
// returned by the update.
var ErrSkip = errors.New("skip")

// SyncRun is one attempt of a sync instance's run: the run records the
// schedule is checked against.
type SyncRun struct {
	ID         string
	InstanceID string
	Generation int64
	// Node names the process that ran it.
	Node      string
	StartedAt time.Time
	EndedAt   *time.Time
	// Status is "running", SyncSuccess or SyncError; a run whose node died
	// stays "running".
	Status string
	Result map[string]RecordCounts
	// Invalid counts the records the attempt's run skipped as invalid,
	// per model (of a resumed run, the earlier attempts' too).
	Invalid map[string]int
	Error   json.RawMessage
}

// SyncInstances stores sync instances.
type SyncInstances interface {
	// Ensure inserts in unless the instance (connection, sync, variant)
	// exists, and returns the stored instance and whether it inserted it.
	// ErrNotFound if the integration or connection does not exist.
	Ensure(ctx context.Context, in *SyncInstance) (*SyncInstance, bool, error)
	Get(ctx context.Context, environmentID, id string) (*SyncInstance, error)
	// List returns the selected instances ordered by integration,
	// connection, sync and variant.
	List(ctx context.Context, f SyncInstanceFilter) ([]*SyncInstance, error)
	// Update applies change to the instance inside one transaction, with
	// the row locked against other updates, and saves the result. A change
	// returning an error saves nothing and the error is returned; with
	// ErrSkip, so is the instance as it is.
	Update(ctx context.Context, environmentID, id string, change func(*SyncInstance) error) (*SyncInstance, error)
	// Delete removes instances and returns them; the caller purges their
	// records. connectionRef "" deletes the sync's instances on every
	// connection of the integration; syncName "" every sync's of the
	// connection.
	Delete(ctx context.Context, environmentID, integrationID, connectionRef, syncName, variant string) ([]*SyncInstance, error)
	// ClaimDue queues up to limit enabled instances due at now and not
	// queued already (no queue token: a run queued or running): it sets
	// their queue token (a fresh UUID each), QueuedAt and RunOptions nil,
	// clears NextRunAt, and returns them. Environments take turns: the
	// first due instance of every environment comes before the second of
	// any, so one environment's backlog cannot starve another. Concurrent
	// callers (other nodes) never claim the same instance.
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]*SyncInstance, error)
	// Stale returns up to limit instances whose run looks dead at now:
	// a lease that expired, or a run queued before queuedBefore that no
	// lease ever took.
	Stale(ctx context.Context, now, queuedBefore time.Time, limit int) ([]*SyncInstance, error)
	// Checkpoint returns the instance's checkpoint (plaintext JSON), nil
	// if none.
	Checkpoint(ctx context.Context, id string) ([]byte, error)
	// SetCheckpoint replaces it outside a records write (reset); nil
	// clears.
	SetCheckpoint(ctx context.Context, id string, checkpoint []byte) error

	// StartRun records an attempt (ID and StartedAt filled in).
	StartRun(ctx context.Context, run *SyncRun) error
	// FinishRun records its end: its counts and its invalid records per
	// model.
	FinishRun(ctx context.Context, id, status string, result map[string]RecordCounts, invalid map[string]int, runErr json.RawMessage, endedAt time.Time) error
	// Runs returns an instance's attempts, oldest first, at most limit
	// (the newest).
	Runs(ctx context.Context, instanceID string, limit int) ([]*SyncRun, error)
	// DeleteRunsBefore removes attempts that ended before t.
	DeleteRunsBefore(ctx context.Context, t time.Time) (int, error)
}
