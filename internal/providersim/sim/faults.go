package sim

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault kinds.
const (
	FaultLatency   = "latency"    // delay, then answer normally
	FaultError     = "error"      // answer Status (default 500) instead
	FaultDrop      = "drop"       // close the connection without an answer
	FaultRateLimit = "rate_limit" // answer 429 with Retry-After
)

// Fault is one injected failure rule.
type Fault struct {
	Kind     string `json:"kind"`
	Provider string `json:"provider,omitempty"` // empty: every provider
	Method   string `json:"method,omitempty"`
	// Path is an exact path, or a prefix when it ends in "*".
	Path string `json:"path,omitempty"`
	// Skip lets this many matching requests through before the fault
	// starts; Count is how many requests it then affects (0: all).
	Skip  int `json:"skip,omitempty"`
	Count int `json:"count,omitempty"`
	// Status for FaultError (default 500).
	Status int `json:"status,omitempty"`
	// LatencyMS for FaultLatency.
	LatencyMS int `json:"latency_ms,omitempty"`
	// RetryAfterSeconds for FaultRateLimit (default 1).
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`

	seen, applied int
}

// Faults is the table of active faults, applied in the order added; a
// request gets at most one answering fault, after any latency faults.
type Faults struct {
	mu    sync.Mutex
	rules []*Fault
}

// Add installs a fault.
func (f *Faults) Add(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &fault)
}

// Clear removes every fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// List returns the active faults.
func (f *Faults) List() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.rules))
	for _, r := range f.rules {
		out = append(out, *r)
	}
	return out
}

func (fl *Fault) matches(r *http.Request, provider string) bool {
	if fl.Provider != "" && fl.Provider != provider || fl.Method != "" && !strings.EqualFold(fl.Method, r.Method) {
		return false
	}
	if prefix, ok := strings.CutSuffix(fl.Path, "*"); ok {
		return strings.HasPrefix(r.URL.Path, prefix)
	}
	return fl.Path == "" || fl.Path == r.URL.Path
}

// take decides, under the lock, which faults fire for this request.
func (f *Faults) take(r *http.Request, provider string) (delay time.Duration, answer *Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fl := range f.rules {
		if !fl.matches(r, provider) {
			continue
		}
		fl.seen++
		if fl.seen <= fl.Skip || fl.Count > 0 && fl.applied >= fl.Count {
			continue
		}
		if fl.Kind == FaultLatency {
			fl.applied++
			delay += time.Duration(fl.LatencyMS) * time.Millisecond
			continue
		}
		if answer == nil {
			fl.applied++
			c := *fl
			answer = &c
		}
	}
	return delay, answer
}

// apply runs the faults for r; it reports whether it answered the request.
func (f *Faults) apply(w http.ResponseWriter, r *http.Request, provider string) bool {
	delay, answer := f.take(r, provider)
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if answer == nil {
		return false
	}
	switch answer.Kind {
	case FaultDrop:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return true
		}
		// HTTP/2 cannot hijack; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	case FaultRateLimit:
		secs := max(answer.RetryAfterSeconds, 1)
		w.Header().Set("Retry-After", RetryAfter(time.Duration(secs)*time.Second))
		WriteJSON(w, http.StatusTooManyRequests, map[string]string{"message": "simulated rate limit"})
	default:
		status := answer.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		WriteJSON(w, status, map[string]string{"message": "simulated failure"})
	}
	return true
}
