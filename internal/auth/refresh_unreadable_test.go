package auth_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/store/sqlite"
)

// TestBackgroundRefreshSkipsUnreadableConnections: a connection whose row
// cannot be read (metadata an older version stored with a number float64
// cannot hold), first in line to expire, must not stop the refresher from
// renewing the others.
func TestBackgroundRefreshSkipsUnreadableConnections(t *testing.T) {
	t.Parallel()
	w := newServiceWorld(t)
	ctx := t.Context()
	bad := w.githubConnection(t, "bad", time.Now().Add(time.Minute))
	good := w.githubConnection(t, "good", time.Now().Add(5*time.Minute))
	if _, err := w.store.(*sqlite.Store).Writer().ExecContext(ctx,
		`UPDATE connections SET metadata = '{"a":-1e309}' WHERE id = ?`, bad.ID); err != nil {
		t.Fatal(err)
	}
	unreadable := w.store.UnreadableRows()

	n, err := w.svc.RefreshExpiring(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RefreshExpiring = %d, %v; want 2 connections tried and no error", n, err)
	}
	after, err := w.store.Connections().ByID(ctx, good.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Credentials.AccessToken == good.Credentials.AccessToken || after.LastRefreshSuccessAt == nil {
		t.Errorf("the readable connection was not refreshed: %+v", after)
	}
	if got := len(w.sim.Requests(sim.RequestFilter{Provider: "github", Note: "grant_type=refresh_token"})); got != 1 {
		t.Errorf("%d refreshes at the provider, want 1 (the readable connection)", got)
	}
	if w.store.UnreadableRows() == unreadable {
		t.Error("the unreadable row was not counted")
	}
	if logs := w.logs.String(); !strings.Contains(logs, "cannot read") || !strings.Contains(logs, bad.ID) {
		t.Errorf("the skipped connection was not logged:\n%s", logs)
	}
}

// TestBackgroundRefreshGoesPastWhatItCannotRenew: more connections it
// cannot renew than one pass visits, all expiring first, must not keep
// the refresher from the one after them: each pass resumes where the last
// one stopped, and the sweep starts over once it reaches the end.
func TestBackgroundRefreshGoesPastWhatItCannotRenew(t *testing.T) {
	t.Parallel()
	w := newServiceWorld(t, func(o *auth.Options) { o.RefreshPass = 3 })
	ctx := t.Context()
	now := time.Now()
	for i := range 5 {
		bad := w.githubConnection(t, fmt.Sprintf("bad-%d", i), now.Add(time.Duration(i)*time.Second))
		if _, err := w.store.(*sqlite.Store).Writer().ExecContext(ctx,
			`UPDATE connections SET metadata = '{"a":1e999999}' WHERE id = ?`, bad.ID); err != nil {
			t.Fatal(err)
		}
	}
	good := w.githubConnection(t, "good", now.Add(time.Minute))

	for pass, want := range []int{3, 3} {
		if n, err := w.svc.RefreshExpiring(ctx); err != nil || n != want {
			t.Fatalf("pass %d: RefreshExpiring = %d, %v; want %d tried", pass+1, n, err, want)
		}
	}
	after, err := w.store.Connections().ByID(ctx, good.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Credentials.AccessToken == good.Credentials.AccessToken {
		t.Fatal("the readable connection behind the unreadable ones was not refreshed")
	}
	// At the end of the list the sweep starts over: the third pass sees
	// the first unreadable ones again (the good one is no longer due).
	if n, err := w.svc.RefreshExpiring(ctx); err != nil || n != 3 {
		t.Fatalf("third pass: RefreshExpiring = %d, %v; want 3 tried", n, err)
	}
}
