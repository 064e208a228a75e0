package connect

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// AuthFlows is the part of internal/auth the browser flows drive.
type AuthFlows interface {
	Start(ctx context.Context, in auth.StartInput) (string, error)
	Callback(ctx context.Context, q url.Values) (*auth.CallbackResult, error)
	// Connect checks and saves credentials an end user typed.
	Connect(ctx context.Context, in auth.CredentialsInput) (*store.Connection, error)
}

// Flows serves the browser side of authorisation: the popup's start URL,
// the providers' redirects back, the websocket that tells the opener page
// the outcome, and the hosted Connect UI.
type Flows struct {
	sessions *Sessions
	auth     AuthFlows
	hub      *Hub
	relay    store.Notifier
	ui       http.Handler
	logger   *slog.Logger
	mux      *http.ServeMux
}

// relayChannel carries websocket results between nodes: the provider's
// redirect may land on a node other than the one holding the websocket.
const relayChannel = "patchbay_connect_ws"

// NewFlows wires the browser routes. relay reaches the other nodes (see
// Relay); Close hub on shutdown.
func NewFlows(sessions *Sessions, flows AuthFlows, hub *Hub, relay store.Notifier, logger *slog.Logger) *Flows {
	f := &Flows{sessions: sessions, auth: flows, hub: hub, relay: relay, logger: logger, mux: http.NewServeMux()}
	f.ui = NewUI(sessions.Page, logger)
	f.mux.HandleFunc("GET /oauth/connect/{key}", f.start)
	f.mux.HandleFunc("GET /oauth/callback", f.callback)
	f.mux.HandleFunc("GET /app-auth/connect", f.callback)
	f.mux.Handle("GET /connect", f.ui)
	f.mux.Handle("GET /connect/{$}", f.ui)
	f.mux.Handle("GET /connect/assets/{file}", f.ui)
	f.mux.HandleFunc("GET /{$}", f.root)
	return f
}

// Routes lists the patterns Flows serves, for the API server to mount.
func (f *Flows) Routes() []string {
	return []string{"GET /oauth/connect/{key}", "GET /oauth/callback", "GET /app-auth/connect", "GET /connect", "GET /connect/{$}", "GET /connect/assets/{file}", "GET /{$}"}
}

// ServeHTTP implements http.Handler.
func (f *Flows) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

// root serves both things Nango's frontend expects at "/": the websocket
// of auth() and, for openConnectUI with the bare origin as its baseURL,
// the Connect UI shell.
func (f *Flows) root(w http.ResponseWriter, r *http.Request) {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		f.hub.ServeHTTP(w, r)
		return
	}
	f.ui.ServeHTTP(w, r)
}

type relayed struct {
	WSClientID string  `json:"ws_client_id"`
	Message    Message `json:"message"`
}

// notify tells the browser waiting on wsClientID, here or, through the
// relay, on whichever node holds its websocket.
func (f *Flows) notify(ctx context.Context, wsClientID string, m Message) {
	if wsClientID == "" || f.hub.Notify(ctx, wsClientID, m) || f.relay == nil {
		return
	}
	b, err := json.Marshal(relayed{WSClientID: wsClientID, Message: m})
	if err == nil {
		err = f.relay.Notify(ctx, relayChannel, string(b))
	}
	if err != nil {
		f.logger.WarnContext(ctx, "relay websocket result to other nodes", "err", err)
	}
}

// Relay delivers results relayed by other nodes to this node's websocket
// clients, until ctx ends. Every node runs it.
func (f *Flows) Relay(ctx context.Context) error {
	if f.relay == nil {
		return nil
	}
	return f.relay.Listen(ctx, relayChannel, func(payload string) {
		var m relayed
		if json.Unmarshal([]byte(payload), &m) == nil && m.WSClientID != "" {
			f.hub.Notify(ctx, m.WSClientID, m.Message)
		}
	})
}

// paramName matches params[name] and authorization_params[name].
var paramName = regexp.MustCompile(`^(params|authorization_params|credentials)\[([^\]]{1,128})\]$`)

// ConnectionConfig is a flow's connection config: the session's defaults
// for the integration, then params[name]=value from the query for the
// names the defaults leave open. Session defaults win: they are the
// customer's decision, the query is the browser's.
func ConnectionConfig(q url.Values, d Defaults) map[string]any {
	config := make(map[string]any, len(d.ConnectionConfig))
	for k, v := range d.ConnectionConfig {
		config[k] = v
	}
	for k := range q {
		m := paramName.FindStringSubmatch(k)
		if m == nil || m[1] != "params" {
			continue
		}
		if _, preset := d.ConnectionConfig[m[2]]; !preset {
			config[m[2]] = q.Get(k)
		}
	}
	return config
}

