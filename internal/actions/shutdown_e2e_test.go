package actions_test

import (
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// slowAction asks the provider once (its answer, a 404, does not
// matter), then takes two seconds to answer.
const slowAction = `import { createAction } from 'nango';
export default createAction({
  description: 'Slow', version: '1.0.0',
  exec: async (nango) => {
    await nango.get({ endpoint: '/repos/octocat/slow-action' }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return { done: true };
  },
});
`

// An async action in flight when its node stops is given the shutdown
// timeout to finish, as once more the shutdown promises: it is not
// cancelled with the signal (and run again after the restart).
func TestAsyncActionFinishesThroughShutdown(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, map[string]string{"PATCHBAY_SHUTDOWN_TIMEOUT": "2m"})
			w.deploy(map[string]string{"github/actions/slow.ts": slowAction})
			res := w.trigger("gh-1", "slow", nil, map[string]string{"X-Async": "true"})
			if res.status != http.StatusAccepted {
				t.Fatalf("async: %d %s", res.status, res.body)
			}
			statusURL := res.json(t)["statusUrl"].(string)
			asked := sim.RequestFilter{Provider: "github", Path: "/github/repos/octocat/slow-action"}
			for deadline := time.Now().Add(time.Minute); len(w.sim.Requests(asked)) == 0; {
				if time.Now().After(deadline) {
					t.Fatalf("the action did not start in a minute: %+v", w.sim.Requests(sim.RequestFilter{Provider: "github"}))
				}
				time.Sleep(10 * time.Millisecond)
			}
			old := w.pb
			old.Stop(t)
			// The same data, on a new node.
			w.pb = apptest.Start(t, apptest.Options{Backend: backend, Env: maps.Clone(old.Env), DataDir: old.DataDir})
			r := w.call("GET", statusURL, nil, nil, 0)
			if r.status != http.StatusOK || r.json(t)["done"] != true {
				t.Fatalf("after the restart: %d %s, want the result of the run finished before the stop", r.status, r.body)
			}
			if n := len(w.sim.Requests(asked)); n != 1 {
				t.Fatalf("the action asked the provider %d times: it ran again", n)
			}
		})
	}
}
