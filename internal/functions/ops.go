package functions

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5" //nolint:gosec // templates ask for md5 digests (ETags, Gravatar); not used for security here
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 signatures of providers (Trello, Twilio)
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"iter"
	"mime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// An asyncOp checks its arguments on the VM's goroutine and returns the
// work to run in a goroutine of its own.
type asyncOp func(x *execution, args json.RawMessage) (func(ctx context.Context) (any, error), error)

// A syncOp runs on the VM's goroutine; it must not do I/O.
type syncOp func(x *execution, args json.RawMessage) (any, error)

var syncOps = map[string]syncOp{
	"log":          opLog,
	"digest":       opDigest,
	"randomUUID":   func(*execution, json.RawMessage) (any, error) { return uuid.NewString(), nil },
	"randomBytes":  opRandomBytes,
	"unzip":        opUnzip,
	"timeZone":     opTimeZone,
	"soap.message": opSOAPMessage,
}

// asyncOps is assigned in init: startOp reads it, and a package-level
// initialiser would make that an initialisation cycle.
var asyncOps map[string]asyncOp

func init() {
	asyncOps = map[string]asyncOp{
		"proxy":                   opProxy,
		"paginate.start":          opPaginateStart,
		"paginate.next":           opPaginateNext,
		"paginate.close":          opPaginateClose,
		"getConnection":           opGetConnection,
		"getToken":                simple(func(ctx context.Context, h Host) (any, error) { return h.Token(ctx) }),
		"getMetadata":             simple(func(ctx context.Context, h Host) (any, error) { return h.Metadata(ctx) }),
		"setMetadata":             opSetMetadata(false),
		"updateMetadata":          opSetMetadata(true),
		"getCheckpoint":           simple(func(ctx context.Context, h Host) (any, error) { return h.Checkpoint(ctx) }),
		"saveCheckpoint":          opSaveCheckpoint,
		"clearCheckpoint":         simple(func(ctx context.Context, h Host) (any, error) { return nil, h.SaveCheckpoint(ctx, nil) }),
		"getEnvironmentVariables": simple(getEnvironmentVariables),
		"tryAcquireLock":          opTryAcquireLock,
		"releaseLock":             opReleaseLock,
		"releaseAllLocks":         simple(func(ctx context.Context, h Host) (any, error) { return nil, h.ReleaseAllLocks(ctx) }),
		opNameSleep:               opSleep,
		"getRecordsByIds":         opRecordsByIDs,
		"listRecords":             opListRecords,
		"uncontrolledFetch":       opUncontrolledFetch,
		"soap.client":             opSOAPClient,
		"soap.call":               opSOAPCall,
	}
	for _, op := range []string{RecordsSave, RecordsUpdate, RecordsDelete, RecordsTrackDeletesStart, RecordsTrackDeletesEnd, RecordsDeletePrevious, RecordsSetMerging} {
		asyncOps[op] = opRecords(op)
	}
}

// opNameSleep is the timer op: never made in line (see ImmediateHost).
const opNameSleep = "sleep"

func simple(f func(ctx context.Context, h Host) (any, error)) asyncOp {
	return func(x *execution, _ json.RawMessage) (func(ctx context.Context) (any, error), error) {
		h := x.host
		return func(ctx context.Context) (any, error) { return f(ctx, h) }, nil
	}
}

func decodeArgs(raw json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: fmt.Sprintf("invalid arguments: %v", err)}
	}
	return nil
}

// ownConnection refuses overrides that name another connection.
func (x *execution) ownConnection(integrationKey, connectionID string) error {
	if (integrationKey != "" && integrationKey != x.info.ProviderConfigKey) || (connectionID != "" && connectionID != x.info.ConnectionID) {
		ik, cid := integrationKey, connectionID
		if ik == "" {
			ik = x.info.ProviderConfigKey
		}
		if cid == "" {
			cid = x.info.ConnectionID
		}
		return ForeignConnection(ik, cid)
	}
	return nil
}

func (x *execution) request(raw json.RawMessage) (*HTTPRequest, error) {
	var req HTTPRequest
	if err := decodeArgs(raw, &req); err != nil {
		return nil, err
	}
	if err := x.ownConnection(req.ProviderConfigKey, req.ConnectionID); err != nil {
		return nil, err
	}
	if req.Endpoint == "" {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "endpoint is required"}
	}
	return &req, nil
}

