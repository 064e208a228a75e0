package main

import (
	"strings"
	"testing"

	"github.com/patchbay/patchbay/client"
)

// TestUndeployCommand: `patchbay undeploy <integration>/<name>` removes a
// sync from a server, and says why when it cannot.
func TestUndeployCommand(t *testing.T) {
	t.Parallel()
	c, env := syncCLIServer(t)
	cases := []struct {
		args    []string
		code    int
		mention string
	}{
		{[]string{"undeploy", "items"}, 2, "<integration>/<name>"},
		{[]string{"undeploy", "github/items", "--type", "job"}, 2, "--type"},
		{[]string{"undeploy", "github/items", "--type", "action"}, 1, "unknown_function"},
		{[]string{"undeploy", "github/actions/items"}, 1, "unknown_function"},
		{[]string{"undeploy", "github/jobs/items"}, 2, "<integration>/<actions|syncs|on-events>/<name>"},
		{[]string{"undeploy", "github/syncs/items", "--type", "action"}, 2, "agreeing with --type"},
		{[]string{"undeploy", "github/syncs/items"}, 0, "github/items  sync  undeployed"},
		{[]string{"undeploy", "github/items"}, 1, "no function \"items\""},
	}
	for _, tc := range cases {
		out, errOut, code := runCLI(t, env, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.mention) {
			t.Fatalf("patchbay %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, tc.mention, out, errOut)
		}
	}
	if _, err := c.SyncStatus(t.Context(), client.SyncSelection{IntegrationKey: "github", Syncs: []client.SyncRef{{Name: "items"}}}); !client.IsNotFound(err) {
		t.Fatalf("status of the undeployed sync: %v, want not found", err)
	}
}
