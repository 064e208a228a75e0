// Package sqlstore implements the store interfaces once, over database/sql,
// for every SQL dialect. A dialect package (store/sqlite, store/postgres)
// opens the connections, runs its migrations and hands over its named
// queries; the Go logic, including all encryption, lives only here.
package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

// Dialect is what differs between SQL backends.
type Dialect struct {
	// Name is returned by Store.Dialect.
	Name string
	// Queries holds the named statements parsed by ParseQueries.
	Queries map[string]string
	// IsUniqueViolation reports whether err is a unique-constraint failure.
	IsUniqueViolation func(error) bool
	// Locker is returned by Store.Locker. It is the dialect's because what
	// makes a lock hold across processes differs: SQLite has one process
	// per database, PostgreSQL needs advisory locks on a pgx connection.
	Locker store.Locker
	// Notifier is returned by Store.Notifier; nil means in-process only,
	// right when one process owns the database (SQLite).
	Notifier store.Notifier
	// Throttles is returned by Store.Throttles; nil means in-process
	// buckets, right when one process owns the database (SQLite).
	Throttles store.Throttles
	// ArrayParams is whether the driver binds Go slices as arrays
	// (PostgreSQL). Then a list parameter is a slice (= ANY($n)) and a
	// batch statement runs once with one array per column; otherwise a
	// list is a JSON array (json_each) and a batch statement runs once per
	// row. See batch.go.
	ArrayParams bool
	// PrepareOnce is whether the hot statements are prepared once per
	// pool and kept (stmts.go): right where the driver compiles a
	// statement every time otherwise (SQLite), needless where it caches
	// them itself (pgx).
	PrepareOnce bool
}

// queryNames lists every statement a dialect must provide.
var queryNames = []string{
	"GetMeta", "InsertMeta", "ListMeta", "UpdateMeta",
	"InsertEnvironment", "EnvironmentByName", "EnvironmentBySecretKeyHash", "ListEnvironments",
	"EnvironmentSecrets", "UpdateEnvironmentSecretKey", "ListSealedEnvironments", "ResealEnvironment",
	"InsertIntegration", "GetIntegration", "ListIntegrations", "UpdateIntegration", "DeleteIntegration",
	"ListSealedIntegrations", "ResealIntegration",
	"ListSealedConnections", "ResealConnection",
	"IntegrationRef", "InsertConnection", "GetConnection", "ConnectionByID", "LockConnection",
	"LockConnectionByKey", "ListConnections", "UpdateConnection", "DeleteConnection", "ExpiringConnections",
	"InsertConnectSession", "ConnectSessionByTokenHash", "ConnectSessionByID", "DeleteConnectSession", "DeleteExpiredConnectSessions",
	"InsertOAuthSession", "TakeOAuthSession", "TakeOAuthSessionByRequestToken", "DeleteExpiredOAuthSessions",
	"ListSealedOAuthSessions", "ResealOAuthSession",
	"GetConnectUISettings", "SetConnectUISettings", "GetWebhookSettings", "SetWebhookSettings",
	"GetEnvironmentVariables", "SetEnvironmentVariables",
	"IntegrationIDByKey", "UpsertDeployment", "GetDeployment", "ListDeployments", "DeleteDeployment",
	"DeleteExpiredActionRunByKey", "InsertActionRun", "ActionRunByKey", "GetActionRun", "LockActionRun",
	"UpdateActionRun", "DeleteExpiredActionRuns", "ListSealedActionRuns", "ResealActionRun",
	"TryAcquireFunctionLock", "ReleaseFunctionLock", "ReleaseFunctionLocks",
	"LockRecordScope", "SaveRecordScope", "ExistingRecords", "UpsertRecords", "TouchRecords", "RecordPayloads",
	"DeleteRecords", "DeleteUnseenRecords", "ListRecords", "ListRecordsByIDs", "RecordCounts", "LockRecordScopes",
	"LockAllRecordScopes", "PruneRecords", "PurgeRecords",
	"ReleaseRecordLive", "OrphanRecordConnections", "ConnectionExists", "ListRecordScopes", "DeleteRecordScope",
	"ListSealedRecords", "ResealRecords",
	"ConnectionOwner", "InsertSyncInstance", "SyncInstanceByKey", "GetSyncInstance", "LockSyncInstance",
	"SyncInstancesByIDs", "ListSyncInstances", "UpdateSyncInstance", "SyncInstancesToDelete", "DeleteSyncInstances",
	"DueSyncInstances", "ClaimSyncInstance", "StaleSyncInstances", "GetSyncCheckpoint", "SetSyncCheckpoint", "HoldSyncLease",
	"ListSealedSyncInstances", "ResealSyncInstance",
	"InsertSyncRun", "FinishSyncRun", "ListSyncRuns", "DeleteSyncRunsBefore",
}

