package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// memoryTestAction awaits a host call, a Promise.all of two more and a
// timer: promise reactions, settled callbacks and a pending-job queue,
// the parts of an execution that once kept its VM's heap alive.
const memoryTestAction = `
import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  input: z.object({ n: z.number() }),
  output: z.object({ ok: z.boolean(), n: z.number(), token: z.string() }),
  exec: async (nango, input) => {
    const r = await nango.get({ endpoint: '/user' });
    const [token] = await Promise.all([nango.getToken(), nango.getMetadata()]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    nango.log('done', input.n);
    return { ok: r.data.ok, n: input.n, token };
  },
});`

// memoryTestSync saves many small batches, as a sync walking pages does.
const memoryTestSync = `
import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  models: { Item: z.object({ id: z.string(), title: z.string() }) },
  exec: async (nango) => {
    for (let i = 0; i < 50; i++) {
      await nango.batchSave([{ id: String(i), title: 'item ' + i + ' '.repeat(64) }], 'Item');
    }
  },
});`

// residentBytes is the process's resident set size, which counts the
// engine's C heap (modernc's libc allocator maps its own pages) as well
// as Go's.
func residentBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("statm %q: %v", b, err)
	}
	return pages * int64(os.Getpagesize())
}

// TestExecutionMemory runs 2,000 executions after a warm-up of 400 and
// checks that the process does not grow with them. Each once leaked the
// whole VM (an unfreed reference to the global object kept it alive past
// Close): ~800 KB then, ~480 KB with today's smaller prelude, so the
// same run grew by about 1 GB.
//
// The bound is 16 MiB over the 2,000 executions measured, after a
// warm-up at the same concurrency. What stays resident legitimately is
// the VMs alive at once (4 executions and the warm pool, under 1 MB
// each), the pages modernc's allocator keeps for reuse (at most its
// high-water mark plus 4 MiB, reached in the warm-up already) and Go heap
// noise (a GC runs before each reading): the growth measured is under
// 1 MiB. A leak of 8.4 KB per execution, a 57th of the one fixed,
// exceeds the bound.
//
// Not parallel: other tests' VMs would count in the same process's RSS.
func TestExecutionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs thousands of executions")
	}
	const (
		concurrency = 4
		bound       = 16 << 20
	)
	warmup, measured := 400, 2000
	if raceEnabled {
		// 2,400 executions take two minutes under the race detector;
		// 150 still show the leak fixed (70 MiB) four times over.
		warmup, measured = 50, 150
	}
	rt := NewRuntime()
	defer rt.Close()
	action := compileOne(t, map[string]string{"github/actions/a.ts": memoryTestAction}, "github/actions/a.ts")
	syncBundle := compileOne(t, map[string]string{"github/syncs/s.ts": memoryTestSync}, "github/syncs/s.ts")
	info := Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}

	// One execution in four is the sync (50 batchSave calls), the others
	// the action.
	run := func(i int) error {
		h := &fakeHost{}
		e := &Execution{Bundle: action, Kind: KindAction, Input: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Host: h, Info: info}
		if i%4 == 0 {
			e.Bundle, e.Kind, e.Input = syncBundle, KindSync, nil
		}
		out, err := rt.Run(context.Background(), e)
		switch {
		case err != nil:
			return fmt.Errorf("execution %d: %w", i, err)
		case e.Kind == KindSync && len(h.records) != 50:
			return fmt.Errorf("execution %d: %d record batches saved, want 50", i, len(h.records))
		case e.Kind == KindAction && string(out) != fmt.Sprintf(`{"ok":true,"n":%d,"token":"tok"}`, i):
			return fmt.Errorf("execution %d: output %s", i, out)
		}
		return nil
	}
	phase := func(n int) {
		t.Helper()
		var (
			wg    sync.WaitGroup
			next  = make(chan int)
			errMu sync.Mutex
			first error
		)
		for range concurrency {
			wg.Go(func() {
				for i := range next {
					if err := run(i); err != nil {
						errMu.Lock()
						if first == nil {
							first = err
						}
						errMu.Unlock()
					}
				}
			})
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		if first != nil {
			t.Fatal(first)
		}
	}
	settled := func() int64 {
		waitClosed(t, rt) // VMs are freed just after Run returns
		runtime.GC()
		debug.FreeOSMemory()
		return residentBytes(t)
	}

	phase(warmup) // the allocator's pools, the bytecode cache, Go's heap
	before := settled()
	phase(measured)
	after := settled()
	growth := after - before
	t.Logf("RSS %.1f MiB → %.1f MiB after %d executions: %+d bytes per execution", mib(before), mib(after), measured, growth/int64(measured))
	if growth > bound {
		t.Fatalf("RSS grew by %.1f MiB over %d executions (%d bytes each), bound %.0f MiB", mib(growth), measured, growth/int64(measured), mib(bound))
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
