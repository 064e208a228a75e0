// Package app wires Patchbay together: configuration → encryption key →
// store → catalog → domain services → HTTP server, and tears it down in
// reverse order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/actions"
	"github.com/patchbay/patchbay/internal/api"
	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/connect"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/serverhost"
	"github.com/patchbay/patchbay/internal/integrations"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/proxy"
	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/settings"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/cache"
	"github.com/patchbay/patchbay/internal/syncs"
	"github.com/patchbay/patchbay/internal/webhooks"
)

// App is a provisioned Patchbay node.
type App struct {
	cfg      *config.Config
	logger   *slog.Logger
	store    store.Store
	release  func() // the data-dir lock, embedded mode only
	catalog  *catalog.Catalog
	listener net.Listener
	server   *http.Server
	auth     *auth.Service
	hub      *connect.Hub
	flows    *connect.Flows
	webhooks *webhooks.Sender
	fresh    freshConns
	envs     *cache.Environments
	conns    *cache.Connections
	integs   *cache.Integrations
	proxy    *proxy.Proxy
	runtime  *functions.Runtime
	deploys  *cache.Deployments
	actions  *actions.Service
	syncs    *syncs.Service
	jobs     jobs
}

// Option adjusts a node beyond its configuration; tests use them.
type Option func(*options)

type options struct {
	resolver outbound.Resolver
}

// WithResolver makes outbound requests resolve host names with r instead
// of the system's DNS, so tests can point names at any address.
func WithResolver(r outbound.Resolver) Option {
	return func(o *options) { o.resolver = r }
}

// New provisions a node: it binds the listen address, loads the catalog,
// opens the store (creating and migrating it on first start) and creates
// the environments. keysOut receives the secret keys generated on first start,
// printed once and never logged.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, keysOut io.Writer, opts ...Option) (_ *App, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a := &App{cfg: cfg, logger: logger}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	// Bind first: a busy address must fail the start before the data dir,
	// the encryption key and the once-shown secret keys are created.
	if a.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if a.catalog, err = catalog.Load(cfg.ProvidersFile); err != nil {
		return nil, fmt.Errorf("provider catalog: %w", err)
	}
	if a.store, a.release, err = OpenStore(ctx, cfg, logger); err != nil {
		return nil, err
	}
	if err := ensureEnvironments(ctx, a.store.Environments(), cfg, logger, keysOut); err != nil {
		return nil, err
	}

	// One address policy for every request to a provider or a customer.
	guard := outbound.NewGuard(outbound.GuardOptions{AllowedNetworks: cfg.ProxyAllowedNetworks, Resolver: o.resolver})
	a.webhooks = webhooks.NewSender(a.store.Settings(), a.store.Environments(), guard, logger)
	// Syncs hear of new connections too; the service is made below, as it
	// runs functions through the auth service and the proxy.
	events := &authEvents{hooks: webhooks.AuthEvents{Sender: a.webhooks}, logger: logger}
	a.conns = cache.NewConnections(a.store.Connections(), a.store.Notifier(), 0)
	a.integs = cache.NewIntegrations(a.store.Integrations(), a.store.Notifier(), 0)
	a.auth = auth.New(auth.Options{
		Connections:     a.conns,
		Integrations:    a.integs,
		OAuthSessions:   a.store.OAuthSessions(),
		ConnectSessions: a.store.ConnectSessions(),
		Locker:          a.store.Locker(),
		Catalog:         a.catalog,
		ServerURL:       cfg.ServerURL,
		Guard:           guard,
		Logger:          logger,
		Events:          events,
		RefreshWindow:   cfg.RefreshWindow,
	})
	sessions := connect.NewSessions(connect.Stores{Integrations: a.integs, Connections: a.conns,
		ConnectSessions: a.store.ConnectSessions(), Settings: a.store.Settings()}, a.catalog, cfg.ServerURL, nil)
	a.proxy = proxy.New(proxy.Options{
		Connections:  a.auth,
		Integrations: a.integs,
		Catalog:      a.catalog,
		Guard:        guard,
		Throttle:     proxy.NewThrottle(a.store.Throttles(), proxy.ThrottleOptions{}),
		Logger:       logger,
	})
	a.runtime = functions.NewRuntime()
	a.deploys = cache.NewDeployments(a.store.Deployments(), a.store.Notifier(), 0)
	fc := cfg.FunctionConcurrency
	limiter := functions.NewLimiter(fc.PerConnection, fc.PerEnvironment, fc.Node)
	hostDeps := &serverhost.Deps{Proxy: a.proxy, Auth: a.auth, Variables: a.store.Settings(), Locks: a.store.FunctionLocks(), Logger: logger, Guard: guard}
	a.syncs = syncs.New(syncs.Options{
		Instances:    a.store.SyncInstances(),
		Records:      records.New(a.store.Records()),
		Deployments:  a.deploys,
		Connections:  a.conns,
		Integrations: a.integs,
		Runtime:      a.runtime,
		Limiter:      limiter,
		Host:         hostDeps,
		Events:       webhooks.SyncEvents{Sender: a.webhooks},
		Logger:       logger,
		Workers:      syncWorkers(fc.Node),
		Memory:       cfg.FunctionMemory,
		Timeout:      cfg.SyncTimeout,
		LeaseTTL:     cfg.SyncLease,
		MaxAttempts:  cfg.SyncAttempts,
	})
	events.syncs = a.syncs
	a.actions = actions.New(actions.Options{
		Runs:         a.store.ActionRuns(),
		Deployments:  a.deploys,
		Connections:  a.conns,
		Integrations: a.integs,
		Runtime:      a.runtime,
		Limiter:      limiter,
		Host:         hostDeps,
		Memory:       cfg.FunctionMemory,
		Timeout:      cfg.ActionTimeout,
		Logger:       logger,
		Done:         webhooks.AsyncActionEvents{Sender: a.webhooks}.Done,
		Lease:        cfg.SyncLease,
		Node:         a.syncs.Node(), // one name for the node in every run it records
		Deployed:     a.syncs.Deployed,
		UndeploySync: a.syncs.Undeploy,
	})
	if a.jobs, err = newJobs(a.store, a.actions, a.syncs, max(fc.PerEnvironment, 1), syncWorkers(fc.Node), cfg.ShutdownTimeout, logger); err != nil {
		return nil, err
	}
	a.actions.SetEnqueuer(a.jobs)
	a.syncs.SetEnqueuer(a.jobs)
	a.hub = connect.NewHub(logger)
	a.flows = connect.NewFlows(sessions, a.auth, a.hub, a.store.Notifier(), logger)
	a.envs = cache.NewEnvironments(a.store.Environments(), a.store.Notifier(), 0)
	handler := api.New(api.Options{
		Logger:       logger,
		ServerURL:    cfg.ServerURL,
		Auth:         a.envs,
		Catalog:      a.catalog,
		Integrations: integrations.New(a.integs, a.catalog),
		Connections:  a.auth,
		Sessions:     sessions,
		Credentials:  a.flows,
		Settings:     settings.New(a.store.Settings(), a.envs, cfg.ServerURL),
		Flows:        a.flows,
		Proxy:        a.proxy,
		Actions:      a.actions,
		Syncs:        a.syncs,
	})
	a.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState:         a.fresh.track,
	}
	// Shutdown runs this once its listeners are closed, so no fresh
	// connection appears after it.
	a.server.RegisterOnShutdown(a.fresh.closeAll)
	return a, nil
}

