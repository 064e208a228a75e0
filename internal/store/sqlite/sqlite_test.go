package sqlite

import (
	"bytes"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlstore"
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

func (d database) MigrateTo(t *testing.T, version int64) {
	t.Helper()
	db := d.raw(t)
	defer db.Close()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlstore.MigrateTo(t.Context(), db, goose.DialectSQLite3, fsys, version); err != nil {
		t.Fatal(err)
	}
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

// TestNoPlaintextRecordsOnDisk saves a record and a checkpoint holding
// canaries, changes both (so older versions sit in the WAL or free pages),
// closes the store and reads every byte of the data directory.
func TestNoPlaintextRecordsOnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	s, err := Open(ctx, dir, storetest.NewVault(t))
	if err != nil {
		t.Fatal(err)
	}
	env := &store.Environment{Name: "dev", SecretKey: "sk-canary-env"}
	if err := s.Environments().Create(ctx, env); err != nil {
		t.Fatal(err)
	}
	in := &store.Integration{EnvironmentID: env.ID, UniqueKey: "hubspot", Provider: "hubspot"}
	if err := s.Integrations().Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	conn := &store.Connection{IntegrationID: in.ID, ConnectionID: "c1", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"}}
	if err := s.Connections().Create(ctx, conn); err != nil {
		t.Fatal(err)
	}
	inst, _, err := s.SyncInstances().Ensure(ctx, &store.SyncInstance{EnvironmentID: env.ID, IntegrationID: in.ID,
		ConnectionRef: conn.ID, SyncName: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	canaries := []string{"record-canary-7c1e9f", "record-canary-2b8d4a", "checkpoint-canary-5e3f1b", "checkpoint-canary-9a6c2d"}
	scope := store.RecordScope{EnvironmentID: env.ID, ConnectionRef: conn.ID, Model: "Contact", Variant: store.DefaultVariant}
	for i, version := range [][2]string{{canaries[0], canaries[2]}, {canaries[1], canaries[3]}} {
		payload := []byte(`{"email":"` + version[0] + `"}`)
		rec := store.RecordWrite{ID: "r1", Payload: payload}
		err := s.Records().Write(ctx, func(tx store.RecordTx) error {
			if _, err := tx.Upsert(ctx, scope, []store.RecordWrite{rec}, int64(i+1)); err != nil {
				return err
			}
			return tx.SetCheckpoint(ctx, inst.ID, []byte(`{"after":"`+version[1]+`"}`))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	scanned := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += len(data)
		for _, c := range canaries {
			if bytes.Contains(data, []byte(c)) {
				t.Errorf("%s holds %s in plaintext", path, c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Fatal("nothing was scanned")
	}
}
