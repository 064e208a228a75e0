package functions

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
)

// Test files. Nango's templates come with tests/<name>.test.ts files
// written for vitest: they construct NangoActionMock or NangoSyncMock
// (Nango's CLI's test mocks) over the function's .test.json fixture,
// call the function's exec with the mock, and compare with expect.
// CompileTest bundles such a file with a shim of our own vitest module
// (js/vitest.js) in place of the npm package, and Run with KindTest runs
// its cases in the sandbox, as any execution, within the same limits,
// with the module evaluated in the file's VM before the bundle.
//
// Each mock the file constructs is served by a Host of its own, which the
// execution's TestHost opens: the mock's requests, getConnection,
// getMetadata, records and checkpoints go to it (an op started with a
// mock's id is prepared against that host), and the fixture's values the
// mock hands out (getInput, getOutput, getBatchSaveData, …) come from it.

// TestHost is the Host of a test file's execution (KindTest).
type TestHost interface {
	Host
	// OpenMock returns the host that serves one of the file's Nango
	// mocks, constructed with {dirname, name} (kind is "action" or
	// "sync", for NangoActionMock and NangoSyncMock).
	OpenMock(dirname, name string, kind Kind) (Mock, error)
	// Report receives each case's result as the file runs, so a file
	// stopped by its limits still tells what ran before.
	Report(result TestResult)
	// ReadFile returns a project file a test reads (node:fs readFileSync),
	// by its path under the project root.
	ReadFile(path string) (string, error)
}

// Mock is the Host of one of a test file's Nango mocks.
type Mock interface {
	Host
	// Fixture returns the fixture's value at path (["output"],
	// ["nango", "batchSave", "Issue"]); false when it has none.
	Fixture(path []string) (json.RawMessage, bool)
}

// TestResult is one test case of a test file.
type TestResult struct {
	// Name is the case's name after its describe blocks' ("a > b > c").
	Name    string  `json:"name"`
	OK      bool    `json:"ok"`
	Skipped bool    `json:"skipped,omitempty"`
	Message string  `json:"message,omitempty"`
	Ms      float64 `json:"ms"`
}

// TestInput is a test file execution's input.
type TestInput struct {
	// File is the test file's path under the project root.
	File string `json:"file"`
	// Dirname is what the file sees as __dirname, and what its mocks
	// are constructed with.
	Dirname string `json:"dirname"`
}

// ErrNotTestHost refuses the test operations outside a test file.
var ErrNotTestHost = errors.New("only test files (patchbay test) have Nango mocks and test results")

func init() {
	syncOps["mock.open"] = opMockOpen
	syncOps["mock.fixture"] = opMockFixture
	syncOps["test.result"] = opTestResult
	syncOps["test.readFile"] = opTestReadFile
}

// maxMocks bounds the mocks one test file opens (each keeps a fixture).
const maxMocks = 10_000

func (x *execution) testHost() (TestHost, error) {
	t, ok := x.host.(TestHost)
	if !ok {
		return nil, ErrNotTestHost
	}
	return t, nil
}

func opMockOpen(x *execution, raw json.RawMessage) (any, error) {
	t, err := x.testHost()
	if err != nil {
		return nil, err
	}
	var args struct {
		Dirname string `json:"dirname"`
		Name    string `json:"name"`
		Kind    Kind   `json:"kind"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	if len(x.mocks) >= maxMocks {
		return nil, fmt.Errorf("mock: more than %d mocks in one test file", maxMocks)
	}
	m, err := t.OpenMock(args.Dirname, args.Name, args.Kind)
	if err != nil {
		return nil, err
	}
	x.mocks = append(x.mocks, m)
	return map[string]int{"id": len(x.mocks)}, nil
}

func (x *execution) mock(id int) (Mock, error) {
	if id < 1 || id > len(x.mocks) {
		return nil, fmt.Errorf("mock: no mock %d", id)
	}
	m, ok := x.mocks[id-1].(Mock)
	if !ok {
		return nil, fmt.Errorf("mock: no mock %d", id)
	}
	return m, nil
}

// useMock makes the op being started run against the host of mock v (a
// number from JavaScript) and returns what puts the execution's own back.
func (x *execution) useMock(v any) (func(), error) {
	var id int
	switch n := v.(type) {
	case int:
		id = n
	case int32:
		id = int(n)
	case int64:
		id = int(n)
	case float64:
		id = int(n)
	default:
		return nil, errors.New("host: bad mock id")
	}
	m, err := x.mock(id)
	if err != nil {
		return nil, err
	}
	saved := x.host
	x.host = m
	return func() { x.host = saved }, nil
}

func opMockFixture(x *execution, raw json.RawMessage) (any, error) {
	var args struct {
		ID   int      `json:"id"`
		Path []string `json:"path"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	m, err := x.mock(args.ID)
	if err != nil {
		return nil, err
	}
	v, ok := m.Fixture(args.Path)
	if !ok {
		// undefined, as Nango's mock answers for a key the file lacks
		return nil, nil
	}
	return v, nil
}

func opTestResult(x *execution, raw json.RawMessage) (any, error) {
	t, err := x.testHost()
	if err != nil {
		return nil, err
	}
	var r TestResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("test result: %w", err)
	}
	t.Report(r)
	return nil, nil
}

func opTestReadFile(x *execution, raw json.RawMessage) (any, error) {
	t, err := x.testHost()
	if err != nil {
		return nil, err
	}
	var args struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, fmt.Errorf("readFile: %w", err)
	}
	return t.ReadFile(args.Path)
}

