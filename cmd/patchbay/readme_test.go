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

// TestReadmeQuickstart runs the shell blocks of the README's quickstart, in
// order, in one bash, with a freshly built patchbay on PATH: the simulator
// and the server start, an integration, a connection, a proxied call, a
// deploy and an action run follow, as a reader would type them. Only the
// ports change (to free ones), so the test runs beside anything else.
func TestReadmeQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the quickstart needs %s", tool)
		}
	}
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := quickstartBlocks(t, string(readme))

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "patchbay"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	server, simulator := freePort(t), freePort(t)
	script := "set -euo pipefail\n" + strings.Join(blocks, "\n")
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
		t.Fatalf("quickstart failed: %v\n%s\nserve.log:\n%s", err, out, logs)
	}
	for _, want := range []string{
		`"unique_key":"github"`,                        // the integration
		"http://" + server + "/connect?session_token=", // the connect link
		`"login":"octocat"`,                            // the proxied call
		"Deployed 2 functions",                         // the deploy
		`"title":"Hello from Patchbay"`,                // the action's output
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, out)
		}
	}
}

var fence = regexp.MustCompile("(?s)```sh\n(.*?)```")

// quickstartBlocks returns the ```sh blocks of the README's Quickstart
// section.
func quickstartBlocks(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Quickstart")
	if !ok {
		t.Fatal("README has no Quickstart section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var blocks []string
	for _, m := range fence.FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 4 {
		t.Fatalf("the Quickstart has %d shell blocks", len(blocks))
	}
	return blocks
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
// variables, which would point the quickstart elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATCHBAY_") && !strings.HasPrefix(kv, "NANGO_") {
			env = append(env, kv)
		}
	}
	return env
}
