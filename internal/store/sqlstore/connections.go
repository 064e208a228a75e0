package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/store"
)

type connections struct{ db *DB }

// List page sizes.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// isUUID reports whether id can be a row id. PostgreSQL rejects a malformed
// UUID with a syntax error, so lookups check first and answer ErrNotFound,
// as SQLite would.
func isUUID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// scan reads the columns every connection query returns (see queries.sql)
// and opens the credentials. A row it cannot decode is a
// *store.UnreadableError, returned with the columns read so far (ids, for
// logs).
func (s connections) scan(row rowScanner) (*store.Connection, error) {
	c := &store.Connection{}
	var sealed, config, metadata, endUser, tags, errs []byte
	var expires, success, failure sql.NullTime
	if err := row.Scan(&c.ID, &c.EnvironmentID, &c.IntegrationID, &c.IntegrationKey, &c.Provider, &c.ConnectionID,
		&sealed, &expires, &config, &metadata, &endUser, &tags, &errs, &success, &failure,
		&c.RefreshAttempts, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	c.CredentialsExpiresAt = timePtr(expires)
	c.LastRefreshSuccessAt = timePtr(success)
	c.LastRefreshFailureAt = timePtr(failure)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if sealed != nil {
		plain, err := s.db.open(sealed, "connections", "credentials", c.ID)
		if err != nil {
			return c, s.db.unreadableRow("connections", c.ID, "credentials", err)
		}
		if c.Credentials, err = decodeCredentials(plain); err != nil {
			return c, s.db.unreadableRow("connections", c.ID, "credentials", err)
		}
	}
	for _, col := range []struct {
		name   string
		src    []byte
		decode func([]byte) error
	}{
		{"connection_config", config, func(b []byte) error { return json.Unmarshal(b, &c.ConnectionConfig) }},
		{"metadata", metadata, func(b []byte) error { return json.Unmarshal(b, &c.Metadata) }},
		{"end_user", endUser, func(b []byte) (err error) { c.EndUser, err = decodeEndUser(b); return err }},
		{"tags", tags, func(b []byte) error { return json.Unmarshal(b, &c.Tags) }},
		{"errors", errs, func(b []byte) (err error) { c.Errors, err = decodeErrors(b); return err }},
	} {
		if col.src == nil {
			continue
		}
		if err := col.decode(col.src); err != nil {
			return c, s.db.unreadableRow("connections", c.ID, col.name, err)
		}
	}
	return c, nil
}

// connectionDocs are a connection's JSON documents, in the order args
// writes them.
func connectionDocs(c *store.Connection) [4]docValue {
	return [4]docValue{
		{store.DocConnectionConfig, c.ConnectionConfig, "{}"},
		{store.DocMetadata, c.Metadata, "{}"},
		{store.DocTags, c.Tags, "{}"},
		{store.DocEndUser, toStoredEndUser(c.EndUser), ""},
	}
}

// docSizes are the encoded sizes of a connection's documents as read,
// in connectionDocs' order.
type docSizes [4]int

// sizesOf measures c's documents, before a change, for args. It encodes
// them as store.Document.Encode does, without its checks: only sizes are
// needed, and only if a document turns out too big.
func sizesOf(c *store.Connection) docSizes {
	var out docSizes
	for i, d := range connectionDocs(c) {
		var n countingWriter
		enc := json.NewEncoder(&n)
		enc.SetEscapeHTML(false)
		if enc.Encode(d.v) == nil {
			out[i] = int(n) - 1 // the encoder's newline
		}
	}
	return out
}

// countingWriter counts the bytes written to it.
type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// args returns the mutable columns, in the order InsertConnection and
// UpdateConnection share, sealing the credentials to c.ID. It also brings
// c.CredentialsExpiresAt in line with the credentials. It refuses
// documents that break their rules (store.Document), before anything is
// written; before holds the sizes of the row's documents as it was read
// (nil for a new row): one already over its cap, stored before caps were
// checked, may be written back as long as it does not grow, so that
// refreshing such a connection's token keeps working.
func (s connections) args(c *store.Connection, before *docSizes) ([]any, error) {
	c.CredentialsExpiresAt = credentialsExpiry(c.Credentials)
	plain, err := encodeCredentials(c.Credentials)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	var docs [4]any
	for i, d := range connectionDocs(c) {
		b, err := d.encode()
		var de *store.DocumentError
		if errors.As(err, &de) && de.Code == "too_big" && before != nil && len(b) <= before[i] {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		if b != nil {
			// Text, not bytes: SQLite would store bytes as a BLOB, which
			// its JSON functions refuse.
			docs[i] = string(b)
		}
	}
	errs, err := jsonValue(toStoredErrors(withoutNUL(c.Errors)), "[]")
	if err != nil {
		return nil, fmt.Errorf("errors: %w", err)
	}
	var endUserID any
	if c.EndUser != nil {
		endUserID = c.EndUser.ID
	}
	return []any{
		s.db.seal(plain, "connections", "credentials", c.ID), nullTime(c.CredentialsExpiresAt),
		docs[0], docs[1], endUserID, docs[3], docs[2], errs, refreshDisabled(c.Errors),
		nullTime(c.LastRefreshSuccessAt), nullTime(c.LastRefreshFailureAt), c.RefreshAttempts,
	}, nil
}

// withoutNUL drops the NUL character from a connection's health
// messages, which quote providers' answers: PostgreSQL's jsonb cannot keep
// it, and a refresh failure must be recorded whatever the provider said.
func withoutNUL(errs []store.ConnectionError) []store.ConnectionError {
	var out []store.ConnectionError
	for i, e := range errs {
		if !strings.ContainsRune(e.Code+e.Message, 0) {
			continue
		}
		if out == nil {
			out = slices.Clone(errs)
		}
		out[i].Code, out[i].Message = strings.ReplaceAll(e.Code, "\x00", ""), strings.ReplaceAll(e.Message, "\x00", "")
	}
	if out == nil {
		return errs
	}
	return out
}

// credentialsExpiry is when the credentials must be renewed: with a user
// token besides (an installation with user authorization), whichever of
// the two expires first. A token its mode cannot renew without a refresh
// token, and that has none, gets none: otherwise expired ones would sit at
// the head of Expiring forever and crowd out the connections the refresher
// can help.
func credentialsExpiry(cr store.Credentials) *time.Time {
	if authmode.Stranded(&cr) {
		return nil
	}
	at := cr.ExpiresAt
	if cr.User != nil && cr.User.ExpiresAt != nil && (at == nil || cr.User.ExpiresAt.Before(*at)) {
		at = cr.User.ExpiresAt
	}
	if at == nil {
		return nil
	}
	utc := at.UTC()
	return &utc
}

// refreshDisabled reports whether errs stop the refresher: an "auth" error
// means refreshing failed for good until the end user re-authorises.
func refreshDisabled(errs []store.ConnectionError) bool {
	for _, e := range errs {
		if e.Type == "auth" {
			return true
		}
	}
	return false
}

// insert writes c as a new row with a fresh id. It reports false, changing
// nothing, when the connection id is taken for the integration.
func (s connections) insert(ctx context.Context, tx *sql.Tx, c *store.Connection) (bool, error) {
	id, now := newID(), s.db.now()
	n := *c
	n.ID, n.CreatedAt, n.UpdatedAt = id, now, now
	cols, err := s.args(&n, nil)
	if err != nil {
		return false, err
	}
	args := append([]any{n.ID, n.EnvironmentID, n.IntegrationID, n.ConnectionID}, cols...)
	res, err := tx.ExecContext(ctx, s.db.q("InsertConnection"), append(args, n.CreatedAt, n.UpdatedAt)...)
	if err != nil {
		return false, err
	}
	if rows, err := res.RowsAffected(); err != nil {
		return false, err
	} else if rows == 0 {
		return false, nil
	}
	*c = n
	return true, nil
}

// update saves every mutable column of c, which must have been read in tx;
// before are the sizes of its documents as read (see args).
func (s connections) update(ctx context.Context, tx *sql.Tx, c *store.Connection, before docSizes) error {
	c.UpdatedAt = s.db.now()
	cols, err := s.args(c, &before)
	if err != nil {
		return err
	}
	args := append([]any{c.ConnectionID}, cols...)
	if _, err := tx.ExecContext(ctx, s.db.q("UpdateConnection"), append(args, c.UpdatedAt, c.ID)...); err != nil {
		if s.db.d.IsUniqueViolation(err) {
			return store.ErrConflict
		}
		return err
	}
	return nil
}

// resolveIntegration fills c's environment, integration key and provider
// from c.IntegrationID, so a connection can never name an integration of
// another environment.
func (s connections) resolveIntegration(ctx context.Context, tx *sql.Tx, c *store.Connection) error {
	if c.IntegrationID == "" {
		return errors.New("no integration id")
	}
	if !isUUID(c.IntegrationID) {
		return fmt.Errorf("integration %s: %w", c.IntegrationID, store.ErrNotFound)
	}
	var envID string
	err := tx.QueryRowContext(ctx, s.db.q("IntegrationRef"), c.IntegrationID).Scan(&c.IntegrationID, &envID, &c.IntegrationKey, &c.Provider)
	if err == nil && c.EnvironmentID != "" && c.EnvironmentID != envID {
		err = sql.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("integration %s: %w", c.IntegrationID, notFound(err))
	}
	c.EnvironmentID = envID
	return nil
}

func (s connections) Create(ctx context.Context, c *store.Connection) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.resolveIntegration(ctx, tx, c); err != nil {
			return err
		}
		created, err := s.insert(ctx, tx, c)
		if err == nil && !created {
			err = store.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create connection %q: %w", c.ConnectionID, err)
	}
	return nil
}

func (s connections) Upsert(ctx context.Context, c *store.Connection) (created bool, err error) {
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		if err := s.resolveIntegration(ctx, tx, c); err != nil {
			return err
		}
		lookUp := func() (*store.Connection, error) {
			return s.scan(tx.QueryRowContext(ctx, s.db.q("LockConnectionByKey"), c.IntegrationID, c.ConnectionID))
		}
		old, err := lookUp()
		if errors.Is(err, store.ErrNotFound) {
			if created, err = s.insert(ctx, tx, c); err != nil || created {
				return err
			}
			// Another Upsert created the row after the lookup; PostgreSQL's
			// ON CONFLICT waited for it to commit, so it is visible now.
			old, err = lookUp()
		}
		if err != nil {
			return err
		}
		next := reauthorised(old, c)
		if err := s.update(ctx, tx, next, sizesOf(old)); err != nil {
			return err
		}
		*c = *next
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("upsert connection %q: %w", c.ConnectionID, err)
	}
	return created, nil
}

