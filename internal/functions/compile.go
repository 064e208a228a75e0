package functions

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/patchbay/patchbay/wire"
)

// Source is a function's code as a set of files: paths relative to the
// project root with forward slashes ("github/actions/create-issue.ts"),
// contents as text. A coding agent deploying remotely sends exactly this,
// so compiling never touches a disk.
type Source struct {
	Files map[string]string
	// Entry is the path of the function's file among Files.
	Entry string
	// extra are modules importable besides libraryShims, and define
	// expressions replaced in the code (CompileTest's).
	extra  map[string]string
	define map[string]string
}

// Bundle is a compiled function: one self-contained script.
type Bundle struct {
	// JS is the esbuild IIFE. Evaluated after the prelude, it leaves the
	// entry's exports in the global __pb_module.
	JS string
	// Hash is the hex SHA-256 of the files the bundle was built from
	// (paths and contents of those esbuild loaded), so an unchanged
	// function is recognised whatever else the project holds.
	Hash string
	// SourceMap is JS's source map (version 3 JSON, without the sources'
	// content, which the deployment does not need), so that positions in
	// JS can be told in the TypeScript sources (see MapFailure). Empty
	// for a bundle deployed before maps were kept.
	SourceMap string
}

// Position is one compiler diagnostic.
type Position = wire.Position

// CompileError lists what stopped a compile, each with file, line and
// column.
type CompileError struct {
	Errors []Position
}

func (e *CompileError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, p := range e.Errors {
		parts[i] = p.String()
	}
	return strings.Join(parts, "\n")
}

// Modules a function may import besides its own relative files. Each is
// served by a shim that hands out what the prelude set up, so the bundle
// stays small and the prelude is compiled once per process.
var libraryShims = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"nango": `const n = globalThis.__pb_nango;
export default n;
export const createSync = n.createSync, createAction = n.createAction, createOnEvent = n.createOnEvent, ActionError = n.ActionError;
`,
		"zod": zodShim(),
		// Templates import Node's crypto and buffer for hashing and
		// base64; the globals implement the parts that make sense here.
		"crypto":      cryptoShim,
		"node:crypto": cryptoShim,
		"buffer":      bufferShim,
		"node:buffer": bufferShim,
		// The rest of the modules Nango's CLI lets functions import
		// (its allowedPackages), with the parts its templates use.
		"url":                urlShim,
		"node:url":           urlShim,
		"nango/experimental": experimentalShim,
		"unzipper":           unzipperShim,
		"soap":               soapShim,
		// No template imports botbuilder: its builders of activities
		// and cards, which a function can send with nango.proxy.
		"botbuilder": botbuilderShim,
	}
})

// urlShim is Node's url module: the WHATWG classes (templates import
// URLSearchParams from it) and the file: URL conversions, on POSIX paths.
const urlShim = `export const URL = globalThis.URL, URLSearchParams = globalThis.URLSearchParams;
export function fileURLToPath(u) {
  const url = typeof u === 'string' ? new URL(u) : u;
  if (!(url instanceof URL)) throw new TypeError('The "path" argument must be of type string or an instance of URL.');
  if (url.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
  if (url.hostname !== '' && url.hostname !== 'localhost') throw new TypeError('File URL host must be "localhost" or empty on this platform');
  if (/%2f/i.test(url.pathname)) throw new TypeError('File URL path must not include encoded / characters');
  return decodeURIComponent(url.pathname);
}
export function pathToFileURL(p) {
  const s = String(p);
  const abs = s.startsWith('/') ? s : '/' + s;
  const u = new URL('file://');
  u.pathname = abs.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09');
  return u;
}
export function format(u) {
  if (u instanceof URL) return u.href;
  if (typeof u === 'string') return new URL(u).href;
  throw new TypeError('url.format: only URL objects and strings are supported here');
}
export function domainToASCII(d) {
  try { return new URL('http://' + d).hostname; } catch { return ''; }
}
export default { URL, URLSearchParams, fileURLToPath, pathToFileURL, format, domainToASCII };
`

