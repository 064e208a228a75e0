package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/wire"
)

// syncCLISync saves metadata.count items ({id, title, n}) in pages of 10;
// metadata.version changes their titles, metadata.fail makes it throw. It
// calls no provider, so the connection needs no live credentials.
const syncCLISync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), title: z.string(), n: z.number() });

export default createSync({
  description: 'Items', version: '1.0.0', frequency: 'every hour', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const count = md.count ?? 10;
    const v = md.version ?? 'a';
    for (let i = 0; i < count; i += 10) {
      const page = [];
      for (let j = i; j < Math.min(i + 10, count); j++) page.push({ id: 'item-' + j, title: v + '-' + j, n: j });
      await nango.batchSave(page, 'Item');
    }
    if (md.fail) throw new Error('the provider said no');
  },
});
`

// syncCLIServer starts a server with syncCLISync deployed for "github"
// and connection c1 holding 25 items, and returns a client for it and the
// environment that points the CLI at it.
func syncCLIServer(t *testing.T) (*client.Client, map[string]string) {
	t.Helper()
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "1"}})
	c := srv.Client()
	ctx := t.Context()
	if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "github", Provider: "github",
		Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "id", ClientSecret: "secret"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeployFunctions(ctx, map[string]string{"github/syncs/items.ts": syncCLISync}, nil); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(48 * time.Hour) // nothing refreshes the token
	if _, err := c.ImportConnection(ctx, client.ImportConnectionRequest{ProviderConfigKey: "github", ConnectionID: "c1",
		Credentials: client.ImportCredentials{Type: "OAUTH2", AccessToken: "gho_1", ExpiresAt: &expires},
		Metadata:    map[string]any{"count": 25}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := c.SyncStatus(ctx, client.SyncSelection{IntegrationKey: "github", ConnectionID: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Status == "SUCCESS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the initial run did not finish: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c, map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": apptest.DevKey}
}

// runCLI runs a command line as main does.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut syncBuffer
	code = execute(t.Context(), args, &out, &errOut, func(k string) string { return env[k] })
	return out.String(), errOut.String(), code
}

func TestSyncCommands(t *testing.T) {
	t.Parallel()
	c, env := syncCLIServer(t)
	ctx := t.Context()
	target := []string{"--integration", "github", "--connection", "c1"}
	cli := func(want int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := runCLI(t, env, args...)
		if code != want {
			t.Fatalf("patchbay %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out, errOut
	}
	contains := func(what, got string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, got)
			}
		}
	}
	setMetadata := func(md map[string]any) {
		t.Helper()
		if err := c.SetMetadata(ctx, "github", []string{"c1"}, md); err != nil {
			t.Fatal(err)
		}
	}

	// The table, then the same as JSON.
	out, _ := cli(0, append([]string{"sync", "status"}, target...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "SYNC ") {
		t.Fatalf("status table:\n%s", out)
	}
	contains("status row", lines[1], "items ", "c1 ", "SUCCESS ", "INITIAL ", "every hour ", "Item 25")
	out, _ = cli(0, append([]string{"sync", "status", "items", "--json"}, target...)...)
	var statuses wire.SyncStatuses
	if err := json.Unmarshal([]byte(out), &statuses); err != nil || len(statuses.Syncs) != 1 || statuses.Syncs[0].RecordCount["Item"] != 25 {
		t.Fatalf("status --json = %+v, %v\n%s", statuses, err, out)
	}

	// --wait follows the run: progress on stderr as plain lines (not a
	// terminal), the result on stdout.
	setMetadata(map[string]any{"count": 30, "version": "b"})
	out, errOut := cli(0, append([]string{"sync", "trigger", "items", "--wait"}, target...)...)
	contains("trigger --wait stdout", out, "✓ items on c1: SUCCESS  Item: 5 added, 25 updated, 0 deleted\n")
	contains("trigger --wait stderr", errOut, "items on c1 running · Item ")
	if strings.Contains(errOut, "\r") || strings.Contains(errOut, "\x1b[") {
		t.Errorf("progress meant for a terminal reached a pipe: %q", errOut)
	}

	// A failed run exits 1 and says why.
	setMetadata(map[string]any{"count": 30, "version": "b", "fail": true})
	out, errOut = cli(1, append([]string{"sync", "trigger", "--wait"}, target...)...)
	contains("failed run stdout", out, "✗ items on c1: ERROR", "the provider said no")
	contains("failed run stderr", errOut, "patchbay sync trigger: the run of items on c1 failed\n")
	out, _ = cli(0, "sync", "status", "--integration", "github")
	contains("status after the failure", out, " ERROR ", "✗ items on c1: error: ", "the provider said no")

	// Without --wait, trigger returns once the run is queued.
	setMetadata(map[string]any{"count": 30, "version": "b"})
	out, _ = cli(0, append([]string{"sync", "trigger", "items", "--reset"}, target...)...)
	contains("trigger", out, "✓ triggered items on connection c1\n")
	out, _ = cli(0, append([]string{"sync", "pause", "items"}, target...)...)
	contains("pause", out, "✓ paused items on connection c1\n")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ = cli(0, append([]string{"sync", "status"}, target...)...)
		if strings.Contains(out, " PAUSED ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never paused:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, _ = cli(0, "sync", "start", "items", "--integration", "github")
	contains("start", out, "✓ started items on every connection of github\n")

	// Records: a page and the next page's cursor, or every page.
	out, errOut = cli(0, append([]string{"records", "list", "--model", "Item", "--limit", "7"}, target...)...)
	recs := jsonLines(t, out)
	if len(recs) != 7 {
		t.Fatalf("records list --limit 7 printed %d lines:\n%s", len(recs), out)
	}
	contains("records list stderr", errOut, "More records follow: add --cursor ")
	cursor := strings.Fields(strings.SplitAfter(errOut, "--cursor ")[1])[0]
	out, _ = cli(0, append([]string{"records", "list", "--model", "Item", "--limit", "7", "--cursor", cursor}, target...)...)
	if next := jsonLines(t, out); len(next) != 7 || next[0].ID == recs[6].ID {
		t.Fatalf("the next page:\n%s", out)
	}
	out, errOut = cli(0, append([]string{"records", "list", "--model", "Item", "--limit", "7", "--all"}, target...)...)
	if all := jsonLines(t, out); len(all) != 30 || all[0].ID != recs[0].ID || errOut != "" {
		t.Fatalf("records list --all printed %d lines, stderr %q", len(all), errOut)
	}
	out, _ = cli(0, append([]string{"records", "list", "--model", "Item", "--id", "item-3", "--id", "item-29"}, target...)...)
	if got := jsonLines(t, out); len(got) != 2 || got[0].ID != "item-3" || got[1].Metadata.LastAction != client.RecordAdded {
		t.Fatalf("records by id:\n%s", out)
	}
	out, _ = cli(0, append([]string{"records", "list", "--model", "Item", "--modified-after", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, target...)...)
	if out != "" {
		t.Fatalf("records modified in the future:\n%s", out)
	}

	// Refusals in the CLI's style.
	_, errOut = cli(1, append([]string{"sync", "trigger", "nope"}, target...)...)
	contains("unknown sync", errOut, "patchbay sync trigger: the server at "+env["PATCHBAY_HOST"]+" refused the request: 404 unknown_sync: ", `"nope"`)
	_, errOut = cli(1, "records", "list", "--integration", "github", "--connection", "zz", "--model", "Item")
	contains("unknown connection", errOut, "patchbay records list: the server at ", "404 unknown_connection")
}

// TestSyncCommandLines checks what is refused before any server is asked,
// and the help.
func TestSyncCommandLines(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PATCHBAY_HOST": "http://127.0.0.1:1", "PATCHBAY_SECRET_KEY": "k"}
	for _, tt := range []struct {
		args      []string
		code      int
		stdout    []string
		stderr    []string
		notStdout []string
	}{
		{args: []string{"--help"}, stdout: []string{"  sync ", "  records "}},
		{args: []string{"sync", "--help"}, stdout: []string{"trigger ", "status ", "pause ", "start ", "<name>:<variant>"}},
		{args: []string{"sync", "trigger", "--help"}, stdout: []string{"--integration string", "--connection string", "--reset ", "--empty-cache ", "--wait ", "--host ", "--env ", "PATCHBAY_SECRET_KEY_<ENV>"},
			notStdout: []string{"[=true|false]", "--database-url"}},
		{args: []string{"sync", "status", "--help"}, stdout: []string{"--json ", "--integration "}, notStdout: []string{"--wait"}},
		{args: []string{"records", "list", "--help"}, stdout: []string{"--model ", "--variant ", "--limit ", "--modified-after ", "--filter ", "--all ", "--cursor "}},
		{args: []string{"sync", "bogus"}, code: 2, stderr: []string{`patchbay sync: unknown command "bogus"; want one of pause, start, status, trigger`, "patchbay sync --help"}},
		{args: []string{"sync", "status"}, code: 2, stderr: []string{`patchbay sync status: required flag(s) "integration" not set`}},
		{args: []string{"sync", "pause", "--integration", "github"}, code: 2, stderr: []string{"patchbay sync pause: want at least 1 argument (the syncs to pause), got none"}},
		{args: []string{"sync", "trigger", "--integration", "github", "items:"}, code: 2, stderr: []string{`"items:" is not a sync: want <name> or <name>:<variant>`}},
		{args: []string{"records", "list", "--integration", "github", "--connection", "c1"}, code: 2, stderr: []string{`required flag(s) "model" not set`}},
		{args: []string{"records", "list", "--integration", "github", "--connection", "c1", "--model", "Item", "--modified-after", "yesterday"}, code: 2,
			stderr: []string{"patchbay records list: --modified-after: want an RFC 3339 time", `got "yesterday"`}},
		{args: []string{"sync", "status", "--integration", "github"}, code: 1,
			stderr: []string{"patchbay sync status: could not reach the Patchbay server at http://127.0.0.1:1", "patchbay serve"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runCLI(t, env, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notStdout {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestSyncStatusLine: on a terminal the line is rewritten in place and
// erased at the end; elsewhere each change is a line of its own.
func TestSyncStatusLine(t *testing.T) {
	t.Parallel()
	var term bytes.Buffer
	l := &statusLine{w: &term, terminal: true}
	l.show("a", time.Second)
	l.show("a", 2*time.Second)
	l.show("b", 3*time.Second)
	l.done()
	if got, want := term.String(), "\ra 1s\x1b[K\ra 2s\x1b[K\rb 3s\x1b[K\r\x1b[K"; got != want {
		t.Errorf("terminal: %q, want %q", got, want)
	}
	var pipe bytes.Buffer
	l = newStatusLine(&pipe)
	l.show("a", time.Second)
	l.show("a", 2*time.Second)
	l.show("b", 3*time.Second)
	l.done()
	if got, want := pipe.String(), "a\nb\n"; got != want {
		t.Errorf("pipe: %q, want %q", got, want)
	}
}

// jsonLines decodes records printed one a line.
func jsonLines(t *testing.T, out string) []client.Record {
	t.Helper()
	var recs []client.Record
	for line := range strings.Lines(out) {
		var r client.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.ID == "" || r.Metadata.Cursor == "" {
			t.Fatalf("not a record: %q (%v)", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}