// reauthorised is old after a successful re-authorisation that produced c.
func reauthorised(old, c *store.Connection) *store.Connection {
	next := *old
	next.Credentials = c.Credentials
	next.ConnectionConfig = c.ConnectionConfig
	next.EndUser = c.EndUser
	next.Tags = c.Tags
	if c.Metadata != nil {
		next.Metadata = c.Metadata
	}
	next.Errors = nil
	next.RefreshAttempts = 0
	return &next
}

func (s connections) Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error) {
	if !isUUID(environmentID) {
		return nil, fmt.Errorf("connection %q: %w", connectionID, store.ErrNotFound)
	}
	c, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("GetConnection"), environmentID, integrationKey, connectionID))
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", connectionID, err)
	}
	return c, nil
}

func (s connections) ByID(ctx context.Context, id string) (*store.Connection, error) {
	if !isUUID(id) {
		return nil, fmt.Errorf("connection %s: %w", id, store.ErrNotFound)
	}
	c, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("ConnectionByID"), id))
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", id, err)
	}
	return c, nil
}

func (s connections) List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error) {
	out := []*store.Connection{}
	if f.EnvironmentID != "" && !isUUID(f.EnvironmentID) {
		return out, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	var search any
	if f.Search != "" {
		search = "%" + escapeLike(f.Search) + "%"
	}
	tags, err := jsonValue(f.Tags, "{}")
	if err != nil {
		return nil, fmt.Errorf("list connections: tags: %w", err)
	}
	var keys any // NULL: any integration
	if len(f.IntegrationKeys) > 0 {
		if keys, err = jsonValue(f.IntegrationKeys, "[]"); err != nil {
			return nil, fmt.Errorf("list connections: integration keys: %w", err)
		}
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.q("ListConnections"),
		nullString(f.EnvironmentID), nullString(f.IntegrationKey), nullString(f.ConnectionID), nullString(f.EndUserID),
		search, tags, limit, max(f.Page, 0)*limit, keys, nullString(f.EndUserOrganizationID))
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := s.scan(rows)
		var unreadable *store.UnreadableError
		if errors.As(err, &unreadable) {
			// One bad row must not take the environment's list down with
			// it: leave it out, and say so where operators look.
			s.db.skipped(ctx, "connections", unreadable, "connection_id", c.ConnectionID, "integration", c.IntegrationKey)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list connections: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	return out, nil
}

func (s connections) Update(ctx context.Context, id string, change func(*store.Connection) error) (*store.Connection, error) {
	if !isUUID(id) {
		return nil, fmt.Errorf("update connection %s: %w", id, store.ErrNotFound)
	}
	var out *store.Connection
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.scan(tx.QueryRowContext(ctx, s.db.q("LockConnection"), id))
		if err != nil {
			return err
		}
		orig, before := *c, sizesOf(c)
		if err := change(c); err != nil {
			return err
		}
		// The row's identity and ownership are not the change's to make.
		c.ID, c.EnvironmentID, c.IntegrationID = orig.ID, orig.EnvironmentID, orig.IntegrationID
		c.IntegrationKey, c.Provider, c.CreatedAt = orig.IntegrationKey, orig.Provider, orig.CreatedAt
		if err := s.update(ctx, tx, c, before); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update connection %s: %w", id, err)
	}
	return out, nil
}

func (s connections) Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error {
	if !isUUID(environmentID) {
		return fmt.Errorf("delete connection %q: %w", connectionID, store.ErrNotFound)
	}
	res, err := s.db.write.ExecContext(ctx, s.db.q("DeleteConnection"), environmentID, integrationKey, connectionID)
	if err != nil {
		return fmt.Errorf("delete connection %q: %w", connectionID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete connection %q: %w", connectionID, err)
	} else if n == 0 {
		return fmt.Errorf("delete connection %q: %w", connectionID, store.ErrNotFound)
	}
	return nil
}

func (s connections) Expiring(ctx context.Context, before time.Time, after store.ExpiringKey, limit int) ([]store.ExpiringKey, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.q("ExpiringConnections"),
		before.UTC(), after.ExpiresAt.UTC(), after.ID, min(limit, maxListLimit))
	if err != nil {
		return nil, fmt.Errorf("expiring connections: %w", err)
	}
	defer rows.Close()
	var keys []store.ExpiringKey
	for rows.Next() {
		var k store.ExpiringKey
		if err := rows.Scan(&k.ExpiresAt, &k.ID); err != nil {
			return nil, fmt.Errorf("expiring connections: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expiring connections: %w", err)
	}
	return keys, nil
}

// docValue is a document about to be written: its kind, its value, and
// what to write when the value is nil ("" for NULL).
type docValue struct {
	doc   store.Document
	v     any
	empty string
}

// encode checks and encodes the document for its column: a string, or nil
// for NULL. On a *store.DocumentError it still returns the encoding, for
// its size.
func (d docValue) encode() ([]byte, error) {
	b, err := d.doc.Encode(d.v)
	if string(b) == "null" {
		if d.empty == "" {
			return nil, nil
		}
		return []byte(d.empty), nil
	}
	return b, err
}

// jsonValue encodes v for a NOT NULL JSON column, writing empty where v
// would encode as null.
func jsonValue(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

// nullTime stores t in UTC, which SQLite needs: it compares timestamps as
// text, and text in different offsets does not sort by instant.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	utc := t.Time.UTC()
	return &utc
}

// nullString makes an unset filter NULL, which the list queries read as
// "match all".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string { return likeEscaper.Replace(s) }