// unzipperShim hands out the unzipper stand-in of js/modules.js.
const unzipperShim = `const u = globalThis.__pb_unzipper;
export default u;
export const Open = u.Open;
`

// soapShim hands out the soap module of js/modules.js. The named
// exports read the object when called, so a test's vi.spyOn on the
// default export reaches the named imports too.
const soapShim = `const s = globalThis.__pb_soap;
export default s;
export const createClientAsync = (...a) => s.createClientAsync(...a), createClient = (...a) => s.createClient(...a),
  WSSecurity = s.WSSecurity, BasicAuthSecurity = s.BasicAuthSecurity, BearerSecurity = s.BearerSecurity, security = s.security, Client = s.Client;
`

// botbuilderShim hands out the botbuilder stand-in of js/botbuilder.js.
// Each named export is a view of the module's member of that name, read
// when used, so that a test's vi.mock('botbuilder', …) or vi.spyOn on
// the default export's MessageFactory reaches the named imports too. A
// named import of any other name is a compile error (botbuilderUnavailable).
const botbuilderShim = `const b = globalThis.__pb_botbuilder;
const view = (name) => new Proxy({}, {
  get: (_, k) => b[name][k],
  set: (_, k, v) => { b[name][k] = v; return true; },
  has: (_, k) => k in b[name],
  ownKeys: () => Reflect.ownKeys(b[name]),
  getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(b[name], k); if (d) d.configurable = true; return d; },
  defineProperty: (_, k, d) => Reflect.defineProperty(b[name], k, d),
  deleteProperty: (_, k) => Reflect.deleteProperty(b[name], k),
});
export default b;
export const ActivityTypes = view('ActivityTypes'), ActionTypes = view('ActionTypes'), AttachmentLayoutTypes = view('AttachmentLayoutTypes'),
  InputHints = view('InputHints'), TextFormatTypes = view('TextFormatTypes'), RoleTypes = view('RoleTypes'),
  EndOfConversationCodes = view('EndOfConversationCodes'), MessageFactory = view('MessageFactory'), CardFactory = view('CardFactory');
`

// experimentalShim is nango/experimental: createFunction builds Nango's
// definition object ({type: 'function', …, capabilities}) so a file
// using it compiles; Patchbay runs actions, syncs and event handlers, so
// deploying one is refused by its type, with a message that says so.
const experimentalShim = `export function deriveFunctionCapabilities(params) {
  const models = params && params.data && params.data.models;
  const requires = (params && params.requires) || {};
  const connectionLess = requires.connection === false;
  return {
    usesRecords: !!models && Object.keys(models).length > 0,
    usesCheckpoints: !!(params && params.data && params.data.checkpoint),
    usesMetadata: !!(params && params.data && params.data.metadata),
    usesOutbound: !connectionLess && requires.outbound !== false,
    usesInvoke: requires.invoke === true,
  };
}
export function createFunction(params) {
  return { type: 'function', ...params, capabilities: deriveFunctionCapabilities(params) };
}
export default { createFunction, deriveFunctionCapabilities };
`

const cryptoShim = `const c = globalThis.crypto;
export default c;
export const createHash = (...a) => c.createHash(...a), createHmac = (...a) => c.createHmac(...a),
  randomUUID = () => c.randomUUID(), randomBytes = (n) => c.randomBytes(n),
  timingSafeEqual = (a, b) => c.timingSafeEqual(a, b), getRandomValues = (a) => c.getRandomValues(a);
`

const bufferShim = `export const Buffer = globalThis.Buffer;
export default { Buffer };
`

