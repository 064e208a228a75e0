// Package postgres is the store for deployments that run several Patchbay
// nodes: PostgreSQL through pgx, with one connection pool shared by the
// store (through database/sql) and River.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/patchbay/patchbay/internal/store/sqlstore"
	"github.com/patchbay/patchbay/internal/vault"
)

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed queries.sql
var queries string

// migrationLockID is the advisory lock nodes take while migrating, so
// several nodes starting at once apply each migration exactly once.
const migrationLockID = 0x7061746368626179 // "patchbay"

// Store is the PostgreSQL store.
type Store struct {
	*sqlstore.DB
	pool *pgxpool.Pool
}

// defaultMaxConns is the pool size unless the URL sets pool_max_conns.
const defaultMaxConns = 16

// Open connects to databaseURL, applies Patchbay's and River's migrations
// under an advisory lock, and checks v against the data already sealed.
// logger receives what the store's background work (the LISTEN
// connection) has to report, and the rows lists skip because they cannot
// be read; nil discards it.
func Open(ctx context.Context, databaseURL string, v *vault.Vault, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// pgxpool's default (4 or the CPU count) is sized for batch programs;
	// a server holds some connections for locks while others run the
	// queries done under them. pool_max_conns in the URL still wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	s, err := open(ctx, pool, db, v, logger)
	if err != nil {
		db.Close()
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

func open(ctx context.Context, pool *pgxpool.Pool, db *sql.DB, v *vault.Vault, logger *slog.Logger) (*Store, error) {
	if err := migrate(ctx, pool, db); err != nil {
		return nil, err
	}
	q, err := sqlstore.ParseQueries(queries)
	if err != nil {
		return nil, fmt.Errorf("queries.sql: %w", err)
	}
	locker, err := newAdvisoryLocker(pool, q)
	if err != nil {
		return nil, err
	}
	throttles, err := newThrottles(pool, q)
	if err != nil {
		return nil, err
	}
	d := sqlstore.Dialect{Name: "postgres", Queries: q, IsUniqueViolation: isUniqueViolation,
		Locker: locker, Notifier: &pgNotifier{pool: pool, logger: logger}, Throttles: throttles, ArrayParams: true}
	sdb, err := sqlstore.New(ctx, db, db, d, v)
	if err != nil {
		return nil, err
	}
	sdb.SetLogger(logger)
	return &Store{DB: sdb, pool: pool}, nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool, db *sql.DB) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockID)); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the unlock must happen even if ctx was cancelled.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockID)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("migration unlock: %w", uerr))
		}
	}()

	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, db, goose.DialectPostgres, fsys, riverpgxv5.New(pool))
}

// Pool returns the pgx pool, for River's driver and advisory locks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close implements store.Store.
func (s *Store) Close() error {
	err := s.DB.Close()
	s.pool.Close()
	return err
}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
