package main

import (
	"fmt"
	"strings"
	"testing"
)

// An action and a sync of one integration both named settings, as Nango
// allows (google-calendar has them).
const (
	settingsAction = `import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  description: 'Settings, once', version: '1.0.0',
  input: z.object({}), output: z.object({ kind: z.string() }),
  exec: async () => ({ kind: 'action' }),
});
`
	settingsSync = `import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  description: 'Settings', version: '1.0.0', frequency: 'every day', autoStart: true,
  models: { Setting: z.object({ id: z.string() }) },
  exec: async (nango) => { await nango.batchSave([{ id: 'week-start' }], 'Setting'); },
});
`
	actionFixture = `{"input": {}, "output": {"kind": "action"}}`
	syncFixture   = `{"nango": {"batchSave": {"Setting": [{"id": "week-start"}]}}}`
)

// settingsProject writes a project with cal/actions/settings.ts,
// cal/syncs/settings.ts and the test files given, by name under cal/tests.
func settingsProject(t *testing.T, tests map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "cal/actions/settings.ts", settingsAction)
	writeFile(t, dir, "cal/syncs/settings.ts", settingsSync)
	for name, text := range tests {
		writeFile(t, dir, "cal/tests/"+name, text)
	}
	return dir
}

// importing is a vitest file, as Nango's, testing the function at path.
func importing(path string) string {
	return fmt.Sprintf("import { it } from 'vitest';\nimport fn from '%s';\nit('runs', async () => { await fn.exec(null as any); });\n", path)
}

// TestSameNameNeedsItsType: commands that name one function refuse a name
// an action and a sync share, saying how to name each, and take
// actions/<name>, syncs/<name> and <integration>/<folder>/<name>.
func TestSameNameNeedsItsType(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, 200, `{"deployed":[]}`)
	env := map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}
	dir := settingsProject(t, map[string]string{"settings.test.json": syncFixture})
	const ambiguous = `"settings" is ambiguous: say actions/settings or syncs/settings`
	for _, c := range []struct {
		args      []string
		wantErr   string
		wantOut   []string
		functions string // the functions a deploy asked for
	}{
		{args: []string{"test", "settings"}, wantErr: ambiguous},
		{args: []string{"compile", "settings"}, wantErr: ambiguous},
		{args: []string{"dryrun", "settings", "conn-1"}, wantErr: ambiguous},
		{args: []string{"test", "cal/settings"}, wantErr: `"cal/settings" is ambiguous: say actions/settings or syncs/settings`},
		{args: []string{"compile", "actions/settings"}, wantOut: []string{"✓ cal/actions/settings  action  1.0.0"}},
		{args: []string{"compile", "cal/syncs/settings"}, wantOut: []string{"✓ cal/syncs/settings  sync  1.0.0"}},
		{args: []string{"compile"}, wantOut: []string{"✓ cal/actions/settings  action", "✓ cal/syncs/settings  sync"}},
		{args: []string{"test", "syncs/settings"}, wantOut: []string{"✓ cal/syncs/settings", "1 passed, 0 failed"}},
		{args: []string{"test"}, wantOut: []string{"- cal/actions/settings  no tests (cal/tests/settings.test.json is for syncs/settings)",
			"✓ cal/syncs/settings", "1 passed, 0 failed (1 without tests)"}},
		{args: []string{"deploy", "--sync", "settings"}, functions: "[cal/syncs/settings]"},
		{args: []string{"deploy", "--action", "settings", "--sync", "cal/settings"}, functions: "[cal/actions/settings cal/syncs/settings]"},
		{args: []string{"deploy", "--action", "cal/actions/settings"}, functions: "[cal/actions/settings]"},
		{args: []string{"deploy", "--action", "syncs/settings"}, wantErr: "cal/settings is a sync, not an action"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, err := run(t, env, append(c.args, "--dir", dir)...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v; want %q\n%s", err, c.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
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

// TestSameNameFixtures: which function a tests/settings.test.json belongs
// to when an action and a sync are both named settings, found as Nango's
// harness finds fixtures: through the test file importing each function,
// else by the fixture's shape.
func TestSameNameFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name                 string
		tests                map[string]string
		wantAction, wantSync string // the fixture found, or "-" and why there is none
	}{
		{
			name:       "records make it the sync's",
			tests:      map[string]string{"settings.test.json": syncFixture},
			wantAction: "- cal/tests/settings.test.json is for syncs/settings", wantSync: "cal/tests/settings.test.json",
		},
		{
			name:       "an output makes it the action's",
			tests:      map[string]string{"settings.test.json": actionFixture},
			wantAction: "cal/tests/settings.test.json", wantSync: "- cal/tests/settings.test.json is for actions/settings",
		},
		{
			name: "each test file reads its own fixture",
			tests: map[string]string{
				"cal-settings.test.ts": importing("../actions/settings.js"), "cal-settings.test.json": actionFixture,
				"settings.test.json": syncFixture,
			},
			wantAction: "cal/tests/cal-settings.test.json", wantSync: "cal/tests/settings.test.json",
		},
		{
			// The test file says whose it is, whatever it holds.
			name:       "a test file importing the action claims the fixture by name",
			tests:      map[string]string{"cal-sync.test.ts": importing("../actions/settings"), "settings.test.json": syncFixture},
			wantAction: "cal/tests/settings.test.json", wantSync: "- cal/tests/settings.test.json is for actions/settings",
		},
		{
			name:       "a test file importing the sync claims it",
			tests:      map[string]string{"cal-sync-settings.test.ts": importing("../syncs/settings.js"), "settings.test.json": actionFixture},
			wantAction: "- cal/tests/settings.test.json is for syncs/settings", wantSync: "cal/tests/settings.test.json",
		},
		{
			name:       "the <integration>-<name> spelling",
			tests:      map[string]string{"cal-settings.test.json": syncFixture},
			wantAction: "- cal/tests/cal-settings.test.json is for syncs/settings", wantSync: "cal/tests/cal-settings.test.json",
		},
		{
			name:       "neither shape, no test file",
			tests:      map[string]string{"settings.test.json": `{"api": {}}`},
			wantAction: "cal/tests/settings.test.json", wantSync: "cal/tests/settings.test.json",
		},
		{
			name:       "none",
			tests:      map[string]string{"other.test.json": syncFixture},
			wantAction: "- cal/tests/settings.test.json", wantSync: "- cal/tests/settings.test.json",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := loadProject(settingsProject(t, c.tests))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.refs) != 2 {
				t.Fatalf("functions = %+v", p.refs)
			}
			for _, r := range p.refs {
				fp, raw, ok := p.findFixture(r)
				got := fp
				if !ok {
					got = "- " + fp
				} else if raw != p.files[fp] {
					t.Errorf("%s: the fixture's text is not %s's", r.QualifiedName(), fp)
				}
				want := map[string]string{"action": c.wantAction, "sync": c.wantSync}[r.Type]
				if got != want {
					t.Errorf("%s: fixture %q, want %q", r.QualifiedName(), got, want)
				}
			}
		})
	}
}
