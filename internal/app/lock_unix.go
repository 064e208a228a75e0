//go:build unix

package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on the data directory, so that a second
// `patchbay serve` or a key rotation cannot run against a database another
// process is using with a different key in memory. Readers (`patchbay
// keys`) take no lock: they change nothing another process relies on.
func lockDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, "patchbay.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another patchbay process (a running `patchbay serve`?): stop it first", dir)
		}
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return func() { f.Close() }, nil
}
