package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlstore"
)

// Leasing: when callers on one node queue for the same bucket, the one at
// the head takes tokens for those behind it too, so a busy connection costs
// one database round trip per batch rather than per call. Below
// leaseMinRate a round trip per call is cheap next to the calls' own pace.
const (
	leaseMinRate = 10.0 // tokens per second
	maxLease     = 20
)

// leaseSize is the most tokens a node takes at once for limit: a tenth of
// the burst, at most maxLease, and 1 (no leasing) at low rates.
func leaseSize(limit store.Rate) int {
	if limit.PerSecond() < leaseMinRate {
		return 1
	}
	return max(1, min(limit.Burst/10, maxLease))
}

// throttles is the store.Throttles of PostgreSQL: a row per bucket,
// updated by one atomic statement per reservation (ReserveThrottle), so
// every node takes from the same bucket.
//
// A batch is taken for callers already waiting, so its tokens are handed
// out at once, but one whose caller gave up stays with the node and may go
// to the next caller, up to ttl = k/rate after it exists (k the lease
// size). A window of the limit's interval may thus see tokens the bucket
// handed out up to ttl before it: at most burst' + rate·(interval + ttl).
// Buckets that lease therefore hold k tokens fewer (burst' = burst − k),
// which keeps that at burst + rate·interval = requests on any number of
// nodes.
type throttles struct {
	pool                  *pgxpool.Pool
	reserve, sweep, count string

	mu        sync.Mutex
	leases    map[string]*lease
	lastSweep time.Time
}

// lease is the tokens this node has taken from one bucket and not handed
// out yet.
type lease struct {
	// gate has one slot: whoever holds it hands out or refills tokens.
	// Unlike a mutex, a wait for it can end with the caller's context.
	gate chan struct{}
	// waiting counts the callers queued for the gate: the size of the
	// next batch, less the one taking it.
	waiting atomic.Int32
	// tokens are when each leased token exists, earliest first.
	tokens []time.Time
	// ttl is how long after it exists a token may still be handed out;
	// expires is when the last one no longer may.
	ttl     time.Duration
	expires time.Time
}

func newThrottles(pool *pgxpool.Pool, queries map[string]string) (*throttles, error) {
	t := &throttles{
		pool: pool, leases: map[string]*lease{},
		reserve: queries["ReserveThrottle"], sweep: queries["SweepThrottles"], count: queries["CountThrottles"],
	}
	if t.reserve == "" || t.sweep == "" || t.count == "" {
		return nil, fmt.Errorf("queries.sql: ReserveThrottle, SweepThrottles and CountThrottles are required")
	}
	return t, nil
}

// Reserve implements store.Throttles.
func (t *throttles) Reserve(ctx context.Context, key string, limit store.Rate, now time.Time) (time.Duration, error) {
	if err := limit.Check(); err != nil {
		return 0, fmt.Errorf("throttle %q: %w", key, err)
	}
	// PostgreSQL keeps microseconds; computing waits from the same
	// precision keeps them exact.
	now = now.Truncate(time.Microsecond)
	if err := t.maybeSweep(ctx, now); err != nil {
		return 0, err
	}
	k, perSecond := leaseSize(limit), limit.PerSecond()
	if k == 1 {
		at, err := t.take(ctx, key, limit.Burst, perSecond, 1, now)
		if err != nil {
			return 0, err
		}
		return max(0, at[0].Sub(now)), nil
	}

	l := t.lease(key)
	l.waiting.Add(1)
	select {
	case l.gate <- struct{}{}:
		l.waiting.Add(-1)
	case <-ctx.Done():
		l.waiting.Add(-1)
		return 0, ctx.Err()
	}
	defer func() { <-l.gate }()
	for len(l.tokens) > 0 && !now.Before(l.tokens[0].Add(l.ttl)) {
		l.tokens = l.tokens[1:] // unused in time: spent, never handed out late
	}
	if len(l.tokens) == 0 {
		n := min(k, 1+int(l.waiting.Load()))
		at, err := t.take(ctx, key, limit.Burst-k, perSecond, n, now)
		if err != nil {
			return 0, err
		}
		l.tokens = at
		l.ttl = time.Duration(float64(k) / perSecond * float64(time.Second))
		l.expires = at[len(at)-1].Add(l.ttl)
	}
	at := l.tokens[0]
	l.tokens = l.tokens[1:]
	return max(0, at.Sub(now)), nil
}

// take reserves n tokens from key's bucket of the given capacity and
// returns when each exists.
func (t *throttles) take(ctx context.Context, key string, capacity int, perSecond float64, n int, now time.Time) ([]time.Time, error) {
	var left float64
	var at time.Time
	if err := t.pool.QueryRow(ctx, t.reserve, key, now, float64(capacity), perSecond, float64(n)).Scan(&left, &at); err != nil {
		return nil, fmt.Errorf("throttle %q: %w", key, err)
	}
	out := make([]time.Time, n)
	for j := range out {
		out[j] = sqlstore.TokenTime(at, left, n, j+1, perSecond)
	}
	return out, nil
}

func (t *throttles) lease(key string) *lease {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.leases[key]
	if l == nil {
		l = &lease{gate: make(chan struct{}, 1)}
		t.leases[key] = l
	}
	return l
}

// maybeSweep deletes the rows of full buckets and forgets spent leases,
// once per sqlstore.SweepEvery of the callers' time.
func (t *throttles) maybeSweep(ctx context.Context, now time.Time) error {
	t.mu.Lock()
	if now.Sub(t.lastSweep) < sqlstore.SweepEvery {
		t.mu.Unlock()
		return nil
	}
	t.lastSweep = now
	for key, l := range t.leases {
		select {
		case l.gate <- struct{}{}: // nobody is handing out from it
			if !now.Before(l.expires) && l.waiting.Load() == 0 {
				delete(t.leases, key)
			}
			<-l.gate
		default:
		}
	}
	t.mu.Unlock()
	if _, err := t.pool.Exec(ctx, t.sweep, now); err != nil {
		return fmt.Errorf("sweep throttles: %w", err)
	}
	return nil
}

// Buckets is the number of bucket rows, for tests and metrics.
func (t *throttles) Buckets(ctx context.Context) (int, error) {
	var n int
	if err := t.pool.QueryRow(ctx, t.count).Scan(&n); err != nil {
		return 0, fmt.Errorf("count throttles: %w", err)
	}
	return n, nil
}
