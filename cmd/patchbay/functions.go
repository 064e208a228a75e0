package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/dts"
	"github.com/patchbay/patchbay/internal/functions/fixtures"
)

// The developer commands: init, compile, test, dryrun and deploy work on
// a project laid out as Nango's (<integration>/actions|syncs/<name>.ts).
// compile and test run locally with the same compiler and runtime the
// server uses; dryrun and deploy send the project's sources to a server.

//go:embed scaffold
var scaffold embed.FS

// defaultHost is where `patchbay serve` listens by default
// (internal/config's PATCHBAY_ADDR).
const defaultHost = "http://127.0.0.1:3003"

// typesPath is where init puts nango.d.ts; tsconfig.json maps "nango" to it.
const typesPath = ".patchbay/nango.d.ts"

// testConnectionID is the connection a `patchbay test` run pretends to be.
const testConnectionID = "test-connection"

// testTimeout bounds one function's run under `patchbay test`.
const testTimeout = 2 * time.Minute

// addFunctionCommands adds init, compile, test, dryrun and deploy to root.
func addFunctionCommands(root *cobra.Command, stdout, stderr io.Writer, getenv func(string) string) {
	d := &devCLI{stdout: stdout, stderr: stderr, getenv: getenv}
	d.ui = newUI(stdout, getenv)
	root.AddCommand(d.initCommand(), d.compileCommand(), d.testCommand(), d.deployCommand(), d.dryrunCommand())
}

type devCLI struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	ui             ui
}

// ─── init ───────────────────────────────────────────────────────────────────

func (d *devCLI) initCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [dir]",
		Short: "Create a functions project with an example GitHub action, sync and tests",
		Long: "Create a functions project in Nango's layout (default: the current directory): an example\n" +
			"GitHub action and sync, their test fixtures, tsconfig.json, package.json and the types of\n" +
			"the nango module. Existing files are left alone unless --force.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return d.runInit(dir, force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	return cmd
}

// scaffoldFiles lists the project init writes: path in the project →
// contents. Dot files are stored as dot-<name> (embed skips dot files).
func scaffoldFiles() (map[string][]byte, error) {
	out := map[string][]byte{typesPath: []byte(dts.NangoDTS)}
	err := fs.WalkDir(scaffold, "scaffold", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "scaffold/")
		dir, name := path.Split(rel)
		if rest, ok := strings.CutPrefix(name, "dot-"); ok {
			name = "." + rest
		}
		out[dir+name] = b
		return nil
	})
	return out, err
}

func (d *devCLI) runInit(dir string, force bool) error {
	files, err := scaffoldFiles()
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(files))
	var existing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
			existing = append(existing, n)
		}
	}
	if len(existing) > 0 && !force {
		return fmt.Errorf("%s already has %s: use --force to overwrite", dir, strings.Join(existing, ", "))
	}
	for _, n := range names {
		target := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, files[n], 0o644); err != nil {
			return err
		}
	}
	u := d.ui
	fmt.Fprintf(d.stdout, "%s Created a functions project in %s:\n", u.green("✓"), dir)
	for _, n := range names {
		fmt.Fprintf(d.stdout, "  %s\n", n)
	}
	fmt.Fprintf(d.stdout, "\nNext:\n")
	if dir != "." {
		fmt.Fprintf(d.stdout, "  cd %s\n", dir)
	}
	fmt.Fprintf(d.stdout, "  patchbay compile     # bundle and check the functions\n")
	fmt.Fprintf(d.stdout, "  patchbay test        # run them against tests/*.test.json\n")
	fmt.Fprintf(d.stdout, "  npm install          # zod and typescript types for your editor (optional)\n")
	fmt.Fprintf(d.stdout, "  cp .env.example .env # then patchbay dryrun / patchbay deploy against a server\n")
	return nil
}

// ─── project files ──────────────────────────────────────────────────────────

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
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
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
// fixtures and lock files, which functions never import and which can be
// large.
func (p *project) uploadFiles() map[string]string {
	out := map[string]string{}
	for name, text := range p.files {
		parts := strings.Split(name, "/")
		if (len(parts) > 2 && parts[1] == "tests") || name == "package-lock.json" {
			continue
		}
		out[name] = text
	}
	return out
}

