package fault

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// domainError is the shape domain packages give their errors.
type domainError struct {
	kind Kind
	msg  string
	err  error
}

func (e *domainError) Error() string   { return Describe("some_code", e.msg, e.err) }
func (e *domainError) Unwrap() error   { return e.err }
func (e *domainError) FaultKind() Kind { return e.kind }

func TestDescribeKeepsTheCause(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, msg string
		cause     error
		want      string
	}{
		{"", "bad", nil, "bad"},
		{"c", "bad", nil, "c: bad"},
		{"c", "bad", io.ErrUnexpectedEOF, "c: bad: unexpected EOF"},
		{"c", "bad: unexpected EOF", io.ErrUnexpectedEOF, "c: bad: unexpected EOF"}, // quoted already
	}
	for _, tc := range tests {
		if got := Describe(tc.code, tc.msg, tc.cause); got != tc.want {
			t.Errorf("Describe(%q, %q, %v) = %q, want %q", tc.code, tc.msg, tc.cause, got, tc.want)
		}
	}
}

func TestKindThroughWrapping(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("save: %w", &domainError{kind: Upstream, msg: "refused", err: io.ErrUnexpectedEOF})
	if got := KindOf(err); got != Upstream {
		t.Errorf("KindOf = %v, want upstream", got)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is does not reach the cause")
	}
	if got := KindOf(io.EOF); got != Internal {
		t.Errorf("KindOf(unclassified) = %v, want internal", got)
	}
	var ps Problems
	if !errors.As(fmt.Errorf("x: %w", Problems{{Path: []any{"a", 0}, Code: "c", Message: "m"}}), &ps) || KindOf(ps) != Invalid {
		t.Error("Problems are not found through wrapping, or not Invalid")
	}
	if got := ps.Error(); got != "invalid input: a.0: m" {
		t.Errorf("Problems.Error() = %q", got)
	}
}

func TestTransient(t *testing.T) {
	t.Parallel()
	for k := Internal; k <= Unavailable; k++ {
		want := k == Internal || k == Upstream || k == Unavailable
		if got := k.Transient(); got != want {
			t.Errorf("%v.Transient() = %v, want %v", k, got, want)
		}
	}
}
