// Package config reads Patchbay's settings from PATCHBAY_* environment
// variables and command-line flags (a flag wins over its variable), and
// validates them all at once so a bad start reports every bad value, each
// with the name of the variable or flag to fix.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/patchbay/patchbay/internal/vault"
)

// Config is the validated configuration.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string
	// ServerURL is the public base URL, without a trailing slash; it goes
	// into OAuth callback URLs, connect links and webhook URLs.
	ServerURL string
	// DataDir holds the embedded database and the generated encryption key.
	DataDir string
	// DatabaseURL selects PostgreSQL when set.
	DatabaseURL string
	// EncryptionKey is the decoded PATCHBAY_ENCRYPTION_KEY, or nil when
	// unset (embedded mode then uses the key file in DataDir).
	EncryptionKey []byte
	// SecretKeys maps an environment name to the secret key it gets on
	// first start (PATCHBAY_SECRET_KEY_<NAME>).
	SecretKeys map[string]string
	// ProvidersFile is a Nango-format providers.yaml loaded over the
	// built-in catalog.
	ProvidersFile   string
	LogFormat       string // "text" or "json"
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// RefreshWindow: credentials expiring within it are refreshed on use
	// and by the background refresher.
	RefreshWindow time.Duration
	// ProxyAllowedNetworks are internal networks every outbound request
	// (proxy, credential checks, token requests, OAuth 1.0a, webhooks)
	// may reach even when its host did not come from the catalog itself.
	ProxyAllowedNetworks []netip.Prefix
	// FunctionMemory is each function execution's heap limit in bytes.
	FunctionMemory int64
	// ActionTimeout bounds one action execution.
	ActionTimeout time.Duration
	// FunctionConcurrency caps concurrent executions: per connection, per
	// environment and on the node.
	FunctionConcurrency FunctionConcurrency
	// SyncTimeout bounds one sync run.
	SyncTimeout time.Duration
	// SyncLease is how long a sync run may go without a heartbeat before
	// it is taken over.
	SyncLease time.Duration
	// SyncAttempts is how many times a failing sync run is tried.
	SyncAttempts int
}

// FunctionConcurrency are the caps on concurrent function executions.
type FunctionConcurrency struct {
	PerConnection, PerEnvironment, Node int
}

// Embedded reports whether Patchbay runs on the embedded SQLite store.
func (c *Config) Embedded() bool { return c.DatabaseURL == "" }

// Environments are created on first start, in this order.
var Environments = []string{"dev", "prod"}

// SecretKeyVar names the variable that sets env's secret key on first start.
func SecretKeyVar(env string) string { return "PATCHBAY_SECRET_KEY_" + strings.ToUpper(env) }

// Flags holds the raw values before validation.
type Flags struct {
	addr, serverURL, dataDir, databaseURL, providersFile string
	logFormat, logLevel, shutdownTimeout, refreshWindow  string
	proxyAllowedNetworks                                 string
	functionMemory, actionTimeout, functionConcurrency   string
	syncTimeout, syncLease, syncAttempts                 string
	getenv                                               func(string) string
	flags                                                map[string]bool // the flags registered
}

type setting struct {
	env, flag, def, usage string
	dest                  func(*Flags) *string
}

var settings = []setting{
	{"PATCHBAY_ADDR", "addr", "127.0.0.1:3003", "listen address (host:port)", func(f *Flags) *string { return &f.addr }},
	{"PATCHBAY_SERVER_URL", "server-url", "", "public base URL (default http://<addr>)", func(f *Flags) *string { return &f.serverURL }},
	{"PATCHBAY_DATA_DIR", "data-dir", "./patchbay-data", "directory of the embedded SQLite store and generated key", func(f *Flags) *string { return &f.dataDir }},
	{"PATCHBAY_DATABASE_URL", "database-url", "", "postgres://… to use PostgreSQL instead of SQLite", func(f *Flags) *string { return &f.databaseURL }},
	{"PATCHBAY_PROVIDERS_FILE", "providers-file", "", "Nango-format providers.yaml loaded over the built-in catalog", func(f *Flags) *string { return &f.providersFile }},
	{"PATCHBAY_LOG_FORMAT", "log-format", "text", "log format: text or json", func(f *Flags) *string { return &f.logFormat }},
	{"PATCHBAY_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error", func(f *Flags) *string { return &f.logLevel }},
	{"PATCHBAY_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30s", "how long a graceful shutdown waits for requests and async actions in flight", func(f *Flags) *string { return &f.shutdownTimeout }},
	{"PATCHBAY_REFRESH_WINDOW", "refresh-window", "15m", "refresh credentials that expire within this window (on use and in the background)", func(f *Flags) *string { return &f.refreshWindow }},
	{"PATCHBAY_FUNCTION_MEMORY", "function-memory", "256MiB", "heap limit of each function execution (e.g. 128MiB, 1GiB)", func(f *Flags) *string { return &f.functionMemory }},
	{"PATCHBAY_ACTION_TIMEOUT", "action-timeout", "5m", "time limit of one action execution", func(f *Flags) *string { return &f.actionTimeout }},
	{"PATCHBAY_SYNC_TIMEOUT", "sync-timeout", "24h", "time limit of one sync run", func(f *Flags) *string { return &f.syncTimeout }},
	{"PATCHBAY_SYNC_LEASE", "sync-lease", "2m", "how long a node may go silent before its sync runs are taken over by another node (resumed from their checkpoints) and its async action runs are failed", func(f *Flags) *string { return &f.syncLease }},
	{"PATCHBAY_SYNC_ATTEMPTS", "sync-attempts", "3", "attempts of a failing sync run before the sync shows ERROR and waits for its next scheduled run", func(f *Flags) *string { return &f.syncAttempts }},
	{"PATCHBAY_FUNCTION_CONCURRENCY", "function-concurrency", "8,64,256", "concurrent function executions per connection, per environment and per node", func(f *Flags) *string { return &f.functionConcurrency }},
	{"PATCHBAY_PROXY_ALLOWED_NETWORKS", "proxy-allowed-networks", "", "comma-separated CIDRs of internal networks outbound requests (proxy, auth flows, webhooks) may reach (loopback, private and link-local are refused unless the catalog's own URL points there)", func(f *Flags) *string { return &f.proxyAllowedNetworks }},
}

