package catalog

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/patchbay/patchbay/internal/authmode"
)

// Parse decodes and validates a Nango-format providers file on its own. It
// is strict: besides malformed fields, an entry missing the URLs its auth
// mode needs is an error, so Parse is the right call to lint a file. Every
// problem is reported (errors.Join, sorted), each as a *FieldError naming
// source, provider and field.
func Parse(data []byte, source string) (map[string]*Provider, error) {
	raws, err := parseRaw(data, source)
	if err != nil {
		return nil, err
	}
	return build(raws, true)
}

// rawEntry is one provider as decoded from YAML, before alias resolution.
type rawEntry struct {
	name   string
	source string
	fields map[string]any
}

// parseRaw splits a file into entries without interpreting their fields.
func parseRaw(data []byte, source string) (entries map[string]*rawEntry, err error) {
	// The YAML library is third-party code fed untrusted bytes; a panic in
	// it must become an error, not take the server down at start.
	defer func() {
		if r := recover(); r != nil {
			entries, err = nil, &FieldError{Source: source, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	var top map[string]any
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, &FieldError{Source: source, Msg: "invalid YAML: " + err.Error()}
	}
	entries = make(map[string]*rawEntry, len(top))
	var errs []error
	for name, v := range top {
		m, ok := normalize(v).(map[string]any)
		if !ok {
			errs = append(errs, &FieldError{Source: source, Provider: name, Msg: "expected a mapping of provider fields, got " + kindOf(v)})
			continue
		}
		entries[name] = &rawEntry{name: name, source: source, fields: m}
	}
	if len(errs) > 0 {
		return nil, joinSorted(errs)
	}
	return entries, nil
}

// build resolves aliases, decodes and validates every entry. In strict mode
// an entry missing a URL its auth mode needs is an error; otherwise it is
// kept and marked unusable, because Nango's own file ships a few such
// entries and a user's copy of it must still load.
func build(raws map[string]*rawEntry, strict bool) (map[string]*Provider, error) {
	var errs []error

	// Type-check each entry's own fields first, so an error is reported
	// once, on the entry that wrote it, not again on every alias of it.
	for _, name := range sortedKeys(raws) {
		r := raws[name]
		d := &decoder{source: r.source, provider: name}
		decodeProvider(d, name, r.fields)
		errs = append(errs, d.errs...)
	}

	merged := make(map[string]map[string]any, len(raws))
	for _, name := range sortedKeys(raws) {
		if _, err := resolveAlias(raws, merged, name, nil); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, joinSorted(errs)
	}

	out := make(map[string]*Provider, len(raws))
	for _, name := range sortedKeys(raws) {
		r := raws[name]
		d := &decoder{source: r.source, provider: name}
		p := decodeProvider(d, name, merged[name])
		errs = append(errs, d.errs...)
		if reason, err := checkRequired(p, r, strict); err != nil {
			errs = append(errs, err)
		} else if reason != "" {
			p.Unsupported = reason
		} else {
			p.Unsupported = unsupportedReason(p.AuthMode)
		}
		out[name] = p
	}
	if len(errs) > 0 {
		return nil, joinSorted(errs)
	}
	return out, nil
}

// resolveAlias returns the entry's fields with its alias chain merged in:
// the alias's fields first, the entry's own over them, and proxy settings
// merged one level deep so an alias can change only its base_url.
func resolveAlias(raws map[string]*rawEntry, merged map[string]map[string]any, name string, chain []string) (map[string]any, error) {
	if m, ok := merged[name]; ok {
		return m, nil
	}
	r := raws[name]
	target, _ := r.fields["alias"].(string)
	if target == "" {
		merged[name] = r.fields
		return r.fields, nil
	}
	chain = append(chain, name)
	for _, seen := range chain {
		if seen == target {
			return nil, &FieldError{Source: r.source, Provider: chain[0], Field: "alias",
				Msg: "alias cycle: " + strings.Join(append(chain, target), " -> ")}
		}
	}
	if _, ok := raws[target]; !ok {
		return nil, &FieldError{Source: r.source, Provider: name, Field: "alias",
			Msg: fmt.Sprintf("names provider %q, which does not exist", target)}
	}
	parent, err := resolveAlias(raws, merged, target, chain)
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(parent)+len(r.fields))
	for k, v := range parent {
		m[k] = v
	}
	for k, v := range r.fields {
		pp, ok1 := parent[k].(map[string]any)
		op, ok2 := v.(map[string]any)
		if k == "proxy" && ok1 && ok2 {
			proxy := make(map[string]any, len(pp)+len(op))
			for pk, pv := range pp {
				proxy[pk] = pv
			}
			for pk, pv := range op {
				proxy[pk] = pv
			}
			v = proxy
		}
		m[k] = v
	}
	merged[name] = m
	return m, nil
}

// checkRequired validates what must hold after alias resolution. It returns
// an error for a malformed entry, or, outside strict mode, a reason to mark
// an incomplete entry unusable.
func checkRequired(p *Provider, r *rawEntry, strict bool) (reason string, err error) {
	if p.AuthMode == "" {
		return "", &FieldError{Source: r.source, Provider: p.Name, Field: "auth_mode",
			Msg: "missing (every entry needs an auth mode, its own or through alias)"}
	}
	if p.Alias != "" {
		return "", nil
	}
	// The mode names the fields an entry cannot work without. Entries with
	// an alias inherit them and are not checked.
	for _, field := range authmode.Get(p.AuthMode).CatalogURLs {
		if field == "authorization_url" && p.Installation != "" {
			continue // the provider starts an outbound installation itself
		}
		if providerURL(p, field) != "" {
			continue
		}
		msg := fmt.Sprintf("missing (required for auth mode %s)", p.AuthMode)
		if strict {
			return "", &FieldError{Source: r.source, Provider: p.Name, Field: field, Msg: msg}
		}
		return fmt.Sprintf("incomplete entry: field %q is %s", field, msg), nil
	}
	return "", nil
}

func providerURL(p *Provider, field string) string {
	switch field {
	case "authorization_url":
		return p.AuthorizationURL
	case "request_url":
		return p.RequestURL
	case "token_url":
		if p.TokenURL == "" && len(p.TokenURLByMode) > 0 {
			return "by mode"
		}
		return p.TokenURL
	}
	return ""
}

// joinSorted joins errors in message order so output is deterministic.
func joinSorted(errs []error) error {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}
