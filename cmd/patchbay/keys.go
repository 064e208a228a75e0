package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/store"
)

func keysCommand(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	var env string
	var quiet bool
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Print each environment's secret key",
		Long: "Print each environment's secret key, as name<TAB>key lines, or the key alone with --quiet:\n" +
			"  export KEY=$(patchbay keys --env dev --quiet)\n" +
			"Reading keys works while the server runs; rotating them needs the server stopped (embedded mode).",
		Args: noArgs,
	}
	// The store's flags are on keys and its subcommands alike.
	flags := config.Register(keys.PersistentFlags(), getenv, config.StoreFlags...)
	load := func() (*config.Config, error) { return flags.Parse() }

	keys.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		list, err := app.ReadSecretKeys(cmd.Context(), cfg, cfg.Logger(stderr), env)
		if err != nil {
			return err
		}
		for _, k := range list {
			if quiet {
				fmt.Fprintln(stdout, k.SecretKey)
			} else {
				fmt.Fprintf(stdout, "%s\t%s\n", k.Name, k.SecretKey)
			}
		}
		return nil
	}
	keys.Flags().StringVar(&env, "env", "", "print this environment's key only (dev, prod)")
	keys.Flags().BoolVarP(&quiet, "quiet", "q", false, "print the keys alone, without the environment names")

	// withStore runs fn on the store, locked against other processes, then
	// closes it.
	withStore := func(ctx context.Context, fn func(*config.Config, store.Store) error) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		s, release, err := app.OpenExistingStore(ctx, cfg, cfg.Logger(stderr))
		if err != nil {
			return err
		}
		defer release()
		defer s.Close()
		return fn(cfg, s)
	}

	var rotateEnv string
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace an environment's secret key (the old one stops working at once)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), func(_ *config.Config, s store.Store) error {
				return app.RotateSecretKey(cmd.Context(), s, rotateEnv, stdout)
			})
		},
	}
	rotate.Flags().StringVar(&rotateEnv, "env", "", "environment whose key to rotate (dev, prod)")
	_ = rotate.MarkFlagRequired("env")

	var newKey string
	rotateEncryption := &cobra.Command{
		Use:   "rotate-encryption",
		Short: "Re-encrypt every stored secret with a new encryption key, in one transaction",
		Long: "Re-encrypt every stored secret with a new encryption key, in one transaction.\n" +
			"Stop every patchbay server using this database first. Generate a key with: openssl rand -base64 32",
		Args: noArgs,
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
