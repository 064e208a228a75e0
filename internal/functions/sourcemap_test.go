package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// throwingProject is an action that calls a helper, in another file,
// which throws on its line 3, column 12 (x.explode()).
func throwingProject() Source {
	return Source{Entry: "github/actions/a.ts", Files: map[string]string{
		"github/actions/a.ts": "import { createAction } from 'nango';\nimport { boom } from '../lib/boom.js';\nexport default createAction({\n    exec: async () => {\n        return boom();\n    },\n});\n",
		"github/lib/boom.ts":  "export function boom(): never {\n    const x: any = undefined;\n    return x.explode();\n}\n",
	}}
}

// TestSourceMap: Compile's map names the project's files, belongs to the
// code it produced, line for line, and leaves the sources' content out.
func TestSourceMap(t *testing.T) {
	t.Parallel()
	b, err := Compile(throwingProject())
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version        int      `json:"version"`
		Sources        []string `json:"sources"`
		SourcesContent []string `json:"sourcesContent"`
		Mappings       string   `json:"mappings"`
	}
	if err := json.Unmarshal([]byte(b.SourceMap), &m); err != nil || m.Version != 3 || m.Mappings == "" {
		t.Fatalf("map = %.200s (%v)", b.SourceMap, err)
	}
	joined := strings.Join(m.Sources, " ")
	if !strings.Contains(joined, "github/actions/a.ts") || !strings.Contains(joined, "github/lib/boom.ts") {
		t.Fatalf("sources = %v", m.Sources)
	}
	if m.SourcesContent != nil || strings.Contains(b.SourceMap, "explode") {
		t.Fatalf("the map holds the sources' content: %s", b.SourceMap)
	}
	if strings.Contains(b.JS, "sourceMappingURL") {
		t.Fatalf("the bundle names its map:\n%s", b.JS)
	}
	// The mappings describe Compile's code: one group per line of it.
	if got, want := strings.Count(m.Mappings, ";")+1, strings.Count(strings.TrimRight(b.JS, "\n"), "\n")+1; got < want-1 || got > want+1 {
		t.Fatalf("map has %d lines, the bundle %d", got, want)
	}
	// The throwing expression's position in the bundle maps to boom.ts.
	sm, err := ParseSourceMap(b.SourceMap)
	if err != nil {
		t.Fatal(err)
	}
	line, col := bundlePositionOf(t, b, "x.explode()")
	if file, l, c, ok := sm.Lookup(line, col); !ok || file != "github/lib/boom.ts" || l != 3 || c != 12 {
		t.Fatalf("Lookup(%d, %d) = %s:%d:%d %t; want github/lib/boom.ts:3:12", line, col, file, l, c, ok)
	}
}

// bundlePositionOf is the 1-based line and column of text in b's code.
func bundlePositionOf(t testing.TB, b *Bundle, text string) (int, int) {
	t.Helper()
	for i, l := range strings.Split(b.JS, "\n") {
		if c := strings.Index(l, text); c >= 0 {
			return i + 1, c + 1
		}
	}
	t.Fatalf("no %s in the bundle:\n%s", text, b.JS)
	return 0, 0
}

func TestDecodeVLQ(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		seg  string
		want []int
		err  bool
	}{
		{seg: "AAAA", want: []int{0, 0, 0, 0}},
		{seg: "AACA", want: []int{0, 0, 1, 0}},
		{seg: "gBAAD", want: []int{16, 0, 0, -1}},
		{seg: "2HwBO", want: []int{123, 24, 7}},
		{seg: "B", want: []int{0}}, // -0
		{seg: "/////D", want: []int{-(1<<26 - 1)}},
		{seg: "", want: nil},
		{seg: "A*A", err: true},             // not base64
		{seg: "AAg", err: true},             // ends within a field
		{seg: "gggggggA", err: true},        // longer than 32 bits
		{seg: "A\xffA", err: true},          // not ASCII
		{seg: "AAAA;", err: true},           // a separator is not a digit
		{seg: "ggggggggggggggA", err: true}, // would overflow an int
	} {
		got, err := decodeVLQ(nil, c.seg)
		if (err != nil) != c.err || (!c.err && fmt.Sprint(got) != fmt.Sprint(c.want)) {
			t.Errorf("decodeVLQ(%q) = %v, %v; want %v (error: %t)", c.seg, got, err, c.want, c.err)
		}
	}
}

