package functions

import (
	"context"
	"fmt"
	"sync"
)

// Limiter caps concurrent executions per connection, per environment and
// overall. A caller waits for a slot at each level in that order, so a
// tenant flooding one connection queues behind its own connection's slots
// and can hold at most PerEnvironment of the global ones: other tenants
// keep the rest.
type Limiter struct {
	perConnection  int
	perEnvironment int
	global         chan struct{}

	mu    sync.Mutex
	conns map[string]*slots
	envs  map[string]*slots
}

// slots is a counting semaphore shared by the callers of one key; users
// counts them so idle keys are forgotten.
type slots struct {
	ch    chan struct{}
	users int
}

// NewLimiter returns a limiter; a cap ≤ 0 gets its default (connection 8,
// environment 64, global 256).
func NewLimiter(perConnection, perEnvironment, global int) *Limiter {
	if perConnection <= 0 {
		perConnection = 8
	}
	if perEnvironment <= 0 {
		perEnvironment = 64
	}
	if global <= 0 {
		global = 256
	}
	return &Limiter{
		perConnection:  perConnection,
		perEnvironment: perEnvironment,
		global:         make(chan struct{}, global),
		conns:          map[string]*slots{},
		envs:           map[string]*slots{},
	}
}

// Acquire waits for a slot for one execution on connection (any string
// unique to it) of environment, and returns the function that frees it.
// perConnection > 0 replaces the connection cap (an integration's
// setting; it applies from when the connection has no execution running).
// It fails only when ctx ends first.
func (l *Limiter) Acquire(ctx context.Context, environment, connection string, perConnection int) (release func(), err error) {
	if perConnection <= 0 {
		perConnection = l.perConnection
	}
	conn := l.join(l.conns, environment+"\x00"+connection, perConnection)
	env := l.join(l.envs, environment, l.perEnvironment)
	leave := func() {
		l.leave(l.conns, environment+"\x00"+connection, conn)
		l.leave(l.envs, environment, env)
	}
	held := make([]chan struct{}, 0, 3)
	free := func() {
		for _, ch := range held {
			<-ch
		}
		leave()
	}
	for _, ch := range []chan struct{}{conn.ch, env.ch, l.global} {
		select {
		case ch <- struct{}{}:
			held = append(held, ch)
		case <-ctx.Done():
			free()
			return nil, fmt.Errorf("waiting for an execution slot: %w", context.Cause(ctx))
		}
	}
	var once sync.Once
	return func() { once.Do(free) }, nil
}

func (l *Limiter) join(m map[string]*slots, key string, n int) *slots {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := m[key]
	if !ok {
		s = &slots{ch: make(chan struct{}, n)}
		m[key] = s
	}
	s.users++
	return s
}

func (l *Limiter) leave(m map[string]*slots, key string, s *slots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.users--
	if s.users == 0 {
		delete(m, key)
	}
}
