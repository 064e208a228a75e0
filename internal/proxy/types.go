package proxy

import (
	"context"
	"time"
)

// Call is one proxied request as the operations log sees it. It never
// holds a secret: URL has credentials in its query replaced, and bodies are
// not kept here.
type Call struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	Method         string
	// URL is the provider URL called, with templated query credentials
	// (api_key=…, token=…) redacted.
	URL      string
	Status   int // 0 when no response arrived
	Attempts int
	Duration time.Duration
	// RequestBytes and ResponseBytes count body bytes sent and received
	// (-1 when unknown).
	RequestBytes, ResponseBytes int64
	// Error says why the call failed, when it did (no secrets).
	Error string
	Start time.Time
}

// Recorder receives every proxied call (for the operations log). It
// must not block.
type Recorder interface {
	Record(ctx context.Context, c Call)
}

type discardRecorder struct{}

func (discardRecorder) Record(context.Context, Call) {}
