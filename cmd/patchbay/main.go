// Command patchbay is the whole Patchbay platform in one binary: `patchbay
// serve` runs the API and its background workers on an embedded SQLite
// store or on PostgreSQL; other subcommands build, test and deploy
// functions, manage keys, simulate providers and benchmark.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot(os.Stdout, os.Stderr, os.Getenv).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "patchbay:", err)
		os.Exit(1)
	}
}

// newRoot builds the command tree. stdout gets what the user asked for
// (keys); stderr gets logs.
func newRoot(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "patchbay",
		Short:         "Patchbay: API integrations for AI agents and SaaS products",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	flags := config.Register(root.PersistentFlags(), getenv)

	// load validates the configuration once, at the edge.
	load := func() (*config.Config, *slog.Logger, error) {
		cfg, err := flags.Parse()
		if err != nil {
			return nil, nil, err
		}
		return cfg, cfg.Logger(stderr), nil
	}

	root.AddCommand(&cobra.Command{
		Use:   "serve",
		Short: "Run the Patchbay server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := load()
			if err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), cfg, logger, stdout)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Run(cmd.Context())
		},
	})
	root.AddCommand(keysCommand(load, stdout))
	root.AddCommand(simulateCommand(stdout, stderr))
	root.AddCommand(benchCommand(stdout, stderr))
	addFunctionCommands(root, stdout, stderr, getenv)
	return root
}

func keysCommand(load func() (*config.Config, *slog.Logger, error), stdout io.Writer) *cobra.Command {
	// withStore runs fn on the configured store, then closes it.
	withStore := func(ctx context.Context, fn func(*config.Config, store.Store) error) error {
		cfg, logger, err := load()
		if err != nil {
			return err
		}
		s, release, err := app.OpenExistingStore(ctx, cfg, logger)
		if err != nil {
			return err
		}
		defer release()
		defer s.Close()
		return fn(cfg, s)
	}

	keys := &cobra.Command{
		Use:   "keys",
		Short: "Print each environment's secret key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), func(_ *config.Config, s store.Store) error {
				return app.PrintKeys(cmd.Context(), s, stdout)
			})
		},
	}

	var env string
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace an environment's secret key (the old one stops working at once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), func(_ *config.Config, s store.Store) error {
				return app.RotateSecretKey(cmd.Context(), s, env, stdout)
			})
		},
	}
	rotate.Flags().StringVar(&env, "env", "", "environment whose key to rotate (dev, prod)")
	_ = rotate.MarkFlagRequired("env")

	var newKey string
	rotateEncryption := &cobra.Command{
		Use:   "rotate-encryption",
		Short: "Re-encrypt every stored secret with a new encryption key, in one transaction",
		Long: "Re-encrypt every stored secret with a new encryption key, in one transaction.\n" +
			"Stop every patchbay server using this database first. Generate a key with: openssl rand -base64 32",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), func(cfg *config.Config, s store.Store) error {
				return app.RotateEncryption(cmd.Context(), s, cfg, newKey, stdout)
			})
		},
	}
	rotateEncryption.Flags().StringVar(&newKey, "new-key", "", "the new key, base64 of 32 bytes")
	_ = rotateEncryption.MarkFlagRequired("new-key")

	keys.AddCommand(rotate, rotateEncryption)
	return keys
}
