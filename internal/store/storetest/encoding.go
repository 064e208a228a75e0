package storetest

import (
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

// The stored encodings, as every database written so far holds them. A
// change here is a data migration: renaming a field of a domain struct
// (internal/store) or of the API's wire shapes must leave these alone.
const (
	storedCredentialsJSON = `{"type":"CUSTOM","access_token":"at","refresh_token":"rt","expires_at":"2030-01-02T03:04:05Z",` +
		`"token":"tok","oauth_token":"ot","oauth_token_secret":"ots","apiKey":"ak","username":"un","password":"pw",` +
		`"client_id":"ci","client_secret":"cs","fields":{"kid":"k1"},` +
		`"user":{"type":"OAUTH2","access_token":"uat","refresh_token":"urt","expires_at":"2030-01-01T00:00:00Z"},` +
		`"raw":{"access_token":"at","extra":1}}`
	storedEndUserJSON     = `{"id":"u1","email":"u1@example.com","display_name":"User One","tags":{"plan":"pro"},"organization":{"id":"o1","display_name":"Org One"}}`
	storedErrorsJSON      = `[{"type":"auth","code":"refresh_token_revoked","message":"revoked","at":"2030-01-01T00:00:00Z"}]`
	storedConnectUIJSON   = `{"name":"Acme","logo_url":"https://acme.example/logo.png","primary_color":"#abcdef","dark_mode":true}`
	storedWebhooksJSON    = `{"url":"https://acme.example/hook","secondary_url":"https://acme.example/hook2","send_auth_webhooks":false}`
	storedVariablesJSON   = `[{"name":"API_BASE","value":"https://acme.example"},{"name":"MODE","value":"test"}]`
	storedSessionUserJSON = `{"id":"u2","email":"u2@example.com","organization":{"id":"o2"}}`
	storedIntegSecretJSON = `{"client_secret":"cs","webhook_secret":"whs","private_key":"pk"}`
	storedIntegSettings   = `{"rate_limit":{"requests":10,"interval":"1.5s","burst":4},"allowed_base_urls":["https://api.example"],` +
		`"functions":{"memory_bytes":1048576,"action_timeout":"30s","connection_concurrency":2}}`
)

// The domain values those encodings hold.
func storedCredentials() store.Credentials {
	exp, userExp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return store.Credentials{
		Type: "CUSTOM", AccessToken: "at", RefreshToken: "rt", ExpiresAt: &exp, Token: "tok",
		OAuthToken: "ot", OAuthTokenSecret: "ots", APIKey: "ak", Username: "un", Password: "pw",
		ClientID: "ci", ClientSecret: "cs", Fields: map[string]string{"kid": "k1"},
		User: &store.Credentials{Type: "OAUTH2", AccessToken: "uat", RefreshToken: "urt", ExpiresAt: &userExp},
		Raw:  json.RawMessage(`{"access_token":"at","extra":1}`),
	}
}

func storedEndUser() *store.EndUser {
	return &store.EndUser{ID: "u1", Email: "u1@example.com", DisplayName: "User One", Tags: map[string]string{"plan": "pro"},
		Organization: &store.Organization{ID: "o1", DisplayName: "Org One"}}
}

func storedErrors() []store.ConnectionError {
	return []store.ConnectionError{{Type: "auth", Code: "refresh_token_revoked", Message: "revoked", At: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}
}

// column returns the one value query selects, as Dump gives it.
func (b *bundle) column(t *testing.T, query string) []byte {
	t.Helper()
	return []byte(strings.TrimSuffix(b.db.Dump(t, query), "\t\n"))
}

// bytesLiteral is b as an SQL literal of the store's dialect.
func (b *bundle) bytesLiteral(v []byte) string {
	if b.store.Dialect() == "postgres" {
		return `'\x` + hex.EncodeToString(v) + `'::bytea`
	}
	return "X'" + hex.EncodeToString(v) + "'"
}

// opened is the plaintext of a sealed value.
func (b *bundle) opened(t *testing.T, sealed []byte, table, column, id string) []byte {
	t.Helper()
	plain, err := b.vault.Open(sealed, vault.AAD(table, column, id))
	if err != nil {
		t.Fatalf("open %s.%s of %s: %v", table, column, id, err)
	}
	return plain
}

// sameStored fails unless got and want are the same JSON value.
func sameStored(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: stored %s is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s is stored as\n%s\nwant\n%s\n(a change of the stored encoding is a data migration)", what, got, want)
	}
}

// testStoredEncoding pins the JSON the store writes from domain structs,
// sealed or not: what it writes is today's encoding, and what today's
// encoding holds reads back as the same domain values.
func testStoredEncoding(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("Connection", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		env := b.environment(t, "dev")
		in := b.integration(t, env.ID, "github")
		c := b.connection(t, in, "pinned", func(c *store.Connection) {
			c.Credentials, c.EndUser = storedCredentials(), storedEndUser()
		})
		if _, err := b.store.Connections().Update(b.ctx, c.ID, func(c *store.Connection) error {
			c.Errors = storedErrors()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		where := " FROM connections WHERE id = '" + c.ID + "'"
		sameStored(t, "connections.credentials", b.opened(t, b.column(t, "SELECT credentials"+where), "connections", "credentials", c.ID), storedCredentialsJSON)
		sameStored(t, "connections.end_user", b.column(t, "SELECT end_user"+where), storedEndUserJSON)
		sameStored(t, "connections.errors", b.column(t, "SELECT errors"+where), storedErrorsJSON)

		// Today's encoding, written as an older version did (the
		// credentials sealed with this store's key), reads back as the
		// domain values.
		sealed := b.vault.Seal([]byte(storedCredentialsJSON), vault.AAD("connections", "credentials", c.ID))
		b.db.Exec(t, "UPDATE connections SET credentials = "+b.bytesLiteral(sealed)+", end_user = '"+storedEndUserJSON+
			"', errors = '"+storedErrorsJSON+"' WHERE id = '"+c.ID+"'")
		got, err := b.store.Connections().ByID(b.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := storedCredentials(); !sameJSON(t, got.Credentials, want) {
			t.Fatalf("credentials read back as %+v, want %+v", got.Credentials, want)
		}
		if !reflect.DeepEqual(got.EndUser, storedEndUser()) {
			t.Fatalf("end user read back as %+v, want %+v", got.EndUser, storedEndUser())
		}
		if !sameJSON(t, got.Errors, storedErrors()) {
			t.Fatalf("errors read back as %+v, want %+v", got.Errors, storedErrors())
		}
	})
	t.Run("Integration", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		env := b.environment(t, "dev")
		in := &store.Integration{EnvironmentID: env.ID, UniqueKey: "github", Provider: "github",
			Credentials: store.IntegrationCredentials{Type: "APP", ClientSecret: "cs", WebhookSecret: "whs", PrivateKey: "pk"},
			Settings: store.IntegrationSettings{
				RateLimit:       &store.RateLimitOverride{Requests: 10, Interval: 1500 * time.Millisecond, Burst: 4},
				AllowedBaseURLs: []string{"https://api.example"},
				Functions:       &store.FunctionLimits{Memory: 1 << 20, ActionTimeout: 30 * time.Second, ConnectionConcurrency: 2},
			}}
		if err := b.store.Integrations().Create(b.ctx, in); err != nil {
			t.Fatal(err)
		}
		where := " FROM integrations WHERE id = '" + in.ID + "'"
		sameStored(t, "integrations.secrets", b.opened(t, b.column(t, "SELECT secrets"+where), "integrations", "secrets", in.ID), storedIntegSecretJSON)
		sameStored(t, "integrations.settings", b.column(t, "SELECT settings"+where), storedIntegSettings)
	})
	t.Run("ConnectSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		env := b.environment(t, "dev")
		sess := &store.ConnectSession{EnvironmentID: env.ID, TokenHash: "hash", ExpiresAt: time.Now().Add(time.Hour),
			EndUser: &store.EndUser{ID: "u2", Email: "u2@example.com", Organization: &store.Organization{ID: "o2"}}}
		if err := b.store.ConnectSessions().Create(b.ctx, sess); err != nil {
			t.Fatal(err)
		}
		sameStored(t, "connect_sessions.end_user", b.column(t, "SELECT end_user FROM connect_sessions WHERE id = '"+sess.ID+"'"), storedSessionUserJSON)
		b.db.Exec(t, "UPDATE connect_sessions SET end_user = '"+storedEndUserJSON+"' WHERE id = '"+sess.ID+"'")
		got, err := b.store.ConnectSessions().ByID(b.ctx, sess.ID)
		if err != nil || !reflect.DeepEqual(got.EndUser, storedEndUser()) {
			t.Fatalf("ByID = %+v, %v; want end user %+v", got, err, storedEndUser())
		}
	})
	t.Run("EnvironmentSettings", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		env := b.environment(t, "dev")
		settings, off := b.store.Settings(), false
		ui := store.ConnectUISettings{Name: "Acme", LogoURL: "https://acme.example/logo.png", PrimaryColor: "#abcdef", DarkMode: true}
		hooks := store.WebhookSettings{URL: "https://acme.example/hook", SecondaryURL: "https://acme.example/hook2", SendAuthWebhooks: &off}
		vars := []store.EnvironmentVariable{{Name: "API_BASE", Value: "https://acme.example"}, {Name: "MODE", Value: "test"}}
		if err := settings.SetConnectUI(b.ctx, env.ID, ui); err != nil {
			t.Fatal(err)
		}
		if err := settings.SetWebhooks(b.ctx, env.ID, hooks); err != nil {
			t.Fatal(err)
		}
		if err := settings.SetVariables(b.ctx, env.ID, vars); err != nil {
			t.Fatal(err)
		}
		where := " FROM environments WHERE id = '" + env.ID + "'"
		sameStored(t, "environments.connect_ui_settings", b.column(t, "SELECT connect_ui_settings"+where), storedConnectUIJSON)
		sameStored(t, "environments.webhook_settings", b.column(t, "SELECT webhook_settings"+where), storedWebhooksJSON)
		sameStored(t, "environments.variables", b.opened(t, b.column(t, "SELECT variables"+where), "environments", "variables", env.ID), storedVariablesJSON)

		sealed := b.vault.Seal([]byte(storedVariablesJSON), vault.AAD("environments", "variables", env.ID))
		b.db.Exec(t, "UPDATE environments SET connect_ui_settings = '"+storedConnectUIJSON+"', webhook_settings = '"+storedWebhooksJSON+
			"', variables = "+b.bytesLiteral(sealed)+" WHERE id = '"+env.ID+"'")
		if got, err := settings.ConnectUI(b.ctx, env.ID); err != nil || got != ui {
			t.Fatalf("ConnectUI = %+v, %v; want %+v", got, err, ui)
		}
		if got, err := settings.Webhooks(b.ctx, env.ID); err != nil || !reflect.DeepEqual(got, hooks) {
			t.Fatalf("Webhooks = %+v, %v; want %+v", got, err, hooks)
		}
		if got, err := settings.Variables(b.ctx, env.ID); err != nil || !reflect.DeepEqual(got, vars) {
			t.Fatalf("Variables = %+v, %v; want %+v", got, err, vars)
		}
	})
}
