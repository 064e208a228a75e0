package actions_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// world is a Patchbay server whose catalog points at the simulator, with a
// GitHub integration and one connection (gh-1) to the simulated octocat.
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
	for _, id := range []string{"gh-1", "gh-2"} {
		g := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, 8*time.Hour, true)
		w.call("POST", "/connections", map[string]any{"provider_config_key": "github", "connection_id": id,
			"credentials": map[string]any{"type": "OAUTH2", "access_token": g.AccessToken, "refresh_token": g.RefreshToken}}, nil, http.StatusCreated)
	}
	return w
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", r.body)
	}
	return m
}

// call sends an API request; want 0 accepts any status.
func (w *world) call(method, path string, body any, headers map[string]string, want int) response {
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
	return response{resp.StatusCode, resp.Header, raw}
}

func (w *world) deploy(files map[string]string) []any {
	w.t.Helper()
	res := w.call("POST", "/functions/deploy", map[string]any{"files": files}, nil, http.StatusOK)
	return res.json(w.t)["deployed"].([]any)
}

func (w *world) trigger(conn, action string, input any, headers map[string]string) response {
	w.t.Helper()
	h := map[string]string{"Provider-Config-Key": "github", "Connection-Id": conn}
	for k, v := range headers {
		h[k] = v
	}
	return w.call("POST", "/action/trigger", map[string]any{"action_name": action, "input": input}, h, 0)
}

const createIssue = `import { createAction } from 'nango';
import * as z from 'zod';
import { issueTitle } from '../helpers/titles.js';

const Input = z.object({ owner: z.string(), repo: z.string(), title: z.string().min(1), labels: z.array(z.string()).optional() });
const Output = z.object({ number: z.number().int(), url: z.string(), title: z.string() });

export default createAction({
  description: 'Create an issue',
  version: '1.0.0',
  endpoint: { method: 'POST', path: '/issues', group: 'Issues' },
  input: Input,
  output: Output,
  scopes: ['repo'],
  exec: async (nango, input) => {
    const res = await nango.post({ endpoint: '/repos/' + input.owner + '/' + input.repo + '/issues', data: { title: issueTitle(input.title), labels: input.labels ?? [] } });
    return { number: res.data.number, url: res.data.html_url ?? '', title: res.data.title };
  },
});
`

const titles = `export function issueTitle(t: string): string { return '[bot] ' + t; }
`

const countIssues = `import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  description: 'Count the issues of a repository, page by page',
  version: '2',
  input: z.object({ owner: z.string(), repo: z.string() }),
  output: z.object({ total: z.number(), pages: z.number(), first: z.string().nullable(), b64: z.string(), host: z.string() }),
  exec: async (nango, { owner, repo }) => {
    let total = 0, pages = 0, first = null;
    for await (const page of nango.paginate({ endpoint: '/repos/' + owner + '/' + repo + '/issues', params: { state: 'all' }, paginate: { limit: 30 } })) {
      pages++;
      total += page.length;
      first ??= page[0]?.title ?? null;
    }
    const meta = { ...(await nango.getMetadata()), counted: total };
    await nango.setMetadata(meta);
    const b64 = Buffer.from('issues:' + total, 'utf8').toString('base64');
    const host = new URL('https://api.github.com/repos/' + owner).host;
    return { total, pages, first, b64, host };
  },
});
`

