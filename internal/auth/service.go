// Package auth owns the lifecycle of end users' credentials: the
// authorisation flows of every auth mode (OAuth 2 authorization code and
// client credentials, OAuth 1.0a, API key, basic, JWT, GitHub App), saving
// connections, and refreshing tokens so that any number of concurrent users
// of an expiring token, in any number of processes, cause exactly one call
// to the provider's token endpoint.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store"
)

// Error is a failure the caller (an API client or an end user) can act on.
// It says what went wrong; internal/api chooses the HTTP status from Kind.
// It never carries a secret.
type Error struct {
	// Kind is what sort of failure this is.
	Kind fault.Kind
	// Code is the machine-readable code, Nango's where Nango has one;
	// empty for an invalid member of the input (Field) with no code of
	// its own, which internal/api calls invalid_body or
	// invalid_query_params after where the member came from.
	Code    string
	Message string
	// Field names the request member at fault, when there is one.
	Field []string
	// Err is the underlying cause, for logs.
	Err error
}

// Error is the code and message, then the cause unless the message
// already quotes it.
func (e *Error) Error() string { return fault.Describe(e.Code, e.Message, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// FaultKind reports Kind to fault.KindOf.
func (e *Error) FaultKind() fault.Kind { return e.Kind }

// Fault is what the caller is told, for internal/api.
func (e *Error) Fault() fault.Detail {
	d := fault.Detail{Kind: e.Kind, Code: e.Code, Message: e.Message}
	if len(e.Field) > 0 {
		d.Field = make([]any, len(e.Field))
		for i, seg := range e.Field {
			d.Field[i] = seg
		}
	}
	return d
}

// permanent reports whether the failure will not go away by itself.
func (e *Error) permanent() bool { return !e.Kind.Transient() }

// LogValue is how an Error appears in logs: code and message, then the
// cause, with the provider's answer when there was one (redacted; see
// answerExcerpt), which the message shown to users leaves out.
func (e *Error) LogValue() slog.Value {
	s := e.Error()
	if e.Err == nil {
		return slog.StringValue(s)
	}
	return slog.StringValue(s + answerOf(e.Err))
}

func errorf(kind fault.Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Events receives what other parts of Patchbay must hear about: the
// outbound "auth" webhooks.
type Events interface {
	// ConnectionCreated follows a successful authorisation (operation
	// "creation", or "override" when an existing connection was
	// re-authorised).
	ConnectionCreated(ctx context.Context, c *store.Connection, authMode string, created bool)
	// RefreshFailed follows a refresh the provider refused for good; it is
	// called once per healthy→unhealthy transition.
	RefreshFailed(ctx context.Context, c *store.Connection, authMode string, cause *Error)
}

// Options configure a Service.
type Options struct {
	// The views of the store the service uses (stores.go); Connections
	// and Integrations are the caches in production.
	Connections     Connections
	Integrations    Integrations
	OAuthSessions   OAuthSessions
	ConnectSessions ConnectSessions
	Locker          Locker
	Catalog         *catalog.Catalog
	// ServerURL is Patchbay's public base URL; the OAuth callback is
	// ServerURL + "/oauth/callback".
	ServerURL string
	// Guard checks every URL a flow calls or sends a browser to, and its
	// client makes every call to providers (30 s timeout); nil means the
	// strict default policy, which reaches no internal address but the
	// catalog's own.
	Guard  *outbound.Guard
	Logger *slog.Logger
	Events Events
	// RefreshWindow: tokens expiring within it are refreshed on use and by
	// the background refresher (default 15 minutes).
	RefreshWindow time.Duration
	// RetryBackoff is the first pause between attempts of a token request
	// that failed transiently (doubling; default 250 ms).
	RetryBackoff time.Duration
	// Cooldown is how long after a transient refresh failure the provider
	// is left alone (default 30 s).
	Cooldown time.Duration
	// RefreshPass bounds how many connections one background pass
	// (RefreshExpiring) visits (default 1,000); the next pass resumes
	// where it stopped.
	RefreshPass int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service runs authorisation flows and hands out fresh credentials.
type Service struct {
	conns           Connections
	integs          Integrations
	oauthSessions   OAuthSessions
	connectSessions ConnectSessions
	locker          Locker
	catalog         *catalog.Catalog
	serverURL       string
	guard           *outbound.Guard
	http            *http.Client
	logger          *slog.Logger
	events          Events
	window          time.Duration
	backoff         time.Duration
	cooldown        time.Duration
	now             func() time.Time
	refreshing      singleflight.Group

	// The background refresher's position: RefreshExpiring passes hold
	// sweepMu and resume at sweepAt, so connections it cannot renew (bad
	// rows, providers refusing) do not hide the ones after them.
	sweepMu   sync.Mutex
	sweepAt   store.ExpiringKey
	sweepPass int
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{
		conns:           o.Connections,
		integs:          o.Integrations,
		oauthSessions:   o.OAuthSessions,
		connectSessions: o.ConnectSessions,
		locker:          o.Locker,
		catalog:         o.Catalog,
		serverURL:       o.ServerURL,
		guard:           o.Guard,
		logger:          o.Logger,
		events:          o.Events,
		window:          o.RefreshWindow,
		backoff:         o.RetryBackoff,
		cooldown:        o.Cooldown,
		now:             o.Now,
		sweepPass:       o.RefreshPass,
	}
	if s.sweepPass <= 0 {
		s.sweepPass = 1000
	}
	if s.guard == nil {
		s.guard = outbound.NewGuard(outbound.GuardOptions{})
	}
	s.http = s.guard.Client(30 * time.Second)
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.events == nil {
		s.events = noEvents{}
	}
	if s.window <= 0 {
		s.window = 15 * time.Minute
	}
	if s.backoff <= 0 {
		s.backoff = 250 * time.Millisecond
	}
	if s.cooldown <= 0 {
		s.cooldown = 30 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// CallbackURL is the redirect URI registered with OAuth providers.
func (s *Service) CallbackURL() string { return s.serverURL + "/oauth/callback" }

type noEvents struct{}

func (noEvents) ConnectionCreated(context.Context, *store.Connection, string, bool) {}
func (noEvents) RefreshFailed(context.Context, *store.Connection, string, *Error)   {}

// provider returns the catalog entry of an integration, or an error a user
// can read when the catalog no longer has it.
func (s *Service) provider(in *store.Integration) (*catalog.Provider, error) {
	p, ok := s.catalog.Lookup(in.Provider)
	if !ok {
		return nil, errorf(fault.Invalid, "unknown_provider", "integration %q uses provider %q, which is not in the catalog", in.UniqueKey, in.Provider)
	}
	if !p.Supported() {
		return nil, errorf(fault.Invalid, "unsupported_provider", "provider %q cannot be used: %s", p.Name, p.Unsupported)
	}
	return p, nil
}

// integration loads an integration, turning "not found" into an error that
// names it.
func (s *Service) integration(ctx context.Context, environmentID, key string) (*store.Integration, *catalog.Provider, error) {
	in, err := s.integs.Get(ctx, environmentID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errorf(fault.NotFound, "unknown_provider_config", "integration %q does not exist", key)
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := s.provider(in)
	if err != nil {
		return nil, nil, err
	}
	return in, p, nil
}
