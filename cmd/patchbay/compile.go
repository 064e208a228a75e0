package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/functions"
)

func (d *devCLI) compileCommand() *cobra.Command {
	var dir, cpuprofile string
	var noCache bool
	cmd := &cobra.Command{
		Use:   "compile [function…]",
		Short: "Bundle the project's functions and check their definitions",
		Long: "Bundle each function (or those named: <name>, <integration>/<name>, and actions/<name>\n" +
			"or syncs/<name> where both exist) with the compiler the server uses, and check what it exports:\n" +
			"zod schemas for an action's input and output, a sync's models. A function's type is what it\n" +
			"exports (createAction, createSync, createOnEvent), as for Nango; one in another type's folder\n" +
			"gets a warning.\n" +
			"Errors are printed as file:line:col.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if cpuprofile != "" {
				stop, err := startCPUProfile(cpuprofile)
				if err != nil {
					return err
				}
				defer stop()
			}
			// Without the test data: compiling needs only the sources.
			p, refs, err := d.localFiles(dir, args, loadSources)
			if err != nil {
				return err
			}
			rt := functions.NewRuntime()
			defer rt.Close()
			opts := functions.BuildOptions{}
			if !noCache {
				opts.Cache = d.buildCache(p)
			}
			failed := 0
			var claims functions.Claims
			err = rt.BuildAll(cmd.Context(), p.files, refs, opts, func(b functions.Built) error {
				r := b.Ref
				problems := checkFunction(r, b.Definition, b.Err)
				if len(problems) == 0 {
					if err := claims.Claim(r); err != nil {
						problems = []functions.Position{{File: r.Entry, Message: err.Error()}}
					}
				}
				if len(problems) > 0 {
					failed++
					d.printProblems(p, r, problems)
					return nil
				}
				def := b.Definition
				fmt.Fprintf(d.stdout, "%s %s  %s  %s\n", d.ui.green("✓"), p.label(r), d.ui.dim(def.Type), d.ui.dim(versionOf(def)))
				d.warnMisplaced(r)
				return nil
			})
			if err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d functions failed to compile", failed, len(refs))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the project's directory")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "build every function afresh, neither reading nor writing "+buildCacheDir)
	cmd.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run (go tool pprof reads it) to this file")
	return cmd
}

func versionOf(def *functions.Definition) string {
	if def.Version == "" {
		return "(no version)"
	}
	return def.Version
}

// printProblems prints what is wrong with r.
func (d *devCLI) printProblems(p *project, r functions.Ref, problems []functions.Position) {
	fmt.Fprintf(d.stdout, "%s %s\n", d.ui.red("✗"), p.label(r))
	for _, pos := range problems {
		d.printPosition(pos)
	}
}

// buildCacheDir is where, in a project, the compile keeps what it built
// (functions.BuildCache).
const buildCacheDir = ".patchbay/cache/build"

// buildCache opens p's build cache, nil (and a warning) if it cannot:
// the build goes on without.
func (d *devCLI) buildCache(p *project) *functions.BuildCache {
	c, err := functions.OpenBuildCache(filepath.Join(p.dir, filepath.FromSlash(buildCacheDir)), functions.CompilerVersion())
	if err != nil {
		fmt.Fprintf(d.stderr, "patchbay: building without a cache: %v\n", err)
		return nil
	}
	return c
}

// checkFunction tells what is wrong with r, built into def, or whose
// compile or description failed with err.
func checkFunction(r functions.Ref, def *functions.Definition, err error) []functions.Position {
	if err != nil {
		if ce, ok := functions.IsCompileError(err); ok {
			return ce.Errors
		}
		msg := err.Error()
		var f *functions.Failure
		if errors.As(err, &f) {
			msg = f.Message
		}
		return []functions.Position{{File: r.Entry, Message: msg}}
	}
	var problems []functions.Position
	bad := func(format string, args ...any) {
		problems = append(problems, functions.Position{File: r.Entry, Message: fmt.Sprintf(format, args...)})
	}
	// def.Type need not be the folder's: what the file exports is the
	// function's type (warnMisplaced says when they differ).
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
	return problems
}

// warnMisplaced warns, under built r's line, when its folder says another
// type than the one it exports: legal, as in Nango, but misleading.
func (d *devCLI) warnMisplaced(r functions.Ref) {
	if r.Misplaced() {
		fmt.Fprintf(d.stdout, "  %s %s\n", d.ui.yellow("warning:"), r.MisplacedWarning())
	}
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
