package actions_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// explode is an action that calls a helper, in another file, which
// throws on its line 4, column 12 (x.explode()).
const explode = `import { createAction } from 'nango';
import * as z from 'zod';
import { boom } from '../helpers/boom.js';

export default createAction({
  description: 'Fail in a helper',
  input: z.object({}),
  output: z.object({}),
  exec: async () => {
    boom();
    return {};
  },
});
`

const boom = `// A helper that throws.
export function boom(): never {
    const x: any = undefined;
    return x.explode();
}
`

// TestFailuresNameSources: the stack of a deployed action's failure names
// the TypeScript file, line and column (github/helpers/boom.ts:4:12), not
// the bundle's (<eval>:…), whether the action was triggered, run
// asynchronously or dry-run from its sources.
func TestFailuresNameSources(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, backend, nil)
			files := map[string]string{"github/actions/explode.ts": explode, "github/helpers/boom.ts": boom}
			w.deploy(files)
			named := func(what string, status int, body []byte) {
				t.Helper()
				s := string(body)
				if !strings.Contains(s, "at boom (github/helpers/boom.ts:4:12)") || !strings.Contains(s, "at exec (github/actions/explode.ts:10:") ||
					strings.Contains(s, "<eval>") || strings.Contains(s, "eval\\u003e") {
					t.Fatalf("%s: %d %s; want a stack in the sources", what, status, body)
				}
			}

			res := w.trigger("gh-1", "explode", map[string]any{}, nil)
			if res.status != http.StatusFailedDependency {
				t.Fatalf("trigger: %d %s", res.status, res.body)
			}
			named("trigger", res.status, res.body)

			res = w.trigger("gh-1", "explode", map[string]any{}, map[string]string{"X-Async": "true"})
			if res.status != http.StatusAccepted {
				t.Fatalf("async: %d %s", res.status, res.body)
			}
			statusURL := res.json(t)["statusUrl"].(string)
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				r := w.call("GET", statusURL, nil, nil, 0)
				if r.status == http.StatusFailedDependency {
					named("async run", r.status, r.body)
					break
				}
				if r.status != http.StatusAccepted || time.Now().After(deadline) {
					t.Fatalf("status: %d %s", r.status, r.body)
				}
			}

			res = w.call("POST", "/functions/dryrun", map[string]any{"files": files, "function": "explode", "connection_id": "gh-1", "input": map[string]any{}}, nil, http.StatusOK)
			named("dry run", res.status, res.body)
		})
	}
}
