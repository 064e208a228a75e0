package syncs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// itemsSync saves metadata.count items in pages of 10, with a checkpoint
// after each page, as a paging sync does; metadata steers it: version
// changes the titles, track turns on delete detection, fail_at throws
// once the checkpoint reaches it, invalid adds a record its schema refuses.
const itemsSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), title: z.string(), n: z.number() });

export default createSync({
  description: 'Items', version: '1.0.0', frequency: 'every hour', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const cp = (await nango.getCheckpoint()) || { next: 0 };
    const count = md.count ?? 10;
    const v = md.version ?? 'a';
    if (md.track) await nango.trackDeletesStart('Item');
    for (let i = cp.next; i < count; i += 10) {
      const page = [];
      for (let j = i; j < Math.min(i + 10, count); j++) page.push({ id: 'item-' + j, title: v + '-' + j, n: j });
      if (md.invalid && i === 0) page.push({ id: 'bad', title: 5, n: 'x' }, { id: 'huge', title: 'x'.repeat(1 << 20), n: 0 });
      await nango.batchSave(page, 'Item');
      await nango.saveCheckpoint({ next: i + 10 });
      if (md.fail_at !== undefined && i + 10 >= md.fail_at) throw new Error('failed at ' + (i + 10));
    }
    if (md.track) await nango.trackDeletesEnd('Item');
    await nango.clearCheckpoint();
  },
});
`

type world struct {
	t   *testing.T
	sim *providersim.Simulator
	pb  *apptest.Server
}

func newWorld(t *testing.T, backend apptest.Backend, env map[string]string) *world {
	t.Helper()
	w := &world{t: t, sim: providersim.Start(t, providersim.Options{})}
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = map[string]string{}
	}
	env["PATCHBAY_PROVIDERS_FILE"] = file
	w.pb = apptest.Start(t, apptest.Options{Backend: backend, Env: env})
	w.call("POST", "/integrations", map[string]any{"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"}}, nil, http.StatusOK)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/items.ts": itemsSync}}, nil, http.StatusOK)
	return w
}

// connect creates a connection with metadata; its initial sync starts at
// once.
func (w *world) connect(id string, metadata map[string]any) {
	w.t.Helper()
	g := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, 8*time.Hour, true)
	w.call("POST", "/connections", map[string]any{"provider_config_key": "github", "connection_id": id, "metadata": metadata,
		"credentials": map[string]any{"type": "OAUTH2", "access_token": g.AccessToken, "refresh_token": g.RefreshToken}}, nil, http.StatusCreated)
}

func (w *world) setMetadata(id string, metadata map[string]any) {
	w.t.Helper()
	w.call("POST", "/connection/"+id+"/metadata?provider_config_key=github", metadata, nil, 0)
}

func (w *world) call(method, path string, body any, headers map[string]string, want int) []byte {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.pb.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if want != 0 && resp.StatusCode != want {
		w.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
	return raw
}

type status struct {
	ID                  string                    `json:"id"`
	ConnectionID        string                    `json:"connection_id"`
	Name                string                    `json:"name"`
	Variant             string                    `json:"variant"`
	Status              string                    `json:"status"`
	Type                string                    `json:"type"`
	FinishedAt          *time.Time                `json:"finishedAt"`
	NextScheduledSyncAt *time.Time                `json:"nextScheduledSyncAt"`
	Frequency           string                    `json:"frequency"`
	LatestResult        map[string]map[string]int `json:"latestResult"`
	RecordCount         map[string]int            `json:"recordCount"`
	Checkpoint          json.RawMessage           `json:"checkpoint"`
}

func (w *world) status(conn string) status {
	w.t.Helper()
	var out struct{ Syncs []status }
	if err := json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs=items&connection_id="+conn, nil, nil, http.StatusOK), &out); err != nil {
		w.t.Fatal(err)
	}
	for _, s := range out.Syncs {
		if s.Variant == "base" {
			return s
		}
	}
	w.t.Fatalf("no base instance in %+v", out.Syncs)
	return status{}
}

// waitRun waits until the connection's instance has finished a run after
// since, and returns its status.
func (w *world) waitRun(conn string, since time.Time) status {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := w.status(conn)
		if st.Status != "RUNNING" && st.FinishedAt != nil && !st.FinishedAt.Before(since) {
			return st
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no run of %s finished since %s: %+v", conn, since, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type record struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Meta  struct {
		LastAction string  `json:"last_action"`
		DeletedAt  *string `json:"deleted_at"`
		Cursor     string  `json:"cursor"`
	} `json:"_nango_metadata"`
}

// records reads every page of a model's records.
func (w *world) records(conn, query string) []record {
	w.t.Helper()
	var all []record
	cursor := ""
	for {
		q := "/records?model=Item" + query
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		var page struct {
			Records    []record `json:"records"`
			NextCursor *string  `json:"next_cursor"`
		}
		if err := json.Unmarshal(w.call("GET", q, nil, map[string]string{"Connection-Id": conn, "Provider-Config-Key": "github"}, http.StatusOK), &page); err != nil {
			w.t.Fatal(err)
		}
		all = append(all, page.Records...)
		if page.NextCursor == nil {
			return all
		}
		cursor = *page.NextCursor
	}
}

func actions(rs []record) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.Meta.LastAction]++
	}
	return out
}

func TestSyncLifecycle(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "1"})
			start := time.Now().Add(-time.Second)
			w.connect("c1", map[string]any{"count": 25, "invalid": true})

			// The initial run saves 25 items; the invalid record and the
			// one over 1 MiB are skipped, the checkpoint cleared at the end.
			st := w.waitRun("c1", start)
			if st.Status != "SUCCESS" || st.Type != "INITIAL" || st.RecordCount["Item"] != 25 || st.LatestResult["Item"]["added"] != 25 {
				t.Fatalf("after the initial run: %+v", st)
			}
			if string(st.Checkpoint) != "null" {
				t.Fatalf("checkpoint %s, want null", st.Checkpoint)
			}
			if st.NextScheduledSyncAt == nil || st.NextScheduledSyncAt.Before(time.Now().Add(50*time.Minute)) {
				t.Fatalf("next run at %v, want about an hour after the run", st.NextScheduledSyncAt)
			}
			all := w.records("c1", "&limit=7")
			if len(all) != 25 || actions(all)["ADDED"] != 25 {
				t.Fatalf("records %d %v", len(all), actions(all))
			}

			// A changed version updates every record; more items add.
			w.setMetadata("c1", map[string]any{"count": 30, "version": "b"})
			since := time.Now()
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusOK)
			st = w.waitRun("c1", since)
			if st.Status != "SUCCESS" || st.Type != "INCREMENTAL" || st.LatestResult["Item"]["added"] != 5 || st.LatestResult["Item"]["updated"] != 25 {
				t.Fatalf("after the second run: %+v", st)
			}
			last := all[len(all)-1].Meta.Cursor
			changed := w.records("c1", "&cursor="+last)
			if len(changed) != 30 {
				t.Fatalf("%d records after the first read's last cursor, want 30", len(changed))
			}
			if got := actions(w.records("c1", "&filter=added")); got["ADDED"] != 5 || len(got) != 1 {
				t.Fatalf("filter=added: %v", got)
			}

			// A run that fails after its deletion tracking started deletes
			// nothing, and keeps what it saved.
			w.setMetadata("c1", map[string]any{"count": 12, "version": "c", "track": true, "fail_at": 20})
			since = time.Now()
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []any{map[string]string{"name": "items"}}, "connection_id": "c1"}, nil, http.StatusOK)
			st = w.waitRun("c1", since)
			if st.Status != "ERROR" {
				t.Fatalf("after the failing run: %+v", st)
			}
			if got := actions(w.records("c1", "&filter=deleted")); len(got) != 0 {
				t.Fatalf("a failed run deleted records: %v", got)
			}
			// The checkpoint it left resumes the next run, which, with
			// tracking, deletes exactly the 18 items no longer listed.
			w.setMetadata("c1", map[string]any{"count": 12, "version": "c", "track": true})
			since = time.Now()
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1", "opts": map[string]bool{"reset": true}}, nil, http.StatusOK)
			st = w.waitRun("c1", since)
			if st.Status != "SUCCESS" || st.LatestResult["Item"]["deleted"] != 18 || st.RecordCount["Item"] != 12 {
				t.Fatalf("after the tracked run: %+v", st)
			}
			deleted := w.records("c1", "&filter=deleted")
			ids := make([]string, 0, len(deleted))
			for _, r := range deleted {
				if r.Meta.DeletedAt == nil {
					t.Fatalf("deleted record without deleted_at: %+v", r)
				}
				ids = append(ids, r.ID)
			}
			sort.Strings(ids)
			if len(ids) != 18 || ids[0] != "item-12" {
				t.Fatalf("deleted %v", ids)
			}

			// emptyCache drops the records before the run saves them again.
			since = time.Now()
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1", "opts": map[string]bool{"reset": true, "emptyCache": true}}, nil, http.StatusOK)
			st = w.waitRun("c1", since)
			if st.Status != "SUCCESS" || st.LatestResult["Item"]["added"] != 12 {
				t.Fatalf("after emptyCache: %+v", st)
			}
			if got := w.records("c1", ""); len(got) != 12 {
				t.Fatalf("%d records after emptyCache, want 12", len(got))
			}

			// Pause, start.
			w.call("POST", "/sync/pause", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusOK)
			if st := w.status("c1"); st.Status != "PAUSED" || st.NextScheduledSyncAt != nil {
				t.Fatalf("after pause: %+v", st)
			}
			w.call("POST", "/sync/start", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusOK)
			if st := w.status("c1"); st.Status != "SUCCESS" || st.NextScheduledSyncAt == nil {
				t.Fatalf("after start: %+v", st)
			}

			// Frequency override and revert.
			out := w.call("PUT", "/sync/update-connection-frequency", map[string]any{"provider_config_key": "github", "connection_id": "c1", "sync_name": "items", "frequency": "every 5 minutes"}, nil, http.StatusOK)
			if !strings.Contains(string(out), `"every 5m"`) {
				t.Fatalf("frequency answer %s", out)
			}
			if st := w.status("c1"); st.Frequency != "every 5m" {
				t.Fatalf("frequency %q", st.Frequency)
			}
			out = w.call("PUT", "/sync/update-connection-frequency", map[string]any{"provider_config_key": "github", "connection_id": "c1", "sync_name": "items", "frequency": nil}, nil, http.StatusOK)
			if !strings.Contains(string(out), `"every hour"`) {
				t.Fatalf("reverted frequency answer %s", out)
			}

			// A variant runs apart, with records of its own.
			w.call("POST", "/sync/items/variant/v2", map[string]any{"provider_config_key": "github", "connection_id": "c1"}, nil, http.StatusOK)
			deadline := time.Now().Add(60 * time.Second)
			for {
				var all struct{ Syncs []status }
				_ = json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs=*&connection_id=c1", nil, nil, http.StatusOK), &all)
				done := false
				for _, s := range all.Syncs {
					if s.Variant == "v2" && s.Status == "SUCCESS" {
						done = true
					}
				}
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the variant never ran: %+v", all.Syncs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := w.records("c1", "&variant=v2"); len(got) != 12 {
				t.Fatalf("variant records %d", len(got))
			}
			w.call("DELETE", "/sync/items/variant/v2", map[string]any{"provider_config_key": "github", "connection_id": "c1"}, nil, http.StatusOK)
			if got := w.records("c1", "&variant=v2"); len(got) != 0 {
				t.Fatalf("the deleted variant's records remain: %d", len(got))
			}
			if got := w.records("c1", ""); len(got) != 12 {
				t.Fatalf("base records after the variant went: %d", len(got))
			}
		})
	}
}

func TestSyncBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apptest.SQLite, nil)
	w.connect("c1", map[string]any{"count": 1})
	h := map[string]string{"Connection-Id": "c1", "Provider-Config-Key": "github"}
	cases := []struct {
		method, path string
		body         any
		headers      map[string]string
		status       int
		mention      string
	}{
		{"POST", "/sync/trigger", map[string]any{"syncs": []string{"items"}}, nil, 400, "provider_config_key"},
		{"POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"nope"}}, nil, 404, "nope"},
		{"POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []int{1}}, nil, 400, "syncs"},
		{"POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "zz"}, nil, 404, "zz"},
		{"POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "sync_mode": "sometimes"}, nil, 400, "sync_mode"},
		{"POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "opts": map[string]any{"reset": "yes"}}, nil, 400, "opts.reset"},
		{"POST", "/sync/pause", map[string]any{"provider_config_key": "github"}, nil, 400, "syncs"},
		{"GET", "/sync/status?provider_config_key=github", nil, nil, 400, "syncs"},
		{"GET", "/sync/status?syncs=*", nil, nil, 400, "provider_config_key"},
		{"GET", "/sync/status?provider_config_key=github&syncs=*&bogus=1", nil, nil, 400, "bogus"},
		{"PUT", "/sync/update-connection-frequency", map[string]any{"provider_config_key": "github", "connection_id": "c1", "sync_name": "items", "frequency": "every 2 seconds"}, nil, 400, "frequency"},
		{"PUT", "/sync/update-connection-frequency", map[string]any{"provider_config_key": "github", "connection_id": "c1", "sync_name": "items"}, nil, 400, "frequency"},
		{"PUT", "/sync/update-connection-frequency", map[string]any{"provider_config_key": "github", "connection_id": "c1", "sync_name": "nope", "frequency": "1h"}, nil, 404, "nope"},
		{"POST", "/sync/items/variant/base", map[string]any{"provider_config_key": "github", "connection_id": "c1"}, nil, 400, "variant"},
		{"POST", "/sync/items/variant/a%20b", map[string]any{"provider_config_key": "github", "connection_id": "c1"}, nil, 400, "variant"},
		{"POST", "/sync/nope/variant/v", map[string]any{"provider_config_key": "github", "connection_id": "c1"}, nil, 404, "nope"},
		{"DELETE", "/sync/items/variant/v9", map[string]any{"provider_config_key": "github", "connection_id": "c1"}, nil, 404, "v9"},
		{"GET", "/records?model=Item", nil, nil, 400, "Provider-Config-Key"},
		{"GET", "/records", nil, h, 400, "model"},
		{"GET", "/records?model=Nope", nil, h, 400, "model"},
		{"GET", "/records?model=Item&limit=0", nil, h, 400, "limit"},
		{"GET", "/records?model=Item&limit=10001", nil, h, 400, "limit"},
		{"GET", "/records?model=Item&cursor=!!!", nil, h, 400, "cursor"},
		{"GET", "/records?model=Item&cursor=bm9wZQ", nil, h, 400, "cursor"},
		{"GET", "/records?model=Item&modified_after=yesterday", nil, h, 400, "modified_after"},
		{"GET", "/records?model=Item&filter=changed", nil, h, 400, "filter"},
		{"GET", "/records?model=Item", nil, map[string]string{"Connection-Id": "zz", "Provider-Config-Key": "github"}, 404, "zz"},
		{"PATCH", "/records/prune", map[string]any{"model": "Item", "until_cursor": "???"}, h, 400, "until_cursor"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s", c.method, c.path), func(t *testing.T) {
			sub := *w
			sub.t = t
			out := sub.call(c.method, c.path, c.body, c.headers, c.status)
			if !strings.Contains(string(out), c.mention) || !strings.Contains(string(out), `"error"`) {
				t.Fatalf("answer %s does not name %q", out, c.mention)
			}
		})
	}
}

// TestSyncAutoStartFalse: a sync deployed with autoStart false gets
// stopped instances that run only once started.
func TestSyncAutoStartFalse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apptest.SQLite, nil)
	manual := strings.Replace(strings.Replace(itemsSync, "autoStart: true", "autoStart: false", 1), "description: 'Items'", "description: 'Manual items'", 1)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/manual.ts": manual}}, nil, http.StatusOK)
	w.connect("c1", map[string]any{"count": 3})
	statusOf := func() status {
		var out struct{ Syncs []status }
		if err := json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs=manual&connection_id=c1", nil, nil, http.StatusOK), &out); err != nil || len(out.Syncs) != 1 {
			t.Fatalf("status: %v %+v", err, out)
		}
		return out.Syncs[0]
	}
	// The autostarting sync runs; the manual one waits.
	w.waitRun("c1", time.Now().Add(-time.Minute))
	if st := statusOf(); st.Status != "STOPPED" || st.FinishedAt != nil || st.NextScheduledSyncAt != nil {
		t.Fatalf("before start: %+v", st)
	}
	w.call("POST", "/sync/start", map[string]any{"provider_config_key": "github", "syncs": []string{"manual"}, "connection_id": "c1"}, nil, http.StatusOK)
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := statusOf()
		if st.Status == "SUCCESS" {
			if st.RecordCount["Item"] != 3 || st.NextScheduledSyncAt == nil {
				t.Fatalf("after start: %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the started sync never ran: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSyncTimeout: an integration's settings.functions.sync_timeout
// bounds its runs; a run past it fails as a timeout.
func TestSyncTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apptest.SQLite, map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "1"})
	out := w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"sync_timeout": "1s"}}}, nil, http.StatusOK)
	if !strings.Contains(string(out), `"sync_timeout":"1s"`) {
		t.Fatalf("settings answer %s", out)
	}
	w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"sync_timeout": "9d"}}}, nil, http.StatusBadRequest)
	slow := strings.Replace(itemsSync, "const md = await nango.getMetadata();", "const md = await nango.getMetadata(); await new Promise((r) => setTimeout(r, 30000));", 1)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/items.ts": slow}}, nil, http.StatusOK)
	start := time.Now()
	w.connect("c1", map[string]any{"count": 3})
	st := w.waitRun("c1", start)
	if st.Status != "ERROR" {
		t.Fatalf("a run past its limit: %+v", st)
	}
	var errOut struct {
		Syncs []struct{ Error json.RawMessage }
	}
	_ = json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs=items&connection_id=c1", nil, nil, http.StatusOK), &errOut)
	if len(errOut.Syncs) != 1 || !strings.Contains(string(errOut.Syncs[0].Error), "timeout") {
		t.Fatalf("error %s, want a timeout", errOut.Syncs[0].Error)
	}
}

// TestSyncMergingStrategy: with ignore_if_modified_after_cursor, a run's
// saves leave alone a record another writer changed during the run.
func TestSyncMergingStrategy(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			testMergingStrategy(t, backend)
		})
	}
}

func testMergingStrategy(t *testing.T, backend apptest.Backend) {
	w := newWorld(t, backend, map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "1"})
	// slow saves five items, waits until another writer has changed
	// item-1, then saves all five again from its stale copy.
	slow := `import { createSync } from 'nango';
