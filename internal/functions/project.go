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
//
// The type is what the file exports, not the folder it is in: Nango's CLI
// compiles figma's actions/file-nodes.ts, which exports createSync, as the
// sync file-nodes. The folder is only where Discover looks for functions.
type Ref struct {
	Integration string `json:"integration"`
	Name        string `json:"name"`
	// Type is "action", "sync" or "on-event": what the file exports.
	// Discover reads it from the source (exportedType), falling back to
	// the folder's; BuildAll sets it to what the built definition says,
	// which is the truth when the two differ.
	Type  string `json:"type"`
	Entry string `json:"entry"`
}

// FullName is "<integration>/<name>", unambiguous across integrations but
// not across types (see QualifiedName).
func (r Ref) FullName() string { return r.Integration + "/" + r.Name }

// QualifiedName is "<integration>/<folder of its type>/<name>" (the entry
// without its extension, unless the file is misplaced): the spelling that
// names exactly one function, as functions are keyed by integration, type
// and name, which is what a client sends a server when it means this
// function.
func (r Ref) QualifiedName() string { return r.Integration + "/" + r.Folder() + "/" + r.Name }

// Folder is the project folder of r's type: actions, syncs or on-events.
// It is not always the folder r's file is in (EntryFolder).
func (r Ref) Folder() string { return FolderOf(r.Type) }

// EntryFolder is the project folder r's file is in: actions, syncs or
// on-events.
func (r Ref) EntryFolder() string {
	parts := strings.Split(r.Entry, "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// Misplaced reports whether r's file is in the folder of another type
// than the one it exports (a sync in actions/). Nango accepts it, so
// Patchbay does, with a warning: the folder misleads a reader.
func (r Ref) Misplaced() bool { return r.EntryFolder() != r.Folder() }

// MisplacedWarning is the one line that says r is misplaced.
func (r Ref) MisplacedWarning() string {
	return fmt.Sprintf("%s exports %s (%s) from the %s folder: it is the %s %s (as in Nango); %s/%s/ would say so",
		r.Entry, article(r.Type), Creator(r.Type), r.EntryFolder(), r.Type, r.FullName(), r.Integration, r.Folder())
}

// Creator is the function of nango that defines a function of type typ:
// createAction, createSync or createOnEvent.
func Creator(typ string) string { return creators[typ] }

var creators = map[string]string{"action": "createAction", "sync": "createSync", "on-event": "createOnEvent"}

func article(typ string) string {
	if typ == "action" || typ == "on-event" {
		return "an " + typ
	}
	return "a " + typ
}

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
// read; two functions of different types may share a name. Each one's
// Type is what its source exports as far as the text tells
// (exportedType), else its folder's: the build has the last word, and
// finds two files that export the same function (Claims).
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
		if t := exportedType(files[p]); t != "" {
			typ = t
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
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Entry < b.Entry
	})
	return refs, nil
}

// exportedType is the type of function a function file's source exports,
// read from its text before it is built: the creator it exports by
// default (`export default createSync(`, as most of Nango's templates
// do), else the one creator it calls (the rest define the function in a
// const and export that); "" when the text does not say (none, or
// several), and the folder decides until the build tells.
//
// It is a guess that only the commands' choices before a build rest on
// (which file `syncs/x` names, whose fixture is whose): what is stored and
// run is keyed by the definition the build describes. It scans by hand,
// as a regular expression over a templates repository's 6,000 files took
// longer than loading them.
func exportedType(src string) string {
	found := ""
	for i := 0; ; {
		j := strings.Index(src[i:], "create")
		if j < 0 {
			break
		}
		start := i + j
		i = start + len("create")
		if start > 0 && isIdentByte(src[start-1]) {
			continue
		}
		typ, end := creatorAt(src, i)
		if typ == "" {
			continue
		}
		i = end
		if isDefaultExport(src[:start]) {
			return typ
		}
		if found != "" && found != typ {
			// Keep looking for a default export, which decides.
			found = "several"
			continue
		}
		if found == "" {
			found = typ
		}
	}
	if found == "several" {
		return ""
	}
	return found
}

