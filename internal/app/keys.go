package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/cache"
	"github.com/patchbay/patchbay/internal/vault"
)

// ensureEnvironments creates the missing environments. A secret key from
// PATCHBAY_SECRET_KEY_<ENV> is used as given; otherwise one is generated and
// printed to out, once: the only time it is shown unasked.
func ensureEnvironments(ctx context.Context, envs store.Environments, cfg *config.Config, logger *slog.Logger, out io.Writer) error {
	for _, name := range config.Environments {
		existing, err := envs.ByName(ctx, name)
		if err == nil {
			if key := cfg.SecretKeys[name]; key != "" {
				if owner, err := envs.BySecretKey(ctx, key); err != nil || owner.ID != existing.ID {
					logger.Warn("the configured secret key is not this environment's key and is ignored; `patchbay keys rotate` changes it",
						"environment", name, "variable", config.SecretKeyVar(name))
				}
			}
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		env := &store.Environment{Name: name, SecretKey: cfg.SecretKeys[name]}
		generated := env.SecretKey == ""
		if generated {
			env.SecretKey = uuid.NewString()
		}
		switch err := envs.Create(ctx, env); {
		case errors.Is(err, store.ErrConflict):
			// Another node created it first; its key stands.
			continue
		case err != nil:
			return err
		}
		logger.Info("created environment", "environment", name, "key_from", keySource(generated, name))
		if generated {
			fmt.Fprintf(out, "Secret key of environment %q (shown once; `patchbay keys` prints it again): %s\n", name, env.SecretKey)
		}
	}
	return nil
}

func keySource(generated bool, name string) string {
	if generated {
		return "generated"
	}
	return config.SecretKeyVar(name)
}

// EnvironmentKey is an environment's name and secret key.
type EnvironmentKey struct {
	Name, SecretKey string
}

// ReadSecretKeys returns each environment's secret key, or env's alone
// when env is not empty. It takes no lock on the data dir, so it works
// beside a running server (SQLite in WAL mode lets a reader share the file
// with the server's writer; the migrations it checks on opening are
// already applied by then), and it never creates data: a data dir that
// `patchbay serve` has not initialised is ErrNoData.
func ReadSecretKeys(ctx context.Context, cfg *config.Config, logger *slog.Logger, env string) ([]EnvironmentKey, error) {
	if err := checkExisting(cfg); err != nil {
		return nil, err
	}
	s, release, err := openStore(ctx, cfg, logger, false)
	if err != nil {
		return nil, err
	}
	defer release()
	defer s.Close()
	envs, err := s.Environments().List(ctx)
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 {
		return nil, ErrNoData
	}
	var out []EnvironmentKey
	for _, e := range envs {
		if env != "" && e.Name != env {
			continue
		}
		withKey, err := s.Environments().Secrets(ctx, e.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, EnvironmentKey{Name: e.Name, SecretKey: withKey.SecretKey})
	}
	if len(out) == 0 {
		names := make([]string, len(envs))
		for i, e := range envs {
			names[i] = e.Name
		}
		return nil, fmt.Errorf("no environment %q (there are: %s)", env, strings.Join(names, ", "))
	}
	return out, nil
}

// RotateSecretKey gives an environment a new random secret key, printed to
// out; the old key stops working at once.
func RotateSecretKey(ctx context.Context, s store.Store, env string, out io.Writer) error {
	key := uuid.NewString()
	if err := s.Environments().RotateSecretKey(ctx, env, key); err != nil {
		return err
	}
	// Running nodes (PostgreSQL) cache keys; tell them. A node that misses
	// it drops the old key within the cache's TTL anyway.
	if err := cache.AnnounceKeyRotation(ctx, s.Notifier(), env); err != nil {
		fmt.Fprintf(out, "warning: could not tell running servers (they drop the old key within 30 s): %v\n", err)
	}
	fmt.Fprintf(out, "New secret key of environment %q: %s\n", env, key)
	return nil
}

// RotateEncryption re-encrypts every secret with newKey (base64) in one
// transaction. In embedded mode without PATCHBAY_ENCRYPTION_KEY, the key
// file is replaced after the transaction commits; otherwise the operator
// must set PATCHBAY_ENCRYPTION_KEY to the new key, as the message says.
func RotateEncryption(ctx context.Context, s store.Store, cfg *config.Config, newKey string, out io.Writer) error {
	key, err := vault.ParseKey(newKey)
	if err != nil {
		return fmt.Errorf("--new-key: %w", err)
	}
	next, err := vault.New(key)
	if err != nil {
		return err
	}
	if err := s.RotateEncryption(ctx, next); err != nil {
		return fmt.Errorf("re-encrypt: %w", err)
	}
	if cfg.Embedded() && cfg.EncryptionKey == nil {
		path := filepath.Join(cfg.DataDir, KeyFileName)
		if err := writeKeyFile(path, newKey); err != nil {
			return fmt.Errorf("the data is now encrypted with the new key, but saving it failed (keep --new-key safe and set PATCHBAY_ENCRYPTION_KEY to it): %w", err)
		}
		fmt.Fprintf(out, "Re-encrypted every secret; %s now holds the new key (id %s).\n", path, next.ID())
		return nil
	}
	fmt.Fprintf(out, "Re-encrypted every secret with the new key (id %s). Set PATCHBAY_ENCRYPTION_KEY to it on every node before they start again.\n", next.ID())
	return nil
}
