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

// raw opens the database file beside the store, with the store's foreign
// key enforcement so deletes cascade as they do through the store.
func (d database) raw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(d.dir, FileName)+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func (d database) Exec(t *testing.T, query string) {
	t.Helper()
	db := d.raw(t)
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (d database) Dump(t *testing.T, query string) string {
	t.Helper()
	db := d.raw(t)
	defer db.Close()
	return storetest.DumpRows(t, db, query)
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Database { return database{dir: t.TempDir()} })
}

func BenchmarkRecords(b *testing.B) {
	s, err := Open(b.Context(), b.TempDir(), storetest.NewVault(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchmarkRecords(b, s)
}
