package functions

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
)

// Built is one function of a project compiled and described, or what
// stopped it: Err is Compile's error (a *CompileError for faults in the
// code) or Describe's (a *Failure for the definition's), as they return
// them.
type Built struct {
	Ref        Ref
	Bundle     *Bundle
	Definition *Definition
	Err        error
	// Cached says the bundle and definition came from the BuildCache.
	Cached bool
	// Skipped says BuildOptions.Skip asked not to build it.
	Skipped bool
}

// BuildOptions tune BuildAll.
type BuildOptions struct {
	// Cache, when set, is read before compiling a function and written
	// after building one.
	Cache *BuildCache
	// Workers bounds the functions built at once; GOMAXPROCS when zero.
	Workers int
	// Skip, when set, names functions not to build: their Built has
	// only the Ref and Skipped set, in its place in the order.
	Skip func(Ref) bool
}

// BuildAll compiles and describes refs' functions of files, several at a
// time, and hands each result to yield in refs' order, whatever order
// they finish in: the output is the same as building them one by one.
// At most a few results per worker wait for their turn, so memory stays
// bounded however many functions there are. It returns yield's first
// error, after which it builds nothing more, or ctx's.
func (r *Runtime) BuildAll(ctx context.Context, files map[string]string, refs []Ref, opts BuildOptions, yield func(Built) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(refs)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// slots[i] receives refs[i]'s result; window holds a token per result
	// started but not yet yielded.
	slots := make([]chan Built, len(refs))
	for i := range slots {
		slots[i] = make(chan Built, 1)
	}
	window := make(chan struct{}, 4*workers)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if opts.Skip != nil && opts.Skip(refs[i]) {
					slots[i] <- Built{Ref: refs[i], Skipped: true}
					continue
				}
				slots[i] <- r.buildOne(ctx, files, refs[i], opts.Cache)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range refs {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Waiting for the workers on the way out keeps none running past
	// the return, with the caller's runtime or cache.
	defer wg.Wait()
	defer cancel()
	for i := range refs {
		var b Built
		select {
		case b = <-slots[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := yield(b); err != nil {
			return err
		}
		<-window
	}
	return nil
}

// buildOne builds ref, from the cache if it has it.
func (r *Runtime) buildOne(ctx context.Context, files map[string]string, ref Ref, cache *BuildCache) Built {
	out := Built{Ref: ref}
	if cache != nil {
		if b, def, ok := cache.get(files, ref.Entry); ok {
			out.Bundle, out.Definition, out.Cached = b, def, true
			return out
		}
	}
	b, tr, err := compile(Source{Files: files, Entry: ref.Entry})
	if err != nil {
		out.Err = err
		return out
	}
	def, err := r.Describe(ctx, b)
	if err != nil {
		out.Err = err
		return out
	}
	out.Bundle, out.Definition = b, def
	if cache != nil {
		if err := cache.put(ref.Entry, tr, b, def); err != nil {
			// The build stands; only the next one is slower.
			slog.Warn("build cache: could not keep a function's build", "function", ref.QualifiedName(), "err", err)
		}
	}
	return out
}