// zodShim re-exports every name our zod module exports, so
// `import * as z from 'zod'` and `import { object } from 'zod'` both work.
// The names are read from the module's export list, so the two never
// drift apart.
func zodShim() string {
	var b strings.Builder
	// Each binding is read through a call marked pure, so esbuild drops
	// the ones a function does not import: a plain z["string"] might be
	// a getter with effects, and all ninety-odd would stay in every
	// bundle, to be printed, parsed and run each time.
	b.WriteString("const z = globalThis.__pb_zod;\nconst get = (name) => z[name];\nexport default z;\nexport { z };\n")
	for _, name := range moduleExports("js/zod.js") {
		if name == "z" || name == "default" {
			continue
		}
		// null, undefined, enum… are reserved words: each is exported
		// from a local binding with a safe name.
		fmt.Fprintf(&b, "const z_%s = /* @__PURE__ */ get(%q);\nexport { z_%s as %s };\n", name, name, name, name)
	}
	return b.String()
}

var exportList = regexp.MustCompile(`(?s)\nexport \{(.*?)\};`)

// moduleExports lists the names an embedded module exports in its
// `export { a, b as c }` statements.
func moduleExports(file string) []string {
	src, err := js.ReadFile(file)
	if err != nil {
		panic(fmt.Sprintf("functions: embedded %s: %v", file, err))
	}
	var names []string
	for _, m := range exportList.FindAllSubmatch(src, -1) {
		for _, item := range strings.Split(string(m[1]), ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if _, as, ok := strings.Cut(item, " as "); ok {
				item = strings.TrimSpace(as)
			}
			names = append(names, item)
		}
	}
	return names
}

const (
	nsSource  = "patchbay-source"
	nsLibrary = "patchbay-library"
)

// Compile bundles src's entry and the relative files it imports into one
// script, with its source map. TypeScript types are stripped, not
// checked: editors and `tsc` do that; the runtime validates data with the
// function's zod schemas.
func Compile(src Source) (*Bundle, error) {
	b, _, err := compile(src)
	return b, err
}

// trace is what a compile looked at besides the entry: enough to tell,
// without compiling again, that the same sources would give the same
// bundle (see BuildCache).
type trace struct {
	// Loaded are the source files esbuild read.
	Loaded []string `json:"loaded"`
	// Imports are the imports it resolved, each with where to.
	Imports []traceImport `json:"imports"`
}

type traceImport struct {
	Importer  string `json:"importer"`
	Path      string `json:"path"`
	Resolved  string `json:"resolved"`
	Namespace string `json:"namespace"`
}

