package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

// fakeHost answers a function's host calls from memory and records what
// it was asked.
type fakeHost struct {
	mu       sync.Mutex
	requests []*HTTPRequest
	respond  func(*HTTPRequest) *HTTPResponse
	pages    [][]json.RawMessage
	paginate func(ctx context.Context, req *HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*Page, error]
	metadata map[string]any
	logs     []string
	records  []*RecordOp
	locks    map[string]bool
}

func (h *fakeHost) Proxy(_ context.Context, req *HTTPRequest) (*HTTPResponse, error) {
	h.mu.Lock()
	h.requests = append(h.requests, req)
	h.mu.Unlock()
	if h.respond != nil {
		return h.respond(req), nil
	}
	return &HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"ok":true}`)}, nil
}

func (h *fakeHost) Paginate(ctx context.Context, req *HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*Page, error] {
	if h.paginate != nil {
		return h.paginate(ctx, req, cfg, limit)
	}
	return func(yield func(*Page, error) bool) {
		for _, p := range h.pages {
			data, _ := json.Marshal(p)
			if !yield(&Page{Data: data}, nil) {
				return
			}
		}
	}
}

func (h *fakeHost) Connection(context.Context) (map[string]any, error) {
	return map[string]any{"connection_id": "c1", "provider_config_key": "github"}, nil
}
func (h *fakeHost) Token(context.Context) (any, error) { return "tok", nil }
func (h *fakeHost) Metadata(context.Context) (map[string]any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.metadata, nil
}
func (h *fakeHost) SetMetadata(_ context.Context, m map[string]any, merge bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !merge || h.metadata == nil {
		h.metadata = map[string]any{}
	}
	for k, v := range m {
		h.metadata[k] = v
	}
	return nil
}
func (h *fakeHost) Checkpoint(context.Context) (map[string]any, error)   { return nil, nil }
func (h *fakeHost) SaveCheckpoint(context.Context, map[string]any) error { return ErrNotInSync }
func (h *fakeHost) EnvironmentVariables(context.Context) ([]store.EnvironmentVariable, error) {
	return []store.EnvironmentVariable{{Name: "A", Value: "1"}}, nil
}
func (h *fakeHost) TryAcquireLock(_ context.Context, key string, _ time.Duration) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.locks == nil {
		h.locks = map[string]bool{}
	}
	if h.locks[key] {
		return false, nil
	}
	h.locks[key] = true
	return true, nil
}
func (h *fakeHost) ReleaseLock(_ context.Context, key string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	held := h.locks[key]
	delete(h.locks, key)
	return held, nil
}
func (h *fakeHost) ReleaseAllLocks(context.Context) error { return nil }
func (h *fakeHost) Records(_ context.Context, op *RecordOp) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, op)
	return nil
}
func (h *fakeHost) RecordsByIDs(_ context.Context, model string, ids []string) ([]json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ops := make([]RecordOp, len(h.records))
	for i, op := range h.records {
		ops[i] = *op
	}
	return SavedRecords(ops, model, ids), nil
}
func (h *fakeHost) Log(level, message string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, level+" "+message)
}

func compileOne(t testing.TB, files map[string]string, entry string) *Bundle {
	t.Helper()
	b, err := Compile(Source{Files: files, Entry: entry})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return b
}

func runAction(t testing.TB, rt *Runtime, src string, input string, h Host, limits Limits) (json.RawMessage, error) {
	t.Helper()
	b := compileOne(t, map[string]string{"github/actions/a.ts": src}, "github/actions/a.ts")
	return rt.Run(context.Background(), &Execution{
		Bundle: b, Kind: KindAction, Input: json.RawMessage(input), Host: h, Limits: limits,
		Info: Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"},
	})
}

func TestRunSimpleAction(t *testing.T) {
	rt := NewRuntime()
	h := &fakeHost{}
	out, err := runAction(t, rt, `
import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  description: 'echo',
  version: '1.0.0',
  input: z.object({ name: z.string() }),
  output: z.object({ greeting: z.string(), ok: z.boolean() }),
  exec: async (nango, input) => {
    const r = await nango.get({ endpoint: '/user' });
    nango.log('hello', { level: 'warn' });
    return { greeting: 'hi ' + input.name, ok: r.data.ok };
  },
});
`, `{"name":"ada"}`, h, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"greeting":"hi ada","ok":true}` {
		t.Fatalf("out = %s", out)
	}
	if len(h.requests) != 1 || h.requests[0].Endpoint != "/user" || h.requests[0].Method != "GET" {
		t.Fatalf("requests = %+v", h.requests)
	}
	if len(h.logs) != 1 || h.logs[0] != "warn hello" {
		t.Fatalf("logs = %q", h.logs)
	}
}

