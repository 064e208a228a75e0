package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

// DatabaseURLEnv names the variable that enables the PostgreSQL half of the
// suite; .ci/run sets it.
const DatabaseURLEnv = "PATCHBAY_TEST_DATABASE_URL"

// PostgresURL returns the URL of a fresh, empty schema in the test
// PostgreSQL database, dropped when t ends. It skips t when
// PATCHBAY_TEST_DATABASE_URL is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(DatabaseURLEnv)
	if base == "" {
		t.Skipf("%s is not set; PostgreSQL tests skipped", DatabaseURLEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", DatabaseURLEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "pbtest_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", DatabaseURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

type postgresDatabase[S store.Store] struct {
	url       string
	open      func(context.Context, string, *vault.Vault) (S, error)
	migrateTo func(ctx context.Context, databaseURL string, version int64) error
}

// NewPostgresDatabase returns a Database in a fresh schema, opened with open
// and migrated to a version with migrateTo (the postgres package's, passed
// in because that package's tests import this one).
func NewPostgresDatabase[S store.Store](t *testing.T, open func(context.Context, string, *vault.Vault) (S, error),
	migrateTo func(ctx context.Context, databaseURL string, version int64) error) Database {
	return postgresDatabase[S]{url: PostgresURL(t), open: open, migrateTo: migrateTo}
}

func (d postgresDatabase[S]) MigrateTo(t *testing.T, version int64) {
	t.Helper()
	if err := d.migrateTo(t.Context(), d.url, version); err != nil {
		t.Fatal(err)
	}
}

func (d postgresDatabase[S]) Open(t *testing.T, v *vault.Vault) (store.Store, error) {
	s, err := d.open(t.Context(), d.url, v)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (d postgresDatabase[S]) Exec(t *testing.T, query string) {
	t.Helper()
	db, err := sql.Open("pgx", d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", query, err))
	}
}

// PostgresConfigured reports whether PostgreSQL tests run.
func PostgresConfigured() bool { return os.Getenv(DatabaseURLEnv) != "" }

func (d postgresDatabase[S]) Dump(t *testing.T, query string) string {
	t.Helper()
	db, err := sql.Open("pgx", d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return DumpRows(t, db, query)
}
