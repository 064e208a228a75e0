package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

// Throttle slows requests down to a provider's known rate limit before
// the provider has to answer 429: each key (a connection) has a token
// bucket in the store, shared by every node on the database, and a
// request waits for its token. Peers only retry after the 429.
type Throttle struct {
	buckets Buckets
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
}

// ThrottleOptions adjust a Throttle; the zero value is real time.
type ThrottleOptions struct {
	// Now is the clock reservations are made at.
	Now func() time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() then.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Buckets hand out the tokens (store.Throttles has them; see Reserve
// there).
type Buckets interface {
	Reserve(ctx context.Context, key string, limit store.Rate, now time.Time) (wait time.Duration, err error)
}

// NewThrottle returns a Throttle over the store's buckets.
func NewThrottle(buckets Buckets, o ThrottleOptions) *Throttle {
	t := &Throttle{buckets: buckets, now: o.Now, sleep: o.Sleep}
	if t.now == nil {
		t.now = time.Now
	}
	if t.sleep == nil {
		t.sleep = sleepContext
	}
	return t
}

// Wait reserves a token of key's bucket for limit and sleeps until it
// exists. If ctx ends first it returns ctx.Err(); the token stays spent,
// which errs on the side of the provider's limit.
func (t *Throttle) Wait(ctx context.Context, key string, limit catalog.RateLimit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rate := store.Rate{Requests: limit.Requests, Interval: limit.Interval, Burst: limit.EffectiveBurst()}
	wait, err := t.buckets.Reserve(ctx, key, rate, t.now())
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	if wait <= 0 {
		return nil
	}
	return t.sleep(ctx, wait)
}

// EffectiveLimit is the rate limit a connection of integration in is held
// to: the integration's override, else the catalog's known limit of
// provider p. ok is false when neither sets one, and then nothing is
// throttled. Either argument may be nil.
func EffectiveLimit(p *catalog.Provider, in *store.Integration) (limit catalog.RateLimit, ok bool) {
	if in != nil && in.Settings.RateLimit != nil {
		o := in.Settings.RateLimit
		return catalog.RateLimit{Requests: o.Requests, Interval: o.Interval, Burst: o.Burst}, true
	}
	if p != nil && p.Proxy != nil && p.Proxy.RateLimit != nil {
		return *p.Proxy.RateLimit, true
	}
	return catalog.RateLimit{}, false
}
