package actions_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/store"
)

// longAction asks the provider once, then runs for two minutes.
const longAction = `import { createAction } from 'nango';
export default createAction({
  description: 'Long', version: '1.0.0',
  exec: async (nango) => {
    await nango.get({ endpoint: '/repos/octocat/long-action' }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 120000));
    return { done: true };
  },
});
`

// An async run whose node stopped saying it is alive (its heartbeat is an
// hour old and names another attempt, as a node that died mid-run leaves
// it) is failed after the lease, not left running until the job queue's
// rescue a day later; the live attempt that finds its run taken stops and
// records nothing over the failure.
func TestActionRunsOfADeadNode(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, map[string]string{"PATCHBAY_SYNC_LEASE": "2s"})
			w.deploy(map[string]string{"github/actions/long.ts": longAction})
			res := w.trigger("gh-1", "long", nil, map[string]string{"X-Async": "true"})
			if res.status != http.StatusAccepted {
				t.Fatalf("async: %d %s", res.status, res.body)
			}
			accepted := res.json(t)
			runID, statusURL := accepted["id"].(string), accepted["statusUrl"].(string)
			asked := sim.RequestFilter{Provider: "github", Path: "/github/repos/octocat/long-action"}
			for deadline := time.Now().Add(time.Minute); len(w.sim.Requests(asked)) == 0; {
				if time.Now().After(deadline) {
					t.Fatal("the action did not start in a minute")
				}
				time.Sleep(10 * time.Millisecond)
			}
			envID, err := w.pb.App.EnvironmentID(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.pb.App.Store().ActionRuns().Update(t.Context(), envID, runID, func(r *store.ActionRun) error {
				if r.Status != store.ActionRunning || r.Owner == "" || r.HeartbeatAt == nil {
					t.Errorf("a running run: %+v", r)
				}
				old := time.Now().Add(-time.Hour).UTC()
				r.Owner, r.HeartbeatAt = "a-dead-node/1", &old
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var r response
			for deadline := time.Now().Add(time.Minute); ; {
				if r = w.call("GET", statusURL, nil, nil, 0); r.status != http.StatusAccepted {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the run of the dead node is still running a minute on (its lease is 2 s)")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if r.status == http.StatusOK || !strings.Contains(string(r.body), "the node running the action stopped before it finished") {
				t.Fatalf("the dead node's run: %d %s", r.status, r.body)
			}
			// The live attempt finds its run taken at its next beat and
			// stops without recording its own outcome over the failure.
			time.Sleep(2 * time.Second)
			if again := w.call("GET", statusURL, nil, nil, 0); again.status != r.status || string(again.body) != string(r.body) {
				t.Fatalf("the failed run changed: %d %s, was %d %s", again.status, again.body, r.status, r.body)
			}

			// A synchronous run with an Idempotency-Key is stored too: its
			// node's death fails it the same way, so the request (here
			// still alive) and a twin on the key get the failure rather
			// than waiting out the action's time limit.
			key := map[string]string{"Idempotency-Key": "dead-node-sync"}
			first := make(chan response, 1)
			go func() { first <- w.trigger("gh-1", "long", nil, key) }()
			var syncRun *store.ActionRun
			for deadline := time.Now().Add(time.Minute); syncRun == nil; {
				if time.Now().After(deadline) {
					t.Fatal("the synchronous run was not stored in a minute")
				}
				time.Sleep(10 * time.Millisecond)
				syncRun = w.runByKey(t, "dead-node-sync")
			}
			if syncRun.Owner == "" || syncRun.HeartbeatAt == nil {
				t.Fatalf("a synchronous run has no owner or heartbeat: %+v", syncRun)
			}
			_, err = w.pb.App.Store().ActionRuns().Update(t.Context(), envID, syncRun.ID, func(r *store.ActionRun) error {
				old := time.Now().Add(-time.Hour).UTC()
				r.Owner, r.HeartbeatAt = "a-dead-node/2", &old
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-first:
				if got.status == http.StatusOK || !strings.Contains(string(got.body), "the node running the action stopped before it finished") {
					t.Fatalf("the request whose run was failed: %d %s", got.status, got.body)
				}
			case <-time.After(time.Minute):
				t.Fatal("the request whose run was failed still runs a minute on")
			}
			if twin := w.trigger("gh-1", "long", nil, key); twin.status == http.StatusOK || !strings.Contains(string(twin.body), "the node running the action stopped") {
				t.Fatalf("a twin on the key: %d %s", twin.status, twin.body)
			}
		})
	}
}

// runByKey returns the running run holding an idempotency key, nil when
// there is none yet (every running run has a heartbeat before an hour
// from now).
func (w *world) runByKey(t *testing.T, key string) *store.ActionRun {
	t.Helper()
	running, err := w.pb.App.Store().ActionRuns().Stale(t.Context(), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range running {
		if r.IdempotencyKey == key {
			return r
		}
	}
	return nil
}
