package main

import (
	"context"
	"runtime"
	"sync"
)

// ordered runs f on each of items, GOMAXPROCS at a time, and hands the
// results to emit in items' order, whatever order they finish in. At most
// a few results per worker wait for their turn, so memory stays bounded
// however many items there are. When ctx ends, items not started are not
// run.
func ordered[T, R any](ctx context.Context, items []T, f func(T) R, emit func(R)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(items)))
	slots := make([]chan R, len(items))
	for i := range slots {
		slots[i] = make(chan R, 1)
	}
	window := make(chan struct{}, 4*workers)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				slots[i] <- f(items[i])
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range items {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			jobs <- i
		}
	}()
	defer wg.Wait()
	for i := range items {
		var r R
		select {
		case r = <-slots[i]:
		case <-ctx.Done():
			return
		}
		emit(r)
		<-window
	}
}
