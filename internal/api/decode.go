package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/store"
)

// maxBodyBytes bounds every request body the API reads.
const maxBodyBytes = 1 << 20

// readBody reads a JSON request body of at most maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	return readLimited(w, r, maxBodyBytes)
}

// readLimited reads a JSON request body of at most limit bytes.
func readLimited(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, newError(http.StatusRequestEntityTooLarge, "payload_too_large", "the body is larger than %d bytes", limit)
		}
		return nil, newError(http.StatusBadRequest, "invalid_body", "could not read the body")
	}
	return body, nil
}

// field describes one member of a JSON object: where to put it and whether
// it must be present. dest is a *string, **string, or a func decoding a
// nested object.
type field struct {
	dest     any
	required bool
}

type nested func(raw json.RawMessage, path []any) []fieldError

// decodeObject decodes a JSON object member by member, so every error,
// including unknown members and type mismatches deep in the body, carries
// its exact path. It reports all problems, not just the first.
func decodeObject(data []byte, path []any, fields map[string]field) []fieldError {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return []fieldError{{Code: "invalid_json", Message: fmt.Sprintf("malformed JSON at byte %d", syntax.Offset), Path: path}}
		}
		return []fieldError{{Code: "invalid_type", Message: "expected an object, received " + jsonKind(data), Path: path}}
	}
	var errs []fieldError
	for _, name := range slices.Sorted(maps.Keys(members)) {
		f, ok := fields[name]
		p := append(slices.Clip(path), name)
		if !ok {
			errs = append(errs, fieldError{Code: "unrecognized_key", Message: fmt.Sprintf("unknown field %q", name), Path: p})
			continue
		}
		raw := members[name]
		switch dest := f.dest.(type) {
		case *string:
			if err := json.Unmarshal(raw, dest); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				errs = append(errs, fieldError{Code: "invalid_type", Message: "expected a string, received " + jsonKind(raw), Path: p})
			} else if fe := checkNUL(*dest, p); fe != nil {
				errs = append(errs, *fe)
			}
		case **string:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				errs = append(errs, fieldError{Code: "invalid_type", Message: "expected a string, received " + jsonKind(raw), Path: p})
				continue
			}
			if fe := checkNUL(s, p); fe != nil {
				errs = append(errs, *fe)
			}
			*dest = &s
		case nested:
			errs = append(errs, dest(raw, p)...)
		case ignoredMember:
			if dest.kind != "" && jsonKind(raw) != dest.kind {
				errs = append(errs, fieldError{Code: "invalid_type", Message: fmt.Sprintf("expected a %s, received %s", dest.kind, jsonKind(raw)), Path: p})
			} else {
				errs = append(errs, fieldError{Code: ignoredCode, Path: p})
			}
		default:
			panic(fmt.Sprintf("api: unsupported field destination %T", f.dest))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if _, present := members[name]; fields[name].required && !present {
			errs = append(errs, fieldError{Code: "required", Message: "is required", Path: append(slices.Clip(path), name)})
		}
	}
	return errs
}

// decodeRequest checks a JSON endpoint's request, which takes no query
// parameters, and decodes its body into fields. It writes the error response
// itself and reports whether the handler should go on.
func (s *Server) decodeRequest(w http.ResponseWriter, r *http.Request, fields map[string]field) bool {
	return s.decodeLimited(w, r, maxBodyBytes, fields)
}

// decodeLimited is decodeRequest for a route with its own body limit.
func (s *Server) decodeLimited(w http.ResponseWriter, r *http.Request, limit int64, fields map[string]field) bool {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return false
	}
	body, err := readLimited(w, r, limit)
	if err != nil {
		s.writeError(w, r, err)
		return false
	}
	if err := decodeBody(w, body, fields); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

// decodeBody is decodeObject over a whole request body, with the checks that
// only apply at the top: a single JSON value and nothing after it. Members
// accepted and ignored (ignore) are named in the answer's ignoredHeader.
func decodeBody(w http.ResponseWriter, data []byte, fields map[string]field) *apiError {
	dec := json.NewDecoder(bytes.NewReader(data))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		if errors.Is(err, io.EOF) {
			return invalidBody(fieldError{Code: "required", Message: "a JSON object body is required", Path: []any{}})
		}
		return invalidBody(fieldError{Code: "invalid_json", Message: "malformed JSON: " + err.Error(), Path: []any{}})
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidBody(fieldError{Code: "invalid_json", Message: "unexpected data after the JSON object", Path: []any{}})
	}
	var errs []fieldError
	for _, e := range decodeObject(top, []any{}, fields) {
		if e.Code == ignoredCode {
			noteIgnored(w, pathString(e.Path))
		} else {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return invalidBody(errs...)
	}
	return nil
}

// checkNUL refuses the NUL character in a string member. No value the API
// takes has a use for it, PostgreSQL cannot keep it in a JSON column, and
// HTTP headers (where credentials end up) cannot carry it.
func checkNUL(s string, path []any) *fieldError {
	if strings.IndexByte(s, 0) < 0 {
		return nil
	}
	return &fieldError{Code: "invalid_string", Message: "must not contain the NUL character (\\u0000)", Path: path}
}

