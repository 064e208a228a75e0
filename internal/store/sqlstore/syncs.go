package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

type syncInstances struct{ db *DB }

// scan reads the columns every sync instance query returns (see
// queries.sql).
func (s syncInstances) scan(row rowScanner) (*store.SyncInstance, error) {
	in := &store.SyncInstance{}
	var frequencyMS int64
	var next, queued, leaseUntil, runStarted, finished, lastSuccess sql.NullTime
	var queueToken, leaseOwner sql.NullString
	var runOptions, runResult, lastError, latestResult []byte
	if err := row.Scan(&in.ID, &in.EnvironmentID, &in.IntegrationID, &in.IntegrationKey, &in.ConnectionRef, &in.ConnectionID,
		&in.SyncName, &in.Variant, &in.Enabled, &in.Started, &frequencyMS, &next, &queueToken, &queued, &runOptions,
		&leaseOwner, &leaseUntil, &in.Generation, &in.RunID, &in.RunType, &runStarted, &runResult, &in.LastStatus,
		&lastError, &finished, &lastSuccess, &in.Failures, &latestResult, &in.CreatedAt, &in.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	in.Frequency = time.Duration(frequencyMS) * time.Millisecond
	in.NextRunAt, in.QueuedAt, in.LeaseUntil = timePtr(next), timePtr(queued), timePtr(leaseUntil)
	in.RunStartedAt, in.FinishedAt, in.LastSuccessAt = timePtr(runStarted), timePtr(finished), timePtr(lastSuccess)
	in.QueueToken, in.LeaseOwner = queueToken.String, leaseOwner.String
	in.CreatedAt, in.UpdatedAt = in.CreatedAt.UTC(), in.UpdatedAt.UTC()
	if runOptions != nil {
		in.RunOptions = json.RawMessage(runOptions)
	}
	if lastError != nil {
		in.LastError = json.RawMessage(lastError)
	}
	for _, col := range []struct {
		name    string
		src     []byte
		dst     *map[string]store.RecordCounts
		invalid *map[string]int
	}{{"run_result", runResult, &in.RunResult, &in.RunInvalid}, {"latest_result", latestResult, &in.LatestResult, &in.LatestInvalid}} {
		if col.src == nil {
			continue
		}
		var err error
		if *col.dst, *col.invalid, err = decodeResult(col.src); err != nil {
			return in, s.db.unreadableRow("sync_instances", in.ID, col.name, err)
		}
	}
	return in, nil
}

// rawJSON is a JSON column's value: NULL for nothing (or JSON null).
func rawJSON(what string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s is not JSON", what)
	}
	return string(raw), nil
}

// storedCounts is one model's member of a result column: what the run
// changed and, when it skipped any, how many records it skipped as
// invalid. Both live in the one column so a run's result is written and
// read whole; rows written before invalid counts were kept read as none.
type storedCounts struct {
	// A nil pointer leaves the counts out: a model with invalid records
	// only has no counts, as before.
	*store.RecordCounts
	Invalid int `json:"invalid,omitempty"`
}