// smallMap: line 1 maps columns 0 and 10 to a.ts 1:0 and 2:4, line 2 is
// empty, line 3 maps column 2 to lib/b.ts 4:1 and column 6 to a.ts 0:1,
// and has a segment without a source at column 8 (all 0-based).
const smallMap = `{"version":3,"sources":["patchbay-source:github/a.ts","patchbay-source:github/lib/b.ts"],"names":[],"mappings":"AAAA,UACI;;ECGH,IDJA,E"}`

func TestParseSourceMap(t *testing.T) {
	t.Parallel()
	m, err := ParseSourceMap(smallMap)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line, col int
		want      string
	}{
		{1, 1, "github/a.ts:1:1"},
		{1, 10, "github/a.ts:1:1"}, // the segment at or before the column
		{1, 11, "github/a.ts:2:5"},
		{1, 500, "github/a.ts:2:5"},
		{2, 1, ""}, // an empty line
		{3, 1, ""}, // before the line's first segment
		{3, 3, "github/lib/b.ts:5:2"},
		{3, 7, "github/a.ts:1:2"},
		{0, 1, ""},
		{4, 1, ""},
		{-1, -1, ""},
	} {
		file, l, col, ok := m.Lookup(c.line, c.col)
		got := ""
		if ok {
			got = fmt.Sprintf("%s:%d:%d", file, l, col)
		}
		if got != c.want {
			t.Errorf("Lookup(%d, %d) = %q; want %q", c.line, c.col, got, c.want)
		}
	}
	for name, raw := range map[string]string{
		"not JSON":          `{"version":3,`,
		"version 2":         `{"version":2,"sources":[],"mappings":""}`,
		"bad digit":         `{"version":3,"sources":["a"],"mappings":"AA*A"}`,
		"truncated field":   `{"version":3,"sources":["a"],"mappings":"AAAg"}`,
		"unknown source":    `{"version":3,"sources":["a"],"mappings":"ACAA"}`,
		"negative source":   `{"version":3,"sources":["a"],"mappings":"ADAA"}`,
		"negative line":     `{"version":3,"sources":["a"],"mappings":"AADA"}`,
		"negative column":   `{"version":3,"sources":["a"],"mappings":"AAAD"}`,
		"negative gen col":  `{"version":3,"sources":["a"],"mappings":"DAAA"}`,
		"mappings not text": `{"version":3,"sources":["a"],"mappings":7}`,
	} {
		if _, err := ParseSourceMap(raw); err == nil {
			t.Errorf("%s: ParseSourceMap(%s) succeeded", name, raw)
		}
	}
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	m, err := ParseSourceMap(smallMap)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"    at exec (<eval>:1:11)":                    "    at exec (github/a.ts:2:5)",
		"    at <eval>:3:3\n    at run (<eval>:1:1)\n": "    at github/lib/b.ts:5:2\n    at run (github/a.ts:1:1)\n",
		"    at f (<eval>:2:1)":                        "    at f (<eval>:2:1)", // unmapped: kept
		"    at f (<eval>:99999999999999999999:1)":     "    at f (<eval>:99999999999999999999:1)",
		"    at __pb_run (native)":                     "    at __pb_run (native)",
		"TypeError: x is undefined at <eval>:3:7":      "TypeError: x is undefined at github/a.ts:1:2",
		"": "",
	} {
		if got := m.Rewrite(in); got != want {
			t.Errorf("Rewrite(%q) = %q; want %q", in, got, want)
		}
	}
	var none *SourceMap
	if got := none.Rewrite("at <eval>:1:1"); got != "at <eval>:1:1" {
		t.Errorf("a nil map rewrote %q", got)
	}
}

