package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlstore"
)

// fakeEnvironments counts lookups and answers from a key → name map.
type fakeEnvironments struct {
	store.Environments
	keys    map[string]string
	lookups atomic.Int32
}

func (f *fakeEnvironments) BySecretKey(_ context.Context, key string) (*store.Environment, error) {
	f.lookups.Add(1)
	if name, ok := f.keys[key]; ok {
		return &store.Environment{ID: "id-" + name, Name: name}, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeEnvironments) RotateSecretKey(_ context.Context, name, newKey string) error {
	for k, n := range f.keys {
		if n == name {
			delete(f.keys, k)
		}
	}
	f.keys[newKey] = name
	return nil
}

func TestEnvironments(t *testing.T) {
	ctx := context.Background()
	inner := &fakeEnvironments{keys: map[string]string{"k1": "dev"}}
	notifier := sqlstore.NewProcessNotifier()
	c := NewEnvironments(inner, notifier, time.Minute)
	now := time.Unix(1000, 0)
	c.cache.now = func() time.Time { return now }

	for range 3 {
		env, err := c.BySecretKey(ctx, "k1")
		if err != nil || env.Name != "dev" {
			t.Fatalf("BySecretKey = %v, %v", env, err)
		}
		env.Name = "mutated" // callers cannot corrupt the cache
	}
	if n := inner.lookups.Load(); n != 1 {
		t.Errorf("%d lookups for three requests, want 1", n)
	}
	// Unknown keys are not cached: a key created elsewhere works at once.
	for range 2 {
		if _, err := c.BySecretKey(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown key: %v", err)
		}
	}
	if n := inner.lookups.Load(); n != 3 {
		t.Errorf("%d lookups, want 3", n)
	}
	// The TTL bounds staleness.
	now = now.Add(2 * time.Minute)
	c.BySecretKey(ctx, "k1")
	if n := inner.lookups.Load(); n != 4 {
		t.Errorf("after the TTL: %d lookups, want 4", n)
	}

	// A rotation announced by another process clears the cache.
	listenCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.Listen(listenCtx) //nolint:errcheck // ends with ctx
	inner.keys = map[string]string{"k2": "dev"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := AnnounceKeyRotation(ctx, notifier, "dev"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.BySecretKey(ctx, "k1"); errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old key still works after an announced rotation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Rotating through the cache works at once.
	if _, err := c.BySecretKey(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if err := c.RotateSecretKey(ctx, "dev", "k3"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BySecretKey(ctx, "k2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old key after rotation: %v", err)
	}
}
