package inorder

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// TestRun: results come in the items' order whatever order the work
// finishes in, each item once, for any number of workers.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, workers int }{{0, 2}, {1, 2}, {7, 1}, {7, 3}, {100, 2}, {100, 0}, {5, 50}} {
		items := make([]int, tc.n)
		for i := range items {
			items[i] = i
		}
		var got []int
		err := Run(context.Background(), tc.workers, items, func(_ context.Context, i int) int {
			// Finish out of order.
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			return i * 2
		}, func(r int) error { got = append(got, r); return nil })
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if len(got) != tc.n {
			t.Fatalf("%+v: %d results", tc, len(got))
		}
		for i, r := range got {
			if r != i*2 {
				t.Fatalf("%+v: result %d is %d, want %d", tc, i, r, i*2)
			}
		}
	}
}

// TestRunStops: after yield's error or ctx's end, no more items start,
// Run returns that error, and nothing runs after it returns.
func TestRunStops(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		// after 10 results: return stop, or cancel ctx
		yieldErr bool
		want     error
	}{
		{"yield's error", context.Background(), true, stop},
		{"ctx cancelled", ctx, false, context.Canceled},
	} {
		items := make([]int, 1000)
		var started, running atomic.Int64
		yielded := 0
		err := Run(tc.ctx, 2, items, func(context.Context, int) int {
			started.Add(1)
			running.Add(1)
			defer running.Add(-1)
			return 0
		}, func(int) error {
			yielded++
			if yielded == 10 {
				if tc.yieldErr {
					return stop
				}
				cancel()
			}
			return nil
		})
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if n := started.Load(); n >= int64(len(items)) {
			t.Fatalf("%s: %d started after stopping at 10", tc.name, n)
		}
		if n := running.Load(); n != 0 {
			t.Fatalf("%s: %d still running after Run returned", tc.name, n)
		}
	}
}

// TestRunWindow: while the first item is held, the other workers go on
// through the items behind it until window results wait, and no
// further; once it is let go, everything is yielded in order.
func TestRunWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ workers, window, n int }{{2, 8, 100}, {3, 40, 100}, {4, 2, 50}, {2, 500, 100}} {
		items := make([]int, tc.n)
		for i := range items {
			items[i] = i
		}
		hold := make(chan struct{})
		var started atomic.Int64
		// The window never counts fewer than the workers, nor more than
		// the items.
		want := int64(min(max(tc.window, tc.workers), tc.n))
		done := make(chan error, 1)
		var got []int
		go func() {
			done <- RunWindow(context.Background(), tc.workers, tc.window, items, func(_ context.Context, i int) int {
				started.Add(1)
				if i == 0 {
					<-hold
				}
				return i
			}, func(r int) error { got = append(got, r); return nil })
		}()
		// Wait until the workers have started all they may.
		for started.Load() < want {
			time.Sleep(time.Millisecond)
		}
		// Give a wrongly unbounded run the time to overshoot.
		time.Sleep(20 * time.Millisecond)
		if n := started.Load(); n != want {
			t.Fatalf("%+v: %d items started while the first was held, want %d", tc, n, want)
		}
		close(hold)
		if err := <-done; err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		for i, r := range got {
			if r != i {
				t.Fatalf("%+v: result %d is %d", tc, i, r)
			}
		}
		if len(got) != tc.n {
			t.Fatalf("%+v: %d results, want %d", tc, len(got), tc.n)
		}
	}
}
