package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// flushAfter is how many records a writer holds before it writes them
// without waiting for a checkpoint: it bounds a run's memory. Writing
// records ahead of a checkpoint is safe (a resumed run saves them again,
// unchanged); the reverse is what must never happen.
const flushAfter = 10_000

type opKind uint8

const (
	opSave opKind = iota
	opUpdate
	opDelete
	opDeleteUnseen
)

type op struct {
	kind   opKind
	model  string
	writes []store.RecordWrite
	ids    []string
	// raw holds a save's records still to be checked against schema
	// (SaveChecked), done by the background writer; invalid hears of those
	// it leaves out.
	raw     []json.RawMessage
	schema  *Schema
	invalid func([]*Invalid)
}

// Writer collects the record writes of one sync run and writes them, in
// order, together with the checkpoint saved after them, in one
// transaction: a checkpoint is never stored ahead of the records saved
// before it.
//
// Writes happen behind the run: Checkpoint hands the records queued so far
// and the checkpoint to a background writer and returns, so the function
// fetches its next page while the last one is written (at most
// maxInFlight units wait; more blocks the function). Units queued while a
// write goes on are joined into the next transaction. A write that fails
// makes every later one a no-op (a later checkpoint would cover records
// that were never written) and is returned by the next call.
//
// It is safe for concurrent use (a function may run its record calls
// without awaiting each). Close it when the run ends.
type Writer struct {
	store      store.Records
	base       store.RecordScope // environment, connection and variant
	instanceID string
	leaseOwner string
	leaseTTL   time.Duration
	generation int64
	ctx        context.Context // the background writes'

	send  sync.Mutex // orders hand-offs: taking the ops and sending them
	units chan unit
	done  chan struct{}

	mu   sync.Mutex
	idle *sync.Cond
	// keepNewer holds, per model saved with "ignore_if_modified_after_
	// cursor", the scope's last cursor as of the run's last write: a
	// stored record above it was changed by another writer since.
	keepNewer map[string]int64
	// Skipped counts the records left alone for being newer.
	skipped  int
	ops      []op
	pending  int
	inFlight int
	closed   bool
	err      error
	counts   map[string]store.RecordCounts
}

// unit is what one hand-off writes: records, then maybe a checkpoint.
type unit struct {
	ops            []op
	checkpoint     []byte
	withCheckpoint bool
}

// maxInFlight bounds the units handed off and not yet written.
const maxInFlight = 4

// Writer returns the writer of one run of a sync instance: records go to
// base's connection and variant, marked seen at generation, and every
// write first checks that leaseOwner still holds the instance's run and
// extends its lease by leaseTTL (leaseOwner "": no check).
func (s *Service) Writer(ctx context.Context, base store.RecordScope, instanceID, leaseOwner string, leaseTTL time.Duration, generation int64) *Writer {
	if base.Variant == "" {
		base.Variant = store.DefaultVariant
	}
	w := &Writer{store: s.store, base: base, instanceID: instanceID, leaseOwner: leaseOwner, leaseTTL: leaseTTL, generation: generation,
		ctx: context.WithoutCancel(ctx), units: make(chan unit, maxInFlight), done: make(chan struct{}),
		counts: map[string]store.RecordCounts{}}
	w.idle = sync.NewCond(&w.mu)
	go w.background()
	return w
}
func (w *Writer) scope(model string) store.RecordScope {
	s := w.base
	s.Model = model
	return s
}

func refuse(code, format string, args ...any) *Error {
	return &Error{Kind: fault.Invalid, Code: code, Message: fmt.Sprintf(format, args...)}
}

// checkWrites pairs ids with payloads and checks both.
func checkWrites(model string, ids []string, payloads []json.RawMessage) ([]store.RecordWrite, error) {
	if len(ids) != len(payloads) {
		return nil, refuse("invalid_records", "%s: %d ids for %d records", model, len(ids), len(payloads))
	}
	out := make([]store.RecordWrite, len(ids))
	for i, id := range ids {
		if id == "" || len(id) > MaxIDLength {
			return nil, refuse("invalid_record_id", "%s: a record's id must have 1 to %d characters (record %d of the batch)", model, MaxIDLength, i)
		}
		if len(payloads[i]) > MaxRecordBytes {
			return nil, refuse("record_too_large", "%s: record %s is %d bytes; a record may have at most 1 MiB", model, id, len(payloads[i]))
		}
		out[i] = store.RecordWrite{ID: id, Payload: payloads[i]}
	}
	return out, nil
}

