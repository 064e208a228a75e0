package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/dts"
	"github.com/patchbay/patchbay/internal/functions/fixtures"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/proxy"
)

// initProject runs `patchbay init` into a fresh directory.
func initProject(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "integrations")
	if out, err := run(t, nil, "init", dir); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	return dir
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInitThenCompileAndTest(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	for _, name := range []string{"github/actions/create-issue.ts", "github/syncs/issues.ts", "github/tests/create-issue.test.json",
		"github/tests/issues.test.json", "tsconfig.json", "package.json", ".env.example", ".gitignore", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("init did not write %s", name)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".patchbay", "nango.d.ts")); string(b) != dts.NangoDTS {
		t.Error("init did not write the nango types")
	}

	out, err := run(t, nil, "compile", "--dir", dir)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, out)
	}
	for _, want := range []string{"✓ github/create-issue  action  1.0.0", "✓ github/issues  sync  1.0.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("compile printed %q, want %q", out, want)
		}
	}
	out, err = run(t, nil, "test", "--dir", dir)
	if err != nil || !strings.Contains(out, "2 passed, 0 failed") {
		t.Fatalf("test: %v\n%s", err, out)
	}
	if out, err := run(t, nil, "test", "--dir", dir, "create-issue"); err != nil || !strings.Contains(out, "1 passed, 0 failed") {
		t.Fatalf("test create-issue: %v\n%s", err, out)
	}

	// A second init leaves the project alone.
	if _, err := run(t, nil, "init", dir); err == nil || !strings.Contains(err.Error(), "github/syncs/issues.ts") {
		t.Fatalf("second init: %v", err)
	}

	// Outdated types are refreshed by compile.
	writeFile(t, dir, ".patchbay/nango.d.ts", "// old")
	if _, err := run(t, nil, "compile", "--dir", dir, "github/issues"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".patchbay", "nango.d.ts")); string(b) != dts.NangoDTS {
		t.Error("compile did not refresh the nango types")
	}
}

// TestCompileCache: a second compile reads what the first kept in
// .patchbay/cache/build and prints the same; --no-cache neither reads nor
// writes it.
func TestCompileCache(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	writeFile(t, dir, "github/actions/broken.ts", "const x y = 1;\n")
	cacheDir := filepath.Join(dir, filepath.FromSlash(buildCacheDir))
	if _, err := run(t, nil, "compile", "--no-cache", "--dir", dir); err == nil {
		t.Fatal("compile of a broken function succeeded")
	}
	if _, err := os.Stat(cacheDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("--no-cache wrote %s (%v)", buildCacheDir, err)
	}
	first, err1 := run(t, nil, "compile", "--dir", dir)
	entries, _ := os.ReadDir(cacheDir)
	if len(entries) != 1 {
		t.Fatalf("%d version directories in the cache, want 1", len(entries))
	}
	second, err2 := run(t, nil, "compile", "--dir", dir)
	if first != second || fmt.Sprint(err1) != fmt.Sprint(err2) || !strings.Contains(first, "✓ github/create-issue") || !strings.Contains(first, "✗ github/broken") {
		t.Fatalf("first compile (%v):\n%s\nsecond (%v):\n%s", err1, first, err2, second)
	}
}

