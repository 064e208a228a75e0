package functions

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lib "modernc.org/libquickjs"
	"modernc.org/quickjs"
)

// waitClosed waits until every VM rt's executions took is freed, also
// those Run abandoned, which close in the background.
func waitClosed(t *testing.T, rt *Runtime) {
	t.Helper()
	for end := time.Now().Add(time.Minute); rt.open.Load() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d VMs still open a minute after their execution ended", rt.open.Load())
		}
	}
}

// TestHardDeadline runs functions that try to outlive their time limit.
// Each must end as a timeout. The time bound is 5 s for a 100 ms limit,
// loose enough for a loaded machine under the race detector (Run itself
// gives up abandonGrace past the deadline) and tight enough to catch the
// old overrun: catching stack overflows ran ~10 s past any limit.
func TestHardDeadline(t *testing.T) {
	t.Parallel()
	const (
		limit   = 100 * time.Millisecond
		maxTime = 5 * time.Second
	)
	cases := []struct{ name, top, exec string }{
		{name: "caught stack overflows", exec: `function f() { try { return f() } catch { return f() } } f();`},
		{name: "caught interrupts", exec: `for (;;) { try { for (;;) {} } catch {} }`},
		{name: "finally", exec: `try { for (;;) {} } finally { for (;;) {} }`},
		{name: "in a promise job", exec: `await Promise.resolve(); for (;;) {}`},
		{name: "after a host call", exec: `await nango.getToken(); for (;;) {}`},
		{name: "in a timer", exec: `await new Promise(() => setTimeout(() => { for (;;) {} }, 10));`},
		// The bundle's top level runs before the function does.
		{name: "top level", top: `for (;;) {}`, exec: `return 1;`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt := NewRuntime()
			defer rt.Close()
			src := "import { createAction } from 'nango';\n" + c.top + "\nexport default createAction({ exec: async (nango, input) => {\n" + c.exec + "\n} });"
			start := time.Now()
			out, err := runAction(t, rt, src, `{}`, &fakeHost{}, Limits{Timeout: limit})
			took := time.Since(start)
			var f *Failure
			if !errors.As(err, &f) || f.Type != FailureTimeout {
				t.Fatalf("= %s, %v; want a timeout", out, err)
			}
			if took > maxTime {
				t.Errorf("a %v limit took %v", limit, took)
			}
			waitClosed(t, rt)
		})
	}
}

// TestWatchdogStopsEngine checks the watchdog's second level alone. The
// engine checks for an interrupt only every 10,000 calls, so a function
// catching its stack overflows (each a backtrace of ~5,000 frames) ran
// seconds past the flag being set. Setting the countdown too makes the
// engine stop at its next call. Counting calls, not time, keeps the test
// independent of the machine's speed.
func TestWatchdogStopsEngine(t *testing.T) {
	t.Parallel()
	vm, err := quickjs.NewVM()
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	counter := interruptCounter(vm)
	if counter == nil {
		t.Fatal("the JSContext's interrupt_counter was not found: modernc.org/quickjs changed its VM; see interruptCounter")
	}
	w := newWatchdog(vm, counter)
	defer w.close()
	// Once the recursion catches overflows, ready puts the engine's next
	// check as far off as it gets, 10,000 calls, and the deadline passes:
	// the watchdog starts as it does in Run, from another goroutine.
	ready := make(chan struct{})
	var once sync.Once
	err = vm.RegisterHostFunc("ready", func([]any) (any, error) {
		atomic.StoreInt32(counter, lib.MJS_INTERRUPT_COUNTER_INIT)
		once.Do(func() { close(ready) })
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-ready
		// After ready has returned, or the quickjs package's check on
		// the way out of it would stop the engine without the countdown
		// (a pass of this test that proves nothing, not a failure).
		time.Sleep(time.Millisecond)
		w.run()
	}()
	// A fifth of the default stack keeps the test quick under the race
	// detector; overflows still cost a backtrace of 1,000 frames each.
	vm.SetMaxStackSize(1000)
	// Should the watchdog not work, the eval timeout ends the test long
	// before the exponential recursion would.
	if err := vm.SetEvalTimeout(time.Minute); err != nil {
		t.Fatal(err)
	}
	// A call of ready can itself overflow the stack, and is then
	// retried; readyAt is the call count once it has returned.
	_, err = vm.Eval(`var calls = 0, overflows = 0, readyAt = 0;
function f() {
  calls++;
  if (overflows > 0 && readyAt === 0) { ready(); readyAt = calls; }
  try { return f() } catch { overflows++; return f() }
}
f();`, quickjs.EvalGlobal)
	// Near the stack's end the engine may fail to build the
	// "interrupted" error and throws null instead, still uncatchable.
	if err == nil {
		t.Fatal("the recursion ended without an error")
	}
	// The watchdog pokes until closed, as in Run, where it is closed
	// before the VM is used again; a poke after Eval's start would stop
	// the read below.
	w.close()
	got, err := vm.Eval(`JSON.stringify([readyAt, calls])`, quickjs.EvalGlobal)
	if err != nil {
		t.Fatal(err)
	}
	var n [2]int
	if err := json.Unmarshal([]byte(got.(string)), &n); err != nil {
		t.Fatal(err)
	}
	// Calls between ready and the first poke: a few per millisecond the
	// goroutine waits to run. Without the countdown, 10,000.
	if n[0] == 0 || n[1]-n[0] > 1000 {
		t.Fatalf("ready at call %d, stopped at %d: want the engine to stop within 1,000 calls", n[0], n[1])
	}
	t.Logf("ready at call %d, stopped at %d", n[0], n[1])
}

// blockingHost blocks its first Log until released: a function stuck in
// a host call, which no interrupt reaches.
type blockingHost struct {
	fakeHost
	entered, release chan struct{}
	once             sync.Once
}

func (h *blockingHost) Log(level, message string) {
	first := false
	h.once.Do(func() { first = true })
	if first {
		close(h.entered)
		<-h.release
	}
	h.fakeHost.Log(level, message)
}

// TestAbandonedExecution checks the third level: Run returns while the VM
// is still busy, the VM refuses the host from then on and is freed once
// it stops. Cancelling once the VM is inside the host call, rather than a
// time limit, makes the order certain on any machine; both end a run the
// same way.
func TestAbandonedExecution(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	defer rt.Close()
	h := &blockingHost{entered: make(chan struct{}), release: make(chan struct{})}
	b := compileOne(t, map[string]string{"github/actions/a.ts": `import { createAction } from 'nango';
export default createAction({ exec: async (nango) => {
  nango.log('first');
  for (;;) { try { nango.log('after'); } catch {} }
} });`}, "github/actions/a.ts")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-h.entered
		cancel()
	}()
	_, err := rt.Run(ctx, &Execution{Bundle: b, Kind: KindAction, Host: h, Info: Info{ConnectionID: "c1", ProviderConfigKey: "github"}})
	var f *Failure
	if !errors.As(err, &f) || f.Type != FailureCancelled {
		t.Fatalf("err = %v, want cancelled", err)
	}
	if n := rt.open.Load(); n != 1 {
		t.Fatalf("%d VMs open, want the abandoned one", n)
	}
	close(h.release)
	waitClosed(t, rt)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.logs) != 1 || h.logs[0] != "info first" {
		t.Fatalf("logs = %q, want only the first: the host is refused once Run has returned", h.logs)
	}
}
