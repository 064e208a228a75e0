package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Throttles hands out request slots from token buckets, one per key (the
// proxy uses one per connection), shared by every process on this
// database: in-process on SQLite (one process owns the data directory), a
// row per bucket on PostgreSQL.
type Throttles interface {
	// Reserve takes one token from key's bucket, created full on first
	// use, and returns how long the caller must wait before its token
	// exists. It never refuses: a burst beyond the bucket's capacity gets
	// increasing waits, each caller its own slot. now is the caller's
	// clock, so tests can drive time; a token reserved and then not used
	// (the caller gave up waiting) is spent all the same.
	Reserve(ctx context.Context, key string, limit Rate, now time.Time) (wait time.Duration, err error)
}

// Rate is the shape of a token bucket derived from a provider's limit of
// Requests per Interval: it holds Burst tokens and refills at
// Requests − Burst per Interval, so that however the provider aligns its
// windows no Interval sees more than Requests (catalog.RateLimit explains
// the choice).
type Rate struct {
	Requests int
	Interval time.Duration
	// Burst is the bucket's capacity, at least 1 and below Requests (or 1
	// when Requests is 1).
	Burst int
}

// ErrInvalidRate is returned for a Rate whose bucket would be empty or
// never refill.
var ErrInvalidRate = errors.New("invalid rate")

// Check returns ErrInvalidRate, wrapped with the reason, unless r describes
// a usable bucket.
func (r Rate) Check() error {
	switch {
	case r.Requests < 1 || r.Interval <= 0 || r.Burst < 1:
	case r.Burst >= r.Requests && !(r.Requests == 1 && r.Burst == 1):
	default:
		return nil
	}
	return fmt.Errorf("%w: %d per %s with burst %d", ErrInvalidRate, r.Requests, r.Interval, r.Burst)
}

// PerSecond is the refill rate in tokens per second: Requests − Burst per
// Interval (one per Interval when Requests is 1).
func (r Rate) PerSecond() float64 {
	return float64(max(r.Requests-r.Burst, 1)) / r.Interval.Seconds()
}