// proxyResult is a response as the nango module turns it into axios'
// shape: body as text (JSON parsed there when json is set) or as base64
// bytes.
//
// The text body is handed to the function beside the result's JSON, not
// inside it (sideBody): as a JSON string it was escaped here, unescaped by
// the sandbox's parse of the result, and only then parsed as JSON. For a
// sync reading pages of records that round trip was a sixth of the time
// the sandbox spends per record.
type proxyResult struct {
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"-"`
	BodyBase64 *string           `json:"bodyBase64,omitempty"`
	JSON       bool              `json:"json,omitempty"`
	// Recorded: a fixture's answer, never thrown (HTTPResponse.Recorded).
	Recorded bool `json:"recorded,omitempty"`
}

// sideBody implements sideBodied.
func (r *proxyResult) sideBody() (string, bool) { return r.Body, r.BodyBase64 == nil }

// sideBodied is a result whose text body travels beside its JSON, as
// __pb_settle's last arguments, and is set as its body member there.
type sideBodied interface {
	sideBody() (body string, ok bool)
}

func opProxy(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	req, err := x.request(raw)
	if err != nil {
		return nil, err
	}
	h := x.host
	return func(ctx context.Context) (any, error) {
		resp, err := h.Proxy(ctx, req)
		if err != nil {
			return nil, err
		}
		out := &proxyResult{Status: resp.Status, Headers: make(map[string]string, len(resp.Headers))}
		for k, v := range resp.Headers {
			out.Headers[strings.ToLower(k)] = v
		}
		mediaType, _, _ := mime.ParseMediaType(out.Headers["content-type"])
		out.Recorded = resp.Recorded
		switch {
		case resp.Recorded && !resp.Binary:
			out.Body, out.JSON = string(resp.Body), true
		case req.ResponseType == "arraybuffer" || !utf8.Valid(resp.Body) || resp.Binary:
			s := base64.StdEncoding.EncodeToString(resp.Body)
			out.BodyBase64 = &s
		default:
			out.Body = string(resp.Body)
			out.JSON = req.ResponseType != "text" && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"))
		}
		return out, nil
	}, nil
}

// pager is one nango.paginate in progress: a pulled iterator that the
// function advances page by page. Its slot among the execution's
// paginations is freed by paginate.close, which nango.paginate calls
// however the loop ends (last page, break, error).
type pager struct {
	mu   sync.Mutex
	next func() (*Page, error, bool)
	stop func()
}

func (p *pager) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		p.stop()
		p.stop, p.next = nil, nil
	}
}

type paginateArgs struct {
	HTTPRequest
	Paginate json.RawMessage `json:"paginate,omitempty"`
}

func opPaginateStart(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args paginateArgs
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if err := x.ownConnection(args.ProviderConfigKey, args.ConnectionID); err != nil {
		return nil, err
	}
	var cfg *catalog.PaginateConfig
	limit := 0
	if len(args.Paginate) > 0 && string(args.Paginate) != "null" {
		cfg = &catalog.PaginateConfig{}
		if err := json.Unmarshal(args.Paginate, cfg); err != nil {
			return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: fmt.Sprintf("paginate: %v", err)}
		}
		var l struct {
			Limit json.Number `json:"limit"`
		}
		_ = json.Unmarshal(args.Paginate, &l)
		if l.Limit != "" {
			n, err := l.Limit.Int64()
			if err != nil || n < 0 || n > 1_000_000 {
				return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "paginate.limit must be a positive integer"}
			}
			limit = int(n)
		}
	}
	if len(x.pagers) >= maxInFlight {
		return nil, &HostError{Kind: fault.Invalid, Code: "too_many_paginations", Message: "too many paginations open at once"}
	}
	req := args.HTTPRequest
	x.nextPager++
	handle := x.nextPager
	// The iterator's goroutine must live as long as the execution, not
	// as long as the op that starts it.
	next, stop := iter.Pull2(x.host.Paginate(x.ctx, &req, cfg, limit))
	x.pagers[handle] = &pager{next: next, stop: stop}
	return func(context.Context) (any, error) { return map[string]int{"handle": handle}, nil }, nil
}

type handleArgs struct {
	Handle int `json:"handle"`
	// Response asks for the provider's answer with each page, for the
	// function's on_page.
	Response bool `json:"response,omitempty"`
}

// pageResult is one step of nango.paginate: a page (Data, absent when
// the page has nothing there), the end (Done), or the provider's refusal
// (Refused), which the nango module throws as nango.proxy's errors.
type pageResult struct {
	Done    bool            `json:"done,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	Next    any             `json:"next,omitempty"`
	OnPage  bool            `json:"onPage,omitempty"`
	Refused bool            `json:"refused,omitempty"`
	// Response is the provider's answer, for on_page or the refusal; its
	// text body travels beside the result's JSON (sideBody).
	Response *proxyResult `json:"response,omitempty"`
}