func TestMapFailure(t *testing.T) {
	t.Parallel()
	stack := `{"name":"TypeError","stack":"    at exec (<eval>:1:11)\n"}`
	for _, c := range []struct {
		name      string
		in        Failure
		sourceMap string
		want      Failure
	}{
		{
			name:      "message and stack",
			in:        Failure{Type: "script_error", Message: "TypeError: boom\n    at exec (<eval>:1:11)", Payload: json.RawMessage(stack)},
			sourceMap: smallMap,
			want:      Failure{Type: "script_error", Message: "TypeError: boom\n    at exec (github/a.ts:2:5)", Payload: json.RawMessage(`{"name":"TypeError","stack":"    at exec (github/a.ts:2:5)\n"}`)},
		},
		{
			name:      "stack escaped by Go's encoder",
			in:        Failure{Type: "script_error", Message: "m", Payload: json.RawMessage(`{"name":"E","stack":"at \u003ceval\u003e:3:3"}`)},
			sourceMap: smallMap,
			want:      Failure{Type: "script_error", Message: "m", Payload: json.RawMessage(`{"name":"E","stack":"at github/lib/b.ts:5:2"}`)},
		},
		{
			name:      "a payload without a stack is the function's, kept byte for byte",
			in:        Failure{Type: "action_error", Message: "at <eval>:1:1", Payload: json.RawMessage(`{ "z": 1, "a": "<eval>:1:1" }`)},
			sourceMap: smallMap,
			want:      Failure{Type: "action_error", Message: "at github/a.ts:1:1", Payload: json.RawMessage(`{ "z": 1, "a": "<eval>:1:1" }`)},
		},
		{
			name:      "no map",
			in:        Failure{Type: "script_error", Message: "at <eval>:1:1", Payload: json.RawMessage(stack)},
			sourceMap: "",
			want:      Failure{Type: "script_error", Message: "at <eval>:1:1", Payload: json.RawMessage(stack)},
		},
		{
			name:      "a map that cannot be read",
			in:        Failure{Type: "script_error", Message: "at <eval>:1:1", Payload: json.RawMessage(stack)},
			sourceMap: `{"version":3,"sources":[],"mappings":"AAAA"}`,
			want:      Failure{Type: "script_error", Message: "at <eval>:1:1", Payload: json.RawMessage(stack)},
		},
		{
			name:      "a payload that is not an object",
			in:        Failure{Type: "action_error", Message: "no", Payload: json.RawMessage(`"<eval>:1:1"`)},
			sourceMap: smallMap,
			want:      Failure{Type: "action_error", Message: "no", Payload: json.RawMessage(`"<eval>:1:1"`)},
		},
	} {
		in := c.in
		got := MapFailure(&in, c.sourceMap)
		if got.Type != c.want.Type || got.Message != c.want.Message || string(got.Payload) != string(c.want.Payload) {
			t.Errorf("%s: MapFailure =\n %+v (%s)\nwant %+v (%s)", c.name, got, got.Payload, c.want, c.want.Payload)
		}
		if in.Message != c.in.Message || string(in.Payload) != string(c.in.Payload) {
			t.Errorf("%s: MapFailure changed its argument", c.name)
		}
	}
	if MapFailure(nil, smallMap) != nil {
		t.Error("MapFailure(nil) is not nil")
	}
}

