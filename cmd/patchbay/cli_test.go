package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIOutput runs command lines as main does and checks what reaches
// stdout and stderr and the exit code: help that shows each command its
// own flags, and failures in one style (the command, what failed and why,
// then what to do).
func TestCLIOutput(t *testing.T) {
	t.Parallel()
	project := initProject(t)
	writeFile(t, project, ".env", "PATCHBAY_SECRET_KEY=k\n")
	keyless := initProject(t)
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	// A busy port fails serve before it creates anything.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	untouched := filepath.Join(t.TempDir(), "data")
	t.Cleanup(func() {
		busy.Close()
		if _, err := os.Stat(untouched); err == nil {
			t.Error("serve on a busy port created its data dir")
		}
	})

	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		stdout     []string // each must appear
		stderr     []string // each must appear
		notStdout  []string // none may appear
		notStderr  []string
		exactLines int // stderr's line count, when not 0
	}{
		{name: "root help lists commands, no server flags", args: []string{"--help"},
			stdout: []string{"Available Commands:", "  serve ", "  -h, --help ", "  -v, --version "}, notStdout: []string{"[=true|false]", "--database-url", "--refresh-window"}},
		{name: "init help has its own flags only", args: []string{"init", "--help"},
			stdout: []string{"--force ", "-h, --help "}, notStdout: []string{"[=true|false]", "Global Flags", "--database-url", "--addr"}},
		{name: "deploy help", args: []string{"deploy", "--help"},
			stdout: []string{"--host ", "--env ", "PATCHBAY_SECRET_KEY_<ENV>"}, notStdout: []string{"--addr", "--data-dir", "--secret-key"}},
		{name: "serve help has the server's flags", args: []string{"serve", "--help"},
			stdout: []string{"--database-url ", "--refresh-window ", "[PATCHBAY_DATA_DIR]", "--addr "}},
		{name: "keys help has the store's flags", args: []string{"keys", "--help"},
			stdout: []string{"--data-dir ", "--database-url ", "--env ", "-q, --quiet "}, notStdout: []string{"--refresh-window", "--function-memory"}},
		{name: "keys rotate inherits them", args: []string{"keys", "rotate", "--help"},
			stdout: []string{"--env ", "Global Flags:", "--data-dir "}, notStdout: []string{"--refresh-window"}},
		{name: "version", args: []string{"--version"}, stdout: []string{"patchbay ", "go1."}},

		{name: "flag of another command", args: []string{"deploy", "--addr", "127.0.0.1:3003"}, code: 2,
			stderr: []string{"patchbay deploy: unknown flag: --addr\n", "Run `patchbay deploy --help` for usage."}, exactLines: 2},
		{name: "server flag on init", args: []string{"init", "--database-url", "postgres://x"}, code: 2,
			stderr: []string{"patchbay init: unknown flag: --database-url"}},
		{name: "dryrun without arguments names both", args: []string{"dryrun"}, code: 2,
			stderr: []string{"patchbay dryrun: want 2 arguments, the function", "and the connection id; got none", "patchbay dryrun --help"}},
		{name: "too many arguments", args: []string{"test", "a", "b"}, code: 2,
			stderr: []string{"patchbay test: want at most 1 argument", "got a b"}},
		{name: "arguments where none are taken", args: []string{"serve", "now"}, code: 2,
			stderr: []string{"patchbay serve: want no arguments, got now"}},
		{name: "unknown command", args: []string{"deplyo"}, code: 2, stderr: []string{`unknown command "deplyo"`}},
		{name: "required flag", args: []string{"keys", "rotate"}, code: 2, stderr: []string{`patchbay keys rotate: required flag(s) "env" not set`}},
		{name: "flag that does nothing for a sync", args: []string{"dryrun", "--dir", project, "issues", "c1", "--input", "{}"}, code: 2,
			stderr: []string{"patchbay dryrun: --input is for actions; github/issues is a sync"}},
		{name: "--force without --save-responses", args: []string{"dryrun", "--dir", project, "issues", "c1", "--force"}, code: 2,
			stderr: []string{"--force only matters with --save-responses"}},

		{name: "server not running", env: map[string]string{"PATCHBAY_HOST": closed}, args: []string{"deploy", "--dir", project}, code: 1,
			stderr:    []string{"patchbay deploy: could not reach the Patchbay server at " + closed + ": connection refused\n", "patchbay serve", "PATCHBAY_HOST"},
			notStderr: []string{"patchbay: patchbay:", "patchbay deploy: patchbay:"}, exactLines: 2},
		{name: "--host wins over PATCHBAY_HOST", env: map[string]string{"PATCHBAY_HOST": "http://example.invalid"}, args: []string{"deploy", "--dir", project, "--host", closed}, code: 1,
			stderr: []string{"could not reach the Patchbay server at " + closed}},
		{name: "host without a scheme", env: map[string]string{"PATCHBAY_HOST": "localhost:3003"}, args: []string{"deploy", "--dir", project}, code: 1,
			stderr: []string{`patchbay deploy: PATCHBAY_HOST is "localhost:3003", not a server URL`, "e.g. http://localhost:3003."}},
		{name: "--host without a scheme", args: []string{"dryrun", "--dir", project, "issues", "c1", "--host", "127.0.0.1:3003"}, code: 1,
			stderr: []string{`--host is "127.0.0.1:3003", not a server URL`, "http://127.0.0.1:3003"}},
		{name: "Nango's variables", env: map[string]string{"NANGO_HOSTPORT": closed}, args: []string{"deploy", "--dir", project}, code: 1,
			stderr: []string{"could not reach the Patchbay server at " + closed}},
		{name: "no secret key", args: []string{"deploy", "--dir", keyless}, code: 1,
			stderr: []string{`no secret key for environment "dev"`, "export PATCHBAY_SECRET_KEY_DEV=$(patchbay keys --env dev --quiet)"}},
		{name: "no project there", args: []string{"compile", "--dir", filepath.Join(keyless, "nope")}, code: 1,
			stderr: []string{"patchbay compile: no project at ", "the directory does not exist", "patchbay init "}},
		{name: "a project without functions", args: []string{"test", "--dir", t.TempDir()}, code: 1,
			stderr: []string{"patchbay test: no functions in ", "Create a project with `patchbay init`"}},
		{name: "keys before the server ever ran", env: map[string]string{"PATCHBAY_DATA_DIR": t.TempDir()}, args: []string{"keys"}, code: 1,
			stderr: []string{"patchbay keys: ", "run `patchbay serve` once first"}},
		{name: "bad configuration names the flag", args: []string{"serve", "--log-level", "loud"}, code: 1,
			stderr: []string{"PATCHBAY_LOG_LEVEL (--log-level)", `"loud"`}},
		{name: "busy port", env: map[string]string{"PATCHBAY_ADDR": busy.Addr().String(), "PATCHBAY_DATA_DIR": untouched}, args: []string{"serve"}, code: 1,
			stderr:    []string{"patchbay serve: listen on " + busy.Addr().String(), "address already in use", "--addr (PATCHBAY_ADDR)"},
			notStdout: []string{"Secret key"}},
		{name: "keys do not name flags they lack", env: map[string]string{"PATCHBAY_REFRESH_WINDOW": "forever"}, args: []string{"keys"}, code: 1,
			stderr: []string{"PATCHBAY_REFRESH_WINDOW: want a duration"}, notStderr: []string{"--refresh-window"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr syncBuffer
			env := tt.env
			code := execute(t.Context(), tt.args, &stdout, &stderr, func(k string) string { return env[k] })
			out, errOut := stdout.String(), stderr.String()
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notStdout {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tt.notStderr {
				if strings.Contains(errOut, w) {
					t.Errorf("stderr has %q:\n%s", w, errOut)
				}
			}
			if n := strings.Count(errOut, "\n"); tt.exactLines != 0 && n != tt.exactLines {
				t.Errorf("stderr has %d lines, want %d:\n%s", n, tt.exactLines, errOut)
			}
		})
	}
}

