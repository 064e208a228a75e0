// Package serverhost is the functions.Host of a Patchbay server: a running
// function's requests go through the proxy (credentials, retries,
// throttling, the SSRF guard), its connection and metadata through the auth
// service, its locks and environment variables through the store.
package serverhost

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/proxy"
	"github.com/patchbay/patchbay/internal/store"
)

// MaxResponseBytes bounds a response handed to a function: it is held in
// memory twice (Go, then the VM), and the VM's own limit is 256 MB by
// default.
const MaxResponseBytes = 32 << 20

// Deps are the services a host uses; one Deps serves every execution.
type Deps struct {
	Proxy     Proxy
	Auth      Connections
	Variables Variables
	Locks     Locks
	Logger    *slog.Logger
	// Guard is the outbound address policy nango.uncontrolledFetch's
	// requests go through (nil: the strict default).
	Guard *outbound.Guard

	fetchOnce   sync.Once
	fetchGuard  *outbound.Guard
	fetchClient *http.Client
	// wsdls are the soap module's WSDLs, shared by executions.
	wsdls functions.WSDLCache
}

// Proxy sends a function's requests (*proxy.Proxy).
type Proxy interface {
	Do(ctx context.Context, req *proxy.Request) (*http.Response, error)
	PaginatePages(ctx context.Context, req proxy.Request, cfg *catalog.PaginateConfig, limit int, observe proxy.PageObserver) iter.Seq2[*proxy.Page, error]
}

// Connections reads and changes the execution's connection
// (*auth.Service): with fresh credentials, and its metadata.
type Connections interface {
	Connection(ctx context.Context, environmentID, integrationKey, connectionID string, force bool) (*store.Connection, error)
	SetMetadata(ctx context.Context, environmentID, integrationKey string, connectionIDs []string, metadata map[string]any, merge bool) ([]*store.Connection, error)
}

// Variables are the environments' variables functions read
// (store.EnvironmentSettings has them).
type Variables interface {
	Variables(ctx context.Context, environmentID string) ([]store.EnvironmentVariable, error)
}

// Locks are the locks functions take with nango.tryAcquireLock
// (store.FunctionLocks has them).
type Locks interface {
	TryAcquire(ctx context.Context, scope, key, owner string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, scope, key, owner string) (bool, error)
	ReleaseAll(ctx context.Context, owner string) error
}

// Target is the execution a host serves.
type Target struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	// Function names the function, for logs.
	Function string
	// ExecutionID owns the locks the function takes.
	ExecutionID string
	// Sync serves a sync run's records and checkpoint; without it
	// (actions, event handlers) they are refused.
	Sync Sync
}

// Sync is what a sync run reaches beyond its connection: its records and
// its checkpoint (internal/syncs implements it per run).
type Sync interface {
	Records(ctx context.Context, op *functions.RecordOp) error
	RecordsByIDs(ctx context.Context, model string, ids []string) ([]json.RawMessage, error)
	// ListRecords is nango.listRecords (functions.RecordLister).
	ListRecords(ctx context.Context, model, cursor string) (*functions.RecordsPage, error)
	Checkpoint(ctx context.Context) (map[string]any, error)
	SaveCheckpoint(ctx context.Context, checkpoint map[string]any) error
}

// Host is the server's functions.Host for one execution.
type Host struct {
	d *Deps
	t Target
}

// New returns the host of one execution.
func New(d *Deps, t Target) *Host { return &Host{d: d, t: t} }

var _ functions.Host = (*Host)(nil)
var _ functions.PageRecorder = (*Host)(nil)
var _ functions.RecordLister = (*Host)(nil)
var _ functions.Fetcher = (*Host)(nil)

func (h *Host) request(req *functions.HTTPRequest) (*proxy.Request, error) {
	endpoint := req.Endpoint
	if len(req.Params) > 0 {
		keys := make([]string, 0, len(req.Params))
		for k := range req.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		q := url.Values{}
		for _, k := range keys {
			q.Set(k, req.Params[k])
		}
		sep := "?"
		if strings.Contains(endpoint, "?") {
			sep = "&"
		}
		endpoint += sep + q.Encode()
	}
	header := http.Header{}
	for k, v := range req.Headers {
		header.Set(k, v)
	}
	pr := &proxy.Request{
		EnvironmentID:   h.t.EnvironmentID,
		IntegrationKey:  h.t.IntegrationKey,
		ConnectionID:    h.t.ConnectionID,
		Method:          req.Method,
		Endpoint:        endpoint,
		Header:          header,
		Retries:         req.Retries,
		RetryOn:         req.RetryOn,
		BaseURLOverride: req.BaseURLOverride,
		Decompress:      req.Decompress,
		ContentLength:   0,
	}
	var body []byte
	switch {
	case len(req.JSON) > 0:
		body = req.JSON
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
	case req.Body != nil:
		body = []byte(*req.Body)
	case req.BodyBase64 != "":
		b, err := base64.StdEncoding.DecodeString(req.BodyBase64)
		if err != nil {
			return nil, &functions.HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "the request body is not valid base64"}
		}
		body = b
	}
	if body != nil {
		pr.Body, pr.ContentLength = bytes.NewReader(body), int64(len(body))
	}
	return pr, nil
}

