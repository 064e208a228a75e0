// Package sqlite is the embedded store: one SQLite file in the data
// directory, in WAL mode, with a single writer connection (shared with River,
// which needs the same discipline) and a separate pool of read-only
// connections.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/patchbay/patchbay/internal/store/sqlstore"
	"github.com/patchbay/patchbay/internal/vault"
)

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed queries.sql
var queries string

// FileName is the database file inside the data directory.
const FileName = "patchbay.db"

// Store is the SQLite store.
type Store struct {
	*sqlstore.DB
	write *sql.DB
}

// Open opens (creating if needed) the database in dir, applies Patchbay's and
// River's migrations, and checks v against the data already sealed.
func Open(ctx context.Context, dir string, v *vault.Vault) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	write, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	// One writer: SQLite allows one at a time anyway, and queuing in the pool
	// beats spinning on SQLITE_BUSY.
	write.SetMaxOpenConns(1)
	read, err := openDB(path, true)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))

	s, err := open(ctx, read, write, v)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	// The file holds only ciphertexts, but there is no reason for anyone else
	// to read it.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.Close()
			return nil, fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	return s, nil
}

func open(ctx context.Context, read, write *sql.DB, v *vault.Vault) (*Store, error) {
	if err := migrate(ctx, write); err != nil {
		return nil, err
	}
	q, err := sqlstore.ParseQueries(queries)
	if err != nil {
		return nil, fmt.Errorf("queries.sql: %w", err)
	}
	d := sqlstore.Dialect{
		Name: "sqlite", Queries: q, IsUniqueViolation: isUniqueViolation,
		// Only one process opens a data directory (internal/app holds a
		// flock on it), so a lock within this process holds across all of
		// them. A transaction would do too, but would hold SQLite's one
		// writer connection through whatever network call the lock guards.
		Locker: sqlstore.NewProcessLocker(),
		// For the same reason, token buckets in this process are shared by
		// everything that uses the database.
		Throttles: sqlstore.NewProcessThrottles(),
		// modernc's SQLite compiles a statement each time it is run.
		PrepareOnce: true,
	}
	db, err := sqlstore.New(ctx, read, write, d, v)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, write: write}, nil
}

func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	// Set before the first table is created, and a no-op after: 16 KB
	// pages hold a sync's records (about a kilobyte each, clustered in
	// records' b-tree) twenty to a page, not four.
	q.Add("_pragma", "page_size(16384)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	// NORMAL is durable in WAL mode except for the last transactions before
	// a power loss, which is the usual trade for a server.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	// SQLite's default page cache (2 MB a connection) makes a records
	// backfill or a GET /records page read most pages from the file, a
	// system call each: the writer, alone, gets 32 MB, each reader 8 MB.
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "cache_size(-8192)")
	} else {
		q.Add("_pragma", "cache_size(-32768)")
		// Take the write lock at BEGIN, so a transaction that reads then
		// writes never fails half-way with SQLITE_BUSY.
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, db, goose.DialectSQLite3, fsys, riversqlite.New(db))
}

// Writer returns the single write connection, for River's SQLite driver.
func (s *Store) Writer() *sql.DB { return s.write }

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