// resultJSON is a counts column's value: NULL for no counts.
func resultJSON(result map[string]store.RecordCounts, invalid map[string]int) (any, error) {
	if result == nil && len(invalid) == 0 {
		return nil, nil
	}
	out := make(map[string]storedCounts, len(result)+len(invalid))
	for m, c := range result {
		out[m] = storedCounts{RecordCounts: &c}
	}
	for m, n := range invalid {
		if n > 0 {
			e := out[m]
			e.Invalid = n
			out[m] = e
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeResult reads a counts column: the counts per model (never nil)
// and the invalid records per model (nil when none).
func decodeResult(src []byte) (map[string]store.RecordCounts, map[string]int, error) {
	var stored map[string]storedCounts
	if err := json.Unmarshal(src, &stored); err != nil {
		return nil, nil, err
	}
	counts := make(map[string]store.RecordCounts, len(stored))
	var invalid map[string]int
	for m, e := range stored {
		if e.RecordCounts != nil {
			counts[m] = *e.RecordCounts
		}
		if e.Invalid > 0 {
			if invalid == nil {
				invalid = map[string]int{}
			}
			invalid[m] = e.Invalid
		}
	}
	return counts, invalid, nil
}

// args returns the mutable columns, in UpdateSyncInstance's order (which
// InsertSyncInstance shares).
func (s syncInstances) args(in *store.SyncInstance) ([]any, error) {
	runOptions, err := rawJSON("run options", in.RunOptions)
	if err != nil {
		return nil, err
	}
	lastError, err := rawJSON("last error", in.LastError)
	if err != nil {
		return nil, err
	}
	runResult, err := resultJSON(in.RunResult, in.RunInvalid)
	if err != nil {
		return nil, err
	}
	latestResult, err := resultJSON(in.LatestResult, in.LatestInvalid)
	if err != nil {
		return nil, err
	}
	return []any{
		in.Enabled, in.Started, in.Frequency.Milliseconds(), nullTime(in.NextRunAt), nullString(in.QueueToken),
		nullTime(in.QueuedAt), runOptions, nullString(in.LeaseOwner), nullTime(in.LeaseUntil), in.Generation,
		in.RunID, in.RunType, nullTime(in.RunStartedAt), runResult, in.LastStatus, lastError,
		nullTime(in.FinishedAt), nullTime(in.LastSuccessAt), in.Failures, latestResult,
	}, nil
}

func (s syncInstances) Ensure(ctx context.Context, in *store.SyncInstance) (*store.SyncInstance, bool, error) {
	fail := func(err error) (*store.SyncInstance, bool, error) {
		return nil, false, fmt.Errorf("ensure sync instance %s/%s: %w", in.SyncName, in.Variant, err)
	}
	if !isUUID(in.EnvironmentID) || !isUUID(in.IntegrationID) || !isUUID(in.ConnectionRef) {
		return fail(store.ErrNotFound)
	}
	if in.SyncName == "" {
		return fail(errors.New("no sync name"))
	}
	n := *in
	if n.Variant == "" {
		n.Variant = store.DefaultVariant
	}
	now := s.db.now()
	n.ID, n.CreatedAt, n.UpdatedAt = newID(), now, now
	cols, err := s.args(&n)
	if err != nil {
		return fail(err)
	}
	var out *store.SyncInstance
	var inserted bool
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		// The connection must be the integration's, in the environment:
		// an instance never joins rows of two tenants.
		var envID, integrationID string
		if err := tx.QueryRowContext(ctx, s.db.q("ConnectionOwner"), n.ConnectionRef).Scan(&envID, &integrationID); err != nil {
			return notFound(err)
		}
		if envID != n.EnvironmentID || integrationID != n.IntegrationID {
			return store.ErrNotFound
		}
		args := append([]any{n.ID, n.EnvironmentID, n.IntegrationID, n.ConnectionRef, n.SyncName, n.Variant}, cols...)
		res, err := tx.ExecContext(ctx, s.db.q("InsertSyncInstance"), append(args, n.CreatedAt, n.UpdatedAt)...)
		if err != nil {
			return err
		}
		rows, err := res.RowsAffected()
		if err != nil {
			return err
		}
		inserted = rows > 0
		// Read back either way: the keys come from the joins, and a
		// concurrent Ensure's row, which PostgreSQL's ON CONFLICT waited
		// for, is visible now.
		out, err = s.scan(tx.QueryRowContext(ctx, s.db.q("SyncInstanceByKey"), n.ConnectionRef, n.SyncName, n.Variant))
		return err
	})
	if err != nil {
		return fail(err)
	}
	return out, inserted, nil
}

func (s syncInstances) Get(ctx context.Context, environmentID, id string) (*store.SyncInstance, error) {
	if !isUUID(environmentID) || !isUUID(id) {
		return nil, fmt.Errorf("sync instance %s: %w", id, store.ErrNotFound)
	}
	in, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("GetSyncInstance"), environmentID, id))
	if err != nil {
		return nil, fmt.Errorf("sync instance %s: %w", id, err)
	}
	return in, nil
}

