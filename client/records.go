package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The actions a record's metadata reports: what its last change was.
const (
	RecordAdded   = "ADDED"
	RecordUpdated = "UPDATED"
	RecordDeleted = "DELETED"
)

// RecordMetadata is what the server keeps about a cached record (Nango's
// _nango_metadata).
type RecordMetadata struct {
	// FirstSeenAt is when a run first saved the record.
	FirstSeenAt time.Time `json:"first_seen_at"`
	// LastModifiedAt is when a run last changed it.
	LastModifiedAt time.Time `json:"last_modified_at"`
	// LastAction is RecordAdded, RecordUpdated or RecordDeleted.
	LastAction string `json:"last_action"`
	// DeletedAt is when a run deleted it; nil while it exists.
	DeletedAt *time.Time `json:"deleted_at"`
	// Cursor locates the record's last change: pass it as
	// ListRecordsOptions.Cursor to read the changes after it, or as
	// PruneRecordsRequest.UntilCursor.
	Cursor string `json:"cursor"`
}

// Record is one record of a sync's cache.
type Record struct {
	// ID is the record's "id" member (a non-string id is kept as its JSON
	// text).
	ID string
	// Metadata is the record's _nango_metadata.
	Metadata RecordMetadata
	// JSON is the record as the server sent it: the sync's fields and
	// _nango_metadata. Decode it into the model's own type with Decode.
	JSON json.RawMessage
}

