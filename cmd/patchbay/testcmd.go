package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/fixtures"
	"github.com/patchbay/patchbay/internal/inorder"
)

func (d *devCLI) testCommand() *cobra.Command {
	var dir, providersFile, cpuprofile string
	var noCache bool
	cmd := &cobra.Command{
		Use:   "test [function]",
		Short: "Run functions' tests: tests/*.test.ts (vitest) and tests/<name>.test.json fixtures",
		Long: "Run each function's tests locally. A test file <integration>/tests/*.test.ts written for vitest\n" +
			"(as Nango's templates' are) runs in the sandbox with Patchbay's own vitest and Nango mocks, which\n" +
			"answer from the function's .test.json; a function no test file imports runs against its\n" +
			"<integration>/tests/<name>.test.json (Nango's fixture format): requests are answered from the\n" +
			"fixture, pagination runs as on the server, and an action's output or a sync's saved records\n" +
			"are compared with what the fixture expects.",
		Args: maxArgs(1, "the function to test; all when none"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cpuprofile != "" {
				stop, err := startCPUProfile(cpuprofile)
				if err != nil {
					return err
				}
				defer stop()
			}
			p, refs, err := d.localProject(dir, args)
			if err != nil {
				return err
			}
			// Provider defaults (base URL, pagination) come from the same
			// catalog the server would load.
			providers := providersFile
			if providers == "" {
				providers = d.env(dir).get("PATCHBAY_PROVIDERS_FILE")
			}
			cat, err := catalog.Load(providers)
			if err != nil {
				return err
			}
			rt := functions.NewRuntime()
			defer rt.Close()
			// Functions are built a few at a time ahead of the tests
			// (from the build cache when unchanged), and tested in order.
			opts := functions.BuildOptions{Skip: func(r functions.Ref) bool {
				_, _, ok := p.findFixture(r)
				return !ok
			}}
			if !noCache {
				opts.Cache = d.buildCache(p)
			}
			passed, failed, untested := 0, 0, 0
			files, fixtureOnly := p.testPlan(refs, len(args) == 0)
			// Test files run a few at a time, each printing into a buffer
			// of its own; the buffers are printed in the files' order.
			type fileRun struct {
				out bytes.Buffer
				n   testCounts
			}
			err = inorder.Run(cmd.Context(), runtime.GOMAXPROCS(0), files, func(ctx context.Context, tf testFile) *fileRun {
				run := &fileRun{}
				dd := *d
				dd.stdout = &run.out
				run.n = dd.runTestFile(ctx, rt, cat, p, tf)
				return run
			}, func(run *fileRun) error {
				d.stdout.Write(run.out.Bytes())
				passed += run.n.passed
				failed += run.n.failed
				return nil
			})
			if err != nil {
				return err
			}
			err = rt.BuildAll(cmd.Context(), p.files, fixtureOnly, opts, func(b functions.Built) error {
				switch d.testOne(cmd.Context(), rt, cat, p, b) {
				case testPassed:
					passed++
				case testFailed:
					failed++
				default:
					untested++
				}
				return nil
			})
			if err != nil {
				return err
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
	cmd.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run (go tool pprof reads it) to this file")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "build every function afresh, neither reading nor writing "+buildCacheDir)
	cmd.Flags().StringVar(&providersFile, "providers-file", "", "a Nango-format providers.yaml loaded over the built-in catalog, as the server's (default: PATCHBAY_PROVIDERS_FILE from the environment or .env)")
	return cmd
}

type testOutcome int

const (
	testPassed testOutcome = iota
	testFailed
	testMissing
)

// testOne tests one function, built into b.
func (d *devCLI) testOne(ctx context.Context, rt *functions.Runtime, cat *catalog.Catalog, p *project, built functions.Built) testOutcome {
	r := built.Ref
	u := d.ui
	fp, raw, ok := p.findFixture(r)
	if !ok {
		fmt.Fprintf(d.stdout, "%s %s  %s\n", u.dim("-"), p.label(r), u.dim("no tests ("+fp+")"))
		return testMissing
	}
	fail := func(lines ...string) testOutcome {
		fmt.Fprintf(d.stdout, "%s %s\n", u.red("✗"), p.label(r))
		for _, l := range lines {
			fmt.Fprintf(d.stdout, "    %s\n", l)
		}
		return testFailed
	}
	f, err := fixtures.Parse([]byte(raw))
	if err != nil {
		return fail(fmt.Sprintf("%s: %v", fp, err))
	}
	b, def, problems := built.Bundle, built.Definition, checkFunction(r, built.Definition, built.Err)
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
		// As Nango's test runner: the raw input, neither input nor output
		// checked against the schemas.
		exec.Input, exec.Validation = f.Input, functions.Unvalidated
	}
	start := time.Now()
	out, runErr := rt.Run(ctx, exec)
	took := time.Since(start)
	diffs := fixtures.Check(host.Result(kind, out, runErr), f)
	if len(diffs) == 0 {
		fmt.Fprintf(d.stdout, "%s %s  %s\n", u.green("✓"), p.label(r), u.dim(formatDuration(took)))
		return testPassed
	}
	lines := make([]string, 0, len(diffs))
	for _, df := range diffs {
		lines = append(lines, df.String())
	}
	var fe *functions.Failure
	if errors.As(runErr, &fe) && len(fe.Payload) > 0 {
		// The runtime told the stack in the sources, with b's map.
		if stack, ok := stackLines(fe.Payload, nil); ok {
			lines = append(lines, stack...)
		} else {
			lines = append(lines, "payload: "+string(fe.Payload))
		}
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
