// Command patchbay is the whole Patchbay platform in one binary: `patchbay
// serve` runs the API and the workers on an embedded SQLite store or on
// PostgreSQL; `keys` manages secret keys; `init`, `compile`, `test`,
// `dryrun`, `deploy` and `undeploy` work on a functions project; `simulate` and `bench`
// run the provider simulator and load tests; `sync` and `records` drive
// and read syncs.
package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/config"
)

// gcPercent is the garbage collector's target unless GOGC is set. A
// server's heap is mostly short-lived garbage (requests, pages of records
// on their way to the store), so collecting at twice Go's default growth
// spends less CPU for a few more megabytes: measured with `patchbay bench
// sync`, 15 % more records saved per second and 20 % more read, for 6 MB
// more peak RSS.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// execute runs one command line, reports a failure on stderr and returns
// the exit code: 0 on success, 2 for a command line that was refused, 1
// for any other failure.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRoot(stdout, stderr, getenv)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	return report(stderr, cmd, err)
}

// newRoot builds the command tree. stdout gets what the user asked for
// (keys, results); stderr gets logs and errors.
func newRoot(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "patchbay",
		Short:         "Patchbay: API integrations for AI agents and SaaS products",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("patchbay {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{err}
	})

	root.AddCommand(serveCommand(stdout, stderr, getenv))
	root.AddCommand(keysCommand(stdout, stderr, getenv))
	root.AddCommand(simulateCommand(stdout, stderr))
	root.AddCommand(benchCommand(stdout, stderr))
	addFunctionCommands(root, stdout, stderr, getenv)
	addSyncCommands(root, stdout, stderr, getenv)
	plainBoolFlags(root)
	return root
}

// serverConfig registers the server's settings on cmd and returns the
// function that validates them, once, at the edge.
func serverConfig(cmd *cobra.Command, stderr io.Writer, getenv func(string) string, names ...string) func() (*config.Config, *slog.Logger, error) {
	flags := config.Register(cmd.Flags(), getenv, names...)
	return func() (*config.Config, *slog.Logger, error) {
		cfg, err := flags.Parse()
		if err != nil {
			return nil, nil, err
		}
		return cfg, cfg.Logger(stderr), nil
	}
}

func serveCommand(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Patchbay server",
		Long: "Run the Patchbay server: the API, the Connect UI, the proxy, functions and the background\n" +
			"workers. Each flag defaults to the PATCHBAY_* variable named after it. On first start the\n" +
			"secret key of each environment is printed once (`patchbay keys` prints them again).",
		Args: noArgs,
	}
	load := serverConfig(cmd, stderr, getenv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, logger, err := load()
		if err != nil {
			return err
		}
		a, err := app.New(cmd.Context(), cfg, logger, stdout)
		if errors.Is(err, syscall.EADDRINUSE) {
			return withHint(err, "Another process listens there (a running `patchbay serve`?): stop it, or choose another address with --addr (PATCHBAY_ADDR).")
		}
		if err != nil {
			return err
		}
		defer a.Close()
		return a.Run(cmd.Context())
	}
	return cmd
}

// version is the module version and VCS revision the binary was built
// from, as far as the build recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev == "" {
		return v + " (revision unknown: built without VCS information), " + info.GoVersion
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if at != "" {
		at = " " + at
	}
	return v + " (revision " + rev + at + modified + "), " + info.GoVersion
}

// plainBoolFlags makes help show boolean flags as --force rather than
// pflag's --force[=true|false]; they still accept --force=false. It runs
// once the tree is built, after cobra's own help, version and completion
// flags are added.
func plainBoolFlags(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		c.InitDefaultVersionFlag()
		wrap := func(f *pflag.Flag) {
			if _, done := f.Value.(plainBool); !done && f.Value.Type() == "bool" {
				f.Value = plainBool{f.Value}
			}
		}
		c.Flags().VisitAll(wrap)
		c.PersistentFlags().VisitAll(wrap)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// plainBool is a bool flag's value without the IsBoolFlag method, whose
// presence makes pflag print [=true|false] after the flag's name. The
// flag's NoOptDefVal ("true") still lets it be given without a value.
type plainBool struct{ pflag.Value }

// noArgs refuses arguments, saying what the command takes instead.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{errorf("want no arguments, got %s", strings.Join(args, " "))}
	}
	return nil
}
