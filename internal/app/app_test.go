package app_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/config"
)

// syncBuffer collects logs written from server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestNoPlaintextSecretsOnDisk writes integrations with known secrets, stops
// the server, and reads every byte in the data dir (database, WAL, shared
// memory file) and every log line, looking for any of them.
func TestNoPlaintextSecretsOnDisk(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := apptest.Start(t, apptest.Options{Logs: logs})
	c := srv.Client()
	ctx := t.Context()

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	privateKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	secrets := map[string]string{
		"client secret":      "cs-7f3a9d2e-plaintext-canary",
		"webhook secret":     "wh-41c8b0aa-plaintext-canary",
		"rotated secret":     "cs-rotated-9e1d-plaintext-canary",
		"custom secret":      "cs-custom-5b2c-plaintext-canary",
		"dev secret key":     apptest.DevKey,
		"prod secret key":    apptest.ProdKey,
		"private key body":   strings.Split(privateKey, "\n")[3], // a line of the key material
		"private key header": "BEGIN RSA PRIVATE KEY",
		"api key":            "sk-ant-canary-0d9e7c1b-plaintext",
		// What the sync below makes of the API key (reversed, upper-cased):
		// data that exists only at run time, unlike the sync's source,
		// which is stored as it is.
		"record payload": "txetnialp-b1c7e9d0-yranac-tna-ks",
		"checkpoint":     "SK-ANT-CANARY-0D9E7C1B-PLAINTEXT",
	}
	// A sync that saves a record and a checkpoint holding canaries, so
	// the records cache is held to the same rule.
	canarySync := `import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  description: 'Canary', version: '1.0.0', frequency: 'every day', autoStart: true,
  models: { Note: z.object({ id: z.string(), text: z.string() }) },
  exec: async (nango) => {
    const key = String(await nango.getToken());
    await nango.batchSave([{ id: 'n1', text: key.split('').reverse().join('') }], 'Note');
    await nango.saveCheckpoint({ at: key.toUpperCase() });
  },
});
`

	steps := []func() error{
		func() error {
			_, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "github", Provider: "github",
				Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "Iv1.public", ClientSecret: secrets["client secret"], WebhookSecret: secrets["webhook secret"]}})
			return err
		},
		func() error {
			_, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "app", Provider: "github-app",
				Credentials: &client.IntegrationCredentials{Type: "APP", AppID: "42", AppLink: "https://github.com/apps/canary", PrivateKey: privateKey}})
			return err
		},
		func() error {
			_, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "custom", Provider: "github-app-oauth",
				Credentials: &client.IntegrationCredentials{Type: "CUSTOM", ClientID: "Iv1.c", ClientSecret: secrets["custom secret"], AppID: "43", AppLink: "https://github.com/apps/c", PrivateKey: privateKey}})
			return err
		},
		func() error {
			_, err := c.UpdateIntegration(ctx, "github", client.UpdateIntegrationRequest{
				Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "Iv1.public", ClientSecret: secrets["rotated secret"], WebhookSecret: secrets["webhook secret"]}})
			return err
		},
		func() error { _, err := c.GetIntegration(ctx, "custom", "credentials"); return err },
		func() error {
			_, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "notes", Provider: "anthropic"})
			return err
		},
		func() error {
			_, err := c.DeployFunctions(ctx, map[string]string{"notes/syncs/canary.ts": canarySync}, nil)
			return err
		},
		func() error {
			_, err := c.ImportConnection(ctx, client.ImportConnectionRequest{ProviderConfigKey: "notes", ConnectionID: "n",
				Credentials: client.ImportCredentials{Type: "API_KEY", APIKey: secrets["api key"]}})
			return err
		},
		func() error { // the initial run saves the record and the checkpoint
			for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
				st, err := c.SyncStatus(ctx, client.SyncSelection{IntegrationKey: "notes", ConnectionID: "n"})
				if err != nil {
					return err
				}
				if len(st) == 1 && st[0].Status == "SUCCESS" && st[0].RecordCount["Note"] == 1 {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("the canary sync did not run: %+v", st)
				}
			}
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	srv.Stop(t)

	scanned := 0
	err = filepath.WalkDir(srv.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == app.KeyFileName {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += len(data)
		for what, secret := range secrets {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s contains the %s in plaintext", path, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Fatal("the data dir is empty: nothing was scanned")
	}
	for what, secret := range secrets {
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("the logs contain the %s", what)
		}
	}

	// The secrets are there, sealed: a restart on the same data reads them.
	again := apptest.Start(t, apptest.Options{DataDir: srv.DataDir})
	got, err := again.Client().GetIntegration(ctx, "github", "credentials")
	if err != nil || got.Credentials.ClientSecret != secrets["rotated secret"] {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	page, err := again.Client().ListRecords(ctx, "notes", "n", client.ListRecordsOptions{Model: "Note"})
	if err != nil || len(page.Records) != 1 || !bytes.Contains(page.Records[0].JSON, []byte(secrets["record payload"])) {
		t.Fatalf("the record after restart: %+v, %v", page, err)
	}
}

func TestDataDirIsLocked(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	dir := t.TempDir()
	cfg, err := config.Register(fs, func(k string) string { return map[string]string{"PATCHBAY_DATA_DIR": dir}[k] }).Parse()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	s, release, err := app.OpenStore(t.Context(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.OpenStore(t.Context(), cfg, logger); err == nil || !strings.Contains(err.Error(), "in use by another patchbay process") {
		t.Fatalf("second open of the data dir: %v", err)
	}
	s.Close()
	release()
	s, release, err = app.OpenStore(t.Context(), cfg, logger)
	if err != nil {
		t.Fatalf("open after release: %v", err)
	}
	s.Close()
	release()
}

// TestDataDirIsPrivate: the data dir is 0700 whether the store creates it
// or finds it created with wider permissions.
func TestDataDirIsPrivate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		prepare func(dir string) error
	}{
		{"created", func(string) error { return nil }},
		{"existing 0755", func(dir string) error { return os.Mkdir(dir, 0o755) }},
		{"existing 0777", func(dir string) error {
			if err := os.Mkdir(dir, 0o777); err != nil {
				return err
			}
			return os.Chmod(dir, 0o777) // Mkdir is subject to the umask
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data")
			if err := tc.prepare(dir); err != nil {
				t.Fatal(err)
			}
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			cfg, err := config.Register(fs, func(k string) string { return map[string]string{"PATCHBAY_DATA_DIR": dir}[k] }).Parse()
			if err != nil {
				t.Fatal(err)
			}
			s, release, err := app.OpenStore(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			release()
			info, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Fatalf("data dir mode = %v, want 0700", perm)
			}
		})
	}
}

// TestShutdownClosesSpareConnections: a client connection that never sent
// a request (Go's transport dials spares under concurrency) must not hold
// a graceful shutdown, which http.Server would otherwise wait five seconds
// for — longer than this server's whole shutdown timeout.
func TestShutdownClosesSpareConnections(t *testing.T) {
	s := apptest.Start(t, apptest.Options{Env: map[string]string{"PATCHBAY_SHUTDOWN_TIMEOUT": "2s"}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// One real request, so the spare connection is surely accepted.
	if err := s.Client().Health(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Stop(t) // fails the test if the shutdown runs out of time
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("the spare connection is still open after shutdown")
	}
}