// sideBody implements sideBodied.
func (r *pageResult) sideBody() (string, bool) {
	if r.Response == nil {
		return "", false
	}
	return r.Response.sideBody()
}

// pageResponse is resp in the shape the nango module turns into axios'.
func pageResponse(resp *HTTPResponse) *proxyResult {
	out := &proxyResult{Status: resp.Status, Headers: make(map[string]string, len(resp.Headers))}
	for k, v := range resp.Headers {
		out.Headers[strings.ToLower(k)] = v
	}
	mediaType, _, _ := mime.ParseMediaType(out.Headers["content-type"])
	if !utf8.Valid(resp.Body) {
		s := base64.StdEncoding.EncodeToString(resp.Body)
		out.BodyBase64 = &s
		return out
	}
	out.Body = string(resp.Body)
	out.JSON = mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
	return out
}

func opPaginateNext(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args handleArgs
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	p, ok := x.pagers[args.Handle]
	if !ok {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "no such pagination"}
	}
	return func(ctx context.Context) (any, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.next == nil {
			return &pageResult{Done: true}, nil
		}
		page, err, ok := p.next()
		if !ok {
			// Over: the iterator's goroutine can go now; the slot is
			// freed by paginate.close.
			p.stop()
			p.stop, p.next = nil, nil
			return &pageResult{Done: true}, nil
		}
		var pe *PageError
		if errors.As(err, &pe) && pe.Response != nil {
			return &pageResult{Refused: true, Response: pageResponse(pe.Response)}, nil
		}
		if err != nil {
			return nil, err
		}
		out := &pageResult{Data: page.Data, Next: page.Next, OnPage: page.OnPage}
		if args.Response && page.OnPage && page.Response != nil {
			out.Response = pageResponse(page.Response)
		}
		return out, nil
	}, nil
}

func opPaginateClose(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args handleArgs
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	p, ok := x.pagers[args.Handle]
	if ok {
		delete(x.pagers, args.Handle)
	}
	return func(context.Context) (any, error) {
		if ok {
			p.close()
		}
		return nil, nil
	}, nil
}

func opGetConnection(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		ProviderConfigKey string `json:"providerConfigKey"`
		ConnectionID      string `json:"connectionId"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if err := x.ownConnection(args.ProviderConfigKey, args.ConnectionID); err != nil {
		return nil, err
	}
	h := x.host
	return func(ctx context.Context) (any, error) { return h.Connection(ctx) }, nil
}

func opSetMetadata(merge bool) asyncOp {
	return func(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
		var args struct {
			Metadata map[string]any `json:"metadata"`
		}
		if err := decodeArgs(raw, &args); err != nil {
			return nil, err
		}
		if args.Metadata == nil {
			return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "metadata must be an object"}
		}
		h := x.host
		return func(ctx context.Context) (any, error) { return nil, h.SetMetadata(ctx, args.Metadata, merge) }, nil
	}
}

func opSaveCheckpoint(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		Checkpoint map[string]any `json:"checkpoint"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if args.Checkpoint == nil {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "checkpoint must be an object"}
	}
	h := x.host
	return func(ctx context.Context) (any, error) { return nil, h.SaveCheckpoint(ctx, args.Checkpoint) }, nil
}

const maxLockTTL = 24 * time.Hour

func opTryAcquireLock(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		Key   string  `json:"key"`
		TTLMs float64 `json:"ttlMs"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	ttl := time.Duration(args.TTLMs * float64(time.Millisecond))
	if args.Key == "" || len(args.Key) > 255 {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "lock key must be 1 to 255 characters"}
	}
	if ttl <= 0 || ttl > maxLockTTL {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "ttlMs must be positive and at most a day"}
	}
	h := x.host
	return func(ctx context.Context) (any, error) { return h.TryAcquireLock(ctx, args.Key, ttl) }, nil
}

func opReleaseLock(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		Key string `json:"key"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	h := x.host
	return func(ctx context.Context) (any, error) { return h.ReleaseLock(ctx, args.Key) }, nil
}

func opRecordsByIDs(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		Model string   `json:"model"`
		IDs   []string `json:"ids"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	h := x.host
	return func(ctx context.Context) (any, error) {
		recs, err := h.RecordsByIDs(ctx, args.Model, args.IDs)
		if recs == nil && err == nil {
			recs = []json.RawMessage{}
		}
		return recs, err
	}, nil
}

func opRecords(op string) asyncOp {
	return func(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
		args, ok := splitRecordArgs(raw)
		if !ok {
			if err := decodeArgs(raw, &args); err != nil {
				return nil, err
			}
		}
		if args.Model == "" {
			return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: op + ": the model name is required"}
		}
		rop := &RecordOp{Op: op, Model: args.Model, Records: args.Records, Invalid: args.Invalid}
		h := x.host
		return func(ctx context.Context) (any, error) { return nil, h.Records(ctx, rop) }, nil
	}
}

// opSleep backs setTimeout: it waits in Go, so a pending timer costs the
// VM nothing, and ends with the execution.
func opSleep(_ *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		Ms float64 `json:"ms"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	d := time.Duration(max(args.Ms, 0) * float64(time.Millisecond))
	return func(ctx context.Context) (any, error) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}, nil
}

