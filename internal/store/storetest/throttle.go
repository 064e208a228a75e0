package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// throttleT0 is the fake clock's start; every throttle test passes its own
// now, so none of them sleeps.
var throttleT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// slow is 10 per second with 3 back to back: it refills at 7 per second,
// below the rate at which PostgreSQL nodes lease tokens in batches.
var slow = store.Rate{Requests: 10, Interval: time.Second, Burst: 3}

// fast is high enough for PostgreSQL nodes to lease tokens in batches.
var fast = store.Rate{Requests: 1000, Interval: time.Second, Burst: 200}

// bucketCounter is implemented by every backend's Throttles, so tests can
// see that idle buckets are forgotten.
type bucketCounter interface {
	Buckets(ctx context.Context) (int, error)
}

func reserve(t *testing.T, th store.Throttles, key string, limit store.Rate, now time.Time) time.Duration {
	t.Helper()
	wait, err := th.Reserve(t.Context(), key, limit, now)
	if err != nil {
		t.Fatalf("Reserve(%s) at %v: %v", key, now.Sub(throttleT0), err)
	}
	if wait < 0 {
		t.Fatalf("Reserve(%s) = %v, a negative wait", key, wait)
	}
	return wait
}

// steadyWait is when the i-th (0-based) of a burst reserved at one instant
// may go for a bucket that started full: the first Burst at once, then one
// per refill.
func steadyWait(limit store.Rate, i int) time.Duration {
	return time.Duration(float64(max(0, i+1-limit.Burst)) / limit.PerSecond() * float64(time.Second))
}

// near allows for rounding: waits are rounded up to the nanosecond, and
// PostgreSQL keeps microseconds.
func near(got, want time.Duration) bool { return (got - want).Abs() <= 2*time.Microsecond }

// checkWindows fails t if any window of limit.Interval holds more than
// limit.Requests of the times at which callers may go, wherever the
// window starts: the provider's own windows can start anywhere.
func checkWindows(t *testing.T, uses []time.Time, limit store.Rate) {
	t.Helper()
	uses = slices.Clone(uses)
	slices.SortFunc(uses, func(a, b time.Time) int { return a.Compare(b) })
	j := 0
	for i := range uses {
		for j < len(uses) && uses[j].Before(uses[i].Add(limit.Interval)) {
			j++
		}
		if n := j - i; n > limit.Requests {
			t.Fatalf("%d requests in the %s from %v, limit %d", n, limit.Interval, uses[i].Sub(throttleT0), limit.Requests)
		}
	}
}

