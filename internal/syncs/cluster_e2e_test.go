package syncs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/postgres"
	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/vault"
)

// tickSync runs every 30 s (the minimum) and saves three records stamped
// with the run's start, so every run changes them.
const tickSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), n: z.number(), at: z.string() });

export default createSync({
  description: 'Ticks', version: '1.0.0', frequency: 'every 30 seconds', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    const at = new Date().toISOString();
    await nango.batchSave([0, 1, 2].map((n) => ({ id: 'tick-' + n, n, at })), 'Item');
  },
});
`

// pagingSync saves metadata.count records in pages of 100, a checkpoint
// after each, every record carrying metadata.version: a run with a new
// version updates every record. metadata.pause (ms) between pages
// stretches the run so that a reader pages while it writes.
const pagingSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), n: z.number(), version: z.number() });

export default createSync({
  description: 'Paged items', version: '1.0.0', frequency: 'every day', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const cp = (await nango.getCheckpoint()) || { next: 0 };
    for (let i = cp.next; i < md.count; i += 100) {
      const page = [];
      for (let j = i; j < Math.min(i + 100, md.count); j++) page.push({ id: 'r' + j, n: j, version: md.version });
      await nango.batchSave(page, 'Item');
      await nango.saveCheckpoint({ next: i + 100 });
      if (md.pause) await new Promise((resolve) => setTimeout(resolve, md.pause));
    }
    await nango.clearCheckpoint();
  },
});
`

// startWorld is newWorld with another sync deployed as github's "items",
// and the server's logs sent to logs (nil: warnings to the test log).
func startWorld(t *testing.T, backend apptest.Backend, logs io.Writer, source string) *world {
	t.Helper()
	w := &world{t: t, sim: providersim.Start(t, providersim.Options{})}
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	w.pb = apptest.Start(t, apptest.Options{Backend: backend, Logs: logs, Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file}})
	w.call("POST", "/integrations", map[string]any{"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"}}, nil, http.StatusOK)
	w.call("POST", "/functions/deploy", map[string]any{"files": map[string]string{"github/syncs/items.ts": source}}, nil, http.StatusOK)
	return w
}

// runLog is a node's debug log: it counts the runs that node finished
// successfully, per connection, and keeps its warnings and errors for the
// test log.
type runLog struct {
	mu       sync.Mutex
	tail     []byte
	runs     map[string]int // connection id → successful runs
	warnings []string
}

var (
	runSucceeded = regexp.MustCompile(`msg="sync run succeeded".* connection=(\S+)`)
	warnLine     = regexp.MustCompile(`level=(WARN|ERROR)`)
)

func newRunLog(t *testing.T, name string) *runLog {
	l := &runLog{runs: map[string]int{}}
	// Registered before the node starts, so it runs after the node
	// stopped: its last warnings are in.
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.warnings {
			if i == 20 {
				t.Logf("%s: %d more warnings", name, len(l.warnings)-i)
				break
			}
			t.Logf("%s: %s", name, w)
		}
	})
	return l
}

func (l *runLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := append(l.tail, p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		line := buf[:i]
		if m := runSucceeded.FindSubmatch(line); m != nil {
			l.runs[string(m[1])]++
		} else if warnLine.Match(line) {
			l.warnings = append(l.warnings, string(line))
		}
		buf = buf[i+1:]
	}
	l.tail = append(l.tail[:0:0], buf...)
	return len(p), nil
}

func (l *runLog) counts() (map[string]int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0
	for _, n := range l.runs {
		total += n
	}
	return maps.Clone(l.runs), total
}