// UnmarshalJSON keeps the record's JSON and reads its id and metadata.
func (r *Record) UnmarshalJSON(data []byte) error {
	var head struct {
		ID       json.RawMessage `json:"id"`
		Metadata *RecordMetadata `json:"_nango_metadata"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	rec := Record{JSON: append(json.RawMessage(nil), data...)}
	if head.Metadata != nil {
		rec.Metadata = *head.Metadata
	}
	if len(head.ID) > 0 && json.Unmarshal(head.ID, &rec.ID) != nil {
		rec.ID = string(head.ID)
	}
	*r = rec
	return nil
}

// MarshalJSON writes the record as the server sent it.
func (r Record) MarshalJSON() ([]byte, error) {
	if len(r.JSON) == 0 {
		return []byte("null"), nil
	}
	return r.JSON, nil
}

// Decode unmarshals the record's JSON into v (a pointer to the model's
// type; add a `json:"_nango_metadata"` field to it to keep the metadata).
func (r Record) Decode(v any) error { return json.Unmarshal(r.JSON, v) }

// ListRecordsOptions select the records ListRecords and Records read.
type ListRecordsOptions struct {
	// Model is the model's name, as the sync declares it; required.
	Model string
	// Variant is the sync variant whose records to read; empty means the
	// base variant.
	Variant string
	// Cursor starts the read after the record it came from (a
	// RecordMetadata.Cursor or a RecordsPage.NextCursor); empty starts at
	// the oldest change.
	Cursor string
	// Limit is the page size, 1–10000 (0: the server's default, 100).
	Limit int
	// ModifiedAfter, when not zero, keeps the records changed after it.
	ModifiedAfter time.Time
	// Filter keeps the records whose last action is among those listed:
	// "added", "updated" and "deleted", comma-separated, e.g.
	// "added,updated". Empty keeps all, deleted ones included.
	Filter string
	// IDs, when not empty, keeps the records with these ids (at most
	// 10000; an id cannot contain a comma).
	IDs []string
}

// RecordsPage is one page of records, in the order of their last change.
type RecordsPage struct {
	Records []Record
	// NextCursor reads the next page (as ListRecordsOptions.Cursor); empty
	// on the last page.
	NextCursor string
}

// ListRecords reads one page of a model's cached records on a connection
// (GET /records). Follow NextCursor for the next page, or use Records to
// read them all.
func (c *Client) ListRecords(ctx context.Context, integrationKey, connectionID string, opts ListRecordsOptions) (*RecordsPage, error) {
	rc, err := c.recordsClient(integrationKey, connectionID)
	if err != nil {
		return nil, err
	}
	if opts.Model == "" {
		return nil, errors.New("patchbay: records: the model must not be empty")
	}
	q := url.Values{"model": {opts.Model}}
	set := func(name, value string) {
		if value != "" {
			q.Set(name, value)
		}
	}
	set("variant", opts.Variant)
	set("cursor", opts.Cursor)
	set("filter", opts.Filter)
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if !opts.ModifiedAfter.IsZero() {
		q.Set("modified_after", opts.ModifiedAfter.UTC().Format(time.RFC3339Nano))
	}
	for _, id := range opts.IDs {
		q.Add("ids", id)
	}
	r := request{method: http.MethodGet, path: "/records", query: q}
	var out struct {
		Records    *[]Record `json:"records"`
		NextCursor *string   `json:"next_cursor"`
	}
	if err := rc.send(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.Records == nil {
		return nil, fmt.Errorf("patchbay: %s: response has no \"records\"", r)
	}
	page := &RecordsPage{Records: *out.Records}
	if out.NextCursor != nil {
		page.NextCursor = *out.NextCursor
	}
	return page, nil
}

// Records iterates over every record ListRecords would return with opts,
// page after page (opts.Limit records each), from opts.Cursor on. A
// failed read yields its error once and ends the iteration; so does the
// end of ctx. Records changed while the iteration runs are seen again
// after their earlier version, since each change moves a record to the
// end.
//
//	for rec, err := range pb.Records(ctx, "github", "conn-1", client.ListRecordsOptions{Model: "Issue"}) {
//		if err != nil {
//			return err
//		}
//		var issue Issue
//		if err := rec.Decode(&issue); err != nil {
//			return err
//		}
//		…
//	}
func (c *Client) Records(ctx context.Context, integrationKey, connectionID string, opts ListRecordsOptions) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			page, err := c.ListRecords(ctx, integrationKey, connectionID, opts)
			if err != nil {
				yield(Record{}, err)
				return
			}
			for _, rec := range page.Records {
				if !yield(rec, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			if page.NextCursor == opts.Cursor {
				yield(Record{}, fmt.Errorf("patchbay: GET /records: the server answered cursor %q with itself as the next", opts.Cursor))
				return
			}
			opts.Cursor = page.NextCursor
		}
	}
}

// PruneRecordsRequest names the records PruneRecords prunes.
type PruneRecordsRequest struct {
	// Model is the model's name; required.
	Model string `json:"model"`
	// Variant is the sync variant; empty means the base variant.
	Variant string `json:"variant,omitempty"`
	// UntilCursor is a record's cursor (RecordMetadata.Cursor): the
	// records up to it are pruned; required.
	UntilCursor string `json:"until_cursor"`
}

// PruneResult is what PruneRecords did.
type PruneResult struct {
	// Count is how many records were pruned.
	Count int `json:"count"`
	// HasMore asks for another call with the same request: the server
	// pruned part of the range only.
	HasMore bool `json:"has_more"`
}

// PruneRecords drops the payloads of a model's cached records up to a
// cursor, once the caller has stored them elsewhere: the records keep
// their ids and metadata (ListRecords shows them so), which is what
// delete detection and later reads need.
func (c *Client) PruneRecords(ctx context.Context, integrationKey, connectionID string, req PruneRecordsRequest) (*PruneResult, error) {
	rc, err := c.recordsClient(integrationKey, connectionID)
	if err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, errors.New("patchbay: prune records: the model must not be empty")
	}
	if req.UntilCursor == "" {
		return nil, errors.New("patchbay: prune records: the cursor must not be empty")
	}
	var out PruneResult
	if err := rc.send(ctx, request{method: http.MethodPatch, path: "/records/prune", body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// recordsClient returns a copy of c that sends the records routes'
// connection headers on every request. request (client.go) has no header
// field, and this keeps send the one place that reads answers and errors.
func (c *Client) recordsClient(integrationKey, connectionID string) (*Client, error) {
	if integrationKey == "" {
		return nil, errors.New("patchbay: integration unique key must not be empty")
	}
	if connectionID == "" {
		return nil, errors.New("patchbay: connection id must not be empty")
	}
	rc := *c
	hc := *c.httpClient
	hc.Transport = headerTransport{base: c.httpClient.Transport, header: http.Header{
		"Provider-Config-Key": {integrationKey},
		"Connection-Id":       {connectionID},
	}}
	rc.httpClient = &hc
	return &rc, nil
}

// headerTransport adds header to every request it sends.
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

// RoundTrip sends a copy of req with the headers added: a RoundTripper
// must not change the request it is given.
func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.header {
		req.Header[k] = v
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}
