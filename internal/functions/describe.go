package functions

import (
	"context"
	"fmt"

	"modernc.org/quickjs"
)

// Describing a bundle in a VM of its own costs a VM and the prelude's
// evaluation per function, several times the work of the description
// itself; compiling a project of thousands of functions spent most of its
// time there. A describer is a VM with the prelude that describes bundle
// after bundle instead.
//
// Sharing a VM is only sound while the bundles before leave nothing
// behind that the next one could see. A definition's top level is
// declarations and zod schemas, but nothing stops it from assigning a
// global or patching a built-in, so after each bundle the describer
// checks a fingerprint of the globals, the built-ins' prototypes and our
// zod and nango objects against the one it took when new, and is retired
// (closed) if they differ. The description just made is still right: the
// VM was pristine when that bundle started.
//
// Only successes come from a shared VM. A bundle whose top level throws,
// runs out of memory or time, or whose description fails is described
// again in a fresh VM (describeFresh), so every error reads exactly as
// before, and the shared VM, in whatever state that left it, is closed.

// describerUses bounds how many bundles one describer describes: what
// each leaves unreachable is collected, but not necessarily all of it
// (cycles through host objects, pending jobs that never ran).
const describerUses = 256

type describer struct {
	w    *warmVM
	uses int
}

// fingerprintJS defines __pb_pristine, which tells whether what a
// bundle's top level is likeliest to change for the next one is as it was
// when the describer was new: the global object's properties (keys and
// values: a global assigned or replaced), the static methods of the
// built-in constructors and JSON, Math and Reflect (a Date.now or
// JSON.stringify replaced), and the keys of the built-in prototypes and of
// our zod and nango objects (a method added). It does not compare every
// value of every prototype: reading a property costs about 0.3 µs in this
// engine, and all of them would make the check cost a third of a
// description. A data property is read directly and an accessor only
// through its descriptor: built-in getters throw on their prototype.
// Values compare with Object.is: the global NaN is not === to itself.
const fingerprintJS = `var __pb_module;
(() => {
  const g = globalThis;
  const opt = (xs) => xs.filter(Boolean);
  // Own keys and their values.
  const valued = opt([g, Object, Function, Array, String, Number, Boolean, Symbol, BigInt, Date, RegExp, Promise, JSON, Math, Reflect,
    g.Buffer, g.URL, g.crypto, g.console]);
  // Own keys only.
  const keyed = opt([Object.prototype, Function.prototype, Array.prototype, String.prototype, Number.prototype, Boolean.prototype,
    Symbol.prototype, BigInt.prototype, Date.prototype, RegExp.prototype, Error.prototype, Promise.prototype, Map.prototype,
    Set.prototype, Uint8Array.prototype, Object.getPrototypeOf(Uint8Array.prototype), g.Buffer && g.Buffer.prototype,
    g.URL && g.URL.prototype, g.__pb_zod, g.__pb_nango]);
  const ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor, is = Object.is;
  // Flat arrays and indexed loops: the check runs after every bundle.
  const objs = [], counts = [], dataObj = [], dataKey = [], dataValue = [], accObj = [], accKey = [], accGet = [], accSet = [];
  for (const o of valued) {
    const keys = ownKeys(o);
    for (const k of keys) {
      if (o === g && k === '__pb_module') continue;
      const d = describe(o, k);
      if ('value' in d) {
        dataObj.push(o); dataKey.push(k); dataValue.push(d.value);
      } else {
        accObj.push(o); accKey.push(k); accGet.push(d.get); accSet.push(d.set);
      }
    }
  }
  for (const o of valued.concat(keyed)) {
    objs.push(o);
    counts.push(ownKeys(o).length + (o === g ? 1 : 0)); // + __pb_pristine
  }
  Object.defineProperty(g, '__pb_pristine', { value: () => {
    for (let i = 0; i < objs.length; i++) if (ownKeys(objs[i]).length !== counts[i]) return false;
    for (let i = 0; i < dataObj.length; i++) if (!is(dataObj[i][dataKey[i]], dataValue[i])) return false;
    for (let i = 0; i < accObj.length; i++) {
      const d = describe(accObj[i], accKey[i]);
      if (!d || d.get !== accGet[i] || d.set !== accSet[i]) return false;
    }
    return true;
  } });
})();
`

