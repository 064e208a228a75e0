package syncs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/store"
)

// maxCheckpointBytes bounds a checkpoint: it is read and written whole
// at every page of a run.
const maxCheckpointBytes = 64 << 10

// runSync is one run's side of the functions host (serverhost.Sync): its
// records through a records.Writer, its checkpoint in the instance.
type runSync struct {
	s      *Service
	in     *store.SyncInstance
	writer *records.Writer
	models map[string]json.RawMessage
	// schemas check saved records, per model.
	schemas map[string]*records.Schema
	// log reports a skipped record in the run's log.
	log func(level, message string)

	mu sync.Mutex
	// invalid counts the records this attempt skipped as invalid, per
	// model; the writer reports some from behind the run, hence mu.
	invalid map[string]int
	// tracked are the models whose deletions are detected when the run
	// succeeds (trackDeletesEnd, deleteRecordsFromPreviousExecutions):
	// done then, not when called, so a run that fails after calling them
	// deletes nothing.
	tracked map[string]bool
}

// counts are the run's changes so far: the earlier attempts' (a resumed
// run) plus this one's.
func (r *runSync) counts() map[string]store.RecordCounts {
	out := maps.Clone(r.in.RunResult)
	if out == nil {
		out = map[string]store.RecordCounts{}
	}
	for m, c := range r.writer.Counts() {
		out[m] = out[m].Add(c)
	}
	return out
}

// invalidCounts are the records the run skipped as invalid so far, per
// model: the earlier attempts' (a resumed run) plus this one's, as counts
// does for changes. Nil when none.
func (r *runSync) invalidCounts() map[string]int {
	out := maps.Clone(r.in.RunInvalid)
	r.mu.Lock()
	defer r.mu.Unlock()
	for m, n := range r.invalid {
		if out == nil {
			out = map[string]int{}
		}
		out[m] += n
	}
	return out
}

// addInvalid counts n records of model skipped as invalid.
func (r *runSync) addInvalid(model string, n int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.invalid == nil {
		r.invalid = map[string]int{}
	}
	r.invalid[model] += n
}

// hostErr hands a refused record operation (a records.Error) to the
// function as a host error of its kind and code.
func hostErr(err error) error {
	if e, ok := err.(*records.Error); ok {
		return &functions.HostError{Kind: e.Kind, Code: e.Code, Message: e.Message}
	}
	return err
}

func (r *runSync) checkModel(model string) error {
	if len(r.models) == 0 {
		return nil
	}
	if _, ok := r.models[model]; !ok {
		return &functions.HostError{Kind: fault.Invalid, Code: "unknown_model", Message: fmt.Sprintf("the sync declares no model %s", model)}
	}
	return nil
}

// Records implements serverhost.Sync.
func (r *runSync) Records(ctx context.Context, op *functions.RecordOp) error {
	if err := r.checkModel(op.Model); err != nil {
		return err
	}
	r.addInvalid(op.Model, op.Invalid)
	switch op.Op {
	case functions.RecordsSave, functions.RecordsUpdate, functions.RecordsDelete:
		// Saved records must fit their model, which the writer checks
		// behind the run; updates and deletions carry only some fields, so
		// only their ids are checked, here.
		if op.Op == functions.RecordsSave {
			schema := anyRecord
			if r.schemas[op.Model] != nil {
				schema = r.schemas[op.Model]
			}
			return hostErr(r.writer.SaveChecked(ctx, op.Model, schema, op.Records, func(invalid []*records.Invalid) {
				r.skipped(op.Op, op.Model, invalid)
			}))
		}
		ids, valid, invalid := anyRecord.Check(op.Records)
		r.skipped(op.Op, op.Model, invalid)
		switch op.Op {
		case functions.RecordsUpdate:
			return hostErr(r.writer.Update(ctx, op.Model, ids, valid))
		default:
			return hostErr(r.writer.Delete(ctx, op.Model, ids))
		}
	case functions.RecordsTrackDeletesStart:
		return nil // the run's generation marks what it saves from its start
	case functions.RecordsSetMerging:
		var strategy string
		if len(op.Records) != 1 || json.Unmarshal(op.Records[0], &strategy) != nil {
			return &functions.HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "setMergingStrategy: a strategy is required"}
		}
		return hostErr(r.writer.SetMerging(ctx, op.Model, strategy == "ignore_if_modified_after_cursor"))
	case functions.RecordsTrackDeletesEnd, functions.RecordsDeletePrevious:
		r.mu.Lock()
		if r.tracked == nil {
			r.tracked = map[string]bool{}
		}
		r.tracked[op.Model] = true
		r.mu.Unlock()
		return nil
	}
	return &functions.HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "unknown record method " + op.Op}
}

