package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

type deployments struct{ db *DB }

func (s deployments) Put(ctx context.Context, ds []*store.Deployment) error {
	for _, d := range ds {
		if len(d.Definition) > 0 {
			// What PostgreSQL's jsonb would refuse, SQLite would store:
			// refuse it on both.
			if err := store.DocDefinition.Check(d.Definition); err != nil {
				return fmt.Errorf("deploy %s %s: %w", d.Type, d.Name, err)
			}
		}
	}
	// The callers' values change only once every deployment is live.
	done := make([]store.Deployment, len(ds))
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		now := s.db.now()
		for i, d := range ds {
			n := *d
			n.UpdatedAt = now
			if err := s.put(ctx, tx, &n); err != nil {
				return fmt.Errorf("deploy %s %s: %w", d.Type, d.Name, err)
			}
			done[i] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, d := range ds {
		*d = done[i]
	}
	return nil
}

// put upserts d, whose UpdatedAt is set, and fills in its id and creation
// time from the row.
func (s deployments) put(ctx context.Context, tx *sql.Tx, d *store.Deployment) error {
	if !isUUID(d.EnvironmentID) {
		return fmt.Errorf("integration %q: %w", d.IntegrationKey, store.ErrNotFound)
	}
	var integrationID string
	if err := tx.QueryRowContext(ctx, s.db.q("IntegrationIDByKey"), d.EnvironmentID, d.IntegrationKey).Scan(&integrationID); err != nil {
		return fmt.Errorf("integration %q: %w", d.IntegrationKey, notFound(err))
	}
	var definition any
	if len(d.Definition) > 0 {
		definition = string(d.Definition)
	}
	id := newID()
	err := tx.QueryRowContext(ctx, s.db.q("UpsertDeployment"), id, d.EnvironmentID, integrationID, d.Name, d.Type,
		d.Version, d.SourceHash, d.Bundle, definition, nullString(d.SourceMap), d.UpdatedAt, d.UpdatedAt).Scan(&d.ID, &d.CreatedAt)
	if err != nil {
		return err
	}
	if d.ID == id {
		// A new row: its creation time is exactly UpdatedAt, which the
		// database may have stored to the microsecond only.
		d.CreatedAt = d.UpdatedAt
	}
	d.CreatedAt = d.CreatedAt.UTC()
	return nil
}

func (s deployments) scan(row rowScanner) (*store.Deployment, error) {
	d := &store.Deployment{}
	var definition []byte
	var sourceMap sql.NullString // NULL in rows deployed before maps were kept
	if err := row.Scan(&d.ID, &d.EnvironmentID, &d.IntegrationKey, &d.Name, &d.Type, &d.Version, &d.SourceHash,
		&d.Bundle, &definition, &sourceMap, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	d.SourceMap = sourceMap.String
	if definition != nil {
		d.Definition = json.RawMessage(definition)
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, nil
}

func (s deployments) Get(ctx context.Context, environmentID, integrationKey, typ, name string) (*store.Deployment, error) {
	if !isUUID(environmentID) {
		return nil, fmt.Errorf("deployment %s %s/%s: %w", typ, integrationKey, name, store.ErrNotFound)
	}
	d, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("GetDeployment"), environmentID, integrationKey, typ, name))
	if err != nil {
		return nil, fmt.Errorf("deployment %s %s/%s: %w", typ, integrationKey, name, err)
	}
	return d, nil
}

func (s deployments) List(ctx context.Context, environmentID, integrationKey string) ([]*store.Deployment, error) {
	out := []*store.Deployment{}
	if !isUUID(environmentID) {
		return out, nil
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.q("ListDeployments"), environmentID, nullString(integrationKey))
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := s.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list deployments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	return out, nil
}

func (s deployments) Delete(ctx context.Context, environmentID, integrationKey, typ, name string) error {
	if !isUUID(environmentID) {
		return fmt.Errorf("delete deployment %s %s/%s: %w", typ, integrationKey, name, store.ErrNotFound)
	}
	res, err := s.db.write.ExecContext(ctx, s.db.q("DeleteDeployment"), environmentID, integrationKey, typ, name)
	if err != nil {
		return fmt.Errorf("delete deployment %s %s/%s: %w", typ, integrationKey, name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete deployment %s %s/%s: %w", typ, integrationKey, name, err)
	} else if n == 0 {
		return fmt.Errorf("delete deployment %s %s/%s: %w", typ, integrationKey, name, store.ErrNotFound)
	}
	return nil
}

type actionRuns struct{ db *DB }

// createAttempts bounds Create's retries. Each retry needs the holder that
// made the insert do nothing to vanish before it could be read, which only
// a concurrent DeleteExpired does, so a second attempt all but always
// settles it.
const createAttempts = 3

func (s actionRuns) Create(ctx context.Context, run *store.ActionRun) (*store.ActionRun, bool, error) {
	if !isUUID(run.EnvironmentID) {
		return nil, false, fmt.Errorf("create action run: environment %s: %w", run.EnvironmentID, store.ErrNotFound)
	}
	if run.ExpiresAt.IsZero() {
		return nil, false, errors.New("create action run: no expiry")
	}
	var out *store.ActionRun
	var created bool
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		for range createAttempts {
			var err error
			if out, created, err = s.create(ctx, tx, run); !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return fmt.Errorf("idempotency key %q: its holder keeps vanishing", run.IdempotencyKey)
	})
	if err != nil {
		return nil, false, fmt.Errorf("create action run: %w", err)
	}
	if created {
		*run = *out
		out = run
	}
	return out, created, nil
}

// create inserts run unless a live run holds its idempotency key, which it
// then returns, or ErrNotFound if that holder is gone by the time it looks.
func (s actionRuns) create(ctx context.Context, tx *sql.Tx, run *store.ActionRun) (*store.ActionRun, bool, error) {
	now := s.db.now()
	if run.IdempotencyKey != "" {
		if _, err := tx.ExecContext(ctx, s.db.q("DeleteExpiredActionRunByKey"), run.EnvironmentID, run.IdempotencyKey, now); err != nil {
			return nil, false, err
		}
	}
	n := *run
	n.ID, n.CreatedAt, n.UpdatedAt, n.ExpiresAt = newID(), now, now, run.ExpiresAt.UTC()
	if len(n.Input) > 0 {
		if err := store.DocActionInput.Check(n.Input); err != nil {
			return nil, false, err
		}
	}
	input := s.db.seal(n.Input, "action_runs", "input", n.ID)
	output, errJSON, err := s.sealOutcome(&n)
	if err != nil {
		return nil, false, err
	}
	res, err := tx.ExecContext(ctx, s.db.q("InsertActionRun"), n.ID, n.EnvironmentID, n.IntegrationKey, n.ConnectionID,
		n.ActionName, nullString(n.IdempotencyKey), n.RequestHash, input, n.Status, output, errJSON,
		n.Async, n.Attempts, n.MaxRetries, n.CreatedAt, n.UpdatedAt, n.ExpiresAt, n.Owner, nullTime(n.HeartbeatAt))
	if err != nil {
		return nil, false, err
	}
	if rows, err := res.RowsAffected(); err != nil {
		return nil, false, err
	} else if rows > 0 {
		return &n, true, nil
	}
	holder, err := s.scan(tx.QueryRowContext(ctx, s.db.q("ActionRunByKey"), run.EnvironmentID, run.IdempotencyKey))
	if err != nil {
		return nil, false, err
	}
	return holder, false, nil
}

// sealOutcome checks and seals run's output and error, each NULL when
// empty.
func (s actionRuns) sealOutcome(run *store.ActionRun) (output, errJSON []byte, err error) {
	if len(run.Output) > 0 {
		if err := store.DocActionOutput.Check(run.Output); err != nil {
			return nil, nil, err
		}
		output = s.db.seal(run.Output, "action_runs", "output", run.ID)
	}
	if len(run.Error) > 0 {
		if err := store.DocActionError.Check(run.Error); err != nil {
			return nil, nil, err
		}
		errJSON = s.db.seal(run.Error, "action_runs", "error", run.ID)
	}
	return output, errJSON, nil
}

func (s actionRuns) scan(row rowScanner) (*store.ActionRun, error) {
	r := &store.ActionRun{}
	var key sql.NullString
	var input, output, errJSON []byte
	var heartbeat sql.NullTime
	if err := row.Scan(&r.ID, &r.EnvironmentID, &r.IntegrationKey, &r.ConnectionID, &r.ActionName, &key,
		&r.RequestHash, &input, &r.Status, &output, &errJSON, &r.Async, &r.Attempts, &r.MaxRetries,
		&r.CreatedAt, &r.UpdatedAt, &r.ExpiresAt, &r.Owner, &heartbeat); err != nil {
		return nil, notFound(err)
	}
	r.HeartbeatAt = timePtr(heartbeat)
	r.IdempotencyKey = key.String
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC(), r.ExpiresAt.UTC()
	for _, col := range []struct {
		name   string
		sealed []byte
		dst    *json.RawMessage
	}{
		{"input", input, &r.Input},
		{"output", output, &r.Output},
		{"error", errJSON, &r.Error},
	} {
		if col.sealed == nil {
			continue
		}
		plain, err := s.db.open(col.sealed, "action_runs", col.name, r.ID)
		if err != nil {
			return nil, s.db.unreadableRow("action_runs", r.ID, col.name, err)
		}
		if len(plain) > 0 {
			*col.dst = json.RawMessage(plain)
		}
	}
	return r, nil
}

func (s actionRuns) Get(ctx context.Context, environmentID, id string) (*store.ActionRun, error) {
	if !isUUID(environmentID) || !isUUID(id) {
		return nil, fmt.Errorf("action run %s: %w", id, store.ErrNotFound)
	}
	r, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("GetActionRun"), environmentID, id))
	if err != nil {
		return nil, fmt.Errorf("action run %s: %w", id, err)
	}
	return r, nil
}