// creatorAt reads, at src[i:] just after "create", the rest of a call of
// a creator: Action, Sync or OnEvent, optional type arguments, then "(".
// It returns the type and where the call's arguments start, or "".
func creatorAt(src string, i int) (string, int) {
	var typ string
	for _, c := range [...]struct{ suffix, typ string }{{"Action", "action"}, {"Sync", "sync"}, {"OnEvent", "on-event"}} {
		if strings.HasPrefix(src[i:], c.suffix) {
			typ, i = c.typ, i+len(c.suffix)
			break
		}
	}
	if typ == "" || (i < len(src) && isIdentByte(src[i])) {
		return "", 0
	}
	i = skipSpace(src, i)
	if i < len(src) && src[i] == '<' {
		// Type arguments, nested (Record<'Task', Task>, { A: B; }) but
		// with no parentheses in practice: a function type's would
		// end the scan, and the folder would decide.
		depth := 0
		for ; i < len(src); i++ {
			switch src[i] {
			case '<':
				depth++
			case '>':
				depth--
			case '(', ')':
				return "", 0
			}
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			return "", 0
		}
		i = skipSpace(src, i+1)
	}
	if i >= len(src) || src[i] != '(' {
		return "", 0
	}
	return typ, i + 1
}

// isDefaultExport reports whether before ends with "export default".
func isDefaultExport(before string) bool {
	before = strings.TrimRight(before, " \t\r\n")
	if !strings.HasSuffix(before, "default") {
		return false
	}
	before = before[:len(before)-len("default")]
	trimmed := strings.TrimRight(before, " \t\r\n")
	if len(trimmed) == len(before) || !strings.HasSuffix(trimmed, "export") {
		return false
	}
	rest := trimmed[:len(trimmed)-len("export")]
	return rest == "" || !isIdentByte(rest[len(rest)-1])
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Find picks the function a user named: a bare name, "<integration>/<name>",
// "<folder>/<name>" or "<integration>/<folder>/<name>", where folder is
// actions, syncs or on-events, or the file itself
// ("<integration>/actions/<name>.ts"). A name that fits several functions
// is an error saying the shortest spellings that tell them apart.
//
// The folder in a name is the function's type, as the server keys it: a
// sync exported from actions/x.ts is syncs/x. Its file's folder names it
// too (actions/x, as the file and test files' imports say), but only when
// no function of that type has the name: an action x in syncs/x.ts is
// what actions/x means first.
func Find(refs []Ref, name string) (Ref, error) {
	for _, r := range refs {
		if r.Entry == name {
			return r, nil
		}
	}
	matches := matching(refs, name, kindForms)
	if len(matches) == 0 {
		matches = matching(refs, name, fileForms)
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

// matching lists the refs one of whose forms is name.
func matching(refs []Ref, name string, forms func(Ref) []string) []Ref {
	var out []Ref
	for _, r := range refs {
		for _, f := range forms(r) {
			if f == name {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// kindForms are the names of r by its type, shortest first.
func kindForms(r Ref) []string {
	return []string{r.Name, r.Folder() + "/" + r.Name, r.FullName(), r.QualifiedName()}
}

// fileForms are the names of r by its file's folder, for a misplaced r.
func fileForms(r Ref) []string {
	if !r.Misplaced() {
		return nil
	}
	return []string{r.EntryFolder() + "/" + r.Name, r.Integration + "/" + r.EntryFolder() + "/" + r.Name}
}

// Spellings gives each of refs the shortest name Find resolves to it among
// refs: the bare name when it is unique, else "<folder>/<name>" when the
// type tells it apart, "<integration>/<name>" when the integration does,
// else the qualified name, and the file when two files export the same
// function.
func Spellings(refs []Ref) map[Ref]string {
	count := map[string]int{}
	for _, r := range refs {
		for _, f := range kindForms(r) {
			count[f]++
		}
	}
	out := make(map[Ref]string, len(refs))
	for _, r := range refs {
		out[r] = r.Entry
		for _, f := range kindForms(r) {
			if count[f] == 1 {
				out[r] = f
				break
			}
		}
	}
	return out
}

// Claims finds two files that export the same function (integration,
// type and name), which only a build can tell for sure: actions/x.ts that
// exports createSync beside syncs/x.ts. Nango's CLI would deploy one over
// the other; Patchbay refuses. The zero value is ready to use.
type Claims struct {
	byKey map[[3]string]string
}

// Claim records that built r (its Type from its definition) is r's
// function, and fails when another file already claimed it.
func (c *Claims) Claim(r Ref) error {
	if c.byKey == nil {
		c.byKey = map[[3]string]string{}
	}
	key := [3]string{r.Integration, r.Type, r.Name}
	if other, ok := c.byKey[key]; ok && other != r.Entry {
		first, second := other, r.Entry
		if second < first {
			first, second = second, first
		}
		return fmt.Errorf("%s and %s both export the %s %s: a function is known by its integration, type and name, so rename one or change what one exports",
			first, second, r.Type, r.FullName())
	}
	c.byKey[key] = r.Entry
	return nil
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
