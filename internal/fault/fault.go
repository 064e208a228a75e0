// Package fault is the vocabulary domain packages use to say what kind of
// failure an error is, without choosing how it is shown: internal/api (and
// the functions host, through internal/api/httperr) map a Kind to an HTTP
// status in one table, and each domain's own code to Nango's wire code.
package fault

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is what went wrong, from the caller's point of view.
type Kind uint8

// The kinds. The zero Kind is Internal: an error nobody classified is the
// server's fault.
const (
	// Internal is a failure of Patchbay itself.
	Internal Kind = iota
	// Invalid is a request, or the configuration it relies on, that
	// cannot be used as it is; sending it again changes nothing.
	Invalid
	// NotFound is a named thing that does not exist.
	NotFound
	// Conflict is a request that contradicts the current state.
	Conflict
	// Unauthenticated is a missing, unknown or expired credential of the
	// caller (a connect session token, for instance).
	Unauthenticated
	// Forbidden is a caller who is known but may not do this.
	Forbidden
	// DependencyFailed is a step this request depends on that failed for
	// good: a refresh the provider refused, an action that threw.
	DependencyFailed
	// Unsupported is a feature this node does not offer.
	Unsupported
	// Upstream is a provider that failed, could not be reached or
	// answered something unusable.
	Upstream
	// Unavailable is a temporary refusal; the same request may succeed
	// later.
	Unavailable
	// TooLarge is an input, or an answer to pass on, over its size limit.
	TooLarge
)

var kindNames = [...]string{
	Internal:         "internal",
	Invalid:          "invalid",
	NotFound:         "not_found",
	Conflict:         "conflict",
	Unauthenticated:  "unauthenticated",
	Forbidden:        "forbidden",
	DependencyFailed: "dependency_failed",
	Unsupported:      "unsupported",
	Upstream:         "upstream",
	Unavailable:      "unavailable",
	TooLarge:         "too_large",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Transient reports whether a failure of this kind may go away by itself,
// so that trying again later makes sense.
func (k Kind) Transient() bool {
	switch k {
	case Internal, Upstream, Unavailable:
		return true
	}
	return false
}

// Describe is the text of a domain error: its code and message, then its
// cause unless the message already quotes it, so logs keep the chain.
func Describe(code, message string, cause error) string {
	s := message
	if code != "" {
		s = code + ": " + message
	}
	if cause == nil {
		return s
	}
	if c := cause.Error(); c != "" && !strings.Contains(message, c) {
		s += ": " + c
	}
	return s
}

// KindOf is the kind of the first error in err's chain that says one
// (has a FaultKind method), or Internal.
func KindOf(err error) Kind {
	var k interface{ FaultKind() Kind }
	if errors.As(err, &k) {
		return k.FaultKind()
	}
	return Internal
}

// Error is a domain error with nothing of its own to add: its kind, the
// domain's code, a message for people, the input member at fault
// (dotted, "a.b.0") and the cause. A domain whose errors carry more (a
// failure's payload, a retry hint) defines its own type.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	Err     error
}

func (e *Error) Error() string { return Describe(e.Code, e.Message, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// FaultKind says what kind of failure e is.
func (e *Error) FaultKind() Kind { return e.Kind }

// Fault tells the caller what went wrong.
func (e *Error) Fault() Detail {
	return Detail{Kind: e.Kind, Code: e.Code, Message: e.Message, Field: DottedPath(e.Field)}
}

// Detail is what a domain error tells its caller: the kind of failure,
// the domain's code (empty: the kind's), a message for people and the
// path of the input member at fault (strings for object members, ints for
// array indexes). Domain errors return it from a Fault method, so
// internal/api renders every one of them the same way.
type Detail struct {
	Kind    Kind
	Code    string
	Message string
	Field   []any
}

// Problem is one thing wrong with one member of an input.
type Problem struct {
	// Path names the member: strings for object members, ints for array
	// indexes.
	Path    []any
	Code    string
	Message string
}

// Problems is an input refused for every problem found in it; its kind is
// Invalid.
type Problems []Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		segs := make([]string, len(p.Path))
		for j, seg := range p.Path {
			segs[j] = fmt.Sprint(seg)
		}
		msgs[i] = strings.Join(segs, ".") + ": " + p.Message
	}
	return "invalid input: " + strings.Join(msgs, "; ")
}

// FaultKind reports Invalid to KindOf.
func (Problems) FaultKind() Kind { return Invalid }

// FieldProblems returns ps: an error that refuses an input member by
// member has this method (Problems, and the domains' own types).
func (ps Problems) FieldProblems() Problems { return ps }

// DottedPath splits a member path written "a.b.0.c" into its segments,
// the numeric ones as array indexes.
func DottedPath(field string) []any {
	if field == "" {
		return nil
	}
	parts := strings.Split(field, ".")
	out := make([]any, len(parts))
	for i, p := range parts {
		if n, err := strconv.Atoi(p); err == nil && n >= 0 {
			out[i] = n
			continue
		}
		out[i] = p
	}
	return out
}