func opLog(x *execution, raw json.RawMessage) (any, error) {
	var args struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, err
	}
	x.logLines++
	switch {
	case x.logLines > maxLogLines+1:
		return nil, nil
	case x.logLines == maxLogLines+1:
		x.host.Log("warn", fmt.Sprintf("more than %d log lines: the rest of this execution's logs are dropped", maxLogLines))
		return nil, nil
	}
	msg := args.Message
	if len(msg) > maxLogLineSize {
		msg = strings.ToValidUTF8(msg[:maxLogLineSize], "") + "… (truncated)"
	}
	switch args.Level {
	case "debug", "info", "warn", "error":
	default:
		args.Level = "info"
	}
	x.host.Log(args.Level, msg)
	return nil, nil
}

var digests = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// opDigest computes a hash or, with a key, an HMAC, for crypto.createHash
// and crypto.createHmac. Data and key travel as base64; so does the result.
func opDigest(_ *execution, raw json.RawMessage) (any, error) {
	var args struct {
		Algorithm string  `json:"algorithm"`
		Data      string  `json:"data"`
		Key       *string `json:"key"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, err
	}
	newHash, ok := digests[strings.ToLower(strings.ReplaceAll(args.Algorithm, "-", ""))]
	if !ok {
		return nil, fmt.Errorf("digest method not supported: %s (md5, sha1, sha224, sha256, sha384, sha512)", args.Algorithm)
	}
	data, err := base64.StdEncoding.DecodeString(args.Data)
	if err != nil {
		return nil, errors.New("digest: data is not base64")
	}
	var h hash.Hash
	if args.Key != nil {
		key, err := base64.StdEncoding.DecodeString(*args.Key)
		if err != nil {
			return nil, errors.New("digest: key is not base64")
		}
		h = hmac.New(newHash, key)
	} else {
		h = newHash()
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

func opRandomBytes(_ *execution, raw json.RawMessage) (any, error) {
	var args struct {
		N int `json:"n"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, err
	}
	if args.N < 0 || args.N > 65536 {
		return nil, errors.New("randomBytes: size must be between 0 and 65536")
	}
	b := make([]byte, args.N)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b), nil
}

// refusingHost serves the top-level evaluation of a bundle (Describe):
// logs are dropped and every operation is refused.
type refusingHost struct{}

var errTopLevel = &HostError{Kind: fault.Invalid, Code: "not_allowed", Message: "host operations are not available outside exec"}

func (refusingHost) Proxy(context.Context, *HTTPRequest) (*HTTPResponse, error) {
	return nil, errTopLevel
}

func (refusingHost) Paginate(context.Context, *HTTPRequest, *catalog.PaginateConfig, int) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) { yield(nil, errTopLevel) }
}
func (refusingHost) Connection(context.Context) (map[string]any, error) { return nil, errTopLevel }
func (refusingHost) Token(context.Context) (any, error)                 { return nil, errTopLevel }
func (refusingHost) Metadata(context.Context) (map[string]any, error)   { return nil, errTopLevel }
func (refusingHost) SetMetadata(context.Context, map[string]any, bool) error {
	return errTopLevel
}
func (refusingHost) Checkpoint(context.Context) (map[string]any, error) { return nil, errTopLevel }
func (refusingHost) SaveCheckpoint(context.Context, map[string]any) error {
	return errTopLevel
}
func (refusingHost) EnvironmentVariables(context.Context) ([]store.EnvironmentVariable, error) {
	return nil, errTopLevel
}
func (refusingHost) TryAcquireLock(context.Context, string, time.Duration) (bool, error) {
	return false, errTopLevel
}
func (refusingHost) ReleaseLock(context.Context, string) (bool, error) { return false, errTopLevel }
func (refusingHost) ReleaseAllLocks(context.Context) error             { return errTopLevel }
func (refusingHost) Records(context.Context, *RecordOp) error          { return errTopLevel }
func (refusingHost) RecordsByIDs(context.Context, string, []string) ([]json.RawMessage, error) {
	return nil, errTopLevel
}
func (refusingHost) Log(string, string) {}
