// Package cache holds read-through caches over store interfaces for the
// lookups every request makes. Entries expire after a short TTL and are
// dropped at once, in every process, when the data changes: writers
// announce changes through store.Notifier.
package cache

import (
	"context"
	"sync"
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
	ttl      time.Duration
	now      func() time.Time

	mu     sync.RWMutex
	byHash map[string]entry
}

type entry struct {
	env     store.Environment
	expires time.Time
}

// maxEntries bounds the cache; there are few environments, so hitting it
// means someone is trying many keys, and starting over is fine.
const maxEntries = 1024

// NewEnvironments wraps inner. ttl ≤ 0 means 30 s.
func NewEnvironments(inner store.Environments, n store.Notifier, ttl time.Duration) *Environments {
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	return &Environments{Environments: inner, notifier: n, ttl: ttl, now: time.Now, byHash: map[string]entry{}}
}

// BySecretKey implements store.Environments. Only successful lookups are
// cached, so a key created elsewhere works at once.
func (e *Environments) BySecretKey(ctx context.Context, secretKey string) (*store.Environment, error) {
	h := vault.HashSecret(secretKey)
	now := e.now()
	e.mu.RLock()
	hit, ok := e.byHash[h]
	e.mu.RUnlock()
	if ok && now.Before(hit.expires) {
		env := hit.env
		return &env, nil
	}
	env, err := e.Environments.BySecretKey(ctx, secretKey)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.byHash) >= maxEntries {
		clear(e.byHash)
	}
	e.byHash[h] = entry{env: *env, expires: now.Add(e.ttl)}
	e.mu.Unlock()
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
func (e *Environments) Clear() {
	e.mu.Lock()
	clear(e.byHash)
	e.mu.Unlock()
}

// Listen clears the cache on every announced rotation until ctx ends.
func (e *Environments) Listen(ctx context.Context) error {
	return e.notifier.Listen(ctx, EnvironmentKeysChannel, func(string) { e.Clear() })
}
