package syncs_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
)

// slowSync saves metadata.count records in pages of 100, a checkpoint
// after each and metadata.pause ms between pages. Each record carries
// from, the checkpoint its run started at: a run resumed from a
// checkpoint leaves the records before it as the first run saved them.
const slowSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), n: z.number(), from: z.number() });

export default createSync({
  description: 'Slow items', version: '1.0.0', frequency: 'every day', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const cp = (await nango.getCheckpoint()) || { next: 0 };
    const from = cp.next;
    for (let i = from; i < md.count; i += 100) {
      const page = [];
      for (let j = i; j < Math.min(i + 100, md.count); j++) page.push({ id: 'r' + j, n: j, from });
      await nango.batchSave(page, 'Item');
      await nango.saveCheckpoint({ next: i + 100 });
      await new Promise((resolve) => setTimeout(resolve, md.pause));
    }
    await nango.clearCheckpoint();
  },
});
`

// A node that stops hands its sync runs over at once: its shutdown does
// not wait for them, and the next node resumes each from its checkpoint.
// The lease (1 h), the sweep's wait for a lost queued run (10 min) and
// the shutdown timeout (10 min) are all far longer than the test's
// deadlines, so only the hand-over can make it pass.
func TestSyncHandOverOnStop(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			testHandOver(t, backend)
		})
	}
}

func testHandOver(t *testing.T, backend apptest.Backend) {
	const count, conn = 6000, "handover"
	w := &world{t: t, sim: providersim.Start(t, providersim.Options{})}
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	logA, logB := &apptest.LogBuffer{}, &apptest.LogBuffer{}
	env := map[string]string{"PATCHBAY_PROVIDERS_FILE": file, "PATCHBAY_SHUTDOWN_TIMEOUT": "10m", "PATCHBAY_SYNC_LEASE": "1h"}
	a := apptest.Start(t, apptest.Options{Backend: backend, Env: env, Logs: logA})
	w.pb = a
	w.call("POST", "/integrations", map[string]any{"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"}}, nil, http.StatusOK)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/items.ts": slowSync}}, nil, http.StatusOK)
	w.connect(conn, map[string]any{"count": count, "pause": 100})

	// Stop node A once the run is a few pages in.
	var at int
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var cp struct{ Next int }
		if st := w.status(conn); len(st.Checkpoint) > 0 && json.Unmarshal(st.Checkpoint, &cp) == nil && cp.Next >= 500 {
			at = cp.Next
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run saved no checkpoint past 500 in 2 minutes: %+v", w.status(conn))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		a.Stop(t)
	}()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatalf("node A's shutdown still waits for its sync run a minute on (its timeout is 10 minutes)")
	}
	if !strings.Contains(logA.String(), "sync run handed over") {
		t.Errorf("node A did not log the hand-over:\n%s", logA.String())
	}

	// Node B: the same database (on SQLite, the same data dir after the
	// restart).
	envB := maps.Clone(a.Env)
	w.pb = apptest.Start(t, apptest.Options{Backend: backend, Env: envB, DataDir: a.DataDir, Logs: logB})
	// The status says ERROR until B's part of the run ends: A recorded
	// its part as stopped with the node.
	for deadline := time.Now().Add(2 * time.Minute); ; {
		st := w.status(conn)
		if st.Status == "SUCCESS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish on node B in 2 minutes: %+v\nnode B's log:\n%s", st, logB.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	items := readFrom(t, w, conn)
	if len(items) != count {
		t.Fatalf("%d records, want %d", len(items), count)
	}
	// Records before the checkpoint A had reached were saved by A's part
	// of the run (from 0); the rest by B's, resumed from A's last
	// checkpoint, which is at least the one seen before the stop.
	resumed := -1
	for n := range count {
		from, ok := items[fmt.Sprint("r", n)]
		if !ok {
			t.Fatalf("record r%d is missing", n)
		}
		if n < at && from != 0 {
			t.Fatalf("record r%d was saved by a run from %d: the records before the stop were saved again", n, from)
		}
		if n >= at && from != 0 {
			if resumed == -1 {
				resumed = from
			}
			if from != resumed || n < from {
				t.Fatalf("record r%d saved by a run from %d, want %d", n, from, resumed)
			}
		}
	}
	if resumed < at {
		t.Fatalf("the run was not resumed from its checkpoint (%d seen before the stop): the last records came from a run from %d", at, resumed)
	}
	if !strings.Contains(logB.String(), `msg="sync run succeeded"`) {
		t.Errorf("node B did not run it:\n%s", logB.String())
	}
	t.Logf("stopped at checkpoint %d+, resumed from %d", at, resumed)
}

// readFrom reads conn's Item records: from, by id.
func readFrom(t *testing.T, w *world, conn string) map[string]int {
	t.Helper()
	out := map[string]int{}
	cursor := ""
	for {
		q := "/records?model=Item&limit=1000"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		var page struct {
			Records []struct {
				ID   string `json:"id"`
				From int    `json:"from"`
			} `json:"records"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(w.call("GET", q, nil, map[string]string{"Connection-Id": conn, "Provider-Config-Key": "github"}, http.StatusOK), &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			out[r.ID] = r.From
		}
		if page.NextCursor == nil {
			return out
		}
		cursor = *page.NextCursor
	}
}
