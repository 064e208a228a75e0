package cache

import (
	"context"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// DeploymentsChannel announces changed deployments (the payload is the
// cache key).
const DeploymentsChannel = "patchbay_deployments"

// Deployments caches Get, which every action invocation makes: a bundle is
// tens of kilobytes that would otherwise be read from the database each
// time. Writes through it drop the entries in every process.
type Deployments struct {
	store.Deployments
	cache *ttlCache[*store.Deployment]
}

// NewDeployments wraps inner. ttl ≤ 0 means 10 s.
func NewDeployments(inner store.Deployments, n store.Notifier, ttl time.Duration) *Deployments {
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	return &Deployments{Deployments: inner, cache: newTTLCache[*store.Deployment](n, DeploymentsChannel, ttl, 10_000)}
}

func deployKey(environmentID, integrationKey, typ, name string) string {
	return environmentID + "\x00" + integrationKey + "\x00" + typ + "\x00" + name
}

// Get implements store.Deployments; callers share the cached value and
// must not modify it.
func (c *Deployments) Get(ctx context.Context, environmentID, integrationKey, typ, name string) (*store.Deployment, error) {
	key := deployKey(environmentID, integrationKey, typ, name)
	if hit, ok := c.cache.get(key); ok {
		return hit, nil
	}
	d, err := c.Deployments.Get(ctx, environmentID, integrationKey, typ, name)
	if err != nil {
		return nil, err
	}
	c.cache.put(key, d)
	return d, nil
}

// Put implements store.Deployments.
func (c *Deployments) Put(ctx context.Context, deployments []*store.Deployment) error {
	err := c.Deployments.Put(ctx, deployments)
	for _, d := range deployments {
		_ = c.cache.announce(ctx, deployKey(d.EnvironmentID, d.IntegrationKey, d.Type, d.Name))
	}
	return err
}

// Delete implements store.Deployments.
func (c *Deployments) Delete(ctx context.Context, environmentID, integrationKey, typ, name string) error {
	err := c.Deployments.Delete(ctx, environmentID, integrationKey, typ, name)
	_ = c.cache.announce(ctx, deployKey(environmentID, integrationKey, typ, name))
	return err
}

// Listen applies other processes' announcements until ctx ends.
func (c *Deployments) Listen(ctx context.Context) error {
	return c.cache.listen(ctx, func(key string) bool { return strings.Count(key, "\x00") == 3 })
}
