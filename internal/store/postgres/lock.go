package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchbay/patchbay/internal/store/sqlstore"
)

// unlockTimeout bounds the clean-up after a lock, which runs whether or not
// the caller's context is still alive.
const unlockTimeout = 10 * time.Second

// advisoryLocker is the store.Locker of PostgreSQL: a session-level
// advisory lock, held on a connection taken from the pool for as long as
// the lock is. Goroutines of this process first queue on an in-process
// lock, so only one connection per key waits in the server at a time.
type advisoryLocker struct {
	pool         *pgxpool.Pool
	local        *sqlstore.ProcessLocker
	lock, unlock string
	// slots caps the pool connections that locks hold at once. The work
	// done under a lock needs connections of its own; without a cap, as
	// many locks as the pool has connections would leave that work none,
	// and every holder would wait for the others forever. (So a goroutine
	// must not hold more locks at once than there are slots.)
	slots chan struct{}
}

func newAdvisoryLocker(pool *pgxpool.Pool, queries map[string]string) (*advisoryLocker, error) {
	l := &advisoryLocker{
		pool: pool, local: sqlstore.NewProcessLocker(),
		lock: queries["AdvisoryLock"], unlock: queries["AdvisoryUnlock"],
		slots: make(chan struct{}, max(1, pool.Config().MaxConns/2)),
	}
	if l.lock == "" || l.unlock == "" {
		return nil, fmt.Errorf("queries.sql: AdvisoryLock and AdvisoryUnlock are required")
	}
	return l, nil
}

// advisoryKey maps a lock name to PostgreSQL's 64-bit lock space. The
// prefix keeps Patchbay's keys apart from other users of the database.
func advisoryKey(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte("patchbay:" + key))
	return int64(h.Sum64())
}

// Lock implements store.Locker.
func (l *advisoryLocker) Lock(ctx context.Context, key string) (func(), error) {
	unlockLocal, err := l.local.Lock(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", key, err)
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		unlockLocal()
		return nil, fmt.Errorf("lock %q: %w", key, ctx.Err())
	}
	release := func() {
		<-l.slots
		unlockLocal()
	}
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		release()
		return nil, fmt.Errorf("lock %q: %w", key, err)
	}
	id := advisoryKey(key)
	if _, err := conn.Exec(ctx, l.lock, id); err != nil {
		// The server may have granted the lock just as ctx ended or the
		// connection failed; only ending the session surely releases it.
		destroy(conn)
		release()
		return nil, fmt.Errorf("lock %q: %w", key, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var released bool
			if err := conn.QueryRow(ctx, l.unlock, id).Scan(&released); err != nil || !released {
				// Whatever the session holds now, it must not go back to
				// the pool still holding the lock.
				destroy(conn)
			} else {
				conn.Release()
			}
			release()
		})
	}, nil
}

// destroy takes conn out of the pool and closes it, which ends its session
// and with it every advisory lock the session holds.
func destroy(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	_ = conn.Hijack().Close(ctx)
}
