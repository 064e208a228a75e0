package functions

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/quickjs"

	"github.com/patchbay/patchbay/wire"
)

// Kind is what an execution runs of a function.
type Kind string

// Execution kinds.
const (
	KindAction  Kind = "action"
	KindSync    Kind = "sync"
	KindWebhook Kind = "webhook"  // a sync's onWebhook handler
	KindEvent   Kind = "on-event" // a createOnEvent handler
	// KindTest runs a test file's cases (vitest.go); its Host must be a
	// TestHost.
	KindTest Kind = "test"
)

// Limits bound one execution.
type Limits struct {
	// Memory is the VM's heap limit in bytes.
	Memory int64
	// Timeout is the execution's wall-clock limit, awaits included.
	Timeout time.Duration
}

// Default limits.
const (
	DefaultMemory         = 256 << 20
	DefaultActionTimeout  = 5 * time.Minute
	DefaultSyncTimeout    = 24 * time.Hour
	DefaultWebhookTimeout = time.Hour
)

// Per-execution bounds that are not configurable: they keep one function
// from turning the host's resources (goroutines, log storage) against it.
const (
	maxInFlight    = 256
	maxLogLines    = 10_000
	maxLogLineSize = 32 << 10
)

// Info tells a function where it runs; it becomes the nango object's
// properties.
type Info struct {
	Name              string `json:"name"`
	ConnectionID      string `json:"connectionId"`
	ProviderConfigKey string `json:"providerConfigKey"`
	Provider          string `json:"provider"`
	EnvironmentName   string `json:"environmentName,omitempty"`
	SyncID            string `json:"syncId,omitempty"`
	Variant           string `json:"variant,omitempty"`
	// LastSyncDate is RFC 3339, empty for a first run.
	LastSyncDate string `json:"lastSyncDate,omitempty"`
}

// Execution is one run of a function.
type Execution struct {
	Bundle *Bundle
	Kind   Kind
	// Input is the action's input or the webhook's payload (JSON);
	// empty means null.
	Input  json.RawMessage
	Info   Info
	Host   Host
	Limits Limits
	// Validation says how an action's input and output are checked
	// (the zero value: input enforced, output warned about).
	Validation Validation
}

// Failure is a function's failure, as the caller reports it (Type says
// which kind; see wire.Failure).
type Failure = wire.Failure

// Failure types the runtime itself produces.
const (
	FailureTimeout   = "timeout"
	FailureMemory    = "memory"
	FailureCancelled = "cancelled"
	FailureScript    = "script_error"
)

// Runtime runs compiled functions, each execution in a fresh QuickJS VM.
// It is safe for concurrent use; executions share nothing but the
// compiled bytecode of the prelude and of recently run bundles.
type Runtime struct {
	preludeOnce sync.Once
	prelude     []byte
	preludeErr  error

	vitestOnce sync.Once
	vitest     []byte
	vitestErr  error

	mu       sync.Mutex
	programs map[string]*list.Element
	lru      *list.List

	pool *warmPool
	// describers are VMs that describe bundle after bundle (describe.go).
	describers chan *describer

	// open counts the executions whose VM is not closed yet, abandoned
	// ones (see bounded) included.
	open atomic.Int64

	// busy, when set (LimitBusy), bounds the executions running
	// JavaScript at once.
	busy busySlots

	// compilers are VMs kept to compile bundles with (compileBundle).
	compilers chan *compilerVM
}

// maxPrograms bounds the bytecode cache; a bundle is tens of kilobytes.
const maxPrograms = 512

type program struct {
	key  string
	once sync.Once
	code []byte
	err  error
}

// NewRuntime returns a runtime. The prelude is compiled on first use;
// Close frees the VMs it keeps ready.
func NewRuntime() *Runtime {
	return &Runtime{programs: map[string]*list.Element{}, lru: list.New(), pool: newWarmPool(),
		describers: make(chan *describer, max(runtime.GOMAXPROCS(0), 2)),
		compilers:  make(chan *compilerVM, max(runtime.GOMAXPROCS(0), 2))}
}

func (r *Runtime) preludeCode() ([]byte, error) {
	r.preludeOnce.Do(func() {
		var js string
		if js, r.preludeErr = preludeJS(); r.preludeErr == nil {
			r.prelude, r.preludeErr = compileBytecode(js, true)
		}
	})
	return r.prelude, r.preludeErr
}