// pick returns the functions named (all when names is empty).
func (p *project) pick(names []string) ([]functions.Ref, error) {
	if len(p.refs) == 0 {
		return nil, fmt.Errorf("no functions in %s (want <integration>/actions/<name>.ts, <integration>/syncs/<name>.ts or <integration>/on-events/<name>.ts)", p.dir)
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

// ─── compile ────────────────────────────────────────────────────────────────

// localProject loads the project for a command that runs functions here
// (compile, test): the type declarations are brought up to date and the
// functions named in args (all when none) are picked.
func (d *devCLI) localProject(dir string, args []string) (*project, []functions.Ref, error) {
	p, err := loadProject(dir)
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

func (d *devCLI) compileCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "compile [function…]",
		Short: "Bundle the project's functions and check their definitions",
		Long: "Bundle each function (or those named: <integration>/<name>, or a name used in one\n" +
			"integration only) with the compiler the server uses, and check what it exports: the\n" +
			"type its folder says, zod schemas for an action's input and output, a sync's models.\n" +
			"Errors are printed as file:line:col.",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, refs, err := d.localProject(dir, args)
			if err != nil {
				return err
			}
			rt := functions.NewRuntime()
			defer rt.Close()
			failed := 0
			for _, r := range refs {
				def := d.build(cmd.Context(), rt, p, r)
				if def == nil {
					failed++
					continue
				}
				fmt.Fprintf(d.stdout, "%s %s  %s  %s\n", d.ui.green("✓"), r.FullName(), d.ui.dim(def.Type), d.ui.dim(versionOf(def)))
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d functions failed to compile", failed, len(refs))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the project's directory")
	return cmd
}

func versionOf(def *functions.Definition) string {
	if def.Version == "" {
		return "(no version)"
	}
	return def.Version
}

// build compiles and describes one function; what is wrong with it is
// printed, and the definition is nil then.
func (d *devCLI) build(ctx context.Context, rt *functions.Runtime, p *project, r functions.Ref) *functions.Definition {
	_, def, problems := compileFunction(ctx, rt, p.files, r)
	if len(problems) == 0 {
		return def
	}
	fmt.Fprintf(d.stdout, "%s %s\n", d.ui.red("✗"), r.FullName())
	for _, pos := range problems {
		d.printPosition(pos)
	}
	return nil
}

// compileFunction bundles r with all of files and checks its definition.
func compileFunction(ctx context.Context, rt *functions.Runtime, files map[string]string, r functions.Ref) (*functions.Bundle, *functions.Definition, []functions.Position) {
	b, err := functions.Compile(functions.Source{Files: files, Entry: r.Entry})
	if err != nil {
		if ce, ok := functions.IsCompileError(err); ok {
			return nil, nil, ce.Errors
		}
		return nil, nil, []functions.Position{{File: r.Entry, Message: err.Error()}}
	}
	def, err := rt.Describe(ctx, b)
	if err != nil {
		msg := err.Error()
		var f *functions.Failure
		if errors.As(err, &f) {
			msg = f.Message
		}
		return nil, nil, []functions.Position{{File: r.Entry, Message: msg}}
	}
	var problems []functions.Position
	bad := func(format string, args ...any) {
		problems = append(problems, functions.Position{File: r.Entry, Message: fmt.Sprintf(format, args...)})
	}
	folder := map[string]string{"action": "actions", "sync": "syncs", "on-event": "on-events"}
	creator := map[string]string{"action": "createAction", "sync": "createSync", "on-event": "createOnEvent"}
	if def.Type != r.Type {
		bad("exports %s (%s) but is in the %s folder: move it to %s/%s/ or use %s", article(def.Type), creator[def.Type], folder[r.Type], r.Integration, folder[def.Type], creator[r.Type])
		return b, def, problems
	}
	switch def.Type {
	case "action":
		if !isSchema(def.Input) {
			bad("createAction: input must be a zod schema, e.g. z.object({ … })")
		}
		if !isSchema(def.Output) {
			bad("createAction: output must be a zod schema, e.g. z.object({ … })")
		}
	case "sync":
		if len(def.Models) == 0 {
			bad("createSync: models must name at least one zod schema, e.g. models: { Issue: z.object({ … }) }")
		}
	}
	return b, def, problems
}

func isSchema(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

func article(typ string) string {
	if typ == "action" || typ == "on-event" {
		return "an " + typ
	}
	return "a " + typ
}

// printPosition prints file:line:col: message, then the line and a caret
// under the column.
func (d *devCLI) printPosition(p functions.Position) {
	fmt.Fprintf(d.stdout, "%s %s\n", d.ui.bold(positionPrefix(p)), p.Message)
	if p.LineText == "" || p.Line == 0 {
		return
	}
	fmt.Fprintf(d.stdout, "  %s\n  %s\n", p.LineText, d.ui.green(caret(p.LineText, p.Column)))
}

func positionPrefix(p functions.Position) string {
	switch {
	case p.File == "":
		return "error:"
	case p.Line == 0:
		return p.File + ":"
	default:
		return fmt.Sprintf("%s:%d:%d:", p.File, p.Line, p.Column)
	}
}

// caret is a line of spaces (tabs where the source has tabs) ending in ^
// under the 1-based column col, counted in bytes as esbuild counts.
func caret(line string, col int) string {
	prefix := line[:max(0, min(col-1, len(line)))]
	var b strings.Builder
	for _, r := range prefix {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// ─── test ───────────────────────────────────────────────────────────────────

func (d *devCLI) testCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "test [function]",
		Short: "Run functions against their tests/<name>.test.json fixtures",
		Long: "Run each function that has <integration>/tests/<name>.test.json (Nango's fixture format)\n" +
			"locally: requests are answered from the fixture, pagination runs as on the server, and\n" +
			"an action's output or a sync's saved records are compared with what the fixture expects.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, refs, err := d.localProject(dir, args)
			if err != nil {
				return err
			}
			// Provider defaults (base URL, pagination) come from the same
			// catalog the server would load.
			providers := d.env(dir).get("PATCHBAY_PROVIDERS_FILE")
			if f := cmd.Flag("providers-file"); f != nil && f.Changed {
				providers = f.Value.String()
			}
			cat, err := catalog.Load(providers)
			if err != nil {
				return err
			}
			rt := functions.NewRuntime()
			defer rt.Close()
			passed, failed, untested := 0, 0, 0
			for _, r := range refs {
				switch d.testOne(cmd.Context(), rt, cat, p, r) {
				case testPassed:
					passed++
				case testFailed:
					failed++
				default:
					untested++
				}
			}
			summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
			if untested > 0 {
				summary += fmt.Sprintf(" (%d without tests)", untested)
			}
			fmt.Fprintln(d.stdout, summary)
			if failed > 0 {
				return fmt.Errorf("%d of %d tests failed", failed, passed+failed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the project's directory")
	return cmd
}

type testOutcome int

const (
	testPassed testOutcome = iota
	testFailed
	testMissing
)

func fixturePath(r functions.Ref) string {
	return r.Integration + "/tests/" + r.Name + ".test.json"
}

// findFixture returns r's fixture: tests/<name>.test.json, or the
// tests/<integration>-<name>.test.json some of Nango's templates use.
func (p *project) findFixture(r functions.Ref) (string, string, bool) {
	for _, fp := range []string{fixturePath(r), r.Integration + "/tests/" + r.Integration + "-" + r.Name + ".test.json"} {
		if raw, ok := p.files[fp]; ok {
			return fp, raw, true
		}
	}
	return fixturePath(r), "", false
}

func (d *devCLI) testOne(ctx context.Context, rt *functions.Runtime, cat *catalog.Catalog, p *project, r functions.Ref) testOutcome {
	u := d.ui
	fp, raw, ok := p.findFixture(r)
	if !ok {
		fmt.Fprintf(d.stdout, "%s %s  %s\n", u.dim("-"), r.FullName(), u.dim("no tests ("+fp+")"))
		return testMissing
	}
	fail := func(lines ...string) testOutcome {
		fmt.Fprintf(d.stdout, "%s %s\n", u.red("✗"), r.FullName())
		for _, l := range lines {
			fmt.Fprintf(d.stdout, "    %s\n", l)
		}
		return testFailed
	}
	f, err := fixtures.Parse([]byte(raw))
	if err != nil {
		return fail(fmt.Sprintf("%s: %v", fp, err))
	}
	b, def, problems := compileFunction(ctx, rt, p.files, r)
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, pos := range problems {
			lines[i] = pos.String()
		}
		return fail(lines...)
	}
	kind := functions.Kind(def.Type)
	host, err := fixtures.NewHost(f, fixtures.Options{Integration: r.Integration, ConnectionID: testConnectionID, Catalog: cat, Kind: kind})
	if err != nil {
		return fail(err.Error())
	}
	exec := &functions.Execution{
		Bundle: b, Kind: kind, Host: host, Limits: functions.Limits{Timeout: testTimeout},
		Info: functions.Info{Name: r.Name, ConnectionID: testConnectionID, ProviderConfigKey: r.Integration, Provider: r.Integration},
	}
	if kind == functions.KindAction {
		exec.Input = f.Input
	}
	start := time.Now()
	out, runErr := rt.Run(ctx, exec)
	took := time.Since(start)
	diffs := fixtures.Check(host.Result(kind, out, runErr), f)
	if len(diffs) == 0 {
		fmt.Fprintf(d.stdout, "%s %s  %s\n", u.green("✓"), r.FullName(), u.dim(formatDuration(took)))
		return testPassed
	}
	lines := make([]string, 0, len(diffs))
	for _, df := range diffs {
		lines = append(lines, df.String())
	}
	var fe *functions.Failure
	if errors.As(runErr, &fe) && len(fe.Payload) > 0 {
		lines = append(lines, "payload: "+string(fe.Payload))
	}
	if logs := host.Logs(); len(logs) > 0 {
		lines = append(lines, "logs:")
		for _, l := range logs[max(0, len(logs)-20):] {
			lines = append(lines, "  "+u.level(l.Level)+" "+l.Message)
		}
	}
	return fail(lines...)
}

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// ─── server commands ────────────────────────────────────────────────────────

// env reads variables from the real environment, then from dir/.env.
type env struct {
	getenv func(string) string
	file   map[string]string
}

func (e env) get(key string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return e.file[key]
}

func (d *devCLI) env(dir string) env {
	e := env{getenv: d.getenv, file: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil {
		return e
	}
	vars, err := parseDotenv(string(b))
	if err != nil {
		fmt.Fprintf(d.stderr, "patchbay: %s: %v\n", filepath.Join(dir, ".env"), err)
	}
	e.file = vars
	return e
}

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// parseDotenv reads KEY=VALUE lines: # starts a comment line (or, after a
// space, a comment at the end of an unquoted value), "export " may
// precede the key, values may be quoted ('…' literally, "…" with \n, \t,
// \" and \\ escapes). Lines it cannot read are skipped and reported.
func parseDotenv(text string) (map[string]string, error) {
	vars := map[string]string{}
	var bad []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !envKey.MatchString(key) {
			bad = append(bad, strconv.Itoa(i+1))
			continue
		}
		value = strings.TrimSpace(value)
		switch {
		case len(value) >= 2 && value[0] == '\'' && strings.IndexByte(value[1:], '\'') >= 0:
			value = value[1 : 1+strings.IndexByte(value[1:], '\'')]
		case len(value) >= 2 && value[0] == '"':
			v, ok := unquoteDouble(value)
			if !ok {
				bad = append(bad, strconv.Itoa(i+1))
				continue
			}
			value = v
		default:
			if j := strings.Index(value, " #"); j >= 0 {
				value = strings.TrimSpace(value[:j])
			}
		}
		vars[key] = value
	}
	if len(bad) > 0 {
		return vars, fmt.Errorf("lines %s are not KEY=VALUE", strings.Join(bad, ", "))
	}
	return vars, nil
}

// unquoteDouble reads a "…" value (what follows the closing quote is
// ignored, so a trailing comment may follow it).
func unquoteDouble(s string) (string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), true
		case '\\':
			if i+1 >= len(s) {
				return "", false
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// secretKeyVars are the variables the secret key of environment name is
// read from, first found wins.
func secretKeyVars(name string) []string {
	return []string{"PATCHBAY_SECRET_KEY_" + strings.ToUpper(name), "PATCHBAY_SECRET_KEY"}
}

// client returns a client for the server and environment the project's
// settings name.
func (d *devCLI) client(dir, envName string) (*client.Client, string, error) {
	e := d.env(dir)
	host := strings.TrimRight(e.get("PATCHBAY_HOST"), "/")
	if host == "" {
		host = defaultHost
	}
	vars := secretKeyVars(envName)
	key := ""
	for _, v := range vars {
		if key = e.get(v); key != "" {
			break
		}
	}
	if key == "" {
		return nil, "", fmt.Errorf("no secret key for environment %q: set %s (in the environment or in %s); `patchbay keys` prints a local server's keys",
			envName, strings.Join(vars, " or "), filepath.Join(dir, ".env"))
	}
	return client.New(host, key), host, nil
}

// printCompileError prints a server's compile errors like compile does.
func (d *devCLI) printCompileError(err error) bool {
	var ce *client.CompileError
	if !errors.As(err, &ce) {
		return false
	}
	fmt.Fprintf(d.stdout, "%s the server could not compile the functions: %s\n", d.ui.red("✗"), ce.Message)
	for _, p := range ce.Errors {
		d.printPosition(functions.Position{File: p.File, Line: p.Line, Column: p.Column, Message: p.Message, LineText: p.LineText})
	}
	return true
}

// ─── deploy ─────────────────────────────────────────────────────────────────

func (d *devCLI) deployCommand() *cobra.Command {
	var dir, envName string
	var actions, syncs []string
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy the project's functions to a Patchbay server",
		Long: "Send the project's sources to PATCHBAY_HOST (default " + defaultHost + "), which compiles\n" +
			"and deploys every function, or only those named with --action and --sync. The secret key\n" +
			"is PATCHBAY_SECRET_KEY_<ENV> or PATCHBAY_SECRET_KEY, from the environment or the project's .env.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := loadProject(dir)
			if err != nil {
				return err
			}
			var names []string
			for _, want := range []struct {
				typ   string
				names []string
			}{{"action", actions}, {"sync", syncs}} {
				for _, n := range want.names {
					r, err := functions.Find(p.refs, n)
					if err != nil {
						return err
					}
					if r.Type != want.typ {
						return fmt.Errorf("%s is %s, not %s", r.FullName(), article(r.Type), article(want.typ))
					}
					names = append(names, r.FullName())
				}
			}
			if len(p.refs) == 0 {
				_, err := p.pick(nil)
				return err
			}
			c, host, err := d.client(dir, envName)
			if err != nil {
				return err
			}
			res, err := c.DeployFunctions(cmd.Context(), p.uploadFiles(), names)
			if err != nil {
				if d.printCompileError(err) {
					return errors.New("nothing was deployed: the functions do not compile")
				}
				return err
			}
			u := d.ui
			for _, f := range res.Deployed {
				state := u.green("deployed")
				if !f.Changed {
					state = u.dim("unchanged")
				}
				fmt.Fprintf(d.stdout, "%s %s/%s  %s  %s  %s\n", u.green("✓"), f.Integration, f.Name, u.dim(f.Type), u.dim(cmpOr(f.Version, "(no version)")), state)
			}
			fmt.Fprintf(d.stdout, "Deployed %d functions to %s (%s)\n", len(res.Deployed), host, envName)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", ".", "the project's directory")
	f.StringVar(&envName, "env", "dev", "the environment to deploy to (dev, prod, …)")
	f.StringSliceVar(&actions, "action", nil, "deploy only this action (repeatable)")
	f.StringSliceVar(&syncs, "sync", nil, "deploy only this sync (repeatable)")
	return cmd
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ─── dryrun ─────────────────────────────────────────────────────────────────

func (d *devCLI) dryrunCommand() *cobra.Command {
	var (
		dir, envName, integration                string
		input, metadata, checkpoint, lastSyncStr string
		saveResponses                            bool
	)
	cmd := &cobra.Command{
		Use:   "dryrun <function> <connection-id>",
		Short: "Run a function on the server against a connection, storing nothing",
		Long: "Send the project's sources to PATCHBAY_HOST and run one function against a real\n" +
			"connection: requests reach the provider, but records, checkpoints and metadata changes\n" +
			"are reported instead of stored. JSON flags take the JSON or @file.\n" +
			"--save-responses writes what the run did to <integration>/tests/<name>.test.json.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProject(dir)
			if err != nil {
				return err
			}
			if _, err := p.pick(nil); err != nil {
				return err
			}
			r, err := functions.Find(p.refs, args[0])
			if err != nil {
				return err
			}
			req := client.DryrunRequest{
				Files: p.uploadFiles(), Function: r.FullName(), Integration: cmpOr(integration, r.Integration),
				ConnectionID: args[1], SaveResponses: saveResponses,
			}
			if req.Input, err = jsonFlag("input", input); err != nil {
				return err
			}
			if req.Metadata, err = objectFlag("metadata", metadata); err != nil {
				return err
			}
			if req.Checkpoint, err = objectFlag("checkpoint", checkpoint); err != nil {
				return err
			}
			if lastSyncStr != "" {
				t, err := time.Parse(time.RFC3339, lastSyncStr)
				if err != nil {
					return fmt.Errorf("--last-sync-date: want an RFC 3339 time such as 2024-01-31T00:00:00Z, got %q", lastSyncStr)
				}
				req.LastSyncDate = t.UTC().Format(time.RFC3339Nano)
			}
			c, _, err := d.client(dir, envName)
			if err != nil {
				return err
			}
			res, err := c.DryrunFunction(cmd.Context(), req)
			if err != nil {
				if d.printCompileError(err) {
					return errors.New("the dry run did not start: the functions do not compile")
				}
				return err
			}
			d.printDryrun(r, req, res)
			if res.Error != nil {
				return fmt.Errorf("%s failed: %s", r.FullName(), res.Error.Type)
			}
			if saveResponses {
				return d.saveFixture(p, r, req, res)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", ".", "the project's directory")
	f.StringVar(&envName, "env", "dev", "the environment the connection is in (dev, prod, …)")
	f.StringVar(&integration, "integration", "", "the integration key of the connection (default: the function's folder)")
	f.StringVar(&input, "input", "", "an action's input: JSON or @file")
	f.StringVar(&metadata, "metadata", "", "connection metadata for this run: a JSON object or @file")
	f.StringVar(&checkpoint, "checkpoint", "", "a sync's checkpoint at the start: a JSON object or @file")
	f.StringVar(&lastSyncStr, "last-sync-date", "", "a sync's last sync date (RFC 3339)")
	f.BoolVar(&saveResponses, "save-responses", false, "write the run as a test fixture to <integration>/tests/<name>.test.json")
	return cmd
}

// jsonFlag reads a flag that holds JSON or @file.
func jsonFlag(name, value string) (json.RawMessage, error) {
	if value == "" {
		return nil, nil
	}
	b := []byte(value)
	if file, ok := strings.CutPrefix(value, "@"); ok {
		var err error
		if b, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, fmt.Errorf("--%s: not valid JSON", name)
	}
	return json.RawMessage(b), nil
}

func objectFlag(name, value string) (map[string]any, error) {
	raw, err := jsonFlag(name, value)
	if raw == nil || err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("--%s: want a JSON object", name)
	}
	return m, nil
}

func (d *devCLI) printDryrun(r functions.Ref, req client.DryrunRequest, res *client.DryrunResponse) {
	u := d.ui
	w := d.stdout
	mark := u.green("✓")
	if res.Error != nil {
		mark = u.red("✗")
	}
	fmt.Fprintf(w, "%s %s (%s) on connection %s  %s\n", mark, r.FullName(), r.Type, req.ConnectionID, u.dim(fmt.Sprintf("%.0f ms", res.DurationMs)))

	if len(res.Logs) > 0 {
		fmt.Fprintf(w, "\n%s\n", u.bold("Logs"))
		for _, l := range res.Logs {
			fmt.Fprintf(w, "  %s %s %s\n", u.dim(l.Time.Local().Format("15:04:05.000")), u.level(l.Level), l.Message)
		}
	}

	if len(res.Records) > 0 {
		fmt.Fprintf(w, "\n%s\n", u.bold("Records"))
		type counts struct{ saved, updated, deleted int }
		byModel := map[string]*counts{}
		var models []string
		for _, op := range res.Records {
			c := byModel[op.Model]
			if c == nil {
				c = &counts{}
				byModel[op.Model] = c
				models = append(models, op.Model)
			}
			switch op.Op {
			case functions.RecordsSave:
				c.saved += len(op.Records)
			case functions.RecordsUpdate:
				c.updated += len(op.Records)
			case functions.RecordsDelete:
				c.deleted += len(op.Records)
			}
		}
		for _, m := range models {
			c := byModel[m]
			fmt.Fprintf(w, "  %s: %d saved, %d updated, %d deleted\n", u.bold(m), c.saved, c.updated, c.deleted)
		}
		for _, op := range res.Records {
			if len(op.Records) == 0 {
				fmt.Fprintf(w, "  %s %s\n", u.dim(op.Op), op.Model)
				continue
			}
			fmt.Fprintf(w, "  %s %s (%d)\n", u.dim(op.Op), op.Model, len(op.Records))
			for _, rec := range op.Records {
				fmt.Fprintln(w, indent(pretty(rec), "    "))
			}
		}
	}

	if len(res.Checkpoints) > 0 {
		fmt.Fprintf(w, "\n%s\n", u.bold("Checkpoints"))
		for _, cp := range res.Checkpoints {
			b, _ := json.Marshal(cp)
			fmt.Fprintf(w, "  %s\n", b)
		}
	}
	if res.Metadata != nil {
		b, _ := json.Marshal(res.Metadata)
		fmt.Fprintf(w, "\n%s (not saved by a dry run)\n  %s\n", u.bold("Metadata"), b)
	}

	if res.Error != nil {
		fmt.Fprintf(w, "\n%s %s: %s\n", u.red("Error"), res.Error.Type, res.Error.Message)
		if len(res.Error.Payload) > 0 && string(res.Error.Payload) != "{}" {
			fmt.Fprintln(w, indent(pretty(res.Error.Payload), "  "))
		}
	} else if r.Type == "action" || (len(res.Output) > 0 && string(res.Output) != "null") {
		fmt.Fprintf(w, "\n%s\n%s\n", u.bold("Output"), indent(pretty(res.Output), "  "))
	}
}

func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// saveFixture writes a dry run as <integration>/tests/<name>.test.json.
func (d *devCLI) saveFixture(p *project, r functions.Ref, req client.DryrunRequest, res *client.DryrunResponse) error {
	calls := make([]functions.Call, len(res.Calls))
	for i, c := range res.Calls {
		calls[i] = functions.Call{Method: c.Method, Endpoint: c.Endpoint, Params: c.Params, Data: c.Data, Headers: c.Headers,
			Status: c.Status, Response: c.Response, ResponseHeaders: c.ResponseHeaders}
	}
	records := make([]*functions.RecordOp, len(res.Records))
	for i, op := range res.Records {
		records[i] = &functions.RecordOp{Op: op.Op, Model: op.Model, Records: op.Records}
	}
	var output json.RawMessage
	if r.Type == "action" {
		output = res.Output
		if len(output) == 0 {
			output = json.RawMessage("null")
		}
	}
	b, err := fixtures.FromCalls(req.Input, output, calls, records, fixtures.Extra{Metadata: req.Metadata, Checkpoint: req.Checkpoint})
	if err != nil {
		return err
	}
	target := filepath.Join(p.dir, filepath.FromSlash(fixturePath(r)))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(target, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(d.stdout, "\nWrote %s (%d requests): run it with `patchbay test %s`\n", target, len(calls), r.FullName())
	return nil
}

// ─── terminal output ────────────────────────────────────────────────────────

// ui colours output written to a terminal when NO_COLOR is unset.
type ui struct{ color bool }

func newUI(w io.Writer, getenv func(string) string) ui {
	return ui{color: getenv("NO_COLOR") == "" && isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (u ui) paint(code, s string) string {
	if !u.color || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (u ui) green(s string) string  { return u.paint("32", s) }
func (u ui) red(s string) string    { return u.paint("31", s) }
func (u ui) yellow(s string) string { return u.paint("33", s) }
func (u ui) dim(s string) string    { return u.paint("2", s) }
func (u ui) bold(s string) string   { return u.paint("1", s) }

// level formats a log level to a fixed width, coloured by severity.
func (u ui) level(l string) string {
	s := fmt.Sprintf("%-5s", l)
	switch l {
	case "error":
		return u.red(s)
	case "warn":
		return u.yellow(s)
	case "debug":
		return u.dim(s)
	}
	return s
}
