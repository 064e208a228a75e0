package functions

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSourceMap: the map names the project's files and belongs to the
// code Compile produces, line for line.
func TestSourceMap(t *testing.T) {
	t.Parallel()
	src := Source{Entry: "github/actions/a.ts", Files: map[string]string{
		"github/actions/a.ts": "import { createAction } from 'nango';\nimport { helper } from '../lib/h.js';\nexport default createAction({ exec: async () => helper() });\n",
		"github/lib/h.ts":     "export function helper(): number {\n    return 1;\n}\n",
	}}
	b, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := SourceMap(src)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version  int      `json:"version"`
		Sources  []string `json:"sources"`
		Mappings string   `json:"mappings"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m.Version != 3 || m.Mappings == "" {
		t.Fatalf("map = %.200s (%v)", raw, err)
	}
	joined := strings.Join(m.Sources, " ")
	if !strings.Contains(joined, "github/actions/a.ts") || !strings.Contains(joined, "github/lib/h.ts") {
		t.Fatalf("sources = %v", m.Sources)
	}
	// The mappings describe Compile's code: one group per line of it.
	if got, want := strings.Count(m.Mappings, ";")+1, strings.Count(strings.TrimRight(b.JS, "\n"), "\n")+1; got < want-1 || got > want+1 {
		t.Fatalf("map has %d lines, the bundle %d", got, want)
	}
}
