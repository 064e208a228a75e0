package sim

import (
	"maps"
	"net/http"
	"sync"
)

// Registry is a provider's set of credentials — API keys, accounts,
// consumers — keyed by what a request presents. Control endpoints add and
// remove entries, and Reset restores the defaults it was made with. It is
// safe for concurrent use.
type Registry[V any] struct {
	defaults map[string]V

	mu      sync.Mutex
	entries map[string]V
}

// NewRegistry returns a registry holding defaults (nil: none).
func NewRegistry[V any](defaults map[string]V) *Registry[V] {
	r := &Registry[V]{defaults: maps.Clone(defaults)}
	r.Reset()
	return r
}

// Get returns the entry under key.
func (r *Registry[V]) Get(key string) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.entries[key]
	return v, ok
}

// Put adds the entry under key, or replaces the one there.
func (r *Registry[V]) Put(key string, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries[key] = v
}

// Remove deletes the entry under key and reports whether there was one.
func (r *Registry[V]) Remove(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.entries[key]
	delete(r.entries, key)
	return ok
}

// Reset restores the defaults, forgetting what was added or removed since.
func (r *Registry[V]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = make(map[string]V, len(r.defaults))
	maps.Copy(r.entries, r.defaults)
}

// ControlRemoved answers a control request that deleted something: 204
// when it was there, 404 {"error": "no such <what>"} when it was not.
func ControlRemoved(w http.ResponseWriter, removed bool, what string) {
	if !removed {
		WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no such " + what})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
