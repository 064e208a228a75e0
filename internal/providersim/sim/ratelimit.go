package sim

import (
	"sync"
	"time"
)

// Limiter counts requests per key in fixed windows of simulated time, the
// way most providers document their limits ("100 requests per 10 seconds").
// A window opens with the first request after the previous one ended (as
// GitHub's hourly window does), not on clock boundaries, so a burst a test
// sends inside one window never straddles two by accident.
type Limiter struct {
	clock *Clock
	mu    sync.Mutex
	wins  map[string]*window
}

type window struct {
	start time.Time
	count int
}

// Verdict is the outcome of one request against a limit.
type Verdict struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     time.Time // when the current window ends
}

// NewLimiter returns a limiter on clock.
func NewLimiter(clock *Clock) *Limiter { return &Limiter{clock: clock, wins: map[string]*window{}} }

// Take counts one request for key against limit per window.
func (l *Limiter) Take(key string, limit int, per time.Duration) Verdict {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.wins[key]
	if w == nil || !now.Before(w.start.Add(per)) {
		w = &window{start: now}
		l.wins[key] = w
	}
	v := Verdict{Limit: limit, Reset: w.start.Add(per)}
	if w.count >= limit {
		return v
	}
	w.count++
	v.Allowed, v.Remaining = true, limit-w.count
	return v
}

// Exhaust uses up key's current window, for rate-limit fault injection.
func (l *Limiter) Exhaust(key string, limit int, per time.Duration) {
	for l.Take(key, limit, per).Allowed {
	}
}

// Reset forgets every window.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.wins = map[string]*window{}
}
