package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/functions"
)

// A function's runtime errors name positions in its bundle ("at exec
// (<eval>:139:8)"), which nobody wrote. sourceMap tells them as positions
// in the TypeScript sources ("github/actions/create-issue.ts:33:11"), from
// the source map of the same bundle compiled here.

// sourceMap is a decoded version 3 source map.
type sourceMap struct {
	sources []string
	lines   [][]mapping // by generated line, 0-based; each sorted by column
}

// mapping is one segment: a generated column and where it came from.
type mapping struct {
	genCol, source, line, col int // 0-based
}

// bundleMap compiles r's bundle with its source map; nil when that fails
// (the error's own text is shown then, unmapped).
func bundleMap(files map[string]string, r functions.Ref) *sourceMap {
	raw, err := functions.SourceMap(functions.Source{Files: files, Entry: r.Entry})
	if err != nil {
		return nil
	}
	m, err := parseSourceMap(raw)
	if err != nil {
		return nil
	}
	return m
}

func parseSourceMap(raw string) (*sourceMap, error) {
	var doc struct {
		Version  int      `json:"version"`
		Sources  []string `json:"sources"`
		Mappings string   `json:"mappings"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, err
	}
	if doc.Version != 3 {
		return nil, fmt.Errorf("source map version %d", doc.Version)
	}
	m := &sourceMap{sources: make([]string, len(doc.Sources))}
	for i, s := range doc.Sources {
		// esbuild names a plugin's files <namespace>:<path>.
		if _, p, ok := strings.Cut(s, ":"); ok {
			s = p
		}
		m.sources[i] = s
	}
	var source, line, col int // carried across lines, as the format says
	for _, text := range strings.Split(doc.Mappings, ";") {
		var segs []mapping
		genCol := 0
		for _, seg := range strings.Split(text, ",") {
			if seg == "" {
				continue
			}
			f, err := decodeVLQ(seg)
			if err != nil {
				return nil, err
			}
			genCol += f[0]
			if len(f) < 4 {
				continue // a segment that maps to no source
			}
			source, line, col = source+f[1], line+f[2], col+f[3]
			segs = append(segs, mapping{genCol: genCol, source: source, line: line, col: col})
		}
		sort.Slice(segs, func(i, j int) bool { return segs[i].genCol < segs[j].genCol })
		m.lines = append(m.lines, segs)
	}
	return m, nil
}

const base64Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// decodeVLQ reads a segment's base64 VLQ fields.
func decodeVLQ(seg string) ([]int, error) {
	var out []int
	value, shift := 0, 0
	for i := 0; i < len(seg); i++ {
		d := strings.IndexByte(base64Digits, seg[i])
		if d < 0 {
			return nil, fmt.Errorf("source map: bad character %q", seg[i])
		}
		value += (d & 31) << shift
		if d&32 != 0 {
			shift += 5
			continue
		}
		n := value >> 1
		if value&1 != 0 {
			n = -n
		}
		out = append(out, n)
		value, shift = 0, 0
	}
	return out, nil
}

// lookup returns the source position (1-based line and column) of the
// bundle's 1-based line and column.
func (m *sourceMap) lookup(line, col int) (file string, srcLine, srcCol int, ok bool) {
	if m == nil || line < 1 || line > len(m.lines) {
		return "", 0, 0, false
	}
	segs := m.lines[line-1]
	i := sort.Search(len(segs), func(i int) bool { return segs[i].genCol > col-1 }) - 1
	if i < 0 || segs[i].source >= len(m.sources) {
		return "", 0, 0, false
	}
	s := segs[i]
	return m.sources[s.source], s.line + 1, s.col + 1, true
}

var bundlePosition = regexp.MustCompile(`<eval>:(\d+):(\d+)`)

// rewrite replaces each bundle position in text by its source position;
// positions it cannot map stay as they are.
func (m *sourceMap) rewrite(text string) string {
	if m == nil {
		return text
	}
	return bundlePosition.ReplaceAllStringFunc(text, func(pos string) string {
		p := bundlePosition.FindStringSubmatch(pos)
		line, _ := strconv.Atoi(p[1])
		col, _ := strconv.Atoi(p[2])
		if file, l, c, ok := m.lookup(line, col); ok {
			return fmt.Sprintf("%s:%d:%d", file, l, c)
		}
		return pos
	})
}

// stackLines are the lines of a script error's stack, its positions told
// in the sources (sm is called only when there is a stack); false when the
// failure's payload holds no stack.
func stackLines(payload json.RawMessage, sm func() *sourceMap) ([]string, bool) {
	var script struct {
		Stack string `json:"stack"`
	}
	if err := json.Unmarshal(payload, &script); err != nil || script.Stack == "" {
		return nil, false
	}
	m := sm()
	lines := []string{"stack:"}
	for _, l := range strings.Split(strings.TrimRight(script.Stack, "\n"), "\n") {
		lines = append(lines, "  "+strings.TrimSpace(m.rewrite(l)))
	}
	return lines, true
}
