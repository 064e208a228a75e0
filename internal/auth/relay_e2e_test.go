package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// readWS reads one JSON message from a websocket.
func readWS(t *testing.T, ctx context.Context, c *websocket.Conn) map[string]any {
	t.Helper()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read websocket: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("websocket message %s: %v", data, err)
	}
	return m
}

// TestWebsocketAcrossNodes: @nangohq/frontend's websocket is on one node,
// the provider's redirect lands on another; the result still reaches the
// browser, relayed through the database.
func TestWebsocketAcrossNodes(t *testing.T) {
	backend := apptest.SQLite
	if contains(apptest.Backends(), apptest.Postgres) {
		backend = apptest.Postgres
	}
	w := newWorld(t, worldOptions{backend: backend})
	githubIntegration(w)
	socketNode := w.pb
	if backend == apptest.Postgres {
		env := map[string]string{}
		for k, v := range w.pb.Env {
			env[k] = v
		}
		env["PATCHBAY_ADDR"] = "127.0.0.1:0"
		socketNode = apptest.Start(t, apptest.Options{Backend: apptest.Postgres, Env: env})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(socketNode.URL, "http://", "ws://", 1)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	ack := readWS(t, ctx, conn)
	id, _ := ack["ws_client_id"].(string)
	if ack["message_type"] != "connection_ack" || id == "" {
		t.Fatalf("first message = %v", ack)
	}

	// The popup goes to the other node (the one the callback URL names).
	if status, page := w.browser("/oauth/connect/github?connect_session_token=" + w.session(nil) + "&ws_client_id=" + id); status != http.StatusOK {
		t.Fatalf("flow: status %d: %s", status, page)
	}
	got := readWS(t, ctx, conn)
	c := w.onlyConnection("github")
	if got["message_type"] != "success" || got["provider_config_key"] != "github" || got["connection_id"] != c.ConnectionID {
		t.Errorf("websocket result = %v, want success for %s", got, c.ConnectionID)
	}

	// Errors travel the same way.
	conn2, _, err := websocket.Dial(ctx, strings.Replace(socketNode.URL, "http://", "ws://", 1)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.CloseNow()
	id2, _ := readWS(t, ctx, conn2)["ws_client_id"].(string)
	w.browser("/oauth/connect/github?connect_session_token=nango_connect_session_" + strings.Repeat("0", 64) + "&ws_client_id=" + id2)
	if m := readWS(t, ctx, conn2); m["message_type"] != "error" || m["error_type"] != "invalid_connect_session_token" {
		t.Errorf("websocket error = %v", m)
	}
}
