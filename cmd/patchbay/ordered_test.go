package main

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestOrdered: results come in the items' order whatever order the work
// finishes in, each item once.
func TestOrdered(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 7, 100} {
		items := make([]int, n)
		for i := range items {
			items[i] = i
		}
		var got []int
		ordered(context.Background(), items, func(i int) int {
			// Finish out of order.
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			return i * 2
		}, func(r int) { got = append(got, r) })
		if len(got) != n {
			t.Fatalf("n=%d: %d results", n, len(got))
		}
		for i, r := range got {
			if r != i*2 {
				t.Fatalf("n=%d: result %d is %d, want %d", n, i, r, i*2)
			}
		}
	}
}

// TestOrderedCancelled: once ctx ends, no more items start and ordered
// returns.
func TestOrderedCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	items := make([]int, 1000)
	emitted := 0
	ordered(ctx, items, func(int) int { return 0 }, func(int) {
		emitted++
		if emitted == 10 {
			cancel()
		}
	})
	if emitted >= len(items) {
		t.Fatalf("%d emitted after cancel at 10", emitted)
	}
}
