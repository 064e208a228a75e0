package functions

import (
	"reflect"
	"unsafe"

	lib "modernc.org/libquickjs"
	"modernc.org/quickjs"
)

// The quickjs package exposes no handle on the engine's own structures,
// and two settings this package needs are only there: the countdown to
// the engine's next interrupt check (see deadline.go) and what compiled
// bytecode keeps (see compileBytecode). jsContext reaches them through the
// VM's unexported context pointer. If a version of the package no longer
// has it, jsContext returns nil and both are done without, at a cost in
// time, not in correctness; the tests of this package fail first
// (TestWatchdogStopsEngine, TestPreludeStripped).

// jsContext returns vm's JSContext, nil if it cannot be found.
func jsContext(vm *quickjs.VM) *lib.TJSContext {
	f := reflect.ValueOf(vm).Elem().FieldByName("cContext")
	if !f.IsValid() || f.Kind() != reflect.Uintptr || f.Uint() == 0 {
		return nil
	}
	// The context is C memory (modernc's libc allocator), which the Go
	// garbage collector neither moves nor frees; it lives until the VM
	// closes.
	p := uintptr(f.Uint())
	return (*lib.TJSContext)(*(*unsafe.Pointer)(unsafe.Pointer(&p)))
}

// interruptCounter returns where vm's engine counts down to its next
// interrupt check, nil if it cannot be found.
func interruptCounter(vm *quickjs.VM) *int32 {
	c := jsContext(vm)
	if c == nil {
		return nil
	}
	return &c.Finterrupt_counter
}

// stripDebugInfo makes what vm compiles from now on keep neither its
// source text (Function.prototype.toString shows none) nor its debug
// information (backtraces show no line numbers). It reports whether it
// could.
func stripDebugInfo(vm *quickjs.VM) bool {
	c := jsContext(vm)
	if c == nil || c.Frt == 0 {
		return false
	}
	// JS_SetStripInfo only sets a field of the runtime: it needs no TLS.
	lib.XJS_SetStripInfo(nil, c.Frt, lib.MJS_STRIP_SOURCE|lib.MJS_STRIP_DEBUG)
	return true
}
