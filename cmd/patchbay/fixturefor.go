package main

import (
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/functions"
)

// label names r in output: "<integration>/<name>", or with its folder
// ("<integration>/syncs/<name>") when a function of another type in the
// integration shares the name.
func (p *project) label(r functions.Ref) string {
	if len(p.siblings(r)) > 0 {
		return r.QualifiedName()
	}
	return r.FullName()
}

// siblings are the functions of r's integration of another type with r's
// name (an action and a sync may share one, as in Nango).
func (p *project) siblings(r functions.Ref) []functions.Ref {
	var out []functions.Ref
	for _, o := range p.refs {
		if o.Integration == r.Integration && o.Name == r.Name && o.Type != r.Type {
			out = append(out, o)
		}
	}
	return out
}

// findFixture returns r's fixture: tests/<name>.test.json, or the
// tests/<integration>-<name>.test.json some of Nango's templates use.
// When ok is false, the path says where it was looked for (or whose the
// fixture there is).
//
// A name an action and a sync share names one fixture file for both, and
// Nango's harness tells them apart the way it finds fixtures at all: a
// test file (tests/*.test.ts) imports one function (../syncs/settings.js)
// and reads <its own name>.test.json, else <name>.test.json. So the test
// files that import r give its fixture, and a fixture the test files of a
// function of another type read is that function's. With no test file to
// say, the fixture's shape does: an output is an action's, saved records
// a sync's.
func (p *project) findFixture(r functions.Ref) (string, string, bool) {
	byName := []string{fixturePath(r), r.Integration + "/tests/" + r.Integration + "-" + r.Name + ".test.json"}
	siblings := p.siblings(r)
	if len(siblings) == 0 {
		return p.firstFile(byName)
	}
	if fp, ok := p.testedFixture(r); ok {
		return fp, p.files[fp], true
	}
	fp, raw, ok := p.firstFile(byName)
	if !ok {
		return fp, "", false
	}
	for _, s := range siblings {
		if theirs, ok := p.testedFixture(s); ok && theirs == fp {
			return fp + " is for " + s.Folder() + "/" + s.Name, "", false
		}
	}
	if typ := fixtureType(raw); typ != "" && typ != r.Type {
		return fp + " is for " + functions.FolderOf(typ) + "/" + r.Name, "", false
	}
	return fp, raw, true
}

// testedFixture is the fixture the first of r's test files (those that
// import r) reads, as Nango's harness finds it: <test file's
// name>.test.json, else <name>.test.json.
func (p *project) testedFixture(r functions.Ref) (string, bool) {
	dir := r.Integration + "/tests/"
	for _, test := range p.testsImporting(r) {
		own := dir + strings.TrimSuffix(path.Base(test), ".test.ts") + ".test.json"
		if fp, _, ok := p.firstFile([]string{own, fixturePath(r)}); ok {
			return fp, true
		}
	}
	return "", false
}

// firstFile returns the first of paths the project has.
func (p *project) firstFile(paths []string) (string, string, bool) {
	for _, fp := range paths {
		if raw, ok := p.files[fp]; ok {
			return fp, raw, true
		}
	}
	return paths[0], "", false
}

// functionImport is a test file's import of a function of its
// integration: ../actions/<name>, ../syncs/<name> or ../on-events/<name>,
// with or without .js or .ts.
var functionImport = regexp.MustCompile(`['"]\.\./(actions|syncs|on-events)/([A-Za-z0-9_-]+)(?:\.js|\.ts)?['"]`)

// testsImporting lists r's integration's tests/*.test.ts files that import
// r, sorted. A test file imports r's file, so its folder is the file's,
// which for a misplaced r is not its type's.
func (p *project) testsImporting(r functions.Ref) []string {
	var out []string
	prefix := r.Integration + "/tests/"
	for fp, text := range p.files {
		if !strings.HasPrefix(fp, prefix) || !strings.HasSuffix(fp, ".test.ts") || strings.Contains(fp[len(prefix):], "/") {
			continue
		}
		for _, m := range functionImport.FindAllStringSubmatch(text, -1) {
			if m[1] == r.EntryFolder() && m[2] == r.Name {
				out = append(out, fp)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// fixtureType says whose a fixture's shape is: "action" when it expects an
// output, "sync" when it expects saved or deleted records, "" when it
// says neither.
func fixtureType(raw string) string {
	var f struct {
		Output json.RawMessage            `json:"output"`
		Nango  map[string]json.RawMessage `json:"nango"`
	}
	if json.Unmarshal([]byte(raw), &f) != nil {
		return ""
	}
	if f.Output != nil {
		return "action"
	}
	for _, op := range []string{"batchSave", "batchUpdate", "batchDelete"} {
		if _, ok := f.Nango[op]; ok {
			return "sync"
		}
	}
	return ""
}
