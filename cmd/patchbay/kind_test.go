package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// A function's type is what its file exports, not its folder, as in
// Nango (figma's actions/file-nodes.ts is a sync).
const (
	nodesSync = `import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  description: 'Nodes', version: '2.0.0', frequency: 'every day', autoStart: true,
  models: { Node: z.object({ id: z.string() }) },
  exec: async (nango) => { await nango.batchSave([{ id: 'n1' }], 'Node'); },
});
`
	pingAction = `import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  description: 'Ping', version: '1.0.0',
  input: z.object({}), output: z.object({ pong: z.boolean() }),
  exec: async () => ({ pong: true }),
});
`
	nodesFixture = `{"nango": {"batchSave": {"Node": [{"id": "n1"}]}}}`
	pingFixture  = `{"input": {}, "output": {"pong": true}}`
)

// misplacedProject writes the files given under dir, by slash path.
func misplacedProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		writeFile(t, dir, name, text)
	}
	return dir
}

// TestKindFromExport: compile, test and deploy take a function's type
// from what it exports, warn when its folder says otherwise, and refuse
// two files exporting one function.
func TestKindFromExport(t *testing.T) {
	t.Parallel()
	const (
		syncWarning   = "warning: fig/actions/nodes.ts exports a sync (createSync) from the actions folder: it is the sync fig/nodes"
		actionWarning = "warning: fig/syncs/ping.ts exports an action (createAction) from the syncs folder: it is the action fig/ping"
	)
	misplaced := map[string]string{"fig/actions/nodes.ts": nodesSync, "fig/syncs/ping.ts": pingAction}
	srv := newFakeServer(t, 200, `{"deployed":[
	  {"integration":"fig","name":"nodes","type":"sync","entry":"fig/actions/nodes.ts","version":"2.0.0","source_hash":"a","changed":true},
	  {"integration":"fig","name":"ping","type":"action","version":"1.0.0","source_hash":"b","changed":true}]}`)
	env := map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}
	for _, c := range []struct {
		name      string
		files     map[string]string
		args      []string
		wantErr   string
		wantOut   []string
		notOut    []string
		functions string // the functions a deploy asked for
	}{
		{
			name: "compile all", files: misplaced, args: []string{"compile"},
			wantOut: []string{"✓ fig/nodes  sync  2.0.0", syncWarning, "✓ fig/ping  action  1.0.0", actionWarning},
		},
		{name: "by its type's folder", files: misplaced, args: []string{"compile", "syncs/nodes"}, wantOut: []string{"✓ fig/nodes  sync"}, notOut: []string{"ping"}},
		{name: "by its file's folder", files: misplaced, args: []string{"compile", "fig/actions/nodes"}, wantOut: []string{"✓ fig/nodes  sync"}},
		{
			name:  "an action of the name comes first",
			files: map[string]string{"fig/actions/nodes.ts": nodesSync, "fig/syncs/nodes.ts": pingAction},
			args:  []string{"compile", "actions/nodes"}, wantOut: []string{"✓ fig/actions/nodes  action"}, notOut: []string{"  sync  "},
		},
		{
			name:  "clash",
			files: map[string]string{"fig/actions/nodes.ts": nodesSync, "fig/syncs/nodes.ts": nodesSync, "fig/actions/ping.ts": pingAction},
			args:  []string{"compile"}, wantErr: "1 of 3 functions failed to compile",
			wantOut: []string{"✗ fig/", "fig/actions/nodes.ts and fig/syncs/nodes.ts both export the sync fig/nodes", "✓ fig/ping  action"},
		},
		{
			name:    "test finds a misplaced sync's fixture",
			files:   map[string]string{"fig/actions/nodes.ts": nodesSync, "fig/tests/nodes.test.json": nodesFixture, "fig/syncs/ping.ts": pingAction, "fig/tests/ping.test.json": pingFixture},
			args:    []string{"test"},
			wantOut: []string{"✓ fig/nodes", "✓ fig/ping", "2 passed, 0 failed"},
		},
		{
			// Beside an action of its name, a test file importing its
			// file claims the fixture, as for any sync.
			name: "test file imports the misplaced file",
			files: map[string]string{"fig/actions/nodes.ts": nodesSync, "fig/syncs/nodes.ts": pingAction,
				"fig/tests/fig-nodes.test.ts": "import { it } from 'vitest';\nimport fn from '../actions/nodes.js';\nit('runs', () => { if (!fn) throw new Error('no sync'); });\n",
				"fig/tests/nodes.test.json":   pingFixture},
			args:    []string{"test"},
			wantOut: []string{"- fig/actions/nodes  no tests (fig/tests/nodes.test.json is for syncs/nodes)", "✓ fig/tests/fig-nodes > runs", "1 passed, 0 failed (1 without tests)"},
		},
		{
			name: "deploy --sync names it by its type", files: misplaced, args: []string{"deploy", "--sync", "nodes"},
			functions: "[fig/syncs/nodes]", wantOut: []string{"✓ fig/nodes  sync", syncWarning},
		},
		{name: "deploy --action of a sync", files: misplaced, args: []string{"deploy", "--action", "nodes"}, wantErr: "fig/nodes is a sync, not an action"},
		{name: "deploy --sync of an action", files: misplaced, args: []string{"deploy", "--sync", "ping"}, wantErr: "fig/ping is an action, not a sync"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: the deploys share srv, whose last request is
			// checked.
			dir := misplacedProject(t, c.files)
			out, err := run(t, env, append(c.args, "--dir", dir)...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v; want %q\n%s", err, c.wantErr, out)
				}
			} else if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.notOut {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
			if c.functions != "" {
				if got := fmt.Sprint(srv.last(t).body["functions"]); got != c.functions {
					t.Fatalf("deploy asked for %s, want %s", got, c.functions)
				}
			}
		})
	}
}

// TestDeployMisplacedEndToEnd: a server stores a sync exported from
// actions/ as a sync, and says which file it built.
func TestDeployMisplacedEndToEnd(t *testing.T) {
	t.Parallel()
	pb := apptest.Start(t, apptest.Options{Backend: apptest.SQLite})
	env := map[string]string{"PATCHBAY_HOST": pb.URL, "PATCHBAY_SECRET_KEY": apptest.DevKey}
	api := func(method, path string, body any) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, pb.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, raw
	}
	st, raw := api("POST", "/integrations", map[string]any{"unique_key": "fig", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "id", "client_secret": "secret"}})
	if st != 200 {
		t.Fatalf("integration: %d %s", st, raw)
	}
	dir := misplacedProject(t, map[string]string{"fig/actions/nodes.ts": nodesSync, "fig/actions/ping.ts": pingAction})
	out, err := run(t, env, "deploy", "--dir", dir)
	if err != nil || !strings.Contains(out, "✓ fig/nodes  sync") || !strings.Contains(out, "warning: fig/actions/nodes.ts exports a sync") {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	st, raw = api("GET", "/scripts/config", nil)
	var config []struct {
		ProviderConfigKey string `json:"providerConfigKey"`
		Syncs             []struct {
			Name string `json:"name"`
		} `json:"syncs"`
		Actions []struct {
			Name string `json:"name"`
		} `json:"actions"`
	}
	if st != 200 || json.Unmarshal(raw, &config) != nil || len(config) != 1 {
		t.Fatalf("scripts config: %d %s", st, raw)
	}
	if c := config[0]; len(c.Syncs) != 1 || c.Syncs[0].Name != "nodes" || len(c.Actions) != 1 || c.Actions[0].Name != "ping" {
		t.Fatalf("deployed %s; want the sync nodes and the action ping", raw)
	}
}