func (s actionRuns) Update(ctx context.Context, environmentID, id string, change func(*store.ActionRun) error) (*store.ActionRun, error) {
	if !isUUID(environmentID) || !isUUID(id) {
		return nil, fmt.Errorf("update action run %s: %w", id, store.ErrNotFound)
	}
	var out *store.ActionRun
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.scan(tx.QueryRowContext(ctx, s.db.q("LockActionRun"), environmentID, id))
		if err != nil {
			return err
		}
		orig := *r
		if err := change(r); err != nil {
			return err
		}
		// What was asked, and by whom, is not the change's to rewrite: only
		// the state, the outcome, the retry counts and the expiry are saved.
		r.ID, r.EnvironmentID, r.IntegrationKey, r.ConnectionID = orig.ID, orig.EnvironmentID, orig.IntegrationKey, orig.ConnectionID
		r.ActionName, r.IdempotencyKey, r.RequestHash, r.Input = orig.ActionName, orig.IdempotencyKey, orig.RequestHash, orig.Input
		r.CreatedAt = orig.CreatedAt
		r.UpdatedAt, r.ExpiresAt = s.db.now(), r.ExpiresAt.UTC()
		output, errJSON, err := s.sealOutcome(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.q("UpdateActionRun"), r.Status, output, errJSON, r.Async,
			r.Attempts, r.MaxRetries, r.UpdatedAt, r.ExpiresAt, r.Owner, nullTime(r.HeartbeatAt), r.ID); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update action run %s: %w", id, err)
	}
	return out, nil
}

