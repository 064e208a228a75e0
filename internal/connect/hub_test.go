package connect

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

type hubBundle struct {
	hub   *Hub
	wsURL string
}

func setupHub(t *testing.T, tweak func(*Hub)) *hubBundle {
	t.Helper()
	h := NewHub(slog.New(slog.DiscardHandler))
	if tweak != nil {
		tweak(h)
	}
	srv := httptest.NewServer(h)
	// Cleanups run last-in first-out: the hub lets go of its sockets
	// before the server waits for its connections.
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close)
	return &hubBundle{hub: h, wsURL: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// dial connects and reads the connection_ack, returning the client id.
func (b *hubBundle) dial(t *testing.T, ctx context.Context, header http.Header) (*websocket.Conn, string) {
	t.Helper()
	c, _, err := websocket.Dial(ctx, b.wsURL, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	raw := readRaw(t, ctx, c)
	var ack Message
	if err := json.Unmarshal(raw, &ack); err != nil {
		t.Fatalf("ack %s: %v", raw, err)
	}
	if ack.MessageType != "connection_ack" || ack.WSClientID == "" {
		t.Fatalf("ack = %s, want connection_ack with ws_client_id", raw)
	}
	return c, ack.WSClientID
}

func readRaw(t *testing.T, ctx context.Context, c *websocket.Conn) []byte {
	t.Helper()
	typ, raw, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("message type %v, want text", typ)
	}
	return raw
}

func (h *Hub) openCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open
}

// waitOpen waits until the hub serves n connections.
func waitOpen(t *testing.T, ctx context.Context, h *Hub, n int) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for h.openCount() != n {
		select {
		case <-ctx.Done():
			t.Fatalf("hub still serves %d connections, want %d", h.openCount(), n)
		case <-tick.C:
		}
	}
}

