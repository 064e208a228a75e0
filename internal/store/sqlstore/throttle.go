package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// SweepEvery is how often, in the callers' time, throttles drop buckets
// that have refilled: a full bucket is the same as no bucket, so dropping
// it loses nothing and memory (or rows) only hold keys in recent use.
const SweepEvery = time.Minute

// TokenTime is when the j-th token (1-based) of a reservation of n exists,
// given the bucket's count left after it and the bucket's time at: the
// count before was left+n, and tokens below zero are the queue that the
// refill at perSecond works through.
func TokenTime(at time.Time, left float64, n, j int, perSecond float64) time.Time {
	deficit := float64(j) - (left + float64(n))
	if deficit <= 0 {
		return at
	}
	d := deficit / perSecond * float64(time.Second)
	// Round up: a caller must never wake before its token exists.
	wait := time.Duration(d)
	if float64(wait) < d {
		wait++
	}
	return at.Add(wait)
}

// ProcessThrottles is a store.Throttles whose buckets live in this
// process: the whole of it where one process owns the database (SQLite),
// since no other process can take from the same bucket.
type ProcessThrottles struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	// lastSweep and sweepAt bound the map: a sweep runs every SweepEvery
	// of the callers' time, or sooner when the map doubles.
	lastSweep time.Time
	sweepAt   int
}

type bucket struct {
	tokens float64   // may be negative: reservations waiting for a token
	at     time.Time // the time tokens was computed for
	fullAt time.Time // when the refill brings it back to capacity
}

// minSweepSize is the map size below which only time triggers a sweep.
const minSweepSize = 1024

// NewProcessThrottles returns a ProcessThrottles with no buckets.
func NewProcessThrottles() *ProcessThrottles {
	return &ProcessThrottles{buckets: map[string]*bucket{}, sweepAt: minSweepSize}
}

// Reserve implements store.Throttles.
func (p *ProcessThrottles) Reserve(ctx context.Context, key string, limit store.Rate, now time.Time) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := limit.Check(); err != nil {
		return 0, fmt.Errorf("throttle %q: %w", key, err)
	}
	capacity, perSecond := float64(limit.Burst), limit.PerSecond()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastSweep) >= SweepEvery || len(p.buckets) >= p.sweepAt {
		p.sweep(now)
	}
	b := p.buckets[key]
	if b == nil {
		b = &bucket{tokens: capacity, at: now}
		p.buckets[key] = b
	}
	if now.After(b.at) {
		b.tokens = min(capacity, b.tokens+now.Sub(b.at).Seconds()*perSecond)
		b.at = now
	}
	b.tokens = min(capacity, b.tokens) - 1 // min: the limit may have shrunk
	b.fullAt = TokenTime(b.at, b.tokens, 0, int(capacity), perSecond)
	return max(0, TokenTime(b.at, b.tokens, 1, 1, perSecond).Sub(now)), nil
}

// sweep drops the buckets that are full again by now.
func (p *ProcessThrottles) sweep(now time.Time) {
	for key, b := range p.buckets {
		if !b.fullAt.After(now) {
			delete(p.buckets, key)
		}
	}
	p.lastSweep = now
	p.sweepAt = max(minSweepSize, 2*len(p.buckets))
}

// Buckets is the number of buckets held, for tests and metrics.
func (p *ProcessThrottles) Buckets(context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buckets), nil
}