// openStore opens the PostgreSQL schema a test server uses, with its key,
// to read what the API does not show (run records).
func openStore(t *testing.T, pb *apptest.Server) store.Store {
	t.Helper()
	key, err := vault.ParseKey(pb.Env["PATCHBAY_ENCRYPTION_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(context.Background(), pb.Env["PATCHBAY_DATABASE_URL"]+"&pool_max_conns=2", v, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connectAll makes n connections, a few at a time.
func connectAll(t *testing.T, w *world, n int) {
	t.Helper()
	ids := make(chan string)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				errs <- w.tryConnect(id)
			}
		}()
	}
	for i := range n {
		ids <- fmt.Sprintf("n-%03d", i)
	}
	close(ids)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tryConnect is connect for other goroutines than the test's: it returns
// its error.
func (w *world) tryConnect(id string) error {
	g := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, 8*time.Hour, true)
	body, err := json.Marshal(map[string]any{"provider_config_key": "github", "connection_id": id, "metadata": map[string]any{},
		"credentials": map[string]any{"type": "OAUTH2", "access_token": g.AccessToken, "refresh_token": g.RefreshToken}})
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", w.pb.URL+"/connections", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("connect %s: %w", id, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("connect %s: %d %s", id, resp.StatusCode, raw)
	}
	return nil
}

// Sizes of TestSyncTwoNodes.
const (
	clusterConnections = 200
	clusterFrequency   = 30 * time.Second
	// clusterWindow is how long at least the syncs run before they are
	// paused: the initial run and two scheduled ones.
	clusterWindow = 85 * time.Second
)