func TestCompileReportsPositions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, src string
		want            []string
	}{
		{
			name: "syntax error", file: "github/actions/broken.ts",
			src:  "import { createAction } from 'nango';\n\nconst x y = 1;\n",
			want: []string{"✗ github/broken", `github/actions/broken.ts:3:9: Expected ";" but found "y"`, "  const x y = 1;\n          ^"},
		},
		{
			name: "npm import", file: "github/actions/npm.ts",
			src:  "import axios from 'axios';\nexport default axios;\n",
			want: []string{"github/actions/npm.ts:1:19:", `cannot import "axios"`},
		},
		{
			name: "no output schema", file: "github/actions/noout.ts",
			src:  "import { createAction } from 'nango';\nimport * as z from 'zod';\nexport default createAction({ input: z.object({}), exec: async () => ({}) });\n",
			want: []string{"github/actions/noout.ts: createAction: output must be a zod schema"},
		},
		{
			name: "top level throws", file: "github/syncs/boom.ts",
			src:  "throw new Error('boom at load');\n",
			want: []string{"github/syncs/boom.ts:", "boom at load"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, c.file, c.src)
			out, err := run(t, nil, "compile", "--dir", dir)
			if err == nil || !strings.Contains(err.Error(), "1 of 1 functions failed to compile") {
				t.Fatalf("err = %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	t.Run("no functions", func(t *testing.T) {
		t.Parallel()
		if _, err := run(t, nil, "compile", "--dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no functions") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		t.Parallel()
		dir := initProject(t)
		if _, err := run(t, nil, "compile", "--dir", dir, "nope"); err == nil || !strings.Contains(err.Error(), `no function "nope"`) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestTestFailsOnTamperedFixture(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	p := filepath.Join(dir, "github", "tests", "issues.test.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var fx map[string]any
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	records := fx["nango"].(map[string]any)["batchSave"].(map[string]any)["GithubIssue"].([]any)
	records[1].(map[string]any)["title"] = "A title nobody wrote"
	b, _ = json.Marshal(fx)
	writeFile(t, dir, "github/tests/issues.test.json", string(b))
	if err := os.Remove(filepath.Join(dir, "github", "tests", "create-issue.test.json")); err != nil {
		t.Fatal(err)
	}

	out, err := run(t, nil, "test", "--dir", dir)
	if err == nil {
		t.Fatalf("test passed on a tampered fixture:\n%s", out)
	}
	for _, want := range []string{
		"✗ github/issues",
		`batchSave.GithubIssue[1].title: want "A title nobody wrote", got "Document the config file"`,
		"- github/create-issue  no tests (github/tests/create-issue.test.json)",
		"0 passed, 1 failed (1 without tests)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseDotenv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		want       map[string]string
		bad        string
	}{
		{"plain", "A=1\nB=two words\n", map[string]string{"A": "1", "B": "two words"}, ""},
		{"comments and blank lines", "# a comment\n\nA=1 # trailing\nB=x#not-a-comment\n", map[string]string{"A": "1", "B": "x#not-a-comment"}, ""},
		{"export prefix", "export PATCHBAY_HOST=http://h\n", map[string]string{"PATCHBAY_HOST": "http://h"}, ""},
		{"double quotes", `A="a # b"` + "\n" + `B="line\nnext \"q\""` + "\n", map[string]string{"A": "a # b", "B": "line\nnext \"q\""}, ""},
		{"single quotes are literal", `A='x\n$y' # c`, map[string]string{"A": `x\n$y`}, ""},
		{"spaces around", "  A = 1  \r\n", map[string]string{"A": "1"}, ""},
		{"empty value", "A=\n", map[string]string{"A": ""}, ""},
		{"bad lines skipped", "A=1\nnot a pair\n1X=2\nB=\"open\n", map[string]string{"A": "1"}, "lines 2, 3, 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseDotenv(c.text)
			if c.bad == "" && err != nil || c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)) {
				t.Fatalf("err = %v, want %q", err, c.bad)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// fakeServer is a Patchbay server with canned answers for the functions
// endpoints; it keeps what it was sent.
type fakeServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []fakeRequest
}

type fakeRequest struct {
	method, path, auth, contentType string
	body                            map[string]any
}

func newFakeServer(t *testing.T, status int, answer string) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := fakeRequest{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type")}
		if err := json.Unmarshal(b, &req.body); err != nil {
			t.Errorf("request body is not JSON: %s", b)
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) last(t *testing.T) fakeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the server got no request")
	}
	return f.requests[len(f.requests)-1]
}

func TestDeploy(t *testing.T) {
	t.Parallel()
	const deployed = `{"deployed":[
	  {"integration":"github","name":"create-issue","type":"action","version":"1.0.0","source_hash":"a1","changed":true},
	  {"integration":"github","name":"issues","type":"sync","version":"1.0.0","source_hash":"b2","changed":false}]}`

	t.Run("all functions, key and host from .env", func(t *testing.T) {
		t.Parallel()
		srv := newFakeServer(t, 200, deployed)
		dir := initProject(t)
		writeFile(t, dir, ".env", "# settings\nPATCHBAY_HOST="+srv.URL+"/\nPATCHBAY_SECRET_KEY=\"from-dotenv\"\n")
		out, err := run(t, nil, "deploy", "--dir", dir)
		if err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		req := srv.last(t)
		if req.method != "POST" || req.path != "/functions/deploy" || req.auth != "Bearer from-dotenv" || req.contentType != "application/json" {
			t.Fatalf("request = %+v", req)
		}
		files, _ := req.body["files"].(map[string]any)
		if _, ok := files["github/actions/create-issue.ts"]; !ok {
			t.Fatalf("files sent: %v", keys(files))
		}
		if _, ok := files["github/syncs/issues.ts"]; !ok {
			t.Fatalf("files sent: %v", keys(files))
		}
		for name := range files {
			if strings.Contains(name, "/tests/") || strings.HasPrefix(name, ".patchbay") {
				t.Errorf("sent %s", name)
			}
		}
		if _, ok := req.body["functions"]; ok {
			t.Errorf("functions sent for a full deploy: %v", req.body["functions"])
		}
		for _, want := range []string{"✓ github/create-issue  action  1.0.0  deployed", "✓ github/issues  sync  1.0.0  unchanged", "Deployed 2 functions"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("one action, prod key from the environment over .env", func(t *testing.T) {
		t.Parallel()
		srv := newFakeServer(t, 200, `{"deployed":[]}`)
		dir := initProject(t)
		writeFile(t, dir, ".env", "PATCHBAY_SECRET_KEY_PROD=from-dotenv\nPATCHBAY_SECRET_KEY=generic\n")
		env := map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY_PROD": "from-env"}
		if out, err := run(t, env, "deploy", "--dir", dir, "--env", "prod", "--action", "create-issue"); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		req := srv.last(t)
		if req.auth != "Bearer from-env" || fmt.Sprint(req.body["functions"]) != "[github/actions/create-issue]" {
			t.Fatalf("request = %+v", req)
		}
		// dev falls back to PATCHBAY_SECRET_KEY.
		if out, err := run(t, env, "deploy", "--dir", dir, "--sync", "github/issues"); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		if req := srv.last(t); req.auth != "Bearer generic" || fmt.Sprint(req.body["functions"]) != "[github/syncs/issues]" {
			t.Fatalf("request = %+v", req)
		}
		if _, err := run(t, env, "deploy", "--dir", dir, "--sync", "create-issue"); err == nil || !strings.Contains(err.Error(), "is an action, not a sync") {
			t.Fatalf("--sync of an action: %v", err)
		}
	})

	t.Run("no key", func(t *testing.T) {
		t.Parallel()
		dir := initProject(t)
		_, err := run(t, map[string]string{"PATCHBAY_HOST": "http://127.0.0.1:1"}, "deploy", "--dir", dir, "--env", "prod")
		if err == nil || !strings.Contains(err.Error(), "PATCHBAY_SECRET_KEY_PROD, PATCHBAY_SECRET_KEY") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("compile errors from the server", func(t *testing.T) {
		t.Parallel()
		srv := newFakeServer(t, 400, `{"error":{"code":"compile_error","message":"github/actions/create-issue.ts does not compile","positions":[
		  {"file":"github/actions/create-issue.ts","line":2,"column":5,"message":"Unexpected \"}\"","line_text":"  x }"}]}}`)
		dir := initProject(t)
		out, err := run(t, map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}, "deploy", "--dir", dir)
		if err == nil || !strings.Contains(err.Error(), "nothing was deployed") {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(out, `github/actions/create-issue.ts:2:5: Unexpected "}"`) || !strings.Contains(out, "  x }\n      ^") {
			t.Fatalf("output:\n%s", out)
		}
		if n := strings.Count(out+err.Error(), "Unexpected"); n != 1 {
			t.Fatalf("the compile error is printed %d times:\n%s\n%v", n, out, err)
		}
	})

	t.Run("other errors", func(t *testing.T) {
		t.Parallel()
		srv := newFakeServer(t, 401, `{"error":{"code":"unauthorized","message":"the secret key is not valid"}}`)
		dir := initProject(t)
		_, err := run(t, map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "wrong-key"}, "deploy", "--dir", dir)
		if err == nil || !strings.Contains(err.Error(), "unauthorized") || !strings.Contains(err.Error(), "the secret key is not valid") {
			t.Fatalf("err = %v", err)
		}
	})
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// simIssue is an issue as the provider simulator renders it.
func simIssue(n int, title, state string, pull bool) map[string]any {
	issue := map[string]any{
		"id": 1000 + n, "number": n, "title": title, "state": state, "body": nil,
		"user":       map[string]any{"login": "octocat", "id": 1},
		"labels":     []any{map[string]any{"id": 7, "name": "bug"}},
		"html_url":   fmt.Sprintf("http://127.0.0.1:3010/github/octocat/hello-world/issues/%d", n),
		"created_at": fmt.Sprintf("2024-01-0%dT00:00:00Z", n), "updated_at": fmt.Sprintf("2024-02-0%dT00:00:00Z", n),
	}
	if pull {
		issue["pull_request"] = map[string]any{"url": "x"}
	}
	return issue
}

// record is what the scaffold's issues sync saves for simIssue.
func record(n int, title, state string) map[string]any {
	return map[string]any{
		"id": fmt.Sprint(1000 + n), "number": n, "title": title, "state": state, "author": "octocat", "labels": []any{"bug"}, "body": nil,
		"url": fmt.Sprintf("http://127.0.0.1:3010/github/octocat/hello-world/issues/%d", n), "created_at": fmt.Sprintf("2024-01-0%dT00:00:00Z", n),
		"updated_at": fmt.Sprintf("2024-02-0%dT00:00:00Z", n),
	}
}

func TestDryrunSavesAFixtureTestReplays(t *testing.T) {
	t.Parallel()
	params := map[string]string{"direction": "asc", "per_page": "100", "sort": "updated", "state": "all", "since": "2024-01-01T00:00:00Z"}
	page2 := map[string]string{"page": "2"}
	for k, v := range params {
		page2[k] = v
	}
	next := "<http://127.0.0.1:3010/github/repos/octocat/hello-world/issues?direction=asc&page=2&per_page=100&since=2024-01-01T00%3A00%3A00Z&sort=updated&state=all>; rel=\"next\""
	answer, _ := json.Marshal(map[string]any{
		"output": nil,
		"logs":   []any{map[string]any{"time": "2024-03-01T10:00:00Z", "level": "warn", "message": "slow page"}},
		"records": []any{
			map[string]any{"op": "batchSave", "model": "GithubIssue", "records": []any{record(1, "One", "open")}},
			map[string]any{"op": "batchSave", "model": "GithubIssue", "records": []any{record(3, "Three", "closed")}},
		},
		"checkpoints": []any{map[string]any{"updated_after": "2024-02-02T00:00:00Z"}, map[string]any{"updated_after": "2024-02-03T00:00:00Z"}},
		"calls": []any{
			map[string]any{"method": "GET", "endpoint": "/repos/octocat/hello-world/issues", "params": params, "status": 200,
				"response":         []any{simIssue(1, "One", "open", false), simIssue(2, "A pull", "open", true)},
				"response_headers": map[string]string{"Link": next, "Content-Type": "application/json; charset=utf-8"}},
			map[string]any{"method": "GET", "endpoint": "/repos/octocat/hello-world/issues", "params": page2, "status": 200,
				"response": []any{simIssue(3, "Three", "closed", false)}},
		},
		"duration_ms": 42,
	})
	srv := newFakeServer(t, 200, string(answer))
	dir := initProject(t)
	if err := os.Remove(filepath.Join(dir, "github", "tests", "issues.test.json")); err != nil {
		t.Fatal(err)
	}
	cpFile := filepath.Join(t.TempDir(), "checkpoint.json")
	writeFile(t, filepath.Dir(cpFile), "checkpoint.json", `{"updated_after": "2024-01-01T00:00:00Z"}`)
	env := map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY_DEV": "dev-key"}

	out, err := run(t, env, "dryrun", "--dir", dir, "issues", "conn-1", "--metadata", `{"owner":"octocat","repo":"hello-world"}`,
		"--checkpoint", "@"+cpFile, "--last-sync-date", "2024-01-01T00:00:00+00:00", "--integration", "github-app", "--save-responses")
	if err != nil {
		t.Fatalf("dryrun: %v\n%s", err, out)
	}
	req := srv.last(t)
	if req.path != "/functions/dryrun" || req.auth != "Bearer dev-key" {
		t.Fatalf("request = %+v", req)
	}
	for k, want := range map[string]any{"function": "github/syncs/issues", "integration": "github-app", "connection_id": "conn-1",
		"last_sync_date": "2024-01-01T00:00:00Z", "save_responses": true} {
		if req.body[k] != want {
			t.Errorf("%s = %v, want %v", k, req.body[k], want)
		}
	}
	if md, _ := req.body["metadata"].(map[string]any); md["owner"] != "octocat" {
		t.Errorf("metadata = %v", req.body["metadata"])
	}
	if cp, _ := req.body["checkpoint"].(map[string]any); cp["updated_after"] != "2024-01-01T00:00:00Z" {
		t.Errorf("checkpoint = %v", req.body["checkpoint"])
	}
	if _, ok := req.body["input"]; ok {
		t.Error("input sent without --input")
	}
	for _, want := range []string{"✓ github/issues (sync) on connection conn-1", "GithubIssue: 2 saved, 0 updated, 0 deleted", `"title": "Three"`,
		"warn  slow page", `{"updated_after":"2024-02-03T00:00:00Z"}`, "Wrote "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// The fixture written replays: the sync, run locally against it with
	// the recorded checkpoint, saves what the dry run saved.
	f, err := fixtures.Load(filepath.Join(dir, "github", "tests", "issues.test.json"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["repo"] != "hello-world" || f.Checkpoint["updated_after"] != "2024-01-01T00:00:00Z" || len(f.Records["batchSave"]["GithubIssue"]) != 2 {
		t.Fatalf("fixture = %+v", f)
	}
	out, err = run(t, nil, "test", "--dir", dir, "issues")
	if err != nil || !strings.Contains(out, "✓ github/issues") {
		t.Fatalf("test of the recorded fixture: %v\n%s", err, out)
	}
}

func TestDryrunAction(t *testing.T) {
	t.Parallel()
	t.Run("output", func(t *testing.T) {
		t.Parallel()
		srv := newFakeServer(t, 200, `{"output":{"id":"7","number":7},"logs":[],"records":[],"checkpoints":[],"duration_ms":3}`)
		dir := initProject(t)
		in := filepath.Join(t.TempDir(), "in.json")
		writeFile(t, filepath.Dir(in), "in.json", `{"owner":"octocat","repo":"hello-world","title":"Hi"}`)
		out, err := run(t, map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}, "dryrun", "--dir", dir, "github/create-issue", "c1", "--input", "@"+in)
		if err != nil {
			t.Fatalf("dryrun: %v\n%s", err, out)
		}
		req := srv.last(t)
		if input, _ := req.body["input"].(map[string]any); input["title"] != "Hi" || req.body["integration"] != "github" {
			t.Fatalf("body = %v", req.body)
		}
		if !strings.Contains(out, "Output\n  {\n    \"id\": \"7\",") {
			t.Fatalf("output:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dir, "github", "tests", "create-issue.test.json")); err != nil {
			t.Fatal("the scaffold's fixture is gone without --save-responses")
		}
	})
	t.Run("the function failed", func(t *testing.T) {
		t.Parallel()
		srv := newFakeServer(t, 200, `{"error":{"type":"script_http_error","message":"Request failed with status code 404","payload":{"status":404,"data":{"message":"Not Found"}}},"logs":[],"records":[],"checkpoints":[],"duration_ms":3}`)
		dir := initProject(t)
		out, err := run(t, map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}, "dryrun", "--dir", dir, "create-issue", "c1",
			"--input", `{"owner":"o","repo":"r","title":"t"}`, "--save-responses", "--force")
		if err == nil || !strings.Contains(err.Error(), "github/create-issue failed: script_http_error") {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(out, "✗ github/create-issue") || !strings.Contains(out, "Error script_http_error: Request failed with status code 404") || !strings.Contains(out, `"message": "Not Found"`) {
			t.Fatalf("output:\n%s", out)
		}
		// A failed run is not saved as a fixture.
		b, _ := os.ReadFile(filepath.Join(dir, "github", "tests", "create-issue.test.json"))
		if !strings.Contains(string(b), "Found a bug") {
			t.Fatal("a failed dry run overwrote the fixture")
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		t.Parallel()
		dir := initProject(t)
		env := map[string]string{"PATCHBAY_HOST": "http://127.0.0.1:1", "PATCHBAY_SECRET_KEY": "k"}
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"create-issue", "c1", "--input", "{nope"}, "--input: not valid JSON"},
			{[]string{"issues", "c1", "--metadata", "[1]"}, "--metadata: want a JSON object"},
			{[]string{"issues", "c1", "--checkpoint", "@/does/not/exist"}, "--checkpoint:"},
			{[]string{"issues", "c1", "--last-sync-date", "yesterday"}, "--last-sync-date: want an RFC 3339 time"},
			{[]string{"nope", "c1"}, `no function "nope"`},
		} {
			args := append([]string{"dryrun", "--dir", dir}, c.args...)
			if _, err := run(t, env, args...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
			}
		}
	})
}

// simHost runs the scaffold's functions against the provider simulator:
// requests go over HTTP with a simulator token, pagination is the real
// proxy.Paginate with GitHub's catalog settings; everything else is a
// fixtures.Host's.
type simHost struct {
	*fixtures.Host
	base, token string
	paginate    *catalog.PaginateConfig
	mu          sync.Mutex
	pages       int
}

func (h *simHost) do(ctx context.Context, method, target string, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func (h *simHost) Proxy(ctx context.Context, r *functions.HTTPRequest) (*functions.HTTPResponse, error) {
	q := url.Values{}
	for k, v := range r.Params {
		q.Set(k, v)
	}
	target := h.base + r.Endpoint
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	status, header, body, err := h.do(ctx, r.Method, target, r.JSON)
	if err != nil {
		return nil, err
	}
	out := &functions.HTTPResponse{Status: status, Headers: map[string]string{}, Body: body}
	for k := range header {
		out.Headers[k] = header.Get(k)
	}
	return out, nil
}

func (h *simHost) Paginate(ctx context.Context, r *functions.HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*functions.Page, error] {
	first := proxy.PageRequest{Method: r.Method, BaseURL: h.base, Endpoint: r.Endpoint, Query: url.Values{}}
	for k, v := range r.Params {
		first.Query.Set(k, v)
	}
	fetch := func(ctx context.Context, pr proxy.PageRequest) (int, http.Header, []byte, error) {
		h.mu.Lock()
		h.pages++
		h.mu.Unlock()
		target := pr.URL
		if target == "" {
			target = h.base + pr.Endpoint + "?" + pr.Query.Encode()
		}
		return h.do(ctx, pr.Method, target, nil)
	}
	return func(yield func(*functions.Page, error) bool) {
		for p, err := range proxy.PaginatePages(ctx, fetch, first, h.paginate, cfg, limit) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&functions.Page{Data: p.Data, Next: p.Next, OnPage: p.OnPage}, nil) {
				return
			}
		}
	}
}

// TestScaffoldRunsAgainstSimulator checks the example project uses
// endpoints and response shapes the GitHub simulator serves, so it works
// as is against `patchbay simulate`.
func TestScaffoldRunsAgainstSimulator(t *testing.T) {
	t.Parallel()
	s := providersim.Start(t, providersim.Options{})
	g := s.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "scaffold", Subject: "octocat", Scopes: []string{"repo"}}, time.Hour, true)
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	gh, _ := cat.Lookup("github")
	scaffolded, err := scaffoldFiles()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for name, b := range scaffolded {
		files[name] = string(b)
	}
	rt := functions.NewRuntime()
	newHost := func() *simHost {
		fx, err := fixtures.Parse([]byte(`{"nango": {"getMetadata": {"owner": "octocat", "repo": "hello-world"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		fh, err := fixtures.NewHost(fx, fixtures.Options{Integration: "github", ConnectionID: "c1", Catalog: cat})
		if err != nil {
			t.Fatal(err)
		}
		return &simHost{Host: fh, base: s.URL() + "/github", token: g.AccessToken, paginate: gh.Proxy.Paginate}
	}
	runRef := func(h *simHost, entry string, kind functions.Kind, input string) json.RawMessage {
		t.Helper()
		b, err := functions.Compile(functions.Source{Files: files, Entry: entry})
		if err != nil {
			t.Fatal(err)
		}
		out, err := rt.Run(t.Context(), &functions.Execution{Bundle: b, Kind: kind, Input: json.RawMessage(input), Host: h,
			Info: functions.Info{Name: "x", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}})
		if err != nil {
			t.Fatalf("%s: %v", entry, err)
		}
		return out
	}

	out := runRef(newHost(), "github/actions/create-issue.ts", functions.KindAction, `{"owner":"octocat","repo":"hello-world","title":"From the scaffold","labels":["bug"]}`)
	var created struct {
		ID     string
		Number int
		State  string
		Title  string
		URL    string
	}
	if err := json.Unmarshal(out, &created); err != nil || created.Number == 0 || created.State != "open" || created.Title != "From the scaffold" || created.URL == "" {
		t.Fatalf("create-issue = %s, %v", out, err)
	}

	h := newHost()
	runRef(h, "github/syncs/issues.ts", functions.KindSync, "")
	saved := map[string]bool{}
	for _, op := range h.RecordOps() {
		for _, r := range op.Records {
			var rec struct{ ID, Title string }
			_ = json.Unmarshal(r, &rec)
			saved[rec.Title] = true
		}
	}
	// hello-world holds 100 generated items (30% pull requests) and the
	// issue just created: two pages of 100.
	h.mu.Lock()
	pages := h.pages
	h.mu.Unlock()
	if pages != 2 || len(saved) < 50 || len(saved) > 100 || !saved["From the scaffold"] {
		t.Fatalf("%d pages, %d records saved (created issue among them: %v)", pages, len(saved), saved["From the scaffold"])
	}
	if cps := h.Checkpoints(); len(cps) != 2 || cps[1]["updated_after"] == nil {
		t.Fatalf("checkpoints = %v", cps)
	}
}

// TestDryrunOutputModes: a sync's records are summarised per model with
// the first few shown, --records prints them all, --json prints the result
// as JSON alone.
func TestDryrunOutputModes(t *testing.T) {
	t.Parallel()
	var first, second []any
	for i := 1; i <= 4; i++ {
		first = append(first, record(i, fmt.Sprintf("Issue %d", i), "open"))
	}
	for i := 5; i <= 10; i++ {
		second = append(second, record(i, fmt.Sprintf("Issue %d", i), "open"))
	}
	answer, _ := json.Marshal(map[string]any{
		"records": []any{
			map[string]any{"op": "batchSave", "model": "GithubIssue", "records": first},
			map[string]any{"op": "batchSave", "model": "GithubIssue", "records": second},
			map[string]any{"op": "batchDelete", "model": "GithubIssue", "records": []any{map[string]any{"id": "9"}}},
		},
		"logs": []any{}, "checkpoints": []any{}, "duration_ms": 5,
	})
	srv := newFakeServer(t, 200, string(answer))
	dir := initProject(t)
	env := map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}
	args := []string{"dryrun", "--dir", dir, "issues", "c1", "--metadata", `{"owner":"o","repo":"r"}`}

	out, err := run(t, env, args...)
	if err != nil {
		t.Fatalf("dryrun: %v\n%s", err, out)
	}
	for _, want := range []string{"GithubIssue: 10 saved, 0 updated, 1 deleted", `"title": "Issue 3"`, "… 8 more GithubIssue records (--records prints them all"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"title": "Issue 4"`) {
		t.Errorf("summary prints more than %d records:\n%s", shownRecords, out)
	}

	out, err = run(t, env, append(args, "--records")...)
	if err != nil || !strings.Contains(out, `"title": "Issue 10"`) || !strings.Contains(out, `"id": "9"`) || strings.Contains(out, "more GithubIssue") {
		t.Errorf("--records: %v\n%s", err, out)
	}

	out, err = run(t, env, append(args, "--json")...)
	if err != nil {
		t.Fatalf("--json: %v", err)
	}
	var res struct {
		Records []struct {
			Model   string            `json:"model"`
			Records []json.RawMessage `json:"records"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Records) != 3 || len(res.Records[1].Records) != 6 {
		t.Errorf("--json printed %v (%v):\n%s", res, err, out)
	}
}
