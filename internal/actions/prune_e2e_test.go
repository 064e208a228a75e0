package actions_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/wire"
)

func simpleFunction(kind, description string) string {
	if kind == "sync" {
		return `import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({ description: '` + description + `', version: '1.0.0', frequency: 'every day', autoStart: false,
  models: { Item: z.object({ id: z.string() }) }, exec: async () => {} });
`
	}
	return `import { createAction } from 'nango';
export default createAction({ description: '` + description + `', version: '1.0.0', exec: async () => ({ ok: true }) });
`
}

// A deploy of the whole project lists the deployed functions the project
// no longer has and keeps them; with prune it removes them. A function
// whose file now exports another type (an action turned into a sync) is
// one of them: its old type's deployment.
func TestDeployPrune(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, backend, nil)
			deploy := func(body map[string]any, want int) wire.DeployResult {
				t.Helper()
				res := w.call("POST", "/functions/deploy", body, nil, want)
				var out wire.DeployResult
				if want == http.StatusOK {
					if err := json.Unmarshal(res.body, &out); err != nil {
						t.Fatal(err)
					}
				}
				return out
			}
			names := func(fs []wire.Undeployed) []string {
				var out []string
				for _, f := range fs {
					out = append(out, f.Integration+"/"+f.Type+"/"+f.Name)
				}
				slices.Sort(out)
				return out
			}
			configured := func() []string {
				var cfg []struct {
					ProviderConfigKey string `json:"providerConfigKey"`
					Syncs             []struct{ Name string }
					Actions           []struct{ Name string }
				}
				if err := json.Unmarshal(w.call("GET", "/scripts/config", nil, nil, http.StatusOK).body, &cfg); err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, c := range cfg {
					for _, s := range c.Syncs {
						out = append(out, c.ProviderConfigKey+"/sync/"+s.Name)
					}
					for _, a := range c.Actions {
						out = append(out, c.ProviderConfigKey+"/action/"+a.Name)
					}
				}
				slices.Sort(out)
				return out
			}
			all := map[string]string{
				"github/actions/keep.ts":  simpleFunction("action", "kept"),
				"github/actions/old.ts":   simpleFunction("action", "removed later"),
				"github/actions/moved.ts": simpleFunction("action", "becomes a sync"),
				"github/syncs/gone.ts":    simpleFunction("sync", "removed later"),
			}
			if res := deploy(map[string]any{"files": all}, http.StatusOK); len(res.NotInProject) != 0 || len(res.Removed) != 0 {
				t.Fatalf("first deploy: %+v", res)
			}
			// old and gone deleted; moved exports a sync now.
			now := map[string]string{
				"github/actions/keep.ts":  all["github/actions/keep.ts"],
				"github/actions/moved.ts": simpleFunction("sync", "a sync now"),
			}
			res := deploy(map[string]any{"files": now}, http.StatusOK)
			want := []string{"github/action/moved", "github/action/old", "github/sync/gone"}
			if got := names(res.NotInProject); !slices.Equal(got, want) || len(res.Removed) != 0 {
				t.Fatalf("not in project %v, removed %v; want %v kept", got, names(res.Removed), want)
			}
			if got, want := configured(), []string{"github/action/keep", "github/action/moved", "github/action/old", "github/sync/gone", "github/sync/moved"}; !slices.Equal(got, want) {
				t.Fatalf("deployed %v, want %v: a deploy without prune removes nothing", got, want)
			}
			// Naming functions deploys part of the project: nothing is
			// listed, and prune cannot go with it.
			if res := deploy(map[string]any{"files": now, "functions": []string{"github/keep"}}, http.StatusOK); len(res.NotInProject) != 0 {
				t.Fatalf("a partial deploy listed %v", names(res.NotInProject))
			}
			bad := w.call("POST", "/functions/deploy", map[string]any{"files": now, "functions": []string{"github/keep"}, "prune": true}, nil, http.StatusBadRequest)
			if !strings.Contains(string(bad.body), "prune") {
				t.Fatalf("prune with functions: %s", bad.body)
			}
			w.call("POST", "/functions/deploy", map[string]any{"files": now, "prune": "yes"}, nil, http.StatusBadRequest)

			res = deploy(map[string]any{"files": now, "prune": true}, http.StatusOK)
			if got := names(res.Removed); !slices.Equal(got, want) || len(res.NotInProject) != 0 {
				t.Fatalf("prune removed %v (listed %v), want %v", got, names(res.NotInProject), want)
			}
			if got, want := configured(), []string{"github/action/keep", "github/sync/moved"}; !slices.Equal(got, want) {
				t.Fatalf("deployed after prune %v, want %v", got, want)
			}
			if res := deploy(map[string]any{"files": now, "prune": true}, http.StatusOK); len(res.NotInProject) != 0 || len(res.Removed) != 0 {
				t.Fatalf("nothing left to prune, yet %+v", res)
			}
		})
	}
}