// Proxy sends the request through the proxy and reads the whole answer.
func (h *Host) Proxy(ctx context.Context, req *functions.HTTPRequest) (*functions.HTTPResponse, error) {
	pr, err := h.request(req)
	if err != nil {
		return nil, err
	}
	resp, err := h.d.Proxy.Do(ctx, pr)
	if err != nil {
		return nil, hostError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the provider's response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return nil, &functions.HostError{Code: "response_too_large", Message: fmt.Sprintf("the provider's response is larger than %d MiB", MaxResponseBytes>>20), Kind: fault.Upstream}
	}
	return &functions.HTTPResponse{Status: resp.StatusCode, Headers: flatten(resp.Header), Body: body}, nil
}

// hostError turns the proxy's own refusals into errors the function can
// read (code and status); provider answers never reach here.
func hostError(err error) error {
	var pe *proxy.Error
	if errors.As(err, &pe) {
		return &functions.HostError{Code: httperr.Code(pe.Kind, pe.Code), Message: pe.Message, Kind: pe.Kind}
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		return &functions.HostError{Code: httperr.Code(ae.Kind, ae.Code), Message: ae.Message, Kind: ae.Kind}
	}
	var de *store.DocumentError
	if errors.As(err, &de) {
		if de.Code == "too_big" {
			return &functions.HostError{Code: "document_too_large", Message: de.Error(), Kind: fault.TooLarge}
		}
		return &functions.HostError{Code: "invalid_document", Message: de.Error(), Kind: fault.Invalid}
	}
	return err
}

func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return out
}

// Paginate runs the proxy's pagination.
func (h *Host) Paginate(ctx context.Context, req *functions.HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*functions.Page, error] {
	return h.PaginateRecorded(ctx, req, cfg, limit, nil)
}

// PaginateRecorded is Paginate reporting each page (for dry runs).
func (h *Host) PaginateRecorded(ctx context.Context, req *functions.HTTPRequest, cfg *catalog.PaginateConfig, limit int,
	page func(method, endpoint string, params map[string]string, resp *functions.HTTPResponse)) iter.Seq2[*functions.Page, error] {
	pr, err := h.request(req)
	if err != nil {
		return func(yield func(*functions.Page, error) bool) { yield(nil, err) }
	}
	var observe proxy.PageObserver
	if page != nil {
		observe = func(method, endpoint string, query url.Values, status int, header http.Header, body []byte) {
			params := make(map[string]string, len(query))
			for k := range query {
				params[k] = query.Get(k)
			}
			page(method, endpoint, params, &functions.HTTPResponse{Status: status, Headers: flatten(header), Body: body})
		}
	}
	return func(yield func(*functions.Page, error) bool) {
		for p, err := range h.d.Proxy.PaginatePages(ctx, *pr, cfg, limit, observe) {
			if err != nil {
				yield(nil, pageError(err))
				return
			}
			resp := &functions.HTTPResponse{Status: p.Status, Headers: flatten(p.Header), Body: p.Body}
			if !yield(&functions.Page{Data: p.Data, Next: p.Next, OnPage: p.OnPage, Response: resp}, nil) {
				return
			}
		}
	}
}

func hostErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return hostError(err)
}

// pageError is a pagination's error for the function: a page the
// provider refused keeps its answer, to be thrown as nango.proxy's are.
func pageError(err error) error {
	var pe *proxy.PageError
	if errors.As(err, &pe) {
		return &functions.PageError{Response: &functions.HTTPResponse{Status: pe.Status, Headers: flatten(pe.Header), Body: pe.Response}, Err: err}
	}
	return hostError(err)
}

func (h *Host) connection(ctx context.Context) (*store.Connection, error) {
	c, err := h.d.Auth.Connection(ctx, h.t.EnvironmentID, h.t.IntegrationKey, h.t.ConnectionID, false)
	if err != nil {
		return nil, hostError(err)
	}
	return c, nil
}

// Connection returns the connection as Nango's getConnection does, with
// fresh credentials (and without the refresh token, which a function has
// no use for).
func (h *Host) Connection(ctx context.Context) (map[string]any, error) {
	c, err := h.connection(ctx)
	if err != nil {
		return nil, err
	}
	orEmpty := func(m map[string]any) map[string]any {
		if m == nil {
			return map[string]any{}
		}
		return m
	}
	out := map[string]any{
		"id":                  c.ID,
		"connection_id":       c.ConnectionID,
		"provider_config_key": c.IntegrationKey,
		"provider":            c.Provider,
		"connection_config":   orEmpty(c.ConnectionConfig),
		"metadata":            orEmpty(c.Metadata),
		"credentials":         auth.CredentialsView(&c.Credentials, false),
		"created_at":          c.CreatedAt.UTC().Format(time.RFC3339Nano),
		"updated_at":          c.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	if u := c.EndUser; u != nil {
		view := &endUserView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Tags: u.Tags}
		if o := u.Organization; o != nil {
			view.Organization = &organizationView{ID: o.ID, DisplayName: o.DisplayName}
		}
		out["end_user"] = view
	}
	return out, nil
}

