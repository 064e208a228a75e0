package sim

import (
	"sync"
	"time"
)

// Clock is the simulated time every provider reads: real time plus an
// offset that the control API advances, so a test can expire a token or a
// rate-limit window without sleeping.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	now    func() time.Time
}

// NewClock returns a clock that follows real time.
func NewClock() *Clock { return &Clock{now: time.Now} }

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset).UTC()
}

// Advance moves simulated time forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Reset returns the clock to real time.
func (c *Clock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = 0
}
