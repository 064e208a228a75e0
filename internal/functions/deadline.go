package functions

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/quickjs"
)

// An execution's time limit is a hard deadline, enforced at three levels,
// each the backstop of the one before:
//
//  1. The engine's interrupt handler stops JavaScript once the VM's
//     interrupt flag is set, with an exception that no catch takes.
//  2. The engine calls that handler only every 10,000 function calls or
//     backward jumps, and a call can be slow: a stack overflow builds a
//     backtrace of the whole stack (~5,000 frames, milliseconds). A
//     function that catches its stack overflows and recurses again
//     (try { return f() } catch { return f() }) ran 18 s past a 10 s limit
//     that way. So from the deadline on, a watchdog sets the flag and the
//     engine's countdown to its next check every millisecond until the VM
//     closes: the engine checks at its next call or jump. Setting the flag
//     again also covers a call into JavaScript that starts just after the
//     deadline, as the quickjs package clears the flag at each call from
//     Go.
//  3. A single native operation (a sort, a huge string) does not check at
//     all. Run waits abandonGrace past the deadline for the VM to hand
//     back control, then reports the timeout anyway; the VM's goroutine
//     closes it when the engine returns, and the host refuses the VM from
//     then on.

// abandonGrace is how long past its deadline an execution may take to
// stop by itself, which it normally does within a millisecond; only a VM
// still busy after it is abandoned.
const abandonGrace = 250 * time.Millisecond

// watchdogTick is how often the watchdog pokes the engine once the
// deadline has passed.
const watchdogTick = time.Millisecond

// watchdog interrupts a VM from its execution's deadline until it closes.
type watchdog struct {
	vm *quickjs.VM
	// counter is the engine's countdown to its next interrupt check, in
	// the VM's C memory; nil if it could not be found (see
	// interruptCounter), and then only the flag is set.
	counter *int32

	mu     sync.Mutex // orders the pokes before the VM's memory is freed
	closed bool
	done   chan struct{}
}

func newWatchdog(vm *quickjs.VM, counter *int32) *watchdog {
	return &watchdog{vm: vm, counter: counter, done: make(chan struct{})}
}

// run pokes the VM until it closes; it is started when the execution's
// context ends.
func (w *watchdog) run() {
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	for w.poke() {
		select {
		case <-w.done:
			return
		case <-t.C:
		}
	}
}

func (w *watchdog) poke() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.vm.Interrupt()
	if w.counter != nil {
		// The engine decrements the counter without atomics: a store
		// that lands between its read and its write is lost, and the
		// next tick repeats it.
		atomic.StoreInt32(w.counter, 1)
	}
	return true
}

// close stops the watchdog; the VM may be freed once it returns.
func (w *watchdog) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		close(w.done)
	}
}

// gate is what bounded shares with the execution it runs. It lets the
// VM's host calls through until the execution is abandoned: from then on
// the caller has its result and may be done with the host. Shutting does
// not wait for a call already through (a host that blocks would hold Run
// past its deadline); such a call ends as it would have.
//
// It also holds the work to do once the caller has the result: freeing a
// VM takes about a millisecond (the engine's last GC and a free per
// object), which need not be on the caller's clock.
type gate struct {
	shut  atomic.Bool
	later []func() // on the execution's goroutine only
}

var errAbandoned = errors.New("host: the execution has ended")

func (g *gate) open() bool { return !g.shut.Load() }

func (g *gate) close() { g.shut.Store(true) }

// after queues f for when the result is delivered.
func (g *gate) after(f func()) { g.later = append(g.later, f) }

// finish runs what after queued.
func (g *gate) finish() {
	for _, f := range g.later {
		f()
	}
	g.later = nil
}

// bounded runs f, the whole life of an execution's VM, on a goroutine of
// its own and returns its result; when ctx ends and f has not returned
// abandonGrace later, it returns ctx's failure and leaves f to finish and
// free its VM. f's host calls go through g, shut when f is abandoned.
//
// The goroutine costs little: the engine's deep stack grows on it as it
// would on the caller's.
func bounded[T any](ctx context.Context, f func(g *gate) (T, error)) (T, error) {
	type result struct {
		v        T
		err      error
		returned bool
		panicked any
	}
	g := &gate{}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res.panicked = fmt.Sprintf("%v\n\nfunction execution's goroutine:\n%s", p, debug.Stack())
			}
			done <- res
			g.finish()
		}()
		res.v, res.err = f(g)
		res.returned = true
	}()
	settled := func(res result) (T, error) {
		switch {
		case res.panicked != nil:
			// The panic goes on where it would have without this
			// goroutine, in the caller.
			panic(res.panicked)
		case !res.returned:
			var zero T
			return zero, errors.New("the execution's goroutine exited")
		}
		return res.v, res.err
	}
	select {
	case res := <-done:
		return settled(res)
	case <-ctx.Done():
	}
	t := time.NewTimer(abandonGrace)
	defer t.Stop()
	select {
	case res := <-done:
		return settled(res)
	case <-t.C:
		g.close()
		var zero T
		return zero, endFailure(ctx)
	}
}

// endFailure is the failure of an execution whose context ended.
func endFailure(ctx context.Context) *Failure {
	if errors.Is(context.Cause(ctx), errTimeout) {
		return &Failure{Type: FailureTimeout, Message: errTimeout.Error()}
	}
	return &Failure{Type: FailureCancelled, Message: "the execution was cancelled"}
}
