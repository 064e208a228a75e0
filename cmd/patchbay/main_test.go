package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/vault"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// run executes one patchbay command line and returns its stdout.
func run(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	root := newRoot(&stdout, &stderr, func(k string) string { return env[k] })
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return stdout.String(), err
}

// serveOnce runs `patchbay serve` until it is serving, then stops it the way
// SIGTERM would, by cancelling its context, and returns what it printed.
func serveOnce(t *testing.T, env map[string]string) (stdout, stderr *syncBuffer) {
	t.Helper()
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	startServe(t, env, stdout, stderr)()
	return stdout, stderr
}

// serveInBackground runs `patchbay serve` until stop is called.
func serveInBackground(t *testing.T, env map[string]string) (stop func()) {
	t.Helper()
	return startServe(t, env, &syncBuffer{}, &syncBuffer{})
}

// startServe runs `patchbay serve` and returns once it is serving; stop
// cancels it and waits for a clean exit.
func startServe(t *testing.T, env map[string]string, stdout, stderr *syncBuffer) (stop func()) {
	t.Helper()
	root := newRoot(stdout, stderr, func(k string) string { return env[k] })
	root.SetArgs([]string{"serve"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	for !strings.Contains(stderr.String(), "patchbay is serving") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited: %v: %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
	}
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

func TestServeAndKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"PATCHBAY_DATA_DIR": dir, "PATCHBAY_ADDR": "127.0.0.1:0"}

	// First start: keys are generated and printed once.
	stdout, stderr := serveOnce(t, env)
	printed := uuidPattern.FindAllString(stdout.String(), -1)
	if len(printed) != 2 || !strings.Contains(stdout.String(), `"dev"`) || !strings.Contains(stdout.String(), `"prod"`) {
		t.Fatalf("first start printed %q, want a key for dev and prod", stdout.String())
	}
	if strings.Contains(stderr.String(), printed[0]) || strings.Contains(stderr.String(), printed[1]) {
		t.Fatal("a secret key reached the log")
	}
	if !strings.Contains(stderr.String(), "generated a new encryption key") || !strings.Contains(stderr.String(), "shutting down") {
		t.Fatalf("log lacks key generation or shutdown: %s", stderr.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "encryption.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", st, err)
	}

	out, err := run(t, env, "keys")
	if err != nil {
		t.Fatal(err)
	}
	if out != "dev\t"+printed[0]+"\nprod\t"+printed[1]+"\n" {
		t.Fatalf("keys printed %q, want the first-start keys %v", out, printed)
	}

	out, err = run(t, env, "keys", "rotate", "--env", "dev")
	if err != nil {
		t.Fatal(err)
	}
	rotated := uuidPattern.FindString(out)
	if rotated == "" || rotated == printed[0] {
		t.Fatalf("rotate printed %q", out)
	}
	if out, _ := run(t, env, "keys"); !strings.Contains(out, "dev\t"+rotated) {
		t.Fatalf("keys after rotate: %q", out)
	}
	if _, err := run(t, env, "keys", "rotate", "--env", "staging"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("rotate unknown env: %v", err)
	}

	oldKey, _ := os.ReadFile(filepath.Join(dir, "encryption.key"))
	newKey := vault.GenerateKey()
	if _, err := run(t, env, "keys", "rotate-encryption", "--new-key", "short"); err == nil || strings.Contains(err.Error(), "short") {
		t.Fatalf("bad --new-key: %v (must fail without echoing it)", err)
	}
	out, err = run(t, env, "keys", "rotate-encryption", "--new-key", newKey)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, newKey) {
		t.Fatal("rotate-encryption printed the key")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "encryption.key")); strings.TrimSpace(string(b)) != newKey {
		t.Fatalf("key file after rotation holds %q, old was %q", b, oldKey)
	}
	if out, err := run(t, env, "keys"); err != nil || !strings.Contains(out, "dev\t"+rotated) {
		t.Fatalf("keys after re-encryption: %q, %v", out, err)
	}

	// The old key no longer opens the data.
	withOld := map[string]string{"PATCHBAY_DATA_DIR": dir, "PATCHBAY_ENCRYPTION_KEY": strings.TrimSpace(string(oldKey))}
	if _, err := run(t, withOld, "keys"); err == nil || !strings.Contains(err.Error(), "encryption key does not match") {
		t.Fatalf("old key after rotation: %v", err)
	}
}

func TestSecretKeysFromEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"PATCHBAY_DATA_DIR":        t.TempDir(),
		"PATCHBAY_SECRET_KEY_DEV":  "0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21",
		"PATCHBAY_SECRET_KEY_PROD": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
		"PATCHBAY_ADDR":            "127.0.0.1:0",
	}
	stdout, _ := serveOnce(t, env)
	if stdout.String() != "" {
		t.Fatalf("keys from the environment were printed: %q", stdout.String())
	}
	out, err := run(t, env, "keys")
	if err != nil || out != "dev\t0f4b7e8c-3b3a-4e6e-9a55-2a6c0f1d9e21\nprod\t1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\n" {
		t.Fatalf("keys = %q, %v", out, err)
	}
}

func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"bad values", map[string]string{"PATCHBAY_ADDR": "nowhere", "PATCHBAY_ENCRYPTION_KEY": "c2VjcmV0"}, []string{"serve"},
			[]string{"PATCHBAY_ADDR", "PATCHBAY_ENCRYPTION_KEY"}},
		{"malformed provider file", nil, nil, []string{"provider \"broken\"", "auth_mode"}},
		{"keys before first start", map[string]string{"PATCHBAY_DATA_DIR": t.TempDir()}, []string{"keys"}, []string{"run `patchbay serve` once first"}},
		{"unknown flag", nil, []string{"serve", "--colour"}, []string{"unknown flag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, args := tt.env, tt.args
			if args == nil {
				dir := t.TempDir()
				file := filepath.Join(dir, "providers.yaml")
				if err := os.WriteFile(file, []byte("broken:\n  display_name: Broken\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				env = map[string]string{"PATCHBAY_DATA_DIR": dir, "PATCHBAY_ADDR": "127.0.0.1:0", "PATCHBAY_PROVIDERS_FILE": file}
				args = []string{"serve"}
			}
			_, err := run(t, env, args...)
			if err == nil {
				t.Fatal("command succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Error("error echoes the encryption key")
			}
		})
	}
}

func TestSimulate(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "sim-providers.yaml")
	var stdout, stderr syncBuffer
	root := newRoot(&stdout, &stderr, func(string) string { return "" })
	root.SetArgs([]string{"simulate", "--addr", "127.0.0.1:0", "--providers-out", out, "--seed", "7"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	urlPattern := regexp.MustCompile(`Simulated providers on (http://127\.0\.0\.1:\d+)`)
	var base string
	for base == "" {
		select {
		case err := <-done:
			t.Fatalf("simulate exited: %v: %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m := urlPattern.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
	}
	res, err := http.Get(base + "/_control/clock")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("control API: %d", res.StatusCode)
	}
	// simulate mode shows a consent page instead of redirecting at once.
	res, err = http.Get(base + "/github/login/oauth/authorize?client_id=github-client-id&redirect_uri=http://app.test/cb&state=s")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "Approve") {
		t.Fatalf("authorize in simulate mode: %d %.200s", res.StatusCode, page)
	}
	file, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(file), base+"/github/") {
		t.Fatalf("providers file: %v %.200s", err, file)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("simulate: %v", err)
	}
}
