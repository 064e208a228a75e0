package syncs_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// otherSync saves metadata.others items of a model of its own, Other, so
// undeploying items must leave them.
const otherSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Other = z.object({ id: z.string() });

export default createSync({
  description: 'Others', version: '1.0.0', frequency: 'every hour', autoStart: true,
  models: { Other },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const page = [];
    for (let j = 0; j < (md.others ?? 0); j++) page.push({ id: 'other-' + j });
    await nango.batchSave(page, 'Other');
  },
});
`

// stoppedItems is itemsSync that waits to be started: redeployed after an
// undeploy, it shows what the undeploy left without adding anything.
var stoppedItems = strings.Replace(itemsSync, "autoStart: true", "autoStart: false", 1)

// syncStatus returns one sync's instances on a connection, or the status
// code of a refusal.
func (w *world) syncStatus(name, conn string) ([]status, int) {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.pb.URL+"/sync/status?provider_config_key=github&syncs="+name+"&connection_id="+conn, nil)
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Syncs []status }
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			w.t.Fatal(err)
		}
	}
	return out.Syncs, resp.StatusCode
}

// waitSynced waits until a sync's base instance on conn has finished a
// run successfully.
func (w *world) waitSynced(name, conn string) status {
	w.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		list, code := w.syncStatus(name, conn)
		if code != http.StatusOK {
			w.t.Fatalf("status of %s: %d", name, code)
		}
		for _, st := range list {
			if st.Variant == "base" && st.Status == "SUCCESS" {
				return st
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s on %s never succeeded: %+v", name, conn, list)
		}
	}
}

// modelRecords counts a model's records on a connection, deleted ones
// included.
func (w *world) modelRecords(model, conn string) int {
	w.t.Helper()
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	out := w.call("GET", "/records?limit=10000&model="+model, nil, map[string]string{"Connection-Id": conn, "Provider-Config-Key": "github"}, http.StatusOK)
	if err := json.Unmarshal(out, &page); err != nil {
		w.t.Fatal(err)
	}
	return len(page.Records)
}

// TestUndeploySync: DELETE /functions/{integration}/{name} of a sync
// deletes its instances and its records on every connection, and leaves
// the integration's other sync alone.
func TestUndeploySync(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, nil)
			w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/others.ts": otherSync}}, nil, http.StatusOK)
			for _, c := range []string{"c1", "c2"} {
				w.connect(c, map[string]any{"count": 25, "others": 4})
			}
			for _, c := range []string{"c1", "c2"} {
				w.waitSynced("items", c)
				w.waitSynced("others", c)
				if n := w.modelRecords("Item", c); n != 25 {
					t.Fatalf("%s has %d items before the undeploy, want 25", c, n)
				}
			}

			out := w.call("DELETE", "/functions/github/items?type=sync", nil, nil, http.StatusOK)
			var got struct{ Integration, Name, Type string }
			if err := json.Unmarshal(out, &got); err != nil || got.Integration != "github" || got.Name != "items" || got.Type != "sync" {
				t.Fatalf("undeploy answered %s (%v)", out, err)
			}
			if _, code := w.syncStatus("items", "c1"); code != http.StatusNotFound {
				t.Fatalf("status of the undeployed sync: %d, want 404", code)
			}
			// Gone, so a second undeploy finds nothing.
			out = w.call("DELETE", "/functions/github/items", nil, nil, http.StatusNotFound)
			if !strings.Contains(string(out), `"unknown_function"`) {
				t.Fatalf("second undeploy answered %s", out)
			}

			// The other sync is as it was.
			for _, c := range []string{"c1", "c2"} {
				if st := w.waitSynced("others", c); st.RecordCount["Other"] != 4 {
					t.Fatalf("others on %s after the undeploy: %+v", c, st)
				}
				if n := w.modelRecords("Other", c); n != 4 {
					t.Fatalf("%s has %d others after the undeploy, want 4", c, n)
				}
			}

			// Deployed again, stopped: fresh instances that never ran, and
			// no record left of the undeployed sync's.
			w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/items.ts": stoppedItems}}, nil, http.StatusOK)
			for _, c := range []string{"c1", "c2"} {
				list, code := w.syncStatus("items", c)
				if code != http.StatusOK || len(list) != 1 || list[0].Status != "STOPPED" || list[0].FinishedAt != nil || list[0].RecordCount["Item"] != 0 {
					t.Fatalf("items on %s after the redeploy: %d %+v", c, code, list)
				}
				if n := w.modelRecords("Item", c); n != 0 {
					t.Fatalf("%s kept %d items of the undeployed sync", c, n)
				}
			}
		})
	}
}

// TestUndeployBadInput: what DELETE /functions/{integration}/{name}
// refuses, each answer naming what is at fault.
func TestUndeployBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apptest.SQLite, nil)
	cases := []struct {
		path    string
		status  int
		mention string
	}{
		{"/functions/github/nope", 404, "unknown_function"},
		{"/functions/gitlab/items", 404, "unknown_function"},
		{"/functions/github/items?type=action", 404, "unknown_function"},
		{"/functions/github/items?type=job", 400, `"type"`},
		{"/functions/github/items?type=sync,action", 400, `"type"`},
		{"/functions/github/items?kind=sync", 400, `"kind"`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			sub := *w
			sub.t = t
			out := sub.call("DELETE", c.path, nil, nil, c.status)
			if !strings.Contains(string(out), c.mention) || !strings.Contains(string(out), `"error"`) {
				t.Fatalf("answer %s does not name %s", out, c.mention)
			}
		})
	}
	// None of that removed the sync.
	if _, code := w.syncStatus("items", ""); code != http.StatusOK {
		t.Fatalf("status after the refusals: %d", code)
	}
}

// slowItems saves a page of items every 100 ms for a minute: a run that
// is still going when its sync is undeployed.
const slowItems = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), title: z.string(), n: z.number() });

export default createSync({
  description: 'Slow items', version: '1.0.0', frequency: 'every hour', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    for (let i = 0; i < 6000; i += 10) {
      const page = [];
      for (let j = i; j < i + 10; j++) page.push({ id: 'item-' + j, title: 't', n: j });
      await nango.batchSave(page, 'Item');
      // The checkpoint writes the page now rather than with a bigger batch.
      await nango.saveCheckpoint({ next: i + 10 });
      await new Promise((r) => setTimeout(r, 100));
    }
  },
});
`

