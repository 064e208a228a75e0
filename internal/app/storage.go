package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/postgres"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/vault"
)

// KeyFileName is the generated encryption key inside the data directory.
const KeyFileName = "encryption.key"

// OpenStore opens the configured store with the configured encryption key.
// In embedded mode it also locks the data directory against a second
// process (release undoes that) and, on first start, generates the key.
func OpenStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (s store.Store, release func(), err error) {
	return openStore(ctx, cfg, logger, true)
}

// openStore is OpenStore; without lock, the data dir is not locked.
func openStore(ctx context.Context, cfg *config.Config, logger *slog.Logger, lock bool) (s store.Store, release func(), err error) {
	release = func() {}
	if !cfg.Embedded() {
		v, err := vault.New(cfg.EncryptionKey)
		if err != nil {
			return nil, release, err
		}
		pg, err := postgres.Open(ctx, cfg.DatabaseURL, v, logger)
		if err != nil {
			return nil, release, explainKeyError(err)
		}
		return pg, release, nil
	}

	if err := privateDir(cfg.DataDir, logger); err != nil {
		return nil, release, err
	}
	if lock {
		if release, err = lockDir(cfg.DataDir); err != nil {
			return nil, func() {}, err
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	key, err := embeddedKey(cfg, logger)
	if err != nil {
		return nil, release, err
	}
	v, err := vault.New(key)
	if err != nil {
		return nil, release, err
	}
	lite, err := sqlite.Open(ctx, cfg.DataDir, v)
	if err != nil {
		return nil, release, explainKeyError(err)
	}
	lite.SetLogger(logger) // for the rows lists skip because they cannot be read
	return lite, release, nil
}

// ErrNoData reports an embedded data dir that `patchbay serve` has never
// initialised.
var ErrNoData = errors.New("no Patchbay data here yet: run `patchbay serve` once first")

// OpenExistingStore is OpenStore for commands that manage existing data:
// in embedded mode it refuses, rather than creating a database and a key,
// when the data dir holds none.
func OpenExistingStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (store.Store, func(), error) {
	if err := checkExisting(cfg); err != nil {
		return nil, func() {}, err
	}
	return OpenStore(ctx, cfg, logger)
}

// checkExisting refuses an embedded data dir without a database.
func checkExisting(cfg *config.Config) error {
	if cfg.Embedded() {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, sqlite.FileName)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", cfg.DataDir, ErrNoData)
		}
	}
	return nil
}

func explainKeyError(err error) error {
	if errors.Is(err, store.ErrWrongEncryptionKey) {
		return fmt.Errorf("%w: PATCHBAY_ENCRYPTION_KEY (or %s in the data dir) must be the key the data was written with", err, KeyFileName)
	}
	return err
}

// embeddedKey returns PATCHBAY_ENCRYPTION_KEY, else the key file in the data
// dir, generating it on first start.
func embeddedKey(cfg *config.Config, logger *slog.Logger) ([]byte, error) {
	if cfg.EncryptionKey != nil {
		return cfg.EncryptionKey, nil
	}
	path := filepath.Join(cfg.DataDir, KeyFileName)
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := vault.ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read encryption key: %w", err)
	}
	// A database without its key would be unreadable; generating a fresh key
	// here would only hide that.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, sqlite.FileName)); err == nil {
		return nil, fmt.Errorf("%s holds a database but no %s: set PATCHBAY_ENCRYPTION_KEY to the key it was written with", cfg.DataDir, KeyFileName)
	}
	encoded := vault.GenerateKey()
	if err := writeKeyFile(path, encoded); err != nil {
		return nil, err
	}
	logger.Warn("generated a new encryption key; back it up, data cannot be read without it", "path", path)
	return vault.ParseKey(encoded)
}

// writeKeyFile writes a key file readable by its owner only, atomically, so
// a crash never leaves a truncated key behind.
func writeKeyFile(path, encoded string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".encryption.key-*")
	if err != nil {
		return fmt.Errorf("write encryption key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write encryption key: %w", err)
	}
	if _, err := tmp.WriteString(encoded + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("write encryption key: %w", err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("write encryption key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write encryption key: %w", err)
	}
	return nil
}

// privateDir creates the data dir readable by its owner only, and narrows
// an existing one that others could read (made by hand, by an older
// version, or under a loose umask): it holds the encryption key and the
// database, whose files are 0600 but whose names and sizes are not for
// other users either.
func privateDir(dir string, logger *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("data dir %s is not a directory", dir)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data dir %s is accessible to other users (%v) and could not be made private: %w", dir, perm, err)
		}
		logger.Info("data dir made private to its owner", "dir", dir, "was", perm.String())
	}
	return nil
}
