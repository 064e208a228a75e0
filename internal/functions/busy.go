package functions

import "context"

// busySlots bound the executions running JavaScript at once. An
// execution holds a slot from the start of its VM until it settles, and
// gives it up while its event loop has nothing to do but wait for host
// operations or timers: an execution sleeping for seconds between polls
// leaves its slot to one that has work. A nil busySlots bounds nothing.
type busySlots chan struct{}

// acquire takes a slot, or returns ctx's cause once ctx ends first.
func (s busySlots) acquire(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// release gives a slot back.
func (s busySlots) release() {
	if s != nil {
		<-s
	}
}

// LimitBusy bounds the executions running JavaScript at once to n (no
// bound when n <= 0): more may be under way, waiting for host operations
// or timers, each taking a slot back when it has work again. A batch of
// executions, most of which compute and a few of which sleep (patchbay
// test's), then keeps every core busy with no more interpreters running
// at once than there are cores. Call it before the first execution.
func (r *Runtime) LimitBusy(n int) {
	if n <= 0 {
		r.busy = nil
		return
	}
	r.busy = make(busySlots, n)
}
