package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// TestCLIEndToEnd is what a developer does: init a project, compile it,
// deploy it to a running Patchbay, trigger the action through the API,
// dry-run it with --save-responses and replay the saved fixture with test.
func TestCLIEndToEnd(t *testing.T) {
	s := providersim.Start(t, providersim.Options{})
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(s.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	pb := apptest.Start(t, apptest.Options{Backend: apptest.SQLite, Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file}})
	api := func(method, path string, body any, headers map[string]string) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, pb.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, raw
	}
	if st, b := api("POST", "/integrations", map[string]any{"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"}}, nil); st != 200 {
		t.Fatalf("integration: %d %s", st, b)
	}
	g := s.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, 8*time.Hour, true)
	if st, b := api("POST", "/connections", map[string]any{"provider_config_key": "github", "connection_id": "gh-1",
		"credentials": map[string]any{"type": "OAUTH2", "access_token": g.AccessToken, "refresh_token": g.RefreshToken}}, nil); st != 201 {
		t.Fatalf("connection: %d %s", st, b)
	}

	dir := initProject(t)
	// The project's .env points the CLI at the server.
	writeFile(t, dir, ".env", "PATCHBAY_HOST="+pb.URL+"\nPATCHBAY_SECRET_KEY="+apptest.DevKey+"\n")
	// The server's compile errors reach the terminal with their positions.
	writeFile(t, dir, "github/actions/broken.ts", "import { createAction } from 'nango';\nexport default createAction({ exec: async () => { return 1 + ; } });\n")
	if out, err := run(t, nil, "deploy", "--dir", dir, "--action", "broken"); err == nil || !strings.Contains(out, "github/actions/broken.ts:2:") || !strings.Contains(out, "return 1 + ;") {
		t.Fatalf("deploy of a broken file: %v\n%s", err, out)
	}
	if err := os.Remove(filepath.Join(dir, "github/actions/broken.ts")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"compile", "--dir", dir}, {"deploy", "--dir", dir}} {
		if out, err := run(t, nil, args...); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	st, raw := api("GET", "/scripts/config", nil, nil)
	if st != 200 || !strings.Contains(string(raw), `"create-issue"`) || !strings.Contains(string(raw), `"issues"`) {
		t.Fatalf("scripts config: %d %s", st, raw)
	}

	input := map[string]any{"owner": "octocat", "repo": "hello-world", "title": "From the CLI"}
	st, raw = api("POST", "/action/trigger", map[string]any{"action_name": "create-issue", "input": input},
		map[string]string{"Provider-Config-Key": "github", "Connection-Id": "gh-1"})
	if st != 200 {
		t.Fatalf("trigger: %d %s", st, raw)
	}
	var issue map[string]any
	if err := json.Unmarshal(raw, &issue); err != nil || issue["title"] != "From the CLI" || issue["state"] != "open" {
		t.Fatalf("trigger output: %s", raw)
	}

	// Dry-run the sync against the real connection and keep its responses;
	// the saved fixture then replays offline.
	out, err := run(t, nil, "dryrun", "issues", "gh-1", "--dir", dir, "--save-responses", "--force", "--metadata", `{"owner":"octocat","repo":"hello-world"}`)
	if err != nil {
		t.Fatalf("dryrun: %v\n%s", err, out)
	}
	if !strings.Contains(out, "GithubIssue") {
		t.Fatalf("dryrun printed no records:\n%s", out)
	}
	if out, err := run(t, nil, "test", "issues", "--dir", dir); err != nil {
		t.Fatalf("test of the saved fixture: %v\n%s", err, out)
	}
}
