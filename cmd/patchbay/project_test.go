package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// What deploy and dryrun send: the sources, never an integration's test
// data or the lock file.
func TestUploadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]struct {
		text string
		sent bool
	}{
		"github/actions/a.ts":                   {"export default 1;", true},
		"github/helpers/h.ts":                   {"export const h = 1;", true},
		"github/schema.zod.json":                {"{}", true},
		"models.json":                           {"{}", true},
		"github/tests/a.test.json":              {"{}", false},
		"github/tests/a.test.ts":                {"import 'vitest';", false},
		"github/tests/deep/b.json":              {"{}", false},
		"github/mocks/a/input.json":             {"{}", false},
		"github/mocks/nango/getConnection.json": {"{}", false},
		"package-lock.json":                     {"{}", false},
		// Only an integration's own data folders are data.
		"tests/helper.ts":           {"export const t = 1;", true},
		"github/actions/tests/x.ts": {"export const x = 1;", true},
	}
	var want []string
	for name, f := range files {
		fp := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fp, []byte(f.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if f.sent {
			want = append(want, name)
		}
	}
	for _, load := range []struct {
		name string
		fn   func(string) (*project, error)
	}{{"loadProject", loadProject}, {"loadSources", loadSources}} {
		p, err := load.fn(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for name := range p.uploadFiles() {
			got = append(got, name)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: uploaded %v, want %v", load.name, got, want)
		}
	}
}
