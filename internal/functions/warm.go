package functions

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"modernc.org/quickjs"
)

// A warm VM is a fresh VM with the prelude (globals, zod, nango) already
// evaluated: about a millisecond and a half of work per execution that
// need not be on the caller's clock. Each is still used for exactly one
// execution and then closed; the pool only moves its creation earlier.
type warmVM struct {
	vm *quickjs.VM
	// x is the execution that took the VM; the host functions the
	// prelude captured dispatch to it.
	x *execution
	// counter is the engine's countdown to its next interrupt check (see
	// interruptCounter), nil if not found.
	counter *int32
}

var errNoExecution = errors.New("host: no execution")

// newWarmVM creates a VM, binds the host functions and evaluates the
// prelude.
func (r *Runtime) newWarmVM() (*warmVM, error) {
	prelude, err := r.preludeCode()
	if err != nil {
		return nil, fmt.Errorf("prelude: %w", err)
	}
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, fmt.Errorf("new VM: %w", err)
	}
	w := &warmVM{vm: vm, counter: interruptCounter(vm)}
	bind := func(f func(*execution, []any) (any, error)) quickjs.HostFunc {
		return func(args []any) (any, error) {
			x := w.x
			switch {
			case x == nil:
				return nil, errNoExecution
			case !x.gate.open():
				return nil, errAbandoned
			}
			return f(x, args)
		}
	}
	for name, fn := range map[string]quickjs.HostFunc{
		"__pb_start":  bind((*execution).startOp),
		"__pb_sync":   bind((*execution).syncOp),
		"__pb_finish": bind((*execution).finish),
	} {
		if err := vm.RegisterHostFunc(name, fn); err != nil {
			vm.Close()
			return nil, fmt.Errorf("register %s: %w", name, err)
		}
	}
	if _, err := vm.EvalBytecode(prelude); err != nil {
		vm.Close()
		return nil, fmt.Errorf("prelude: %w", err)
	}
	return w, nil
}

// warmPool holds a few warm VMs, refilled in the background as they are
// taken. Under load the refills compete with executions for the same CPU,
// so the pool helps latency when the node has room and costs nothing
// otherwise.
type warmPool struct {
	ready     chan *warmVM
	refilling atomic.Int32
	mu        sync.Mutex
	closed    bool
}

func newWarmPool() *warmPool {
	return &warmPool{ready: make(chan *warmVM, max(runtime.GOMAXPROCS(0), 2))}
}

// take returns a warm VM, making one now if none is ready, and starts a
// refill.
func (r *Runtime) takeVM() (*warmVM, error) {
	var w *warmVM
	select {
	case w = <-r.pool.ready:
	default:
	}
	if r.busy != nil {
		// With busy slots, every VM is made by the execution that uses
		// it, in its slot: a refill beside the executions would take a
		// core they are bounded to.
		if w != nil {
			return w, nil
		}
		return r.newWarmVM()
	}
	r.refill()
	if w != nil {
		return w, nil
	}
	return r.newWarmVM()
}

func (r *Runtime) refill() {
	p := r.pool
	if int(p.refilling.Add(1)) > cap(p.ready) {
		p.refilling.Add(-1)
		return
	}
	go func() {
		defer p.refilling.Add(-1)
		w, err := r.newWarmVM()
		if err != nil {
			return // the next take makes its own and reports the error
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			w.vm.Close()
			return
		}
		select {
		case p.ready <- w:
		default:
			w.vm.Close()
		}
	}()
}

// Close frees the warm VMs; executions still running are not affected,
// and later ones create their VMs on the spot.
func (r *Runtime) Close() {
	p := r.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for {
		select {
		case w := <-p.ready:
			w.vm.Close()
		case d := <-r.describers:
			d.w.vm.Close()
		case c := <-r.compilers:
			c.vm.Close()
		default:
			return
		}
	}
}