// start is GET /oauth/connect/{key}, opened in the popup by the frontend
// SDK or the Connect UI: it checks the connect session and sends the
// browser to the provider.
func (f *Flows) start(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := r.PathValue("key")
	wsClientID := q.Get("ws_client_id")
	fail := func(err error) { f.fail(w, r, wsClientID, key, q.Get("connection_id"), err) }

	token := q.Get("connect_session_token")
	if token == "" {
		fail(&Error{Kind: fault.Unauthenticated, Code: "missing_connect_session_token", Message: "connect_session_token is required"})
		return
	}
	sess, err := f.sessions.Authenticate(r.Context(), token)
	if err != nil {
		fail(err)
		return
	}
	if err := Allowed(sess, key); err != nil {
		fail(err)
		return
	}
	connectionID, err := ConnectionFor(sess, key)
	if err != nil {
		fail(err)
		return
	}
	d := DefaultsFor(sess, key)
	in := auth.StartInput{
		EnvironmentID: sess.EnvironmentID, IntegrationKey: key, ConnectionID: connectionID,
		ConnectionConfig: ConnectionConfig(q, d), AuthorizationParams: map[string]string{},
		ConnectSessionID: sess.ID, WSClientID: wsClientID,
	}
	for k, v := range d.AuthorizationParams {
		in.AuthorizationParams[k] = v
	}
	for k := range q {
		if m := paramName.FindStringSubmatch(k); m != nil && m[1] == "authorization_params" {
			in.AuthorizationParams[m[2]] = q.Get(k)
		}
	}
	scopes := q.Get("user_scope")
	if scopes == "" {
		scopes = d.UserScopes
	}
	for _, s := range strings.Split(scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			in.UserScope = append(in.UserScope, s)
		}
	}
	target, err := f.auth.Start(r.Context(), in)
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// callback is the provider's redirect back (OAuth 2, OAuth 1.0a, GitHub
// App installation).
func (f *Flows) callback(w http.ResponseWriter, r *http.Request) {
	res, err := f.auth.Callback(r.Context(), r.URL.Query())
	if res == nil {
		res = &auth.CallbackResult{}
	}
	if err != nil {
		f.fail(w, r, res.WSClientID, res.IntegrationKey, res.ConnectionID, err)
		return
	}
	if res.ContinueURL != "" {
		http.Redirect(w, r, res.ContinueURL, http.StatusFound)
		return
	}
	result := CallbackResult{ProviderConfigKey: res.IntegrationKey, ConnectionID: res.ConnectionID}
	f.notify(r.Context(), res.WSClientID, result.Message())
	RenderCallback(w, result)
}

// fail reports a failed flow to the waiting websocket client and renders
// the error in the popup.
func (f *Flows) fail(w http.ResponseWriter, r *http.Request, wsClientID, key, connectionID string, err error) {
	code, desc := describe(err)
	if code == "server_error" {
		f.logger.ErrorContext(r.Context(), "authorisation flow failed", "path", r.URL.Path, "integration", key, "err", err)
	} else {
		// err carries the cause (a token endpoint's redacted answer, a
		// refused address), which the end user's page leaves out.
		f.logger.InfoContext(r.Context(), "authorisation flow refused", "path", r.URL.Path, "integration", key, "code", code, "err", err)
	}
	result := CallbackResult{ProviderConfigKey: key, ConnectionID: connectionID, ErrorType: code, ErrorDescription: desc}
	f.notify(r.Context(), wsClientID, result.Message())
	RenderCallback(w, result)
}

// pageCode is the code the popup reports for a domain code: an invalid
// member of the input, which has no code of its own, is invalid_body, as
// the API calls it.
func pageCode(code string) string {
	if code == "" {
		return "invalid_body"
	}
	return code
}

// describe turns an error into a code and a sentence for the end user.
func describe(err error) (string, string) {
	var ae *auth.Error
	var ce *Error
	switch {
	case errors.As(err, &ae):
		return pageCode(ae.Code), ae.Message
	case errors.As(err, &ce):
		return pageCode(ce.Code), ce.Message
	case errors.Is(err, ErrExpiredSession):
		return "expired_connect_session_token", "the connect session expired; start again from the app"
	case errors.Is(err, ErrInvalidSession):
		return "invalid_connect_session_token", "the connect session is unknown; start again from the app"
	case errors.Is(err, store.ErrNotFound):
		return "not_found", "not found"
	}
	return "server_error", "something went wrong on our side; try again"
}
