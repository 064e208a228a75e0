package functions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// buildProject is a small project whose functions share a helper and
// include each way a build can fail.
func buildProject() map[string]string {
	files := map[string]string{
		"crm/helpers/schema.ts": "import { z } from 'zod';\nexport const Contact = z.object({ id: z.string(), name: z.string().optional() });\n",
		"crm/actions/broken.ts": "const a = ;\n",
		"crm/actions/throws.ts": "throw new Error('top level says no');\n",
		"crm/actions/nodef.ts":  "export const x = 1;\n",
		"crm/syncs/wrongkind.ts": "import { createAction } from 'nango';\nimport { z } from 'zod';\n" +
			"export default createAction({ input: z.object({}), output: z.object({}), exec: async () => ({}) });\n",
	}
	for i := range 12 {
		files[fmt.Sprintf("crm/actions/get-%02d.ts", i)] = fmt.Sprintf("import { createAction } from 'nango';\nimport { z } from 'zod';\nimport { Contact } from '../helpers/schema.js';\n"+
			"export default createAction({ description: 'get %d', version: '1.0.%d', input: z.object({ id: z.string() }), output: Contact, exec: async (nango, input) => ({ id: input.id }) });\n", i, i)
		files[fmt.Sprintf("crm/syncs/list-%02d.ts", i)] = fmt.Sprintf("import { createSync } from 'nango';\nimport { Contact } from '../helpers/schema.js';\n"+
			"export default createSync({ description: 'list %d', frequency: 'every hour', models: { Contact }, exec: async () => {} });\n", i)
	}
	return files
}

// builtSummary is a Built as comparable text.
func builtSummary(b Built) string {
	if b.Err != nil {
		return fmt.Sprintf("%s: error %T %v", b.Ref.FullName(), b.Err, b.Err)
	}
	return fmt.Sprintf("%s: %s %s %s %+v", b.Ref.FullName(), b.Bundle.Hash, b.Bundle.JS, b.Bundle.SourceMap, *b.Definition)
}

func buildAll(t *testing.T, rt *Runtime, files map[string]string, opts BuildOptions) []Built {
	t.Helper()
	refs, err := Discover(files)
	if err != nil {
		t.Fatal(err)
	}
	var out []Built
	if err := rt.BuildAll(context.Background(), files, refs, opts, func(b Built) error {
		out = append(out, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(refs) {
		t.Fatalf("%d results for %d functions", len(out), len(refs))
	}
	for i, b := range out {
		if b.Ref != refs[i] {
			t.Fatalf("result %d is %s, want %s: out of order", i, b.Ref.FullName(), refs[i].FullName())
		}
	}
	return out
}

// TestBuildAllParallelIsSequential: however many workers build, results
// (bundles, definitions, errors) come in the same order with the same
// contents as built one at a time, each in a fresh VM.
func TestBuildAllParallelIsSequential(t *testing.T) {
	t.Parallel()
	files := buildProject()
	refs, err := Discover(files)
	if err != nil {
		t.Fatal(err)
	}
	rt := NewRuntime()
	defer rt.Close()
	var want []string
	for _, r := range refs {
		b := Built{Ref: r}
		b.Bundle, b.Err = Compile(Source{Files: files, Entry: r.Entry})
		if b.Err == nil {
			b.Definition, b.Err = rt.describeFresh(context.Background(), b.Bundle)
		}
		want = append(want, builtSummary(b))
	}
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			for i, b := range buildAll(t, rt, files, BuildOptions{Workers: workers}) {
				if got := builtSummary(b); got != want[i] {
					t.Errorf("workers %d, %s:\n got %.300s\nwant %.300s", workers, b.Ref.FullName(), got, want[i])
				}
			}
		})
	}
}

// TestBuildAllSkip: a skipped function keeps its place in the order and
// is not built.
func TestBuildAllSkip(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	defer rt.Close()
	skip := func(r Ref) bool { return strings.HasPrefix(r.Name, "get-") || r.Name == "broken" }
	for _, b := range buildAll(t, rt, buildProject(), BuildOptions{Skip: skip}) {
		if b.Skipped != skip(b.Ref) || (b.Skipped && (b.Bundle != nil || b.Err != nil)) || (!b.Skipped && b.Bundle == nil && b.Err == nil) {
			t.Errorf("%s: skipped %v, bundle %v, err %v", b.Ref.FullName(), b.Skipped, b.Bundle != nil, b.Err)
		}
	}
}

