package sqlstore

import (
	"context"
	"sync"
)

// ProcessLocker is a store.Locker whose locks hold within one process. It is
// the whole Locker where one process owns the database (SQLite) and the
// first stage of a cross-process one, so that goroutines of one process
// queue here rather than each tying up a database connection to wait.
type ProcessLocker struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

// keyLock is one key's lock. Holding the channel's single slot holds the
// lock; unlike a sync.Mutex, a send can be abandoned when ctx ends.
type keyLock struct {
	held chan struct{}
	// refs counts holders and waiters; the entry is dropped at zero, so the
	// map holds only keys in use rather than every key ever locked.
	refs int
}

// NewProcessLocker returns a ProcessLocker with no locks held.
func NewProcessLocker() *ProcessLocker {
	return &ProcessLocker{locks: map[string]*keyLock{}}
}

// Lock implements store.Locker.
func (l *ProcessLocker) Lock(ctx context.Context, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	k := l.locks[key]
	if k == nil {
		k = &keyLock{held: make(chan struct{}, 1)}
		l.locks[key] = k
	}
	k.refs++
	l.mu.Unlock()

	select {
	case k.held <- struct{}{}:
		var once sync.Once
		return func() {
			once.Do(func() {
				<-k.held
				l.release(key, k)
			})
		}, nil
	case <-ctx.Done():
		l.release(key, k)
		return nil, ctx.Err()
	}
}

func (l *ProcessLocker) release(key string, k *keyLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k.refs--; k.refs == 0 {
		delete(l.locks, key)
	}
}