// lockedLog is a log sink safe for concurrent writers.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestUndeployRunningSync: a run in progress when its sync is undeployed
// stops at its next write, quietly (no error, no retry), and writes
// nothing after the undeploy.
func TestUndeployRunningSync(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			logs := &lockedLog{}
			w := startWorld(t, backend, logs, slowItems)
			w.connect("c1", map[string]any{})
			for deadline := time.Now().Add(60 * time.Second); w.modelRecords("Item", "c1") < 20; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the slow run saved nothing")
				}
			}
			if list, _ := w.syncStatus("items", "c1"); len(list) != 1 || list[0].Status != "RUNNING" {
				t.Fatalf("before the undeploy: %+v", list)
			}
			w.call("DELETE", "/functions/github/items", nil, nil, http.StatusOK)
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), "its lease is gone"); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the run never stopped; log:\n%s", logs.String())
				}
			}
			// Give a run that failed to stop the time of a few pages, then
			// look: nothing may have been saved since.
			time.Sleep(500 * time.Millisecond)
			w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/items.ts": stoppedItems}}, nil, http.StatusOK)
			if n := w.modelRecords("Item", "c1"); n != 0 {
				t.Fatalf("%d items after the undeploy, want none", n)
			}
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, "level=ERROR") || strings.Contains(line, "panic") {
					t.Fatalf("the stopped run logged: %s", line)
				}
			}
		})
	}
}
