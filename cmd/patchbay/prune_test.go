package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// TestDeployPruneCommand: deploy lists the deployed functions the
// project no longer has and keeps them, --prune removes them, and
// --prune with named functions is refused.
func TestDeployPruneCommand(t *testing.T) {
	t.Parallel()
	pb := apptest.Start(t, apptest.Options{Backend: apptest.SQLite})
	env := map[string]string{"PATCHBAY_HOST": pb.URL, "PATCHBAY_SECRET_KEY": apptest.DevKey}
	body, _ := json.Marshal(map[string]any{"unique_key": "fig", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "id", "client_secret": "secret"}})
	req, _ := http.NewRequest("POST", pb.URL+"/integrations", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("integration: %v %v", res, err)
	}
	res.Body.Close()
	dir := misplacedProject(t, map[string]string{"fig/actions/ping.ts": pingAction, "fig/syncs/nodes.ts": nodesSync})
	cli := func(want int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := runCLI(t, env, append(args, "--dir", dir)...)
		if code != want {
			t.Fatalf("patchbay %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out, errOut
	}
	if out, errOut := cli(0, "deploy"); !strings.Contains(out, "Deployed 2 functions") || errOut != "" {
		t.Fatalf("first deploy:\n%s\n%s", out, errOut)
	}
	if err := os.Remove(filepath.Join(dir, "fig", "syncs", "nodes.ts")); err != nil {
		t.Fatal(err)
	}
	out, errOut := cli(0, "deploy")
	for _, want := range []string{"1 deployed function is not in the project any more, and kept:", "  fig/nodes  sync", "patchbay deploy --prune"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("deploy without the sync: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "Deployed 1 functions") || strings.Contains(out, "removed") {
		t.Errorf("deploy without the sync: stdout\n%s", out)
	}
	if _, errOut := cli(2, "deploy", "--prune", "--action", "ping"); !strings.Contains(errOut, "--prune removes what the project no longer has") {
		t.Errorf("--prune with --action: %s", errOut)
	}
	out, errOut = cli(0, "deploy", "--prune")
	if !strings.Contains(out, "✓ fig/nodes  sync  2.0.0  removed") || !strings.Contains(out, "Deployed 1 functions to "+pb.URL+" (dev), removed 1") || errOut != "" {
		t.Fatalf("deploy --prune:\nstdout: %s\nstderr: %s", out, errOut)
	}
	if out, errOut := cli(0, "deploy"); strings.Contains(out+errOut, "nodes") {
		t.Fatalf("the sync is still deployed:\n%s\n%s", out, errOut)
	}
}
