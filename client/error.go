package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxFallbackMessage bounds how much of a non-JSON error body goes into
// Error.Message: enough to recognise a proxy's error page, not so much that
// logs fill up with HTML.
const maxFallbackMessage = 200

// Error is returned by every Client method when the server answers with a
// non-2xx status. Use errors.As to inspect it, or IsNotFound for the common
// case.
type Error struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the machine-readable error code from the body (Nango's codes,
	// e.g. "invalid_body", "unknown_provider_config"), or "http_<status>"
	// when the body carried none.
	Code string
	// Message is the human-readable message from the body or, when the body
	// was not a Patchbay error object, its first 200 bytes.
	Message string
	// Errors lists per-field validation problems, when the server gave them.
	Errors []FieldError
}

// FieldError is one validation problem in a request, located by Path.
type FieldError struct {
	// Code classifies the problem, e.g. "invalid_type".
	Code string
	// Message describes the problem.
	Message string
	// Path locates the offending value in the request body: string items
	// are object keys and int items are array indexes, e.g.
	// ["credentials", "client_id"] or ["scopes", 0].
	Path []any
}

// Error formats e as "patchbay: <status> <code>: <message> (<field errors>)".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "patchbay: %d %s", e.StatusCode, e.Code)
	msg := e.Message
	if msg == "" && len(e.Errors) == 0 {
		msg = http.StatusText(e.StatusCode)
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if len(e.Errors) > 0 {
		b.WriteString(" (")
		for i, fe := range e.Errors {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(fe.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

// String formats f as "<dotted path>: <message>", for logs and Error.
func (f FieldError) String() string {
	msg := f.Message
	if msg == "" {
		msg = f.Code
	}
	if len(f.Path) == 0 {
		return msg
	}
	parts := make([]string, len(f.Path))
	for i, p := range f.Path {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".") + ": " + msg
}

// IsNotFound reports whether err is, or wraps, an *Error with status 404:
// the provider, integration or other resource named in the call does not
// exist.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// errorBody is the wire shape of an error response:
// {"error":{"code":…,"message":…,"errors":[{"code","message","path"}]}}.
type errorBody struct {
	Error *struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	} `json:"error"`
}

type wireFieldError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Path    []json.RawMessage `json:"path"`
}

// newError builds the *Error for a non-2xx response. secretKey is scrubbed
// from every message taken from the body, so that a server or proxy echoing
// the request's headers cannot leak it into the caller's logs.
func newError(status int, body []byte, secretKey string) *Error {
	redact := func(s string) string {
		if secretKey == "" {
			return s
		}
		return strings.ReplaceAll(s, secretKey, "[redacted]")
	}

	e := &Error{StatusCode: status, Code: "http_" + strconv.Itoa(status)}
	var wire errorBody
	if json.Unmarshal(body, &wire) != nil || wire.Error == nil ||
		(wire.Error.Code == "" && wire.Error.Message == "") {
		e.Message = redact(fallbackMessage(body))
		return e
	}

	if wire.Error.Code != "" {
		e.Code = wire.Error.Code
	}
	e.Message = redact(wire.Error.Message)
	// Field errors are best effort: a malformed list must not hide the
	// status, code and message already decoded.
	var fields []wireFieldError
	if json.Unmarshal(wire.Error.Errors, &fields) == nil {
		for _, f := range fields {
			e.Errors = append(e.Errors, FieldError{
				Code:    f.Code,
				Message: redact(f.Message),
				Path:    pathItems(f.Path),
			})
		}
	}
	return e
}

// fallbackMessage returns the start of a body that is not an error object,
// cut on a UTF-8 boundary and trimmed of surrounding whitespace.
func fallbackMessage(body []byte) string {
	if len(body) > maxFallbackMessage {
		// Back off to the start of a rune that straddles the cut, so the
		// message stays valid UTF-8 when the body was.
		cut := maxFallbackMessage
		for cut > maxFallbackMessage-utf8.UTFMax && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	return strings.TrimSpace(string(body))
}

// pathItems converts a JSON path to Go values: strings stay strings,
// integral numbers become int, other numbers float64. Anything else (which
// a well-behaved server never sends) is kept as its JSON text.
func pathItems(raw []json.RawMessage) []any {
	if len(raw) == 0 {
		return nil
	}
	items := make([]any, 0, len(raw))
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			items = append(items, s)
			continue
		}
		var n float64
		if json.Unmarshal(r, &n) == nil {
			if n == math.Trunc(n) && math.Abs(n) <= 1<<53 {
				items = append(items, int(n))
			} else {
				items = append(items, n)
			}
			continue
		}
		items = append(items, string(r))
	}
	return items
}
