package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// This file is the one place that knows how each dialect takes many values
// in one statement (Dialect.ArrayParams). The queries stay named and fixed:
// PostgreSQL's bind arrays (= ANY($n), unnest), SQLite's unpack a JSON array
// with json_each or take one row and run once per row. Either way a batch
// of records costs a handful of statements, whatever its size, on a
// server, and no SQL is built at run time.

// listArg is ids as one list parameter: a slice where the driver binds
// arrays, otherwise a JSON array. nil stays NULL, which the list queries
// read as "no filter".
func (db *DB) listArg(ids []string) (any, error) {
	if ids == nil {
		return nil, nil
	}
	if db.d.ArrayParams {
		return ids, nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// batchColumn is one column of a batch statement's rows: []string, []int64
// or [][]byte, all of the same length.
type batchColumn = any

func columnLen(c batchColumn) int {
	switch c := c.(type) {
	case []string:
		return len(c)
	case []int64:
		return len(c)
	case [][]byte:
		return len(c)
	}
	panic(fmt.Sprintf("sqlstore: batch column of type %T", c))
}

func columnValue(c batchColumn, i int) any {
	switch c := c.(type) {
	case []string:
		return c[i]
	case []int64:
		return c[i]
	case [][]byte:
		return c[i]
	}
	panic(fmt.Sprintf("sqlstore: batch column of type %T", c))
}

// execBatch runs the batch statement name over rows given column-wise,
// after the parameters every row shares, and returns the rows it changed.
// With arrays it is one statement; otherwise the statement (one row's
// parameters: scalars then the row's values) is prepared once and run per
// row.
func (db *DB) execBatch(ctx context.Context, tx *sql.Tx, name string, scalars []any, columns ...batchColumn) (int64, error) {
	if len(columns) == 0 || columnLen(columns[0]) == 0 {
		return 0, nil
	}
	if db.d.ArrayParams {
		args := append(append([]any{}, scalars...), columns...)
		res, err := tx.ExecContext(ctx, db.q(name), args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	stmt, err := db.txPrepare(ctx, tx, name)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	args := make([]any, len(scalars)+len(columns))
	copy(args, scalars)
	var total int64
	for i := range columnLen(columns[0]) {
		for j, c := range columns {
			args[len(scalars)+j] = columnValue(c, i)
		}
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}
