package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// parseDotenv reads KEY=VALUE lines: # starts a comment line (or, after a
// space, a comment at the end of an unquoted value), "export " may
// precede the key, values may be quoted ('…' literally, "…" with \n, \t,
// \" and \\ escapes). Lines it cannot read are skipped and reported.
func parseDotenv(text string) (map[string]string, error) {
	vars := map[string]string{}
	var bad []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !envKey.MatchString(key) {
			bad = append(bad, strconv.Itoa(i+1))
			continue
		}
		value = strings.TrimSpace(value)
		switch {
		case len(value) >= 2 && value[0] == '\'' && strings.IndexByte(value[1:], '\'') >= 0:
			value = value[1 : 1+strings.IndexByte(value[1:], '\'')]
		case len(value) >= 2 && value[0] == '"':
			v, ok := unquoteDouble(value)
			if !ok {
				bad = append(bad, strconv.Itoa(i+1))
				continue
			}
			value = v
		default:
			if j := strings.Index(value, " #"); j >= 0 {
				value = strings.TrimSpace(value[:j])
			}
		}
		vars[key] = value
	}
	if len(bad) > 0 {
		return vars, fmt.Errorf("lines %s are not KEY=VALUE", strings.Join(bad, ", "))
	}
	return vars, nil
}

// unquoteDouble reads a "…" value (what follows the closing quote is
// ignored, so a trailing comment may follow it).
func unquoteDouble(s string) (string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), true
		case '\\':
			if i+1 >= len(s) {
				return "", false
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
