package cache

import (
	"context"
	"strings"
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
	cache *ttlCache[*store.Integration]
}

// NewIntegrations wraps inner. ttl ≤ 0 means 10 s.
func NewIntegrations(inner store.Integrations, n store.Notifier, ttl time.Duration) *Integrations {
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	return &Integrations{Integrations: inner, cache: newTTLCache[*store.Integration](n, IntegrationsChannel, ttl, 10_000)}
}

func integKey(environmentID, uniqueKey string) string { return environmentID + "\x00" + uniqueKey }

// Get implements store.Integrations; callers get their own copy of the
// struct (its slices are shared and read-only).
func (c *Integrations) Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error) {
	key := integKey(environmentID, uniqueKey)
	if hit, ok := c.cache.get(key); ok {
		cp := *hit
		return &cp, nil
	}
	in, err := c.Integrations.Get(ctx, environmentID, uniqueKey)
	if err != nil {
		return nil, err
	}
	stored := *in
	c.cache.put(key, &stored)
	return in, nil
}

// Update implements store.Integrations; a rename drops the old key too.
func (c *Integrations) Update(ctx context.Context, environmentID, uniqueKey string, change func(*store.Integration) error) (*store.Integration, error) {
	in, err := c.Integrations.Update(ctx, environmentID, uniqueKey, change)
	_ = c.cache.announce(ctx, integKey(environmentID, uniqueKey))
	if err == nil && in.UniqueKey != uniqueKey {
		_ = c.cache.announce(ctx, integKey(environmentID, in.UniqueKey))
	}
	return in, err
}

// Delete implements store.Integrations.
func (c *Integrations) Delete(ctx context.Context, environmentID, uniqueKey string) error {
	err := c.Integrations.Delete(ctx, environmentID, uniqueKey)
	_ = c.cache.announce(ctx, integKey(environmentID, uniqueKey))
	return err
}

// Listen applies other processes' announcements until ctx ends.
func (c *Integrations) Listen(ctx context.Context) error {
	return c.cache.listen(ctx, func(key string) bool { return strings.Count(key, "\x00") == 1 })
}
