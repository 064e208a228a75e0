package storetest

import (
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
)

// connection creates a connection of in with OAuth 2 credentials, after
// edit has had its say.
func (b *bundle) connection(t *testing.T, in *store.Integration, connectionID string, edit ...func(*store.Connection)) *store.Connection {
	t.Helper()
	c := &store.Connection{
		IntegrationID: in.ID, ConnectionID: connectionID,
		Credentials: store.Credentials{Type: "OAUTH2", AccessToken: "at-" + connectionID, RefreshToken: "rt-" + connectionID},
	}
	for _, e := range edit {
		e(c)
	}
	if err := b.store.Connections().Create(b.ctx, c); err != nil {
		t.Fatalf("create connection %s: %v", connectionID, err)
	}
	return c
}

// sameJSON reports whether a and b encode to the same JSON value, which
// is how the store's JSON columns (reformatted by PostgreSQL's jsonb) and
// timestamps (whose location may differ) are compared.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	var va, vb any
	for _, p := range []struct {
		in  any
		out *any
	}{{a, &va}, {b, &vb}} {
		raw, err := json.Marshal(p.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, p.out); err != nil {
			t.Fatal(err)
		}
	}
	return reflect.DeepEqual(va, vb)
}

func ids(cs []*store.Connection) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ConnectionID)
	}
	return strings.Join(out, ",")
}

func ptr[T any](v T) *T { return &v }

