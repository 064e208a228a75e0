package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/dts"
)

// project is a functions project read from disk.
type project struct {
	dir   string
	files map[string]string // every .ts/.js/.json file, by slash path
	refs  []functions.Ref
}

// skippedDirs are never part of a project's sources.
var skippedDirs = []string{"node_modules", "dist", ".git", ".patchbay"}

var sourceExts = []string{".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"}

// loadProject reads dir's sources and discovers its functions.
func loadProject(dir string) (*project, error) {
	return loadProjectFiles(dir, func(string) bool { return true })
}

// dataDirs are the folders of an integration that hold test data (Nango's
// tests/ fixtures and mocks/ recordings): most of a templates repository's
// bytes (260 of 290 MB in Nango's), and never imported by a function.
var dataDirs = []string{"tests", "mocks"}

// isData reports whether rel (a slash path) is in an integration's data
// folders.
func isData(rel string) bool {
	parts := strings.SplitN(rel, "/", 3)
	return len(parts) == 3 && slices.Contains(dataDirs, parts[1])
}

// loadSources is loadProject without the integrations' test data, for
// the commands that only compile: so that compiling a large repository
// does not hold its fixtures in memory.
func loadSources(dir string) (*project, error) {
	return loadProjectFiles(dir, func(rel string) bool { return !isData(rel) })
}

// loadProjectFiles is loadProject reading only the files keep accepts
// (by slash path relative to dir).
func loadProjectFiles(dir string, keep func(rel string) bool) (*project, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, withHint(errorf("no project at %s: the directory does not exist", dir),
			"Create one with `patchbay init %s`, or point --dir at an existing project.", dir)
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, withHint(errorf("%s is not a directory", dir), "Point --dir at the project's directory.")
	}
	p := &project{dir: dir, files: map[string]string{}}
	err = filepath.WalkDir(dir, func(fp string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if fp != dir && (slices.Contains(skippedDirs, e.Name()) || strings.HasPrefix(e.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !slices.Contains(sourceExts, filepath.Ext(fp)) || !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, fp)
		if err != nil {
			return err
		}
		if !keep(filepath.ToSlash(rel)) {
			return nil
		}
		b, err := os.ReadFile(fp)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return fmt.Errorf("%s is not UTF-8 text", fp)
		}
		p.files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p.refs, err = functions.Discover(p.files); err != nil {
		return nil, err
	}
	return p, nil
}

// uploadFiles are the files sent to a server: the sources without test
// data (tests/ fixtures, mocks/ recordings) and lock files, which
// functions never import and which can be large.
func (p *project) uploadFiles() map[string]string {
	out := map[string]string{}
	for name, text := range p.files {
		if isData(name) || name == "package-lock.json" {
			continue
		}
		out[name] = text
	}
	return out
}

// pick returns the functions named (all when names is empty).
func (p *project) pick(names []string) ([]functions.Ref, error) {
	if len(p.refs) == 0 {
		return nil, withHint(errorf("no functions in %s (want <integration>/actions/<name>.ts, <integration>/syncs/<name>.ts or <integration>/on-events/<name>.ts)", p.dir),
			"Create a project with `patchbay init`, or point --dir at one.")
	}
	if len(names) == 0 {
		return p.refs, nil
	}
	var out []functions.Ref
	for _, n := range names {
		r, err := functions.Find(p.refs, n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// refreshTypes keeps .patchbay/nango.d.ts the one this binary ships, in a
// project whose tsconfig.json points at it.
func (d *devCLI) refreshTypes(dir string) {
	tsconfig, err := os.ReadFile(filepath.Join(dir, "tsconfig.json"))
	if err != nil || !bytes.Contains(tsconfig, []byte(typesPath)) {
		return
	}
	target := filepath.Join(dir, filepath.FromSlash(typesPath))
	if current, err := os.ReadFile(target); err == nil && string(current) == dts.NangoDTS {
		return
	}
	err = os.MkdirAll(filepath.Dir(target), 0o755)
	if err == nil {
		err = os.WriteFile(target, []byte(dts.NangoDTS), 0o644)
	}
	if err != nil {
		fmt.Fprintf(d.stderr, "patchbay: could not update %s: %v\n", typesPath, err)
	}
}

// localProject loads the project for a command that runs functions here
// (compile, test): the type declarations are brought up to date and the
// functions named in args (all when none) are picked.
func (d *devCLI) localProject(dir string, args []string) (*project, []functions.Ref, error) {
	return d.localFiles(dir, args, loadProject)
}

// localFiles is localProject loading with load.
func (d *devCLI) localFiles(dir string, args []string, load func(string) (*project, error)) (*project, []functions.Ref, error) {
	p, err := load(dir)
	if err != nil {
		return nil, nil, err
	}
	d.refreshTypes(dir)
	refs, err := p.pick(args)
	if err != nil {
		return nil, nil, err
	}
	return p, refs, nil
}
