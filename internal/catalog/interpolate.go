package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Values holds what Interpolate may substitute, keyed the way Nango's
// templates name them: "connectionConfig.subdomain", "credentials.username",
// "apiKey", "accessToken", "clientId", … Time and randomness are values too
// ("now" as RFC 3339, "random") so that one request's headers all agree and
// tests are deterministic; the caller sets them once per request.
type Values map[string]string

// MissingValueError reports a placeholder with no value. It carries only the
// placeholder's name, never any value, because values are secrets.
type MissingValueError struct {
	Name string
}

func (e *MissingValueError) Error() string {
	return "missing value for ${" + e.Name + "}"
}

// Interpolate fills the ${…} placeholders of a catalog template:
//
//	${name}                 a value from v
//	${fn(arg, …)}           a helper (base64, sha256Hex, …); args are templates
//	${now} ${now:FORMAT}    v["now"], formatted with dayjs tokens (YYYY-MM-DD…)
//	${now+7:days:FORMAT}    the same, shifted
//	a || b                  the first alternative whose placeholders all resolve
//
// A missing value is a *MissingValueError (after every alternative failed).
// Malformed templates, unknown helpers and helpers that need the outgoing
// request (awsSigV4, …) are errors that name the placeholder. No error ever
// contains a value from v.
func Interpolate(template string, v Values) (string, error) {
	t, err := parseTemplate(template)
	if err != nil {
		return "", err
	}
	var last error
	for _, alt := range t {
		out, err := alt.eval(v)
		if err == nil {
			return out, nil
		}
		var missing *MissingValueError
		if !errors.As(err, &missing) {
			return "", err
		}
		last = err
	}
	return "", last
}

// Placeholders lists the value names a template refers to, in order of first
// use, so callers can check a connection has everything a provider needs
// before they try to use it.
func Placeholders(template string) ([]string, error) {
	t, err := parseTemplate(template)
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	var walk func(s sequence)
	walk = func(s sequence) {
		for _, n := range s {
			switch n := n.(type) {
			case varNode:
				name := n.name
				if isNow(name) {
					name = "now"
				}
				if !seen[name] {
					seen[name] = true
					names = append(names, name)
				}
			case callNode:
				for _, a := range n.args {
					walk(a)
				}
			}
		}
	}
	for _, alt := range t {
		walk(alt)
	}
	return names, nil
}

// A parsed template: alternatives (split on top-level "||"), each a
// sequence of literal text and placeholders.
type (
	parsedTemplate []sequence
	sequence       []any // litNode | varNode | callNode
	litNode        string
	varNode        struct{ name string }
	callNode       struct {
		fn   string
		args []sequence
		raw  string
	}
)

func parseTemplate(s string) (parsedTemplate, error) {
	parts, err := splitTopLevel(s, "||", false)
	if err != nil {
		return nil, err
	}
	t := make(parsedTemplate, 0, len(parts))
	for _, part := range parts {
		if len(parts) > 1 {
			part = strings.TrimSpace(part)
		}
		seq, err := parseSequence(part)
		if err != nil {
			return nil, err
		}
		t = append(t, seq)
	}
	return t, nil
}

func parseSequence(s string) (sequence, error) {
	var seq sequence
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			if s != "" {
				seq = append(seq, litNode(s))
			}
			return seq, nil
		}
		if i > 0 {
			seq = append(seq, litNode(s[:i]))
		}
		end := matchingBrace(s, i+2)
		if end < 0 {
			return nil, fmt.Errorf("unterminated placeholder: %q has no closing }", truncate(s[i:]))
		}
		n, err := parsePlaceholder(s[i+2 : end])
		if err != nil {
			return nil, err
		}
		seq = append(seq, n)
		s = s[end+1:]
	}
}

var callRe = regexp.MustCompile(`(?s)^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$`)

func parsePlaceholder(inner string) (any, error) {
	if inner == "" {
		return nil, errors.New("empty placeholder ${}")
	}
	if m := callRe.FindStringSubmatch(inner); m != nil {
		fn, ok := templateFuncs[m[1]]
		if !ok {
			return nil, fmt.Errorf("unknown function %q in ${%s}", m[1], truncate(inner))
		}
		var rawArgs []string
		if fn.arity == 1 {
			rawArgs = []string{m[2]}
		} else {
			var err error
			if rawArgs, err = splitTopLevel(m[2], ",", true); err != nil {
				return nil, err
			}
		}
		if fn.arity >= 0 && len(rawArgs) != fn.arity {
			return nil, fmt.Errorf("function %q takes %d argument(s), ${%s} passes %d", m[1], fn.arity, truncate(inner), len(rawArgs))
		}
		call := callNode{fn: m[1], raw: inner}
		for _, a := range rawArgs {
			seq, err := parseSequence(strings.TrimSpace(a))
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, seq)
		}
		return call, nil
	}
	if strings.ContainsAny(inner, "{}") || strings.Contains(inner, "${") {
		return nil, fmt.Errorf("invalid placeholder ${%s}", truncate(inner))
	}
	if isNow(inner) {
		if _, _, err := parseNow(inner); err != nil {
			return nil, err
		}
	}
	return varNode{name: inner}, nil
}

// matchingBrace returns the index of the "}" closing a placeholder whose
// content starts at i, counting nested braces.
func matchingBrace(s string, i int) int {
	depth := 1
	for ; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitTopLevel splits s on sep where sep is outside any placeholder (and,
// with parens, outside parentheses, for function arguments).
func splitTopLevel(s, sep string, parens bool) ([]string, error) {
	var parts []string
	braces, round, start := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			braces++
			i++
			continue
		case braces > 0 && s[i] == '{':
			braces++
		case braces > 0 && s[i] == '}':
			braces--
		case parens && braces == 0 && s[i] == '(':
			round++
		case parens && braces == 0 && s[i] == ')' && round > 0:
			round--
		}
		if braces == 0 && round == 0 && strings.HasPrefix(s[i:], sep) {
			parts = append(parts, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	if braces > 0 {
		return nil, fmt.Errorf("unterminated placeholder in %q", truncate(s))
	}
	return append(parts, s[start:]), nil
}

func (s sequence) eval(v Values) (string, error) {
	var b strings.Builder
	for _, n := range s {
		switch n := n.(type) {
		case litNode:
			b.WriteString(string(n))
		case varNode:
			out, err := lookup(n.name, v)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
		case callNode:
			args := make([]string, len(n.args))
			for i, a := range n.args {
				out, err := a.eval(v)
				if err != nil {
					return "", err
				}
				args[i] = out
			}
			fn := templateFuncs[n.fn]
			if fn.eval == nil {
				return "", fmt.Errorf("function %q in ${%s} cannot be evaluated here: %s", n.fn, truncate(n.raw), fn.unavailable)
			}
			out, err := fn.eval(args)
			if err != nil {
				return "", fmt.Errorf("${%s}: %w", truncate(n.raw), err)
			}
			b.WriteString(out)
		}
	}
	return b.String(), nil
}

func lookup(name string, v Values) (string, error) {
	if isNow(name) {
		return formatNow(name, v)
	}
	out, ok := v[name]
	if !ok {
		return "", &MissingValueError{Name: name}
	}
	return out, nil
}

// truncate keeps template excerpts in error messages short. Templates come
// from the catalog, not from Values, so quoting them leaks nothing.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
