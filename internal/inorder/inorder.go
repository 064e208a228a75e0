// Package inorder runs work on several goroutines and hands the results
// back in the order of the input, as a one-by-one loop would: output a
// user reads (compile errors, test results) does not depend on which
// item finished first.
package inorder

import (
	"context"
	"sync"
)

// Run calls f on each of items, workers at a time (at least one), and
// hands the results to yield in items' order, whatever order they finish
// in. At most a few results per worker wait for their turn, so memory
// stays bounded however many items there are.
//
// Run returns yield's first error, after which no more items start, or
// ctx's error once ctx ends; items already running finish (f gets ctx,
// which is cancelled, to stop early) and Run returns only when none is
// running.
func Run[T, R any](ctx context.Context, workers int, items []T, f func(context.Context, T) R, yield func(R) error) error {
	return RunWindow(ctx, workers, 4*workers, items, f, yield)
}

// RunWindow is Run with at most window results (at least workers)
// started but not yet yielded. A wide window suits small results whose
// items take very different times: one slow item at the head of the
// line would otherwise stop every worker once the few results behind it
// are done.
func RunWindow[T, R any](ctx context.Context, workers, window int, items []T, f func(context.Context, T) R, yield func(R) error) error {
	workers = max(1, min(workers, len(items)))
	window = max(window, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// slots[i] receives items[i]'s result; tokens holds one per
	// result started but not yet yielded, which bounds those waiting.
	slots := make([]chan R, len(items))
	for i := range slots {
		slots[i] = make(chan R, 1)
	}
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				slots[i] <- f(ctx, items[i])
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range items {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Waiting for the workers on the way out keeps none running past the
	// return, with the caller's state; cancel first so they stop soon.
	defer wg.Wait()
	defer cancel()
	for i := range items {
		var r R
		select {
		case r = <-slots[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := yield(r); err != nil {
			return err
		}
		<-tokens
	}
	return nil
}
