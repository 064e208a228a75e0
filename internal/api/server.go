// Package api serves Patchbay's public REST API, in Nango's shapes so that
// Nango's SDKs work against it. Handlers only translate HTTP to calls on the
// domain packages and back; errors become HTTP statuses in one place
// (writeError).
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/connect"
	"github.com/patchbay/patchbay/internal/integrations"
	"github.com/patchbay/patchbay/internal/statusrec"
	"github.com/patchbay/patchbay/internal/store"
)

// Authenticator finds the environment a secret key belongs to.
type Authenticator interface {
	BySecretKey(ctx context.Context, secretKey string) (*store.Environment, error)
}

// Integrations is the integrations domain as the API uses it.
type Integrations interface {
	Create(ctx context.Context, environmentID string, in integrations.CreateInput) (*store.Integration, error)
	Update(ctx context.Context, environmentID, uniqueKey string, in integrations.UpdateInput) (*store.Integration, error)
	Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
	List(ctx context.Context, environmentID string) ([]*store.Integration, error)
	Delete(ctx context.Context, environmentID, uniqueKey string) error
}

// Options are the server's dependencies.
type Options struct {
	Logger       *slog.Logger
	ServerURL    string // public base URL, no trailing slash
	Auth         Authenticator
	Catalog      *catalog.Catalog
	Integrations Integrations
	Connections  Connections
	// Sessions, Credentials, Settings and Flows serve connect sessions,
	// the auth endpoints and the Connect UI; without Sessions those routes
	// are absent.
	Sessions    ConnectSessions
	Credentials CredentialFlows
	Settings    Settings
	Flows       *connect.Flows
	// Proxy serves ALL /proxy/*; without it the route is absent.
	Proxy Proxier
	// Actions serves functions and actions; without it those routes are
	// absent.
	Actions Actions
	// Syncs serves the sync and records routes; nil leaves them out.
	Syncs Syncs
}

// Server is the HTTP API.
type Server struct {
	logger       *slog.Logger
	serverURL    string
	auth         Authenticator
	catalog      *catalog.Catalog
	integrations Integrations
	connections  Connections
	providers    *providerCache
	sessions     ConnectSessions
	credentials  CredentialFlows
	settings     Settings
	flows        *connect.Flows
	proxy        Proxier
	actions      Actions
	syncs        Syncs
	mux          *http.ServeMux
}

// New returns the API server.
func New(o Options) *Server {
	s := &Server{
		logger:       o.Logger,
		serverURL:    o.ServerURL,
		auth:         o.Auth,
		catalog:      o.Catalog,
		integrations: o.Integrations,
		connections:  o.Connections,
		providers:    newProviderCache(o.Catalog, o.ServerURL),
		sessions:     o.Sessions,
		credentials:  o.Credentials,
		settings:     o.Settings,
		flows:        o.Flows,
		proxy:        o.Proxy,
		actions:      o.Actions,
		syncs:        o.Syncs,
		mux:          http.NewServeMux(),
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	public := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, h) }
	private := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.authenticate(h)) }

	public("GET /health", s.health)
	public("GET /images/template-logos/{file}", s.logo)

	private("GET /providers", s.listProviders)
	private("GET /providers/{provider}", s.getProvider)

	private("GET /integrations", s.listIntegrations)
	private("POST /integrations", s.createIntegration)
	private("GET /integrations/{key}", s.getIntegration)
	private("PATCH /integrations/{key}", s.updateIntegration)
	private("DELETE /integrations/{key}", s.deleteIntegration)

	// Connections, with Nango's deprecated singular aliases.
	for _, base := range []string{"/connections", "/connection"} {
		private("GET "+base, s.listConnections)
		private("POST "+base, s.importConnection)
		private("GET "+base+"/{connectionId}", s.getConnection)
		private("PATCH "+base+"/{connectionId}", s.patchConnection)
		private("DELETE "+base+"/{connectionId}", s.deleteConnection)
		private("POST "+base+"/metadata", s.metadataHandler(false))
		private("PATCH "+base+"/metadata", s.metadataHandler(true))
		private("POST "+base+"/{connectionId}/metadata", s.connectionMetadataHandler(false))
		private("PATCH "+base+"/{connectionId}/metadata", s.connectionMetadataHandler(true))
	}

	s.connectRoutes()
	s.functionRoutes()
	s.syncRoutes()
	if s.proxy != nil {
		// Every method; Patchbay's own refusals (authentication included)
		// are marked so clients can tell them from the provider's.
		s.mux.Handle("/proxy/{path...}", markPatchbayErrors(s.authenticate(http.HandlerFunc(s.proxyRequest))))
	}

	public("/", s.noRoute)
}

// ServeHTTP implements http.Handler, with panic recovery and request logs
// around every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusrec.Writer{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			s.logger.ErrorContext(r.Context(), "panic serving request", append(logAttr(r, http.StatusInternalServerError), "panic", v, "stack", string(debug.Stack()))...)
			if rec.Status == 0 {
				s.writeError(rec, r, errors.New("panic"))
			}
		}
		// The path only: query strings can carry tokens. Checked first so
		// that requests pay nothing for a disabled debug log.
		if s.logger.Enabled(r.Context(), slog.LevelDebug) {
			s.logger.DebugContext(r.Context(), "request", append(logAttr(r, rec.Code()), "duration", time.Since(start))...)
		}
	}()
	s.mux.ServeHTTP(rec, r)
}

// noRoute answers requests no route matches, in the API's JSON error shape,
// telling a wrong method (405, with Allow) from an unknown path (404). It is
// the catch-all route, so matched requests never pay for this probing.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.WithContext(r.Context())
		probe.Method = method
		if _, pattern := s.mux.Handler(probe); pattern != "/" {
			allow = append(allow, method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, newError(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	s.writeError(w, r, newError(http.StatusNotFound, "not_found", "no route for %s %s", r.Method, r.URL.Path))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"result": "ok"})
}

type environmentKey struct{}

// environment returns the environment the request authenticated as.
func environment(ctx context.Context) *store.Environment {
	env, _ := ctx.Value(environmentKey{}).(*store.Environment)
	return env
}

// authenticate requires "Authorization: Bearer <secret key>" and puts the
// key's environment in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" {
			s.writeError(w, r, newError(http.StatusUnauthorized, "missing_auth_header", "authentication required: send Authorization: Bearer <secret key>"))
			return
		}
		scheme, key, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
			s.writeError(w, r, newError(http.StatusUnauthorized, "malformed_auth_header", "the Authorization header must be: Bearer <secret key>"))
			return
		}
		env, err := s.auth.BySecretKey(r.Context(), strings.TrimSpace(key))
		if errors.Is(err, store.ErrNotFound) {
			s.writeError(w, r, newError(http.StatusUnauthorized, "unknown_account", "no environment has this secret key"))
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), environmentKey{}, env)))
	})
}
