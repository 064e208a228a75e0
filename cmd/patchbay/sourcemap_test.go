package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/functions"
)

// withThrowingHelper makes the scaffold's action call a helper, in another
// file, that throws on its line 3.
func withThrowingHelper(t *testing.T) string {
	t.Helper()
	dir := initProject(t)
	writeFile(t, dir, "github/lib/boom.ts", "export function boom(): never {\n    const x: any = undefined;\n    return x.explode();\n}\n")
	action := filepath.Join(dir, "github", "actions", "create-issue.ts")
	b, err := os.ReadFile(action)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "exec: async (nango, input) => {", "exec: async (nango, input) => {\n        boom();", 1)
	src = "import { boom } from '../lib/boom.js';\n" + src
	if err := os.WriteFile(action, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStackTracesPointAtSources: a runtime error's stack names the
// TypeScript file, line and column, not the bundle's, in `patchbay test`
// and in a dry run's failure.
func TestStackTracesPointAtSources(t *testing.T) {
	t.Parallel()
	t.Run("test", func(t *testing.T) {
		t.Parallel()
		dir := withThrowingHelper(t)
		out, err := run(t, nil, "test", "--dir", dir, "create-issue")
		if err == nil {
			t.Fatalf("test passed:\n%s", out)
		}
		if !strings.Contains(out, "at boom (github/lib/boom.ts:3:") || !strings.Contains(out, "at exec (github/actions/create-issue.ts:") || strings.Contains(out, "<eval>") {
			t.Fatalf("stack not told in the sources:\n%s", out)
		}
	})
	t.Run("dryrun", func(t *testing.T) {
		t.Parallel()
		dir := withThrowingHelper(t)
		// The position a server that does not map stacks (one from
		// before source maps were kept) reports: the bundle's line and
		// column of the throwing expression.
		p, err := loadProject(dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := functions.Compile(functions.Source{Files: p.uploadFiles(), Entry: "github/actions/create-issue.ts"})
		if err != nil {
			t.Fatal(err)
		}
		line, col := 0, 0
		for i, l := range strings.Split(b.JS, "\n") {
			if c := strings.Index(l, "x.explode()"); c >= 0 {
				line, col = i+1, c+1
			}
		}
		if line == 0 {
			t.Fatalf("no x.explode() in the bundle:\n%s", b.JS)
		}
		payload, _ := json.Marshal(map[string]string{"name": "TypeError", "stack": fmt.Sprintf("    at boom (<eval>:%d:%d)\n    at run\n", line, col)})
		answer, _ := json.Marshal(map[string]any{"error": map[string]any{"type": "script_error", "message": "TypeError: cannot read property 'explode' of undefined", "payload": json.RawMessage(payload)},
			"logs": []any{}, "records": []any{}, "checkpoints": []any{}, "duration_ms": 1})
		srv := newFakeServer(t, 200, string(answer))
		out, err := run(t, map[string]string{"PATCHBAY_HOST": srv.URL, "PATCHBAY_SECRET_KEY": "k"}, "dryrun", "--dir", dir, "create-issue", "c1",
			"--input", `{"owner":"o","repo":"r","title":"t"}`)
		if err == nil || !strings.Contains(out, "at boom (github/lib/boom.ts:3:12)") {
			t.Fatalf("dry run's stack: %v\n%s", err, out)
		}
	})
}