// vitestCode returns the bytecode of vitestScript, compiled once per
// process. Stripped as the prelude is: its frames in a failure's stack
// then show no position, where one would be told in the test bundle's
// source map, which does not cover it.
func (r *Runtime) vitestCode() ([]byte, error) {
	r.vitestOnce.Do(func() {
		var js string
		if js, r.vitestErr = vitestScript(); r.vitestErr == nil {
			r.vitest, r.vitestErr = compileBytecode(js, true)
		}
	})
	return r.vitest, r.vitestErr
}

// bundleCode returns the bytecode of b, compiling it once per process.
func (r *Runtime) bundleCode(b *Bundle) ([]byte, error) {
	return r.bundleCodeWith(b, r.compileBundle)
}

// bundleCodeWith is bundleCode compiling with compile when b's bytecode
// is not cached yet.
func (r *Runtime) bundleCodeWith(b *Bundle, compile func(string) ([]byte, error)) ([]byte, error) {
	key := fmt.Sprintf("%x", sha256.Sum256([]byte(b.JS)))
	r.mu.Lock()
	el, ok := r.programs[key]
	if ok {
		r.lru.MoveToFront(el)
	} else {
		el = r.lru.PushFront(&program{key: key})
		r.programs[key] = el
		if r.lru.Len() > maxPrograms {
			old := r.lru.Back()
			r.lru.Remove(old)
			delete(r.programs, old.Value.(*program).key)
		}
	}
	p := el.Value.(*program)
	r.mu.Unlock()
	p.once.Do(func() { p.code, p.err = compile(b.JS) })
	return p.code, p.err
}

// A compilerVM is a VM that only compiles: making a VM costs half as much
// as compiling a bundle in it (patchbay test compiles thousands), and
// compiling runs none of the code, so one VM serves many bundles. It is
// replaced after compilerUses, so that what compiling leaves in the
// engine (atoms) cannot pile up.
type compilerVM struct {
	vm   *quickjs.VM
	uses int
}

const compilerUses = 256

// compileBundle compiles a bundle's js, keeping its debug information,
// in one of r's compiler VMs.
func (r *Runtime) compileBundle(js string) ([]byte, error) {
	var c *compilerVM
	select {
	case c = <-r.compilers:
	default:
		vm, err := quickjs.NewVM()
		if err != nil {
			return nil, fmt.Errorf("new VM: %w", err)
		}
		c = &compilerVM{vm: vm}
	}
	code, err := c.vm.Compile(js, quickjs.EvalGlobal)
	c.uses++
	r.putCompiler(c)
	if err != nil {
		return nil, fmt.Errorf("compile bytecode: %w", err)
	}
	return code, nil
}

// putCompiler keeps c for the next bundle, or closes it if it is used up,
// enough are idle already or r is closed. Under the pool's lock, as
// putDescriber, so that Close leaves none behind: a VM's memory is not
// the Go heap's, and nothing would free it.
func (r *Runtime) putCompiler(c *compilerVM) {
	r.pool.mu.Lock()
	defer r.pool.mu.Unlock()
	if r.pool.closed || c.uses >= compilerUses {
		c.vm.Close()
		return
	}
	select {
	case r.compilers <- c:
	default:
		c.vm.Close()
	}
}

// compileBytecode compiles js. Stripped, the bytecode keeps no source
// text and no debug information: the prelude's shrinks from 454 KB to
// 92 KB, and every VM reads (and frees) it. Bundles keep theirs,
// for the line numbers of a function's errors.
func compileBytecode(js string, strip bool) ([]byte, error) {
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, fmt.Errorf("new VM: %w", err)
	}
	defer vm.Close()
	if strip {
		stripDebugInfo(vm) // without it, only slower
	}
	code, err := vm.Compile(js, quickjs.EvalGlobal)
	if err != nil {
		return nil, fmt.Errorf("compile bytecode: %w", err)
	}
	return code, nil
}

// Definition is what a function declares, as the compiler reads it from
// the definition object: the JSON Schemas of its zod schemas and the
// settings Patchbay acts on.
type Definition struct {
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Version     string   `json:"version"`
	Scopes      []string `json:"scopes,omitempty"`
	// Actions.
	Input    json.RawMessage `json:"input,omitempty"`
	Output   json.RawMessage `json:"output,omitempty"`
	Endpoint json.RawMessage `json:"endpoint,omitempty"`
	// Syncs.
	Frequency            string                     `json:"frequency,omitempty"`
	AutoStart            bool                       `json:"autoStart,omitempty"`
	SyncType             string                     `json:"syncType,omitempty"`
	TrackDeletes         bool                       `json:"trackDeletes,omitempty"`
	Endpoints            json.RawMessage            `json:"endpoints,omitempty"`
	WebhookSubscriptions []string                   `json:"webhookSubscriptions,omitempty"`
	HasOnWebhook         bool                       `json:"hasOnWebhook,omitempty"`
	Metadata             json.RawMessage            `json:"metadata,omitempty"`
	Checkpoint           json.RawMessage            `json:"checkpoint,omitempty"`
	Models               map[string]json.RawMessage `json:"models,omitempty"`
	// Event handlers.
	Event string `json:"event,omitempty"`
}

