package store

import (
	"context"
	"encoding/json"
	"time"
)

// Record actions, as _nango_metadata.last_action carries them.
const (
	RecordAdded   = "ADDED"
	RecordUpdated = "UPDATED"
	RecordDeleted = "DELETED"
)

// DefaultVariant is the variant of a sync instance created without one.
const DefaultVariant = "base"

// RecordScope names one model's records of one connection (and variant of
// the sync that saves them). Records are stored per scope, and a scope's
// cursor is what GET /records pages on.
type RecordScope struct {
	EnvironmentID string
	// ConnectionRef is the connection's row id (Connection.ID), not the
	// customer-facing id: records outlive neither a rename nor a
	// re-creation of a connection under the same id.
	ConnectionRef string
	Model         string
	Variant       string
}

// Record is one stored record of a sync's model.
type Record struct {
	ID string // the record's own id, as the function gave it
	// Payload is the record as the sync saved it (plaintext JSON; sealed at
	// rest); nil once pruned.
	Payload        json.RawMessage
	FirstSeenAt    time.Time
	LastModifiedAt time.Time
	// LastAction is RecordAdded, RecordUpdated or RecordDeleted.
	LastAction string
	DeletedAt  *time.Time
	// Cursor orders the scope's changes: every write that changes a record
	// gives it a cursor above every cursor already committed in its scope.
	Cursor int64
}

// RecordWrite is one record a sync saves: its id and its payload
// (plaintext JSON; the store seals it, and keeps a keyed digest of it,
// which is how an unchanged record is recognised without opening the
// stored one).
type RecordWrite struct {
	ID      string
	Payload []byte
}

// RecordCounts are what a write changed.
type RecordCounts struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

// Add sums c and o.
func (c RecordCounts) Add(o RecordCounts) RecordCounts {
	return RecordCounts{Added: c.Added + o.Added, Updated: c.Updated + o.Updated, Deleted: c.Deleted + o.Deleted}
}

// RecordTx is one write transaction over records and a sync instance's
// checkpoint: what it wrote commits together or not at all, which is what
// keeps a checkpoint from ever getting ahead of the records saved before
// it.
//
// Writers of one scope are serialised by the scope's cursor row, taken at
// the first write and held to commit, so cursors become visible in the
// order they were given: a reader that has seen cursor n never later
// meets a new record below n.
type RecordTx interface {
	// Upsert saves records in scope, each marked seen at generation. A
	// new id is ADDED; a changed payload (other hash), or a deleted record
	// saved again, is UPDATED; both get a new cursor and last_modified_at.
	// An unchanged record keeps its cursor and metadata: only its
	// generation moves (so delete detection knows it was seen), and the
	// time it was last seen (so retention keeps it). ids must
	// be unique within records (the caller resolves duplicates).
	Upsert(ctx context.Context, scope RecordScope, records []RecordWrite, generation int64) (RecordCounts, error)
	// UpsertUnlessNewer is Upsert for a run that must not overwrite what
	// another writer (a webhook) changed meanwhile: a stored record whose
	// cursor is above after is left as it is and counted in skipped. It
	// returns the scope's last cursor once written (with no records, the
	// scope's last cursor now), which is the after of the run's next
	// write.
	UpsertUnlessNewer(ctx context.Context, scope RecordScope, records []RecordWrite, generation, after int64) (counts RecordCounts, skipped int, last int64, err error)
	// Payloads returns the stored payloads of those of ids that exist and
	// are not deleted (nor pruned), keyed by id.
	Payloads(ctx context.Context, scope RecordScope, ids []string) (map[string][]byte, error)
	// Delete soft-deletes ids: DELETED, deleted_at and a new cursor; the
	// payload is kept. Unknown and already deleted ids are skipped. It
	// returns how many it deleted.
	Delete(ctx context.Context, scope RecordScope, ids []string, generation int64) (int, error)
	// DeleteUnseen soft-deletes every live record of scope whose
	// generation is below generation (full-sync delete detection) and
	// returns how many.
	DeleteUnseen(ctx context.Context, scope RecordScope, generation int64) (int, error)
	// Hold checks that leaseOwner still holds the sync instance's run,
	// extends its lease to until, and keeps it so until the transaction
	// ends: a run that lost its lease (its node looked dead and another
	// took over) cannot write records or a checkpoint behind the new
	// run's back, and a run that writes never looks dead. ErrLeaseLost
	// otherwise.
	Hold(ctx context.Context, instanceID, leaseOwner string, until time.Time) error
	// SetCheckpoint replaces the sync instance's checkpoint (plaintext
	// JSON; sealed at rest); nil clears it.
	SetCheckpoint(ctx context.Context, instanceID string, checkpoint []byte) error
}

// RecordQuery selects a page of a scope's records, in cursor order.
type RecordQuery struct {
	Scope RecordScope
	// After is the cursor of the last record already read (0: from the
	// start).
	After int64
	// Limit bounds the page (the caller validates it).
	Limit int
	// ModifiedAfter keeps records whose last_modified_at is at or after
	// it.
	ModifiedAfter *time.Time
	// Actions keeps records whose last action is one of these (nil: any).
	Actions []string
	// IDs keeps records with these ids (nil: any).
	IDs []string
}

// RecordPurge selects records to remove for good.
type RecordPurge struct {
	// ConnectionRef removes the records of that connection (all models
	// and variants), with Model and Variant narrowing it when set.
	ConnectionRef string
	Model         string
	Variant       string
	// OrphansOf removes the records of the environment's connections that
	// no longer exist (ConnectionRef is then ignored).
	OrphansOf string
	// UntouchedBefore, when set, keeps only records no write has seen
	// since it in the selection (retention of stale records): not saved,
	// changed or unchanged, nor deleted. Not last_modified_at, which an
	// unchanged save keeps: a record a full resync saves as it was is
	// fresh data. Deleted records count too: a tombstone goes once it is
	// as old.
	UntouchedBefore *time.Time
}

// Records stores the records syncs save.
type Records interface {
	// Write runs fn in one write transaction.
	Write(ctx context.Context, fn func(tx RecordTx) error) error
	// List returns a page of records. Rows that cannot be opened are
	// skipped and counted (Store.UnreadableRows).
	List(ctx context.Context, q RecordQuery) ([]*Record, error)
	// Counts returns the number of live (not deleted) records per model of
	// a connection's variant.
	Counts(ctx context.Context, connectionRef, variant string) (map[string]int64, error)
	// Prune drops the payload of the limit oldest records of the scope up
	// to and including cursor upTo that still have one, keeping their ids
	// and metadata, and returns how many it pruned (fewer than limit: none
	// is left).
	Prune(ctx context.Context, scope RecordScope, upTo int64, limit int) (int, error)
	// Purge removes up to limit of the selected records for good and
	// returns how many; callers repeat until it returns less than limit,
	// which keeps each transaction short however many records there are.
	Purge(ctx context.Context, p RecordPurge, limit int) (int, error)
}