// TestSyncTwoNodes runs 200 sync instances every 30 s on two nodes of one
// PostgreSQL database for a few periods, then checks the run records: each
// instance ran its initial run and then once a period, every run
// succeeded, no two runs of an instance overlapped, and both nodes ran
// some. Nothing is asserted about timing but what the run records say.
func TestSyncTwoNodes(t *testing.T) {
	t.Parallel()
	if !storetest.PostgresConfigured() {
		t.Skipf("%s is not set; PostgreSQL tests skipped", storetest.DatabaseURLEnv)
	}
	ctx := context.Background()
	logA, logB := newRunLog(t, "node A"), newRunLog(t, "node B")
	w := startWorld(t, apptest.Postgres, logA, tickSync)
	// A second node on the same database, key and catalog.
	env := maps.Clone(w.pb.Env)
	env["PATCHBAY_ADDR"] = "127.0.0.1:0"
	apptest.Start(t, apptest.Options{Backend: apptest.Postgres, Env: env, Logs: logB})
	st := openStore(t, w.pb)
	envID, err := w.pb.App.EnvironmentID(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	connectAll(t, w, clusterConnections)
	connected := time.Now()
	t.Logf("%d connections made in %s", clusterConnections, connected.Sub(start).Round(time.Millisecond))
	instances, err := st.SyncInstances().List(ctx, store.SyncInstanceFilter{EnvironmentID: envID, IntegrationKey: "github"})
	if err != nil {
		t.Fatal(err)
	}
	if len(instances) != clusterConnections {
		t.Fatalf("%d sync instances, want %d", len(instances), clusterConnections)
	}

	// Let them run a few periods: at least clusterWindow, and until every
	// instance has run twice, which a loaded machine may take longer to
	// get to (the deadline only turns a hang into a failure).
	for deadline := connected.Add(5 * time.Minute); ; {
		time.Sleep(2 * time.Second)
		if time.Since(start) < clusterWindow {
			continue
		}
		short := 0
		for _, in := range instances {
			runs, err := st.SyncInstances().Runs(ctx, in.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			done := 0
			for _, r := range runs {
				if r.EndedAt != nil {
					done++
				}
			}
			if done < 2 {
				short++
			}
		}
		if short == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d instances have not run twice %s after their connections were made", short, time.Since(connected).Round(time.Second))
			break
		}
	}
	w.call("POST", "/sync/pause", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}}, nil, http.StatusOK)
	paused := time.Now()

	// Runs queued before the pause still run: wait until none is queued
	// or going.
	for deadline := time.Now().Add(3 * time.Minute); ; {
		instances, err = st.SyncInstances().List(ctx, store.SyncInstanceFilter{EnvironmentID: envID, IntegrationKey: "github"})
		if err != nil {
			t.Fatal(err)
		}
		busy := 0
		for _, in := range instances {
			if in.QueueToken != "" {
				busy++
			}
		}
		if busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d instances still queued or running 3 minutes after the pause", busy)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Claims happen between start and the pause, each at least a period
	// after the end of the instance's previous run.
	maxRuns := int(paused.Sub(start)/clusterFrequency) + 1
	perInstance := map[int]int{} // runs → instances
	nodes := map[string]int{}
	var longest time.Duration
	shortestGap := time.Duration(1<<63 - 1)
	logged, _ := logA.counts()
	loggedB, _ := logB.counts()
	for _, in := range instances {
		runs, err := st.SyncInstances().Runs(ctx, in.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		perInstance[len(runs)]++
		if len(runs) < 2 || len(runs) > maxRuns {
			t.Errorf("%s: %d runs in %s, want 2 to %d", in.ConnectionID, len(runs), paused.Sub(start).Round(time.Second), maxRuns)
		}
		for i, r := range runs {
			nodes[r.Node]++
			if r.Status != store.SyncSuccess || r.EndedAt == nil {
				t.Errorf("%s: run %d (%s on %s) is %s, ended %v, error %s", in.ConnectionID, i, r.ID, r.Node, r.Status, r.EndedAt, r.Error)
				continue
			}
			longest = max(longest, r.EndedAt.Sub(r.StartedAt))
			if i == 0 {
				continue
			}
			prev := runs[i-1]
			if prev.EndedAt == nil {
				continue // reported above
			}
			if !r.StartedAt.After(*prev.EndedAt) {
				t.Errorf("%s: run %d started at %s, before run %d ended at %s: two runs at once", in.ConnectionID, i,
					r.StartedAt.Format(time.RFC3339Nano), i-1, prev.EndedAt.Format(time.RFC3339Nano))
				continue
			}
			gap := r.StartedAt.Sub(*prev.EndedAt)
			shortestGap = min(shortestGap, gap)
			// The next run is scheduled a period after the end of the last
			// (plus jitter); the stored times are rounded to microseconds.
			if gap < clusterFrequency-time.Millisecond {
				t.Errorf("%s: run %d started %s after run %d ended, less than the frequency (%s)", in.ConnectionID, i, gap, i-1, clusterFrequency)
			}
			if r.Generation != prev.Generation+1 {
				t.Errorf("%s: run %d has generation %d after %d", in.ConnectionID, i, r.Generation, prev.Generation)
			}
		}
		// The nodes' logs tell the same story.
		if got := logged[in.ConnectionID] + loggedB[in.ConnectionID]; got != len(runs) {
			t.Errorf("%s: the nodes logged %d successful runs (%d + %d), the run records hold %d", in.ConnectionID, got,
				logged[in.ConnectionID], loggedB[in.ConnectionID], len(runs))
		}
	}
	_, totalA := logA.counts()
	_, totalB := logB.counts()
	t.Logf("runs per instance: %v (at most %d allowed in %s); by run record node: %v; by node log: A %d, B %d; longest run %s, shortest gap between runs %s",
		perInstance, maxRuns, paused.Sub(start).Round(time.Second), nodes, totalA, totalB, longest.Round(time.Millisecond), shortestGap.Round(time.Millisecond))
	if totalA == 0 || totalB == 0 {
		t.Errorf("one node did all the work: node A ran %d, node B %d", totalA, totalB)
	}
	// The run records themselves must say which node ran them.
	if len(nodes) < 2 {
		t.Errorf("every run record names node %v: the two nodes (A ran %d, B %d) cannot be told apart in sync_runs", slices.Collect(maps.Keys(nodes)), totalA, totalB)
	}
}

// pagedItem is an item of pagingSync as GET /records returns it.
type pagedItem struct {
	ID      string `json:"id"`
	N       int    `json:"n"`
	Version int    `json:"version"`
	Meta    struct {
		Cursor string `json:"cursor"`
	} `json:"_nango_metadata"`
}

// pageRead is what a reader saw following the cursor through a run.
type pageRead struct {
	// last is each id's version as last seen.
	last map[string]int
	// versions counts the records seen per version; during, those read
	// in pages asked for while the run had not finished.
	versions, during map[int]int
	pages            int
	// cursor is the last record's cursor.
	cursor string
}

// pageDuring follows conn's records from cursor (from the start when
// empty) with limit 50 until it reaches the end of a read that began after
// the run that finished at or after since had finished. Every record's
// cursor must be above the one before it.
func (w *world) pageDuring(conn, cursor string, since time.Time) pageRead {
	w.t.Helper()
	out := pageRead{last: map[string]int{}, versions: map[int]int{}, during: map[int]int{}, cursor: cursor}
	var after int64
	if cursor != "" {
		var err error
		if after, err = records.DecodeCursor(cursor); err != nil {
			w.t.Fatal(err)
		}
	}
	h := map[string]string{"Connection-Id": conn, "Provider-Config-Key": "github"}
	finished := false
	for deadline := time.Now().Add(3 * time.Minute); ; {
		// Whether the run had finished before this page was asked for:
		// if so, the end of this read is the end of the run's writes.
		if !finished {
			st := w.status(conn)
			finished = st.Status != "RUNNING" && st.FinishedAt != nil && !st.FinishedAt.Before(since)
			if finished && st.Status != "SUCCESS" {
				w.t.Fatalf("the run failed: %+v", st)
			}
			if !finished && time.Now().After(deadline) {
				w.t.Fatalf("the run did not finish in 3 minutes: %+v", st)
			}
		}
		q := "/records?model=Item&limit=50"
		if out.cursor != "" {
			q += "&cursor=" + out.cursor
		}
		var page struct {
			Records    []pagedItem `json:"records"`
			NextCursor *string     `json:"next_cursor"`
		}
		if err := json.Unmarshal(w.call("GET", q, nil, h, http.StatusOK), &page); err != nil {
			w.t.Fatal(err)
		}
		out.pages++
		for _, r := range page.Records {
			c, err := records.DecodeCursor(r.Meta.Cursor)
			if err != nil {
				w.t.Fatalf("record %s: %v", r.ID, err)
			}
			if c <= after {
				w.t.Fatalf("record %s has cursor %d after cursor %d: cursors must only grow", r.ID, c, after)
			}
			after = c
			out.cursor = r.Meta.Cursor
			out.last[r.ID] = r.Version
			out.versions[r.Version]++
			if !finished {
				out.during[r.Version]++
			}
		}
		if page.NextCursor != nil {
			if *page.NextCursor != out.cursor {
				w.t.Fatalf("next_cursor %s is not the page's last cursor %s", *page.NextCursor, out.cursor)
			}
			continue
		}
		if finished {
			return out
		}
		time.Sleep(5 * time.Millisecond) // at the end: wait for the run
	}
}

// pagingRecords is how many records TestRecordsPagingDuringSync's sync
// saves a run.
const pagingRecords = 3000

// pagingPause (ms) between the sync's pages stretches its run over many
// pages of a reader.
const pagingPause = 40

// TestRecordsPagingDuringSync: a client paging GET /records while a run
// saves (then updates) every record never misses one: keyset pagination
// on a cursor every change moves forward.
func TestRecordsPagingDuringSync(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, backend, nil, pagingSync)
			want := func(what string, r pageRead, version int) {
				t.Helper()
				t.Logf("%s: %d pages, records seen per version %v, of which read while the run went %v", what, r.pages, r.versions, r.during)
				var missing, stale []string
				for i := range pagingRecords {
					id := fmt.Sprintf("r%d", i)
					v, ok := r.last[id]
					switch {
					case !ok:
						missing = append(missing, id)
					case v != version:
						stale = append(stale, fmt.Sprintf("%s@%d", id, v))
					}
				}
				if len(r.last) != pagingRecords || len(missing) > 0 || len(stale) > 0 {
					sort.Strings(missing)
					t.Errorf("%s: %d ids seen; %d never seen (%v), %d last seen at an older version than %d (%v)", what, len(r.last),
						len(missing), head(missing), len(stale), version, head(stale))
				}
				// Records of this run read before it finished: the read
				// overlapped the run's writes (else it proves nothing).
				if r.during[version] == 0 {
					t.Errorf("%s: the read did not overlap the run", what)
				}
			}
			run := func(version int) time.Time {
				t.Helper()
				w.setMetadata("p1", map[string]any{"count": pagingRecords, "version": version, "pause": pagingPause})
				since := time.Now()
				w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "p1"}, nil, http.StatusOK)
				return since
			}

			// The initial run adds the records while a reader pages from
			// the start.
			since := time.Now()
			w.connect("p1", map[string]any{"count": pagingRecords, "version": 1, "pause": pagingPause})
			want("initial run, from the start", w.pageDuring("p1", "", since), 1)

			// A second run updates every record while a reader pages from
			// the start again: a record it updates behind the reader comes
			// again ahead of it.
			r := w.pageDuring("p1", "", run(2))
			want("second run, from the start", r, 2)

			// A third, while a reader goes on from where the last read
			// ended: every record the run updates comes after that cursor.
			r = w.pageDuring("p1", r.cursor, run(3))
			want("third run, from the saved cursor", r, 3)
			if r.versions[1]+r.versions[2] > 0 {
				t.Errorf("after the saved cursor: records of earlier runs %v", r.versions)
			}
		})
	}
}