// Describe evaluates b's top level and returns the definition it
// exports. Top-level code gets a host that refuses everything: a
// definition must not depend on I/O.
func (r *Runtime) Describe(ctx context.Context, b *Bundle) (*Definition, error) {
	if d, ok := r.describeShared(ctx, b); ok {
		return d, nil
	}
	return r.describeFresh(ctx, b)
}

// describeFresh is Describe in a VM of the bundle's own, the way every
// execution runs: what it reports is what Describe reports, whatever
// the bundle does.
func (r *Runtime) describeFresh(ctx context.Context, b *Bundle) (*Definition, error) {
	// Generous: evaluating a bundle's top level takes milliseconds, but a
	// deploy on a loaded machine (or under the race detector, which slows
	// the interpreter twentyfold) must not fail for it.
	ctx, cancel := context.WithTimeoutCause(ctx, describeTimeout, errTimeout)
	defer cancel()
	out, err := bounded(ctx, func(g *gate) (any, error) {
		x, err := r.start(ctx, &Execution{Bundle: b, Host: refusingHost{}, Limits: Limits{Memory: DefaultMemory}}, g)
		if err != nil {
			return nil, err
		}
		defer x.close()
		out, err := x.vm.Call("__pb_describe")
		if err != nil {
			return nil, x.failure(err)
		}
		return out, nil
	})
	if err != nil {
		return nil, mapErr(err, b.SourceMap)
	}
	s, ok := out.(string)
	if !ok {
		return nil, errors.New("describe: unexpected result")
	}
	return decodeDefinition(s)
}

func decodeDefinition(s string) (*Definition, error) {
	var d Definition
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	return &d, nil
}

// describeTimeout bounds the evaluation of a bundle's top level.
const describeTimeout = 30 * time.Second

var errTimeout = errors.New("the execution took longer than its time limit")

// Run executes e and returns the function's output (JSON). A failure of
// the function is a *Failure, whose positions name the TypeScript sources
// when the bundle has its source map; other errors are Patchbay's own.
// Run returns by e's time limit, give or take abandonGrace, whatever the
// function does (see deadline.go).
func (r *Runtime) Run(ctx context.Context, e *Execution) (json.RawMessage, error) {
	if e.Limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, e.Limits.Timeout, errTimeout)
		defer cancel()
	}
	out, err := bounded(ctx, func(g *gate) (json.RawMessage, error) { return r.run(ctx, e, g) })
	if err != nil && e.Bundle != nil {
		err = mapErr(err, e.Bundle.SourceMap)
	}
	return out, err
}

func (r *Runtime) run(ctx context.Context, e *Execution, g *gate) (json.RawMessage, error) {
	if err := r.busy.acquire(ctx); err != nil {
		return nil, endFailure(ctx)
	}
	// The loop gives the slot up while it waits, and takes it back
	// (held says whether it has it). The slot is given back once the VM
	// is freed, after the caller has the result: freeing is work too,
	// and done beside the interpreters at work it would make one more
	// goroutine than cores, which the scheduler then preempts every few
	// milliseconds, at a cost this interpreter feels.
	held := true
	defer g.after(func() {
		if held {
			r.busy.release()
		}
	})
	x, err := r.start(ctx, e, g)
	if err != nil {
		return nil, err
	}
	defer x.close()
	x.busy, x.held = r.busy, &held
	input := string(e.Input)
	if input == "" {
		input = "null"
	}
	info, err := json.Marshal(e.Info)
	if err != nil {
		return nil, err
	}
	validation, err := json.Marshal(e.Validation)
	if err != nil {
		return nil, err
	}
	if _, err := x.vm.Call("__pb_run", string(e.Kind), input, string(info), string(validation)); err != nil {
		return nil, x.failure(err)
	}
	return x.loop()
}

