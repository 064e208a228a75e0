package cache

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// IntegrationsChannel announces changed integrations (the payload is the
// cache key).
const IntegrationsChannel = "patchbay_integrations"

// Integrations caches Get, which every proxied call makes (settings,
// OAuth 1.0a consumer keys). Writes through it drop the entry in every
// process.
type Integrations struct {
	store.Integrations
	notifier store.Notifier
	ttl      time.Duration
	now      func() time.Time

	mu      sync.RWMutex
	entries map[string]integEntry
}

type integEntry struct {
	in      *store.Integration
	expires time.Time
}

// NewIntegrations wraps inner. ttl ≤ 0 means 10 s.
func NewIntegrations(inner store.Integrations, n store.Notifier, ttl time.Duration) *Integrations {
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	return &Integrations{Integrations: inner, notifier: n, ttl: ttl, now: time.Now, entries: map[string]integEntry{}}
}

func integKey(environmentID, uniqueKey string) string { return environmentID + "\x00" + uniqueKey }

// Get implements store.Integrations; callers get their own copy of the
// struct (its slices are shared and read-only).
func (c *Integrations) Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error) {
	key := integKey(environmentID, uniqueKey)
	now := c.now()
	c.mu.RLock()
	hit, ok := c.entries[key]
	c.mu.RUnlock()
	if ok && now.Before(hit.expires) {
		cp := *hit.in
		return &cp, nil
	}
	in, err := c.Integrations.Get(ctx, environmentID, uniqueKey)
	if err != nil {
		return nil, err
	}
	stored := *in
	c.mu.Lock()
	if len(c.entries) >= 10_000 {
		clear(c.entries)
	}
	c.entries[key] = integEntry{in: &stored, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return in, nil
}

// Update implements store.Integrations; a rename drops the old key too.
func (c *Integrations) Update(ctx context.Context, environmentID, uniqueKey string, change func(*store.Integration) error) (*store.Integration, error) {
	in, err := c.Integrations.Update(ctx, environmentID, uniqueKey, change)
	c.announce(ctx, integKey(environmentID, uniqueKey))
	if err == nil && in.UniqueKey != uniqueKey {
		c.announce(ctx, integKey(environmentID, in.UniqueKey))
	}
	return in, err
}

// Delete implements store.Integrations.
func (c *Integrations) Delete(ctx context.Context, environmentID, uniqueKey string) error {
	err := c.Integrations.Delete(ctx, environmentID, uniqueKey)
	c.announce(ctx, integKey(environmentID, uniqueKey))
	return err
}

func (c *Integrations) announce(ctx context.Context, key string) {
	c.drop(key)
	_ = c.notifier.Notify(context.WithoutCancel(ctx), IntegrationsChannel, key) // the TTL covers a loss
}

func (c *Integrations) drop(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// Listen applies other processes' announcements until ctx ends.
func (c *Integrations) Listen(ctx context.Context) error {
	return c.notifier.Listen(ctx, IntegrationsChannel, func(key string) {
		if strings.Count(key, "\x00") == 1 {
			c.drop(key)
		}
	})
}