// ParseQueries splits a .sql file into statements named by "-- name: X"
// lines. Other comment lines are dropped.
func ParseQueries(src string) (map[string]string, error) {
	queries := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		q := strings.TrimSpace(body.String())
		if q == "" {
			return fmt.Errorf("query %s is empty", name)
		}
		if _, dup := queries[name]; dup {
			return fmt.Errorf("query %s is defined twice", name)
		}
		queries[name] = q
		body.Reset()
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if after, ok := strings.CutPrefix(trimmed, "-- name:"); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			name = strings.TrimSpace(after)
			continue
		}
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("statement before the first -- name: line: %q", trimmed)
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return queries, sc.Err()
}

// DB is a store.Store over one dialect. Reads that need no transaction use
// the read pool; everything else the writer, which on SQLite is a single
// connection so writes never contend for the file lock.
type DB struct {
	read, write *sql.DB
	d           Dialect
	now         func() time.Time

	mu    sync.RWMutex // guards vault, swapped by RotateEncryption
	vault *vault.Vault

	logger     *slog.Logger
	unreadable atomic.Int64 // rows met that could not be decoded
	stmts      stmts
}

// encryptionCheckKey names the meta row holding a sealed constant, which
// tells at start whether the configured key is the one the data was sealed
// with, before any real secret fails to open.
const encryptionCheckKey = "encryption_check"

var encryptionCheckValue = []byte("patchbay encryption check v1")

