package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Document is a kind of JSON document Patchbay keeps (a connection's
// metadata, an action's output, …) and its cap. The API and the functions
// host check what they are given against the same Document, and the store
// refuses to write one that breaks its rules, so nothing is stored that
// cannot be read back and no caller can store more than another.
type Document struct {
	// Name is the member the document is known by in the API.
	Name string
	// Max is the cap: the most bytes of its compact JSON encoding.
	Max int
	// column is set for documents kept in a JSON column (jsonb on
	// PostgreSQL), which cannot hold the NUL character in a string or a
	// key; sealed documents are opaque bytes to the database and can.
	column bool
}

// The documents Patchbay keeps, with their caps. README.md ("Document limits")
// lists them for users; change both together.
var (
	// DocMetadata is a connection's metadata: 1 MiB, the API's body cap,
	// whether set through the API or by a function's setMetadata.
	DocMetadata = Document{Name: "metadata", Max: 1 << 20, column: true}
	// DocConnectionConfig is a connection's (or an OAuth flow's)
	// connection_config.
	DocConnectionConfig = Document{Name: "connection_config", Max: 256 << 10, column: true}
	// DocTags are a connection's or a connect session's tags.
	DocTags = Document{Name: "tags", Max: 64 << 10, column: true}
	// DocEndUser is a connection's or a connect session's end user.
	DocEndUser = Document{Name: "end_user", Max: 64 << 10, column: true}
	// DocConfigDefaults is a connect session's integrations_config_defaults.
	DocConfigDefaults = Document{Name: "integrations_config_defaults", Max: 256 << 10, column: true}
	// DocSettings is an integration's settings, or an environment's
	// Connect UI or webhook settings.
	DocSettings = Document{Name: "settings", Max: 64 << 10, column: true}
	// DocVariables are an environment's variables, all together.
	DocVariables = Document{Name: "variables", Max: 1 << 20}
	// DocActionInput is an action's input: the action route's body cap.
	DocActionInput = Document{Name: "input", Max: 4 << 20}
	// DocActionOutput is an action's output: Nango's documented limit.
	DocActionOutput = Document{Name: "output", Max: 2 << 20}
	// DocActionError is a failed action's {type, message, payload}.
	// Longer messages are truncated and payloads that do not fit dropped
	// (internal/actions), so a failure is always reported.
	DocActionError = Document{Name: "error", Max: 64 << 10}
	// DocDefinition is a deployed function's definition (its schemas).
	DocDefinition = Document{Name: "definition", Max: 4 << 20, column: true}
)

// DocumentError is a document that breaks its Document's rules: too big,
// not JSON, a number no reader can hold, or a string the database cannot
// keep. Path locates the offending value inside the document.
type DocumentError struct {
	Doc     string // the Document's Name
	Path    []any  // object keys (string) and array indexes (int)
	Code    string // too_big, invalid_json, invalid_number or invalid_string
	Message string
}

func (e *DocumentError) Error() string {
	p := e.Doc
	for _, seg := range e.Path {
		p += "." + fmt.Sprint(seg)
	}
	return p + ": " + e.Message
}

// Encode returns v's JSON encoding as the store keeps it (compact, without
// HTML escaping) and, if that breaks d's rules, a *DocumentError. The
// encoding is returned even then, so callers can tell how big it is.
func (d Document) Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only Go values (NaN, infinities, channels) fail here.
		return nil, &DocumentError{Doc: d.Name, Code: "invalid_json", Message: err.Error()}
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return b, d.Check(b)
}

// Check reports whether raw, one JSON value, keeps d's rules: at most
// d.Max bytes; every number within float64's range (a larger one is read
// as infinity by JavaScript and refused by Go's decoder, so a row holding
// it could not be read back); and, for documents kept in a JSON column, no
// NUL character, which PostgreSQL's jsonb refuses.
func (d Document) Check(raw []byte) error {
	if len(raw) > d.Max {
		return &DocumentError{Doc: d.Name, Code: "too_big",
			Message: fmt.Sprintf("is %d bytes; at most %s is allowed", len(raw), Size(d.Max))}
	}
	if !json.Valid(raw) {
		// Decoder.Token checks less than this (a value cut short ends in
		// io.EOF), so the walk below assumes it.
		return &DocumentError{Doc: d.Name, Code: "invalid_json", Message: "is not valid JSON"}
	}
	if !d.suspect(raw) {
		return nil
	}
	return d.locate(raw)
}

// suspect scans valid JSON quickly for what Check refuses, without
// tracking where it is: most documents have nothing to report, and
// locate, which finds the path, is ten times slower.
func (d Document) suspect(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			for i++; raw[i] != '"'; i++ {
				if raw[i] != '\\' {
					continue
				}
				i++
				if d.column && raw[i] == 'u' && string(raw[i+1:i+5]) == "0000" {
					return true
				}
			}
		case c == '-' || c >= '0' && c <= '9':
			start, exponent := i, false
			for ; i+1 < len(raw) && strings.IndexByte("0123456789.eE+-", raw[i+1]) >= 0; i++ {
				exponent = exponent || raw[i+1] == 'e' || raw[i+1] == 'E'
			}
			// Without an exponent only a number of 309 digits or more can
			// be out of range.
			if exponent || i+1-start > 300 {
				if _, err := strconv.ParseFloat(string(raw[start:i+1]), 64); err != nil {
					return true
				}
			}
		}
	}
	return false
}

// locate walks raw, which suspect flagged, to report what is wrong and
// where.
func (d Document) locate(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	// One frame per open object or array: where the walk is, for paths.
	type frame struct {
		array bool
		index int
		key   string
		inKey bool // the next string in this object is a key
	}
	var stack []frame
	path := func() []any {
		p := make([]any, 0, len(stack))
		for _, f := range stack {
			if f.array {
				p = append(p, f.index)
			} else {
				p = append(p, f.key)
			}
		}
		return p
	}
	fail := func(code, msg string) error {
		return &DocumentError{Doc: d.Name, Path: path(), Code: code, Message: msg}
	}
	// valueDone moves the innermost container past the value just read.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].inKey = true
			}
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail("invalid_json", "is not valid JSON: "+err.Error())
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{inKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].inKey {
				stack[n-1].key, stack[n-1].inKey = v, false
				if d.column && strings.IndexByte(v, 0) >= 0 {
					return fail("invalid_string", "keys must not contain the NUL character (\\u0000)")
				}
				continue
			}
			if d.column && strings.IndexByte(v, 0) >= 0 {
				return fail("invalid_string", "must not contain the NUL character (\\u0000)")
			}
		case json.Number:
			if _, err := strconv.ParseFloat(string(v), 64); err != nil {
				return fail("invalid_number", fmt.Sprintf("the number %s is out of range (at most about ±1.8e308)", abbreviate(string(v))))
			}
		}
		valueDone()
	}
	return nil
}

// abbreviate keeps error messages short when a number is thousands of
// digits long.
func abbreviate(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:20] + "…" + s[len(s)-10:]
}

// Size formats a cap for messages: "1 MiB", "64 KiB", "100 bytes".
func Size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// UnreadableError is a stored row that cannot be decoded: written by an
// older version before documents were checked, or changed outside
// Patchbay. Lists skip such rows (logging and counting them, see
// Store.UnreadableRows); reads of the row itself return this error.
type UnreadableError struct {
	Table  string // e.g. "connections"
	ID     string // the row id
	Column string
	Err    error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("%s row %s: stored %s cannot be read: %v", e.Table, e.ID, e.Column, e.Err)
}

func (e *UnreadableError) Unwrap() error { return e.Err }
