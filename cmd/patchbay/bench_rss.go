package main

import (
	"sync"
	"time"
)

// rssSampler keeps the highest resident set size seen since its last
// reset, sampling every benchSyncRSSEvery. The kernel's own peak
// (getrusage's maxrss) cannot be reset between phases; sampling can, at
// the cost of missing a spike shorter than the interval.
type rssSampler struct {
	mu    sync.Mutex
	max   int64 // -1: the platform cannot tell
	done  chan struct{}
	ended sync.WaitGroup
}

func newRSSSampler() *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	s.reset()
	s.ended.Go(func() {
		t := time.NewTicker(benchSyncRSSEvery)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.sample()
			}
		}
	})
	return s
}

func (s *rssSampler) sample() {
	n, ok := currentRSS()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok && n > s.max && s.max >= 0 {
		s.max = n
	}
}

// reset starts a new phase at the current RSS.
func (s *rssSampler) reset() {
	n, ok := currentRSS()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.max = n
	if !ok {
		s.max = -1
	}
}

// peak is the highest RSS since the last reset, in bytes, -1 if unknown.
func (s *rssSampler) peak() int64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}

func (s *rssSampler) stop() {
	close(s.done)
	s.ended.Wait()
}
