package functions

import (
	"context"
	"log/slog"
	"runtime"

	"github.com/patchbay/patchbay/internal/inorder"
)

// Built is one function of a project compiled and described, or what
// stopped it: Err is Compile's error (a *CompileError for faults in the
// code) or Describe's (a *Failure for the definition's), as they return
// them.
type Built struct {
	// Ref is the function built: the Ref given, with the Type its
	// definition says when it was described (what the file exports
	// decides, whatever Discover read from the text).
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
	return inorder.Run(ctx, workers, refs, func(ctx context.Context, ref Ref) Built {
		if opts.Skip != nil && opts.Skip(ref) {
			return Built{Ref: ref, Skipped: true}
		}
		b := r.buildOne(ctx, files, ref, opts.Cache)
		if b.Definition != nil && b.Definition.Type != "" {
			b.Ref.Type = b.Definition.Type
		}
		return b
	}, yield)
}

// Build builds one function as BuildAll does: from cache, when set and
// it has the function, else compiled, described and kept in cache.
func (r *Runtime) Build(ctx context.Context, files map[string]string, ref Ref, cache *BuildCache) Built {
	return r.buildOne(ctx, files, ref, cache)
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
