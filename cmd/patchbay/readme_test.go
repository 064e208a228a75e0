//go:build unix

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeSkipped are the README's shell blocks no test runs, by a line
// each contains, and why. Any other block runs: a block added to the
// README is tested unless it is listed here.
var readmeSkipped = map[string]string{
	"go install ./cmd/patchbay":             "builds the binary, as this test does first",
	"go run ./cmd/patchbay serve":           "runs until stopped, then the whole test suite, this test included",
	"go run ./cmd/patchbay simulate --addr": "runs until stopped; the Quickstart starts the same two",
}

// TestReadmeShellBlocks runs the README's shell blocks, in order, in one
// bash, with a freshly built patchbay on PATH: the Quickstart (the
// simulator and the server start; an integration, a connection, a proxied
// call, a deploy and an action run follow), then the blocks of the README
// `patchbay init` writes, in the project the Quickstart made, then the
// README's other blocks, against the same server. Only the ports change
// (to free ones), so the test runs beside anything else.
func TestReadmeShellBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's blocks need %s", tool)
		}
	}
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	quickstart, others := readmeBlocks(t, string(readme))
	scaffoldReadme, err := scaffold.ReadFile("scaffold/README.md")
	if err != nil {
		t.Fatal(err)
	}
	project := shellBlocks(string(scaffoldReadme))
	if len(project) == 0 {
		t.Fatal("the scaffold's README has no shell blocks")
	}

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "patchbay"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	server, simulator := freePort(t), freePort(t)
	// The Quickstart leaves the shell in the project it made, where the
	// project's README is meant to be followed.
	script := "set -euo pipefail\n" + strings.Join(quickstart, "\n") + "\n" + strings.Join(project, "\n") + "\n" + strings.Join(others, "\n")
	script = strings.ReplaceAll(script, "127.0.0.1:3003", server)
	script = strings.ReplaceAll(script, "127.0.0.1:3010", simulator)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	// The defaults the README relies on (serve's address, the host deploy
	// calls) move with the port.
	cmd.Env = append(cleanEnv(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PATCHBAY_ADDR="+server, "PATCHBAY_HOST=http://"+server)
	// Its own process group, so the server and the simulator it starts in
	// the background go with it whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		logs, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
		t.Fatalf("the README's blocks failed: %v\n%s\nserve.log:\n%s", err, out, logs)
	}
	for _, want := range []string{
		`"unique_key":"github"`,                        // the integration
		"http://" + server + "/connect?session_token=", // the connect link
		`"login":"octocat"`,                            // the proxied call
		"Deployed 2 functions",                         // the deploy
		`"title":"Hello from Patchbay"`,                // the action's output
		"✓ github/issues (sync) on connection",         // the project README's dry run
		"1 passed, 0 failed",                           // and the test of what it saved
		`{"result":"ok"}`,                              // the Develop section's health check
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

var fence = regexp.MustCompile("(?s)```sh\n(.*?)```")

func shellBlocks(markdown string) []string {
	var blocks []string
	for _, m := range fence.FindAllStringSubmatch(markdown, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// readmeBlocks returns the README's shell blocks: the Quickstart's, and
// the others that are not skipped.
func readmeBlocks(t *testing.T, readme string) (quickstart, others []string) {
	t.Helper()
	before, section, ok := strings.Cut(readme, "\n## Quickstart")
	if !ok {
		t.Fatal("README has no Quickstart section")
	}
	after := ""
	if i := strings.Index(section, "\n## "); i >= 0 {
		section, after = section[:i], section[i:]
	}
	quickstart = shellBlocks(section)
	if len(quickstart) < 4 {
		t.Fatalf("the Quickstart has %d shell blocks", len(quickstart))
	}
	used := map[string]bool{}
	for _, b := range shellBlocks(before + after) {
		skip := false
		for line := range readmeSkipped {
			if strings.Contains(b, line) {
				used[line], skip = true, true
			}
		}
		if !skip {
			others = append(others, b)
		}
	}
	for line, why := range readmeSkipped {
		if !used[line] {
			t.Errorf("no README block has %q any more (skipped because it %s): update readmeSkipped", line, why)
		}
	}
	return quickstart, others
}

// freePort returns a loopback host:port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cleanEnv is the test's environment without Patchbay's and Nango's
// variables, which would point the blocks elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATCHBAY_") && !strings.HasPrefix(kv, "NANGO_") {
			env = append(env, kv)
		}
	}
	return env
}