// endUserView is getConnection()'s end_user, in Nango's shape; the
// store's struct has its own names, and its storage its own.
type endUserView struct {
	ID           string            `json:"id"`
	Email        string            `json:"email,omitempty"`
	DisplayName  string            `json:"display_name,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Organization *organizationView `json:"organization,omitempty"`
}

type organizationView struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name,omitempty"`
}

// Token returns the credential Nango's getToken does for the auth mode.
func (h *Host) Token(ctx context.Context) (any, error) {
	c, err := h.connection(ctx)
	if err != nil {
		return nil, err
	}
	return authmode.Token(&c.Credentials), nil
}

func (h *Host) Metadata(ctx context.Context) (map[string]any, error) {
	c, err := h.connection(ctx)
	if err != nil {
		return nil, err
	}
	if c.Metadata == nil {
		return map[string]any{}, nil
	}
	return c.Metadata, nil
}

// SetMetadata replaces or merges the connection's metadata, within the
// cap and rules of store.DocMetadata: the same as through the API, so a
// function can store no more than a customer can. What it was given is
// checked here; a merge that grows past the cap is refused by the store.
func (h *Host) SetMetadata(ctx context.Context, metadata map[string]any, merge bool) error {
	if _, err := store.DocMetadata.Encode(metadata); err != nil {
		return hostError(err)
	}
	_, err := h.d.Auth.SetMetadata(ctx, h.t.EnvironmentID, h.t.IntegrationKey, []string{h.t.ConnectionID}, metadata, merge)
	return hostErrorOrNil(err)
}

// Checkpoint, SaveCheckpoint and the record methods belong to sync runs.
func (h *Host) Checkpoint(ctx context.Context) (map[string]any, error) {
	if h.t.Sync == nil {
		return nil, functions.ErrNotInSync
	}
	return h.t.Sync.Checkpoint(ctx)
}

// SaveCheckpoint saves the run's checkpoint; nil clears it.
func (h *Host) SaveCheckpoint(ctx context.Context, checkpoint map[string]any) error {
	if h.t.Sync == nil {
		return functions.ErrNotInSync
	}
	return h.t.Sync.SaveCheckpoint(ctx, checkpoint)
}

func (h *Host) EnvironmentVariables(ctx context.Context) ([]store.EnvironmentVariable, error) {
	vars, err := h.d.Variables.Variables(ctx, h.t.EnvironmentID)
	if err != nil {
		return nil, fmt.Errorf("environment variables: %w", err)
	}
	if vars == nil {
		vars = []store.EnvironmentVariable{}
	}
	return vars, nil
}

// lockScope keeps one connection's locks apart from every other's.
func (h *Host) lockScope() string {
	return h.t.EnvironmentID + "/" + h.t.IntegrationKey + "/" + h.t.ConnectionID
}

func (h *Host) TryAcquireLock(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return h.d.Locks.TryAcquire(ctx, h.lockScope(), key, h.t.ExecutionID, ttl)
}

func (h *Host) ReleaseLock(ctx context.Context, key string) (bool, error) {
	return h.d.Locks.Release(ctx, h.lockScope(), key, h.t.ExecutionID)
}

func (h *Host) ReleaseAllLocks(ctx context.Context) error {
	return h.d.Locks.ReleaseAll(ctx, h.t.ExecutionID)
}

// Records runs one of the sync's record methods.
func (h *Host) Records(ctx context.Context, op *functions.RecordOp) error {
	if h.t.Sync == nil {
		return functions.ErrNotInSync
	}
	return h.t.Sync.Records(ctx, op)
}

// RecordsByIDs reads stored records (getRecordsByIds).
func (h *Host) RecordsByIDs(ctx context.Context, model string, ids []string) ([]json.RawMessage, error) {
	if h.t.Sync == nil {
		return nil, functions.ErrNotInSync
	}
	return h.t.Sync.RecordsByIDs(ctx, model, ids)
}

// ListRecords lists the sync's stored records (nango.listRecords).
func (h *Host) ListRecords(ctx context.Context, model, cursor string) (*functions.RecordsPage, error) {
	if h.t.Sync == nil {
		return nil, functions.ErrNotInSync
	}
	return h.t.Sync.ListRecords(ctx, model, cursor)
}

// Log writes the function's line to the server's log at debug level, with
// the function and connection as fields (the operations log, which will
// keep them per execution, is a later part).
func (h *Host) Log(level, message string) {
	if h.d.Logger == nil {
		return
	}
	h.d.Logger.Debug("function log", "function", h.t.Function, "integration", h.t.IntegrationKey,
		"connection", h.t.ConnectionID, "execution", h.t.ExecutionID, "level", level, "message", message)
}
