package postgres

import (
	"context"
	"database/sql"
	"io/fs"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/patchbay/patchbay/internal/store/sqlstore"
	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/vault"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Database { return storetest.NewPostgresDatabase(t, openQuiet, migrateTo) })
}

// migrateTo moves the schema at databaseURL to a migration version.
func migrateTo(ctx context.Context, databaseURL string, version int64) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return sqlstore.MigrateTo(ctx, db, goose.DialectPostgres, fsys, version)
}

// openQuiet opens the store with no logger, the shape storetest expects.
func openQuiet(ctx context.Context, databaseURL string, v *vault.Vault) (*Store, error) {
	return Open(ctx, databaseURL, v, nil)
}

func BenchmarkRecords(b *testing.B) {
	s, err := Open(b.Context(), storetest.PostgresURL(b), storetest.NewVault(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchmarkRecords(b, s)
}