// SaveChecked queues records of model (batchSave) to be checked against
// schema behind the run, off the function's path: a record the schema
// refuses, or over MaxRecordBytes, is left out and reported to invalid
// (called from the background writer).
func (w *Writer) SaveChecked(ctx context.Context, model string, schema *Schema, payloads []json.RawMessage, invalid func([]*Invalid)) error {
	return w.queue(ctx, op{kind: opSave, model: model, raw: payloads, schema: schema, invalid: invalid})
}

// check turns a SaveChecked op into writes.
func (o *op) check() {
	if o.raw == nil {
		return
	}
	ids, valid, bad := o.schema.Check(o.raw)
	o.writes = make([]store.RecordWrite, 0, len(valid))
	for i, id := range ids {
		if len(valid[i]) > MaxRecordBytes {
			bad = append(bad, &Invalid{Index: -1, ID: id, Problems: []string{fmt.Sprintf("the record is %d bytes; a record may have at most 1 MiB", len(valid[i]))}})
			continue
		}
		o.writes = append(o.writes, store.RecordWrite{ID: id, Payload: valid[i]})
	}
	if len(bad) > 0 && o.invalid != nil {
		o.invalid(bad)
	}
	o.raw = nil
}

// Update queues partial records of model (batchUpdate): each is merged
// into the stored record with its id; ids not stored are skipped.
func (w *Writer) Update(ctx context.Context, model string, ids []string, payloads []json.RawMessage) error {
	writes, err := checkWrites(model, ids, payloads)
	if err != nil {
		return err
	}
	return w.queue(ctx, op{kind: opUpdate, model: model, writes: writes})
}

// Delete queues the soft deletion of ids of model (batchDelete).
func (w *Writer) Delete(ctx context.Context, model string, ids []string) error {
	for _, id := range ids {
		if id == "" || len(id) > MaxIDLength {
			return refuse("invalid_record_id", "%s: a record's id must have 1 to %d characters", model, MaxIDLength)
		}
	}
	return w.queue(ctx, op{kind: opDelete, model: model, ids: ids})
}

// DeleteUnseen queues the deletion of model's records this run has not
// saved (deleteRecordsFromPreviousExecutions, trackDeletesEnd).
func (w *Writer) DeleteUnseen(ctx context.Context, model string) error {
	return w.queue(ctx, op{kind: opDeleteUnseen, model: model})
}

func (w *Writer) queue(_ context.Context, o op) error {
	w.mu.Lock()
	if w.err != nil {
		defer w.mu.Unlock()
		return w.err
	}
	w.ops = append(w.ops, o)
	w.pending += max(len(o.writes), len(o.ids), len(o.raw), 1)
	full := w.pending >= flushAfter
	w.mu.Unlock()
	if full {
		return w.handOff(nil, false)
	}
	return nil
}

// handOff gives the queued ops (and the checkpoint) to the background
// writer.
func (w *Writer) handOff(checkpoint []byte, withCheckpoint bool) error {
	w.send.Lock()
	defer w.send.Unlock()
	w.mu.Lock()
	if w.err != nil || w.closed {
		err := w.err
		if err == nil {
			err = errors.New("the run's record writer is closed")
		}
		w.mu.Unlock()
		return err
	}
	if len(w.ops) == 0 && !withCheckpoint {
		w.mu.Unlock()
		return nil
	}
	u := unit{ops: w.ops, checkpoint: checkpoint, withCheckpoint: withCheckpoint}
	w.ops, w.pending = nil, 0
	w.inFlight++
	w.mu.Unlock()
	w.units <- u // blocks while maxInFlight units wait: the backpressure
	return nil
}

// Checkpoint hands what is queued and the checkpoint (nil clears it) to
// be written in one transaction, after everything handed off before.
func (w *Writer) Checkpoint(_ context.Context, checkpoint []byte) error {
	return w.handOff(checkpoint, true)
}

// listLimit is the page size of nango.listRecords: pages are rendered
// whole, so a sync walking a large model holds one page at a time.
const listLimit = 1000

