// Package storetest is the contract every store implementation must meet.
// The SQLite and PostgreSQL packages run the same Run from their tests, so a
// behaviour is either tested on both backends or on none.
package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

// Database is one fresh, empty database of a backend under test.
type Database interface {
	// Open opens (or reopens) this database with the given key.
	Open(t *testing.T, v *vault.Vault) (store.Store, error)
	// Exec runs raw SQL against it, to tamper with rows as an attacker with
	// database access could. The SQL must be valid on every backend.
	Exec(t *testing.T, query string)
	// Dump returns every value of every row query selects, as text (see
	// DumpRows), to look for what must never be stored in the clear.
	Dump(t *testing.T, query string) string
	// MigrateTo moves the schema, with no store open on it, up or down to
	// a migration version: the database an older release left, to check
	// that a migration keeps its rows.
	MigrateTo(t *testing.T, version int64)
}

// DumpRows implements Database.Dump over db: each value as its bytes or
// text, values separated by tabs and rows by newlines.
func DumpRows(t testing.TB, db *sql.DB, query string) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	values := make([]any, len(cols))
	dest := make([]any, len(cols))
	for i := range values {
		dest[i] = &values[i]
	}
	var out strings.Builder
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for _, v := range values {
			switch v := v.(type) {
			case []byte:
				out.Write(v)
			case string:
				out.WriteString(v)
			default:
				fmt.Fprint(&out, v)
			}
			out.WriteByte('\t')
		}
		out.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out.String()
}