func testConnections(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("CreateAndGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		gh := b.integration(t, dev.ID, "github")
		b.integration(t, prod.ID, "github")
		want := b.connection(t, gh, "conn-1", func(c *store.Connection) {
			c.ConnectionConfig = map[string]any{"subdomain": "acme", "n": 3}
			c.Metadata = map[string]any{"plan": "pro"}
			c.EndUser = &store.EndUser{ID: "u1", Email: "a@example.com", Organization: &store.Organization{ID: "o1"}}
			c.Tags = map[string]string{"team": "core"}
		})
		if want.ID == "" || want.CreatedAt.IsZero() || want.UpdatedAt.IsZero() || want.EnvironmentID != dev.ID {
			t.Fatalf("Create did not fill in id, environment and timestamps: %+v", want)
		}
		conns := b.store.Connections()
		got, err := conns.Get(b.ctx, dev.ID, "github", "conn-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.IntegrationID != gh.ID || got.IntegrationKey != "github" || got.Provider != "github" ||
			got.EnvironmentID != dev.ID || got.Credentials.AccessToken != "at-conn-1" {
			t.Fatalf("Get = %+v, want %+v", got, want)
		}
		if !sameJSON(t, got.ConnectionConfig, want.ConnectionConfig) || !sameJSON(t, got.Metadata, want.Metadata) ||
			!sameJSON(t, got.EndUser, want.EndUser) || !sameJSON(t, got.Tags, want.Tags) {
			t.Fatalf("JSON columns round trip: got %+v", got)
		}
		if got.CreatedAt.Sub(want.CreatedAt).Abs() > time.Microsecond || len(got.Errors) != 0 || got.RefreshAttempts != 0 {
			t.Fatalf("Get = %+v", got)
		}
		byID, err := conns.ByID(b.ctx, want.ID)
		if err != nil || byID.ConnectionID != "conn-1" || byID.IntegrationKey != "github" {
			t.Fatalf("ByID = %+v, %v", byID, err)
		}
		for name, lookUp := range map[string]func() (*store.Connection, error){
			"other environment":     func() (*store.Connection, error) { return conns.Get(b.ctx, prod.ID, "github", "conn-1") },
			"unknown connection id": func() (*store.Connection, error) { return conns.Get(b.ctx, dev.ID, "github", "conn-2") },
			"unknown integration":   func() (*store.Connection, error) { return conns.Get(b.ctx, dev.ID, "gitlab", "conn-1") },
			"malformed environment": func() (*store.Connection, error) { return conns.Get(b.ctx, "dev", "github", "conn-1") },
			"unknown id":            func() (*store.Connection, error) { return conns.ByID(b.ctx, uuid.NewString()) },
			"malformed id":          func() (*store.Connection, error) { return conns.ByID(b.ctx, "conn-1") },
		} {
			if _, err := lookUp(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: error = %v, want ErrNotFound", name, err)
			}
		}
	})
	t.Run("CreateConflictsAndChecksTheIntegration", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		gh, slack := b.integration(t, dev.ID, "github"), b.integration(t, dev.ID, "slack")
		b.connection(t, gh, "conn-1")
		conns := b.store.Connections()
		dup := &store.Connection{IntegrationID: gh.ID, ConnectionID: "conn-1", Credentials: store.Credentials{Type: "API_KEY", APIKey: "x"}}
		if err := conns.Create(b.ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate Create error = %v, want ErrConflict", err)
		}
		if got, _ := conns.Get(b.ctx, dev.ID, "github", "conn-1"); got.Credentials.Type != "OAUTH2" {
			t.Fatalf("duplicate Create overwrote the row: %+v", got.Credentials)
		}
		b.connection(t, slack, "conn-1") // the same id under another integration
		for name, c := range map[string]*store.Connection{
			"unknown integration":   {IntegrationID: uuid.NewString(), ConnectionID: "x"},
			"malformed integration": {IntegrationID: "github", ConnectionID: "x"},
			"other environment":     {IntegrationID: gh.ID, EnvironmentID: prod.ID, ConnectionID: "x"},
		} {
			if err := conns.Create(b.ctx, c); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Create with %s: error = %v, want ErrNotFound", name, err)
			}
		}
		if err := conns.Create(b.ctx, &store.Connection{ConnectionID: "x"}); err == nil {
			t.Fatal("Create without an integration id succeeded")
		}
	})
	t.Run("CredentialsRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		in := b.integration(t, dev.ID, "github-app")
		installation := time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)
		user := installation.Add(-time.Hour)
		creds := store.Credentials{
			Type: "CUSTOM", AccessToken: "ghs_installation", RefreshToken: "rt", ExpiresAt: &installation, Token: "tok",
			OAuthToken: "ot", OAuthTokenSecret: "ots", APIKey: "key", Username: "user", Password: "pass",
			ClientID: "cid", ClientSecret: "csecret", Fields: map[string]string{"private_key": "-----BEGIN"},
			User: &store.Credentials{Type: "OAUTH2", AccessToken: "ghu_user", RefreshToken: "ghr_user", ExpiresAt: &user,
				Raw: json.RawMessage(`{"scope":"repo"}`)},
			Raw: json.RawMessage(`{"token":"ghs_installation","expires_at":"2030-01-02T03:04:05Z","nested":{"a":[1,2]}}`),
		}
		c := b.connection(t, in, "app-1", func(c *store.Connection) { c.Credentials = creds })
		got, err := b.store.Connections().ByID(b.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, got.Credentials, creds) || string(got.Credentials.Raw) != string(creds.Raw) {
			t.Fatalf("credentials round trip:\n got %+v\nwant %+v", got.Credentials, creds)
		}
		// A CUSTOM connection needs refreshing when either token expires.
		for _, at := range []*time.Time{c.CredentialsExpiresAt, got.CredentialsExpiresAt} {
			if at == nil || !at.Equal(user) {
				t.Fatalf("CredentialsExpiresAt = %v, want the user token's %v", at, user)
			}
		}
		plain := b.connection(t, in, "api-1", func(c *store.Connection) {
			c.Credentials = store.Credentials{Type: "API_KEY", APIKey: "k"}
		})
		if got, err := b.store.Connections().ByID(b.ctx, plain.ID); err != nil || got.CredentialsExpiresAt != nil || got.Credentials.APIKey != "k" {
			t.Fatalf("API key connection = %+v, %v", got, err)
		}
	})
	t.Run("List", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		gh, slack := b.integration(t, dev.ID, "github"), b.integration(t, dev.ID, "slack")
		b.integration(t, prod.ID, "github")
		b.connection(t, gh, "alpha", func(c *store.Connection) {
			c.EndUser = &store.EndUser{ID: "user-42", Email: "Ada@Example.com", DisplayName: "Ada Lovelace",
				Organization: &store.Organization{ID: "org-1", DisplayName: "Analytical Engines"}}
			c.Tags = map[string]string{"team": "core", "tier": "gold"}
		})
		b.connection(t, gh, "Beta-Conn", func(c *store.Connection) { c.Tags = map[string]string{"team": "core"} })
		b.connection(t, slack, "gamma", func(c *store.Connection) {
			c.EndUser = &store.EndUser{ID: "user-7", Email: "grace@example.org"}
			c.Tags = map[string]string{"team": "edge"}
		})
		b.connection(t, slack, "100%_done")
		b.connection(t, gh, "delta")
		prodGH, _ := b.store.Integrations().Get(b.ctx, prod.ID, "github")
		b.connection(t, prodGH, "prod-only")

		conns := b.store.Connections()
		for _, tt := range []struct {
			name string
			f    store.ConnectionFilter
			want string
		}{
			{"environment, newest first", store.ConnectionFilter{EnvironmentID: dev.ID}, "delta,100%_done,gamma,Beta-Conn,alpha"},
			{"all environments", store.ConnectionFilter{}, "prod-only,delta,100%_done,gamma,Beta-Conn,alpha"},
			{"integration", store.ConnectionFilter{EnvironmentID: dev.ID, IntegrationKey: "slack"}, "100%_done,gamma"},
			{"connection id", store.ConnectionFilter{EnvironmentID: dev.ID, ConnectionID: "gamma"}, "gamma"},
			{"end user", store.ConnectionFilter{EnvironmentID: dev.ID, EndUserID: "user-42"}, "alpha"},
			{"several integrations", store.ConnectionFilter{EnvironmentID: dev.ID, IntegrationKeys: []string{"slack", "github"}}, "delta,100%_done,gamma,Beta-Conn,alpha"},
			{"one of several integrations", store.ConnectionFilter{EnvironmentID: dev.ID, IntegrationKeys: []string{"slack", "nope"}}, "100%_done,gamma"},
			{"integration keys and key", store.ConnectionFilter{EnvironmentID: dev.ID, IntegrationKey: "github", IntegrationKeys: []string{"slack"}}, ""},
			{"end user organization", store.ConnectionFilter{EnvironmentID: dev.ID, EndUserOrganizationID: "org-1"}, "alpha"},
			{"unknown organization", store.ConnectionFilter{EnvironmentID: dev.ID, EndUserOrganizationID: "org-2"}, ""},
			{"search connection id, any case", store.ConnectionFilter{EnvironmentID: dev.ID, Search: "beta-c"}, "Beta-Conn"},
			{"search e-mail", store.ConnectionFilter{EnvironmentID: dev.ID, Search: "EXAMPLE.com"}, "alpha"},
			{"search display name", store.ConnectionFilter{EnvironmentID: dev.ID, Search: "lovelace"}, "alpha"},
			{"search end-user id", store.ConnectionFilter{EnvironmentID: dev.ID, Search: "user-7"}, "gamma"},
			{"search wildcards are literal", store.ConnectionFilter{EnvironmentID: dev.ID, Search: "%_"}, "100%_done"},
			{"search JSON keys do not match", store.ConnectionFilter{EnvironmentID: dev.ID, Search: "email"}, ""},
			{"one tag", store.ConnectionFilter{EnvironmentID: dev.ID, Tags: map[string]string{"team": "core"}}, "Beta-Conn,alpha"},
			{"all tags", store.ConnectionFilter{EnvironmentID: dev.ID, Tags: map[string]string{"team": "core", "tier": "gold"}}, "alpha"},
			{"tag value mismatch", store.ConnectionFilter{EnvironmentID: dev.ID, Tags: map[string]string{"team": "nope"}}, ""},
			{"filters combine", store.ConnectionFilter{EnvironmentID: dev.ID, IntegrationKey: "github", Search: "a", Tags: map[string]string{"team": "core"}}, "Beta-Conn,alpha"},
			{"page 0", store.ConnectionFilter{EnvironmentID: dev.ID, Limit: 2}, "delta,100%_done"},
			{"page 1", store.ConnectionFilter{EnvironmentID: dev.ID, Limit: 2, Page: 1}, "gamma,Beta-Conn"},
			{"page 2", store.ConnectionFilter{EnvironmentID: dev.ID, Limit: 2, Page: 2}, "alpha"},
			{"past the end", store.ConnectionFilter{EnvironmentID: dev.ID, Limit: 2, Page: 3}, ""},
			{"paging after filtering", store.ConnectionFilter{EnvironmentID: dev.ID, Tags: map[string]string{"team": "core"}, Limit: 1, Page: 1}, "alpha"},
			{"unknown environment", store.ConnectionFilter{EnvironmentID: uuid.NewString()}, ""},
			{"malformed environment", store.ConnectionFilter{EnvironmentID: "dev"}, ""},
		} {
			got, err := conns.List(b.ctx, tt.f)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if ids(got) != tt.want {
				t.Errorf("%s: List = [%s], want [%s]", tt.name, ids(got), tt.want)
			}
		}
		got, err := conns.List(b.ctx, store.ConnectionFilter{EnvironmentID: dev.ID, ConnectionID: "alpha"})
		if err != nil || len(got) != 1 || got[0].IntegrationKey != "github" || got[0].Credentials.AccessToken != "at-alpha" {
			t.Fatalf("List rows are not complete: %+v, %v", got, err)
		}
	})
	t.Run("ListLimits", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		for i := range 102 {
			b.connection(t, gh, fmt.Sprintf("c%03d", i))
		}
		conns := b.store.Connections()
		for limit, want := range map[int]int{0: 100, 1: 1, 5000: 102} {
			got, err := conns.List(b.ctx, store.ConnectionFilter{EnvironmentID: dev.ID, Limit: limit})
			if err != nil || len(got) != want {
				t.Fatalf("List(Limit %d) returned %d rows, %v; want %d", limit, len(got), err, want)
			}
		}
	})
	t.Run("Upsert", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		conns := b.store.Connections()
		first := &store.Connection{
			IntegrationID: gh.ID, ConnectionID: "conn-1",
			Credentials: store.Credentials{Type: "OAUTH2", AccessToken: "at-1", ExpiresAt: ptr(time.Now().Add(time.Hour))},
			Metadata:    map[string]any{"kept": true},
			Tags:        map[string]string{"v": "1"},
		}
		created, err := conns.Upsert(b.ctx, first)
		if err != nil || !created || first.ID == "" || first.IntegrationKey != "github" || first.EnvironmentID != dev.ID {
			t.Fatalf("first Upsert = %v, %v; connection %+v", created, err, first)
		}
		// A refresh failure disables refreshing until the user re-authorises.
		if _, err := conns.Update(b.ctx, first.ID, func(c *store.Connection) error {
			c.Errors = []store.ConnectionError{{Type: "auth", Code: "refresh_token_revoked", At: time.Now()}}
			c.RefreshAttempts = 3
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		again := &store.Connection{
			IntegrationID: gh.ID, ConnectionID: "conn-1",
			Credentials:      store.Credentials{Type: "OAUTH2", AccessToken: "at-2", RefreshToken: "rt-2", ExpiresAt: ptr(time.Now().Add(time.Minute))},
			ConnectionConfig: map[string]any{"org": "acme"},
			EndUser:          &store.EndUser{ID: "u2"},
			Tags:             map[string]string{"v": "2"},
		}
		created, err = conns.Upsert(b.ctx, again)
		if err != nil || created {
			t.Fatalf("second Upsert = %v, %v; want updated", created, err)
		}
		if again.ID != first.ID || again.CreatedAt.Sub(first.CreatedAt).Abs() > time.Microsecond || !again.UpdatedAt.After(first.UpdatedAt) {
			t.Fatalf("second Upsert filled in %+v; first was %+v", again, first)
		}
		got, err := conns.ByID(b.ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Credentials.AccessToken != "at-2" || got.Tags["v"] != "2" || got.EndUser == nil || got.EndUser.ID != "u2" ||
			got.ConnectionConfig["org"] != "acme" || got.Metadata["kept"] != true {
			t.Fatalf("after re-authorisation: %+v", got)
		}
		if len(got.Errors) != 0 || got.RefreshAttempts != 0 {
			t.Fatalf("re-authorisation kept errors %v and %d attempts", got.Errors, got.RefreshAttempts)
		}
		if exp, err := conns.Expiring(b.ctx, time.Now().Add(time.Hour), store.ExpiringKey{}, 10); err != nil || len(exp) != 1 || exp[0].ID != first.ID {
			t.Fatalf("re-authorised connection is not refreshed again: Expiring = %v, %v", exp, err)
		}

		replaced := &store.Connection{IntegrationID: gh.ID, ConnectionID: "conn-1", Metadata: map[string]any{"new": 1.0}}
		if created, err := conns.Upsert(b.ctx, replaced); err != nil || created {
			t.Fatalf("third Upsert = %v, %v", created, err)
		}
		if got, _ := conns.ByID(b.ctx, first.ID); got.Metadata["new"] != 1.0 || got.Metadata["kept"] != nil {
			t.Fatalf("metadata given to Upsert was not saved: %v", got.Metadata)
		}
	})
	t.Run("ConcurrentUpsertOfANewConnection", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		const n = 10
		var wg sync.WaitGroup
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				created[i], errs[i] = b.store.Connections().Upsert(b.ctx, &store.Connection{
					IntegrationID: gh.ID, ConnectionID: "conn-1",
					Credentials: store.Credentials{Type: "API_KEY", APIKey: fmt.Sprint(i)},
				})
			})
		}
		wg.Wait()
		creators := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("concurrent Upsert: %v", errs[i])
			}
			if created[i] {
				creators++
			}
		}
		if creators != 1 {
			t.Fatalf("%d Upserts report creating the connection, want 1", creators)
		}
		if list, err := b.store.Connections().List(b.ctx, store.ConnectionFilter{EnvironmentID: dev.ID}); err != nil || len(list) != 1 {
			t.Fatalf("List = %v, %v; want one connection", ids(list), err)
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		orig := b.connection(t, gh, "conn-1", func(c *store.Connection) { c.Metadata = map[string]any{"a": "b"} })
		b.connection(t, gh, "taken")
		conns := b.store.Connections()

		expires := time.Now().Add(30 * time.Minute).UTC()
		refreshed := time.Now().UTC()
		updated, err := conns.Update(b.ctx, orig.ID, func(c *store.Connection) error {
			c.Credentials.AccessToken = "at-refreshed"
			c.Credentials.ExpiresAt = &expires
			c.LastRefreshSuccessAt = &refreshed
			c.RefreshAttempts = 2
			c.Metadata["c"] = "d"
			c.ID, c.IntegrationKey = "ignored", "ignored"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.ID != orig.ID || updated.IntegrationKey != "github" || !updated.UpdatedAt.After(orig.UpdatedAt) ||
			updated.CredentialsExpiresAt == nil || !updated.CredentialsExpiresAt.Equal(expires) {
			t.Fatalf("Update = %+v", updated)
		}
		got, err := conns.ByID(b.ctx, orig.ID)
		if err != nil || got.Credentials.AccessToken != "at-refreshed" || got.Credentials.RefreshToken != "rt-conn-1" ||
			got.RefreshAttempts != 2 || got.Metadata["a"] != "b" || got.Metadata["c"] != "d" ||
			got.LastRefreshSuccessAt == nil || got.LastRefreshSuccessAt.Sub(refreshed).Abs() > time.Microsecond ||
			got.CredentialsExpiresAt == nil || got.CredentialsExpiresAt.Sub(expires).Abs() > time.Microsecond {
			t.Fatalf("after Update, ByID = %+v, %v", got, err)
		}

		if _, err := conns.Update(b.ctx, orig.ID, func(c *store.Connection) error {
			c.ConnectionID = "taken"
			return nil
		}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("renaming onto a taken connection id: error = %v, want ErrConflict", err)
		}
		errRefused := errors.New("refused")
		if _, err := conns.Update(b.ctx, orig.ID, func(c *store.Connection) error {
			c.Credentials.AccessToken = "must not be saved"
			return errRefused
		}); !errors.Is(err, errRefused) {
			t.Fatalf("Update error = %v, want the change's error", err)
		}
		if got, _ := conns.ByID(b.ctx, orig.ID); got.Credentials.AccessToken != "at-refreshed" || got.ConnectionID != "conn-1" {
			t.Fatalf("a failed Update saved a change: %+v", got)
		}
		for _, id := range []string{uuid.NewString(), "conn-1"} {
			if _, err := conns.Update(b.ctx, id, func(*store.Connection) error { return nil }); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Update(%s) error = %v, want ErrNotFound", id, err)
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		gh, slack := b.integration(t, dev.ID, "github"), b.integration(t, dev.ID, "slack")
		b.connection(t, gh, "conn-1")
		kept := b.connection(t, slack, "conn-1")
		conns := b.store.Connections()
		if err := conns.Delete(b.ctx, prod.ID, "github", "conn-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Delete from another environment: error = %v, want ErrNotFound", err)
		}
		if err := conns.Delete(b.ctx, dev.ID, "github", "conn-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := conns.Get(b.ctx, dev.ID, "github", "conn-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get after Delete: %v", err)
		}
		if err := conns.Delete(b.ctx, dev.ID, "github", "conn-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Delete error = %v, want ErrNotFound", err)
		}
		if _, err := conns.ByID(b.ctx, kept.ID); err != nil {
			t.Fatalf("Delete reached another integration's connection: %v", err)
		}
	})
	t.Run("DeletingTheIntegrationDeletesItsConnections", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh, slack := b.integration(t, dev.ID, "github"), b.integration(t, dev.ID, "slack")
		gone := b.connection(t, gh, "conn-1")
		kept := b.connection(t, slack, "conn-1")
		if err := b.store.Integrations().Delete(b.ctx, dev.ID, "github"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.store.Connections().ByID(b.ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("connection of a deleted integration: error = %v, want ErrNotFound", err)
		}
		if list, err := b.store.Connections().List(b.ctx, store.ConnectionFilter{EnvironmentID: dev.ID}); err != nil || ids(list) != "conn-1" || list[0].ID != kept.ID {
			t.Fatalf("List = %v, %v", list, err)
		}
	})
	t.Run("ExpiringPagesThroughTies", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		at := time.Now().Add(time.Minute).Truncate(time.Millisecond)
		want := map[string]bool{}
		for _, name := range []string{"a", "b", "c", "d", "e"} {
			c := b.connection(t, gh, name, func(c *store.Connection) { c.Credentials.ExpiresAt = ptr(at) })
			want[c.ID] = true
		}
		// Pages of one, all on the same expiry: each must start after the
		// previous one's id, or a page would repeat or skip a connection.
		var after store.ExpiringKey
		seen := map[string]bool{}
		for range 10 {
			page, err := b.store.Connections().Expiring(b.ctx, at.Add(time.Hour), after, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if seen[page[0].ID] {
				t.Fatalf("%s returned twice", page[0].ID)
			}
			seen[page[0].ID] = true
			if !page[0].ExpiresAt.Equal(at) {
				t.Fatalf("key expiry %v, want %v", page[0].ExpiresAt, at)
			}
			after = page[0]
		}
		if len(seen) != len(want) {
			t.Fatalf("paged through %d of %d connections", len(seen), len(want))
		}
	})
	t.Run("Expiring", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		// A time zone other than UTC must not change the order.
		zone := time.FixedZone("UTC+5", 5*3600)
		base := time.Now().In(zone).Truncate(time.Millisecond)
		expiringAt := func(d time.Duration) func(*store.Connection) {
			return func(c *store.Connection) { c.Credentials.ExpiresAt = ptr(base.Add(d)) }
		}
		in10 := b.connection(t, gh, "in-10m", expiringAt(10*time.Minute))
		in5 := b.connection(t, gh, "in-5m", expiringAt(5*time.Minute))
		failed := b.connection(t, gh, "failed", expiringAt(time.Minute), func(c *store.Connection) {
			c.Errors = []store.ConnectionError{{Type: "auth", Code: "invalid_grant", At: base}}
		})
		b.connection(t, gh, "later", expiringAt(2*time.Hour))
		b.connection(t, gh, "never", func(c *store.Connection) { c.Credentials = store.Credentials{Type: "API_KEY", APIKey: "k"} })
		// Nothing to renew it with: the refresher must not see it at all.
		b.connection(t, gh, "no-refresh-token", func(c *store.Connection) {
			c.Credentials = store.Credentials{Type: "OAUTH2", AccessToken: "at", ExpiresAt: ptr(base.Add(-2 * time.Hour))}
		})
		custom := b.connection(t, gh, "custom", func(c *store.Connection) {
			c.Credentials = store.Credentials{Type: "CUSTOM", AccessToken: "inst", ExpiresAt: ptr(base.Add(30 * time.Minute)),
				User: &store.Credentials{AccessToken: "user", ExpiresAt: ptr(base.Add(2 * time.Minute))}}
		})
		past := b.connection(t, gh, "past", expiringAt(-time.Hour))

		conns := b.store.Connections()
		before := base.Add(time.Hour)
		got, err := conns.Expiring(b.ctx, before, store.ExpiringKey{}, 0)
		if want := []string{past.ID, custom.ID, in5.ID, in10.ID}; err != nil || !sameIDs(keyIDs(got), want) {
			t.Fatalf("Expiring = %v, %v; want %v (past, custom, in-5m, in-10m)", got, err, want)
		}
		page, err := conns.Expiring(b.ctx, before, store.ExpiringKey{}, 2)
		if err != nil || !sameIDs(keyIDs(page), []string{past.ID, custom.ID}) {
			t.Fatalf("Expiring(limit 2) = %v, %v", page, err)
		}
		// The last key of a page is where the next one starts.
		if page, err = conns.Expiring(b.ctx, before, page[1], 2); err != nil || !sameIDs(keyIDs(page), []string{in5.ID, in10.ID}) {
			t.Fatalf("Expiring(after custom, limit 2) = %v, %v", page, err)
		}
		if page, err = conns.Expiring(b.ctx, before, page[1], 2); err != nil || len(page) != 0 {
			t.Fatalf("Expiring(after the last) = %v, %v; want none", page, err)
		}
		// Clearing the error makes the connection refreshable again; an
		// auth error on another takes it out.
		if _, err := conns.Update(b.ctx, failed.ID, func(c *store.Connection) error { c.Errors = nil; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := conns.Update(b.ctx, in5.ID, func(c *store.Connection) error {
			c.Errors = append(c.Errors, store.ConnectionError{Type: "auth", Code: "refresh_token_revoked", At: base})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := conns.Expiring(b.ctx, before, store.ExpiringKey{}, 0); err != nil || !sameIDs(keyIDs(got), []string{past.ID, failed.ID, custom.ID, in10.ID}) {
			t.Fatalf("after updates, Expiring = %v, %v", got, err)
		}
	})
}

func sameIDs(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func keyIDs(keys []store.ExpiringKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

func testConnectionEncryption(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("NoPlaintextSecretInTheDatabase", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		secrets := []string{"AT-7c1f", "RT-93ab", "USER-AT-55de", "RAW-0b2e", "CSECRET-f00d", "FIELD-beef", "PASSWORD-c0de", "VERIFIER-a11ce"}
		c := &store.Connection{IntegrationID: gh.ID, ConnectionID: "conn-1", Credentials: store.Credentials{
			Type: "OAUTH2", AccessToken: secrets[0], RefreshToken: secrets[1],
			User:         &store.Credentials{AccessToken: secrets[2]},
			Raw:          json.RawMessage(`{"access_token":"` + secrets[3] + `"}`),
			ClientSecret: secrets[4], Fields: map[string]string{"private_key": secrets[5]}, Password: secrets[6],
		}}
		if _, err := b.store.Connections().Upsert(b.ctx, c); err != nil {
			t.Fatal(err)
		}
		if _, err := b.store.Connections().Update(b.ctx, c.ID, func(c *store.Connection) error {
			c.Credentials.AccessToken += "-v2"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := b.store.OAuthSessions().Create(b.ctx, &store.OAuthSession{
			ID: "state-1", EnvironmentID: dev.ID, IntegrationKey: "github", ConnectionID: "conn-2",
			Secret: secrets[7], RequestToken: "request-token", ExpiresAt: time.Now().Add(time.Minute),
		}); err != nil {
			t.Fatal(err)
		}
		// The functions' secrets: environment variables and what actions are
		// given and return.
		secrets = append(secrets, "VAR-7e57", "INPUT-1a2b", "OUTPUT-3c4d", "ERROR-5e6f")
		if err := b.store.Settings().SetVariables(b.ctx, dev.ID, []store.EnvironmentVariable{{Name: "API_TOKEN", Value: "VAR-7e57"}}); err != nil {
			t.Fatal(err)
		}
		run := actionRun(dev.ID, "run-1")
		run.Input = json.RawMessage(`{"token":"INPUT-1a2b"}`)
		b.actionRun(t, run)
		if _, err := b.store.ActionRuns().Update(b.ctx, dev.ID, run.ID, func(r *store.ActionRun) error {
			r.Output, r.Error = json.RawMessage(`{"token":"OUTPUT-3c4d"}`), json.RawMessage(`{"message":"ERROR-5e6f"}`)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		dump := b.db.Dump(t, "SELECT * FROM connections") + b.db.Dump(t, "SELECT * FROM oauth_sessions") +
			b.db.Dump(t, "SELECT * FROM environments") + b.db.Dump(t, "SELECT * FROM action_runs")
		if !strings.Contains(dump, "conn-1") || !strings.Contains(dump, "state-1") || !strings.Contains(dump, "run-1") {
			t.Fatalf("the dump does not show the rows: %q", dump)
		}
		for _, s := range secrets {
			if strings.Contains(dump, s) {
				t.Errorf("the database holds %s in the clear", s)
			}
		}
	})
	t.Run("ConnectionCiphertextsAreBoundToTheirRow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		b.connection(t, gh, "victim")
		b.connection(t, gh, "attacker")
		b.db.Exec(t, `UPDATE connections SET credentials = (SELECT credentials FROM connections WHERE connection_id = 'attacker') WHERE connection_id = 'victim'`)
		if got, err := b.store.Connections().Get(b.ctx, dev.ID, "github", "victim"); err == nil {
			t.Fatalf("a ciphertext moved from another row opened: %+v", got.Credentials)
		}
		if _, err := b.store.Connections().Get(b.ctx, dev.ID, "github", "attacker"); err != nil {
			t.Fatalf("the untouched row: %v", err)
		}
	})
}