// testModules are the modules a test file may import besides a
// function's: vitest, and the parts of node:fs and node:path templates'
// tests use to read their fixtures. vitest is a shim over the module the
// runtime evaluates before a test file's bundle (vitestScript), so its
// thousand lines are neither bundled nor compiled again for every file.
var testModules = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"vitest":    vitestShim(),
		"fs":        fsShim,
		"node:fs":   fsShim,
		"path":      pathShim,
		"node:path": pathShim,
	}
})

// vitestShim re-exports what js/vitest.js exports. It runs vitest's top
// level (__pb_vitest_load) where the import is, as the module bundled in
// place would: the clock it saves, the globals it sets and the test
// runner it defines are the file's own, and a file that does not import
// vitest still has no runner.
func vitestShim() string {
	var b strings.Builder
	b.WriteString("const v = globalThis.__pb_vitest_load();\nexport default v.default;\n")
	for _, name := range vitestExports() {
		if name != "default" {
			fmt.Fprintf(&b, "export const %s = v.%s;\n", name, name)
		}
	}
	return b.String()
}

var exportDecl = regexp.MustCompile(`(?m)^export (?:function|const|let|class) ([A-Za-z_$][\w$]*)`)

// vitestExports lists the names js/vitest.js exports; read from the file,
// the shim and the module cannot drift apart.
var vitestExports = sync.OnceValue(func() []string {
	src, err := js.ReadFile("js/vitest.js")
	if err != nil {
		panic(fmt.Sprintf("functions: embedded js/vitest.js: %v", err))
	}
	var names []string
	for _, m := range exportDecl.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return append(names, moduleExports("js/vitest.js")...)
})

// vitestScript is js/vitest.js as a script that defines
// __pb_vitest_load, which runs the module's top level once and returns
// its exports. The runtime compiles it once and evaluates it in each test
// file's fresh VM (see Runtime.vitestCode), so every file still gets a
// module of its own.
func vitestScript() (string, error) {
	src, err := js.ReadFile("js/vitest.js")
	if err != nil {
		return "", fmt.Errorf("vitest: %w", err)
	}
	res := api.Transform(string(src), api.TransformOptions{
		Format:     api.FormatIIFE,
		GlobalName: "__pb_vitest_exports",
		Target:     api.ES2022,
		Platform:   api.PlatformNeutral,
		Charset:    api.CharsetUTF8,
		Loader:     api.LoaderJS,
		Sourcefile: "vitest.js",
		LogLevel:   api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return "", compileError(res.Errors)
	}
	return `Object.defineProperty(globalThis, '__pb_vitest_load', {
  value: (() => {
    let exports;
    return () => {
      if (exports === undefined) {
        exports = (() => {
` + string(res.Code) + `
          return __pb_vitest_exports;
        })();
      }
      return exports;
    };
  })(),
  writable: false,
  configurable: false,
  enumerable: false,
});
`, nil
}

// fsShim reads project files through the test host; nothing else of the
// file system is there.
const fsShim = `const read = (p, enc) => globalThis.__pb_vitest_readFile(String(p), enc);
export const readFileSync = read;
export const promises = { readFile: async (p, enc) => read(p, enc) };
export default { readFileSync, promises };
`

// pathShim is the POSIX subset of node:path tests use.
const pathShim = `function normalize(p) {
  const abs = p.startsWith('/');
  const out = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') { if (out.length && out[out.length - 1] !== '..') out.pop(); else if (!abs) out.push('..'); continue; }
    out.push(s);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
}
export function join(...parts) { return normalize(parts.filter((p) => p !== '').join('/')); }
export function resolve(...parts) {
  let p = '';
  for (let i = parts.length - 1; i >= 0 && !p.startsWith('/'); i--) p = parts[i] + (p ? '/' + p : '');
  return normalize(p.startsWith('/') ? p : '/' + p);
}
export function dirname(p) { const i = p.lastIndexOf('/'); return i <= 0 ? (i === 0 ? '/' : '.') : p.slice(0, i); }
export function basename(p, ext) { let b = p.slice(p.lastIndexOf('/') + 1); if (ext && b.endsWith(ext)) b = b.slice(0, -ext.length); return b; }
export function extname(p) { const b = basename(p); const i = b.lastIndexOf('.'); return i <= 0 ? '' : b.slice(i); }
export const sep = '/';
export default { join, resolve, dirname, basename, extname, normalize, sep };
export { normalize };
`

// CompileTest bundles a test file (src.Entry) and what it imports: the
// function under test, its files, and the test modules.
func CompileTest(src Source) (*Bundle, error) {
	return CompileTestCached(src, nil)
}

// CompileTestCached is CompileTest through cache, when not nil, as
// BuildAll builds functions: a test file whose sources (its own, the
// function's, their imports') are unchanged is not bundled again.
func CompileTestCached(src Source, cache *BuildCache) (*Bundle, error) {
	entry := path.Clean(strings.TrimPrefix(src.Entry, "./"))
	if cache != nil {
		if b, _, ok := cache.get(src.Files, entry); ok {
			return b, nil
		}
	}
	src.extra = testModules()
	// A test file reads its own location (fileURLToPath(import.meta.url)),
	// as Node gives it: a file: URL, here of its path under the root.
	u := url.URL{Scheme: "file", Path: "/" + entry}
	src.define = map[string]string{"import.meta.url": strconv.Quote(u.String())}
	b, tr, err := compile(src)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		if err := cache.put(entry, tr, b, nil); err != nil {
			// The bundle stands; only the next run is slower.
			slog.Warn("build cache: could not keep a test file's build", "file", entry, "err", err)
		}
	}
	return b, nil
}
