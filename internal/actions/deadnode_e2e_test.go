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
func TestAsyncActionOfADeadNode(t *testing.T) {
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
		})
	}
}