// finish runs what waits for the run's success: delete detection of the
// tracked models (and of every model when the sync says trackDeletes),
// then the last writes.
func (r *runSync) finish(ctx context.Context, def *functions.Definition) error {
	r.mu.Lock()
	models := maps.Clone(r.tracked)
	r.mu.Unlock()
	if models == nil {
		models = map[string]bool{}
	}
	if def != nil && def.TrackDeletes {
		for m := range def.Models {
			models[m] = true
		}
	}
	for m := range models {
		if err := r.writer.DeleteUnseen(ctx, m); err != nil {
			return err
		}
	}
	return r.writer.Flush(ctx)
}

// anyRecord checks only that a record is an object with an id.
var anyRecord, _ = records.CompileSchema("", nil)

// maxSkippedLogged bounds the log lines of skipped records per batch.
const maxSkippedLogged = 20

// skipped counts and logs the records a batch left out.
func (r *runSync) skipped(method, model string, invalid []*records.Invalid) {
	if len(invalid) == 0 {
		return
	}
	r.addInvalid(model, len(invalid))
	if r.log == nil {
		return
	}
	for i, iv := range invalid {
		if i == maxSkippedLogged {
			r.log("warn", fmt.Sprintf("%s: skipped %d more invalid %s records of this batch", method, len(invalid)-i, model))
			return
		}
		r.log("warn", fmt.Sprintf("%s: skipped invalid %s %v", method, model, iv))
	}
}

// RecordsByIDs implements serverhost.Sync (getRecordsByIds).
func (r *runSync) RecordsByIDs(ctx context.Context, model string, ids []string) ([]json.RawMessage, error) {
	if err := r.checkModel(model); err != nil {
		return nil, err
	}
	recs, err := r.writer.Get(ctx, model, ids)
	if err != nil {
		return nil, hostErr(err)
	}
	out := make([]json.RawMessage, 0, len(recs))
	for _, rec := range recs {
		if rec.DeletedAt == nil && rec.Payload != nil {
			out = append(out, rec.Payload)
		}
	}
	return out, nil
}

// ListRecords implements serverhost.Sync (nango.listRecords).
func (r *runSync) ListRecords(ctx context.Context, model, cursor string) (*functions.RecordsPage, error) {
	if err := r.checkModel(model); err != nil {
		return nil, err
	}
	page, err := r.writer.List(ctx, model, cursor)
	if err != nil {
		return nil, hostErr(err)
	}
	return &functions.RecordsPage{Records: page.Records, NextCursor: page.NextCursor}, nil
}

// Checkpoint implements serverhost.Sync.
func (r *runSync) Checkpoint(ctx context.Context) (map[string]any, error) {
	b, err := r.s.o.Instances.Checkpoint(ctx, r.in.ID)
	if err != nil {
		return nil, fmt.Errorf("read the checkpoint: %w", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	var cp map[string]any
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("read the checkpoint: %w", err)
	}
	return cp, nil
}

// SaveCheckpoint implements serverhost.Sync: the checkpoint is written
// with the records saved before it, in one transaction.
func (r *runSync) SaveCheckpoint(ctx context.Context, checkpoint map[string]any) error {
	var b []byte
	if checkpoint != nil {
		var err error
		if b, err = json.Marshal(checkpoint); err != nil {
			return &functions.HostError{Kind: fault.Invalid, Code: "invalid_checkpoint", Message: "the checkpoint is not JSON: " + err.Error()}
		}
		if len(b) > maxCheckpointBytes {
			return &functions.HostError{Kind: fault.Invalid, Code: "invalid_checkpoint", Message: fmt.Sprintf("the checkpoint is %d bytes; at most %d KiB is allowed", len(b), maxCheckpointBytes>>10)}
		}
	}
	return hostErr(r.writer.Checkpoint(ctx, b))
}
