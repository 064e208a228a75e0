// Package redact removes secrets from text that logs and errors keep, such
// as a provider's answer that may echo what was sent to it.
package redact

import "strings"

// Marker stands where a secret was.
const Marker = "[REDACTED]"

// Forms replaces every occurrence in s of each of forms (the encodings a
// secret may appear in) with Marker. Occurrences are marked on the
// original text first, overlapping ones included, and each marked run
// becomes one Marker: replacing one form at a time could break an
// overlapping occurrence of another and leave part of it behind, and the
// marker itself can never match. Empty forms are ignored.
func Forms(s string, forms []string) string {
	var marked []bool
	for _, f := range forms {
		if f == "" {
			continue
		}
		for i := 0; i+len(f) <= len(s); {
			j := strings.Index(s[i:], f)
			if j < 0 {
				break
			}
			if marked == nil {
				marked = make([]bool, len(s))
			}
			for k := i + j; k < i+j+len(f); k++ {
				marked[k] = true
			}
			i += j + 1
		}
	}
	if marked == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case !marked[i]:
			b.WriteByte(s[i])
		case i == 0 || !marked[i-1]:
			b.WriteString(Marker)
		}
	}
	return b.String()
}
