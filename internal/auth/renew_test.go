package auth_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/store"
)

func (w *serviceWorld) tokenRequests() int {
	return len(w.sim.Requests(sim.RequestFilter{Provider: "github", Method: "POST", Path: "/github/login/oauth/access_token"}))
}

// TestRenewComparesAndRefreshes: Renew refreshes only credentials that
// are still the stored ones; callers holding older ones get the stored
// ones, however many ask at once.
func TestRenewComparesAndRefreshes(t *testing.T) {
	t.Parallel()
	w := newServiceWorld(t)
	ctx := context.Background()
	c := w.githubConnection(t, "renew", time.Now().Add(8*time.Hour))

	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := map[string]int{}
	for range 50 {
		wg.Go(func() {
			got, _, err := w.svc.Renew(ctx, c)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			tokens[got.Credentials.AccessToken]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if n := w.tokenRequests(); n != 1 {
		t.Errorf("50 callers refused the same token: %d refreshes, want 1", n)
	}
	if len(tokens) != 1 || tokens[c.Credentials.AccessToken] != 0 {
		t.Errorf("callers got tokens %v, want one new token", tokens)
	}

	// Refused credentials that are not the stored ones any more: the
	// stored ones, without asking the provider.
	stored, err := w.store.Connections().ByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, refreshed, err := w.svc.Renew(ctx, c)
	if err != nil || refreshed || got.Credentials.AccessToken != stored.Credentials.AccessToken {
		t.Errorf("renewing an old token: %v, refreshed %v, token changed: %v", err, refreshed, got == nil || got.Credentials.AccessToken != stored.Credentials.AccessToken)
	}
	// The stored ones refused: refreshed.
	got, refreshed, err = w.svc.Renew(ctx, stored)
	if err != nil || !refreshed || got.Credentials.AccessToken == stored.Credentials.AccessToken {
		t.Errorf("renewing the stored token: %v, refreshed %v", err, refreshed)
	}
	if n := w.tokenRequests(); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
}

// TestRenewLeavesTheProviderAlone: after the provider refused the refresh
// token for good, or failed moments ago, renewing the same refused token
// does not ask it again.
func TestRenewLeavesTheProviderAlone(t *testing.T) {
	t.Parallel()
	t.Run("refresh token refused", func(t *testing.T) {
		t.Parallel()
		w := newServiceWorld(t)
		ctx := context.Background()
		c := w.githubConnection(t, "revoked", time.Now().Add(8*time.Hour))
		w.sim.OAuth.RevokeSubject("github", "octocat")
		for i := range 3 {
			_, _, err := w.svc.Renew(ctx, c)
			var ae *auth.Error
			if !errors.As(err, &ae) || httperr.Status(ae.Kind) != http.StatusFailedDependency {
				t.Errorf("renewal %d: %v, want the connection unhealthy", i, err)
			}
		}
		if n := w.tokenRequests(); n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
	})
	t.Run("provider failing", func(t *testing.T) {
		t.Parallel()
		w := newServiceWorld(t)
		ctx := context.Background()
		c := w.githubConnection(t, "failing", time.Now().Add(8*time.Hour))
		w.sim.Faults().Add(sim.Fault{Kind: sim.FaultError, Provider: "github", Path: "/github/login/oauth/access_token", Status: 503})
		_, _, err := w.svc.Renew(ctx, c)
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != "connection_refresh_failed" {
			t.Errorf("renewal while the provider fails: %v", err)
		}
		n := w.tokenRequests()
		_, _, err = w.svc.Renew(ctx, c)
		if !errors.As(err, &ae) || ae.Code != "connection_refresh_cooldown" {
			t.Errorf("renewal during the cooldown: %v", err)
		}
		if got := w.tokenRequests(); got != n {
			t.Errorf("the cooldown let %d token requests through", got-n)
		}
		after, err := w.store.Connections().ByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Credentials.AccessToken != c.Credentials.AccessToken || len(after.Errors) != 0 {
			t.Errorf("a transient failure changed the connection: %+v", after.Errors)
		}
	})
}

// TestRenewNotRefreshable: credentials with nothing to refresh are not
// renewed.
func TestRenewNotRefreshable(t *testing.T) {
	t.Parallel()
	w := newServiceWorld(t)
	c := &store.Connection{ID: "x", ConnectionID: "key", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"}}
	if _, _, err := w.svc.Renew(context.Background(), c); err == nil {
		t.Error("an API key was renewed")
	}
}
