package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

type records struct{ db *DB }

// recordAAD binds a payload to its record: a ciphertext moved to another
// record, scope or connection does not open.
func recordAAD(connectionRef, model, variant, id string) []byte {
	return vault.AAD("records", "payload", connectionRef+"\x00"+model+"\x00"+variant+"\x00"+id)
}

// checkScope refuses a scope no record can be stored under.
func checkScope(s store.RecordScope) error {
	switch {
	case !isUUID(s.ConnectionRef):
		return fmt.Errorf("connection %q: %w", s.ConnectionRef, store.ErrNotFound)
	case !isUUID(s.EnvironmentID):
		return fmt.Errorf("environment %q: %w", s.EnvironmentID, store.ErrNotFound)
	case s.Model == "" || s.Variant == "":
		return errors.New("a record scope needs a model and a variant")
	}
	return nil
}

func (r records) Write(ctx context.Context, fn func(tx store.RecordTx) error) error {
	return r.db.inTx(ctx, func(tx *sql.Tx) error {
		return fn(&recordTx{db: r.db, tx: tx, scopes: map[scopeKey]*scopeState{}})
	})
}

type scopeKey struct{ connectionRef, model, variant string }

// scopeState is a scope this transaction holds: its row (id) is locked and
// last is the last cursor given so far.
type scopeState struct{ id, last int64 }

type recordTx struct {
	db     *DB
	tx     *sql.Tx
	scopes map[scopeKey]*scopeState
}

// lock takes the scope's cursor row, once per transaction. Holding it to
// commit is what makes cursors visible in the order they were given (see
// LockRecordScope).
func (t *recordTx) lock(ctx context.Context, s store.RecordScope) (*scopeState, error) {
	if err := checkScope(s); err != nil {
		return nil, err
	}
	k := scopeKey{s.ConnectionRef, s.Model, s.Variant}
	if st, ok := t.scopes[k]; ok {
		return st, nil
	}
	st := &scopeState{}
	if err := t.db.txQueryRow(ctx, t.tx, "LockRecordScope", s.ConnectionRef, s.Model, s.Variant, s.EnvironmentID).Scan(&st.id, &st.last); err != nil {
		return nil, fmt.Errorf("lock scope: %w", err)
	}
	t.scopes[k] = st
	return st, nil
}

// save writes the scope's last cursor and moves its live count by delta.
func (t *recordTx) save(ctx context.Context, s store.RecordScope, st *scopeState, delta int) error {
	if _, err := t.db.txExec(ctx, t.tx, "SaveRecordScope", st.last, delta, s.ConnectionRef, s.Model, s.Variant); err != nil {
		return fmt.Errorf("save scope: %w", err)
	}
	return nil
}

