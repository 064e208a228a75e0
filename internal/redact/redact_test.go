package redact

import "testing"

func TestForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, s string
		forms   []string
		want    string
	}{
		{"none", "nothing here", []string{"secret"}, "nothing here"},
		{"each occurrence", "a secret and a secret", []string{"secret"}, "a [REDACTED] and a [REDACTED]"},
		{"overlapping forms become one run", "x abcdef y", []string{"abcd", "cdef"}, "x [REDACTED] y"},
		{"adjacent occurrences become one run", "xsecretsecrety", []string{"secret"}, "x[REDACTED]y"},
		{"self-overlapping", "aaaa", []string{"aaa"}, "[REDACTED]"},
		{"empty form ignored", "text", []string{""}, "text"},
		{"marker does not match again", "secret", []string{"secret", "REDACTED"}, "[REDACTED]"},
	} {
		if got := Forms(tc.s, tc.forms); got != tc.want {
			t.Errorf("%s: Forms(%q, %q) = %q, want %q", tc.name, tc.s, tc.forms, got, tc.want)
		}
	}
}
