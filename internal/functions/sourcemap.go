package functions

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A function's runtime errors name positions in its bundle ("at exec
// (<eval>:139:8)"), which nobody wrote. A SourceMap tells them as
// positions in the TypeScript sources ("github/actions/create-issue.ts:33:11"),
// from the source map Compile made with the bundle (Bundle.SourceMap).

// SourceMap is a decoded version 3 source map: for each position of the
// bundle, the file, line and column of the source it came from.
type SourceMap struct {
	sources []string
	lines   [][]mapping // by generated line, 0-based; each sorted by column
}

// mapping is one segment: a generated column and where it came from.
type mapping struct {
	genCol, source, line, col int // 0-based
}

// ParseSourceMap decodes a version 3 source map. A stored map is the
// project's data read back, so anything malformed is an error, never a
// panic.
func ParseSourceMap(raw string) (*SourceMap, error) {
	var doc struct {
		Version  int      `json:"version"`
		Sources  []string `json:"sources"`
		Mappings string   `json:"mappings"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("source map: %w", err)
	}
	if doc.Version != 3 {
		return nil, fmt.Errorf("source map: version %d, want 3", doc.Version)
	}
	m := &SourceMap{sources: make([]string, len(doc.Sources))}
	for i, s := range doc.Sources {
		// esbuild names a plugin's files <namespace>:<path>.
		if _, p, ok := strings.Cut(s, ":"); ok {
			s = p
		}
		m.sources[i] = s
	}
	var source, line, col int // carried across lines, as the format says
	var fields []int
	for _, text := range strings.Split(doc.Mappings, ";") {
		var segs []mapping
		genCol := 0 // reset on each line
		for _, seg := range strings.Split(text, ",") {
			if seg == "" {
				continue
			}
			var err error
			if fields, err = decodeVLQ(fields[:0], seg); err != nil {
				return nil, err
			}
			genCol += fields[0]
			if len(fields) < 4 {
				continue // a segment that maps to no source
			}
			source, line, col = source+fields[1], line+fields[2], col+fields[3]
			if genCol < 0 || source < 0 || source >= len(m.sources) || line < 0 || col < 0 {
				return nil, fmt.Errorf("source map: segment %q points outside the map", seg)
			}
			segs = append(segs, mapping{genCol: genCol, source: source, line: line, col: col})
		}
		sort.SliceStable(segs, func(i, j int) bool { return segs[i].genCol < segs[j].genCol })
		m.lines = append(m.lines, segs)
	}
	return m, nil
}

// vlqDigit maps a base64 character to its value, -1 for any other byte.
var vlqDigit = func() (t [256]int8) {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(digits); i++ {
		t[digits[i]] = int8(i)
	}
	return t
}()

var errVLQ = errors.New("source map: bad VLQ segment")

// decodeVLQ appends a segment's base64 VLQ fields to dst.
func decodeVLQ(dst []int, seg string) ([]int, error) {
	value, shift := 0, 0
	for i := 0; i < len(seg); i++ {
		d := int(vlqDigit[seg[i]])
		if d < 0 {
			return dst, fmt.Errorf("%w: character %q", errVLQ, seg[i])
		}
		// Positions fit in 31 bits; more digits are garbage, and shifting
		// them in would overflow.
		if shift > 30 {
			return dst, fmt.Errorf("%w: a field longer than 32 bits", errVLQ)
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
		dst = append(dst, n)
		value, shift = 0, 0
	}
	if shift != 0 {
		return dst, fmt.Errorf("%w: %q ends within a field", errVLQ, seg)
	}
	return dst, nil
}

// Lookup returns the source position (1-based line and column) of the
// bundle's 1-based line and column: that of the nearest segment at or
// before it on its line.
func (m *SourceMap) Lookup(line, col int) (file string, srcLine, srcCol int, ok bool) {
	if m == nil || line < 1 || line > len(m.lines) {
		return "", 0, 0, false
	}
	segs := m.lines[line-1]
	i := sort.Search(len(segs), func(i int) bool { return segs[i].genCol > col-1 }) - 1
	if i < 0 {
		return "", 0, 0, false
	}
	s := segs[i]
	return m.sources[s.source], s.line + 1, s.col + 1, true
}

// bundlePosition is how QuickJS names a position in the bundle, which it
// evaluates without a file name.
var bundlePosition = regexp.MustCompile(`<eval>:(\d+):(\d+)`)

// Rewrite replaces each bundle position in text by its source position;
// positions it cannot map stay as they are.
func (m *SourceMap) Rewrite(text string) string {
	if m == nil || !strings.Contains(text, "<eval>:") {
		return text
	}
	return bundlePosition.ReplaceAllStringFunc(text, func(pos string) string {
		p := bundlePosition.FindStringSubmatch(pos)
		line, err1 := strconv.Atoi(p[1])
		col, err2 := strconv.Atoi(p[2])
		if err1 != nil || err2 != nil {
			return pos
		}
		if file, l, c, ok := m.Lookup(line, col); ok {
			return fmt.Sprintf("%s:%d:%d", file, l, c)
		}
		return pos
	})
}

// MapFailure returns f with the bundle positions of its message and of
// its payload's stack told in the sources, through sourceMap (the
// bundle's, as Compile made it). The failure's shape stays; only the
// positions change. f itself is returned when there is nothing to map or
// the map cannot be read (a deployment made before maps were kept has
// none).
func MapFailure(f *Failure, sourceMap string) *Failure {
	if f == nil || sourceMap == "" || (!mentionsBundle(f.Message) && !mentionsBundle(string(f.Payload))) {
		return f
	}
	m, err := ParseSourceMap(sourceMap)
	if err != nil {
		return f
	}
	out := *f
	out.Message = m.Rewrite(f.Message)
	out.Payload = m.rewriteStack(f.Payload)
	return &out
}

// mentionsBundle reports whether s, text or JSON (which Go's encoder
// writes with < and > escaped), holds a bundle position.
func mentionsBundle(s string) bool {
	return strings.Contains(s, "<eval>:") || strings.Contains(s, `\u003ceval\u003e:`)
}

// rewriteStack rewrites the "stack" string of a payload object. The other
// fields are the function's data and are kept byte for byte, as is any
// payload without a stack to rewrite.
func (m *SourceMap) rewriteStack(payload json.RawMessage) json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil {
		return payload
	}
	var stack string
	if json.Unmarshal(fields["stack"], &stack) != nil {
		return payload
	}
	mapped := m.Rewrite(stack)
	if mapped == stack {
		return payload
	}
	fields["stack"] = jsonText(mapped)
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a stack is read by people, not browsers
	if enc.Encode(fields) != nil {
		return payload
	}
	return json.RawMessage(strings.TrimSuffix(b.String(), "\n"))
}

func jsonText(s string) json.RawMessage {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return json.RawMessage(strings.TrimSuffix(b.String(), "\n"))
}

// mapErr applies MapFailure to err when it is a *Failure.
func mapErr(err error, sourceMap string) error {
	var f *Failure
	if sourceMap == "" || !errors.As(err, &f) {
		return err
	}
	if g := MapFailure(f, sourceMap); g != f {
		return g
	}
	return err
}