func (s actionRuns) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	n, err := deleteBefore(ctx, s.db, "DeleteExpiredActionRuns", now)
	if err != nil {
		return 0, fmt.Errorf("delete expired action runs: %w", err)
	}
	return int(n), nil
}

func (s actionRuns) Stale(ctx context.Context, before time.Time, limit int) ([]*store.ActionRun, error) {
	rows, err := s.db.read.QueryContext(ctx, s.db.q("StaleActionRuns"), before.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("stale action runs: %w", err)
	}
	defer rows.Close()
	var out []*store.ActionRun
	for rows.Next() {
		r, err := s.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("stale action runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stale action runs: %w", err)
	}
	return out, nil
}

type functionLocks struct{ db *DB }

func (l functionLocks) TryAcquire(ctx context.Context, scope, key, owner string, ttl time.Duration) (bool, error) {
	now := l.db.now()
	res, err := l.db.write.ExecContext(ctx, l.db.q("TryAcquireFunctionLock"), scope, key, owner, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("acquire lock %s/%s: %w", scope, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lock %s/%s: %w", scope, key, err)
	}
	return n > 0, nil
}

// Release deletes the owner's row even if it expired: nobody else held the
// lock meanwhile (they would own the row), so it was still the owner's to
// free.
func (l functionLocks) Release(ctx context.Context, scope, key, owner string) (bool, error) {
	res, err := l.db.write.ExecContext(ctx, l.db.q("ReleaseFunctionLock"), scope, key, owner)
	if err != nil {
		return false, fmt.Errorf("release lock %s/%s: %w", scope, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("release lock %s/%s: %w", scope, key, err)
	}
	return n > 0, nil
}

func (l functionLocks) ReleaseAll(ctx context.Context, owner string) error {
	if _, err := l.db.write.ExecContext(ctx, l.db.q("ReleaseFunctionLocks"), owner); err != nil {
		return fmt.Errorf("release the locks of %s: %w", owner, err)
	}
	return nil
}

func (l functionLocks) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	n, err := deleteBefore(ctx, l.db, "DeleteExpiredFunctionLocks", now)
	if err != nil {
		return 0, fmt.Errorf("delete expired function locks: %w", err)
	}
	return int(n), nil
}
