package functions

import (
	"context"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := NewLimiter(2, 3, 4)
	ctx := context.Background()
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	var releases []func()
	acquire := func(c context.Context, env, conn string) bool {
		r, err := l.Acquire(c, env, conn, 0)
		if err != nil {
			return false
		}
		releases = append(releases, r)
		return true
	}
	// Per connection: 2.
	for range 2 {
		if !acquire(ctx, "e1", "c1") {
			t.Fatal("first two slots refused")
		}
	}
	if acquire(short(), "e1", "c1") {
		t.Fatal("a third execution on one connection got a slot")
	}
	// Per environment: 3.
	if !acquire(ctx, "e1", "c2") {
		t.Fatal("another connection of the environment was refused")
	}
	if acquire(short(), "e1", "c3") {
		t.Fatal("a fourth execution in one environment got a slot")
	}
	// Another environment still gets the global slot left.
	if !acquire(ctx, "e2", "c1") {
		t.Fatal("a flood in e1 starved e2")
	}
	if acquire(short(), "e3", "c1") {
		t.Fatal("more than the global cap ran")
	}
	for _, r := range releases {
		r()
		r() // releasing twice is harmless
	}
	if len(l.conns) != 0 || len(l.envs) != 0 {
		t.Fatalf("idle keys kept: %d connections, %d environments", len(l.conns), len(l.envs))
	}
	if !acquire(ctx, "e3", "c1") {
		t.Fatal("slots were not freed")
	}
	// An integration's own cap on a connection.
	r, err := l.Acquire(ctx, "e4", "c1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(short(), "e4", "c1", 1); err == nil {
		t.Fatal("a connection capped at 1 ran two executions")
	}
	r()
}
