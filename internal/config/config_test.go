package config

import (
	"encoding/base64"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f := Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatalf("flags: %v", err)
	}
	return f.Parse()
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3003" || c.ServerURL != "http://127.0.0.1:3003" || c.DataDir != "./patchbay-data" ||
		!c.Embedded() || c.EncryptionKey != nil || c.LogFormat != "text" || c.LogLevel != slog.LevelInfo ||
		c.ShutdownTimeout != 30*time.Second || len(c.SecretKeys) != 0 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(*Config) bool
	}{
		{"env sets addr", map[string]string{"PATCHBAY_ADDR": "127.0.0.1:4000"}, nil,
			func(c *Config) bool { return c.Addr == "127.0.0.1:4000" && c.ServerURL == "http://127.0.0.1:4000" }},
		{"flag beats env", map[string]string{"PATCHBAY_ADDR": "127.0.0.1:4000"}, []string{"--addr", "127.0.0.1:5000"},
			func(c *Config) bool { return c.Addr == "127.0.0.1:5000" }},
		{"wildcard host gets localhost url", nil, []string{"--addr", ":3003"},
			func(c *Config) bool { return c.ServerURL == "http://localhost:3003" }},
		{"server url trailing slash", map[string]string{"PATCHBAY_SERVER_URL": "https://pb.example.com/"}, nil,
			func(c *Config) bool { return c.ServerURL == "https://pb.example.com" }},
		{"postgres", map[string]string{"PATCHBAY_DATABASE_URL": "postgres://u:p@db/x", "PATCHBAY_ENCRYPTION_KEY": key}, nil,
			func(c *Config) bool { return !c.Embedded() && len(c.EncryptionKey) == 32 }},
		{"secret keys", map[string]string{"PATCHBAY_SECRET_KEY_DEV": "0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21"}, nil,
			func(c *Config) bool {
				return c.SecretKeys["dev"] == "0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21" && c.SecretKeys["prod"] == ""
			}},
		{"json debug", nil, []string{"--log-format", "json", "--log-level", "debug"},
			func(c *Config) bool { return c.LogFormat == "json" && c.LogLevel == slog.LevelDebug }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parse(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("config = %+v", c)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	const dbPassword = "hunter2-db-password"
	const badKey = "c2hvcnQta2V5LXNlY3JldA=="
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		secrets []string
	}{
		{name: "addr", env: map[string]string{"PATCHBAY_ADDR": "nope"}, want: []string{"PATCHBAY_ADDR (--addr)", "host:port"}},
		{name: "port", args: []string{"--addr", "127.0.0.1:99999"}, want: []string{"PATCHBAY_ADDR", "99999"}},
		{name: "server url", env: map[string]string{"PATCHBAY_SERVER_URL": "ftp://x"}, want: []string{"PATCHBAY_SERVER_URL (--server-url)"}},
		{name: "data dir", args: []string{"--data-dir", ""}, want: []string{"PATCHBAY_DATA_DIR"}},
		{name: "database url", env: map[string]string{"PATCHBAY_DATABASE_URL": "mysql://u:" + dbPassword + "@h/x", "PATCHBAY_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(make([]byte, 32))},
			want: []string{"PATCHBAY_DATABASE_URL", "postgres://"}, secrets: []string{dbPassword}},
		{name: "postgres needs a key", env: map[string]string{"PATCHBAY_DATABASE_URL": "postgres://h/x"}, want: []string{"PATCHBAY_ENCRYPTION_KEY", "required"}},
		{name: "short key", env: map[string]string{"PATCHBAY_ENCRYPTION_KEY": badKey}, want: []string{"PATCHBAY_ENCRYPTION_KEY", "16 bytes"}, secrets: []string{badKey}},
		{name: "not base64", env: map[string]string{"PATCHBAY_ENCRYPTION_KEY": "%%%"}, want: []string{"PATCHBAY_ENCRYPTION_KEY", "base64"}},
		{name: "secret key not uuid", env: map[string]string{"PATCHBAY_SECRET_KEY_PROD": "letmein"}, want: []string{"PATCHBAY_SECRET_KEY_PROD", "UUIDv4"}, secrets: []string{"letmein"}},
		{name: "secret key v1", env: map[string]string{"PATCHBAY_SECRET_KEY_DEV": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}, want: []string{"PATCHBAY_SECRET_KEY_DEV", "UUIDv4"}},
		{name: "same key twice", env: map[string]string{
			"PATCHBAY_SECRET_KEY_DEV": "0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21", "PATCHBAY_SECRET_KEY_PROD": "0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21",
		}, want: []string{"PATCHBAY_SECRET_KEY_PROD", "same as PATCHBAY_SECRET_KEY_DEV"}},
		{name: "providers file", args: []string{"--providers-file", filepath.Join(t.TempDir(), "missing.yaml")}, want: []string{"PATCHBAY_PROVIDERS_FILE", "no such file"}},
		{name: "providers dir", args: []string{"--providers-file", t.TempDir()}, want: []string{"PATCHBAY_PROVIDERS_FILE", "directory"}},
		{name: "log format", args: []string{"--log-format", "xml"}, want: []string{"PATCHBAY_LOG_FORMAT (--log-format)", "xml"}},
		{name: "log level", env: map[string]string{"PATCHBAY_LOG_LEVEL": "loud"}, want: []string{"PATCHBAY_LOG_LEVEL", "loud"}},
		{name: "shutdown", args: []string{"--shutdown-timeout", "-1s"}, want: []string{"PATCHBAY_SHUTDOWN_TIMEOUT"}},
		{name: "all reported at once", env: map[string]string{"PATCHBAY_ADDR": "x", "PATCHBAY_LOG_FORMAT": "xml"}, want: []string{"PATCHBAY_ADDR", "PATCHBAY_LOG_FORMAT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("Parse accepted the configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestRegisterSomeFlags(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("keys", pflag.ContinueOnError)
	env := map[string]string{"PATCHBAY_ADDR": "127.0.0.1:4000", "PATCHBAY_REFRESH_WINDOW": "forever"}
	f := Register(fs, func(k string) string { return env[k] }, StoreFlags...)
	var names []string
	fs.VisitAll(func(fl *pflag.Flag) { names = append(names, fl.Name) })
	if strings.Join(names, ",") != "data-dir,database-url,log-format,log-level" {
		t.Fatalf("flags = %v, want the store's", names)
	}
	if err := fs.Parse([]string{"--data-dir", "/tmp/x"}); err != nil {
		t.Fatal(err)
	}
	// Settings without a flag still come from the environment, and an error
	// about one names the variable alone.
	_, err := f.Parse()
	if err == nil || !strings.Contains(err.Error(), "PATCHBAY_REFRESH_WINDOW: want") || strings.Contains(err.Error(), "--refresh-window") {
		t.Fatalf("err = %v", err)
	}
	delete(env, "PATCHBAY_REFRESH_WINDOW")
	fs = pflag.NewFlagSet("keys", pflag.ContinueOnError)
	f = Register(fs, func(k string) string { return env[k] }, StoreFlags...)
	if err := fs.Parse([]string{"--data-dir", "/tmp/x"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.Parse()
	if err != nil || c.DataDir != "/tmp/x" || c.Addr != "127.0.0.1:4000" || c.RefreshWindow != 15*time.Minute {
		t.Fatalf("config = %+v, %v", c, err)
	}
}