func TestActionsEndToEnd(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, backend, nil)
			deployed := w.deploy(map[string]string{
				"github/actions/create-issue.ts": createIssue,
				"github/actions/count-issues.ts": countIssues,
				"github/helpers/titles.ts":       titles,
			})
			if len(deployed) != 2 {
				t.Fatalf("deployed = %v", deployed)
			}

			res := w.trigger("gh-1", "create-issue", map[string]any{"owner": "octocat", "repo": "hello-world", "title": "Broken"}, nil)
			if res.status != 200 {
				t.Fatalf("trigger: %d %s", res.status, res.body)
			}
			out := res.json(t)
			if out["title"] != "[bot] Broken" || out["number"] == nil {
				t.Fatalf("output = %v", out)
			}

			// Pagination, metadata, Buffer, URL.
			res = w.trigger("gh-1", "count-issues", map[string]any{"owner": "octocat", "repo": "hello-world"}, nil)
			if res.status != 200 {
				t.Fatalf("count: %d %s", res.status, res.body)
			}
			out = res.json(t)
			if out["total"].(float64) < 100 || out["pages"].(float64) < 4 || out["host"] != "api.github.com" {
				t.Fatalf("count output = %v", out)
			}
			conn := w.call("GET", "/connections/gh-1?provider_config_key=github", nil, nil, 200).json(t)
			if md := conn["metadata"].(map[string]any); md["counted"] != out["total"] {
				t.Fatalf("metadata = %v", md)
			}

			// Invalid input: 400 with zod's issues, nothing sent.
			res = w.trigger("gh-1", "create-issue", map[string]any{"owner": "octocat", "title": ""}, nil)
			if res.status != 400 {
				t.Fatalf("invalid input: %d %s", res.status, res.body)
			}
			e := res.json(t)["error"].(map[string]any)
			if e["code"] != "invalid_action_input" || !strings.Contains(string(res.body), `"repo"`) {
				t.Fatalf("invalid input error = %s", res.body)
			}

			// A provider error the action does not catch: 424.
			res = w.trigger("gh-1", "create-issue", map[string]any{"owner": "octocat", "repo": "does-not-exist", "title": "x"}, nil)
			if res.status != 424 || res.json(t)["error"].(map[string]any)["code"] != "script_http_error" {
				t.Fatalf("provider error: %d %s", res.status, res.body)
			}

			// Unknown action and connection.
			if res := w.trigger("gh-1", "nope", nil, nil); res.status != 404 {
				t.Fatalf("unknown action: %d %s", res.status, res.body)
			}
			if res := w.trigger("gh-9", "create-issue", map[string]any{}, nil); res.status != 404 {
				t.Fatalf("unknown connection: %d %s", res.status, res.body)
			}

			// scripts/config lists both with their JSON Schemas.
			cfg := w.call("GET", "/scripts/config", nil, nil, 200)
			var integrations []map[string]any
			if err := json.Unmarshal(cfg.body, &integrations); err != nil || len(integrations) != 1 {
				t.Fatalf("scripts config = %s", cfg.body)
			}
			acts := integrations[0]["actions"].([]any)
			if len(acts) != 2 || !strings.Contains(string(cfg.body), `"json_schema"`) || !strings.Contains(string(cfg.body), `"minLength":1`) {
				t.Fatalf("scripts config = %s", cfg.body)
			}
		})
	}
}

func TestIdempotencyKeys(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, backend, nil)
			w.deploy(map[string]string{"github/actions/create-issue.ts": createIssue, "github/helpers/titles.ts": titles})
			input := map[string]any{"owner": "octocat", "repo": "hello-world", "title": "Once"}
			key := map[string]string{"Idempotency-Key": "req-1"}

			// Concurrent twins: one runs, the others wait for its result.
			var wg sync.WaitGroup
			results := make([]response, 5)
			for i := range results {
				wg.Go(func() { results[i] = w.trigger("gh-1", "create-issue", input, key) })
			}
			wg.Wait()
			numbers := map[float64]bool{}
			replayed := 0
			for _, r := range results {
				if r.status != 200 {
					t.Fatalf("trigger: %d %s", r.status, r.body)
				}
				numbers[r.json(t)["number"].(float64)] = true
				if r.header.Get("Idempotent-Replayed") == "true" {
					replayed++
				}
			}
			if len(numbers) != 1 || replayed != 4 {
				t.Fatalf("numbers %v, replayed %d: the action ran more than once", numbers, replayed)
			}
			// The simulator saw exactly one issue created with that title.
			issues := w.call("GET", "/proxy/repos/octocat/hello-world/issues?state=all&per_page=100", nil,
				map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"}, 200)
			if n := strings.Count(string(issues.body), `"[bot] Once"`); n != 1 {
				t.Fatalf("%d issues created", n)
			}

			// Same key, other input: refused.
			other := map[string]any{"owner": "octocat", "repo": "hello-world", "title": "Twice"}
			if r := w.trigger("gh-1", "create-issue", other, key); r.status != 409 {
				t.Fatalf("reused key: %d %s", r.status, r.body)
			}
			// Same input and key order differences still match.
			if r := w.trigger("gh-1", "create-issue", map[string]any{"title": "Once", "repo": "hello-world", "owner": "octocat"}, key); r.status != 200 {
				t.Fatalf("same request: %d %s", r.status, r.body)
			}
		})
	}
}

