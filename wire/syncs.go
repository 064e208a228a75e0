package wire

import (
	"encoding/json"
	"time"
)

// SyncStatuses is the answer of GET /sync/status.
type SyncStatuses struct {
	Syncs []SyncStatus `json:"syncs"`
}

// SyncStatus is one sync instance in GET /sync/status, in Nango's shape.
type SyncStatus struct {
	ID           string `json:"id"`
	ConnectionID string `json:"connection_id"`
	Name         string `json:"name"`
	Variant      string `json:"variant"`
	// Status is RUNNING, PAUSED, STOPPED, SUCCESS or ERROR.
	Status string `json:"status"`
	// Type is INITIAL or INCREMENTAL: the current or last run's.
	Type                string     `json:"type"`
	FinishedAt          *time.Time `json:"finishedAt"`
	NextScheduledSyncAt *time.Time `json:"nextScheduledSyncAt"`
	Frequency           string     `json:"frequency"`
	// LatestResult is the last finished run's changes per model.
	LatestResult map[string]RecordCounts `json:"latestResult"`
	// RecordCount is the live records per model.
	RecordCount map[string]int64 `json:"recordCount"`
	// InvalidRecords counts per model the records the last finished run
	// skipped as invalid (failing the model's schema, or over 1 MiB):
	// Patchbay's addition to Nango's shape, which leaves latestResult as
	// Nango has it.
	InvalidRecords map[string]int `json:"invalidRecords"`
	// Checkpoint is the instance's saved checkpoint, null when none.
	Checkpoint json.RawMessage `json:"checkpoint"`
	// Error is the last failure, when the status is ERROR.
	Error json.RawMessage `json:"error,omitempty"`
}

// RecordCounts are a run's changes to one model.
type RecordCounts struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

// SyncRef names a sync in POST /sync/trigger's syncs: a name, or a name
// and variant.
type SyncRef struct {
	Name    string `json:"name"`
	Variant string `json:"variant,omitempty"`
}

// Records is the answer of GET /records.
type Records struct {
	Records    []json.RawMessage `json:"records"`
	NextCursor *string           `json:"next_cursor"`
}
