package syncs_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// TestSyncListRecords: nango.listRecords in a run lists what earlier runs
// stored (with _nango_metadata) and what this run saved before asking,
// on both backends.
func TestSyncListRecords(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			testListRecords(t, backend)
		})
	}
}

func testListRecords(t *testing.T, backend apptest.Backend) {
	w := newWorld(t, backend, map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "1"})
	// Each run saves one item, then records what it lists in another:
	// "listed-<run>" with the ids and last actions it saw.
	lister := `import { createSync } from 'nango';
import * as z from 'zod';
const Item = z.object({ id: z.string(), title: z.string() });
export default createSync({
  description: 'Lister', version: '1.0.0', frequency: 'every day', autoStart: false,
  models: { Item },
  exec: async (nango) => {
    const before = [];
    for await (const r of nango.listRecords('Item')) if (!r.id.startsWith('listed-')) before.push(r.id);
    const run = 'item-' + before.length;
    await nango.batchSave([{ id: run, title: 'saved' }], 'Item');
    const seen = [];
    for await (const r of nango.listRecords('Item')) if (!r.id.startsWith('listed-')) seen.push(r.id + ':' + r._nango_metadata.last_action);
    await nango.batchSave([{ id: 'listed-' + run, title: seen.sort().join(',') }], 'Item');
  },
});
`
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/lister.ts": lister}}, nil, http.StatusOK)
	w.connect("c1", map[string]any{"count": 0})
	run := func() {
		w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"lister"}, "connection_id": "c1"}, nil, http.StatusOK)
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var out struct{ Syncs []status }
			if err := json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs=lister&connection_id=c1", nil, nil, http.StatusOK), &out); err != nil || len(out.Syncs) != 1 {
				t.Fatalf("status: %v %+v", err, out)
			}
			if st := out.Syncs[0]; st.FinishedAt != nil && st.Status != "RUNNING" {
				if st.Status != "STOPPED" {
					t.Fatalf("run: %+v", st)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the run never finished")
			}
		}
	}
	run()
	run()
	titles := map[string]string{}
	var ids []string
	for _, r := range w.records("c1", "") {
		titles[r.ID] = r.Title
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if got := strings.Join(ids, " "); got != "item-0 item-1 listed-item-0 listed-item-1" {
		t.Fatalf("records %s", got)
	}
	if titles["listed-item-0"] != "item-0:ADDED" || titles["listed-item-1"] != "item-0:ADDED,item-1:ADDED" {
		t.Fatalf("listed %v", titles)
	}
}
