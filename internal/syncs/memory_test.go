package syncs_test

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// bulkSync saves metadata.batches batches of 100 records, a checkpoint
// after each: the shape of a long sync's run.
const bulkSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Row = z.object({ id: z.string(), name: z.string(), email: z.string(), n: z.number() });

export default createSync({
  description: 'Rows', version: '1.0.0', frequency: 'every day', autoStart: true,
  models: { Row },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    for (let b = 0; b < md.batches; b++) {
      const page = [];
      for (let i = 0; i < 100; i++) {
        const n = b * 100 + i;
        page.push({ id: 'r' + (n % md.distinct), name: 'row ' + n + ' of run ' + md.run, email: 'u' + n + '@example.com', n });
      }
      await nango.batchSave(page, 'Row');
      await nango.saveCheckpoint({ batch: b });
    }
    await nango.clearCheckpoint();
  },
});
`

// TestSyncBatchMemory runs thousands of sync batches (record checks in the
// sandbox, writes with their checkpoints, heartbeats) and asserts the
// process does not grow with them: what a long-running server does all
// day.
func TestSyncBatchMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs thousands of batches")
	}
	batches, runs := 500, 4 // 2,000 batches, 200,000 records measured
	if raceEnabled {
		batches, runs = 50, 3
	}
	w := &world{t: t}
	w.pb = apptest.Start(t, apptest.Options{Backend: apptest.SQLite})
	w.call("POST", "/integrations", map[string]any{"unique_key": "stripe", "provider": "anthropic"}, nil, http.StatusOK)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"stripe/syncs/rows.ts": bulkSync}}, nil, http.StatusOK)
	w.call("POST", "/connections", map[string]any{"provider_config_key": "stripe", "connection_id": "m1",
		"credentials": map[string]any{"type": "API_KEY", "apiKey": "sk_test_memory"}}, nil, http.StatusCreated)

	run := func(i int) {
		w.call("POST", "/connection/m1/metadata?provider_config_key=stripe", map[string]any{"batches": batches, "distinct": batches * 50, "run": i}, nil, http.StatusOK)
		since := time.Now()
		w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "stripe", "syncs": []string{"rows"}, "connection_id": "m1"}, nil, http.StatusOK)
		var st status
		deadline := time.Now().Add(5 * time.Minute)
		for {
			st = w.statusOf("stripe", "rows", "m1")
			if st.Status != "RUNNING" && st.FinishedAt != nil && !st.FinishedAt.Before(since) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d did not finish: %+v", i, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if st.Status != "SUCCESS" {
			t.Fatalf("run %d: %+v", i, st)
		}
	}
	settled := func() int64 {
		runtime.GC()
		debug.FreeOSMemory()
		return residentBytes(t)
	}
	run(0) // warm-up: the sandbox's pools, SQLite's page cache, Go's heap
	run(1)
	before := settled()
	for i := 2; i < 2+runs; i++ {
		run(i)
	}
	after := settled()
	growth := after - before
	const bound = 24 << 20
	t.Logf("RSS %.1f MiB → %.1f MiB over %d batches (%d records)", mib(before), mib(after), runs*batches, runs*batches*100)
	if growth > bound {
		t.Fatalf("RSS grew by %.1f MiB over %d sync batches; bound %d MiB", mib(growth), runs*batches, bound>>20)
	}
}

func (w *world) statusOf(integration, syncName, conn string) status {
	w.t.Helper()
	var out struct{ Syncs []status }
	body := w.call("GET", "/sync/status?provider_config_key="+integration+"&syncs="+syncName+"&connection_id="+conn, nil, nil, http.StatusOK)
	if err := json.Unmarshal(body, &out); err != nil || len(out.Syncs) == 0 {
		w.t.Fatalf("status: %s", body)
	}
	return out.Syncs[0]
}

// residentBytes is the process's resident set size, which counts the C
// heaps (the sandbox's, SQLite's) as well as Go's.
func residentBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm: ", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
