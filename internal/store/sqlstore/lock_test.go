package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestProcessLockerForgetsUnusedKeys(t *testing.T) {
	t.Parallel()
	l := NewProcessLocker()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			unlock, err := l.Lock(t.Context(), fmt.Sprint("key-", i%5))
			if err != nil {
				t.Error(err)
				return
			}
			unlock()
			unlock() // a second call is a no-op, not a second release
		})
	}
	wg.Wait()

	unlock, err := l.Lock(t.Context(), "held")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(ctx, "held"); err == nil {
		t.Fatal("a second Lock of a held key succeeded")
	}
	if n := l.size(); n != 1 {
		t.Fatalf("%d keys tracked while one is held, want 1", n)
	}
	unlock()
	if n := l.size(); n != 0 {
		t.Fatalf("%d keys still tracked after every lock was released, want 0", n)
	}
}

// size is the number of keys held or waited for.
func (l *ProcessLocker) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.locks)
}
