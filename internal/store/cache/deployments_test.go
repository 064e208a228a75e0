package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlstore"
)

// fakeDeployments holds versions by type and name and counts reads.
type fakeDeployments struct {
	store.Deployments
	mu       sync.Mutex
	versions map[string]string // type/name → version
	gets     map[string]int
}

func (f *fakeDeployments) Get(_ context.Context, env, key, typ, name string) (*store.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets[typ+"/"+name]++
	v, ok := f.versions[typ+"/"+name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &store.Deployment{EnvironmentID: env, IntegrationKey: key, Type: typ, Name: name, Version: v}, nil
}

func (f *fakeDeployments) Put(_ context.Context, ds []*store.Deployment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range ds {
		f.versions[d.Type+"/"+d.Name] = d.Version
	}
	return nil
}

func (f *fakeDeployments) Delete(_ context.Context, _, _, typ, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.versions, typ+"/"+name)
	return nil
}

func (f *fakeDeployments) reads(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[key]
}

// TestDeploymentsByType: an action and a sync sharing a name are cached
// apart, and a write to one drops only its entry, here and in another
// process.
func TestDeploymentsByType(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	inner := &fakeDeployments{versions: map[string]string{"action/settings": "a1", "sync/settings": "s1"}, gets: map[string]int{}}
	notifier := sqlstore.NewProcessNotifier()
	a := NewDeployments(inner, notifier, time.Minute) // this process
	b := NewDeployments(inner, notifier, time.Minute) // "another node"
	listenCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.Listen(listenCtx) //nolint:errcheck // ends with ctx

	version := func(c *Deployments, typ string) string {
		t.Helper()
		d, err := c.Get(ctx, "env", "calendar", typ, "settings")
		if err != nil {
			return "none"
		}
		return d.Version
	}
	for _, c := range []*Deployments{a, b} {
		if got := version(c, "action") + version(c, "sync"); got != "a1s1" {
			t.Fatalf("versions %s, want a1s1", got)
		}
	}
	if n := inner.reads("action/settings"); n != 2 {
		t.Fatalf("%d reads of the action for two processes, want 2", n)
	}

	for _, step := range []struct {
		name, typ     string // the type written
		write         func() error
		action, syncV string // the versions after it
	}{
		{"redeploy the sync", "sync", func() error {
			return a.Put(ctx, []*store.Deployment{{EnvironmentID: "env", IntegrationKey: "calendar", Type: "sync", Name: "settings", Version: "s2"}})
		}, "a1", "s2"},
		{"undeploy the action", "action", func() error { return a.Delete(ctx, "env", "calendar", "action", "settings") }, "none", "s2"},
	} {
		actionReads := inner.reads("action/settings")
		if err := step.write(); err != nil {
			t.Fatal(err)
		}
		if got := version(a, "action") + "," + version(a, "sync"); got != step.action+","+step.syncV {
			t.Fatalf("%s: here %s, want %s,%s", step.name, got, step.action, step.syncV)
		}
		deadline := time.Now().Add(5 * time.Second)
		for version(b, "action")+","+version(b, "sync") != step.action+","+step.syncV {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the other process kept %s,%s", step.name, version(b, "action"), version(b, "sync"))
			}
			// b's listener may not have attached before the announcement;
			// announce again as a later write would.
			_ = a.cache.announce(ctx, deployKey("env", "calendar", step.typ, "settings"))
			time.Sleep(5 * time.Millisecond)
		}
		if step.action == "a1" && inner.reads("action/settings") != actionReads {
			t.Fatalf("%s: the action's entry was dropped too", step.name)
		}
	}
}
