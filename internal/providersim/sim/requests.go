package sim

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one logged request.
type Request struct {
	Time     time.Time         `json:"time"`
	Provider string            `json:"provider"`
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Query    string            `json:"query,omitempty"`
	Status   int               `json:"status"`
	Notes    map[string]string `json:"notes,omitempty"`
}

// entry is a Request still being served; handlers annotate it.
type entry struct {
	mu  sync.Mutex
	req Request
}

func (e *entry) annotate(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.req.Notes == nil {
		e.req.Notes = map[string]string{}
	}
	e.req.Notes[k] = v
}

// RequestFilter selects logged requests; empty fields match everything.
type RequestFilter struct {
	Provider string
	Method   string
	// Path matches the path exactly, or as a prefix when it ends in "*".
	Path string
	// Note matches a note key=value (e.g. "grant_type=refresh_token").
	Note string
}

func (f RequestFilter) match(e *Request) bool {
	if f.Provider != "" && e.Provider != f.Provider || f.Method != "" && !strings.EqualFold(e.Method, f.Method) {
		return false
	}
	if prefix, ok := strings.CutSuffix(f.Path, "*"); ok {
		if !strings.HasPrefix(e.Path, prefix) {
			return false
		}
	} else if f.Path != "" && e.Path != f.Path {
		return false
	}
	if f.Note != "" {
		k, v, _ := strings.Cut(f.Note, "=")
		if e.Notes[k] != v {
			return false
		}
	}
	return true
}

// RequestLog keeps the most recent requests.
type RequestLog struct {
	mu      sync.Mutex
	max     int
	entries []*entry
}

func newRequestLog(max int) *RequestLog { return &RequestLog{max: max} }

func (l *RequestLog) start(r *http.Request, provider string, now time.Time) *entry {
	e := &entry{req: Request{Time: now, Provider: provider, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		// Drop the oldest tenth at once rather than shifting on every request.
		l.entries = append(l.entries[:0], l.entries[l.max/10:]...)
	}
	l.entries = append(l.entries, e)
	return e
}

func (l *RequestLog) finish(e *entry, status int) {
	e.mu.Lock()
	e.req.Status = status
	e.mu.Unlock()
}

// List returns copies of the matching entries, oldest first.
func (l *RequestLog) List(f RequestFilter) []Request {
	l.mu.Lock()
	entries := append([]*entry(nil), l.entries...)
	l.mu.Unlock()
	out := []Request{}
	for _, e := range entries {
		e.mu.Lock()
		if f.match(&e.req) {
			c := e.req
			c.Notes = maps.Clone(e.req.Notes)
			out = append(out, c)
		}
		e.mu.Unlock()
	}
	return out
}

// Clear empties the log.
func (l *RequestLog) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}