// newDescriber makes a VM ready to describe bundles.
func (r *Runtime) newDescriber() (*describer, error) {
	w, err := r.newWarmVM()
	if err != nil {
		return nil, err
	}
	if _, err := w.vm.Eval(fingerprintJS, quickjs.EvalGlobal); err != nil {
		w.vm.Close()
		return nil, fmt.Errorf("describer: %w", err)
	}
	return &describer{w: w}, nil
}

// takeDescriber returns an idle describer or a new one.
func (r *Runtime) takeDescriber() (*describer, error) {
	select {
	case d := <-r.describers:
		return d, nil
	default:
		return r.newDescriber()
	}
}

// putDescriber keeps d for the next bundle, or closes it if enough are
// idle already.
func (r *Runtime) putDescriber(d *describer) {
	// Under the pool's lock, so that Close, which drains describers too,
	// leaves none behind.
	r.pool.mu.Lock()
	defer r.pool.mu.Unlock()
	if r.pool.closed {
		d.w.vm.Close()
		return
	}
	select {
	case r.describers <- d:
	default:
		d.w.vm.Close()
	}
}

// describeShared describes b in a shared VM. ok is false when it could
// not, for whatever reason; Describe then does it in a fresh VM.
func (r *Runtime) describeShared(ctx context.Context, b *Bundle) (*Definition, bool) {
	ctx, cancel := context.WithTimeoutCause(ctx, describeTimeout, errTimeout)
	defer cancel()
	s, err := bounded(ctx, func(g *gate) (string, error) {
		d, err := r.takeDescriber()
		if err != nil {
			return "", err
		}
		s, keep, err := d.describe(ctx, r, b, g)
		// After the result is delivered, on this goroutine: if the
		// execution was abandoned meanwhile, the VM is still this
		// goroutine's to close.
		g.after(func() {
			if keep && g.open() {
				r.putDescriber(d)
			} else {
				d.w.vm.Close()
			}
		})
		return s, err
	})
	if err != nil {
		return nil, false
	}
	def, err := decodeDefinition(s)
	if err != nil {
		return nil, false
	}
	return def, true
}

// describe evaluates b and returns its description; keep says whether the
// VM may describe another bundle.
func (d *describer) describe(ctx context.Context, r *Runtime, b *Bundle, g *gate) (string, bool, error) {
	vm := d.w.vm
	x := attach(ctx, d.w, &Execution{Bundle: b, Host: refusingHost{}, Limits: Limits{Memory: DefaultMemory}}, g)
	defer func() {
		x.stop()
		x.watchdog.close()
		x.cancel()
		for _, p := range x.pagers {
			p.close()
		}
		d.w.x = nil
	}()
	code, err := r.bundleCodeWith(b, func(js string) ([]byte, error) {
		// Compiling needs a VM but not a fresh one: this one will do.
		return vm.Compile(js, quickjs.EvalGlobal)
	})
	if err != nil {
		return "", false, err
	}
	if _, err := vm.EvalBytecode(code); err != nil {
		return "", false, err
	}
	out, err := vm.Call("__pb_describe")
	if err != nil {
		return "", false, err
	}
	s, ok := out.(string)
	if !ok {
		return "", false, fmt.Errorf("describe: unexpected result")
	}
	d.uses++
	pristine, err := vm.Call("__pb_pristine")
	keep := err == nil && pristine == true && d.uses < describerUses && x.inFlight == 0 && ctx.Err() == nil
	if keep {
		_, err := vm.Eval("__pb_module = undefined", quickjs.EvalGlobal)
		keep = err == nil
	}
	return s, keep, nil
}