// New returns a Store. read and write may be the same *sql.DB. It verifies
// that v opens the data already stored, and returns
// store.ErrWrongEncryptionKey if not.
func New(ctx context.Context, read, write *sql.DB, d Dialect, v *vault.Vault) (*DB, error) {
	for _, name := range queryNames {
		if d.Queries[name] == "" {
			return nil, fmt.Errorf("%s store: query %s is missing", d.Name, name)
		}
	}
	if d.Notifier == nil {
		d.Notifier = NewProcessNotifier()
	}
	if d.Throttles == nil {
		d.Throttles = NewProcessThrottles()
	}
	if d.Locker == nil {
		return nil, fmt.Errorf("%s store: no locker", d.Name)
	}
	db := &DB{read: read, write: write, d: d, vault: v, now: func() time.Time { return time.Now().UTC() }, logger: slog.Default()}
	if err := db.checkEncryptionKey(ctx); err != nil {
		return nil, err
	}
	if err := db.prepareHot(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) checkEncryptionKey(ctx context.Context) error {
	aad := vault.AAD("meta", "value", encryptionCheckKey)
	if _, err := db.write.ExecContext(ctx, db.q("InsertMeta"), encryptionCheckKey, db.vault.Seal(encryptionCheckValue, aad)); err != nil {
		return fmt.Errorf("write encryption check: %w", err)
	}
	var sealed []byte
	if err := db.read.QueryRowContext(ctx, db.q("GetMeta"), encryptionCheckKey).Scan(&sealed); err != nil {
		return fmt.Errorf("read encryption check: %w", err)
	}
	if _, err := db.vault.Open(sealed, aad); err != nil {
		return store.ErrWrongEncryptionKey
	}
	return nil
}

func (db *DB) q(name string) string { return db.d.Queries[name] }

func (db *DB) currentVault() *vault.Vault {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.vault
}

func (db *DB) seal(plaintext []byte, table, column, id string) []byte {
	return db.currentVault().Seal(plaintext, vault.AAD(table, column, id))
}

func (db *DB) open(ciphertext []byte, table, column, id string) ([]byte, error) {
	plaintext, err := db.currentVault().Open(ciphertext, vault.AAD(table, column, id))
	if err != nil {
		return nil, fmt.Errorf("decrypt %s.%s of %s: %w", table, column, id, err)
	}
	return plaintext, nil
}

// SetLogger sets where the store reports the rows its lists skip
// (slog.Default until set). Call it before the store is used.
func (db *DB) SetLogger(l *slog.Logger) {
	if l != nil {
		db.logger = l
	}
}

// UnreadableRows implements store.Store.
func (db *DB) UnreadableRows() int64 { return db.unreadable.Load() }

// unreadableRow wraps the decoding error of one column of a row and counts
// it.
func (db *DB) unreadableRow(table, id, column string, err error) error {
	db.unreadable.Add(1)
	return &store.UnreadableError{Table: table, ID: id, Column: column, Err: err}
}

// skipped logs a row a list leaves out because it cannot be decoded.
func (db *DB) skipped(ctx context.Context, list string, err *store.UnreadableError, attrs ...any) {
	db.logger.WarnContext(ctx, "skipped a row that cannot be read",
		append([]any{"list", list, "table", err.Table, "id", err.ID, "column", err.Column, "err", err.Err}, attrs...)...)
}

// Dialect implements store.Store.
func (db *DB) Dialect() string { return db.d.Name }

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Close implements store.Store.
func (db *DB) Close() error {
	err := errors.Join(db.closeStmts(), db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Environments implements store.Store.
func (db *DB) Environments() store.Environments { return environments{db} }

// Integrations implements store.Store.
func (db *DB) Integrations() store.Integrations { return integrations{db} }

// Connections implements store.Store.
func (db *DB) Connections() store.Connections { return connections{db} }

// ConnectSessions implements store.Store.
func (db *DB) ConnectSessions() store.ConnectSessions { return connectSessions{db} }

// OAuthSessions implements store.Store.
func (db *DB) OAuthSessions() store.OAuthSessions { return oauthSessions{db} }

// Settings implements store.Store.
func (db *DB) Settings() store.EnvironmentSettings { return settings{db} }

// Deployments implements store.Store.
func (db *DB) Deployments() store.Deployments { return deployments{db} }

// ActionRuns implements store.Store.
func (db *DB) ActionRuns() store.ActionRuns { return actionRuns{db} }

// FunctionLocks implements store.Store.
func (db *DB) FunctionLocks() store.FunctionLocks { return functionLocks{db} }

// Records implements store.Store.
func (db *DB) Records() store.Records { return records{db} }

// SyncInstances implements store.Store.
func (db *DB) SyncInstances() store.SyncInstances { return syncInstances{db} }

// Locker implements store.Store.
func (db *DB) Locker() store.Locker { return db.d.Locker }

// Notifier implements store.Store.
func (db *DB) Notifier() store.Notifier { return db.d.Notifier }

// Throttles implements store.Store.
func (db *DB) Throttles() store.Throttles { return db.d.Throttles }

// inTx runs fn in a write transaction, committing when it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// notFound turns sql.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// sealedColumns is every ciphertext column, with the queries that read and
// rewrite it. RotateEncryption walks this list; a migration adding a sealed
// column must add it here too (storetest's rotation test notices if not,
// because the row stops opening after rotation). A NULL column holds no
// ciphertext and stays NULL.
var sealedColumns = []struct {
	table   string
	columns []string
	list    string
	reseal  string
}{
	{"meta", []string{"value"}, "ListMeta", "UpdateMeta"},
	{"environments", []string{"secret_key", "webhook_signing_key", "variables"}, "ListSealedEnvironments", "ResealEnvironment"},
	{"integrations", []string{"secrets"}, "ListSealedIntegrations", "ResealIntegration"},
	{"connections", []string{"credentials"}, "ListSealedConnections", "ResealConnection"},
	{"oauth_sessions", []string{"secret"}, "ListSealedOAuthSessions", "ResealOAuthSession"},
	{"action_runs", []string{"input", "output", "error"}, "ListSealedActionRuns", "ResealActionRun"},
	{"sync_instances", []string{"checkpoint"}, "ListSealedSyncInstances", "ResealSyncInstance"},
	// records.payload too, keyed by four columns: see resealRecords.
}

// RotateEncryption implements store.Store.
func (db *DB) RotateEncryption(ctx context.Context, next *vault.Vault) error {
	old := db.currentVault()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, sc := range sealedColumns {
			if err := reseal(ctx, tx, db.q(sc.list), db.q(sc.reseal), sc.table, sc.columns, old, next); err != nil {
				return fmt.Errorf("re-encrypt %s: %w", sc.table, err)
			}
		}
		if err := db.resealRecords(ctx, tx, old, next); err != nil {
			return fmt.Errorf("re-encrypt records: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.mu.Lock()
	db.vault = next
	db.mu.Unlock()
	return nil
}

// reseal re-encrypts the rows of one table. The list query returns the row id
// then one ciphertext (or NULL) per column; the update takes the new
// ciphertexts then the id.
func reseal(ctx context.Context, tx *sql.Tx, list, update, table string, columns []string, old, next *vault.Vault) error {
	type row struct {
		id     string
		values [][]byte
	}
	rs, err := tx.QueryContext(ctx, list)
	if err != nil {
		return err
	}
	var all []row
	for rs.Next() {
		r := row{values: make([][]byte, len(columns))}
		dest := []any{&r.id}
		for i := range r.values {
			dest = append(dest, &r.values[i])
		}
		if err := rs.Scan(dest...); err != nil {
			rs.Close()
			return err
		}
		all = append(all, r)
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		return err
	}
	for _, r := range all {
		args := make([]any, 0, len(columns)+1)
		for i, c := range columns {
			if r.values[i] == nil {
				args = append(args, nil)
				continue
			}
			aad := vault.AAD(table, c, r.id)
			plain, err := old.Open(r.values[i], aad)
			if err != nil {
				return fmt.Errorf("decrypt %s.%s of %s: %w", table, c, r.id, err)
			}
			args = append(args, next.Seal(plain, aad))
		}
		args = append(args, r.id)
		if _, err := tx.ExecContext(ctx, update, args...); err != nil {
			return err
		}
	}
	return nil
}