func testThrottles(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("BurstThenSteadyPace", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		th, key := b.store.Throttles(), uuid.NewString()
		var uses []time.Time
		for i := range 24 {
			wait := reserve(t, th, key, slow, throttleT0)
			if want := steadyWait(slow, i); !near(wait, want) {
				t.Fatalf("reservation %d waits %v, want %v", i, wait, want)
			}
			uses = append(uses, throttleT0.Add(wait))
		}
		checkWindows(t, uses, slow)
	})
	t.Run("RefillsOverTime", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		th, key := b.store.Throttles(), uuid.NewString()
		for range slow.Burst {
			reserve(t, th, key, slow, throttleT0)
		}
		tick := steadyWait(slow, slow.Burst)
		if wait := reserve(t, th, key, slow, throttleT0); !near(wait, tick) {
			t.Fatalf("past the burst: wait %v, want %v", wait, tick)
		}
		// After the tick the queued reservation has its token and the
		// bucket holds nothing; one more tick refills one token.
		if wait := reserve(t, th, key, slow, throttleT0.Add(2*tick)); !near(wait, 0) {
			t.Fatalf("two ticks later: wait %v, want 0", wait)
		}
		// A second later the bucket is full again, never fuller.
		later := throttleT0.Add(2*tick + time.Second)
		for i := range slow.Burst + 1 {
			if wait, want := reserve(t, th, key, slow, later), steadyWait(slow, i); !near(wait, want) {
				t.Fatalf("after refilling, reservation %d waits %v, want %v", i, wait, want)
			}
		}
		// A caller whose clock is behind the bucket's refills nothing and
		// waits for the bucket's time too.
		if wait, want := reserve(t, th, key, slow, later.Add(-time.Second)), time.Second+steadyWait(slow, slow.Burst+1); !near(wait, want) {
			t.Fatalf("a caller a second behind waits %v, want %v", wait, want)
		}
	})
	t.Run("KeysAreIndependent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		th := b.store.Throttles()
		spent, other := uuid.NewString(), uuid.NewString()
		for range 10 {
			reserve(t, th, spent, slow, throttleT0)
		}
		for i := range slow.Burst {
			if wait := reserve(t, th, other, slow, throttleT0); wait != 0 {
				t.Fatalf("reservation %d on a fresh key waits %v", i, wait)
			}
		}
	})
	t.Run("ConcurrentCallersGetDistinctSlots", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		th, key := b.store.Throttles(), uuid.NewString()
		const workers, each = 8, 10
		var mu sync.Mutex
		var waits []time.Duration
		var wg sync.WaitGroup
		errs := make([]error, workers)
		for w := range workers {
			wg.Go(func() {
				for range each {
					wait, err := th.Reserve(t.Context(), key, slow, throttleT0)
					if err != nil {
						errs[w] = err
						return
					}
					mu.Lock()
					waits = append(waits, wait)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		slices.Sort(waits)
		for i, wait := range waits {
			if want := steadyWait(slow, i); !near(wait, want) {
				t.Fatalf("sorted wait %d = %v, want %v: two callers got one slot, or a slot was lost", i, wait, want)
			}
		}
	})
	t.Run("LimitHoldsUnderSustainedDemand", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		throttleUnderDemand(t, fast, b.store.Throttles())
	})
	t.Run("LimitHoldsUnderConcurrentDemand", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		th, key := b.store.Throttles(), uuid.NewString()
		// Callers ask four times faster than fast allows, 16 at a time,
		// so that nodes which batch the callers queued for a bucket do.
		const workers, each = 16, 150
		step := fast.Interval / time.Duration(4*fast.Requests)
		uses := make([]time.Time, workers*each)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					n := i*workers + w
					now := throttleT0.Add(time.Duration(n) * step)
					wait, err := th.Reserve(t.Context(), key, fast, now)
					if err != nil {
						errs[w] = err
						return
					}
					uses[n] = now.Add(wait)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		checkWindows(t, uses, fast)
	})
	t.Run("LimitHoldsWhenDemandResumes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		throttleAfterPauses(t, fast, b.store.Throttles())
	})
	t.Run("SharedAcrossStores", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		if b.store.Dialect() == "sqlite" {
			t.Skip("one process owns an SQLite database; its in-process buckets are the whole of them")
		}
		other, err := b.db.Open(t, b.vault)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		nodes := []store.Throttles{b.store.Throttles(), other.Throttles()}
		key := uuid.NewString()
		for i := range 12 {
			if wait, want := reserve(t, nodes[i%2], key, slow, throttleT0), steadyWait(slow, i); !near(wait, want) {
				t.Fatalf("reservation %d (node %d) waits %v, want %v as from one bucket", i, i%2, wait, want)
			}
		}
		throttleUnderDemand(t, fast, nodes...)
		throttleAfterPauses(t, fast, nodes...)
	})
	t.Run("IdleBucketsAreForgotten", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		th := b.store.Throttles()
		counter, ok := th.(bucketCounter)
		if !ok {
			t.Fatalf("%T does not count its buckets", th)
		}
		count := func() int {
			t.Helper()
			n, err := counter.Buckets(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for range 3 {
			reserve(t, th, uuid.NewString(), slow, throttleT0)
		}
		// One per hour, two taken: refilled only two hours from now.
		hourly := store.Rate{Requests: 2, Interval: time.Hour, Burst: 1}
		busy := uuid.NewString()
		reserve(t, th, busy, hourly, throttleT0)
		reserve(t, th, busy, hourly, throttleT0)
		if n := count(); n != 4 {
			t.Fatalf("%d buckets, want 4", n)
		}
		// Later, the three full buckets go; the one still refilling stays.
		reserve(t, th, uuid.NewString(), slow, throttleT0.Add(10*time.Minute))
		if n := count(); n != 2 {
			t.Fatalf("%d buckets after the idle ones refilled, want 2", n)
		}
		if wait := reserve(t, th, busy, hourly, throttleT0.Add(10*time.Minute)); wait < time.Hour {
			t.Fatalf("the kept bucket forgot its queue: wait %v", wait)
		}
	})
	t.Run("InvalidRate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		for _, r := range []store.Rate{
			{Requests: 0, Interval: time.Second, Burst: 1},
			{Requests: 10, Interval: 0, Burst: 1},
			{Requests: 10, Interval: time.Second, Burst: 0},
			{Requests: 10, Interval: time.Second, Burst: 10},
		} {
			if _, err := b.store.Throttles().Reserve(b.ctx, uuid.NewString(), r, throttleT0); !errors.Is(err, store.ErrInvalidRate) {
				t.Errorf("Reserve with %+v: error = %v, want ErrInvalidRate", r, err)
			}
		}
	})
}

