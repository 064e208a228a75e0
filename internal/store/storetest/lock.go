package storetest

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// lockKey is unique per call: PostgreSQL's advisory locks are shared by
// every schema of the database, so parallel tests must not reuse keys.
func lockKey() string { return "refresh:" + uuid.NewString() }

// mustLock takes key within a few seconds or fails t.
func mustLock(t *testing.T, l store.Locker, key string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	unlock, err := l.Lock(ctx, key)
	if err != nil {
		t.Fatalf("Lock(%s): %v", key, err)
	}
	return unlock
}

// lockTimesOut checks that key cannot be taken while someone else holds it.
func lockTimesOut(t *testing.T, l store.Locker, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	unlock, err := l.Lock(ctx, key)
	if err == nil {
		unlock()
		t.Fatalf("Lock(%s) succeeded while the lock was held", key)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock(%s) error = %v, want context.DeadlineExceeded", key, err)
	}
}

// exclusive has workers take key from the lockers in turn and update a
// plain counter inside the lock; the race detector and the count catch any
// overlap.
func exclusive(t *testing.T, key string, lockers ...store.Locker) {
	t.Helper()
	const workers = 20
	var counter int
	var inside atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Go(func() {
			unlock, err := lockers[i%len(lockers)].Lock(t.Context(), key)
			if err != nil {
				errs[i] = err
				return
			}
			if inside.Add(1) != 1 {
				errs[i] = errors.New("two holders at once")
			}
			c := counter
			runtime.Gosched()
			counter = c + 1
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if counter != workers {
		t.Fatalf("counter = %d after %d locked increments", counter, workers)
	}
}

func testLocker(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("MutualExclusion", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		exclusive(t, lockKey(), b.store.Locker())
	})
	t.Run("KeysAreIndependent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		l := b.store.Locker()
		a, other := lockKey(), lockKey()
		unlockA := mustLock(t, l, a)
		defer unlockA()
		mustLock(t, l, other)()
		lockTimesOut(t, l, a)
	})
	t.Run("CancelWhileWaiting", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		l := b.store.Locker()
		key := lockKey()
		unlock := mustLock(t, l, key)
		lockTimesOut(t, l, key)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := l.Lock(ctx, key); !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock with a cancelled context: error = %v, want context.Canceled", err)
		}
		unlock()
		// The abandoned waits left nothing behind.
		mustLock(t, l, key)()
		exclusive(t, key, l)
	})
	t.Run("WorkUnderManyLocksCanUseTheStore", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		// More locks at once than any connection pool here has connections:
		// holding them must not starve the work done under them.
		const n = 64
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				unlock, err := b.store.Locker().Lock(ctx, lockKey())
				if err != nil {
					errs[i] = err
					return
				}
				defer unlock()
				_, errs[i] = b.store.Connections().List(ctx, store.ConnectionFilter{EnvironmentID: dev.ID})
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("AcrossStores", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		if b.store.Dialect() == "sqlite" {
			t.Skip("one process owns an SQLite database; the in-process lock is the whole lock")
		}
		other, err := b.db.Open(t, b.vault)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		l1, l2 := b.store.Locker(), other.Locker()
		key := lockKey()

		unlock := mustLock(t, l1, key)
		lockTimesOut(t, l2, key)
		unlock()
		unlock = mustLock(t, l2, key)
		lockTimesOut(t, l1, key)
		unlock()
		// The cancelled waits above released their sessions' claims.
		mustLock(t, l1, key)()
		mustLock(t, l2, key)()
		exclusive(t, key, l1, l2)
	})
}
