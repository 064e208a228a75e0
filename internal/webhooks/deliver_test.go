package webhooks_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/webhooks"
)

// hostsResolver points every name it knows at loopback, the way a
// customer's DNS could.
type hostsResolver map[string]string

func (r hostsResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// syncBuffer is a log sink safe for the sender's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type deliveryBundle struct {
	store store.Store
	env   *store.Environment
	hits  *atomic.Int64
	other *atomic.Int64 // hits on a second listener, a redirect's target
	url   string        // the customer's endpoint, on loopback
	port  string
}

func setupDelivery(t *testing.T) *deliveryBundle {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir(), storetest.NewVault(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &store.Environment{Name: "dev", SecretKey: "sk-" + t.Name()}
	if err := st.Environments().Create(ctx, env); err != nil {
		t.Fatal(err)
	}
	b := &deliveryBundle{store: st, env: env, hits: &atomic.Int64{}, other: &atomic.Int64{}}
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { b.other.Add(1) }))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/stolen", http.StatusTemporaryRedirect)
			return
		}
		b.hits.Add(1)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	b.port = strings.TrimPrefix(srv.URL, "http://127.0.0.1:")
	return b
}

// TestDeliveryAddressPolicy: a customer's webhook URL on loopback (by
// address or by a name resolving there) gets nothing unless the operator
// allowed the network, as PATCHBAY_PROXY_ALLOWED_NETWORKS does; redirects
// never leave the URL's origin.
func TestDeliveryAddressPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		path     string // appended to the endpoint's base
		byName   bool   // use hooks.test, which resolves to 127.0.0.1
		allow    []string
		wantHits int64
		wantLog  string
	}{
		{name: "loopback refused", path: "/h", wantLog: "webhook URL refused"},
		{name: "name resolving to loopback refused", path: "/h", byName: true, wantLog: "webhook delivery failed"},
		{name: "loopback allowed", path: "/h", allow: []string{"127.0.0.0/8"}, wantHits: 1},
		{name: "name resolving to loopback allowed", path: "/h", byName: true, allow: []string{"127.0.0.0/8"}, wantHits: 1},
		{name: "other network allowed only", path: "/h", allow: []string{"10.0.0.0/8"}, wantLog: "webhook URL refused"},
		{name: "redirect to another origin not followed", path: "/away", allow: []string{"127.0.0.0/8"}, wantLog: "webhook delivery failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupDelivery(t)
			target := b.url + tt.path
			if tt.byName {
				target = "http://hooks.test:" + b.port + tt.path
			}
			if err := b.store.Settings().SetWebhooks(t.Context(), b.env.ID, store.WebhookSettings{URL: target}); err != nil {
				t.Fatal(err)
			}
			var prefixes []netip.Prefix
			for _, p := range tt.allow {
				prefixes = append(prefixes, netip.MustParsePrefix(p))
			}
			guard := outbound.NewGuard(outbound.GuardOptions{AllowedNetworks: prefixes, Resolver: hostsResolver{"hooks.test": "127.0.0.1"}})
			logs := &syncBuffer{}
			s := webhooks.NewSender(b.store.Settings(), b.store.Environments(), guard, slog.New(slog.NewTextHandler(logs, nil)))
			s.Send(t.Context(), b.env.ID, map[string]any{"type": "auth", "secret": "SIGNED"})
			s.Close()
			if got := b.hits.Load(); got != tt.wantHits {
				t.Errorf("endpoint got %d deliveries, want %d; logs:\n%s", got, tt.wantHits, logs)
			}
			if got := b.other.Load(); got != 0 {
				t.Errorf("a redirect's target got %d deliveries", got)
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs lack %q:\n%s", tt.wantLog, logs)
			}
		})
	}
}