func compile(src Source) (*Bundle, *trace, error) {
	entry := path.Clean(strings.TrimPrefix(src.Entry, "./"))
	if _, ok := src.Files[entry]; !ok {
		return nil, nil, &CompileError{Errors: []Position{{File: entry, Message: "entry file not found among the sources"}}}
	}
	// esbuild loads files in parallel.
	var mu sync.Mutex
	loaded := map[string]bool{}
	var imports []traceImport
	plugin := api.Plugin{
		Name: "patchbay",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				if _, ok := src.extra[a.Path]; ok {
					return api.OnResolveResult{Path: a.Path, Namespace: nsLibrary}, nil
				}
				res, err := resolve(src.Files, entry, a)
				if err == nil && a.Kind != api.ResolveEntryPoint {
					mu.Lock()
					imports = append(imports, traceImport{Importer: a.Importer, Path: a.Path, Resolved: res.Path, Namespace: res.Namespace})
					mu.Unlock()
				}
				return res, err
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: nsSource}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				text := src.Files[a.Path]
				mu.Lock()
				loaded[a.Path] = true
				mu.Unlock()
				return api.OnLoadResult{Contents: &text, Loader: loaderFor(a.Path)}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: nsLibrary}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				text, ok := src.extra[a.Path]
				if !ok {
					text = libraryShims()[a.Path]
				}
				return api.OnLoadResult{Contents: &text, Loader: api.LoaderJS}, nil
			})
		},
	}
	opts := api.BuildOptions{
		EntryPoints: []string{entry},
		Bundle:      true,
		Write:       false,
		Format:      api.FormatIIFE,
		GlobalName:  "__pb_module",
		Target:      api.ES2022,
		Platform:    api.PlatformNeutral,
		Charset:     api.CharsetUTF8,
		LogLevel:    api.LogLevelSilent,
		// A function's own `var` declarations stay inside the IIFE; the
		// only global it defines is __pb_module.
		Plugins: []api.Plugin{plugin},
		Define:  src.define,
		// esbuild would otherwise honour a tsconfig.json it cannot see
		// anyway; saying so keeps the result independent of the disk.
		TsconfigRaw: `{"compilerOptions":{"target":"es2022","useDefineForClassFields":true}}`,
		// External: the code names no map, and keeps its lines. The
		// output path is only a name, nothing is written.
		Sourcemap:      api.SourceMapExternal,
		SourcesContent: api.SourcesContentExclude,
		Outfile:        "bundle.js",
	}
	res := api.Build(opts)
	if errs := explainMissingNames(res.Errors, res.Warnings); len(errs) > 0 {
		return nil, nil, compileError(errs)
	}
	var js, sourceMap []byte
	for _, f := range res.OutputFiles {
		if strings.HasSuffix(f.Path, ".map") {
			sourceMap = f.Contents
		} else {
			js = f.Contents
		}
	}
	if len(res.OutputFiles) != 2 || js == nil || sourceMap == nil {
		return nil, nil, fmt.Errorf("compile %s: esbuild produced %d files", entry, len(res.OutputFiles))
	}
	tr := &trace{Imports: imports}
	for name := range loaded {
		tr.Loaded = append(tr.Loaded, name)
	}
	// esbuild resolves and loads in parallel: sorted, a trace is the
	// same whatever order that took.
	sort.Strings(tr.Loaded)
	sort.Slice(tr.Imports, func(i, j int) bool {
		a, b := tr.Imports[i], tr.Imports[j]
		if a.Importer != b.Importer {
			return a.Importer < b.Importer
		}
		return a.Path < b.Path
	})
	return &Bundle{JS: string(js), Hash: hashSources(src.Files, loaded), SourceMap: string(sourceMap)}, tr, nil
}

func resolve(files map[string]string, entry string, a api.OnResolveArgs) (api.OnResolveResult, error) {
	if a.Kind == api.ResolveEntryPoint {
		return api.OnResolveResult{Path: entry, Namespace: nsSource}, nil
	}
	if _, ok := libraryShims()[a.Path]; ok {
		return api.OnResolveResult{Path: a.Path, Namespace: nsLibrary}, nil
	}
	if !strings.HasPrefix(a.Path, "./") && !strings.HasPrefix(a.Path, "../") {
		return api.OnResolveResult{}, fmt.Errorf("cannot import %q: a function may import \"nango\", \"zod\", \"crypto\", \"buffer\", \"url\", \"nango/experimental\", \"unzipper\", \"soap\", \"botbuilder\" and its own files by relative path (npm packages and Node modules are not available in the sandbox)", a.Path)
	}
	base := path.Dir(a.Importer)
	target := path.Join(base, a.Path)
	if target == ".." || strings.HasPrefix(target, "../") {
		return api.OnResolveResult{}, fmt.Errorf("cannot import %q: it is outside the project", a.Path)
	}
	for _, candidate := range candidates(target) {
		if _, ok := files[candidate]; ok {
			return api.OnResolveResult{Path: candidate, Namespace: nsSource}, nil
		}
	}
	return api.OnResolveResult{}, fmt.Errorf("cannot import %q: no file %s (or .ts/.js/index.ts) among the sources", a.Path, target)
}

// candidates are the files an import of p may mean, in TypeScript's order:
// "./x.js" names "x.ts" (ESM-style imports in TS), "./x" names "x.ts",
// "x.js" or "x/index.ts".
func candidates(p string) []string {
	out := []string{p}
	switch ext := path.Ext(p); ext {
	case ".js", ".mjs", ".cjs":
		stem := strings.TrimSuffix(p, ext)
		out = append(out, stem+".ts", stem+".mts", stem+".tsx")
	case ".ts", ".json", ".mts":
	default:
		out = append(out, p+".ts", p+".js", p+".json", p+"/index.ts", p+"/index.js")
	}
	return out
}

