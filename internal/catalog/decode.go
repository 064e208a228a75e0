package catalog

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// FieldError is a problem with one field of one catalog entry. Its message
// names the file, the provider and the field path so a user can fix their
// providers file without guessing.
type FieldError struct {
	Source   string // file name, e.g. "providers.yaml"
	Provider string // entry name; empty for file-level problems
	Field    string // dot path, e.g. "proxy.retry.at"; empty for the entry itself
	Msg      string
}

func (e *FieldError) Error() string {
	s := e.Source + ": "
	if e.Provider != "" {
		s += fmt.Sprintf("provider %q: ", e.Provider)
	}
	if e.Field != "" {
		s += fmt.Sprintf("field %q: ", e.Field)
	}
	return s + e.Msg
}

// decoder turns one entry's YAML value tree into typed fields. YAML is
// decoded generically first (map[string]any) and converted here, field by
// field, because a typed unmarshal reports type errors without saying which
// provider they belong to.
//
// It is lenient where Nango's own file is: scalars are accepted where a
// string is expected (unquoted numbers, booleans in parameter maps), and a
// single string where a header list is expected. It is strict about shape:
// a map or list where a scalar belongs, or a scalar where a map or list
// belongs, is an error.
type decoder struct {
	source, provider string
	errs             []error
}

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Source: d.source, Provider: d.provider, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalarString renders a YAML scalar as the string a user would have typed.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case time.Time:
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.Format("2006-01-02"), true
		}
		return x.Format(time.RFC3339), true
	}
	return "", false
}

func (d *decoder) str(path string, v any) string {
	if v == nil {
		return ""
	}
	s, ok := scalarString(v)
	if !ok {
		d.fail(path, "expected a string, got %s", kindOf(v))
	}
	return s
}

func (d *decoder) boolean(path string, v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		if b, err := strconv.ParseBool(x); err == nil {
			return b
		}
	}
	d.fail(path, "expected true or false, got %s", kindOf(v))
	return false
}

func (d *decoder) integer(path string, v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case int64:
		return x
	case int:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n
		}
	}
	d.fail(path, "expected a whole number, got %s", kindOf(v))
	return 0
}

func (d *decoder) strList(path string, v any) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		d.fail(path, "expected a list of strings, got %s", kindOf(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := scalarString(item)
		if !ok {
			d.fail(fmt.Sprintf("%s[%d]", path, i), "expected a string, got %s", kindOf(item))
			continue
		}
		out = append(out, s)
	}
	return out
}

// strOrList accepts a single string or a list: older Nango files wrote
// retry headers as one string.
func (d *decoder) strOrList(path string, v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return d.strList(path, v)
}

func (d *decoder) mapping(path string, v any) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(path, "expected a mapping, got %s", kindOf(v))
	}
	return m
}

// strMap decodes a mapping of scalars (headers, query parameters, …).
func (d *decoder) strMap(path string, v any) map[string]string {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, item := range m {
		s, ok := scalarString(item)
		if !ok && item != nil {
			d.fail(join(path, k), "expected a string, got %s", kindOf(item))
			continue
		}
		out[k] = s
	}
	return out
}

// params decodes OAuth parameter maps. Nango's token-exchange entries nest
// objects inside token_params (XML and JSON login bodies); such a map cannot
// be a flat parameter list, so it is reported as nested and kept raw.
func (d *decoder) params(path string, v any) (flat map[string]string, nested bool) {
	m := d.mapping(path, v)
	if m == nil {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, item := range m {
		if item == nil {
			out[k] = ""
			continue
		}
		s, ok := scalarString(item)
		if !ok {
			return nil, true
		}
		out[k] = s
	}
	return out, false
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, uint64, int, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// normalize converts a decoded YAML tree to JSON-compatible values (string
// keys everywhere) so Extra can be marshalled and merged safely.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = normalize(item)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[fmt.Sprint(k)] = normalize(item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = normalize(item)
		}
		return out
	case time.Time:
		s, _ := scalarString(x)
		return s
	case float64:
		// JSON has no NaN or infinities; keep YAML's spelling instead.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
