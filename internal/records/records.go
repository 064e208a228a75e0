// Package records is the records cache: what syncs save, kept per
// connection, model and variant, and read by customers with cursors
// (GET /records). It owns the rules (record ids and sizes, what counts as
// a change, the cursor's form, the query's parameters); the store owns the
// rows and their encryption.
package records

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// Bounds of records and of reads.
const (
	// MaxRecordBytes bounds one record's JSON.
	MaxRecordBytes = 1 << 20
	// MaxIDLength bounds a record's id.
	MaxIDLength = 255
	// DefaultLimit and MaxLimit bound a page of GET /records.
	DefaultLimit = 100
	MaxLimit     = 10_000
	// maxIDs bounds the ids filter of one read.
	maxIDs = 10_000
)

// Error is a refused read or write: Field names the parameter at fault.
type Error = fault.Error

func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: fault.Invalid, Code: "invalid_query_params", Field: field, Message: fmt.Sprintf(format, args...)}
}

// EncodeCursor is a record's cursor as customers see it: opaque, and
// stable across releases (base64url of the decimal number).
func EncodeCursor(c int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, c, 10))
}

// DecodeCursor reads a cursor EncodeCursor made.
func DecodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return 0, errors.New("not a cursor this server gave")
	}
	c, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || c < 0 {
		return 0, errors.New("not a cursor this server gave")
	}
	return c, nil
}

// Service reads records and makes the writers of sync runs.
type Service struct {
	store store.Records
	now   func() time.Time
}

// New returns a Service over s.
func New(s store.Records) *Service {
	return &Service{store: s, now: func() time.Time { return time.Now().UTC() }}
}

// Query is GET /records as the caller sent it: the query parameters
// unparsed, so that each error names its parameter.
type Query struct {
	Scope         store.RecordScope // Model and Variant from the parameters
	Cursor        string
	Limit         string
	ModifiedAfter string
	// Filter is Nango's filter: added, updated, deleted, comma-separated
	// (also with "|"), in any case.
	Filter string
	IDs    []string
}

// Page is one page of records in Nango's shape.
type Page struct {
	// Records are JSON objects: each record's own fields and its
	// _nango_metadata. They are slices of Body.
	Records []json.RawMessage
	// NextCursor is empty on the last page.
	NextCursor string
	// Body is the page as GET /records answers it, Nango's
	// {"records": […], "next_cursor": …}, written once: a page may hold
	// ten thousand records, which another copy would double in memory.
	Body []byte
}

var filterActions = map[string]string{
	"added":   store.RecordAdded,
	"updated": store.RecordUpdated,
	"deleted": store.RecordDeleted,
}

// Parse validates q into a store query.
func Parse(q Query) (store.RecordQuery, error) {
	out := store.RecordQuery{Scope: q.Scope, Limit: DefaultLimit}
	if q.Scope.Model == "" {
		return out, invalid("model", "model is required")
	}
	if q.Scope.Variant == "" {
		out.Scope.Variant = store.DefaultVariant
	}
	if q.Cursor != "" {
		c, err := DecodeCursor(q.Cursor)
		if err != nil {
			return out, invalid("cursor", "cursor %q is %v", q.Cursor, err)
		}
		out.After = c
	}
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > MaxLimit {
			return out, invalid("limit", "limit must be a whole number from 1 to %d, got %q", MaxLimit, q.Limit)
		}
		out.Limit = n
	}
	if q.ModifiedAfter != "" {
		t, err := parseTime(q.ModifiedAfter)
		if err != nil {
			return out, invalid("modified_after", "modified_after must be an ISO 8601 date or date-time, got %q", q.ModifiedAfter)
		}
		out.ModifiedAfter = &t
	}
	if q.Filter != "" {
		seen := map[string]bool{}
		for _, f := range strings.FieldsFunc(q.Filter, func(r rune) bool { return r == ',' || r == '|' }) {
			a, ok := filterActions[strings.ToLower(strings.TrimSpace(f))]
			if !ok {
				return out, invalid("filter", "filter takes added, updated and deleted, comma-separated; got %q", f)
			}
			if !seen[a] {
				seen[a] = true
				out.Actions = append(out.Actions, a)
			}
		}
	}
	if len(q.IDs) > 0 {
		if len(q.IDs) > maxIDs {
			return out, invalid("ids", "at most %d ids per request, got %d", maxIDs, len(q.IDs))
		}
		for _, id := range q.IDs {
			if id == "" || len(id) > MaxIDLength {
				return out, invalid("ids", "an id must have 1 to %d characters", MaxIDLength)
			}
		}
		out.IDs = q.IDs
	}
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

// List returns a page of records: one more than the limit is read to know
// whether another page follows.
func (s *Service) List(ctx context.Context, q store.RecordQuery) (*Page, error) {
	want := q.Limit
	q.Limit = want + 1
	recs, err := s.store.List(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list records of %s: %w", q.Scope.Model, err)
	}
	page := &Page{Records: make([]json.RawMessage, 0, min(len(recs), want))}
	if len(recs) > want {
		recs = recs[:want]
		page.NextCursor = EncodeCursor(recs[len(recs)-1].Cursor)
	}
	// One buffer for the page: a record each would be as many allocations
	// and copies.
	size := len(pageHead) + len(pageTail) + 64
	for _, r := range recs {
		size += len(r.Payload) + renderedMetaSize
	}
	buf := append(make([]byte, 0, size), pageHead...)
	for i, r := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		start := len(buf)
		buf = AppendRecord(buf, r)
		page.Records = append(page.Records, buf[start:len(buf):len(buf)])
	}
	buf = append(buf, pageTail...)
	if page.NextCursor == "" {
		buf = append(buf, "null"...)
	} else {
		buf = strconv.AppendQuote(buf, page.NextCursor) // base64url: nothing to escape
	}
	page.Body = append(buf, "}\n"...)
	return page, nil
}

