package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/client"
)

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

// secretKeyVars are the variables the secret key of environment name is
// read from, first found wins; Nango's name comes last, so that a Nango
// project's .env works unchanged.
func secretKeyVars(name string) []string {
	return []string{"PATCHBAY_SECRET_KEY_" + strings.ToUpper(name), "PATCHBAY_SECRET_KEY", "NANGO_SECRET_KEY_" + strings.ToUpper(name)}
}

// secretKeyHelp says, in commands' help, where the secret key comes from.
const secretKeyHelp = "PATCHBAY_SECRET_KEY_<ENV>, PATCHBAY_SECRET_KEY or NANGO_SECRET_KEY_<ENV>, in the\n" +
	"environment or the project's .env (never from a flag, which other users could read)."

// hostVars are the variables the server's URL is read from when --host is
// not given, first found wins.
var hostVars = []string{"PATCHBAY_HOST", "NANGO_HOSTPORT"}

// serverFlags are the flags of the commands that talk to a server.
type serverFlags struct {
	dir, env, host string
}

func (f *serverFlags) register(cmd *cobra.Command, envUsage string) {
	fs := cmd.Flags()
	fs.StringVar(&f.dir, "dir", ".", "the project's directory")
	fs.StringVar(&f.env, "env", "dev", envUsage)
	fs.StringVar(&f.host, "host", "", "the server's URL (default: PATCHBAY_HOST or NANGO_HOSTPORT from the environment or .env, else "+defaultHost+")")
}

// client returns a client for the server and environment f names, and the
// server's URL. The secret key is read from the environment or the
// project's .env only: a flag would show it to every user of the machine.
func (d *devCLI) client(f serverFlags) (*client.Client, string, error) {
	e := d.env(f.dir)
	host, from := f.host, "--host"
	for _, v := range hostVars {
		if host != "" {
			break
		}
		host, from = e.get(v), v
	}
	if host == "" {
		host, from = defaultHost, ""
	}
	host = strings.TrimRight(host, "/")
	if u, err := url.Parse(host); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		example := defaultHost
		if !strings.Contains(host, "://") {
			example = "http://" + strings.TrimPrefix(host, "//")
		}
		return nil, "", withHint(errorf("%s is %q, not a server URL", from, host), "Give the URL with its scheme, e.g. %s.", example)
	}
	vars := secretKeyVars(f.env)
	key := ""
	for _, v := range vars {
		if key = e.get(v); key != "" {
			break
		}
	}
	if key == "" {
		return nil, "", withHint(errorf("no secret key for environment %q: none of %s is set in the environment or in %s", f.env, strings.Join(vars, ", "), filepath.Join(f.dir, ".env")),
			"For a local server: export %s=$(patchbay keys --env %s --quiet)", vars[0], f.env)
	}
	return client.New(host, key), host, nil
}

// printCompileError prints a server's compile errors like compile does:
// each position once (the message repeats them), the message alone when
// there are none.
func (d *devCLI) printCompileError(err error) bool {
	var ce *client.CompileError
	if !errors.As(err, &ce) {
		return false
	}
	if len(ce.Errors) == 0 {
		fmt.Fprintf(d.stdout, "%s the server could not compile the functions: %s\n", d.ui.red("✗"), ce.Message)
		return true
	}
	fmt.Fprintf(d.stdout, "%s the server could not compile the functions:\n", d.ui.red("✗"))
	for _, p := range ce.Errors {
		d.printPosition(p)
	}
	return true
}