// TestKeysWhileServing reads keys while a server holds the data dir, as
// `export KEY=$(patchbay keys --env dev --quiet)` in the README does.
func TestKeysWhileServing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"PATCHBAY_DATA_DIR": dir, "PATCHBAY_ADDR": "127.0.0.1:0"}
	stdout, _ := serveOnce(t, env) // creates the data
	printed := uuidPattern.FindAllString(stdout.String(), -1)
	if len(printed) != 2 {
		t.Fatalf("first start printed %q", stdout.String())
	}

	stop := serveInBackground(t, env)
	defer stop()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"keys"}, "dev\t" + printed[0] + "\nprod\t" + printed[1] + "\n"},
		{[]string{"keys", "--env", "prod"}, "prod\t" + printed[1] + "\n"},
		{[]string{"keys", "--env", "dev", "--quiet"}, printed[0] + "\n"},
		{[]string{"keys", "-q"}, printed[0] + "\n" + printed[1] + "\n"},
	} {
		out, err := run(t, env, c.args...)
		if err != nil || out != c.want {
			t.Errorf("%v while serving: %q, %v; want %q", c.args, out, err, c.want)
		}
	}
	if _, err := run(t, env, "keys", "--env", "staging"); err == nil || !strings.Contains(err.Error(), `no environment "staging" (there are: dev, prod)`) {
		t.Errorf("unknown environment: %v", err)
	}
	// Changing keys still needs the server stopped.
	if _, err := run(t, env, "keys", "rotate", "--env", "dev"); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("rotate while serving: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "patchbay.db")); err != nil {
		t.Fatal(err)
	}
}

// TestProgressOnlyOnATerminal: the spinner never reaches a pipe or a log.
func TestProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	done := progress(&buf, "deploying…")
	time.Sleep(150 * time.Millisecond)
	done()
	if buf.String() != "" {
		t.Fatalf("progress wrote %q to a non-terminal", buf.String())
	}
}