// documentField decodes a member that is a whole JSON document of kind
// doc, kept as the raw JSON given, after checking it against doc's rules:
// the same rules, and cap, the store and the functions host apply.
func documentField(dst *json.RawMessage, doc store.Document) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		raw = bytes.TrimSpace(raw)
		if fe := checkDocument(raw, path, doc); fe != nil {
			return []fieldError{*fe}
		}
		*dst = append(json.RawMessage(nil), raw...)
		return nil
	}
}

// checkDocument checks raw, the body member at path, against doc's rules,
// measuring it without the whitespace the store does not keep.
func checkDocument(raw []byte, path []any, doc store.Document) *fieldError {
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err == nil {
		raw = compact.Bytes()
	}
	var de *store.DocumentError
	if err := doc.Check(raw); errors.As(err, &de) {
		return &fieldError{Code: de.Code, Message: de.Message, Path: append(slices.Clip(path), de.Path...)}
	}
	return nil
}

func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// checkQuery rejects query parameters the route does not know, and values
// outside a parameter's allowed set when one is given, so a misspelt
// option is an error instead of a silent default.
func checkQuery(r *http.Request, allowed map[string][]string) *apiError {
	q := r.URL.Query()
	var errs []fieldError
	for _, name := range slices.Sorted(maps.Keys(q)) {
		values, known := allowed[name]
		if !known {
			errs = append(errs, fieldError{Code: "unrecognized_key", Message: fmt.Sprintf("unknown query parameter %q", name), Path: []any{name}})
			continue
		}
		if values == nil || isIgnoredParam(values) {
			continue
		}
		for _, v := range q[name] {
			for _, item := range strings.Split(v, ",") {
				if !slices.Contains(values, strings.TrimSpace(item)) {
					errs = append(errs, fieldError{Code: "invalid_enum_value", Message: fmt.Sprintf("%q is not one of %s", item, strings.Join(values, ", ")), Path: []any{name}})
				}
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	e := &apiError{status: http.StatusBadRequest, Code: "invalid_query_params", Message: "the query string is invalid", Errors: errs}
	if len(errs) == 1 {
		e.Message = fmt.Sprintf("%s: %s", pathString(errs[0].Path), errs[0].Message)
	}
	return e
}

// queryList returns the comma- or repeat-separated values of a parameter.
func queryList(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// boolField decodes a JSON boolean into *dst.
func boolField(dst *bool) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
			return []fieldError{{Code: "invalid_type", Message: "expected a boolean, received " + jsonKind(raw), Path: path}}
		}
		return nil
	}
}

// ignoredHeader names, in an answer, what the request sent that Nango's API
// takes but Patchbay accepts without acting on: query parameters by name,
// body members by path, comma-separated. A caller moving from Nango sees
// what has no effect here instead of the request failing; what Nango itself
// would refuse is still refused.
const ignoredHeader = "X-Patchbay-Ignored"

// ignoredMarker is the value list of an ignored parameter: it holds a NUL,
// so it is no value a parameter could really be restricted to.
const ignoredMarker = "\x00ignored"

// ignoredParam marks, in a route's allowed query parameters, one that
// Nango's API takes and Patchbay accepts and ignores (see acceptQuery).
var ignoredParam = []string{ignoredMarker}

func isIgnoredParam(values []string) bool { return len(values) == 1 && values[0] == ignoredMarker }

// acceptQuery is checkQuery for a route whose allowed parameters include
// ignored ones (ignoredParam): those the request gives are named in the
// answer's ignoredHeader.
func acceptQuery(w http.ResponseWriter, r *http.Request, allowed map[string][]string) *apiError {
	if err := checkQuery(r, allowed); err != nil {
		return err
	}
	q := r.URL.Query()
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if isIgnoredParam(allowed[name]) {
			noteIgnored(w, name)
		}
	}
	return nil
}

// ignoredCode marks, among decodeObject's results, a member accepted and
// ignored; decodeBody takes these out and names them in ignoredHeader. The
// NUL keeps it from ever being a real error code.
const ignoredCode = "\x00ignored"

// ignoredMember is the destination of a body member Nango's API takes and
// Patchbay accepts and ignores. kind, when set, is the JSON kind Nango
// requires of it (as jsonKind names it): a value of another kind is refused
// as Nango would refuse it.
type ignoredMember struct{ kind string }

// ignore is an ignoredMember of the given JSON kind ("" for any).
func ignore(kind string) field { return field{dest: ignoredMember{kind: kind}} }

// noteIgnored adds names to the answer's ignoredHeader, keeping one
// comma-separated value.
func noteIgnored(w http.ResponseWriter, names ...string) {
	h := w.Header()
	var list []string
	if v := h.Get(ignoredHeader); v != "" {
		list = strings.Split(v, ", ")
	}
	for _, n := range names {
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	h.Set(ignoredHeader, strings.Join(list, ", "))
}
