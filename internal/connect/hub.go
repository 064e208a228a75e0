package connect

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Message types the websocket sends, as @nangohq/frontend's auth() reads
// them.
const (
	MessageConnectionAck = "connection_ack"
	MessageSuccess       = "success"
	MessageError         = "error"
)

// Message is one websocket message to an auth popup's opener.
type Message struct {
	MessageType       string `json:"message_type"`
	WSClientID        string `json:"ws_client_id,omitempty"`
	ProviderConfigKey string `json:"provider_config_key,omitempty"`
	ConnectionID      string `json:"connection_id,omitempty"`
	ErrorType         string `json:"error_type,omitempty"`
	ErrorDesc         string `json:"error_desc,omitempty"`
}

const (
	defaultMaxClients = 10_000
	// A client only waits for one OAuth flow, which cannot outlive its
	// connect session (30 minutes).
	defaultMaxLifetime  = 30 * time.Minute
	defaultPingInterval = 25 * time.Second
	hubWriteTimeout     = 10 * time.Second
)

// Hub is the websocket endpoint auth flows report their result to. A
// browser connects, receives its ws_client_id, passes it to
// /oauth/connect, and the OAuth callback delivers the outcome with Notify.
//
// A Hub knows only the clients connected to this process; with several
// nodes, the callback may land on another node and Notify returns false
// there.
type Hub struct {
	logger *slog.Logger

	// Tests shorten these; they are fixed once the hub serves.
	maxClients   int
	maxLifetime  time.Duration
	pingInterval time.Duration
	pingTimeout  time.Duration

	mu      sync.Mutex
	clients map[string]*hubClient // waiting for a result
	open    int                   // connections being served, for the cap
	closed  bool
	done    chan struct{}
	wg      sync.WaitGroup
}

type hubClient struct {
	deliver chan delivery // capacity 1: Notify hands over at most one message
	gone    chan struct{} // closed when the connection has ended
}

type delivery struct {
	msg     Message
	written chan<- error
}

// NewHub returns a hub ready to serve. Call Close on shutdown: the HTTP
// server's Shutdown does not wait for hijacked (websocket) connections.
func NewHub(logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		logger:       logger,
		maxClients:   defaultMaxClients,
		maxLifetime:  defaultMaxLifetime,
		pingInterval: defaultPingInterval,
		pingTimeout:  hubWriteTimeout,
		clients:      make(map[string]*hubClient),
		done:         make(chan struct{}),
	}
}

// ServeHTTP upgrades the request to a websocket, sends connection_ack with
// a fresh ws_client_id and holds the connection until a result is
// delivered, the client leaves, stops answering pings, or the hub closes.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := rand.Text()
	c := &hubClient{deliver: make(chan delivery, 1), gone: make(chan struct{})}
	if !h.register(id, c) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"too_many_connections","message":"too many open websocket connections; try again shortly"}}`))
		return
	}
	defer h.unregister(id, c)

	// Any origin may connect, as with Nango: customers' pages on their own
	// domains open this socket from @nangohq/frontend. Nothing here rides
	// on cookies or other ambient credentials, and the only thing a client
	// can learn is the outcome of the flow it started with its own id.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		h.logger.Debug("websocket upgrade failed", "err", err)
		return
	}
	defer conn.CloseNow()
	h.serve(conn, id, c)
}

func (h *Hub) serve(conn *websocket.Conn, id string, c *hubClient) {
	// Not the request's context: it is unreliable after the upgrade.
	ctx, cancel := context.WithTimeout(context.Background(), h.maxLifetime)
	defer cancel()
	// Clients never send data; reading anyway is what processes pongs and
	// the close frame, so peerGone ends when the browser goes away. Its
	// context outlives ctx: cancelling it drops the connection at once,
	// and at the end of the lifetime we still want to say goodbye.
	readCtx, cancelRead := context.WithCancel(context.Background())
	defer cancelRead()
	peerGone := conn.CloseRead(readCtx)

	if err := writeMessage(ctx, conn, Message{MessageType: MessageConnectionAck, WSClientID: id}); err != nil {
		h.logger.Debug("websocket ack failed", "err", err)
		return
	}
	ping := time.NewTicker(h.pingInterval)
	defer ping.Stop()
	for {
		select {
		case d := <-c.deliver:
			err := writeMessage(ctx, conn, d.msg)
			d.written <- err
			if err == nil {
				conn.Close(websocket.StatusNormalClosure, "")
			}
			return
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, h.pingTimeout)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				h.logger.Debug("websocket client stopped answering pings", "err", err)
				return
			}
		case <-peerGone.Done():
			return
		case <-ctx.Done():
			conn.Close(websocket.StatusPolicyViolation, "connection open too long")
			return
		case <-h.done:
			conn.Close(websocket.StatusGoingAway, "server shutting down")
			return
		}
	}
}

func writeMessage(ctx context.Context, conn *websocket.Conn, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, hubWriteTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, b)
}

func (h *Hub) register(id string, c *hubClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.open >= h.maxClients {
		h.logger.Warn("websocket client cap reached", "max_clients", h.maxClients)
		return false
	}
	h.open++
	h.clients[id] = c
	h.wg.Add(1)
	return true
}

func (h *Hub) unregister(id string, c *hubClient) {
	close(c.gone)
	h.mu.Lock()
	h.open--
	if h.clients[id] == c {
		delete(h.clients, id)
	}
	h.mu.Unlock()
	h.wg.Done()
}

// Notify sends m to the client wsClientID and then closes its connection.
// It reports whether the message was written; false means no such client
// here (unknown, already notified, gone, or connected to another node) or
// ctx ended first. The callback page's postMessage is the Connect UI's
// fallback when this fails.
func (h *Hub) Notify(ctx context.Context, wsClientID string, m Message) bool {
	h.mu.Lock()
	c, ok := h.clients[wsClientID]
	// Removed at once so that a second Notify (a replayed callback) is a
	// clean false instead of a message to a closing socket.
	delete(h.clients, wsClientID)
	h.mu.Unlock()
	if !ok {
		return false
	}
	written := make(chan error, 1)
	c.deliver <- delivery{msg: m, written: written}
	select {
	case err := <-written:
		return err == nil
	case <-c.gone:
		// The serve loop may have written just before leaving.
		select {
		case err := <-written:
			return err == nil
		default:
			return false
		}
	case <-ctx.Done():
		return false
	}
}

// Close disconnects every client with "going away" and waits for their
// handlers to return. Later connections are refused with 503.
func (h *Hub) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
	h.wg.Wait()
}