func TestAsyncActions(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, backend, nil)
			w.deploy(map[string]string{"github/actions/create-issue.ts": createIssue, "github/helpers/titles.ts": titles})
			res := w.trigger("gh-1", "create-issue", map[string]any{"owner": "octocat", "repo": "hello-world", "title": "Later"}, map[string]string{"X-Async": "true"})
			if res.status != 202 {
				t.Fatalf("async: %d %s", res.status, res.body)
			}
			accepted := res.json(t)
			statusURL := accepted["statusUrl"].(string)
			if statusURL != "/action/"+accepted["id"].(string) {
				t.Fatalf("accepted = %v", accepted)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				r := w.call("GET", statusURL, nil, nil, 0)
				if r.status == 200 {
					if r.json(t)["title"] != "[bot] Later" {
						t.Fatalf("result = %s", r.body)
					}
					break
				}
				if r.status != 202 || time.Now().After(deadline) {
					t.Fatalf("status: %d %s", r.status, r.body)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// A failing async run reports its failure at the status URL.
			res = w.trigger("gh-1", "create-issue", map[string]any{"owner": "octocat", "repo": "does-not-exist", "title": "x"}, map[string]string{"X-Async": "true"})
			statusURL = res.json(t)["statusUrl"].(string)
			for {
				r := w.call("GET", statusURL, nil, nil, 0)
				if r.status == 424 {
					break
				}
				if r.status != 202 || time.Now().After(deadline) {
					t.Fatalf("status: %d %s", r.status, r.body)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if r := w.call("GET", "/action/00000000-0000-4000-8000-000000000000", nil, nil, 0); r.status != 404 {
				t.Fatalf("unknown run: %d %s", r.status, r.body)
			}
		})
	}
}