// collect reads a list of instances, leaving out (and reporting) those that
// cannot be decoded.
func (s syncInstances) collect(ctx context.Context, list string, rows *sql.Rows, err error) ([]*store.SyncInstance, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*store.SyncInstance{}
	for rows.Next() {
		in, err := s.scan(rows)
		var unreadable *store.UnreadableError
		if errors.As(err, &unreadable) {
			s.db.skipped(ctx, list, unreadable, "sync", in.SyncName, "connection_id", in.ConnectionID)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

func (s syncInstances) List(ctx context.Context, f store.SyncInstanceFilter) ([]*store.SyncInstance, error) {
	if !isUUID(f.EnvironmentID) {
		return []*store.SyncInstance{}, nil
	}
	var names []string
	if len(f.SyncNames) > 0 {
		names = f.SyncNames
	}
	list, err := s.db.listArg(names)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.q("ListSyncInstances"), f.EnvironmentID, nullString(f.IntegrationKey),
		nullString(f.ConnectionID), list, nullString(f.Variant))
	out, err := s.collect(ctx, "sync instances", rows, err)
	if err != nil {
		return nil, fmt.Errorf("list sync instances: %w", err)
	}
	return out, nil
}

func (s syncInstances) Update(ctx context.Context, environmentID, id string, change func(*store.SyncInstance) error) (*store.SyncInstance, error) {
	if !isUUID(environmentID) || !isUUID(id) {
		return nil, fmt.Errorf("update sync instance %s: %w", id, store.ErrNotFound)
	}
	var out *store.SyncInstance
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		in, err := s.scan(tx.QueryRowContext(ctx, s.db.q("LockSyncInstance"), environmentID, id))
		if err != nil {
			return err
		}
		orig := *in
		if err := change(in); err != nil {
			if errors.Is(err, store.ErrSkip) {
				out = &orig
			}
			return err
		}
		// Which instance this is is not the change's to rewrite.
		in.ID, in.EnvironmentID, in.IntegrationID, in.IntegrationKey = orig.ID, orig.EnvironmentID, orig.IntegrationID, orig.IntegrationKey
		in.ConnectionRef, in.ConnectionID, in.SyncName, in.Variant = orig.ConnectionRef, orig.ConnectionID, orig.SyncName, orig.Variant
		in.CreatedAt, in.UpdatedAt = orig.CreatedAt, s.db.now()
		args, err := s.args(in)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.q("UpdateSyncInstance"), append(args, in.UpdatedAt, in.ID)...); err != nil {
			return err
		}
		out = in
		return nil
	})
	if err != nil {
		// ErrSkip comes with the instance as it is.
		return out, fmt.Errorf("update sync instance %s: %w", id, err)
	}
	return out, nil
}

// byIDs reads instances in tx, in the order of ids.
func (s syncInstances) byIDs(ctx context.Context, tx *sql.Tx, list string, ids []string) ([]*store.SyncInstance, error) {
	arg, err := s.db.listArg(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, s.db.q("SyncInstancesByIDs"), arg)
	found, err := s.collect(ctx, list, rows, err)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*store.SyncInstance, len(found))
	for _, in := range found {
		byID[in.ID] = in
	}
	out := make([]*store.SyncInstance, 0, len(ids))
	for _, id := range ids {
		if in := byID[id]; in != nil {
			out = append(out, in)
		}
	}
	return out, nil
}

func (s syncInstances) Delete(ctx context.Context, environmentID, integrationID, connectionRef, syncName, variant string) ([]*store.SyncInstance, error) {
	if !isUUID(environmentID) || !isUUID(integrationID) || (connectionRef != "" && !isUUID(connectionRef)) {
		return []*store.SyncInstance{}, nil
	}
	var out []*store.SyncInstance
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		ids, err := stringsOf(tx.QueryContext(ctx, s.db.q("SyncInstancesToDelete"), environmentID, integrationID,
			nullString(connectionRef), nullString(syncName), nullString(variant)))
		if err != nil || len(ids) == 0 {
			out = []*store.SyncInstance{}
			return err
		}
		if out, err = s.byIDs(ctx, tx, "deleted sync instances", ids); err != nil {
			return err
		}
		list, err := s.db.listArg(ids)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.db.q("DeleteSyncInstances"), list)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete sync instances: %w", err)
	}
	return out, nil
}

func (s syncInstances) ClaimDue(ctx context.Context, now time.Time, limit int) ([]*store.SyncInstance, error) {
	if limit <= 0 {
		return []*store.SyncInstance{}, nil
	}
	now = now.UTC()
	var out []*store.SyncInstance
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		ids, err := stringsOf(tx.QueryContext(ctx, s.db.q("DueSyncInstances"), now, limit))
		if err != nil || len(ids) == 0 {
			out = []*store.SyncInstance{}
			return err
		}
		updated := s.db.now()
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.db.q("ClaimSyncInstance"), uuid.NewString(), now, updated, id); err != nil {
				return err
			}
		}
		out, err = s.byIDs(ctx, tx, "claimed sync instances", ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due sync instances: %w", err)
	}
	return out, nil
}

