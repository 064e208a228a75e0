// Package cache holds read-through caches over store interfaces for the
// lookups every request makes. Entries expire after a short TTL and are
// dropped at once, in every process, when the data changes: writers
// announce changes through store.Notifier.
package cache

import (
	"context"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

// EnvironmentKeysChannel announces secret-key rotations.
const EnvironmentKeysChannel = "patchbay_environment_keys"

// Environments caches secret-key authentication, which every API request
// does. Rotations through it, or announced on EnvironmentKeysChannel by
// any process (`patchbay keys rotate`), clear the cache everywhere; the
// TTL bounds staleness should an announcement be lost.
type Environments struct {
	store.Environments
	notifier store.Notifier
	cache    *ttlCache[store.Environment]
}

// NewEnvironments wraps inner. ttl ≤ 0 means 30 s. There are few
// environments, so the bound (1024 entries) is only met by someone trying
// many keys, and starting over then is fine.
func NewEnvironments(inner store.Environments, n store.Notifier, ttl time.Duration) *Environments {
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	return &Environments{Environments: inner, notifier: n, cache: newTTLCache[store.Environment](n, EnvironmentKeysChannel, ttl, 1024)}
}

// BySecretKey implements store.Environments. Only successful lookups are
// cached, so a key created elsewhere works at once.
func (e *Environments) BySecretKey(ctx context.Context, secretKey string) (*store.Environment, error) {
	h := vault.HashSecret(secretKey)
	if hit, ok := e.cache.get(h); ok {
		return &hit, nil
	}
	env, err := e.Environments.BySecretKey(ctx, secretKey)
	if err != nil {
		return nil, err
	}
	e.cache.put(h, *env)
	return env, nil
}

// RotateSecretKey implements store.Environments and announces the change.
func (e *Environments) RotateSecretKey(ctx context.Context, name, newKey string) error {
	if err := e.Environments.RotateSecretKey(ctx, name, newKey); err != nil {
		return err
	}
	e.Clear()
	return AnnounceKeyRotation(ctx, e.notifier, name)
}

// AnnounceKeyRotation tells every process that an environment's secret key
// changed.
func AnnounceKeyRotation(ctx context.Context, n store.Notifier, environment string) error {
	return n.Notify(ctx, EnvironmentKeysChannel, environment)
}

// Clear drops every entry.
func (e *Environments) Clear() { e.cache.drop("*") }

// Listen clears the cache on every announced rotation until ctx ends.
func (e *Environments) Listen(ctx context.Context) error {
	return e.notifier.Listen(ctx, EnvironmentKeysChannel, func(string) { e.Clear() })
}
