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
			// As many interpreters at work as there are cores, and more
			// tests under way: a test sleeping between polls (some
			// functions wait seconds for a job to finish) leaves its core
			// to the others.
			cores := runtime.GOMAXPROCS(0)
			rt.LimitBusy(cores)
			var cache *functions.BuildCache
			if !noCache {
				cache = d.buildCache(p)
			}
			files, fixtureOnly := p.testPlan(refs, len(args) == 0)
			// The test files, then the functions no test file imports,
			// each printing into a buffer of its own; the buffers are
			// printed in that order, whichever finishes first.
			jobs := make([]testJob, 0, len(files)+len(fixtureOnly))
			for _, tf := range files {
				jobs = append(jobs, testJob{file: &tf})
			}
			for _, r := range fixtureOnly {
				jobs = append(jobs, testJob{ref: r})
			}
			type jobRun struct {
				out bytes.Buffer
				n   testCounts
			}
			var total testCounts
			err = inorder.RunWindow(cmd.Context(), testWorkersPerCore*cores, len(jobs), jobs, func(ctx context.Context, j testJob) *jobRun {
				run := &jobRun{}
				dd := *d
				dd.stdout = &run.out
				if j.file != nil {
					run.n = dd.runTestFile(ctx, rt, cat, p, *j.file, cache)
					return run
				}
				built := functions.Built{Ref: j.ref, Skipped: true}
				if _, _, ok := p.findFixture(j.ref); ok {
					built = rt.Build(ctx, p.files, j.ref, cache)
				}
				switch dd.testOne(ctx, rt, cat, p, built) {
				case testPassed:
					run.n.passed++
				case testFailed:
					run.n.failed++
				default:
					run.n.untested++
				}
				return run
			}, func(run *jobRun) error {
				d.stdout.Write(run.out.Bytes())
				total.passed += run.n.passed
				total.failed += run.n.failed
				total.untested += run.n.untested
				return nil
			})
			if err != nil {
				return err
			}
			passed, failed, untested := total.passed, total.failed, total.untested
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

// testWorkersPerCore are the tests under way per core: most compute, a
// few sleep. The results waiting for their turn to print behind a slow
// one are not bounded: each is a few lines of text, and a test sleeping
// 16 s (coda's upsert-rows polls a job) would otherwise stop every
// worker once a bounded window behind it filled.
const testWorkersPerCore = 4

// A testJob is a test file to run, or else a function to test against
// its .test.json.
type testJob struct {
	file *testFile
	ref  functions.Ref
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
