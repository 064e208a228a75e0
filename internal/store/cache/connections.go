package cache

import (
	"context"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// ConnectionsChannel announces changed connections (the payload is the
// cache key, or "*" for all).
const ConnectionsChannel = "patchbay_connections"

// ConnectionStore is the store's connections as the cache uses them: the
// calls its own users make (auth's, connect's, actions', syncs' views of
// connections), and no others. store.Connections has them.
type ConnectionStore interface {
	Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error)
	ByID(ctx context.Context, id string) (*store.Connection, error)
	List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error)
	Upsert(ctx context.Context, c *store.Connection) (created bool, err error)
	Update(ctx context.Context, id string, change func(*store.Connection) error) (*store.Connection, error)
	Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error
	Expiring(ctx context.Context, before time.Time, after store.ExpiringKey, limit int) ([]store.ExpiringKey, error)
}

// Connections caches Get, the lookup of every proxied call. Writes through
// it drop the entry here and, through the notifier, in every other
// process. ByID is never cached: the refresh path rereads under its lock
// and must see the latest row. It offers only ConnectionStore's calls, each
// written out, so no write can reach the store past the invalidation.
type Connections struct {
	inner ConnectionStore
	cache *ttlCache[*store.Connection]
}

// NewConnections wraps inner. ttl ≤ 0 means 5 s, which bounds staleness
// should an announcement be lost.
func NewConnections(inner ConnectionStore, n store.Notifier, ttl time.Duration) *Connections {
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	return &Connections{inner: inner, cache: newTTLCache[*store.Connection](n, ConnectionsChannel, ttl, 100_000)}
}

func connKey(environmentID, integrationKey, connectionID string) string {
	return environmentID + "\x00" + integrationKey + "\x00" + connectionID
}

// Get finds a connection, in the cache when it is there. Callers get their
// own copy of the top-level struct; nested maps are shared and must be
// treated as read-only.
func (c *Connections) Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error) {
	key := connKey(environmentID, integrationKey, connectionID)
	if hit, ok := c.cache.get(key); ok {
		cp := *hit
		return &cp, nil
	}
	conn, err := c.inner.Get(ctx, environmentID, integrationKey, connectionID)
	if err != nil {
		return nil, err
	}
	stored := *conn
	c.cache.put(key, &stored)
	return conn, nil
}

// Upsert saves through the store, then drops the entry in every process.
func (c *Connections) Upsert(ctx context.Context, conn *store.Connection) (bool, error) {
	created, err := c.inner.Upsert(ctx, conn)
	if err == nil {
		c.changed(ctx, conn)
	}
	return created, err
}

// Update changes the row through the store, then drops the entry in every
// process.
func (c *Connections) Update(ctx context.Context, id string, change func(*store.Connection) error) (*store.Connection, error) {
	updated, err := c.inner.Update(ctx, id, change)
	if err == nil {
		c.changed(ctx, updated)
	}
	return updated, err
}

// Delete removes the row, and the entry in every process.
func (c *Connections) Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error {
	err := c.inner.Delete(ctx, environmentID, integrationKey, connectionID)
	_ = c.cache.announce(ctx, connKey(environmentID, integrationKey, connectionID))
	return err
}

// changed drops conn's entry everywhere. Upsert's argument may lack the
// integration key (it carries the integration id), so then everything is
// dropped: re-authorisations are rare next to reads.
func (c *Connections) changed(ctx context.Context, conn *store.Connection) {
	key := "*"
	if conn.IntegrationKey != "" {
		key = connKey(conn.EnvironmentID, conn.IntegrationKey, conn.ConnectionID)
	}
	_ = c.cache.announce(ctx, key)
}

// ByID reads the row, never from the cache (see Connections).
func (c *Connections) ByID(ctx context.Context, id string) (*store.Connection, error) {
	return c.inner.ByID(ctx, id)
}

// List is store.Connections' call, uncached: lists are not looked up by
// key.
func (c *Connections) List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error) {
	return c.inner.List(ctx, f)
}

// Expiring is store.Connections' call, uncached (the refresher's scan).
func (c *Connections) Expiring(ctx context.Context, before time.Time, after store.ExpiringKey, limit int) ([]store.ExpiringKey, error) {
	return c.inner.Expiring(ctx, before, after, limit)
}

// Listen applies other processes' announcements until ctx ends.
func (c *Connections) Listen(ctx context.Context) error {
	return c.cache.listen(ctx, func(key string) bool { return strings.Count(key, "\x00") == 2 })
}
