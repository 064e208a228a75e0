package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/fixtures"
)

// A test file is a project's <integration>/tests/<name>.test.ts, written
// for vitest as Nango's templates' are. `patchbay test` runs it in the
// sandbox (functions.CompileTest) in place of the function's .test.json,
// which its mocks read.
type testFile struct {
	path        string
	integration string
	// tests are the functions it imports, by entry path.
	tests []string
}

// testFileImport finds a test file's imports of its integration's
// functions: from '../actions/x.js', '../syncs/x', …
var testFileImport = regexp.MustCompile(`(?m)(?:from|import)\s*\(?\s*['"]\.\./((?:actions|syncs|on-events)/[^'"]+?)(?:\.[cm]?[jt]s)?['"]`)

// testFiles lists the project's test files, by path.
func (p *project) testFiles() []testFile {
	var out []testFile
	for name, text := range p.files {
		parts := strings.Split(name, "/")
		if len(parts) != 3 || parts[1] != "tests" || !strings.HasSuffix(name, ".test.ts") {
			continue
		}
		tf := testFile{path: name, integration: parts[0]}
		for _, m := range testFileImport.FindAllStringSubmatch(text, -1) {
			entry := parts[0] + "/" + m[1] + ".ts"
			if !slices.Contains(tf.tests, entry) {
				tf.tests = append(tf.tests, entry)
			}
		}
		out = append(out, tf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// testCounts are a run's cases by outcome; untested counts functions
// with neither a test file nor a fixture.
type testCounts struct{ passed, failed, untested int }

// runTestFile runs one test file and prints a line per case.
func (d *devCLI) runTestFile(ctx context.Context, rt *functions.Runtime, cat *catalog.Catalog, p *project, tf testFile, cache *functions.BuildCache) testCounts {
	u := d.ui
	label := strings.TrimSuffix(tf.path, ".test.ts")
	var n testCounts
	fail := func(lines ...string) testCounts {
		fmt.Fprintf(d.stdout, "%s %s\n", u.red("✗"), tf.path)
		for _, l := range lines {
			fmt.Fprintf(d.stdout, "    %s\n", strings.ReplaceAll(l, "\n", "\n    "))
		}
		n.failed++
		return n
	}
	b, err := functions.CompileTestCached(functions.Source{Files: p.files, Entry: tf.path}, cache)
	if err != nil {
		if ce, ok := functions.IsCompileError(err); ok {
			lines := make([]string, len(ce.Errors))
			for i, pos := range ce.Errors {
				lines[i] = pos.String()
			}
			return fail(lines...)
		}
		return fail(err.Error())
	}
	host, err := fixtures.NewTestFile(p.files, tf.path, fixtures.Options{Integration: tf.integration, ConnectionID: testConnectionID, Catalog: cat})
	if err != nil {
		return fail(err.Error())
	}
	input, err := json.Marshal(functions.TestInput{File: tf.path, Dirname: host.Dirname()})
	if err != nil {
		return fail(err.Error())
	}
	_, runErr := rt.Run(ctx, &functions.Execution{
		Bundle: b, Kind: functions.KindTest, Host: host, Input: input, Limits: functions.Limits{Timeout: testTimeout},
		Info: functions.Info{Name: tf.path, ConnectionID: testConnectionID, ProviderConfigKey: tf.integration, Provider: tf.integration},
	})
	// A case's message tells positions in the bundle; they are told in
	// the sources.
	sm, _ := functions.ParseSourceMap(b.SourceMap)
	anyFailed := false
	for _, r := range host.Results() {
		if sm != nil && !r.OK {
			r.Message = sm.Rewrite(r.Message)
		}
		switch {
		case r.Skipped:
			fmt.Fprintf(d.stdout, "%s %s > %s  %s\n", u.dim("-"), label, r.Name, u.dim("skipped"))
		case r.OK:
			n.passed++
			fmt.Fprintf(d.stdout, "%s %s > %s  %s\n", u.green("✓"), label, r.Name, u.dim(formatMs(r.Ms)))
		default:
			n.failed++
			anyFailed = true
			fmt.Fprintf(d.stdout, "%s %s > %s\n", u.red("✗"), label, r.Name)
			for _, l := range strings.Split(r.Message, "\n") {
				fmt.Fprintf(d.stdout, "    %s\n", shorten(l))
			}
		}
	}
	if runErr != nil {
		lines := []string{runErr.Error()}
		var fe *functions.Failure
		if errors.As(runErr, &fe) {
			lines = []string{fe.Message}
			if len(fe.Payload) > 0 {
				if stack, ok := stackLines(fe.Payload, nil); ok {
					lines = append(lines, stack...)
				}
			}
		}
		anyFailed = true
		c := fail(lines...)
		n.failed = c.failed
	}
	if anyFailed {
		if logs := host.Logs(); len(logs) > 0 {
			fmt.Fprintf(d.stdout, "    %s\n", u.dim("logs of "+tf.path+":"))
			for _, l := range logs[max(0, len(logs)-20):] {
				fmt.Fprintf(d.stdout, "      %s %s\n", u.level(l.Level), l.Message)
			}
		}
	}
	return n
}

// maxLine bounds a line of a failure: a fixture's list of what it has
// for an endpoint can run to tens of kilobytes.
const maxLine = 400

func shorten(l string) string {
	if len(l) <= maxLine {
		return l
	}
	cut := maxLine
	for cut > 0 && !utf8.RuneStart(l[cut]) {
		cut--
	}
	return l[:cut] + fmt.Sprintf("… (%d more bytes)", len(l)-cut)
}

func formatMs(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", int(ms))
	}
	return fmt.Sprintf("%.1f s", ms/1000)
}

// testPlan says what `patchbay test` runs for refs: the test files that
// import them (every test file when all functions are tested), and the
// .test.json fixtures of the functions no test file imports.
func (p *project) testPlan(refs []functions.Ref, all bool) (files []testFile, fixtureOnly []functions.Ref) {
	covered := map[string]bool{}
	for _, tf := range p.testFiles() {
		selected := all
		for _, entry := range tf.tests {
			covered[entry] = true
			if slices.ContainsFunc(refs, func(r functions.Ref) bool { return r.Entry == entry }) {
				selected = true
			}
		}
		if selected {
			files = append(files, tf)
		}
	}
	for _, r := range refs {
		if !covered[path.Clean(r.Entry)] {
			fixtureOnly = append(fixtureOnly, r)
		}
	}
	return files, fixtureOnly
}