import * as z from 'zod';
const Item = z.object({ id: z.string(), title: z.string(), n: z.number() });
export default createSync({
  description: 'Slow', version: '1.0.0', frequency: 'every day', autoStart: false,
  models: { Item },
  exec: async (nango) => {
    await nango.setMergingStrategy({ strategy: 'ignore_if_modified_after_cursor' }, 'Item');
    const page = [1, 2, 3, 4, 5].map((n) => ({ id: 'item-' + n, title: 'first', n }));
    await nango.batchSave(page, 'Item');
    for (let i = 0; i < 600; i++) {
      const got = await nango.getRecordsByIds(['item-1'], 'Item');
      if (got.get('item-1')?.title === 'other') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await nango.batchSave(page.map((r) => ({ ...r, title: 'stale' })), 'Item');
  },
});
`
	other := strings.Replace(strings.Replace(slow, "'Slow'", "'Other'", 1),
		`exec: async (nango) => {`, `exec: async (nango) => { await nango.batchSave([{ id: 'item-1', title: 'other', n: 1 }], 'Item'); return;`, 1)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/slow.ts": slow, "github/syncs/other.ts": other}}, nil, http.StatusOK)
	w.connect("c1", map[string]any{"count": 0})
	trigger := func(name string) {
		w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{name}, "connection_id": "c1"}, nil, http.StatusOK)
	}
	statusOf := func(name string) status {
		var out struct{ Syncs []status }
		if err := json.Unmarshal(w.call("GET", "/sync/status?provider_config_key=github&syncs="+name+"&connection_id=c1", nil, nil, http.StatusOK), &out); err != nil || len(out.Syncs) != 1 {
			t.Fatalf("status: %v %+v", err, out)
		}
		return out.Syncs[0]
	}
	waitDone := func(name string) status {
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if st := statusOf(name); st.FinishedAt != nil && st.Status != "RUNNING" {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never finished", name)
			}
		}
	}
	trigger("slow")
	for deadline := time.Now().Add(90 * time.Second); len(w.records("c1", "")) < 5; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow run saved nothing")
		}
	}
	trigger("other")
	// Never started (autoStart false), so STOPPED between triggered runs.
	if st := waitDone("other"); st.Status != "STOPPED" || st.LatestResult["Item"]["updated"] != 1 {
		t.Fatalf("other: %+v", st)
	}
	st := waitDone("slow")
	if st.Status != "STOPPED" || st.LatestResult["Item"]["added"] != 5 || st.LatestResult["Item"]["updated"] != 4 {
		t.Fatalf("slow: %+v", st)
	}
	titles := map[string]string{}
	for _, r := range w.records("c1", "") {
		titles[r.ID] = r.Title
	}
	want := map[string]string{"item-1": "other", "item-2": "stale", "item-3": "stale", "item-4": "stale", "item-5": "stale"}
	for id, title := range want {
		if titles[id] != title {
			t.Fatalf("titles %v, want %v", titles, want)
		}
	}
}

// TestRecordsPrune: PATCH /records/prune drops payloads oldest first, a
// limit at a time, and a resync restores them.
func TestRecordsPrune(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, nil)
			start := time.Now().Add(-time.Second)
			w.connect("c1", map[string]any{"count": 25})
			w.waitRun("c1", start)
			all := w.records("c1", "")
			last := all[len(all)-1].Meta.Cursor
			h := map[string]string{"Connection-Id": "c1", "Provider-Config-Key": "github"}
			for i, want := range []string{`{"count":10,"has_more":true}`, `{"count":10,"has_more":true}`, `{"count":5,"has_more":false}`} {
				out := w.call("PATCH", "/records/prune", map[string]any{"model": "Item", "until_cursor": last, "limit": 10}, h, http.StatusOK)
				if strings.TrimSpace(string(out)) != want {
					t.Fatalf("prune %d: %s, want %s", i, out, want)
				}
			}
			for _, r := range w.records("c1", "") {
				if r.Title != "" || r.ID == "" || r.Meta.Cursor == "" {
					t.Fatalf("a pruned record: %+v", r)
				}
			}
			since := time.Now()
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusOK)
			if st := w.waitRun("c1", since); st.Status != "SUCCESS" || st.LatestResult["Item"]["updated"] != 25 {
				t.Fatalf("the resync: %+v", st)
			}
			for _, r := range w.records("c1", "") {
				if r.Title == "" {
					t.Fatalf("the resync did not restore %+v", r)
				}
			}
		})
	}
}

// TestRecordsRetention: with settings.functions.records_retention_days,
// housekeeping purges the records no run has saved for that long, and
// keeps those a later run saved unchanged (a full resync touches them
// without modifying them).
func TestRecordsRetention(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, nil)
			for _, bad := range []int{-1, 3651} {
				out := w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"records_retention_days": bad}}}, nil, http.StatusBadRequest)
				if !strings.Contains(string(out), "records_retention_days") {
					t.Fatalf("retention %d refused with %s, which does not name the field", bad, out)
				}
			}
			out := w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"records_retention_days": 1}}}, nil, http.StatusOK)
			if !strings.Contains(string(out), `"records_retention_days":1`) {
				t.Fatalf("settings answer %s", out)
			}
			start := time.Now().Add(-time.Second)
			w.connect("c1", map[string]any{"count": 5})
			if st := w.waitRun("c1", start); st.Status != "SUCCESS" || st.RecordCount["Item"] != 5 {
				t.Fatalf("the first run: %+v", st)
			}
			// mid parts the two runs: retention as of a day after it keeps
			// what the second run saved, unchanged as it is.
			time.Sleep(10 * time.Millisecond)
			mid := time.Now()
			time.Sleep(10 * time.Millisecond)
			w.setMetadata("c1", map[string]any{"count": 3})
			since := time.Now()
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusOK)
			if st := w.waitRun("c1", since); st.Status != "SUCCESS" || st.LatestResult["Item"]["updated"] != 0 || st.LatestResult["Item"]["added"] != 0 {
				t.Fatalf("the second run changed records: %+v", st)
			}
			envID, err := w.pb.App.EnvironmentID(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			// A day after the first run's saves, not yet after the second's.
			n, err := w.pb.App.Syncs().PurgeUntouched(t.Context(), []string{envID}, mid.Add(24*time.Hour))
			if err != nil || n != 2 {
				t.Fatalf("PurgeUntouched = %d, %v; want 2 (item-3, item-4)", n, err)
			}
			var ids []string
			for _, r := range w.records("c1", "") {
				ids = append(ids, r.ID)
			}
			sort.Strings(ids)
			if fmt.Sprint(ids) != "[item-0 item-1 item-2]" {
				t.Fatalf("records after retention: %v, want item-0..2", ids)
			}
			if st := w.status("c1"); st.RecordCount["Item"] != 3 {
				t.Fatalf("recordCount after retention = %v, want 3", st.RecordCount)
			}
			// Past a day after the second run too: nothing is left.
			if n, err := w.pb.App.Syncs().PurgeUntouched(t.Context(), []string{envID}, time.Now().Add(25*time.Hour)); err != nil || n != 3 {
				t.Fatalf("PurgeUntouched later = %d, %v; want 3", n, err)
			}
			if got := w.records("c1", ""); len(got) != 0 {
				t.Fatalf("records left: %+v", got)
			}
		})
	}
}
