package sqlstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

func TestProcessThrottlesSweepWhenTheMapDoubles(t *testing.T) {
	t.Parallel()
	p := NewProcessThrottles()
	ctx, now := context.Background(), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	limit := store.Rate{Requests: 10, Interval: time.Second, Burst: 3}
	// Keys used once and full again a moment later, all within the same
	// minute: the map must not grow past its sweep size by much.
	for i := range 10 * minSweepSize {
		if _, err := p.Reserve(ctx, strconv.Itoa(i), limit, now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := p.Buckets(ctx); n > minSweepSize {
		t.Fatalf("%d buckets held, want at most %d", n, minSweepSize)
	}
}

// BenchmarkProcessThrottlesReserve is the throttle's cost per proxied
// call on SQLite, where buckets live in the process.
func BenchmarkProcessThrottlesReserve(b *testing.B) {
	p := NewProcessThrottles()
	limit := store.Rate{Requests: 1_000_000_000, Interval: time.Second, Burst: 5}
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, err := p.Reserve(ctx, strconv.Itoa(i%64), limit, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