// throttleUnderDemand has callers ask four times faster than limit allows,
// round robin over nodes, for three limits' worth of requests, and checks
// that no window of the interval sees more than the limit and that the
// throttle does not hold back much more than it must.
func throttleUnderDemand(t *testing.T, limit store.Rate, nodes ...store.Throttles) {
	t.Helper()
	key := uuid.NewString()
	n := 3 * limit.Requests
	step := limit.Interval / time.Duration(4*limit.Requests)
	uses := make([]time.Time, n)
	for i := range n {
		now := throttleT0.Add(time.Duration(i) * step)
		uses[i] = now.Add(reserve(t, nodes[i%len(nodes)], key, limit, now))
	}
	checkWindows(t, uses, limit)
	// Nodes may set aside a tenth of the burst for tokens they lease.
	last := slices.MaxFunc(uses, func(a, b time.Time) int { return a.Compare(b) })
	bound := throttleT0.Add(steadyWait(limit, n-1+limit.Burst/10) + time.Millisecond)
	if last.After(bound) {
		t.Fatalf("the last of %d requests goes at %v, later than %v", n, last.Sub(throttleT0), bound.Sub(throttleT0))
	}
}

// throttleAfterPauses sends one request through each node, pauses, then
// floods, for pauses from a fraction of a refill to a few dozen: tokens a
// node took early must not add to what the bucket gives once it has
// refilled.
func throttleAfterPauses(t *testing.T, limit store.Rate, nodes ...store.Throttles) {
	t.Helper()
	tick := time.Duration(float64(time.Second) / limit.PerSecond())
	for _, pause := range []time.Duration{tick / 2, 5 * tick, 10 * tick, 19 * tick, 20*tick - time.Microsecond, 21 * tick, 30 * tick, 39 * tick, 40 * tick} {
		key := uuid.NewString()
		var uses []time.Time
		for _, node := range nodes {
			uses = append(uses, throttleT0.Add(reserve(t, node, key, limit, throttleT0)))
		}
		start := throttleT0.Add(pause)
		step := limit.Interval / time.Duration(4*limit.Requests)
		for i := range 2 * limit.Requests {
			now := start.Add(time.Duration(i) * step)
			uses = append(uses, now.Add(reserve(t, nodes[i%len(nodes)], key, limit, now)))
		}
		checkWindows(t, uses, limit)
	}
}