// plainDigest is the digest records had before digests were keyed (the
// hex SHA-256 of the payload), which rows saved then still carry until
// their record is saved again or the encryption key rotates.
func plainDigest(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

type storedRecordState struct {
	hash    string
	deleted bool
	cursor  int64
}

// existing returns the stored state of those of ids that exist.
func (t *recordTx) existing(ctx context.Context, s store.RecordScope, ids []string) (map[string]storedRecordState, error) {
	list, err := t.db.listArg(ids)
	if err != nil {
		return nil, err
	}
	rows, err := t.db.txQuery(ctx, t.tx, "ExistingRecords", s.ConnectionRef, s.Model, s.Variant, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]storedRecordState, len(ids))
	for rows.Next() {
		var id string
		var st storedRecordState
		if err := rows.Scan(&id, &st.hash, &st.deleted, &st.cursor); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}

func (t *recordTx) Upsert(ctx context.Context, s store.RecordScope, recs []store.RecordWrite, generation int64) (store.RecordCounts, error) {
	counts, _, _, err := t.upsert(ctx, s, recs, generation, 0)
	return counts, err
}

// UpsertUnlessNewer implements store.RecordTx.
func (t *recordTx) UpsertUnlessNewer(ctx context.Context, s store.RecordScope, recs []store.RecordWrite, generation, after int64) (store.RecordCounts, int, int64, error) {
	if after <= 0 {
		// upsert reads 0 as "no check"; cursors start at 1, so -1 keeps
		// the same records 0 would.
		after = -1
	}
	return t.upsert(ctx, s, recs, generation, after)
}

// upsert saves recs; with keepAbove > 0 (or -1), a stored record whose
// cursor is above it is left as it is and counted as skipped. It returns
// the scope's last cursor after the write.
func (t *recordTx) upsert(ctx context.Context, s store.RecordScope, recs []store.RecordWrite, generation, keepAbove int64) (store.RecordCounts, int, int64, error) {
	var counts store.RecordCounts
	skipped := 0
	if len(recs) == 0 && keepAbove == 0 {
		return counts, 0, 0, checkScope(s)
	}
	failed := func(err error) (store.RecordCounts, int, int64, error) {
		return store.RecordCounts{}, 0, 0, fmt.Errorf("save %s records: %w", s.Model, err)
	}
	if len(recs) == 0 {
		st, err := t.lock(ctx, s)
		if err != nil {
			return failed(err)
		}
		return counts, 0, st.last, nil
	}
	fail := func(err error) (store.RecordCounts, int, int64, error) { return failed(err) }
	st, err := t.lock(ctx, s)
	if err != nil {
		return fail(err)
	}
	ids := make([]string, len(recs))
	unique := make(map[string]struct{}, len(recs))
	for i, rec := range recs {
		if _, dup := unique[rec.ID]; dup {
			return fail(fmt.Errorf("record %q is twice in the batch", rec.ID))
		}
		unique[rec.ID] = struct{}{}
		ids[i] = rec.ID
	}
	stored, err := t.existing(ctx, s, ids)
	if err != nil {
		return fail(err)
	}
	v := t.db.currentVault()
	var (
		wIDs, hashes, actions []string
		cursors               []int64
		payloads              [][]byte
		unchanged             []string
		live                  int
	)
	var rehashIDs, rehashes []string
	for _, rec := range recs {
		digest := v.Digest(rec.Payload)
		action := store.RecordUpdated
		switch old, ok := stored[rec.ID]; {
		case ok && keepAbove != 0 && old.cursor > keepAbove:
			// Changed by another writer (a webhook) since this run last
			// wrote: its version is newer than the run's.
			skipped++
			continue
		case !ok:
			action = store.RecordAdded
			counts.Added++
			live++
		case old.deleted:
			counts.Updated++
			live++
		case old.hash != digest && old.hash == plainDigest(rec.Payload):
			// Unchanged, saved before digests were keyed: it gets its
			// keyed digest, and stays as it was otherwise.
			rehashIDs, rehashes = append(rehashIDs, rec.ID), append(rehashes, digest)
			unchanged = append(unchanged, rec.ID)
			continue
		case old.hash != digest:
			counts.Updated++
		default:
			unchanged = append(unchanged, rec.ID)
			continue
		}
		st.last++
		wIDs, hashes, actions = append(wIDs, rec.ID), append(hashes, digest), append(actions, action)
		cursors = append(cursors, st.last)
		payloads = append(payloads, v.Seal(rec.Payload, recordAAD(s.ConnectionRef, s.Model, s.Variant, rec.ID)))
	}
	if len(wIDs) > 0 {
		scalars := []any{s.EnvironmentID, s.ConnectionRef, s.Model, s.Variant, t.db.now(), generation, st.id}
		if _, err := t.db.execBatch(ctx, t.tx, "UpsertRecords", scalars, wIDs, cursors, payloads, hashes, actions); err != nil {
			return fail(err)
		}
		if err := t.save(ctx, s, st, live); err != nil {
			return fail(err)
		}
	}
	if len(rehashIDs) > 0 {
		if _, err := t.db.execBatch(ctx, t.tx, "RehashRecords", []any{s.ConnectionRef, s.Model, s.Variant}, rehashIDs, rehashes); err != nil {
			return fail(err)
		}
	}
	if len(unchanged) > 0 {
		// Unchanged records keep their cursor and metadata: only the
		// generation and last_seen_at (retention) say they were seen.
		list, err := t.db.listArg(unchanged)
		if err != nil {
			return fail(err)
		}
		if _, err := t.db.txExec(ctx, t.tx, "TouchRecords", generation, s.ConnectionRef, s.Model, s.Variant, list, t.db.now()); err != nil {
			return fail(err)
		}
	}
	return counts, skipped, st.last, nil
}

func (t *recordTx) Payloads(ctx context.Context, s store.RecordScope, ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := checkScope(s); err != nil {
		return nil, err
	}
	list, err := t.db.listArg(ids)
	if err != nil {
		return nil, err
	}
	rows, err := t.db.txQuery(ctx, t.tx, "RecordPayloads", s.ConnectionRef, s.Model, s.Variant, list)
	if err != nil {
		return nil, fmt.Errorf("read %s records: %w", s.Model, err)
	}
	defer rows.Close()
	v := t.db.currentVault()
	for rows.Next() {
		var id string
		var sealed sql.RawBytes
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, fmt.Errorf("read %s records: %w", s.Model, err)
		}
		plain, err := v.Open(sealed, recordAAD(s.ConnectionRef, s.Model, s.Variant, id))
		if err != nil {
			// As lists do: one record that cannot be opened must not stop
			// the sync; it reads as missing, and shows in the count.
			t.db.skipUnreadable(ctx, "record payloads", "records", id, "payload", err,
				"connection_ref", s.ConnectionRef, "model", s.Model, "variant", s.Variant)
			continue
		}
		out[id] = plain
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s records: %w", s.Model, err)
	}
	return out, nil
}

