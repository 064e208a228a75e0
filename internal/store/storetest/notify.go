package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// testNotifier: a message reaches the listeners of its channel — in other
// processes too, on backends several processes share — and no others.
func testNotifier(t *testing.T, newDB func(t *testing.T) Database) {
	b := setup(t, newDB)
	stores := []store.Store{b.store}
	if b.store.Dialect() != "sqlite" {
		other, err := b.db.Open(t, b.vault)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		stores = append(stores, other)
	}
	channel := "test_" + uuid.NewString()[:8]
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	got := make([]chan string, len(stores))
	for i, s := range stores {
		got[i] = make(chan string, 10)
		c := got[i]
		go s.Notifier().Listen(ctx, channel, func(p string) { c <- p })                                                   //nolint:errcheck // ends with ctx
		go s.Notifier().Listen(ctx, channel+"_other", func(p string) { t.Errorf("message on the wrong channel: %q", p) }) //nolint:errcheck // ends with ctx
	}
	// Listeners attach asynchronously; resend until each has one message.
	deadline := time.Now().Add(10 * time.Second)
	for i := range stores {
		for {
			if err := stores[0].Notifier().Notify(ctx, channel, "hello"); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-got[i]:
				if p != "hello" {
					t.Fatalf("listener %d got %q", i, p)
				}
			case <-time.After(50 * time.Millisecond):
				if time.Now().After(deadline) {
					t.Fatalf("listener %d never got a message", i)
				}
				continue
			}
			break
		}
	}
}
