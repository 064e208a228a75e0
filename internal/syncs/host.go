package syncs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"

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

	invalid atomic.Int64

	mu sync.Mutex
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

func hostErr(err error) error {
	if e, ok := err.(*records.Error); ok {
		return &functions.HostError{Code: e.Code, Message: e.Message, Status: 400}
	}
	return err
}

func (r *runSync) checkModel(model string) error {
	if len(r.models) == 0 {
		return nil
	}
	if _, ok := r.models[model]; !ok {
		return &functions.HostError{Code: "unknown_model", Message: fmt.Sprintf("the sync declares no model %s", model), Status: 400}
	}
	return nil
}

// Records implements serverhost.Sync.
func (r *runSync) Records(ctx context.Context, op *functions.RecordOp) error {
	if err := r.checkModel(op.Model); err != nil {
		return err
	}
	if op.Invalid > 0 {
		r.invalid.Add(int64(op.Invalid))
	}
	switch op.Op {
	case functions.RecordsSave, functions.RecordsUpdate, functions.RecordsDelete:
		ids, err := recordIDs(op.Model, op.Records)
		if err != nil {
			return err
		}
		switch op.Op {
		case functions.RecordsSave:
			return hostErr(r.writer.Save(ctx, op.Model, ids, op.Records))
		case functions.RecordsUpdate:
			return hostErr(r.writer.Update(ctx, op.Model, ids, op.Records))
		default:
			return hostErr(r.writer.Delete(ctx, op.Model, ids))
		}
	case functions.RecordsTrackDeletesStart:
		return nil // the run's generation marks what it saves from its start
	case functions.RecordsTrackDeletesEnd, functions.RecordsDeletePrevious:
		r.mu.Lock()
		if r.tracked == nil {
			r.tracked = map[string]bool{}
		}
		r.tracked[op.Model] = true
		r.mu.Unlock()
		return nil
	}
	return &functions.HostError{Code: "invalid_arguments", Message: "unknown record method " + op.Op, Status: 400}
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

// recordIDs reads each record's id: a string, or a number kept as its
// JSON text. The sandbox skipped records without one; this is the check
// of what reaches the host.
func recordIDs(model string, recs []json.RawMessage) ([]string, error) {
	ids := make([]string, len(recs))
	for i, raw := range recs {
		var rec struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, &functions.HostError{Code: "invalid_records", Message: fmt.Sprintf("%s: record %d is not a JSON object", model, i), Status: 400}
		}
		id := rec.ID
		switch {
		case len(id) > 1 && id[0] == '"':
			var s string
			if err := json.Unmarshal(id, &s); err != nil {
				return nil, &functions.HostError{Code: "invalid_records", Message: fmt.Sprintf("%s: record %d has an unreadable id", model, i), Status: 400}
			}
			ids[i] = s
		case len(id) > 0 && (id[0] == '-' || id[0] >= '0' && id[0] <= '9'):
			if _, err := strconv.ParseFloat(string(id), 64); err != nil {
				return nil, &functions.HostError{Code: "invalid_records", Message: fmt.Sprintf("%s: record %d has an unreadable id", model, i), Status: 400}
			}
			ids[i] = string(id)
		default:
			return nil, &functions.HostError{Code: "invalid_records", Message: fmt.Sprintf("%s: record %d has no id (a string or a number)", model, i), Status: 400}
		}
	}
	return ids, nil
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
			return &functions.HostError{Code: "invalid_checkpoint", Message: "the checkpoint is not JSON: " + err.Error(), Status: 400}
		}
		if len(b) > maxCheckpointBytes {
			return &functions.HostError{Code: "invalid_checkpoint", Message: fmt.Sprintf("the checkpoint is %d bytes; at most %d KiB is allowed", len(b), maxCheckpointBytes>>10), Status: 400}
		}
	}
	return hostErr(r.writer.Checkpoint(ctx, b))
}