// NewVault returns a vault with a fresh random key.
func NewVault(t testing.TB) *vault.Vault {
	t.Helper()
	key, err := vault.ParseKey(vault.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type bundle struct {
	db    Database
	vault *vault.Vault
	store store.Store
	ctx   context.Context
}

func setup(t *testing.T, newDB func(t *testing.T) Database) *bundle {
	t.Helper()
	b := &bundle{db: newDB(t), vault: NewVault(t), ctx: t.Context()}
	s, err := b.db.Open(t, b.vault)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	b.store = s
	return b
}

func (b *bundle) environment(t *testing.T, name string) *store.Environment {
	t.Helper()
	env := &store.Environment{Name: name, SecretKey: uuid.NewString()}
	if err := b.store.Environments().Create(b.ctx, env); err != nil {
		t.Fatalf("create environment %s: %v", name, err)
	}
	return env
}

func (b *bundle) integration(t *testing.T, envID, key string) *store.Integration {
	t.Helper()
	in := &store.Integration{
		EnvironmentID: envID, UniqueKey: key, Provider: "github", DisplayName: "GitHub",
		Credentials: store.IntegrationCredentials{
			Type: "OAUTH2", ClientID: "client-" + key, ClientSecret: "secret-" + key,
			Scopes: "repo,user", WebhookSecret: "whsec-" + key,
		},
	}
	if err := b.store.Integrations().Create(b.ctx, in); err != nil {
		t.Fatalf("create integration %s: %v", key, err)
	}
	return in
}

// Run runs the whole contract. newDB must return a fresh database each call.
func Run(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("Environments", func(t *testing.T) { t.Parallel(); testEnvironments(t, newDB) })
	t.Run("Integrations", func(t *testing.T) { t.Parallel(); testIntegrations(t, newDB) })
	t.Run("Encryption", func(t *testing.T) { t.Parallel(); testEncryption(t, newDB) })
	t.Run("ConnectionEncryption", func(t *testing.T) { t.Parallel(); testConnectionEncryption(t, newDB) })
	t.Run("Connections", func(t *testing.T) { t.Parallel(); testConnections(t, newDB) })
	t.Run("Documents", func(t *testing.T) { t.Parallel(); testDocuments(t, newDB) })
	t.Run("StoredEncoding", func(t *testing.T) { t.Parallel(); testStoredEncoding(t, newDB) })
	t.Run("ConnectSessions", func(t *testing.T) { t.Parallel(); testConnectSessions(t, newDB) })
	t.Run("OAuthSessions", func(t *testing.T) { t.Parallel(); testOAuthSessions(t, newDB) })
	t.Run("Settings", func(t *testing.T) { t.Parallel(); testSettings(t, newDB) })
	t.Run("EnvironmentVariables", func(t *testing.T) { t.Parallel(); testEnvironmentVariables(t, newDB) })
	t.Run("Deployments", func(t *testing.T) { t.Parallel(); testDeployments(t, newDB) })
	t.Run("ActionRuns", func(t *testing.T) { t.Parallel(); testActionRuns(t, newDB) })
	t.Run("FunctionLocks", func(t *testing.T) { t.Parallel(); testFunctionLocks(t, newDB) })
	t.Run("Locker", func(t *testing.T) { t.Parallel(); testLocker(t, newDB) })
	t.Run("Notifier", func(t *testing.T) { t.Parallel(); testNotifier(t, newDB) })
	t.Run("Throttles", func(t *testing.T) { t.Parallel(); testThrottles(t, newDB) })
	t.Run("Records", func(t *testing.T) { t.Parallel(); testRecords(t, newDB) })
	t.Run("SyncInstances", func(t *testing.T) { t.Parallel(); testSyncInstances(t, newDB) })
}

func testEnvironments(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("CreateAndLookUp", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		if dev.ID == "" || dev.CreatedAt.IsZero() || dev.WebhookSigningKey == "" {
			t.Fatalf("Create did not fill in id, timestamps and signing key: %+v", dev)
		}
		envs := b.store.Environments()
		byName, err := envs.ByName(b.ctx, "dev")
		if err != nil || byName.ID != dev.ID || byName.SecretKey != "" {
			t.Fatalf("ByName = %+v, %v; want id %s and no secret", byName, err, dev.ID)
		}
		// PostgreSQL keeps microseconds; anything coarser is a round-trip bug.
		if byName.CreatedAt.Sub(dev.CreatedAt).Abs() > time.Microsecond {
			t.Fatalf("CreatedAt round trip: stored %v, read %v", dev.CreatedAt, byName.CreatedAt)
		}
		byKey, err := envs.BySecretKey(b.ctx, dev.SecretKey)
		if err != nil || byKey.ID != dev.ID {
			t.Fatalf("BySecretKey = %+v, %v", byKey, err)
		}
		if _, err := envs.BySecretKey(b.ctx, uuid.NewString()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("BySecretKey(unknown) error = %v, want ErrNotFound", err)
		}
		if _, err := envs.ByName(b.ctx, "staging"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ByName(unknown) error = %v, want ErrNotFound", err)
		}
		secrets, err := envs.Secrets(b.ctx, "dev")
		if err != nil || secrets.SecretKey != dev.SecretKey || secrets.WebhookSigningKey != dev.WebhookSigningKey {
			t.Fatalf("Secrets = %+v, %v", secrets, err)
		}
		b.environment(t, "prod")
		list, err := envs.List(b.ctx)
		if err != nil || len(list) != 2 || list[0].Name != "dev" || list[1].Name != "prod" {
			t.Fatalf("List = %v, %v; want dev, prod", list, err)
		}
	})
	t.Run("DuplicateNameOrKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		for _, env := range []*store.Environment{
			{Name: "dev", SecretKey: uuid.NewString()},
			{Name: "prod", SecretKey: dev.SecretKey},
		} {
			if err := b.store.Environments().Create(b.ctx, env); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Create(%s) error = %v, want ErrConflict", env.Name, err)
			}
		}
		got, err := b.store.Environments().BySecretKey(b.ctx, dev.SecretKey)
		if err != nil || got.Name != "dev" {
			t.Fatalf("after conflicts, dev key finds %+v, %v", got, err)
		}
	})
	t.Run("ConcurrentCreateAgreesOnOneKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		keys := make([]string, n)
		for i := range n {
			wg.Go(func() {
				keys[i] = uuid.NewString()
				errs[i] = b.store.Environments().Create(b.ctx, &store.Environment{Name: "dev", SecretKey: keys[i]})
			})
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				if _, err := b.store.Environments().BySecretKey(b.ctx, keys[i]); err != nil {
					t.Fatalf("winner's key does not authenticate: %v", err)
				}
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("Create error = %v, want nil or ErrConflict", err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d concurrent creates succeeded, want 1", winners)
		}
	})
	t.Run("RotateSecretKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		prod := b.environment(t, "prod")
		envs := b.store.Environments()
		next := uuid.NewString()
		if err := envs.RotateSecretKey(b.ctx, "dev", next); err != nil {
			t.Fatal(err)
		}
		if _, err := envs.BySecretKey(b.ctx, dev.SecretKey); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old key still works: %v", err)
		}
		if got, err := envs.BySecretKey(b.ctx, next); err != nil || got.ID != dev.ID {
			t.Fatalf("new key: %+v, %v", got, err)
		}
		if got, err := envs.Secrets(b.ctx, "dev"); err != nil || got.SecretKey != next {
			t.Fatalf("Secrets after rotation = %+v, %v", got, err)
		}
		if err := envs.RotateSecretKey(b.ctx, "dev", prod.SecretKey); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rotating onto prod's key: error = %v, want ErrConflict", err)
		}
		if err := envs.RotateSecretKey(b.ctx, "staging", uuid.NewString()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rotating unknown environment: error = %v, want ErrNotFound", err)
		}
	})
}

