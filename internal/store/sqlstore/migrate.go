package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate applies a dialect's embedded migrations (the .sql files at the
// root of migrations), then River's own, so the job queue always lives in
// the same database as the data its jobs touch.
func Migrate[TTx any](ctx context.Context, db *sql.DB, dialect goose.Dialect, migrations fs.FS, river riverdriver.Driver[TTx]) error {
	p, err := goose.NewProvider(dialect, db, migrations)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m, err := rivermigrate.New(river, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// MigrateTo moves a dialect's schema up or down to version (River's tables
// are left as they are). Tests use it to build a database as an older
// release left it and check that a migration keeps its rows.
func MigrateTo(ctx context.Context, db *sql.DB, dialect goose.Dialect, migrations fs.FS, version int64) error {
	p, err := goose.NewProvider(dialect, db, migrations)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if current > version {
		_, err = p.DownTo(ctx, version)
	} else {
		_, err = p.UpTo(ctx, version)
	}
	if err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}