func TestHubNotify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  Message
		want string // the exact JSON the frontend SDK parses
	}{
		{
			name: "success",
			msg:  CallbackResult{ProviderConfigKey: "github", ConnectionID: "conn-1"}.Message(),
			want: `{"message_type":"success","provider_config_key":"github","connection_id":"conn-1"}`,
		},
		{
			name: "error",
			msg:  CallbackResult{ProviderConfigKey: "github", ConnectionID: "conn-1", ErrorType: "access_denied", ErrorDescription: "user said no"}.Message(),
			want: `{"message_type":"error","provider_config_key":"github","connection_id":"conn-1","error_type":"access_denied","error_desc":"user said no"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHub(t, nil)
			ctx := testContext(t, 10*time.Second)
			c, id := b.dial(t, ctx, nil)

			if !b.hub.Notify(ctx, id, tt.msg) {
				t.Fatal("Notify = false, want true")
			}
			if got := string(readRaw(t, ctx, c)); got != tt.want {
				t.Errorf("message = %s, want %s", got, tt.want)
			}
			// One result per client: the server then closes normally.
			_, _, err := c.Read(ctx)
			if status := websocket.CloseStatus(err); status != websocket.StatusNormalClosure {
				t.Errorf("after the result: %v, want normal closure", err)
			}
			if b.hub.Notify(ctx, id, tt.msg) {
				t.Error("second Notify = true, want false")
			}
			waitOpen(t, ctx, b.hub, 0)
		})
	}
}

func TestHubNotifyUnknownClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, ctx context.Context, b *hubBundle) string
	}{
		{"never connected", func(*testing.T, context.Context, *hubBundle) string { return "NOSUCHCLIENT" }},
		{"empty id", func(*testing.T, context.Context, *hubBundle) string { return "" }},
		{"client left", func(t *testing.T, ctx context.Context, b *hubBundle) string {
			c, id := b.dial(t, ctx, nil)
			c.Close(websocket.StatusNormalClosure, "")
			waitOpen(t, ctx, b.hub, 0)
			return id
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHub(t, nil)
			ctx := testContext(t, 10*time.Second)
			id := tt.setup(t, ctx, b)
			if b.hub.Notify(ctx, id, Message{MessageType: MessageSuccess}) {
				t.Error("Notify = true, want false")
			}
		})
	}
}

func TestHubAcceptsAnyOrigin(t *testing.T) {
	t.Parallel()
	b := setupHub(t, nil)
	ctx := testContext(t, 10*time.Second)
	b.dial(t, ctx, http.Header{"Origin": {"https://app.customer.example"}})
}

func TestHubClientIDsAreUnique(t *testing.T) {
	t.Parallel()
	b := setupHub(t, nil)
	ctx := testContext(t, 10*time.Second)
	seen := map[string]bool{}
	for range 20 {
		_, id := b.dial(t, ctx, nil)
		if seen[id] || len(id) < 20 {
			t.Fatalf("client id %q repeated or too short to be unguessable", id)
		}
		seen[id] = true
	}
}

func TestHubCapsOpenClients(t *testing.T) {
	t.Parallel()
	b := setupHub(t, func(h *Hub) { h.maxClients = 2 })
	ctx := testContext(t, 10*time.Second)
	first, _ := b.dial(t, ctx, nil)
	b.dial(t, ctx, nil)

	_, resp, err := websocket.Dial(ctx, b.wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third dial: err %v, response %v; want 503", err, resp)
	}
	// A slot frees up when a client leaves.
	first.Close(websocket.StatusNormalClosure, "")
	waitOpen(t, ctx, b.hub, 1)
	b.dial(t, ctx, nil)
}

func TestHubDropsUnresponsiveClient(t *testing.T) {
	t.Parallel()
	b := setupHub(t, func(h *Hub) {
		h.pingInterval = 20 * time.Millisecond
		h.pingTimeout = 50 * time.Millisecond
	})
	ctx := testContext(t, 10*time.Second)
	// A coder/websocket client answers pings only while it reads; this one
	// stops reading after the ack, like a frozen tab.
	_, id := b.dial(t, ctx, nil)
	waitOpen(t, ctx, b.hub, 0)
	if b.hub.Notify(ctx, id, Message{MessageType: MessageSuccess}) {
		t.Error("Notify to a dropped client = true")
	}
}

func TestHubKeepsResponsiveClient(t *testing.T) {
	t.Parallel()
	b := setupHub(t, func(h *Hub) {
		h.pingInterval = 10 * time.Millisecond
		h.pingTimeout = time.Second
	})
	ctx := testContext(t, 10*time.Second)
	c, id := b.dial(t, ctx, nil)
	got := make(chan []byte, 1)
	go func() {
		// Reading is what answers the pings.
		_, raw, _ := c.Read(ctx)
		got <- raw
	}()
	// Several ping rounds pass while the client reads.
	time.Sleep(100 * time.Millisecond)
	if !b.hub.Notify(ctx, id, Message{MessageType: MessageSuccess, ConnectionID: "c"}) {
		t.Fatal("Notify = false after pings, want true")
	}
	if raw := <-got; !strings.Contains(string(raw), `"connection_id":"c"`) {
		t.Errorf("message = %s", raw)
	}
}

func TestHubMaxLifetime(t *testing.T) {
	t.Parallel()
	b := setupHub(t, func(h *Hub) { h.maxLifetime = 50 * time.Millisecond })
	ctx := testContext(t, 10*time.Second)
	c, _ := b.dial(t, ctx, nil)
	_, _, err := c.Read(ctx)
	if websocket.CloseStatus(err) == -1 {
		t.Fatalf("read: %v, want a close frame", err)
	}
	waitOpen(t, ctx, b.hub, 0)
}

func TestHubClose(t *testing.T) {
	t.Parallel()
	b := setupHub(t, nil)
	ctx := testContext(t, 10*time.Second)
	c, id := b.dial(t, ctx, nil)
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.Read(ctx)
		readErr <- err
	}()

	b.hub.Close()
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("client read after Close: %v, want going away", err)
	}
	if b.hub.Notify(ctx, id, Message{MessageType: MessageSuccess}) {
		t.Error("Notify after Close = true")
	}
	_, resp, err := websocket.Dial(ctx, b.wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: err %v, response %v; want 503", err, resp)
	}
	b.hub.Close() // idempotent
}

func TestHubNotifyHonoursContext(t *testing.T) {
	t.Parallel()
	b := setupHub(t, nil)
	ctx := testContext(t, 10*time.Second)
	_, id := b.dial(t, ctx, nil)
	done, cancel := context.WithCancel(ctx)
	cancel()
	// The write may or may not win against the cancelled context; what
	// matters is that Notify returns and the client is spent either way.
	b.hub.Notify(done, id, Message{MessageType: MessageSuccess})
	if b.hub.Notify(ctx, id, Message{MessageType: MessageSuccess}) {
		t.Error("second Notify = true")
	}
}

func TestHubConcurrentClients(t *testing.T) {
	t.Parallel()
	b := setupHub(t, nil)
	ctx := testContext(t, 20*time.Second)
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c, _, err := websocket.Dial(ctx, b.wsURL, nil)
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			_, raw, err := c.Read(ctx)
			if err != nil {
				errs <- err
				return
			}
			var ack Message
			if err := json.Unmarshal(raw, &ack); err != nil {
				errs <- err
				return
			}
			want := "conn-" + string(rune('a'+i))
			go b.hub.Notify(ctx, ack.WSClientID, Message{MessageType: MessageSuccess, ConnectionID: want})
			_, raw, err = c.Read(ctx)
			if err != nil {
				errs <- err
				return
			}
			var got Message
			if err := json.Unmarshal(raw, &got); err != nil || got.ConnectionID != want {
				errs <- errors.New("client got " + string(raw) + ", want " + want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