// TestSandbox tries to get out: every attempt is refused, and runaway
// functions fail alone while the server keeps serving.
// TestSandbox runs functions that try to escape the sandbox or its
// limits. The limit tests hold on any machine, also a loaded one under the
// race detector: a function that must hit the time limit loops forever,
// so only the limit ends it, and every other function runs under a time
// limit it cannot reach (the node's default, 5 minutes).
func TestSandbox(t *testing.T) {
	t.Parallel()
	probe := func(name, body string) string {
		return fmt.Sprintf(`import { createAction } from 'nango';
export default createAction({ description: %q, version: '1', exec: async (nango, input) => { %s } });
`, name, body)
	}
	loop := probe("loop", `for (;;) {}`)
	isFailure := func(t *testing.T, res response, typ string) bool {
		t.Helper()
		if res.status != 424 {
			return false
		}
		e, _ := res.json(t)["error"].(map[string]any)
		return e != nil && e["type"] == typ
	}

	// The node's time limit, in a world of its own where nothing but the
	// loop runs under it.
	t.Run("node time limit", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, apptest.SQLite, map[string]string{"PATCHBAY_ACTION_TIMEOUT": "1s"})
		w.deploy(map[string]string{"github/actions/loop.ts": loop})
		if res := w.trigger("gh-1", "loop", nil, nil); !isFailure(t, res, "timeout") {
			t.Errorf("loop: %d %s, want 424 timeout", res.status, res.body)
		}
	})

	t.Run("escapes and limits", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, apptest.SQLite, map[string]string{"PATCHBAY_FUNCTION_MEMORY": "64MiB"})
		w.deploy(map[string]string{
			// esbuild turns a bare require into a stub that throws; what matters
			// is that nothing can be loaded with it.
			"github/actions/globals.ts": probe("globals", `let req = 'undefined'; try { const m = 'fs'; require(m); req = 'loaded'; } catch (e) { req = 'undefined'; }
			return { require: req, process: typeof process, fetch: typeof globalThis.fetch, xhr: typeof XMLHttpRequest,
			host: typeof __pb_start, sync: typeof __pb_sync, finish: typeof __pb_finish, module: typeof module };`),
			"github/actions/other-connection.ts": probe("other", `try { await nango.getConnection('github', 'gh-2'); return { ok: true }; } catch (e) { return { ok: false, code: e.code }; }`),
			"github/actions/other-proxy.ts":      probe("other proxy", `try { await nango.get({ endpoint: '/user', connectionId: 'gh-2' }); return { ok: true }; } catch (e) { return { ok: false, code: e.code }; }`),
			"github/actions/pollute.ts": probe("pollute", `Object.prototype.connectionId = 'gh-2'; Object.prototype.providerConfigKey = 'other';
			const c = await nango.getConnection(); return { id: c.connection_id };`),
			"github/actions/loop.ts":   loop,
			"github/actions/memory.ts": probe("memory", `const a = []; for (let i = 0; i < 1024; i++) a.push(new Uint8Array(1 << 20).fill(1)); return a.length;`),
			"github/actions/huge.ts":   probe("huge", `const b = new Uint8Array(1 << 30); return b.length;`),
			"github/actions/forty.ts":  probe("forty", `const b = new Uint8Array(40 << 20).fill(1); return { n: b.length };`),
		})
		get := func(action string) map[string]any {
			res := w.trigger("gh-1", action, nil, nil)
			if res.status != 200 {
				t.Fatalf("%s: %d %s", action, res.status, res.body)
			}
			return res.json(t)
		}
		g := get("globals")
		for k, v := range g {
			if v != "undefined" {
				t.Errorf("typeof %s = %v inside the sandbox", k, v)
			}
		}
		for _, a := range []string{"other-connection", "other-proxy"} {
			if r := get(a); r["ok"] != false || r["code"] != "connection_not_allowed" {
				t.Errorf("%s = %v", a, r)
			}
		}
		if r := get("pollute"); r["id"] != "gh-1" {
			t.Errorf("pollute = %v", r)
		}
		// The node's memory limit.
		for _, action := range []string{"memory", "huge"} {
			if res := w.trigger("gh-1", action, nil, nil); !isFailure(t, res, "memory") {
				t.Errorf("%s: %d %s, want 424 memory", action, res.status, res.body)
			}
			// The server still serves, and other actions still run.
			w.call("GET", "/health", nil, nil, 200)
			get("globals")
		}

		// An integration's own limits replace the node's: memory first,
		// with the node's time limit, then a time limit too.
		get("forty")
		if r := w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"memory_mib": 5}}}, nil, 0); r.status != 400 || !strings.Contains(string(r.body), `"settings","functions","memory_mib"`) {
			t.Fatalf("bad limit: %d %s", r.status, r.body)
		}
		w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"memory_mib": 32}}}, nil, 200)
		if res := w.trigger("gh-1", "forty", nil, nil); !isFailure(t, res, "memory") {
			t.Errorf("forty with the integration's memory limit: %d %s, want 424 memory", res.status, res.body)
		}
		w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"memory_mib": 32, "action_timeout": "1s"}}}, nil, 200)
		if res := w.trigger("gh-1", "loop", nil, nil); !isFailure(t, res, "timeout") {
			t.Errorf("loop with the integration's time limit: %d %s, want 424 timeout", res.status, res.body)
		}
		w.call("GET", "/health", nil, nil, 200)
	})
}