// The parts of a page's body around its records.
const (
	pageHead = `{"records":[`
	pageTail = `],"next_cursor":`
)

// Render is a record as GET /records shows it: its own fields, then
// _nango_metadata. The payload is spliced, not re-encoded: records are
// read by the thousand. A pruned record shows its id and metadata only.
func Render(r *store.Record) json.RawMessage {
	return AppendRecord(make([]byte, 0, len(r.Payload)+renderedMetaSize), r)
}

// renderedMetaSize is about what _nango_metadata adds to a record.
const renderedMetaSize = 200

// AppendRecord appends Render(r) to dst.
func AppendRecord(dst []byte, r *store.Record) []byte {
	if body := trimObject(r.Payload); body != nil {
		dst = append(dst, body...) // "{…" without its closing brace
		if len(body) > 1 {
			dst = append(dst, ',')
		}
	} else {
		id, _ := json.Marshal(r.ID)
		dst = append(dst, `{"id":`...)
		dst = append(dst, id...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"_nango_metadata":{"first_seen_at":`...)
	dst = appendTime(dst, r.FirstSeenAt)
	dst = append(dst, `,"last_modified_at":`...)
	dst = appendTime(dst, r.LastModifiedAt)
	dst = append(dst, `,"last_action":"`...)
	dst = append(dst, r.LastAction...)
	dst = append(dst, `","deleted_at":`...)
	if r.DeletedAt != nil {
		dst = appendTime(dst, *r.DeletedAt)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"cursor":"`...)
	dst = appendCursor(dst, r.Cursor)
	return append(dst, `"}}`...)
}

// appendCursor appends EncodeCursor(c) without allocating.
func appendCursor(dst []byte, c int64) []byte {
	var digits [20]byte
	return base64.RawURLEncoding.AppendEncode(dst, strconv.AppendInt(digits[:0], c, 10))
}

// trimObject returns payload without its closing brace (and trailing
// space), or nil when payload is not a JSON object.
func trimObject(payload []byte) []byte {
	p := payload
	for len(p) > 0 && isSpace(p[len(p)-1]) {
		p = p[:len(p)-1]
	}
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' {
		return nil
	}
	p = p[:len(p)-1]
	for len(p) > 1 && isSpace(p[len(p)-1]) {
		p = p[:len(p)-1]
	}
	return p
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func appendTime(b []byte, t time.Time) []byte {
	// The layout 2006-01-02T15:04:05.000Z, written by hand: formatting a
	// layout is a noticeable share of reading a page of records.
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = append(b, '"')
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, minute)
	b = append(b, ':')
	b = append2(b, sec)
	ms := t.Nanosecond() / 1e6
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
	return b
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	if n < 0 || n > 9999 {
		return strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// Prune bounds of PATCH /records/prune.
const (
	DefaultPruneLimit = 5000
	MaxPruneLimit     = 100_000
)

// Prune drops the payloads of up to limit of a scope's records up to the
// cursor, oldest first (PATCH /records/prune), and returns how many it
// pruned and whether some are left (call again).
func (s *Service) Prune(ctx context.Context, scope store.RecordScope, cursor string, limit int) (int, bool, error) {
	if limit == 0 {
		limit = DefaultPruneLimit
	}
	if limit < 1 || limit > MaxPruneLimit {
		return 0, false, &Error{Kind: fault.Invalid, Code: "invalid_body", Field: "limit", Message: fmt.Sprintf("limit must be from 1 to %d", MaxPruneLimit)}
	}
	if scope.Model == "" {
		return 0, false, &Error{Kind: fault.Invalid, Code: "invalid_body", Field: "model", Message: "model is required"}
	}
	if scope.Variant == "" {
		scope.Variant = store.DefaultVariant
	}
	c, err := DecodeCursor(cursor)
	if err != nil || cursor == "" {
		return 0, false, &Error{Kind: fault.Invalid, Code: "invalid_body", Field: "until_cursor", Message: fmt.Sprintf("cursor %q is not a cursor this server gave", cursor)}
	}
	n, err := s.store.Prune(ctx, scope, c, limit)
	if err != nil {
		return 0, false, fmt.Errorf("prune records of %s: %w", scope.Model, err)
	}
	return n, n == limit, nil
}

// Purge removes the selected records for good, in transactions of chunk
// records, and returns how many.
func (s *Service) Purge(ctx context.Context, p store.RecordPurge, chunk int) (int, error) {
	if chunk <= 0 {
		chunk = 5000
	}
	total := 0
	for {
		n, err := s.store.Purge(ctx, p, chunk)
		total += n
		if err != nil {
			return total, fmt.Errorf("purge records: %w", err)
		}
		if n < chunk {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// Counts returns the live records per model of a connection's variant.
func (s *Service) Counts(ctx context.Context, connectionRef, variant string) (map[string]int64, error) {
	return s.store.Counts(ctx, connectionRef, variant)
}