// List returns a page of model's records after cursor ("" for the first)
// as GET /records renders them (a deleted one with its deleted_at), for
// nango.listRecords. What the run queued is written first, so its own
// saves are listed too.
func (w *Writer) List(ctx context.Context, model, cursor string) (*Page, error) {
	q := store.RecordQuery{Scope: w.scope(model), Limit: listLimit}
	if cursor != "" {
		c, err := DecodeCursor(cursor)
		if err != nil {
			return nil, refuse("invalid_cursor", "listRecords: %v", err)
		}
		q.After = c
	}
	if err := w.Flush(ctx); err != nil {
		return nil, err
	}
	return New(w.store).List(ctx, q)
}

// Flush writes what is queued and waits until everything handed off is
// written; it returns the first write's failure, if any.
func (w *Writer) Flush(context.Context) error {
	if err := w.handOff(nil, false); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.inFlight > 0 {
		w.idle.Wait()
	}
	return w.err
}

// SetMerging turns "ignore_if_modified_after_cursor" on or off for the
// run's later saves of model. Turning it on writes what is queued, then
// notes the scope's last cursor: from there, a record another writer
// changes is not overwritten by this run.
func (w *Writer) SetMerging(ctx context.Context, model string, keepNewer bool) error {
	if err := w.Flush(ctx); err != nil {
		return err
	}
	if !keepNewer {
		w.mu.Lock()
		delete(w.keepNewer, model)
		w.mu.Unlock()
		return nil
	}
	var last int64
	err := w.store.Write(ctx, func(tx store.RecordTx) error {
		var err error
		_, _, last, err = tx.UpsertUnlessNewer(ctx, w.scope(model), nil, w.generation, 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("set the merging strategy of %s: %w", model, err)
	}
	w.mu.Lock()
	if w.keepNewer == nil {
		w.keepNewer = map[string]int64{}
	}
	w.keepNewer[model] = last
	w.mu.Unlock()
	return nil
}

// Skipped counts the records saves left alone because another writer
// changed them during the run.
func (w *Writer) Skipped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.skipped
}

// Close stops the background writer once what was handed off is written
// (what is only queued is dropped: Flush first to keep it).
func (w *Writer) Close() {
	w.send.Lock()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.send.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.units)
	w.send.Unlock()
	<-w.done
}

// Counts returns what the writes so far changed, per model.
func (w *Writer) Counts() map[string]store.RecordCounts {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.counts)
}

// Get returns the stored records of model with these ids, deleted ones
// included, after writing what is queued (getRecordsByIds).
func (w *Writer) Get(ctx context.Context, model string, ids []string) ([]*store.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > maxIDs {
		return nil, refuse("invalid_arguments", "getRecordsByIds: at most %d ids per call, got %d", maxIDs, len(ids))
	}
	if err := w.Flush(ctx); err != nil {
		return nil, err
	}
	recs, err := w.store.List(ctx, store.RecordQuery{Scope: w.scope(model), IDs: ids, Limit: len(ids)})
	if err != nil {
		return nil, fmt.Errorf("read records of %s: %w", model, err)
	}
	return recs, nil
}

// background writes the units handed off, joining those that wait into
// one transaction.
func (w *Writer) background() {
	defer close(w.done)
	for u := range w.units {
		batch := []unit{u}
	join:
		for {
			select {
			case next, ok := <-w.units:
				if !ok {
					break join
				}
				batch = append(batch, next)
			default:
				break join
			}
		}
		w.mu.Lock()
		failed := w.err != nil
		w.mu.Unlock()
		var counts map[string]store.RecordCounts
		var err error
		if !failed {
			// Outside the transaction: on SQLite it holds the one writer.
			for i := range batch {
				for j := range batch[i].ops {
					batch[i].ops[j].check()
				}
			}
			counts, err = w.write(batch)
		}
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		for m, c := range counts {
			w.counts[m] = w.counts[m].Add(c)
		}
		w.inFlight -= len(batch)
		w.idle.Broadcast()
		w.mu.Unlock()
	}
}