func TestDeployErrors(t *testing.T) {
	w := newWorld(t, apptest.SQLite, nil)
	cases := []struct {
		name   string
		files  map[string]string
		status int
		code   string
		want   string
	}{
		{"syntax error", map[string]string{"github/actions/a.ts": "import { createAction } from 'nango';\nexport default createAction({ exec: async () => { return 1 + ; } });\n"},
			400, "compile_error", "github/actions/a.ts:2:"},
		{"npm import", map[string]string{"github/actions/a.ts": "import axios from 'axios';\nexport default axios;\n"}, 400, "compile_error", `cannot import \"axios\"`},
		// A sync in actions/ is a sync (as in Nango), so two files can
		// export one function.
		{"two files, one function", map[string]string{
			"github/actions/a.ts": "import { createSync } from 'nango';\nexport default createSync({ frequency: 'every hour', models: {}, exec: async () => {} });\n",
			"github/syncs/a.ts":   "import { createSync } from 'nango';\nexport default createSync({ frequency: 'every hour', models: {}, exec: async () => {} });\n",
		}, 400, "invalid_function", "github/actions/a.ts and github/syncs/a.ts both export the sync github/a"},
		{"no default export", map[string]string{"github/actions/a.ts": "export const x = 1;\n"}, 400, "invalid_function", "export default"},
		{"unknown integration", map[string]string{"gitlab/actions/a.ts": "import { createAction } from 'nango';\nexport default createAction({ exec: async () => 1 });\n"}, 404, "unknown_integration", "gitlab"},
		{"path traversal", map[string]string{"../etc/passwd.ts": "x"}, 400, "invalid_body", "relative"},
		{"no functions", map[string]string{"README.md": "hi"}, 400, "invalid_body", "no functions found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := w.call("POST", "/functions/deploy", map[string]any{"files": c.files}, nil, 0)
			if res.status != c.status || !strings.Contains(string(res.body), c.code) || !strings.Contains(string(res.body), c.want) {
				t.Fatalf("%d %s, want %d %s containing %q", res.status, res.body, c.status, c.code, c.want)
			}
		})
	}
	// A failed deploy changed nothing.
	if cfg := w.call("GET", "/scripts/config", nil, nil, 200); string(bytes.TrimSpace(cfg.body)) != "[]" {
		t.Fatalf("scripts config after failed deploys = %s", cfg.body)
	}
}

// TestActionOutputValidation: an output that does not fit the action's
// schema is returned (a warning is logged) unless the integration's
// settings.functions.action_output_validation is "enforce", which fails
// the action with invalid_output.
func TestActionOutputValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apptest.SQLite, nil)
	w.deploy(map[string]string{"github/actions/wrong.ts": `import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  description: 'Answers with a string where its schema says a number',
  version: '1',
  input: z.object({ b: z.string(), a: z.string() }),
  output: z.object({ n: z.number(), keys: z.array(z.string()) }),
  exec: async (nango, input) => ({ n: 'not a number', keys: Object.keys(input) }),
});
`})
	setting := func(v any, want int) response {
		t.Helper()
		return w.call("PATCH", "/integrations/github", map[string]any{"settings": map[string]any{"functions": map[string]any{"action_output_validation": v}}}, nil, want)
	}
	// The input reaches exec as sent: its key order kept, its extra key
	// not stripped.
	input := json.RawMessage(`{"b":"1","a":"2","extra":true}`)
	answer := func(t *testing.T) response {
		t.Helper()
		return w.trigger("gh-1", "wrong", input, nil)
	}
	for _, step := range []struct {
		name    string
		setting any // nil: left as it is
		stored  string
		enforce bool
	}{
		{name: "default warns"},
		{name: "enforced", setting: "enforce", stored: `"action_output_validation":"enforce"`, enforce: true},
		{name: "warn again", setting: "warn"},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.setting != nil {
				res := setting(step.setting, http.StatusOK)
				if got := strings.Contains(string(res.body), "action_output_validation"); got != (step.stored != "") || (step.stored != "" && !strings.Contains(string(res.body), step.stored)) {
					t.Fatalf("PATCH answered %s, want %q in it", res.body, step.stored)
				}
			}
			res := answer(t)
			if !step.enforce {
				if res.status != http.StatusOK || string(bytes.TrimSpace(res.body)) != `{"n":"not a number","keys":["b","a","extra"]}` {
					t.Fatalf("trigger: %d %s, want the output as returned", res.status, res.body)
				}
				return
			}
			e, _ := res.json(t)["error"].(map[string]any)
			if res.status == http.StatusOK || e == nil || e["type"] != "invalid_output" {
				t.Fatalf("trigger: %d %s, want the action failed with invalid_output", res.status, res.body)
			}
		})
	}
	for _, bad := range []any{"strict", 1, true} {
		res := setting(bad, http.StatusBadRequest)
		if !strings.Contains(string(res.body), `"settings","functions","action_output_validation"`) {
			t.Errorf("action_output_validation %v: %s, want the member named", bad, res.body)
		}
	}
}