func TestRunFailures(t *testing.T) {
	rt := NewRuntime()
	cases := []struct {
		name, src, input, typ, msg string
		limits                     Limits
	}{
		{"uncaught", `throw new Error('boom')`, `{}`, "script_error", "Error: boom", Limits{}},
		{"action error", `throw new nango.ActionError({ message: 'nope', code: 7 })`, `{}`, "action_error", "nope", Limits{}},
		{"infinite loop", `for (;;) {}`, `{}`, "timeout", "", Limits{Timeout: 200 * time.Millisecond}},
		{"caught infinite loop", `try { for (;;) {} } catch (e) {} return 1`, `{}`, "timeout", "", Limits{Timeout: 200 * time.Millisecond}},
		{"never settles", `await new Promise(() => {})`, `{}`, "script_error", "nothing will settle", Limits{}},
		{"out of memory", `const a = []; for (;;) a.push('x'.repeat(1 << 20) + a.length);`, `{}`, "memory", "", Limits{Memory: 64 << 20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "import { createAction } from 'nango';\nexport default createAction({ exec: async (nango, input) => {\n" + c.src + "\n} });"
			_, err := runAction(t, rt, src, c.input, &fakeHost{}, c.limits)
			var f *Failure
			if !errors.As(err, &f) {
				t.Fatalf("err = %v, want a Failure", err)
			}
			if f.Type != c.typ || !strings.Contains(f.Message, c.msg) {
				t.Fatalf("failure = %+v, want %s containing %q", f, c.typ, c.msg)
			}
		})
	}
}

// BenchmarkRunAction is one action execution with a host call, end to
// end: a warm VM taken, the bundle evaluated, the event loop run, the VM
// freed. Parallel runs GOMAXPROCS at once, as a loaded server does.
func BenchmarkRunAction(b *testing.B) {
	rt := NewRuntime()
	defer rt.Close()
	bun := compileOne(b, map[string]string{"github/actions/a.ts": `
import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
  input: z.object({ endpoint: z.string() }),
  output: z.object({ ok: z.boolean() }),
  exec: async (nango, input) => {
    const r = await nango.get({ endpoint: input.endpoint });
    return { ok: r.data.ok };
  },
});`}, "github/actions/a.ts")
	run := func() {
		_, err := rt.Run(context.Background(), &Execution{Bundle: bun, Kind: KindAction, Input: json.RawMessage(`{"endpoint":"/user"}`),
			Host: &fakeHost{}, Info: Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}})
		if err != nil {
			b.Error(err) // not Fatal: RunParallel calls it from other goroutines
		}
	}
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			run()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run()
			}
		})
	})
}

// TestPreludeStripped checks that the prelude, which every VM reads and
// frees, is compiled without its source text and debug information, and
// that a function's own code keeps its line numbers.
func TestPreludeStripped(t *testing.T) {
	t.Parallel()
	js, err := preludeJS()
	if err != nil {
		t.Fatal(err)
	}
	full, err := compileBytecode(js, false)
	if err != nil {
		t.Fatal(err)
	}
	stripped, err := NewRuntime().preludeCode()
	if err != nil {
		t.Fatal(err)
	}
	if len(stripped)*2 > len(full) {
		t.Fatalf("the prelude's bytecode is %d bytes, %d unstripped: stripping did not happen (see jsContext)", len(stripped), len(full))
	}

	_, err = runAction(t, NewRuntime(), "import { createAction } from 'nango';\nexport default createAction({ exec: async () => {\n  null.x;\n} });", `{}`, &fakeHost{}, Limits{})
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want a Failure", err)
	}
	var payload struct{ Stack string }
	if err := json.Unmarshal(f.Payload, &payload); err != nil || !strings.Contains(payload.Stack, "at exec (github/actions/a.ts:3:") {
		t.Fatalf("stack = %q, want the function's frame with its line", payload.Stack)
	}
}

// TestCompileBundleReusesVM: bundles compiled one after another in a
// kept VM, a syntax error among them, come out as compiled in a fresh
// VM each, past the VM's replacement.
func TestCompileBundleReusesVM(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	defer rt.Close()
	for i := range compilerUses + 10 {
		js := fmt.Sprintf("var __pb_module = { n: %d, f: function g%d(a) { return a + %d; } };", i, i, i)
		if i%50 == 7 {
			if _, err := rt.compileBundle("var = ;"); err == nil {
				t.Fatal("a syntax error compiled")
			}
		}
		got, err := rt.compileBundle(js)
		if err != nil {
			t.Fatal(err)
		}
		want, err := compileBytecode(js, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("bundle %d: bytecode differs from a fresh VM's", i)
		}
	}
}

// A compile that ends after Close frees its VM rather than keeping it
// where nothing would free it again.
func TestCompileBundleAfterClose(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	if _, err := rt.compileBundle("var a = 1;"); err != nil {
		t.Fatal(err)
	}
	if len(rt.compilers) != 1 {
		t.Fatalf("%d compiler VMs kept, want 1", len(rt.compilers))
	}
	rt.Close()
	if len(rt.compilers) != 0 {
		t.Fatalf("%d compiler VMs kept after Close", len(rt.compilers))
	}
	for range 3 {
		if _, err := rt.compileBundle("var a = 1;"); err != nil {
			t.Fatal(err)
		}
	}
	if len(rt.compilers) != 0 {
		t.Fatalf("%d compiler VMs kept by compiles after Close", len(rt.compilers))
	}
}
