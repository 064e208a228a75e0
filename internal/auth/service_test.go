package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/store/storetest"
)

// serviceWorld is an auth.Service on an SQLite store, its catalog pointing
// at a simulator, for tests below the HTTP layer.
type serviceWorld struct {
	svc   *auth.Service
	store store.Store
	sim   *providersim.Simulator
	env   *store.Environment
	logs  *bytes.Buffer
}

func newServiceWorld(t testing.TB, opts ...func(*auth.Options)) *serviceWorld {
	t.Helper()
	ctx := t.Context()
	s := providersim.Start(t, providersim.Options{})
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(s.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, t.TempDir(), storetest.NewVault(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &store.Environment{Name: "dev", SecretKey: "sk-" + t.Name()}
	if err := st.Environments().Create(ctx, env); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	o := auth.Options{Connections: st.Connections(), Integrations: st.Integrations(), OAuthSessions: st.OAuthSessions(),
		ConnectSessions: st.ConnectSessions(), Locker: st.Locker(), Catalog: cat, ServerURL: "http://patchbay.test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, opt := range opts {
		opt(&o)
	}
	svc := auth.New(o)
	return &serviceWorld{svc: svc, store: st, sim: s, env: env, logs: logs}
}

// githubConnection creates a GitHub integration and a connection holding
// a real simulator grant that expires at exp (Patchbay's view).
func (w *serviceWorld) githubConnection(t testing.TB, id string, exp time.Time) *store.Connection {
	t.Helper()
	ctx := t.Context()
	in := &store.Integration{EnvironmentID: w.env.ID, UniqueKey: "github", Provider: "github",
		Credentials: store.IntegrationCredentials{Type: "OAUTH2", ClientID: "github-client-id", ClientSecret: "github-client-secret"}}
	if err := w.store.Integrations().Create(ctx, in); errors.Is(err, store.ErrConflict) {
		got, err := w.store.Integrations().Get(ctx, w.env.ID, "github")
		if err != nil {
			t.Fatal(err)
		}
		in = got
	} else if err != nil {
		t.Fatal(err)
	}
	g := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat"}, 8*time.Hour, true)
	c := &store.Connection{EnvironmentID: w.env.ID, IntegrationID: in.ID, ConnectionID: id,
		Credentials: store.Credentials{Type: "OAUTH2", AccessToken: g.AccessToken, RefreshToken: g.RefreshToken, ExpiresAt: &exp}}
	if err := w.store.Connections().Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBackgroundRefresh(t *testing.T) {
	w := newServiceWorld(t)
	ctx := context.Background()
	soon := w.githubConnection(t, "soon", time.Now().Add(5*time.Minute))
	w.githubConnection(t, "later", time.Now().Add(2*time.Hour))

	n, err := w.svc.RefreshExpiring(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RefreshExpiring = %d, %v; want 1 connection", n, err)
	}
	if got := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"})); got != 1 {
		t.Errorf("%d refreshes at the provider, want 1", got)
	}
	after, err := w.store.Connections().ByID(ctx, soon.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Credentials.AccessToken == soon.Credentials.AccessToken || after.LastRefreshSuccessAt == nil {
		t.Errorf("connection not refreshed: %+v", after)
	}
	if n, _ := w.svc.RefreshExpiring(ctx); n != 0 {
		t.Errorf("a second pass found %d expiring connections, want 0", n)
	}
	// No token or secret in the logs.
	for _, secret := range []string{soon.Credentials.AccessToken, soon.Credentials.RefreshToken, after.Credentials.AccessToken, after.Credentials.RefreshToken, "github-client-secret"} {
		if strings.Contains(w.logs.String(), secret) {
			t.Errorf("logs contain a secret: %s", w.logs)
		}
	}
}

// BenchmarkRefreshStampede measures one expired token read by 200
// concurrent callers: one refresh at the simulated provider, everyone
// served its result. It reports the provider calls per stampede (must be
// 1) and the time until the last caller has a fresh token.
func BenchmarkRefreshStampede(b *testing.B) {
	w := newServiceWorld(b)
	ctx := context.Background()
	c := w.githubConnection(b, "stampede", time.Now().Add(-time.Second))
	before := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"}))
	const callers = 200
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if _, err := w.store.Connections().Update(ctx, c.ID, func(cur *store.Connection) error {
			past := time.Now().Add(-time.Second)
			cur.Credentials.ExpiresAt = &past
			cur.LastRefreshSuccessAt = nil
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				conn, err := w.store.Connections().ByID(ctx, c.ID)
				if err == nil {
					_, err = w.svc.Fresh(ctx, conn, false)
				}
				if err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	after := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"}))
	b.ReportMetric(float64(after-before)/float64(b.N), "refreshes/op")
}