// TestBuildAllStopsAtYieldError: yield's error ends the build and is
// returned.
func TestBuildAllStopsAtYieldError(t *testing.T) {
	t.Parallel()
	files := buildProject()
	refs, _ := Discover(files)
	rt := NewRuntime()
	defer rt.Close()
	stop := fmt.Errorf("enough")
	n := 0
	err := rt.BuildAll(context.Background(), files, refs, BuildOptions{Workers: 2}, func(Built) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("err = %v after %d results, want %v after 3", err, n, stop)
	}
}

// TestDescribeSharedVMIsolation: a bundle that changes what the next one
// could see retires its VM, so the next is described as in a VM of its
// own.
func TestDescribeSharedVMIsolation(t *testing.T) {
	t.Parallel()
	probe := "import { createAction } from 'nango';\nimport { z } from 'zod';\n" +
		"export default createAction({ description: [typeof globalThis.leak, typeof Array.prototype.leak, String(Date.now === Date.now && Date.now.name), typeof JSON.leak].join(','), input: z.object({}), output: z.object({}), exec: async () => ({}) });\n"
	cases := []struct{ name, top string }{
		{"global", "globalThis.leak = 1;"},
		{"prototype", "Array.prototype.leak = 1;"},
		{"replaced method", "Date.now = function fake() { return 0; };"},
		{"namespace", "JSON.leak = 1;"},
		{"none", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt := NewRuntime()
			defer rt.Close()
			leaky, err := Compile(Source{Files: map[string]string{"x/actions/a.ts": c.top + "\nimport { createAction } from 'nango';\nimport { z } from 'zod';\nexport default createAction({ input: z.object({}), output: z.object({}), exec: async () => ({}) });\n"}, Entry: "x/actions/a.ts"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Compile(Source{Files: map[string]string{"x/actions/b.ts": probe}, Entry: "x/actions/b.ts"})
			if err != nil {
				t.Fatal(err)
			}
			// One describer at most, so that the second bundle would
			// meet the first's VM if it were kept.
			rt.describers = make(chan *describer, 1)
			if _, err := rt.Describe(context.Background(), leaky); err != nil {
				t.Fatal(err)
			}
			def, err := rt.Describe(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			if want := "undefined,undefined,now,undefined"; def.Description != want {
				t.Fatalf("description = %q, want %q: the first bundle's change leaked", def.Description, want)
			}
			if c.top == "" && len(rt.describers) != 1 {
				t.Fatal("a describer that changed nothing was not kept")
			}
		})
	}
}

// TestDescribeErrorsAsFresh: a bundle whose description fails reports
// exactly what a VM of its own reports, and does not spoil the shared VM
// for the next.
func TestDescribeErrorsAsFresh(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	defer rt.Close()
	files := buildProject()
	for _, entry := range []string{"crm/actions/throws.ts", "crm/actions/nodef.ts"} {
		b, err := Compile(Source{Files: files, Entry: entry})
		if err != nil {
			t.Fatal(err)
		}
		_, want := rt.describeFresh(context.Background(), b)
		_, got := rt.Describe(context.Background(), b)
		if want == nil || fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
			t.Fatalf("%s: Describe says %v, a fresh VM %v", entry, got, want)
		}
		if f, ok := got.(*Failure); !ok || len(f.Payload) == 0 {
			t.Fatalf("%s: %#v, want a failure with its stack", entry, got)
		}
	}
}

func TestBuildCache(t *testing.T) {
	t.Parallel()
	entry := "crm/actions/get-00.ts"
	cases := []struct {
		name string
		// change alters the project, the cache directory or the version
		// between the first build and the second.
		change  func(t *testing.T, files map[string]string, dir string, version *string)
		wantHit bool
	}{
		{"unchanged", func(*testing.T, map[string]string, string, *string) {}, true},
		{"unrelated file changed", func(_ *testing.T, files map[string]string, _ string, _ *string) {
			files["crm/actions/get-01.ts"] += "\n// changed\n"
		}, true},
		{"entry changed", func(_ *testing.T, files map[string]string, _ string, _ *string) {
			files[entry] += "\n// changed\n"
		}, false},
		{"imported file changed", func(_ *testing.T, files map[string]string, _ string, _ *string) {
			files["crm/helpers/schema.ts"] += "\n// changed\n"
		}, false},
		{"imported file gone", func(_ *testing.T, files map[string]string, _ string, _ *string) {
			delete(files, "crm/helpers/schema.ts")
		}, false},
		{"import resolves elsewhere", func(_ *testing.T, files map[string]string, _ string, _ *string) {
			// ./schema.js names schema.js first, before schema.ts.
			files["crm/helpers/schema.js"] = "export const Contact = null;\n"
		}, false},
		{"compiler version changed", func(_ *testing.T, _ map[string]string, _ string, version *string) {
			*version = "v2"
		}, false},
		{"corrupted entry", func(t *testing.T, _ map[string]string, dir string, _ *string) {
			corrupt(t, dir, func([]byte) []byte { return []byte(`{"version": "v1", "entry": `) })
		}, false},
		{"tampered bundle", func(t *testing.T, _ map[string]string, dir string, _ *string) {
			// Valid JSON, but not what the sources compile to: the hash no
			// longer matches.
			corrupt(t, dir, func(b []byte) []byte { return []byte(strings.Replace(string(b), `"hash":"`, `"hash":"0`, 1)) })
		}, false},
		{"empty entry", func(t *testing.T, _ map[string]string, dir string, _ *string) {
			corrupt(t, dir, func([]byte) []byte { return nil })
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := buildProject()
			version := "v1"
			rt := NewRuntime()
			defer rt.Close()
			build := func() Built {
				cache, err := OpenBuildCache(dir, version)
				if err != nil {
					t.Fatal(err)
				}
				r := Ref{Integration: "crm", Name: "get-00", Type: "action", Entry: entry}
				var out Built
				if err := rt.BuildAll(context.Background(), files, []Ref{r}, BuildOptions{Cache: cache}, func(b Built) error {
					out = b
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			first := build()
			if first.Err != nil || first.Cached {
				t.Fatalf("first build: cached %v, err %v", first.Cached, first.Err)
			}
			c.change(t, files, dir, &version)
			second := build()
			if second.Cached != c.wantHit {
				t.Fatalf("second build cached = %v, want %v (err %v)", second.Cached, c.wantHit, second.Err)
			}
			// Whether from the cache or not, the result is what building
			// afresh gives.
			fresh := Built{Ref: second.Ref}
			fresh.Bundle, fresh.Err = Compile(Source{Files: files, Entry: entry})
			if fresh.Err == nil {
				fresh.Definition, fresh.Err = rt.Describe(context.Background(), fresh.Bundle)
			}
			second.Cached = false
			if got, want := builtSummary(second), builtSummary(fresh); got != want {
				t.Fatalf("second build:\n got %.300s\nwant %.300s", got, want)
			}
			if second.Err == nil && !c.wantHit {
				// A miss writes the entry again: the third build hits.
				if third := build(); !third.Cached || !reflect.DeepEqual(third.Definition, second.Definition) {
					t.Fatalf("third build cached = %v after a miss", third.Cached)
				}
			}
		})
	}
}

// corrupt rewrites every entry in the cache directory dir with f.
func corrupt(t *testing.T, dir string, f func([]byte) []byte) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		return os.WriteFile(p, f(b), 0o644)
	})
	if err != nil || n == 0 {
		t.Fatalf("corrupt: %d entries, %v", n, err)
	}
}

// TestBuildCacheOtherVersionsRemoved: opening the cache for a compiler
// removes the entries of others, which nothing would read again.
func TestBuildCacheOtherVersionsRemoved(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, v := range []string{"v1", "v2"} {
		if _, err := OpenBuildCache(dir, v); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d version directories, want 1", len(entries))
	}
}

// BenchmarkBuildAll builds a project of N functions sharing a helper, with
// no cache and with a warm one.
func BenchmarkBuildAll(b *testing.B) {
	for _, n := range []int{16, 128} {
		files := map[string]string{"crm/helpers/schema.ts": "import { z } from 'zod';\nexport const Contact = z.object({ id: z.string(), name: z.string().optional(), emails: z.array(z.string()) });\n"}
		for i := range n {
			files[fmt.Sprintf("crm/actions/get-%03d.ts", i)] = fmt.Sprintf("import { createAction } from 'nango';\nimport { z } from 'zod';\nimport { Contact } from '../helpers/schema.js';\n"+
				"export default createAction({ description: 'get %d', version: '1.0.0', input: z.object({ id: z.string() }), output: Contact,\n"+
				"  exec: async (nango, input) => { const r = await nango.get({ endpoint: '/contacts/' + input.id }); return r.data; } });\n", i)
		}
		refs, err := Discover(files)
		if err != nil {
			b.Fatal(err)
		}
		for _, cached := range []bool{false, true} {
			b.Run(fmt.Sprintf("functions=%d/cached=%v", n, cached), func(b *testing.B) {
				rt := NewRuntime()
				defer rt.Close()
				var cache *BuildCache
				if cached {
					var err error
					if cache, err = OpenBuildCache(b.TempDir(), "bench"); err != nil {
						b.Fatal(err)
					}
				}
				yield := func(bt Built) error { return bt.Err }
				if cached {
					if err := rt.BuildAll(context.Background(), files, refs, BuildOptions{Cache: cache}, yield); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for range b.N {
					if err := rt.BuildAll(context.Background(), files, refs, BuildOptions{Cache: cache}, yield); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/function")
			})
		}
	}
}

// TestCompileTestCached: a test file's bundle comes from the cache while
// its sources and those of what it imports are unchanged, and is built
// afresh (and kept again) once one changes.
func TestCompileTestCached(t *testing.T) {
	t.Parallel()
	const file = "crm/tests/get-00.test.ts"
	const marker = "/* from the cache */"
	cases := []struct {
		name    string
		change  func(files map[string]string)
		wantHit bool
	}{
		{"unchanged", func(map[string]string) {}, true},
		{"unrelated file changed", func(files map[string]string) { files["crm/actions/get-01.ts"] += "\n// changed\n" }, true},
		{"test file changed", func(files map[string]string) { files[file] += "\n// changed\n" }, false},
		{"function changed", func(files map[string]string) { files["crm/actions/get-00.ts"] += "\n// changed\n" }, false},
		{"function's import changed", func(files map[string]string) { files["crm/helpers/schema.ts"] += "\n// changed\n" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := buildProject()
			files[file] = "import { expect, it } from 'vitest';\nimport action from '../actions/get-00.js';\n" +
				"it('is an action', () => { expect(action.type).toBe('action'); });\n"
			open := func() *BuildCache {
				cache, err := OpenBuildCache(dir, "v1")
				if err != nil {
					t.Fatal(err)
				}
				return cache
			}
			first, err := CompileTestCached(Source{Files: files, Entry: file}, open())
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := CompileTest(Source{Files: files, Entry: file})
			if err != nil || first.JS != fresh.JS || first.SourceMap != fresh.SourceMap {
				t.Fatalf("a first build differs from CompileTest's (err %v)", err)
			}
			// What the cache holds is marked, to tell a hit from a build.
			corrupt(t, dir, func(b []byte) []byte { return []byte(strings.Replace(string(b), `"js":"`, `"js":"`+marker, 1)) })
			c.change(files)
			second, err := CompileTestCached(Source{Files: files, Entry: file}, open())
			if err != nil {
				t.Fatal(err)
			}
			if hit := strings.HasPrefix(second.JS, marker); hit != c.wantHit {
				t.Fatalf("second build from the cache = %v, want %v", hit, c.wantHit)
			}
			if c.wantHit {
				return
			}
			fresh, err = CompileTest(Source{Files: files, Entry: file})
			if err != nil || second.JS != fresh.JS {
				t.Fatalf("a rebuild differs from CompileTest's (err %v)", err)
			}
			// …and is kept: the third comes from the cache.
			third, err := CompileTestCached(Source{Files: files, Entry: file}, open())
			if err != nil || third.JS != second.JS {
				t.Fatalf("third build: %v, same as the second: %v", err, third != nil && third.JS == second.JS)
			}
		})
	}
}