func (t *recordTx) Delete(ctx context.Context, s store.RecordScope, ids []string, generation int64) (int, error) {
	if len(ids) == 0 {
		return 0, checkScope(s)
	}
	fail := func(err error) (int, error) { return 0, fmt.Errorf("delete %s records: %w", s.Model, err) }
	st, err := t.lock(ctx, s)
	if err != nil {
		return fail(err)
	}
	stored, err := t.existing(ctx, s, ids)
	if err != nil {
		return fail(err)
	}
	var live []string
	var cursors []int64
	for _, id := range ids {
		if old, ok := stored[id]; ok && !old.deleted {
			st.last++
			live, cursors = append(live, id), append(cursors, st.last)
			stored[id] = storedRecordState{deleted: true} // an id given twice is deleted once
		}
	}
	if len(live) == 0 {
		return 0, nil
	}
	scalars := []any{t.db.now(), generation, s.ConnectionRef, s.Model, s.Variant}
	if _, err := t.db.execBatch(ctx, t.tx, "DeleteRecords", scalars, live, cursors); err != nil {
		return fail(err)
	}
	if err := t.save(ctx, s, st, -len(live)); err != nil {
		return fail(err)
	}
	return len(live), nil
}

func (t *recordTx) DeleteUnseen(ctx context.Context, s store.RecordScope, generation int64) (int, error) {
	fail := func(err error) (int, error) { return 0, fmt.Errorf("delete unseen %s records: %w", s.Model, err) }
	st, err := t.lock(ctx, s)
	if err != nil {
		return fail(err)
	}
	res, err := t.tx.ExecContext(ctx, t.db.q("DeleteUnseenRecords"), t.db.now(), st.last, s.ConnectionRef, s.Model, s.Variant, generation)
	if err != nil {
		return fail(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return 0, nil
	}
	st.last += n
	if err := t.save(ctx, s, st, -int(n)); err != nil {
		return fail(err)
	}
	return int(n), nil
}

// Hold implements store.RecordTx.
func (t *recordTx) Hold(ctx context.Context, instanceID, leaseOwner string, until time.Time) error {
	if !isUUID(instanceID) || leaseOwner == "" {
		return fmt.Errorf("sync instance %s: %w", instanceID, store.ErrLeaseLost)
	}
	res, err := t.db.txExec(ctx, t.tx, "HoldSyncLease", until.UTC(), instanceID, leaseOwner)
	if err != nil {
		return fmt.Errorf("hold the lease of sync instance %s: %w", instanceID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("hold the lease of sync instance %s: %w", instanceID, err)
	} else if n == 0 {
		return fmt.Errorf("sync instance %s: %w", instanceID, store.ErrLeaseLost)
	}
	return nil
}

func (t *recordTx) SetCheckpoint(ctx context.Context, instanceID string, checkpoint []byte) error {
	return setCheckpoint(ctx, t.db, t.tx, instanceID, checkpoint)
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func setCheckpoint(ctx context.Context, db *DB, ex execer, instanceID string, checkpoint []byte) error {
	if !isUUID(instanceID) {
		return fmt.Errorf("set checkpoint of sync instance %s: %w", instanceID, store.ErrNotFound)
	}
	var sealed any
	if checkpoint != nil {
		sealed = db.seal(checkpoint, "sync_instances", "checkpoint", instanceID)
	}
	var res sql.Result
	var err error
	if tx, ok := ex.(*sql.Tx); ok {
		res, err = db.txExec(ctx, tx, "SetSyncCheckpoint", sealed, instanceID)
	} else {
		res, err = ex.ExecContext(ctx, db.q("SetSyncCheckpoint"), sealed, instanceID)
	}
	if err != nil {
		return fmt.Errorf("set checkpoint of sync instance %s: %w", instanceID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set checkpoint of sync instance %s: %w", instanceID, err)
	} else if n == 0 {
		return fmt.Errorf("set checkpoint of sync instance %s: %w", instanceID, store.ErrNotFound)
	}
	return nil
}

// defaultRecordLimit is List's page when the query sets none.
const defaultRecordLimit = 100

func (r records) List(ctx context.Context, q store.RecordQuery) ([]*store.Record, error) {
	out := []*store.Record{}
	s := q.Scope
	if !isUUID(s.ConnectionRef) {
		return out, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultRecordLimit
	}
	actions, err := r.db.listArg(q.Actions)
	if err != nil {
		return nil, err
	}
	query, args := "ListRecords", []any{s.ConnectionRef, s.Model, s.Variant, q.After, nullTime(q.ModifiedAfter), actions, limit}
	if q.IDs != nil {
		ids, err := r.db.listArg(unique(q.IDs))
		if err != nil {
			return nil, err
		}
		query, args = "ListRecordsByIDs", append(args, ids)
	}
	rows, err := r.db.readQuery(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s records: %w", s.Model, err)
	}
	defer rows.Close()
	read := make([]*store.Record, 0, min(limit, 1024))
	// The payloads are opened (AES-GCM) by a second goroutine, a batch at
	// a time, while this one reads the next rows: a page is one client's
	// wait, and the two halves take about as long as each other.
	o := newRecordOpener(ctx, r.db, s, limit >= openAsideFrom)
	defer o.stop()
	for rows.Next() {
		rec := &store.Record{}
		var sealed []byte
		var first, modified, deleted dbTime
		if err := rows.Scan(&rec.ID, &sealed, &first, &modified, &rec.LastAction, &deleted, &rec.Cursor); err != nil {
			return nil, fmt.Errorf("list %s records: %w", s.Model, err)
		}
		rec.FirstSeenAt, rec.LastModifiedAt = first.Time, modified.Time
		if deleted.Valid {
			rec.DeletedAt = &deleted.Time
		}
		// Payload holds the sealed bytes until opened.
		rec.Payload = sealed
		read = append(read, rec)
		o.add(rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s records: %w", s.Model, err)
	}
	o.stop()
	out = read[:0]
	for _, rec := range read {
		if rec.Cursor != unreadableRecord {
			out = append(out, rec)
		}
	}
	return out, nil
}

// openAsideFrom is the page size from which payloads are opened by a
// second goroutine; below it, the hand-over costs more than it saves.
const openAsideFrom = 256

// openBatch is how many records the opener takes at a time.
const openBatch = 128

// unreadableRecord marks, in Cursor, a record whose payload did not open
// (it is left out of the page and counted).
const unreadableRecord = -1

// recordOpener opens the sealed payloads of a page's records in place,
// beside the reading or, for small pages, as they are read.
type recordOpener struct {
	ctx     context.Context
	db      *DB
	v       *vault.Vault
	s       store.RecordScope
	batch   []*store.Record
	batches chan []*store.Record
	done    chan struct{}
	stopped bool
}

func newRecordOpener(ctx context.Context, db *DB, s store.RecordScope, aside bool) *recordOpener {
	o := &recordOpener{ctx: ctx, db: db, v: db.currentVault(), s: s}
	if aside {
		o.batches, o.done = make(chan []*store.Record, 4), make(chan struct{})
		go func() {
			defer close(o.done)
			for b := range o.batches {
				for _, rec := range b {
					o.open(rec)
				}
			}
		}()
	}
	return o
}

// add queues rec's payload to be opened.
func (o *recordOpener) add(rec *store.Record) {
	if o.batches == nil {
		o.open(rec)
		return
	}
	o.batch = append(o.batch, rec)
	if len(o.batch) == openBatch {
		o.batches <- o.batch
		o.batch = make([]*store.Record, 0, openBatch)
	}
}

// stop opens what is queued and waits until every payload is open; it
// may be called again.
func (o *recordOpener) stop() {
	if o.batches == nil || o.stopped {
		return
	}
	o.stopped = true
	if len(o.batch) > 0 {
		o.batches <- o.batch
	}
	close(o.batches)
	<-o.done
}

func (o *recordOpener) open(rec *store.Record) {
	if rec.Payload == nil {
		return // pruned
	}
	plain, err := o.v.Open(rec.Payload, recordAAD(o.s.ConnectionRef, o.s.Model, o.s.Variant, rec.ID))
	if err != nil {
		o.db.skipUnreadable(o.ctx, "records", "records", rec.ID, "payload", err,
			"connection_ref", o.s.ConnectionRef, "model", o.s.Model, "variant", o.s.Variant)
		rec.Payload, rec.Cursor = nil, unreadableRecord
		return
	}
	rec.Payload = plain
}

func (r records) Counts(ctx context.Context, connectionRef, variant string) (map[string]int64, error) {
	out := map[string]int64{}
	if !isUUID(connectionRef) {
		return out, nil
	}
	rows, err := r.db.read.QueryContext(ctx, r.db.q("RecordCounts"), connectionRef, variant)
	if err != nil {
		return nil, fmt.Errorf("count records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var model string
		var n int64
		if err := rows.Scan(&model, &n); err != nil {
			return nil, fmt.Errorf("count records: %w", err)
		}
		out[model] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count records: %w", err)
	}
	return out, nil
}

func (r records) Prune(ctx context.Context, s store.RecordScope, upTo int64, limit int) (int, error) {
	if limit <= 0 {
		return 0, errors.New("prune records: the limit must be positive")
	}
	if !isUUID(s.ConnectionRef) {
		return 0, nil
	}
	var n int64
	err := r.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := drain(tx.QueryContext(ctx, r.db.q("LockRecordScopes"), s.ConnectionRef, s.Model, s.Variant)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, r.db.q("PruneRecords"), s.ConnectionRef, s.Model, s.Variant, upTo, limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune %s records: %w", s.Model, err)
	}
	return int(n), nil
}

// drain reads a result to its end: a locking SELECT's rows are locked
// once read.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	return errors.Join(rows.Err(), rows.Close())
}

// unique is ids without repeats, in their order.
func unique(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

func (r records) Purge(ctx context.Context, p store.RecordPurge, limit int) (int, error) {
	if limit <= 0 {
		return 0, errors.New("purge records: the limit must be positive")
	}
	if p.OrphansOf == "" && p.ConnectionRef == "" {
		return 0, errors.New("purge records: no connection and no environment")
	}
	total := 0
	err := r.db.inTx(ctx, func(tx *sql.Tx) error {
		total = 0
		if p.OrphansOf == "" {
			n, err := r.purgeConnection(ctx, tx, p.ConnectionRef, p.Model, p.Variant, p.UntouchedBefore, limit)
			total = n
			return err
		}
		if !isUUID(p.OrphansOf) {
			return nil
		}
		refs, err := stringsOf(tx.QueryContext(ctx, r.db.q("OrphanRecordConnections"), p.OrphansOf))
		if err != nil {
			return err
		}
		for _, ref := range refs {
			if total >= limit {
				break
			}
			n, err := r.purgeConnection(ctx, tx, ref, "", "", p.UntouchedBefore, limit-total)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge records: %w", err)
	}
	return total, nil
}

// purgeConnection removes up to limit of a connection's selected records
// and returns how many. Once a deleted connection's selection is
// exhausted, its emptied scopes go too.
func (r records) purgeConnection(ctx context.Context, tx *sql.Tx, ref, model, variant string, untouchedBefore *time.Time, limit int) (int, error) {
	if !isUUID(ref) {
		return 0, nil
	}
	if err := drain(tx.QueryContext(ctx, r.db.q("LockRecordScopes"), ref, nullString(model), nullString(variant))); err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, r.db.q("PurgeRecords"), ref, nullString(model), nullString(variant), nullTime(untouchedBefore), limit)
	if err != nil {
		return 0, err
	}
	type scope struct{ model, variant string }
	live := map[scope]int{}
	n := 0
	for rows.Next() {
		var sc scope
		var wasLive bool
		if err := rows.Scan(&sc.model, &sc.variant, &wasLive); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		if wasLive {
			live[sc]++
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for sc, k := range live {
		if _, err := tx.ExecContext(ctx, r.db.q("ReleaseRecordLive"), k, ref, sc.model, sc.variant); err != nil {
			return 0, err
		}
	}
	if n == limit {
		return n, nil
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, r.db.q("ConnectionExists"), ref).Scan(&exists); err != nil || exists {
		// A live connection keeps its scopes, and with them its cursors:
		// records saved again later must not restart below what a client
		// already read.
		return n, err
	}
	srows, err := tx.QueryContext(ctx, r.db.q("ListRecordScopes"), ref, nullString(model), nullString(variant))
	if err != nil {
		return 0, err
	}
	type scopeCursor struct {
		scope
		last int64
	}
	var scopes []scopeCursor
	for srows.Next() {
		var sc scopeCursor
		if err := srows.Scan(&sc.model, &sc.variant, &sc.last); err != nil {
			srows.Close()
			return 0, err
		}
		scopes = append(scopes, sc)
	}
	if err := errors.Join(srows.Err(), srows.Close()); err != nil {
		return 0, err
	}
	for _, sc := range scopes {
		if _, err := tx.ExecContext(ctx, r.db.q("DeleteRecordScope"), ref, sc.model, sc.variant, sc.last); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// skipUnreadable counts and reports a row a read leaves out because its
// column cannot be decoded.
func (db *DB) skipUnreadable(ctx context.Context, list, table, id, column string, err error, attrs ...any) {
	db.unreadable.Add(1)
	db.skipped(ctx, list, &store.UnreadableError{Table: table, ID: id, Column: column, Err: err}, attrs...)
}

// stringsOf reads a one-column result.
func stringsOf(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// resealPage is how many records key rotation re-encrypts per statement.
const resealPage = 1000

// resealRecords re-encrypts every record payload, a page at a time so
// memory stays flat however many records there are. Their ciphertexts are
// bound to four columns, which reseal's one-id shape does not fit.
func (db *DB) resealRecords(ctx context.Context, tx *sql.Tx, old, next *vault.Vault) error {
	// Writers wait for the rotation's commit (see LockRecordScope).
	if err := drain(tx.QueryContext(ctx, db.q("LockAllRecordScopes"))); err != nil {
		return err
	}
	first := true
	after := [4]string{"00000000-0000-0000-0000-000000000000", "", "", ""}
	for {
		rows, err := tx.QueryContext(ctx, db.q("ListSealedRecords"), after[0], after[1], after[2], after[3], first, resealPage)
		if err != nil {
			return err
		}
		var refs, models, variants, ids, digests []string
		var payloads [][]byte
		for rows.Next() {
			var ref, model, variant, id string
			var sealed []byte
			if err := rows.Scan(&ref, &model, &variant, &id, &sealed); err != nil {
				rows.Close()
				return err
			}
			aad := recordAAD(ref, model, variant, id)
			plain, err := old.Open(sealed, aad)
			if err != nil {
				rows.Close()
				return fmt.Errorf("decrypt the payload of record %s of %s/%s/%s: %w", id, ref, model, variant, err)
			}
			refs, models, variants, ids = append(refs, ref), append(models, model), append(variants, variant), append(ids, id)
			payloads = append(payloads, next.Seal(plain, aad))
			// The digest is keyed too: under the new key, so that a
			// record saved unchanged after the rotation reads unchanged.
			digests = append(digests, next.Digest(plain))
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := db.execBatch(ctx, tx, "ResealRecords", nil, refs, models, variants, ids, payloads, digests); err != nil {
			return err
		}
		last := len(ids) - 1
		after, first = [4]string{refs[last], models[last], variants[last], ids[last]}, false
		if len(ids) < resealPage {
			return nil
		}
	}
}
