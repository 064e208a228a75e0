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
//
// A function is known by its integration, its type and its name together:
// Nango lets an action and a sync of one integration share a name
// (google-calendar's actions/settings.ts and syncs/settings.ts), so the
// name alone, even within an integration, does not pick one.
type Ref struct {
	Integration string `json:"integration"`
	Name        string `json:"name"`
	// Type is what the folder says: "action", "sync" or "on-event". The
	// definition the file exports must agree.
	Type  string `json:"type"`
	Entry string `json:"entry"`
}

// FullName is "<integration>/<name>", unambiguous across integrations but
// not across types (see QualifiedName).
func (r Ref) FullName() string { return r.Integration + "/" + r.Name }

// QualifiedName is "<integration>/<folder>/<name>" (the entry without its
// extension): the one spelling that names exactly one function, which is
// what a client sends a server when it means this function.
func (r Ref) QualifiedName() string { return r.Integration + "/" + r.Folder() + "/" + r.Name }

// Folder is the project folder of r's type: actions, syncs or on-events.
func (r Ref) Folder() string { return FolderOf(r.Type) }

var folderTypes = map[string]string{
	"actions":   "action",
	"syncs":     "sync",
	"on-events": "on-event",
}

// TypeOfFolder is the type of the functions a project folder holds
// ("action" for "actions", …), "" for a folder of no functions.
func TypeOfFolder(folder string) string { return folderTypes[folder] }

// FolderOf is the project folder functions of type typ live in ("actions"
// for "action", …), "" for an unknown type.
func FolderOf(typ string) string {
	for folder, t := range folderTypes {
		if t == typ {
			return folder
		}
	}
	return ""
}

// Discover lists the functions among files (paths relative to the project
// root), ordered by integration, name, then type. Helpers, tests and
// index.ts are not functions. The error is for a layout Discover cannot
// read; two functions of different types may share a name.
func Discover(files map[string]string) ([]Ref, error) {
	var refs []Ref
	for p := range files {
		parts := strings.Split(p, "/")
		if len(parts) != 3 || path.Ext(p) != ".ts" || strings.HasSuffix(p, ".d.ts") || strings.HasSuffix(p, ".test.ts") {
			continue
		}
		typ, ok := folderTypes[parts[1]]
		if !ok {
			continue
		}
		refs = append(refs, Ref{Integration: parts[0], Name: strings.TrimSuffix(parts[2], ".ts"), Type: typ, Entry: p})
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.Integration != b.Integration {
			return a.Integration < b.Integration
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Type < b.Type
	})
	return refs, nil
}

// Find picks the function a user named: a bare name, "<integration>/<name>",
// "<folder>/<name>" or "<integration>/<folder>/<name>", where folder is
// actions, syncs or on-events. A name that fits several functions is an
// error saying the shortest spellings that tell them apart.
func Find(refs []Ref, name string) (Ref, error) {
	var matches []Ref
	for _, r := range refs {
		if r.Name == name || r.FullName() == name || r.Folder()+"/"+r.Name == name || r.QualifiedName() == name {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return Ref{}, fmt.Errorf("no function %q in the project", name)
	}
	spellings := Spellings(refs)
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = spellings[m]
	}
	return Ref{}, fmt.Errorf("%q is ambiguous: say %s", name, orList(names))
}

// Spellings gives each of refs the shortest name Find resolves to it among
// refs: the bare name when it is unique, else "<folder>/<name>" when the
// type tells it apart, "<integration>/<name>" when the integration does,
// else the qualified name.
func Spellings(refs []Ref) map[Ref]string {
	count := map[string]int{}
	forms := func(r Ref) []string {
		return []string{r.Name, r.Folder() + "/" + r.Name, r.FullName(), r.QualifiedName()}
	}
	for _, r := range refs {
		for _, f := range forms(r) {
			count[f]++
		}
	}
	out := make(map[Ref]string, len(refs))
	for _, r := range refs {
		fs := forms(r)
		out[r] = fs[len(fs)-1]
		for _, f := range fs {
			if count[f] == 1 {
				out[r] = f
				break
			}
		}
	}
	return out
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