// StoreFlags are the flags of a command that only opens the store (keys):
// where the data is and how to log.
var StoreFlags = []string{"data-dir", "database-url", "log-format", "log-level"}

// Register adds flags to fs for the settings named in flags (every setting
// when none are named), each defaulting to its environment variable, then
// to the built-in default. Settings without a flag still take their
// variable or default, so every command validates the same configuration.
// getenv is os.Getenv outside tests. Secrets (the encryption key and secret
// keys) are read from the environment only, never from flags, which other
// users of the machine can read.
func Register(fs *pflag.FlagSet, getenv func(string) string, flags ...string) *Flags {
	f := &Flags{getenv: getenv, flags: map[string]bool{}}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		if len(flags) > 0 && !slices.Contains(flags, s.flag) {
			*s.dest(f) = def
			continue
		}
		f.flags[s.flag] = true
		fs.StringVar(s.dest(f), s.flag, def, s.usage+" ["+s.env+"]")
	}
	return f
}

// FieldError is one invalid setting.
type FieldError struct {
	Name    string // "PATCHBAY_ADDR (--addr)"
	Message string
}

func (e *FieldError) Error() string { return e.Name + ": " + e.Message }

// Parse validates everything and returns the configuration, or an error
// joining one FieldError per bad value.
func (f *Flags) Parse() (*Config, error) {
	var errs []error
	bad := func(env, msg string, args ...any) {
		name := env
		for _, s := range settings {
			if s.env == env && f.flags[s.flag] {
				name = env + " (--" + s.flag + ")"
			}
		}
		errs = append(errs, &FieldError{Name: name, Message: fmt.Sprintf(msg, args...)})
	}
	c := &Config{
		Addr: f.addr, DataDir: f.dataDir, DatabaseURL: f.databaseURL, ProvidersFile: f.providersFile,
		LogFormat: f.logFormat, SecretKeys: map[string]string{},
	}

	host, port, err := net.SplitHostPort(f.addr)
	if err != nil {
		bad("PATCHBAY_ADDR", "want host:port, e.g. 127.0.0.1:3003")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("PATCHBAY_ADDR", "port %q is not a number from 0 to 65535", port)
	}

	if f.serverURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.ServerURL = "http://" + net.JoinHostPort(host, port)
	} else if u, err := url.Parse(f.serverURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("PATCHBAY_SERVER_URL", "want an absolute http(s) URL without query, e.g. https://patchbay.example.com")
	} else {
		c.ServerURL = strings.TrimRight(u.String(), "/")
	}

	if c.DataDir == "" {
		bad("PATCHBAY_DATA_DIR", "must not be empty")
	}
	if c.DatabaseURL != "" {
		// The value may hold a password: say what is wrong, never echo it.
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("PATCHBAY_DATABASE_URL", "want a postgres:// or postgresql:// URL")
		}
	}
	if c.ProvidersFile != "" {
		if st, err := os.Stat(c.ProvidersFile); err != nil {
			bad("PATCHBAY_PROVIDERS_FILE", "%v", err)
		} else if st.IsDir() {
			bad("PATCHBAY_PROVIDERS_FILE", "%s is a directory, want a providers.yaml file", c.ProvidersFile)
		}
	}

	if s := f.getenv("PATCHBAY_ENCRYPTION_KEY"); s != "" {
		key, err := vault.ParseKey(s)
		if err != nil {
			bad("PATCHBAY_ENCRYPTION_KEY", "%v", err)
		}
		c.EncryptionKey = key
	} else if c.DatabaseURL != "" {
		bad("PATCHBAY_ENCRYPTION_KEY", "required with PATCHBAY_DATABASE_URL, so that every node shares one key (generate one with: openssl rand -base64 32)")
	}

	seen := map[string]string{}
	for _, env := range Environments {
		name := SecretKeyVar(env)
		s := f.getenv(name)
		if s == "" {
			continue
		}
		if id, err := uuid.Parse(s); err != nil || id.Version() != 4 || id.String() != strings.ToLower(s) {
			bad(name, "want a UUIDv4 such as 0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21")
			continue
		}
		if other, dup := seen[s]; dup {
			bad(name, "is the same as %s; each environment needs its own key", other)
			continue
		}
		seen[s] = name
		c.SecretKeys[env] = s
	}

	switch f.logFormat {
	case "text", "json":
	default:
		bad("PATCHBAY_LOG_FORMAT", "want text or json, got %q", f.logFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(f.logLevel)); err != nil {
		bad("PATCHBAY_LOG_LEVEL", "want debug, info, warn or error, got %q", f.logLevel)
	}
	if d, err := time.ParseDuration(f.shutdownTimeout); err != nil || d <= 0 {
		bad("PATCHBAY_SHUTDOWN_TIMEOUT", "want a positive duration such as 30s, got %q", f.shutdownTimeout)
	} else {
		c.ShutdownTimeout = d
	}
	if d, err := time.ParseDuration(f.refreshWindow); err != nil || d <= 0 || d > 24*time.Hour {
		bad("PATCHBAY_REFRESH_WINDOW", "want a duration between 1s and 24h such as 15m, got %q", f.refreshWindow)
	} else {
		c.RefreshWindow = d
	}
	for _, item := range strings.Split(f.proxyAllowedNetworks, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(item)
		if err != nil {
			bad("PATCHBAY_PROXY_ALLOWED_NETWORKS", "want CIDRs such as 10.0.0.0/8, got %q", item)
			continue
		}
		c.ProxyAllowedNetworks = append(c.ProxyAllowedNetworks, prefix.Masked())
	}

	if n, ok := parseBytes(f.functionMemory); !ok || n < 16<<20 || n > 16<<30 {
		bad("PATCHBAY_FUNCTION_MEMORY", "want a size between 16MiB and 16GiB such as 256MiB, got %q", f.functionMemory)
	} else {
		c.FunctionMemory = n
	}
	if d, err := time.ParseDuration(f.actionTimeout); err != nil || d < time.Second || d > 24*time.Hour {
		bad("PATCHBAY_ACTION_TIMEOUT", "want a duration between 1s and 24h such as 5m, got %q", f.actionTimeout)
	} else {
		c.ActionTimeout = d
	}
	if d, err := time.ParseDuration(f.syncTimeout); err != nil || d < time.Second || d > 7*24*time.Hour {
		bad("PATCHBAY_SYNC_TIMEOUT", "want a duration between 1s and 168h such as 24h, got %q", f.syncTimeout)
	} else {
		c.SyncTimeout = d
	}
	if d, err := time.ParseDuration(f.syncLease); err != nil || d < time.Second || d > time.Hour {
		bad("PATCHBAY_SYNC_LEASE", "want a duration between 1s and 1h such as 2m, got %q", f.syncLease)
	} else {
		c.SyncLease = d
	}
	if n, err := strconv.Atoi(strings.TrimSpace(f.syncAttempts)); err != nil || n < 1 || n > 25 {
		bad("PATCHBAY_SYNC_ATTEMPTS", "want a whole number from 1 to 25, got %q", f.syncAttempts)
	} else {
		c.SyncAttempts = n
	}
	if caps := strings.Split(f.functionConcurrency, ","); len(caps) != 3 {
		bad("PATCHBAY_FUNCTION_CONCURRENCY", "want three numbers: per connection, per environment, per node (e.g. 8,64,256), got %q", f.functionConcurrency)
	} else {
		var n [3]int
		ok := true
		for i, c := range caps {
			v, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || v < 1 || v > 100_000 {
				ok = false
			}
			n[i] = v
		}
		switch {
		case !ok:
			bad("PATCHBAY_FUNCTION_CONCURRENCY", "want three positive numbers such as 8,64,256, got %q", f.functionConcurrency)
		case n[0] > n[1] || n[1] > n[2]:
			bad("PATCHBAY_FUNCTION_CONCURRENCY", "per connection ≤ per environment ≤ per node, got %q", f.functionConcurrency)
		default:
			c.FunctionConcurrency = FunctionConcurrency{PerConnection: n[0], PerEnvironment: n[1], Node: n[2]}
		}
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// Logger returns the slog logger the configuration asks for.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseBytes reads a size: a number of bytes or one with a KiB, MiB or
// GiB suffix (KB, MB, GB are read as the same binary units).
func parseBytes(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, false
	}
	return n * mult, true
}