// execution is one VM and the state of its event loop. Everything but
// the op goroutines and the watchdog runs on one goroutine, Run's own.
type execution struct {
	ctx      context.Context
	cancel   context.CancelFunc // ends the op goroutines
	vm       *quickjs.VM
	host     Host
	gate     *gate // host calls pass through it
	info     Info
	watchdog *watchdog
	stop     func() bool // unarms the watchdog
	closed   func()      // after the VM is freed

	results  chan opResult
	inFlight int
	nextID   int
	logLines int

	pagers    map[int]*pager
	nextPager int

	soap soapWSDLs // the soap module's WSDLs (soap.go)

	// mocks are the hosts of a test file's Nango mocks; an op that names
	// mock n (1-based) runs against mocks[n-1] (vitest.go).
	mocks []Host

	finished bool
	ok       bool
	payload  string

	// busy are the runtime's slots (LimitBusy); held says whether this
	// execution holds one.
	busy busySlots
	held *bool
}

type opResult struct {
	id      int
	ok      bool
	payload string
	// body is set as the result's body member (see sideBodied).
	body    string
	hasBody bool
}

func (r *Runtime) start(ctx context.Context, e *Execution, g *gate) (_ *execution, err error) {
	code, err := r.bundleCode(e.Bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	w, err := r.takeVM()
	if err != nil {
		return nil, err
	}
	r.open.Add(1)
	x := attach(ctx, w, e, g)
	x.closed = func() { r.open.Add(-1) }
	defer func() {
		if err != nil {
			x.close()
		}
	}()
	if e.Kind == KindTest {
		// The file's own copy of the vitest module, in its own VM: a
		// file cannot change what the next one gets.
		vitest, err := r.vitestCode()
		if err != nil {
			return nil, fmt.Errorf("vitest: %w", err)
		}
		if _, err := w.vm.EvalBytecode(vitest); err != nil {
			return nil, x.failure(err)
		}
	}
	if _, err := w.vm.EvalBytecode(code); err != nil {
		return nil, x.failure(err)
	}
	return x, nil
}

// attach makes w's VM serve e: its memory limit, the execution state its
// host functions dispatch to, and a watchdog armed for ctx's end.
func attach(ctx context.Context, w *warmVM, e *Execution, g *gate) *execution {
	vm := w.vm
	limit := e.Limits.Memory
	if limit <= 0 {
		limit = DefaultMemory
	}
	vm.SetMemoryLimit(uintptr(limit))
	// The execution's own context also ends the op goroutines when the
	// function settles before its deadline.
	opCtx, cancel := context.WithCancelCause(ctx)
	x := &execution{
		ctx:      opCtx,
		cancel:   func() { cancel(context.Canceled) },
		vm:       vm,
		host:     e.Host,
		gate:     g,
		info:     e.Info,
		watchdog: newWatchdog(vm, w.counter),
		results:  make(chan opResult, maxInFlight),
		pagers:   map[int]*pager{},
		closed:   func() {},
	}
	w.x = x
	// The watchdog only stops JavaScript that is running; the event loop
	// checks the context itself between turns.
	x.stop = context.AfterFunc(ctx, x.watchdog.run)
	return x
}

// close ends the execution: the watchdog, the op goroutines and the
// paginations stop now, and the VM is freed once the caller has the
// result (see gate).
func (x *execution) close() {
	x.stop()
	x.watchdog.close()
	x.cancel()
	for _, p := range x.pagers {
		p.close()
	}
	x.gate.after(func() {
		x.vm.Close()
		x.closed()
	})
}

// loop runs the event loop until the function settles: it drains the
// microtask queue, then waits for a host operation to finish and settles
// its promise, and so on.
func (x *execution) loop() (json.RawMessage, error) {
	// GlobalObject returns a new reference. Left unfreed, it keeps the
	// global object, and everything the prelude and the bundle hang off
	// it, alive past JS_FreeRuntime: about 800 KB of C heap per run that
	// nothing ever frees. The atom needs no freeing: the runtime frees its
	// atom table when the VM closes.
	global := x.vm.GlobalObject()
	settle, err := global.GetPropertyValue(mustAtom(x.vm, "__pb_settle"))
	global.Free()
	if err != nil {
		return nil, fmt.Errorf("settle: %w", err)
	}
	defer settle.Free()
	for {
		if err := context.Cause(x.ctx); err != nil && !x.finished {
			return nil, x.failure(err)
		}
		if _, err := x.vm.ExecutePendingJobs(); err != nil {
			return nil, x.failure(err)
		}
		if x.finished {
			if x.ok {
				return json.RawMessage(x.payload), nil
			}
			f := &Failure{}
			if err := json.Unmarshal([]byte(x.payload), f); err != nil {
				return nil, fmt.Errorf("failure from the function: %w", err)
			}
			return nil, f
		}
		if x.inFlight == 0 {
			return nil, &Failure{Type: FailureScript, Message: "the function is waiting for a promise that nothing will settle"}
		}
		res, ok := x.wait()
		if !ok {
			continue // the context ended: reported at the top
		}
		x.inFlight--
		if _, err := settle.Call(quickjs.UndefinedValue, res.id, res.ok, res.payload, res.hasBody, res.body); err != nil {
			return nil, x.failure(err)
		}
	}
}

// wait returns the next finished host operation, false when the
// execution's context ends first. With nothing finished yet, it gives
// its busy slot up while it waits and takes one back before returning.
func (x *execution) wait() (opResult, bool) {
	select {
	case res := <-x.results:
		return res, true
	default:
	}
	if x.busy != nil && *x.held {
		x.busy.release()
		*x.held = false
	}
	var res opResult
	ok := false
	select {
	case res = <-x.results:
		ok = true
	case <-x.ctx.Done():
	}
	if x.busy != nil && !*x.held {
		if x.busy.acquire(x.ctx) != nil {
			return opResult{}, false
		}
		*x.held = true
	}
	return res, ok
}

// failure turns an error out of the VM into the execution's Failure.
func (x *execution) failure(err error) error {
	if x.ctx.Err() != nil {
		return endFailure(x.ctx)
	}
	var qe *quickjs.Error
	if errors.As(err, &qe) {
		if qe.Name == "InternalError" && strings.Contains(qe.Message, "out of memory") {
			return &Failure{Type: FailureMemory, Message: "the function ran out of memory"}
		}
		payload, _ := json.Marshal(map[string]string{"name": qe.Name, "stack": qe.Stack})
		return &Failure{Type: FailureScript, Message: qe.Error(), Payload: payload}
	}
	if strings.Contains(err.Error(), "out of memory") {
		return &Failure{Type: FailureMemory, Message: "the function ran out of memory"}
	}
	return &Failure{Type: FailureScript, Message: err.Error()}
}

func (x *execution) finish(args []any) (any, error) {
	if x.finished || len(args) != 2 {
		return nil, nil
	}
	ok, _ := args[0].(bool)
	payload, _ := args[1].(string)
	x.finished, x.ok, x.payload = true, ok, payload
	return nil, nil
}

// startOp begins an asynchronous host operation and returns its id; the
// result comes back through the event loop.
func (x *execution) startOp(args []any) (any, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, errors.New("host: bad call")
	}
	if len(args) == 3 {
		// A test file's mock: the op is prepared against its host.
		restore, err := x.useMock(args[2])
		if err != nil {
			return nil, err
		}
		defer restore()
	}
	op, _ := args[0].(string)
	raw, _ := args[1].(string)
	if x.inFlight >= maxInFlight {
		return nil, fmt.Errorf("too many operations in flight (at most %d at once)", maxInFlight)
	}
	handler, ok := asyncOps[op]
	if !ok {
		return nil, fmt.Errorf("unknown host operation %q", op)
	}
	x.nextID++
	id := x.nextID
	x.inFlight++
	prepared, err := handler(x, json.RawMessage(raw))
	if err != nil {
		x.deliver(id, nil, err)
		return id, nil
	}
	if op != opNameSleep && immediate(x.host) {
		// Settled, as any other, when the loop next turns.
		out, err := prepared(x.ctx)
		x.deliver(id, out, err)
		return id, nil
	}
	go func() {
		out, err := prepared(x.ctx)
		x.deliver(id, out, err)
	}()
	return id, nil
}

func (x *execution) deliver(id int, out any, err error) {
	res := opResult{id: id, ok: err == nil}
	var b []byte
	if err != nil {
		b, _ = json.Marshal(hostErrorInfo(err))
	} else if out != nil {
		var merr error
		if b, merr = json.Marshal(out); merr != nil {
			res.ok = false
			b, _ = json.Marshal(hostErrorInfo(merr))
		} else if sb, ok := out.(sideBodied); ok {
			res.body, res.hasBody = sb.sideBody()
		}
	}
	res.payload = string(b)
	// results holds maxInFlight entries, as many as can be in flight, so
	// this never blocks.
	x.results <- res
}

func (x *execution) syncOp(args []any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("host: bad call")
	}
	op, _ := args[0].(string)
	raw, _ := args[1].(string)
	handler, ok := syncOps[op]
	if !ok {
		return nil, fmt.Errorf("unknown host operation %q", op)
	}
	out, err := handler(x, json.RawMessage(raw))
	if err != nil {
		return nil, err
	}
	if out == nil {
		return "", nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func mustAtom(vm *quickjs.VM, name string) quickjs.Atom {
	a, err := vm.NewAtom(name)
	if err != nil {
		panic(err)
	}
	return a
}