func testIntegrations(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("CreateGetList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		want := b.integration(t, dev.ID, "github-b")
		b.integration(t, dev.ID, "github-a")
		b.integration(t, prod.ID, "github-b") // same key, other environment
		plain := &store.Integration{EnvironmentID: dev.ID, UniqueKey: "stripe", Provider: "stripe"}
		if err := b.store.Integrations().Create(b.ctx, plain); err != nil {
			t.Fatalf("create without credentials: %v", err)
		}

		ins := b.store.Integrations()
		got, err := ins.Get(b.ctx, dev.ID, "github-b")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.Credentials != want.Credentials || got.Provider != "github" || got.DisplayName != "GitHub" {
			t.Fatalf("Get = %+v, want %+v", got, want)
		}
		if got, err := ins.Get(b.ctx, dev.ID, "stripe"); err != nil || got.Credentials != (store.IntegrationCredentials{}) {
			t.Fatalf("Get(stripe) = %+v, %v", got, err)
		}
		if _, err := ins.Get(b.ctx, prod.ID, "github-a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get across environments: error = %v, want ErrNotFound", err)
		}
		list, err := ins.List(b.ctx, dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, in := range list {
			keys = append(keys, in.UniqueKey)
		}
		if fmt.Sprint(keys) != "[github-a github-b stripe]" {
			t.Fatalf("List keys = %v", keys)
		}
		if list, err := ins.List(b.ctx, uuid.NewString()); err != nil || len(list) != 0 {
			t.Fatalf("List(unknown env) = %v, %v", list, err)
		}
	})
	t.Run("DuplicateKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")
		err := b.store.Integrations().Create(b.ctx, &store.Integration{EnvironmentID: dev.ID, UniqueKey: "github", Provider: "gitlab"})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate Create error = %v, want ErrConflict", err)
		}
		if got, _ := b.store.Integrations().Get(b.ctx, dev.ID, "github"); got.Provider != "github" {
			t.Fatalf("duplicate Create overwrote the row: %+v", got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		orig := b.integration(t, dev.ID, "github")
		b.integration(t, dev.ID, "taken")
		ins := b.store.Integrations()

		updated, err := ins.Update(b.ctx, dev.ID, "github", func(in *store.Integration) error {
			in.UniqueKey = "github-renamed"
			in.Credentials.ClientSecret = "rotated"
			in.Credentials.WebhookSecret = ""
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.ID != orig.ID || updated.UpdatedAt.Before(orig.UpdatedAt) {
			t.Fatalf("Update = %+v", updated)
		}
		got, err := ins.Get(b.ctx, dev.ID, "github-renamed")
		if err != nil || got.Credentials.ClientSecret != "rotated" || got.Credentials.WebhookSecret != "" || got.Credentials.ClientID != "client-github" {
			t.Fatalf("after Update, Get = %+v, %v", got, err)
		}
		if _, err := ins.Get(b.ctx, dev.ID, "github"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old key still found: %v", err)
		}

		_, err = ins.Update(b.ctx, dev.ID, "github-renamed", func(in *store.Integration) error {
			in.UniqueKey = "taken"
			in.DisplayName = "must not be saved"
			return nil
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rename onto a taken key: error = %v, want ErrConflict", err)
		}
		errRefused := errors.New("refused")
		if _, err := ins.Update(b.ctx, dev.ID, "github-renamed", func(in *store.Integration) error {
			in.DisplayName = "must not be saved"
			return errRefused
		}); !errors.Is(err, errRefused) {
			t.Fatalf("Update error = %v, want the change's error", err)
		}
		if got, _ := ins.Get(b.ctx, dev.ID, "github-renamed"); got.DisplayName != "GitHub" {
			t.Fatalf("a failed Update saved a change: %+v", got)
		}
		if _, err := ins.Update(b.ctx, dev.ID, "missing", func(*store.Integration) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Update(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("Settings", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		ins := b.store.Integrations()
		want := store.IntegrationSettings{
			RateLimit:       &store.RateLimitOverride{Requests: 10, Interval: 1500 * time.Millisecond, Burst: 4},
			AllowedBaseURLs: []string{"https://eu.api.example.com", "https://api.example.com/v2"},
			Functions:       &store.FunctionLimits{SyncTimeout: 2 * time.Hour, RecordsRetention: 30 * 24 * time.Hour, EnforceActionOutput: true},
		}
		in := &store.Integration{EnvironmentID: dev.ID, UniqueKey: "hubspot", Provider: "hubspot", Settings: want}
		if err := ins.Create(b.ctx, in); err != nil {
			t.Fatal(err)
		}
		b.integration(t, dev.ID, "plain")
		got, err := ins.Get(b.ctx, dev.ID, "hubspot")
		if err != nil || !reflect.DeepEqual(got.Settings, want) {
			t.Fatalf("Get settings = %+v (%v), %v; want %+v", got.Settings, got.Settings.RateLimit, err, want)
		}
		list, err := ins.List(b.ctx, dev.ID)
		if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0].Settings, want) || !reflect.DeepEqual(list[1].Settings, store.IntegrationSettings{}) {
			t.Fatalf("List = %+v, %v", list, err)
		}
		// Settings are not secrets: stored as they are, readable in a dump.
		if dump := b.db.Dump(t, "SELECT settings FROM integrations WHERE unique_key = 'hubspot'"); !strings.Contains(dump, "eu.api.example.com") {
			t.Fatalf("settings column = %q", dump)
		}
		updated, err := ins.Update(b.ctx, dev.ID, "hubspot", func(in *store.Integration) error {
			in.Settings.RateLimit = nil
			return nil
		})
		if err != nil || updated.Settings.RateLimit != nil {
			t.Fatalf("Update = %+v, %v", updated, err)
		}
		got, err = ins.Get(b.ctx, dev.ID, "hubspot")
		if err != nil || got.Settings.RateLimit != nil || !reflect.DeepEqual(got.Settings.AllowedBaseURLs, want.AllowedBaseURLs) {
			t.Fatalf("after clearing the rate limit, Get = %+v, %v", got.Settings, err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		b.integration(t, dev.ID, "github")
		b.integration(t, prod.ID, "github")
		ins := b.store.Integrations()
		if err := ins.Delete(b.ctx, dev.ID, "github"); err != nil {
			t.Fatal(err)
		}
		if _, err := ins.Get(b.ctx, dev.ID, "github"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get after Delete: %v", err)
		}
		if err := ins.Delete(b.ctx, dev.ID, "github"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Delete error = %v, want ErrNotFound", err)
		}
		if _, err := ins.Get(b.ctx, prod.ID, "github"); err != nil {
			t.Fatalf("Delete reached another environment: %v", err)
		}
	})
}

func testEncryption(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("WrongKeyIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		b.environment(t, "dev")
		b.store.Close()
		if _, err := b.db.Open(t, NewVault(t)); !errors.Is(err, store.ErrWrongEncryptionKey) {
			t.Fatalf("reopen with another key: error = %v, want ErrWrongEncryptionKey", err)
		}
	})
	t.Run("CiphertextsAreBoundToTheirRow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "victim")
		b.integration(t, dev.ID, "attacker")
		b.db.Exec(t, `UPDATE integrations SET secrets = (SELECT secrets FROM integrations WHERE unique_key = 'attacker') WHERE unique_key = 'victim'`)
		if got, err := b.store.Integrations().Get(b.ctx, dev.ID, "victim"); err == nil {
			t.Fatalf("a ciphertext moved from another row opened: %+v", got.Credentials)
		}
		if _, err := b.store.Integrations().Get(b.ctx, dev.ID, "attacker"); err != nil {
			t.Fatalf("the untouched row: %v", err)
		}
	})
	t.Run("RotateEncryption", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		in := b.integration(t, dev.ID, "github")
		conn := b.connection(t, in, "conn-1")
		oauth := func(id string) *store.OAuthSession {
			s := &store.OAuthSession{ID: id, EnvironmentID: dev.ID, IntegrationKey: "github", ConnectionID: "conn-1",
				Secret: "verifier-" + id, ExpiresAt: time.Now().Add(time.Hour)}
			if err := b.store.OAuthSessions().Create(b.ctx, s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		oauth("state-before")
		oauth("state-before-2")
		vars := []store.EnvironmentVariable{{Name: "API_TOKEN", Value: "tok-1"}, {Name: "REGION", Value: "eu"}}
		if err := b.store.Settings().SetVariables(b.ctx, dev.ID, vars); err != nil {
			t.Fatal(err)
		}
		b.environment(t, "no-variables")
		pending := b.actionRun(t, actionRun(dev.ID, "pending")) // input only: output and error are NULL
		done := actionRun(dev.ID, "done")
		done.Status, done.Output, done.Error = store.ActionFailed, json.RawMessage(`{"partial":1}`), json.RawMessage(`{"message":"boom"}`)
		b.actionRun(t, done)
		next := NewVault(t)
		if err := b.store.RotateEncryption(b.ctx, next); err != nil {
			t.Fatal(err)
		}
		// The open store switched keys: new writes and old rows both work.
		b.integration(t, dev.ID, "after")
		oauth("state-after")
		if got, err := b.store.Integrations().Get(b.ctx, dev.ID, "github"); err != nil || got.Credentials != in.Credentials {
			t.Fatalf("after rotation, Get = %+v, %v", got, err)
		}
		if got, err := b.store.OAuthSessions().Take(b.ctx, "state-before-2"); err != nil || got.Secret != "verifier-state-before-2" {
			t.Fatalf("after rotation, Take = %+v, %v", got, err)
		}
		b.store.Close()

		if _, err := b.db.Open(t, b.vault); !errors.Is(err, store.ErrWrongEncryptionKey) {
			t.Fatalf("reopen with the old key: error = %v, want ErrWrongEncryptionKey", err)
		}
		s, err := b.db.Open(t, next)
		if err != nil {
			t.Fatalf("reopen with the new key: %v", err)
		}
		defer s.Close()
		secrets, err := s.Environments().Secrets(b.ctx, "dev")
		if err != nil || secrets.SecretKey != dev.SecretKey || secrets.WebhookSigningKey != dev.WebhookSigningKey {
			t.Fatalf("environment secrets after rotation = %+v, %v", secrets, err)
		}
		for _, key := range []string{"github", "after"} {
			if _, err := s.Integrations().Get(b.ctx, dev.ID, key); err != nil {
				t.Fatalf("integration %s after rotation: %v", key, err)
			}
		}
		if got, err := s.Connections().ByID(b.ctx, conn.ID); err != nil || !sameJSON(t, got.Credentials, conn.Credentials) {
			t.Fatalf("connection after rotation = %+v, %v", got, err)
		}
		for _, id := range []string{"state-before", "state-after"} {
			if got, err := s.OAuthSessions().Take(b.ctx, id); err != nil || got.Secret != "verifier-"+id {
				t.Fatalf("OAuth session %s after rotation = %+v, %v", id, got, err)
			}
		}
		if got, err := s.Settings().Variables(b.ctx, dev.ID); err != nil || !sameJSON(t, got, vars) {
			t.Fatalf("environment variables after rotation = %+v, %v", got, err)
		}
		for _, want := range []*store.ActionRun{pending, done} {
			if got, err := s.ActionRuns().Get(b.ctx, dev.ID, want.ID); err != nil || !sameRun(t, got, want) {
				t.Fatalf("action run after rotation =\n %+v, %v\nwant %+v", got, err, want)
			}
		}
	})
}