func (s syncInstances) Stale(ctx context.Context, now, queuedBefore time.Time, limit int) ([]*store.SyncInstance, error) {
	if limit <= 0 {
		return []*store.SyncInstance{}, nil
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.q("StaleSyncInstances"), now.UTC(), queuedBefore.UTC(), limit)
	out, err := s.collect(ctx, "stale sync instances", rows, err)
	if err != nil {
		return nil, fmt.Errorf("stale sync instances: %w", err)
	}
	return out, nil
}

func (s syncInstances) Checkpoint(ctx context.Context, id string) ([]byte, error) {
	if !isUUID(id) {
		return nil, fmt.Errorf("checkpoint of sync instance %s: %w", id, store.ErrNotFound)
	}
	var sealed []byte
	if err := s.db.read.QueryRowContext(ctx, s.db.q("GetSyncCheckpoint"), id).Scan(&sealed); err != nil {
		return nil, fmt.Errorf("checkpoint of sync instance %s: %w", id, notFound(err))
	}
	if sealed == nil {
		return nil, nil
	}
	plain, err := s.db.open(sealed, "sync_instances", "checkpoint", id)
	if err != nil {
		return nil, s.db.unreadableRow("sync_instances", id, "checkpoint", err)
	}
	return plain, nil
}

func (s syncInstances) SetCheckpoint(ctx context.Context, id string, checkpoint []byte) error {
	return setCheckpoint(ctx, s.db, s.db.write, id, checkpoint)
}

// Sync run states besides store.SyncSuccess and store.SyncError.
const syncRunning = "running"

func (s syncInstances) StartRun(ctx context.Context, run *store.SyncRun) error {
	if !isUUID(run.InstanceID) {
		return fmt.Errorf("start run: sync instance %s: %w", run.InstanceID, store.ErrNotFound)
	}
	n := *run
	n.ID, n.StartedAt = newID(), s.db.now()
	if n.Status == "" {
		n.Status = syncRunning
	}
	result, err := resultJSON(n.Result, n.Invalid)
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	runErr, err := rawJSON("run error", n.Error)
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	if _, err := s.db.write.ExecContext(ctx, s.db.q("InsertSyncRun"), n.ID, n.InstanceID, n.Generation, n.Node,
		n.StartedAt, nullTime(n.EndedAt), n.Status, result, runErr); err != nil {
		return fmt.Errorf("start run of sync instance %s: %w", run.InstanceID, err)
	}
	*run = n
	return nil
}

func (s syncInstances) FinishRun(ctx context.Context, id, status string, result map[string]store.RecordCounts, invalid map[string]int, runErr json.RawMessage, endedAt time.Time) error {
	if !isUUID(id) {
		return fmt.Errorf("finish run %s: %w", id, store.ErrNotFound)
	}
	res, err := resultJSON(result, invalid)
	if err != nil {
		return fmt.Errorf("finish run %s: %w", id, err)
	}
	errJSON, err := rawJSON("run error", runErr)
	if err != nil {
		return fmt.Errorf("finish run %s: %w", id, err)
	}
	r, err := s.db.write.ExecContext(ctx, s.db.q("FinishSyncRun"), status, res, errJSON, endedAt.UTC(), id)
	if err != nil {
		return fmt.Errorf("finish run %s: %w", id, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return fmt.Errorf("finish run %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("finish run %s: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s syncInstances) Runs(ctx context.Context, instanceID string, limit int) ([]*store.SyncRun, error) {
	out := []*store.SyncRun{}
	if !isUUID(instanceID) {
		return out, nil
	}
	if limit <= 0 {
		limit = defaultListLimit
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.q("ListSyncRuns"), instanceID, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &store.SyncRun{}
		var ended sql.NullTime
		var result, runErr []byte
		if err := rows.Scan(&r.ID, &r.InstanceID, &r.Generation, &r.Node, &r.StartedAt, &ended, &r.Status, &result, &runErr); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.StartedAt, r.EndedAt = r.StartedAt.UTC(), timePtr(ended)
		if result != nil {
			var err error
			if r.Result, r.Invalid, err = decodeResult(result); err != nil {
				s.db.skipUnreadable(ctx, "sync runs", "sync_runs", r.ID, "result", err)
				continue
			}
		}
		if runErr != nil {
			r.Error = json.RawMessage(runErr)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

func (s syncInstances) DeleteRunsBefore(ctx context.Context, t time.Time) (int, error) {
	n, err := deleteBefore(ctx, s.db, "DeleteSyncRunsBefore", t)
	if err != nil {
		return 0, fmt.Errorf("delete sync runs: %w", err)
	}
	return int(n), nil
}
