package syncs_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// itemsAction is an action named as the world's sync, items: Nango lets an
// action and a sync of one integration share a name (google-calendar's
// settings), so every route must tell them apart by type.
const itemsAction = `import { createAction } from 'nango';
import * as z from 'zod';

export default createAction({
  description: 'Counts to n', version: '2.0.0',
  input: z.object({ n: z.number() }),
  output: z.object({ kind: z.string(), n: z.number() }),
  exec: async (nango, input) => ({ kind: 'the action', n: input.n }),
});
`

// TestSameNameActionAndSync: an action and a sync both named items in one
// integration deploy together, each route reaches the one of its type,
// and undeploying one leaves the other.
func TestSameNameActionAndSync(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, nil)
			files := map[string]string{"github/syncs/items.ts": itemsSync, "github/actions/items.ts": itemsAction}
			var deployed struct {
				Deployed []struct{ Name, Type string }
			}
			if err := json.Unmarshal(w.call("POST", "/functions/deploy", map[string]any{"files": files}, nil, http.StatusOK), &deployed); err != nil {
				t.Fatal(err)
			}
			if len(deployed.Deployed) != 2 || deployed.Deployed[0].Type != "action" || deployed.Deployed[1].Type != "sync" {
				t.Fatalf("deployed %+v; want the action and the sync", deployed.Deployed)
			}
			w.connect("c1", map[string]any{"count": 5})
			w.waitSynced("items", "c1")

			trigger := func(want int) []byte {
				t.Helper()
				return w.call("POST", "/action/trigger", map[string]any{"action_name": "items", "input": map[string]any{"n": 7}},
					map[string]string{"Connection-Id": "c1", "Provider-Config-Key": "github"}, want)
			}
			if out := trigger(http.StatusOK); !strings.Contains(string(out), `"the action"`) {
				t.Fatalf("the action answered %s", out)
			}
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusOK)
			if list, code := w.syncStatus("items", "c1"); code != http.StatusOK || len(list) != 1 || list[0].Name != "items" {
				t.Fatalf("status of the sync: %d %+v", code, list)
			}

			var config []struct {
				Syncs   []map[string]any `json:"syncs"`
				Actions []map[string]any `json:"actions"`
			}
			if err := json.Unmarshal(w.call("GET", "/scripts/config", nil, nil, http.StatusOK), &config); err != nil {
				t.Fatal(err)
			}
			if len(config) != 1 || len(config[0].Syncs) != 1 || len(config[0].Actions) != 1 ||
				config[0].Syncs[0]["name"] != "items" || config[0].Actions[0]["name"] != "items" || config[0].Actions[0]["version"] != "2.0.0" {
				t.Fatalf("scripts/config = %+v; want the sync and the action, both items", config)
			}

			// Without a type, undeploy cannot tell which; with one, it takes
			// that one only.
			for _, c := range []struct {
				path    string
				status  int
				mention string
			}{
				{"/functions/github/items", http.StatusConflict, `"type"`},
				{"/functions/github/items?type=on-event", http.StatusNotFound, "unknown_function"},
			} {
				if out := w.call("DELETE", c.path, nil, nil, c.status); !strings.Contains(string(out), c.mention) {
					t.Fatalf("DELETE %s answered %s; want it to name %s", c.path, out, c.mention)
				}
			}
			w.call("DELETE", "/functions/github/items?type=action", nil, nil, http.StatusOK)
			if out := trigger(http.StatusNotFound); !strings.Contains(string(out), "unknown_action") {
				t.Fatalf("the undeployed action answered %s", out)
			}
			if st := w.waitSynced("items", "c1"); st.RecordCount["Item"] != 5 {
				t.Fatalf("the sync after undeploying the action: %+v", st)
			}
			if n := w.modelRecords("Item", "c1"); n != 5 {
				t.Fatalf("undeploying the action left %d items, want 5", n)
			}

			// Back again, then the sync goes and the action stays.
			w.call("POST", "/functions/deploy", map[string]any{"files": files, "functions": []string{"actions/items"}}, nil, http.StatusOK)
			trigger(http.StatusOK)
			w.call("DELETE", "/functions/github/items?type=sync", nil, nil, http.StatusOK)
			if _, code := w.syncStatus("items", "c1"); code != http.StatusNotFound {
				t.Fatalf("status of the undeployed sync: %d, want 404", code)
			}
			w.call("POST", "/sync/trigger", map[string]any{"provider_config_key": "github", "syncs": []string{"items"}, "connection_id": "c1"}, nil, http.StatusNotFound)
			if out := trigger(http.StatusOK); !strings.Contains(string(out), `"the action"`) {
				t.Fatalf("the action after undeploying the sync answered %s", out)
			}
		})
	}
}
