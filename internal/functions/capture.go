package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// Capture wraps a Host for a dry run: requests still reach the provider
// through the inner host, but what a run would store (records,
// checkpoints, metadata changes) is kept in memory and reported instead,
// and every request is recorded with its response so it can become a test
// fixture. It is what lets a sync be tried before it is deployed.
type Capture struct {
	Inner Host
	// RecordCalls keeps each request and response (bodies included).
	RecordCalls bool

	mu         sync.Mutex
	metadata   map[string]any // nil: the inner host's
	checkpoint map[string]any
	result     DryrunResult
}

// DryrunResult is what a dry run reports (POST /functions/dryrun's body).
type DryrunResult = wire.DryrunResult

// LogLine is one line a function logged.
type LogLine = wire.LogLine

// Call is one request a function made and the answer it got. Paginated
// requests record each page.
type Call = wire.Call

// NewCapture returns a capture around inner. metadata and checkpoint,
// when not nil, replace the connection's for the run.
func NewCapture(inner Host, metadata, checkpoint map[string]any, recordCalls bool) *Capture {
	return &Capture{Inner: inner, metadata: metadata, checkpoint: checkpoint, RecordCalls: recordCalls,
		result: DryrunResult{Logs: []LogLine{}, Records: []RecordOp{}, Checkpoints: []map[string]any{}}}
}

// Result returns what the run did; call it after the run.
func (c *Capture) Result() DryrunResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.result
}

// Finish stores the run's outcome in the result.
func (c *Capture) Finish(output json.RawMessage, err error, took time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.result.Output = output
	c.result.DurationMs = float64(took.Microseconds()) / 1000
	if f, ok := err.(*Failure); ok {
		c.result.Error = f
	} else if err != nil {
		c.result.Error = &Failure{Type: "host_error", Message: err.Error()}
	}
}

func (c *Capture) Proxy(ctx context.Context, req *HTTPRequest) (*HTTPResponse, error) {
	resp, err := c.Inner.Proxy(ctx, req)
	if err == nil && c.RecordCalls {
		endpoint := req.Endpoint
		if endpoint == "" {
			endpoint = req.BaseURLOverride // the soap module's requests name their whole URL
		}
		c.record(req, endpoint, req.Params, resp)
	}
	return resp, err
}

func (c *Capture) record(req *HTTPRequest, endpoint string, params map[string]string, resp *HTTPResponse) {
	call := Call{Method: req.Method, Endpoint: endpoint, Params: params, Headers: req.Headers, Status: resp.Status, ResponseHeaders: resp.Headers}
	switch {
	case len(req.JSON) > 0:
		call.Data = req.JSON
	case req.Body != nil:
		call.Data, _ = json.Marshal(redactWSSecurity(*req.Body))
	case req.BodyBase64 != "":
		call.Data, _ = json.Marshal(req.BodyBase64)
	}
	if json.Valid(resp.Body) && len(resp.Body) > 0 {
		call.Response = append(json.RawMessage(nil), resp.Body...)
	} else {
		call.Response, _ = json.Marshal(string(resp.Body))
	}
	c.mu.Lock()
	c.result.Calls = append(c.result.Calls, call)
	c.mu.Unlock()
}

func (c *Capture) Paginate(ctx context.Context, req *HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*Page, error] {
	if !c.RecordCalls {
		return c.Inner.Paginate(ctx, req, cfg, limit)
	}
	// Pages are recorded by the inner host's requests: a host that
	// paginates through its own Proxy reports them through PageRecorder.
	if pr, ok := c.Inner.(PageRecorder); ok {
		return pr.PaginateRecorded(ctx, req, cfg, limit, func(method, endpoint string, params map[string]string, resp *HTTPResponse) {
			r := *req
			r.Method = method
			c.record(&r, endpoint, params, resp)
		})
	}
	return c.Inner.Paginate(ctx, req, cfg, limit)
}

