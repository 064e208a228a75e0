package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// stmts holds the hot statements prepared once per pool, for dialects
// whose driver parses a statement every time it is run otherwise
// (Dialect.PrepareOnce). Compiling SQL is expensive in SQLite: a sync
// writing a page of records runs about six statements around its row
// inserts, and preparing them anew each time cost a twentieth of the
// sync's time. database/sql keeps a prepared statement per connection and
// hands a transaction the one of its connection (preparing it there if
// that connection is new).
//
// They are prepared when the store opens, not on first use: preparing on
// a pool takes one of its connections, and SQLite's write pool has one,
// which the transaction asking would be holding. The map is read-only
// after that.
type stmts struct {
	write, read map[string]*sql.Stmt
}

// hotWrites and hotReads are the statements prepared once: those a sync
// runs per page of records, and the records read.
var (
	hotWrites = []string{"LockRecordScope", "SaveRecordScope", "ExistingRecords", "UpsertRecords", "TouchRecords",
		"RecordPayloads", "DeleteRecords", "HoldSyncLease", "SetSyncCheckpoint"}
	hotReads = []string{"ListRecords", "ListRecordsByIDs"}
)

// prepareHot prepares the hot statements, when the dialect wants them so.
func (db *DB) prepareHot(ctx context.Context) error {
	if !db.d.PrepareOnce {
		return nil
	}
	db.stmts.write, db.stmts.read = map[string]*sql.Stmt{}, map[string]*sql.Stmt{}
	for _, set := range []struct {
		pool  *sql.DB
		names []string
		into  map[string]*sql.Stmt
	}{{db.write, hotWrites, db.stmts.write}, {db.read, hotReads, db.stmts.read}} {
		for _, name := range set.names {
			st, err := set.pool.PrepareContext(ctx, db.q(name))
			if err != nil {
				return errors.Join(fmt.Errorf("prepare %s: %w", name, err), db.closeStmts())
			}
			set.into[name] = st
		}
	}
	return nil
}

// closeStmts closes the prepared statements (Close).
func (db *DB) closeStmts() error {
	var errs []error
	for _, m := range []map[string]*sql.Stmt{db.stmts.write, db.stmts.read} {
		for name, st := range m {
			errs = append(errs, st.Close())
			delete(m, name)
		}
	}
	return errors.Join(errs...)
}

// txExec runs the statement name in tx.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, name string, args ...any) (sql.Result, error) {
	if st := db.stmts.write[name]; st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, db.q(name), args...)
}

// txQuery runs the query name in tx.
func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, name string, args ...any) (*sql.Rows, error) {
	if st := db.stmts.write[name]; st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, db.q(name), args...)
}

// txQueryRow runs the one-row query name in tx.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, name string, args ...any) *sql.Row {
	if st := db.stmts.write[name]; st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, db.q(name), args...)
}

// readQuery runs the query name on the read pool.
func (db *DB) readQuery(ctx context.Context, name string, args ...any) (*sql.Rows, error) {
	if st := db.stmts.read[name]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.q(name), args...)
}

// txPrepare is a statement run many times in tx (a batch); closing it
// leaves the pool's prepared statement as it is.
func (db *DB) txPrepare(ctx context.Context, tx *sql.Tx, name string) (*sql.Stmt, error) {
	if st := db.stmts.write[name]; st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, db.q(name))
}
