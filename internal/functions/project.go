package functions

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Ref names one function of a project laid out as Nango's:
// <integration>/actions/<name>.ts, <integration>/syncs/<name>.ts and
// <integration>/on-events/<name>.ts (Nango's event handlers folder).
type Ref struct {
	Integration string `json:"integration"`
	Name        string `json:"name"`
	// Type is what the folder says: "action", "sync" or "on-event". The
	// definition the file exports must agree.
	Type  string `json:"type"`
	Entry string `json:"entry"`
}

// FullName is "<integration>/<name>", unambiguous across integrations.
func (r Ref) FullName() string { return r.Integration + "/" + r.Name }

var folderTypes = map[string]string{
	"actions":   "action",
	"syncs":     "sync",
	"on-events": "on-event",
}

// Discover lists the functions among files (paths relative to the project
// root), ordered by integration then name. Helpers, tests and index.ts
// are not functions; a name used twice in one integration is an error.
func Discover(files map[string]string) ([]Ref, error) {
	var refs []Ref
	seen := map[string]string{}
	for p := range files {
		parts := strings.Split(p, "/")
		if len(parts) != 3 || path.Ext(p) != ".ts" || strings.HasSuffix(p, ".d.ts") || strings.HasSuffix(p, ".test.ts") {
			continue
		}
		typ, ok := folderTypes[parts[1]]
		if !ok {
			continue
		}
		r := Ref{Integration: parts[0], Name: strings.TrimSuffix(parts[2], ".ts"), Type: typ, Entry: p}
		if other, dup := seen[r.FullName()]; dup {
			return nil, fmt.Errorf("function %s is defined twice: %s and %s", r.FullName(), other, p)
		}
		seen[r.FullName()] = p
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Integration != refs[j].Integration {
			return refs[i].Integration < refs[j].Integration
		}
		return refs[i].Name < refs[j].Name
	})
	return refs, nil
}

// Find picks the function a user named: "<integration>/<name>", or a bare
// name when only one integration has a function of that name.
func Find(refs []Ref, name string) (Ref, error) {
	var matches []Ref
	for _, r := range refs {
		if r.FullName() == name || r.Name == name {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return Ref{}, fmt.Errorf("no function %q in the project", name)
	default:
		names := make([]string, len(matches))
		for i, m := range matches {
			names[i] = m.FullName()
		}
		return Ref{}, fmt.Errorf("%q is ambiguous: say which of %s", name, strings.Join(names, ", "))
	}
}