// PageRecorder is a Host that can report each page request of a
// pagination, for Capture's fixtures.
type PageRecorder interface {
	PaginateRecorded(ctx context.Context, req *HTTPRequest, cfg *catalog.PaginateConfig, limit int,
		page func(method, endpoint string, params map[string]string, resp *HTTPResponse)) iter.Seq2[*Page, error]
}

func (c *Capture) Connection(ctx context.Context) (map[string]any, error) {
	conn, err := c.Inner.Connection(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.metadata != nil {
		conn = maps.Clone(conn)
		conn["metadata"] = maps.Clone(c.metadata)
	}
	return conn, nil
}

func (c *Capture) Token(ctx context.Context) (any, error) { return c.Inner.Token(ctx) }

func (c *Capture) Metadata(ctx context.Context) (map[string]any, error) {
	c.mu.Lock()
	m := c.metadata
	c.mu.Unlock()
	if m != nil {
		return maps.Clone(m), nil
	}
	return c.Inner.Metadata(ctx)
}

func (c *Capture) SetMetadata(ctx context.Context, metadata map[string]any, merge bool) error {
	current, err := c.Metadata(ctx)
	if err != nil {
		return err
	}
	next := map[string]any{}
	if merge {
		maps.Copy(next, current)
	}
	maps.Copy(next, metadata)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metadata = next
	c.result.Metadata = maps.Clone(next)
	return nil
}

func (c *Capture) Checkpoint(context.Context) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.checkpoint), nil
}

func (c *Capture) SaveCheckpoint(_ context.Context, checkpoint map[string]any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkpoint = maps.Clone(checkpoint)
	c.result.Checkpoints = append(c.result.Checkpoints, maps.Clone(checkpoint))
	return nil
}

func (c *Capture) EnvironmentVariables(ctx context.Context) ([]store.EnvironmentVariable, error) {
	return c.Inner.EnvironmentVariables(ctx)
}

func (c *Capture) TryAcquireLock(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return c.Inner.TryAcquireLock(ctx, key, ttl)
}

func (c *Capture) ReleaseLock(ctx context.Context, key string) (bool, error) {
	return c.Inner.ReleaseLock(ctx, key)
}

func (c *Capture) ReleaseAllLocks(ctx context.Context) error { return c.Inner.ReleaseAllLocks(ctx) }

func (c *Capture) Records(_ context.Context, op *RecordOp) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.result.Records = append(c.result.Records, *op)
	return nil
}

// RecordsByIDs answers from the records this run saved: a dry run stores
// nothing, so that is all there is to find.
func (c *Capture) RecordsByIDs(_ context.Context, model string, ids []string) ([]json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return SavedRecords(c.result.Records, model, ids), nil
}

// SavedRecords returns the records with these ids that ops saved to model
// and did not delete after, the last save of an id winning: what a run
// that stores nothing (dry runs, tests) finds with getRecordsByIds.
func SavedRecords(ops []RecordOp, model string, ids []string) []json.RawMessage {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	found := map[string]json.RawMessage{}
	for _, op := range ops {
		if op.Model != model {
			continue
		}
		for _, r := range op.Records {
			var rec struct {
				ID any `json:"id"`
			}
			if json.Unmarshal(r, &rec) != nil || rec.ID == nil {
				continue
			}
			id := fmt.Sprint(rec.ID)
			if !want[id] {
				continue
			}
			switch op.Op {
			case RecordsSave, RecordsUpdate:
				found[id] = r
			case RecordsDelete:
				delete(found, id)
			}
		}
	}
	out := make([]json.RawMessage, 0, len(found))
	for _, id := range ids {
		if r, ok := found[id]; ok {
			out = append(out, r)
			delete(found, id)
		}
	}
	return out
}

func (c *Capture) Log(level, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.result.Logs = append(c.result.Logs, LogLine{Time: time.Now().UTC(), Level: level, Message: message})
}
