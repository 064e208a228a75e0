package sim

import "sync"

// Lazy holds values made on first use, by key — a provider's sites or
// accounts, generated from the seed — until Forget or Reset drops them, so
// that only what a test touches is ever generated. It is safe for
// concurrent use; create runs under its lock, so each value is made
// once.
type Lazy[T any] struct {
	create func(key string) *T

	mu     sync.Mutex
	values map[string]*T
}

// NewLazy returns an empty Lazy that makes missing values with create.
func NewLazy[T any](create func(key string) *T) *Lazy[T] {
	return &Lazy[T]{create: create, values: map[string]*T{}}
}

// Get returns the value of key, making it on first use.
func (l *Lazy[T]) Get(key string) *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v := l.values[key]; v != nil {
		return v
	}
	v := l.create(key)
	l.values[key] = v
	return v
}

// Forget drops key's value; the next Get makes it again.
func (l *Lazy[T]) Forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.values, key)
}

// Reset drops every value.
func (l *Lazy[T]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.values = map[string]*T{}
}
