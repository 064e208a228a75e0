// Package apptest starts real Patchbay servers on loopback for tests: the
// same wiring as `patchbay serve`, on a temporary data dir (SQLite) or a
// fresh PostgreSQL schema.
package apptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/vault"
)

// Known secret keys of the test environments.
const (
	DevKey  = "5d0a4a4e-6a8b-4d3e-9a59-0b7c1f0a2d11"
	ProdKey = "9b1f3c2e-47a1-4c55-8e3b-6d2f0e9a7c22"
	// ServerURL is the public URL test servers announce in links; requests
	// go to Server.URL instead.
	ServerURL = "http://patchbay.test"
)

// Backend selects the store of a test server.
type Backend string

// The backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends returns the backends to run end-to-end tests on: SQLite always,
// PostgreSQL when PATCHBAY_TEST_DATABASE_URL is set.
func Backends() []Backend {
	if storetest.PostgresConfigured() {
		return []Backend{SQLite, Postgres}
	}
	return []Backend{SQLite}
}

// Options adjusts a test server.
type Options struct {
	Backend Backend
	// Env overrides PATCHBAY_* variables.
	Env map[string]string
	// DataDir reuses a data dir, to restart a server on the same data.
	DataDir string
	// Logs receives the server's logs at debug level; by default warnings
	// and errors go to the test log.
	Logs io.Writer
	// RealURL makes the server announce its own loopback address as its
	// public URL instead of ServerURL, for flows where a browser or a
	// simulated provider follows links back to it (OAuth callbacks).
	RealURL bool
	// Resolver replaces DNS for the server's outbound requests.
	Resolver outbound.Resolver
}

// Server is a running test server.
type Server struct {
	URL     string // base URL on loopback
	DataDir string
	Env     map[string]string // the configuration it was started with
	// App is the running node, for tests that call its services directly.
	App     *app.App
	stop    func() error
	stopped bool
}

// Client returns an API client authenticated as the dev environment.
func (s *Server) Client() *client.Client { return client.New(s.URL, DevKey) }

// Stop shuts the server down gracefully and waits for it; t's cleanup calls
// it too.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.stopped {
		return
	}
	s.stopped = true
	if err := s.stop(); err != nil {
		t.Errorf("stop server: %v", err)
	}
}

// Start starts a server and stops it when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	env := map[string]string{
		"PATCHBAY_ADDR":             "127.0.0.1:0",
		"PATCHBAY_SERVER_URL":       ServerURL,
		"PATCHBAY_SECRET_KEY_DEV":   DevKey,
		"PATCHBAY_SECRET_KEY_PROD":  ProdKey,
		"PATCHBAY_SHUTDOWN_TIMEOUT": "5s",
	}
	dataDir := o.DataDir
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	env["PATCHBAY_DATA_DIR"] = dataDir
	if o.Backend == Postgres {
		env["PATCHBAY_DATABASE_URL"] = storetest.PostgresURL(t)
		env["PATCHBAY_ENCRYPTION_KEY"] = vault.GenerateKey()
	}
	if o.RealURL {
		addr := freeLoopbackAddr(t)
		env["PATCHBAY_ADDR"] = addr
		env["PATCHBAY_SERVER_URL"] = "http://" + addr
	}
	for k, v := range o.Env {
		env[k] = v
	}
	fs := pflag.NewFlagSet("apptest", pflag.ContinueOnError)
	cfg, err := config.Register(fs, func(k string) string { return env[k] }).Parse()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if o.Logs != nil {
		logger = slog.New(slog.NewTextHandler(o.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var appOpts []app.Option
	if o.Resolver != nil {
		appOpts = append(appOpts, app.WithResolver(o.Resolver))
	}
	a, err := app.New(ctx, cfg, logger, io.Discard, appOpts...)
	if err != nil {
		cancel()
		t.Fatalf("start server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	s := &Server{URL: a.URL(), DataDir: dataDir, Env: env, App: a}
	s.stop = func() error {
		cancel()
		return errors.Join(<-done, a.Close())
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// freeLoopbackAddr reserves a loopback port by listening on it and
// closing it, so the server can be told its URL before it binds. Another
// process could take the port in between; on a test machine that is rare
// enough to accept.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserve a port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// testWriter sends server logs to the test log, so they show with failures.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// LogBuffer collects a server's logs (Options.Logs), which its goroutines
// write concurrently, for a test to search once the server has run.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
