package main

import (
	"encoding/json"
	"strings"

	"github.com/patchbay/patchbay/internal/functions"
)

// bundleMap compiles r's bundle and returns its source map; nil when that
// fails (the error's own text is shown then, unmapped).
func bundleMap(files map[string]string, r functions.Ref) *functions.SourceMap {
	b, err := functions.Compile(functions.Source{Files: files, Entry: r.Entry})
	if err != nil {
		return nil
	}
	m, err := functions.ParseSourceMap(b.SourceMap)
	if err != nil {
		return nil
	}
	return m
}

// stackLines are the lines of a script error's stack; false when the
// failure's payload holds no stack. The runtime tells a stack's positions
// in the sources already; a position still in the bundle (<eval>:…, from
// a server that did not) is told through sm, called only then, if not
// nil.
func stackLines(payload json.RawMessage, sm func() *functions.SourceMap) ([]string, bool) {
	var script struct {
		Stack string `json:"stack"`
	}
	if err := json.Unmarshal(payload, &script); err != nil || script.Stack == "" {
		return nil, false
	}
	stack := script.Stack
	if sm != nil && strings.Contains(stack, "<eval>:") {
		stack = sm().Rewrite(stack)
	}
	lines := []string{"stack:"}
	for _, l := range strings.Split(strings.TrimRight(stack, "\n"), "\n") {
		lines = append(lines, "  "+strings.TrimSpace(l))
	}
	return lines, true
}
