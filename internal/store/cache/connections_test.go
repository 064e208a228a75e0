package cache

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlstore"
)

type fakeConnections struct {
	store.Connections
	token atomic.Value
	gets  atomic.Int32
}

func (f *fakeConnections) Get(_ context.Context, env, key, id string) (*store.Connection, error) {
	f.gets.Add(1)
	return &store.Connection{ID: "row-1", EnvironmentID: env, IntegrationKey: key, ConnectionID: id,
		Credentials: store.Credentials{Type: "OAUTH2", AccessToken: f.token.Load().(string)}}, nil
}

func (f *fakeConnections) Update(_ context.Context, id string, change func(*store.Connection) error) (*store.Connection, error) {
	c := &store.Connection{ID: id, EnvironmentID: "env", IntegrationKey: "github", ConnectionID: "c1"}
	if err := change(c); err != nil {
		return nil, err
	}
	f.token.Store(c.Credentials.AccessToken)
	return c, nil
}

func (f *fakeConnections) Delete(context.Context, string, string, string) error { return nil }

func TestConnections(t *testing.T) {
	ctx := context.Background()
	inner := &fakeConnections{}
	inner.token.Store("t1")
	notifier := sqlstore.NewProcessNotifier()
	a := NewConnections(inner, notifier, time.Minute) // this process
	b := NewConnections(inner, notifier, time.Minute) // "another node"
	listenCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.Listen(listenCtx) //nolint:errcheck // ends with ctx

	get := func(c *Connections) string {
		conn, err := c.Get(ctx, "env", "github", "c1")
		if err != nil {
			t.Fatal(err)
		}
		return conn.Credentials.AccessToken
	}
	for range 3 {
		if got := get(a); got != "t1" {
			t.Fatalf("token %q", got)
		}
	}
	if n := inner.gets.Load(); n != 1 {
		t.Errorf("%d reads for three gets, want 1", n)
	}
	get(b)

	// A refresh through a drops a's entry at once and b's through the
	// notifier.
	if _, err := a.Update(ctx, "row-1", func(c *store.Connection) error { c.Credentials.AccessToken = "t2"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := get(a); got != "t2" {
		t.Errorf("after update: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for get(b) != "t2" {
		if time.Now().After(deadline) {
			t.Fatal("the other process kept the old token")
		}
		// b's listener may not have attached before the announcement;
		// announce again as a later write would.
		a.cache.announce(ctx, connKey("env", "github", "c1"))
		time.Sleep(5 * time.Millisecond)
	}

	// TTL.
	now := time.Now().Add(2 * time.Minute)
	a.cache.now = func() time.Time { return now }
	before := inner.gets.Load()
	get(a)
	if inner.gets.Load() != before+1 {
		t.Error("an expired entry was served")
	}
}

type fakeIntegrations struct {
	store.Integrations
	name atomic.Value
	gets atomic.Int32
}

func (f *fakeIntegrations) Get(_ context.Context, env, key string) (*store.Integration, error) {
	f.gets.Add(1)
	return &store.Integration{EnvironmentID: env, UniqueKey: key, DisplayName: f.name.Load().(string)}, nil
}

func (f *fakeIntegrations) Update(_ context.Context, env, key string, change func(*store.Integration) error) (*store.Integration, error) {
	in := &store.Integration{EnvironmentID: env, UniqueKey: key}
	if err := change(in); err != nil {
		return nil, err
	}
	f.name.Store(in.DisplayName)
	return in, nil
}

func TestIntegrations(t *testing.T) {
	ctx := context.Background()
	inner := &fakeIntegrations{}
	inner.name.Store("one")
	notifier := sqlstore.NewProcessNotifier()
	a := NewIntegrations(inner, notifier, time.Minute)
	b := NewIntegrations(inner, notifier, time.Minute)
	listenCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.Listen(listenCtx) //nolint:errcheck // ends with ctx
	name := func(c *Integrations) string {
		in, err := c.Get(ctx, "env", "github")
		if err != nil {
			t.Fatal(err)
		}
		return in.DisplayName
	}
	for range 3 {
		name(a)
	}
	if n := inner.gets.Load(); n != 1 {
		t.Errorf("%d reads, want 1", n)
	}
	name(b)
	if _, err := a.Update(ctx, "env", "github", func(in *store.Integration) error { in.DisplayName = "two"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := name(a); got != "two" {
		t.Errorf("after update: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for name(b) != "two" {
		if time.Now().After(deadline) {
			t.Fatal("the other process kept the old integration")
		}
		a.cache.announce(ctx, integKey("env", "github"))
		time.Sleep(5 * time.Millisecond)
	}
}
