package cache

import (
	"context"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// ttlCache is the machinery the caches share: entries that expire, and
// drops announced to every process on a notifier channel. The key "*"
// drops everything.
type ttlCache[V any] struct {
	notifier store.Notifier
	channel  string
	ttl      time.Duration
	max      int // entries; reaching it starts over, which only costs reads
	now      func() time.Time

	mu      sync.RWMutex
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[V any](n store.Notifier, channel string, ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{notifier: n, channel: channel, ttl: ttl, max: max, now: time.Now, entries: map[string]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(key string) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) put(key string, v V) {
	c.mu.Lock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = ttlEntry[V]{v: v, expires: c.now().Add(c.ttl)}
	c.mu.Unlock()
}

func (c *ttlCache[V]) drop(key string) {
	c.mu.Lock()
	if key == "*" {
		clear(c.entries)
	} else {
		delete(c.entries, key)
	}
	c.mu.Unlock()
}

// announce drops key here and in every other process. Best effort: the
// TTL covers a lost announcement.
func (c *ttlCache[V]) announce(ctx context.Context, key string) error {
	c.drop(key)
	return c.notifier.Notify(context.WithoutCancel(ctx), c.channel, key)
}

// listen applies other processes' announcements until ctx ends; keys that
// fail valid are ignored.
func (c *ttlCache[V]) listen(ctx context.Context, valid func(key string) bool) error {
	return c.notifier.Listen(ctx, c.channel, func(key string) {
		if key == "*" || valid(key) {
			c.drop(key)
		}
	})
}