func loaderFor(p string) api.Loader {
	switch path.Ext(p) {
	case ".ts", ".mts", ".cts":
		return api.LoaderTS
	case ".tsx":
		return api.LoaderTSX
	case ".json":
		return api.LoaderJSON
	default:
		return api.LoaderJS
	}
}

// missingNameHints say, by library module, why a name the module does
// not export is missing and what to use instead: esbuild's message says
// only that it is.
var missingNameHints = map[string]func(name string) string{
	"botbuilder": botbuilderUnavailable,
}

// botbuilderUnavailable says at compile time what js/botbuilder.js's
// notAvailable says at run time (TestBotbuilderUnavailable holds the two
// equal): which names the sandbox's botbuilder has, and how to send an
// activity without the SDK's adapters.
func botbuilderUnavailable(name string) string {
	return "botbuilder: " + name + " is not available in the sandbox: only the activity and card builders are (" +
		"ActivityTypes, ActionTypes, AttachmentLayoutTypes, InputHints, TextFormatTypes, RoleTypes, EndOfConversationCodes, MessageFactory, CardFactory); " +
		"botbuilder's adapters and network parts (BotFrameworkAdapter, CloudAdapter, TurnContext, ConnectorClient, storage and state) are not. " +
		"Build the activity with MessageFactory or CardFactory and send it with nango.proxy to the Bot Connector REST API " +
		"(POST /v3/conversations/{conversationId}/activities)."
}

var (
	noMatchingExport = regexp.MustCompile(`^No matching export in "` + nsLibrary + `:([^"]+)" for import "([^"]+)"$`)
	alwaysUndefined  = regexp.MustCompile(`^Import "([^"]+)" will always be undefined because there is no matching export in "` + nsLibrary + `:([^"]+)"$`)
)

// explainMissingNames returns the build's errors with those about a name
// a module of missingNameHints lacks told in the module's words. Reading
// such a name from a namespace import (bb.CloudAdapter) is only a warning
// to esbuild, as the value would be undefined; for those modules it is an
// error too, rather than a puzzling undefined at run time.
func explainMissingNames(errs, warnings []api.Message) []api.Message {
	out := make([]api.Message, 0, len(errs))
	for _, m := range errs {
		if g := noMatchingExport.FindStringSubmatch(m.Text); g != nil {
			if hint, ok := missingNameHints[g[1]]; ok {
				m.Text = hint(g[2])
			}
		}
		out = append(out, m)
	}
	for _, m := range warnings {
		if g := alwaysUndefined.FindStringSubmatch(m.Text); g != nil {
			if hint, ok := missingNameHints[g[2]]; ok {
				m.Text = hint(g[1])
				out = append(out, m)
			}
		}
	}
	return out
}

func compileError(msgs []api.Message) error {
	e := &CompileError{}
	for _, m := range msgs {
		p := Position{Message: m.Text}
		if m.Location != nil {
			p.File = m.Location.File
			p.Line = m.Location.Line
			p.Column = m.Location.Column + 1
			p.LineText = m.Location.LineText
		}
		// esbuild prefixes plugin errors with the namespace; the file name
		// is what the user knows.
		p.File = strings.TrimPrefix(strings.TrimPrefix(p.File, nsSource+":"), nsLibrary+":")
		e.Errors = append(e.Errors, p)
	}
	return e
}

func hashSources(files map[string]string, loaded map[string]bool) string {
	names := make([]string, 0, len(loaded))
	for name := range loaded {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%d:%s\x00%d:", len(name), name, len(files[name]))
		h.Write([]byte(files[name]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// IsCompileError reports whether err is a compile error and returns it.
func IsCompileError(err error) (*CompileError, bool) {
	var ce *CompileError
	ok := errors.As(err, &ce)
	return ce, ok
}
