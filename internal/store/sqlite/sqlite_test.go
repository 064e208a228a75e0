package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/vault"
)

type database struct{ dir string }

func (d database) Open(t *testing.T, v *vault.Vault) (store.Store, error) {
	return Open(t.Context(), d.dir, v)
}

func (d database) Exec(t *testing.T, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(d.dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Database { return database{dir: t.TempDir()} })
}
