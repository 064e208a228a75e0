package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/storetest"
)

func TestLeaseSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit store.Rate
		want  int
	}{
		{store.Rate{Requests: 100, Interval: 10 * time.Second, Burst: 10}, 1},   // 9/s: one round trip each
		{store.Rate{Requests: 5000, Interval: time.Hour, Burst: 500}, 1},        // 1.25/s
		{store.Rate{Requests: 100, Interval: time.Second, Burst: 10}, 1},        // fast, but a burst of 10
		{store.Rate{Requests: 300, Interval: 10 * time.Second, Burst: 30}, 3},   // 27/s
		{store.Rate{Requests: 1000, Interval: time.Second, Burst: 100}, 10},     // 900/s
		{store.Rate{Requests: 100000, Interval: time.Second, Burst: 10000}, 20}, // capped
	} {
		if got := leaseSize(tt.limit); got != tt.want {
			t.Errorf("leaseSize(%+v) = %d, want %d", tt.limit, got, tt.want)
		}
	}
}

// TestLeftoverLeaseTokens: a batch taken for callers who then gave up
// stays with its node. Handed out later, after the bucket has refilled,
// it must not push any window over the limit, on any number of nodes:
// that is what the lower capacity and the ttl of leases are for.
func TestLeftoverLeaseTokens(t *testing.T) {
	t.Parallel()
	url, v := storetest.PostgresURL(t), storetest.NewVault(t)
	var nodes []*throttles
	for range 2 {
		s, err := Open(t.Context(), url, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		nodes = append(nodes, s.Throttles().(*throttles))
	}
	limit := store.Rate{Requests: 1000, Interval: time.Second, Burst: 200}
	k := leaseSize(limit)
	tick := time.Duration(float64(time.Second) / limit.PerSecond())
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, pause := range []time.Duration{5, 19, 21, 30} {
		key := uuid.NewString() // a bucket per pause
		var uses []time.Time
		for _, node := range nodes {
			// As if k−1 callers had queued behind this one and left.
			node.lease(key).waiting.Store(int32(k - 1))
			wait, err := node.Reserve(t.Context(), key, limit, t0)
			if err != nil {
				t.Fatal(err)
			}
			node.lease(key).waiting.Store(0)
			if left := len(node.lease(key).tokens); left != k-1 {
				t.Fatalf("%d tokens left over, want %d", left, k-1)
			}
			uses = append(uses, t0.Add(wait))
		}
		start := t0.Add(pause*tick - time.Microsecond)
		step := limit.Interval / time.Duration(4*limit.Requests)
		for i := range 2 * limit.Requests {
			now := start.Add(time.Duration(i) * step)
			wait, err := nodes[i%2].Reserve(t.Context(), key, limit, now)
			if err != nil {
				t.Fatal(err)
			}
			uses = append(uses, now.Add(wait))
		}
		slices.SortFunc(uses, func(a, b time.Time) int { return a.Compare(b) })
		j := 0
		for i := range uses {
			for j < len(uses) && uses[j].Before(uses[i].Add(limit.Interval)) {
				j++
			}
			if j-i > limit.Requests {
				t.Fatalf("pause of %d ticks: %d requests in the second from %v, limit %d", pause, j-i, uses[i].Sub(t0), limit.Requests)
			}
		}
	}
}

// BenchmarkThrottlesReserve is the throttle's cost per proxied call on
// PostgreSQL when 32 callers share one connection's bucket: a statement
// per call when the burst is small, a statement per batch of queued
// callers when it allows batches. (Past 9,000 calls a second the waits
// grow, which the benchmark does not sleep.)
func BenchmarkThrottlesReserve(b *testing.B) {
	s, err := Open(context.Background(), storetest.PostgresURL(b), storetest.NewVault(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for _, bench := range []struct {
		name  string
		limit store.Rate
	}{
		{"statement", store.Rate{Requests: 10_000, Interval: time.Second, Burst: 10}},
		{"batched", store.Rate{Requests: 10_000, Interval: time.Second, Burst: 1000}},
	} {
		b.Run(bench.name, func(b *testing.B) {
			th, key, ctx := s.Throttles(), uuid.NewString(), context.Background()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := th.Reserve(ctx, key, bench.limit, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