// write writes units in one transaction: their records in order, then
// the last checkpoint among them.
func (w *Writer) write(units []unit) (map[string]store.RecordCounts, error) {
	ctx := w.ctx
	var ops []op
	var checkpoint []byte
	withCheckpoint := false
	for _, u := range units {
		ops = append(ops, u.ops...)
		if u.withCheckpoint {
			checkpoint, withCheckpoint = u.checkpoint, true
		}
	}
	counts := map[string]store.RecordCounts{}
	err := w.store.Write(ctx, func(tx store.RecordTx) error {
		if w.leaseOwner != "" {
			if err := tx.Hold(ctx, w.instanceID, w.leaseOwner, time.Now().Add(w.leaseTTL)); err != nil {
				return err
			}
		}
		for _, g := range coalesce(ops) {
			c, err := w.apply(ctx, tx, g)
			if err != nil {
				return err
			}
			counts[g.model] = counts[g.model].Add(c)
		}
		if withCheckpoint {
			return tx.SetCheckpoint(ctx, w.instanceID, checkpoint)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write records: %w", err)
	}
	return counts, nil
}

func (w *Writer) apply(ctx context.Context, tx store.RecordTx, o op) (store.RecordCounts, error) {
	scope := w.scope(o.model)
	switch o.kind {
	case opSave:
		w.mu.Lock()
		after, keep := w.keepNewer[o.model]
		w.mu.Unlock()
		if !keep {
			return tx.Upsert(ctx, scope, o.writes, w.generation)
		}
		c, skipped, last, err := tx.UpsertUnlessNewer(ctx, scope, o.writes, w.generation, after)
		if err == nil {
			// Noted now, though the transaction may yet fail: a failed
			// write stops the writer for good.
			w.mu.Lock()
			w.keepNewer[o.model], w.skipped = last, w.skipped+skipped
			w.mu.Unlock()
		}
		return c, err
	case opUpdate:
		ids := make([]string, len(o.writes))
		for i, wr := range o.writes {
			ids[i] = wr.ID
		}
		stored, err := tx.Payloads(ctx, scope, ids)
		if err != nil {
			return store.RecordCounts{}, err
		}
		merged := make([]store.RecordWrite, 0, len(o.writes))
		for _, wr := range o.writes {
			old, ok := stored[wr.ID]
			if !ok {
				continue
			}
			m, err := merge(old, wr.Payload)
			if err != nil {
				return store.RecordCounts{}, refuse("invalid_records", "%s: record %s: %v", o.model, wr.ID, err)
			}
			merged = append(merged, store.RecordWrite{ID: wr.ID, Payload: m})
		}
		return tx.Upsert(ctx, scope, merged, w.generation)
	case opDelete:
		n, err := tx.Delete(ctx, scope, o.ids, w.generation)
		return store.RecordCounts{Deleted: n}, err
	default:
		n, err := tx.DeleteUnseen(ctx, scope, w.generation)
		return store.RecordCounts{Deleted: n}, err
	}
}

// coalesce joins consecutive saves of one model into one write, the
// last save of an id winning, so a flush costs a few statements per model
// rather than per batchSave call.
func coalesce(ops []op) []op {
	out := make([]op, 0, len(ops))
	for i := 0; i < len(ops); {
		o := ops[i]
		j := i + 1
		if o.kind == opSave {
			for j < len(ops) && ops[j].kind == opSave && ops[j].model == o.model {
				j++
			}
		}
		if o.kind == opSave && (j > i+1 || hasDuplicates(o.writes)) {
			o = op{kind: opSave, model: o.model, writes: lastWins(ops[i:j])}
		}
		out = append(out, o)
		i = j
	}
	return out
}

func hasDuplicates(ws []store.RecordWrite) bool {
	if len(ws) < 2 {
		return false
	}
	seen := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		if _, dup := seen[w.ID]; dup {
			return true
		}
		seen[w.ID] = struct{}{}
	}
	return false
}

func lastWins(ops []op) []store.RecordWrite {
	n := 0
	for _, o := range ops {
		n += len(o.writes)
	}
	at := make(map[string]int, n)
	out := make([]store.RecordWrite, 0, n)
	for _, o := range ops {
		for _, w := range o.writes {
			if i, ok := at[w.ID]; ok {
				out[i] = w
				continue
			}
			at[w.ID] = len(out)
			out = append(out, w)
		}
	}
	return out
}

// merge is batchUpdate's merge: the update's top-level fields replace the
// stored record's.
func merge(stored, update []byte) ([]byte, error) {
	var base, patch map[string]json.RawMessage
	if err := json.Unmarshal(stored, &base); err != nil {
		return nil, fmt.Errorf("the stored record is not an object: %w", err)
	}
	if err := json.Unmarshal(update, &patch); err != nil {
		return nil, fmt.Errorf("the update is not an object: %w", err)
	}
	if base == nil {
		base = map[string]json.RawMessage{}
	}
	maps.Copy(base, patch)
	return json.Marshal(base)
}