// head is the first few of a list, for messages.
func head(s []string) []string {
	return s[:min(len(s), 10)]
}

// TestTriggerDuringRun: a trigger that comes while a run is going queues
// another run for when it ends (Service.Trigger's promise), which sees
// what changed meanwhile.
func TestTriggerDuringRun(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, backend, nil, pagingSync)
			// 30 pages 100 ms apart: a run of 3 s at least, longer than a
			// scheduler tick.
			since := time.Now()
			w.connect("p1", map[string]any{"count": pagingRecords, "version": 1, "pause": 100})
			h := map[string]string{"Connection-Id": "p1", "Provider-Config-Key": "github"}
			for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
				var page struct{ Records []pagedItem }
				if err := json.Unmarshal(w.call("GET", "/records?model=Item&limit=1", nil, h, http.StatusOK), &page); err != nil {
					t.Fatal(err)
				}
				if len(page.Records) > 0 {
					break // the run is going
				}
				if time.Now().After(deadline) {
					t.Fatalf("the initial run saved nothing in 2 minutes: %+v", w.status("p1"))
				}
			}
			w.setMetadata("p1", map[string]any{"count": pagingRecords, "version": 2, "pause": 0})
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "p1"}, nil, http.StatusOK)
			// The initial run ends, and the triggered one follows it.
			var firstEnd time.Time
			for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
				st := w.status("p1")
				if st.Status == "SUCCESS" && st.Type == "INCREMENTAL" {
					if st.LatestResult["Item"]["updated"] != pagingRecords {
						t.Fatalf("the triggered run: %+v", st)
					}
					break
				}
				if st.Status == "ERROR" {
					t.Fatalf("a run failed: %+v", st)
				}
				if st.Status == "SUCCESS" && st.Type == "INITIAL" && firstEnd.IsZero() {
					firstEnd = *st.FinishedAt
				}
				if !firstEnd.IsZero() && time.Since(firstEnd) > time.Minute || time.Now().After(deadline) {
					t.Fatalf("no run followed the initial one (ended %s), though triggered during it: %+v (next run at %v)",
						firstEnd.Format(time.RFC3339Nano), st, st.NextScheduledSyncAt)
				}
			}
			if got := w.pageDuring("p1", "", since); len(got.last) != pagingRecords || got.versions[2] != pagingRecords {
				t.Fatalf("after the triggered run: %d records, per version %v", len(got.last), got.versions)
			}
		})
	}
}