// TestRunFailureNamesSources: a failure out of Run and out of Describe
// names the TypeScript file, line and column, not the bundle's; a bundle
// without its map (deployed before maps were kept) still fails as before.
func TestRunFailureNamesSources(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	b, err := Compile(throwingProject())
	if err != nil {
		t.Fatal(err)
	}
	run := func(b *Bundle) *Failure {
		t.Helper()
		_, err := rt.Run(context.Background(), &Execution{Bundle: b, Kind: KindAction, Input: json.RawMessage(`{}`), Host: &fakeHost{},
			Info: Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}})
		var f *Failure
		if !errors.As(err, &f) {
			t.Fatalf("err = %v, want a Failure", err)
		}
		return f
	}
	stackOf := func(f *Failure) string {
		var p struct{ Stack string }
		if err := json.Unmarshal(f.Payload, &p); err != nil {
			t.Fatalf("payload %s: %v", f.Payload, err)
		}
		return p.Stack
	}

	f := run(b)
	if s := stackOf(f); f.Type != FailureScript || !strings.Contains(s, "at boom (github/lib/boom.ts:3:12)") ||
		!strings.Contains(s, "at exec (github/actions/a.ts:5:") || strings.Contains(s, "<eval>") {
		t.Fatalf("failure = %+v; stack %q", f, s)
	}

	unmapped := *b
	unmapped.SourceMap = ""
	if s := stackOf(run(&unmapped)); !strings.Contains(s, "at boom (<eval>:") {
		t.Fatalf("without a map, stack = %q", s)
	}

	top, err := Compile(Source{Entry: "github/actions/a.ts", Files: map[string]string{
		"github/actions/a.ts": "import { createAction } from 'nango';\nconst bad: any = null;\nbad.x;\nexport default createAction({ exec: async () => 1 });\n",
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.Describe(context.Background(), top)
	// The frame of esbuild's wrapper maps to no source and stays as it is.
	if !errors.As(err, &f) || !strings.Contains(string(f.Payload), "at <anonymous> (github/actions/a.ts:3:1)") {
		t.Fatalf("Describe: %v (%s %s)", err, f.Message, f.Payload)
	}
}

// FuzzParseSourceMap: a stored map is read back from the database, so
// whatever it holds, parsing and looking up must not panic, and what
// Lookup returns is a position in a file the map names.
func FuzzParseSourceMap(f *testing.F) {
	f.Add(smallMap)
	f.Add(`{"version":3,"sources":["a"],"mappings":"AAAA,gBAAD;;AACA"}`)
	f.Add(`{"version":3,"sources":[],"mappings":";;;"}`)
	f.Add(`{"version":3,"sources":["a"],"mappings":"//////////A"}`)
	if b, err := Compile(throwingProject()); err == nil {
		f.Add(b.SourceMap)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := ParseSourceMap(raw)
		if err != nil {
			return
		}
		known := map[string]bool{}
		for _, s := range m.sources {
			known[s] = true
		}
		for line := 0; line <= len(m.lines)+1 && line < 50; line++ {
			for _, col := range []int{-1, 0, 1, 2, 7, 100, 1 << 30} {
				if file, l, c, ok := m.Lookup(line, col); ok && (!known[file] || l < 1 || c < 1) {
					t.Fatalf("Lookup(%d, %d) = %s:%d:%d", line, col, file, l, c)
				}
			}
		}
		_ = m.Rewrite("at <eval>:1:1 (<eval>:2:3) <eval>:0:0 <eval>:3:99999999999999999999")
		_ = MapFailure(&Failure{Type: "script_error", Message: "<eval>:1:1", Payload: json.RawMessage(`{"stack":"<eval>:1:2"}`)}, raw)
	})
}

// BenchmarkMapFailure is what a failing execution of a real function
// pays to tell its stack in the sources: the map parsed, two texts
// rewritten.
func BenchmarkMapFailure(b *testing.B) {
	bundle, err := Compile(throwingProject())
	if err != nil {
		b.Fatal(err)
	}
	line, col := bundlePositionOf(b, bundle, "x.explode()")
	f := &Failure{Type: FailureScript, Message: "TypeError: cannot read property 'explode' of undefined",
		Payload: json.RawMessage(fmt.Sprintf(`{"name":"TypeError","stack":"    at boom (<eval>:%d:%d)\n    at exec (<eval>:%d:1)\n"}`, line, col, line+3))}
	b.ReportAllocs()
	for b.Loop() {
		if g := MapFailure(f, bundle.SourceMap); g == f {
			b.Fatal("nothing mapped")
		}
	}
}

// BenchmarkCompile is a deploy's compile of one small function, its
// source map included.
func BenchmarkCompile(b *testing.B) {
	src := throwingProject()
	var bundle *Bundle
	for b.Loop() {
		var err error
		if bundle, err = Compile(src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bundle.JS)), "bundle-bytes")
	b.ReportMetric(float64(len(bundle.SourceMap)), "map-bytes")
}