// freshConns tracks connections that have not sent a request yet.
// http.Server.Shutdown counts them as busy for their first five seconds,
// so a client that dialled a spare connection (Go's transport does, under
// concurrency) would hold every shutdown for that long; they have nothing
// in flight, so shutdown closes them at once, as it does idle ones.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (f *freshConns) track(c net.Conn, state http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if state == http.StateNew {
		if f.conns == nil {
			f.conns = map[net.Conn]struct{}{}
		}
		f.conns[c] = struct{}{}
		return
	}
	delete(f.conns, c)
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
	}
	clear(f.conns)
}

// Addr is the address the node listens on (useful with port 0).
func (a *App) Addr() string { return a.listener.Addr().String() }

// URL is the node's base URL on its listen address.
func (a *App) URL() string { return "http://" + a.Addr() }

// stopGrace is how long the jobs a shutdown cancelled have to record
// how they ended.
const stopGrace = 10 * time.Second

// Run serves until ctx is cancelled, then stops accepting connections and
// waits up to the configured shutdown timeout for requests and async
// actions in flight; sync runs are handed over at once.
func (a *App) Run(ctx context.Context) error {
	a.logger.Info("patchbay is serving",
		"addr", a.Addr(), "server_url", a.cfg.ServerURL, "store", a.store.Dialect(), "providers", a.catalog.Len())
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() { a.maintain(bgCtx, time.Minute) })
	background.Go(func() {
		if err := a.integs.Listen(bgCtx); err != nil && bgCtx.Err() == nil {
			a.logger.ErrorContext(bgCtx, "integration cache listener stopped", "err", err)
		}
	})
	background.Go(func() {
		if err := a.conns.Listen(bgCtx); err != nil && bgCtx.Err() == nil {
			a.logger.ErrorContext(bgCtx, "connection cache listener stopped", "err", err)
		}
	})
	background.Go(func() {
		if err := a.envs.Listen(bgCtx); err != nil && bgCtx.Err() == nil {
			a.logger.ErrorContext(bgCtx, "environment key listener stopped", "err", err)
		}
	})
	background.Go(func() {
		if err := a.deploys.Listen(bgCtx); err != nil && bgCtx.Err() == nil {
			a.logger.ErrorContext(bgCtx, "deployment cache listener stopped", "err", err)
		}
	})
	background.Go(func() {
		if err := a.flows.Relay(bgCtx); err != nil && bgCtx.Err() == nil {
			a.logger.ErrorContext(bgCtx, "connect relay stopped", "err", err)
		}
	})
	// Started after the listeners above: on PostgreSQL it takes a moment,
	// and a cross-node result (the connect relay) sent meanwhile would be
	// lost.
	// A shutdown that comes while it starts is not a failure to start.
	// River gets a context of its own: cancelling the one given to Start
	// cancels the jobs in flight at once, and the shutdown gives them
	// time first (stopJobs).
	jobsCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	if err := a.jobs.Start(jobsCtx); err != nil && ctx.Err() == nil {
		stopBackground()
		background.Wait()
		return fmt.Errorf("start the job queue: %w", err)
	}
	background.Go(func() { a.syncs.Schedule(bgCtx) })
	background.Go(func() { a.actions.Watch(bgCtx) })
	// stopJobs hands the sync runs over at once (they resume from their
	// checkpoints on another node, or here after a restart) and gives the
	// actions in flight the shutdown timeout to finish; River then
	// cancels them, and they have stopGrace to record how they ended.
	stopJobs := sync.OnceFunc(func() {
		a.syncs.HandOver()
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout+stopGrace)
		defer cancel()
		if err := a.jobs.Stop(stopCtx); err != nil {
			a.logger.Warn("stop the job queue", "err", err)
		}
	})
	defer func() {
		stopJobs() // or wait for the call the shutdown started
		stopBackground()
		background.Wait()
		a.webhooks.Close()
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Beside the HTTP server's shutdown: the job queue stops fetching at
	// once, so no job handed over is fetched here again.
	go stopJobs()
	// Websockets are hijacked connections Shutdown does not wait for;
	// close them so browsers reconnect elsewhere.
	a.hub.Close()
	a.logger.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// maintain runs the node's periodic work until ctx ends: refreshing
// credentials about to expire and dropping expired sessions. Every node
// runs it; the refresh lock keeps nodes from refreshing a token twice.
func (a *App) maintain(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := a.auth.RefreshExpiring(ctx); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "background refresh", "err", err)
		}
		now := time.Now()
		if _, err := a.store.ConnectSessions().DeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "delete expired connect sessions", "err", err)
		}
		if _, err := a.store.OAuthSessions().DeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "delete expired OAuth sessions", "err", err)
		}
		if _, err := a.store.ActionRuns().DeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "delete expired action runs", "err", err)
		}
		if _, err := a.store.FunctionLocks().DeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "delete expired function locks", "err", err)
		}
		if envs, err := a.store.Environments().List(ctx); err == nil {
			ids := make([]string, len(envs))
			for i, e := range envs {
				ids[i] = e.ID
			}
			if err := a.syncs.Maintain(ctx, ids, syncRunsKept); err != nil && ctx.Err() == nil {
				a.logger.WarnContext(ctx, "sync housekeeping", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Proxy is the node's proxy (for tests and tools).
func (a *App) Proxy() *proxy.Proxy { return a.proxy }

// Syncs is the node's sync service (for tests and tools).
func (a *App) Syncs() *syncs.Service { return a.syncs }

// Store is the node's store, for tests that change rows as another node
// (or one that died) would have left them.
func (a *App) Store() store.Store { return a.store }

// EnvironmentID returns the id of the environment named name.
func (a *App) EnvironmentID(ctx context.Context, name string) (string, error) {
	env, err := a.store.Environments().ByName(ctx, name)
	if err != nil {
		return "", err
	}
	return env.ID, nil
}

// Close releases everything New acquired, in reverse order.
func (a *App) Close() error {
	var err error
	if a.listener != nil && a.server == nil {
		err = a.listener.Close()
	}
	if a.runtime != nil {
		a.runtime.Close()
	}
	if a.store != nil {
		err = errors.Join(err, a.store.Close())
	}
	if a.release != nil {
		a.release()
	}
	return err
}

// syncRunsKept is how long the records of finished sync runs are kept.
const syncRunsKept = 7 * 24 * time.Hour

// syncWorkers is how many sync runs a node runs at once: a quarter of its
// function slots, at least 2, so long syncs leave room for actions.
func syncWorkers(node int) int {
	if node <= 0 {
		node = 256
	}
	return max(node/4, 2)
}

// authEvents passes auth's events to the auth webhooks and to syncs,
// which make a new connection's sync instances.
type authEvents struct {
	hooks  webhooks.AuthEvents
	syncs  *syncs.Service
	logger *slog.Logger
}

// ConnectionCreated implements auth.Events.
func (e *authEvents) ConnectionCreated(ctx context.Context, c *store.Connection, mode string, created bool) {
	if e.syncs != nil {
		if err := e.syncs.ConnectionCreated(ctx, c); err != nil {
			e.logger.ErrorContext(ctx, "create the sync instances of a new connection", "integration", c.IntegrationKey, "connection", c.ConnectionID, "err", err)
		}
	}
	e.hooks.ConnectionCreated(ctx, c, mode, created)
}

// RefreshFailed implements auth.Events.
func (e *authEvents) RefreshFailed(ctx context.Context, c *store.Connection, mode string, cause *auth.Error) {
	e.hooks.RefreshFailed(ctx, c, mode, cause)
}
