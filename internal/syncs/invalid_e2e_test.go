package syncs_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// invalidSync saves records of two models, some of which fail their
// model's schema, unless metadata.clean; with metadata.fail_once its
// first attempt throws after its first pages (and checkpoint), so the
// queue's second attempt resumes the run and saves the rest.
const invalidSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), title: z.string(), n: z.number() });
const Note = z.object({ id: z.string(), text: z.string() });

export default createSync({
  description: 'Invalid records', version: '1.0.0', frequency: 'every hour', autoStart: false,
  models: { Item, Note },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const cp = (await nango.getCheckpoint()) || {};
    if (!cp.saved) {
      const items = [{ id: 'a', title: 't', n: 1 }];
      const notes = [{ id: 'n1', text: 'x' }];
      if (!md.clean) {
        items.push({ id: 'bad1', title: 5, n: 1 }, { id: 'bad2', n: 'x' });
        notes.push({ id: 'bad3' });
      }
      await nango.batchSave(items, 'Item');
      await nango.batchSave(notes, 'Note');
      await nango.saveCheckpoint({ saved: true });
      if (md.fail_once) throw new Error('failing once');
    }
    if (!md.clean) await nango.batchSave([{ id: 'b', title: 't', n: 2 }, { id: 'bad4', title: 't' }], 'Item');
    await nango.clearCheckpoint();
  },
});
`

// TestSyncInvalidRecordCounts: GET /sync/status counts per model the
// records the last run skipped as invalid, a resumed run's earlier
// attempts included, beside latestResult (which keeps Nango's shape); a
// clean run after shows 0 for every model.
func TestSyncInvalidRecordCounts(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "2"})
			w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/checked.ts": invalidSync}}, nil, http.StatusOK)
			w.connect("c1", map[string]any{"fail_once": true, "count": 0})

			type result struct {
				Status         string                    `json:"status"`
				FinishedAt     *time.Time                `json:"finishedAt"`
				LatestResult   map[string]map[string]int `json:"latestResult"`
				InvalidRecords map[string]int            `json:"invalidRecords"`
				Raw            map[string]json.RawMessage
			}
			run := func() result {
				t.Helper()
				since := time.Now()
				w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"checked"}, "connection_id": "c1"}, nil, http.StatusOK)
				for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					var out struct{ Syncs []json.RawMessage }
					if err := json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs=checked&connection_id=c1", nil, nil, http.StatusOK), &out); err != nil || len(out.Syncs) != 1 {
						t.Fatalf("status: %v %s", err, out.Syncs)
					}
					var r result
					if err := json.Unmarshal(out.Syncs[0], &r); err != nil {
						t.Fatal(err)
					}
					_ = json.Unmarshal(out.Syncs[0], &r.Raw)
					if r.Status != "RUNNING" && r.FinishedAt != nil && !r.FinishedAt.Before(since) {
						return r
					}
					if time.Now().After(deadline) {
						t.Fatalf("no run finished: %s", out.Syncs[0])
					}
				}
			}

			// The first attempt skips bad1, bad2 and bad3 and fails; the
			// second resumes after the checkpoint and skips bad4.
			r := run()
			if r.Status != "STOPPED" {
				t.Fatalf("after the resumed run: %+v", r)
			}
			if want := map[string]int{"Item": 3, "Note": 1}; !maps.Equal(r.InvalidRecords, want) {
				t.Fatalf("invalidRecords %v, want %v", r.InvalidRecords, want)
			}
			// latestResult is Nango's {added, updated, deleted}, nothing more.
			for m, c := range r.LatestResult {
				if len(c) != 3 {
					t.Fatalf("latestResult[%s] = %v, want added, updated and deleted only", m, c)
				}
			}
			if r.LatestResult["Item"]["added"] != 2 || r.LatestResult["Note"]["added"] != 1 {
				t.Fatalf("latestResult %v", r.LatestResult)
			}

			// A clean run: every model at 0.
			w.setMetadata("c1", map[string]any{"clean": true})
			r = run()
			if want := map[string]int{"Item": 0, "Note": 0}; r.Status != "STOPPED" || !maps.Equal(r.InvalidRecords, want) {
				t.Fatalf("after a clean run: invalidRecords %s, status %s; want %v", r.Raw["invalidRecords"], r.Status, want)
			}
		})
	}
}
