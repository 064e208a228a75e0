package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// overflowing is a number JSON allows and float64 cannot hold: Go refuses
// to decode it and JavaScript reads it as Infinity. PostgreSQL's jsonb
// keeps it (as 310 digits), SQLite as it is.
const overflowing = "-1e309"

// wantDocumentError fails t unless err is a *store.DocumentError of code
// about doc.
func wantDocumentError(t *testing.T, what string, err error, doc, code string) {
	t.Helper()
	var de *store.DocumentError
	if !errors.As(err, &de) || de.Doc != doc || de.Code != code {
		t.Fatalf("%s: error = %v, want a %s DocumentError about %s", what, err, code, doc)
	}
}

func testDocuments(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("AnUnreadableRowDoesNotFailTheList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		gh := b.integration(t, dev.ID, "github")
		exp := time.Now().Add(time.Minute)
		b.connection(t, gh, "first")
		b.connection(t, gh, "bad-metadata", func(c *store.Connection) { c.Credentials.ExpiresAt = &exp })
		b.connection(t, gh, "bad-credentials")
		b.connection(t, gh, "last")
		prodGH := b.integration(t, prod.ID, "github")
		b.connection(t, prodGH, "prod-only")
		// Rows as an older version (or a hand in the database) left them.
		b.db.Exec(t, `UPDATE connections SET metadata = '{"a":`+overflowing+`}' WHERE connection_id = 'bad-metadata'`)
		b.db.Exec(t, `UPDATE connections SET credentials = (SELECT credentials FROM connections WHERE connection_id = 'first') WHERE connection_id = 'bad-credentials'`)

		conns := b.store.Connections()
		before := b.store.UnreadableRows()
		got, err := conns.List(b.ctx, store.ConnectionFilter{EnvironmentID: dev.ID})
		if err != nil || ids(got) != "last,first" {
			t.Fatalf("List = [%s], %v; want the readable rows [last,first]", ids(got), err)
		}
		if n := b.store.UnreadableRows() - before; n != 2 {
			t.Errorf("UnreadableRows grew by %d, want 2", n)
		}
		if got, err := conns.List(b.ctx, store.ConnectionFilter{}); err != nil || ids(got) != "prod-only,last,first" {
			t.Fatalf("List of every environment = [%s], %v", ids(got), err)
		}

		// The row itself answers with a clear error; its neighbours work.
		bad, err := conns.Get(b.ctx, dev.ID, "github", "bad-metadata")
		var ue *store.UnreadableError
		if !errors.As(err, &ue) || ue.Table != "connections" || ue.Column != "metadata" || ue.ID == "" {
			t.Fatalf("Get of the unreadable row = %+v, %v; want an UnreadableError naming metadata", bad, err)
		}
		if _, err := conns.ByID(b.ctx, ue.ID); !errors.As(err, &ue) {
			t.Fatalf("ByID of the unreadable row: error = %v, want an UnreadableError", err)
		}
		if _, err := conns.Update(b.ctx, ue.ID, func(*store.Connection) error { return nil }); !errors.As(err, &ue) {
			t.Fatalf("Update of the unreadable row: error = %v, want an UnreadableError", err)
		}
		if _, err := conns.Get(b.ctx, dev.ID, "github", "bad-credentials"); !errors.As(err, &ue) || ue.Column != "credentials" {
			t.Fatalf("Get of the row with foreign credentials: error = %v, want an UnreadableError naming credentials", err)
		}
		if _, err := conns.Get(b.ctx, dev.ID, "github", "first"); err != nil {
			t.Fatalf("Get of a readable row: %v", err)
		}
		// Expiring reads only ids, so the refresher still sees the row and
		// must skip it itself.
		if ids, err := conns.Expiring(b.ctx, exp.Add(time.Hour), store.ExpiringKey{}, 10); err != nil || len(ids) != 1 {
			t.Fatalf("Expiring = %v, %v; want the one row", ids, err)
		}
		// Deleting it is the way out, and needs no reading.
		if err := conns.Delete(b.ctx, dev.ID, "github", "bad-metadata"); err != nil {
			t.Fatalf("Delete of the unreadable row: %v", err)
		}
	})
	t.Run("AnUnreadableIntegrationDoesNotFailTheList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")
		b.integration(t, dev.ID, "slack")
		b.db.Exec(t, `UPDATE integrations SET settings = '{"rate_limit":{"requests":1,"interval":"forever"}}' WHERE unique_key = 'github'`)
		got, err := b.store.Integrations().List(b.ctx, dev.ID)
		if err != nil || len(got) != 1 || got[0].UniqueKey != "slack" {
			t.Fatalf("List = %v, %v; want only slack", got, err)
		}
		var ue *store.UnreadableError
		if _, err := b.store.Integrations().Get(b.ctx, dev.ID, "github"); !errors.As(err, &ue) || ue.Column != "settings" {
			t.Fatalf("Get of the unreadable integration: error = %v, want an UnreadableError naming settings", err)
		}
	})
	t.Run("ConnectionDocumentsThatCannotBeReadBackAreRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		conns := b.store.Connections()
		for _, tt := range []struct {
			name      string
			edit      func(*store.Connection)
			doc, code string
		}{
			{"metadata number", func(c *store.Connection) { c.Metadata = map[string]any{"a": json.Number("1e999999")} }, "metadata", "invalid_number"},
			{"config number", func(c *store.Connection) { c.ConnectionConfig = map[string]any{"a": json.Number(overflowing)} }, "connection_config", "invalid_number"},
			{"NUL in metadata", func(c *store.Connection) { c.Metadata = map[string]any{"a": "x\x00"} }, "metadata", "invalid_string"},
			{"NUL in a tag", func(c *store.Connection) { c.Tags = map[string]string{"team": "a\x00"} }, "tags", "invalid_string"},
			{"NUL in the end user", func(c *store.Connection) { c.EndUser = &store.EndUser{ID: "u\x00"} }, "end_user", "invalid_string"},
			{"metadata over its cap", func(c *store.Connection) {
				c.Metadata = map[string]any{"a": strings.Repeat("x", store.DocMetadata.Max)}
			}, "metadata", "too_big"},
		} {
			c := &store.Connection{IntegrationID: gh.ID, ConnectionID: "new", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"}}
			tt.edit(c)
			wantDocumentError(t, tt.name+": Create", conns.Create(b.ctx, c), tt.doc, tt.code)
			up := &store.Connection{IntegrationID: gh.ID, ConnectionID: "new", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"}}
			tt.edit(up)
			_, err := conns.Upsert(b.ctx, up)
			wantDocumentError(t, tt.name+": Upsert", err, tt.doc, tt.code)
			if _, err := conns.Get(b.ctx, dev.ID, "github", "new"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: a refused write stored the row: %v", tt.name, err)
			}
		}

		good := b.connection(t, gh, "good", func(c *store.Connection) { c.Metadata = map[string]any{"keep": "me"} })
		_, err := conns.Update(b.ctx, good.ID, func(c *store.Connection) error {
			c.Metadata = map[string]any{"a": json.Number("1e999999")}
			return nil
		})
		wantDocumentError(t, "Update", err, "metadata", "invalid_number")
		re := &store.Connection{IntegrationID: gh.ID, ConnectionID: "good", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"},
			ConnectionConfig: map[string]any{"a": json.Number("1e999999")}}
		_, err = conns.Upsert(b.ctx, re)
		wantDocumentError(t, "Upsert of an existing row", err, "connection_config", "invalid_number")
		got, err := conns.Get(b.ctx, dev.ID, "github", "good")
		if err != nil || got.Metadata["keep"] != "me" || got.Credentials.Type != "OAUTH2" {
			t.Fatalf("the row after refused writes = %+v, %v; want it unchanged", got, err)
		}
		// Health messages quote providers, so they are cleaned, not refused.
		if _, err := conns.Update(b.ctx, good.ID, func(c *store.Connection) error {
			c.Errors = []store.ConnectionError{{Type: "auth", Code: "invalid_grant", Message: "bad\x00 token", At: time.Now()}}
			return nil
		}); err != nil {
			t.Fatalf("Update with NUL in a health message: %v", err)
		}
		if got, err := conns.Get(b.ctx, dev.ID, "github", "good"); err != nil || len(got.Errors) != 1 || got.Errors[0].Message != "bad token" {
			t.Fatalf("health after a NUL message = %+v, %v", got, err)
		}
		// Numbers that do fit come back as float64, tiny ones as zero.
		if _, err := conns.Update(b.ctx, good.ID, func(c *store.Connection) error {
			c.Metadata = map[string]any{"big": json.Number("1.5e308"), "tiny": json.Number("1e-999")}
			return nil
		}); err != nil {
			t.Fatalf("Update with representable numbers: %v", err)
		}
		if got, err := conns.Get(b.ctx, dev.ID, "github", "good"); err != nil || got.Metadata["big"] != 1.5e308 || got.Metadata["tiny"] != 0.0 {
			t.Fatalf("metadata read back = %v, %v", got.Metadata, err)
		}
	})
	t.Run("ADocumentOverItsCapFromBeforeMayStayButNotGrow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		gh := b.integration(t, dev.ID, "github")
		legacy := b.connection(t, gh, "legacy")
		big := strings.Repeat("x", store.DocMetadata.Max)
		b.db.Exec(t, `UPDATE connections SET metadata = '{"a":"`+big+`"}' WHERE connection_id = 'legacy'`)
		conns := b.store.Connections()
		// A token refresh rewrites the whole row, metadata included.
		if _, err := conns.Update(b.ctx, legacy.ID, func(c *store.Connection) error {
			c.Credentials.AccessToken = "refreshed"
			return nil
		}); err != nil {
			t.Fatalf("Update of a row whose metadata was over the cap already: %v", err)
		}
		_, err := conns.Update(b.ctx, legacy.ID, func(c *store.Connection) error {
			c.Metadata["b"] = "more"
			return nil
		})
		wantDocumentError(t, "growing it", err, "metadata", "too_big")
		if _, err := conns.Update(b.ctx, legacy.ID, func(c *store.Connection) error {
			c.Metadata = map[string]any{"a": "small"}
			return nil
		}); err != nil {
			t.Fatalf("shrinking it: %v", err)
		}
	})
	t.Run("OtherDocumentsThatCannotBeReadBackAreRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")

		cs := &store.ConnectSession{EnvironmentID: dev.ID, TokenHash: "h1", ExpiresAt: time.Now().Add(time.Hour),
			IntegrationsConfigDefaults: map[string]json.RawMessage{"github": json.RawMessage(`{"connection_config":{"n":1e999999}}`)}}
		wantDocumentError(t, "connect session defaults", b.store.ConnectSessions().Create(b.ctx, cs), "integrations_config_defaults", "invalid_number")
		cs = &store.ConnectSession{EnvironmentID: dev.ID, TokenHash: "h2", ExpiresAt: time.Now().Add(time.Hour), EndUser: &store.EndUser{ID: "u", DisplayName: "\x00"}}
		wantDocumentError(t, "connect session end user", b.store.ConnectSessions().Create(b.ctx, cs), "end_user", "invalid_string")
		for _, h := range []string{"h1", "h2"} {
			if _, err := b.store.ConnectSessions().ByTokenHash(b.ctx, h); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a refused connect session was stored: %v", err)
			}
		}

		oauth := &store.OAuthSession{ID: uuid.NewString(), EnvironmentID: dev.ID, IntegrationKey: "github", AuthMode: "OAUTH2",
			ConnectionConfig: map[string]any{"a": "\x00"}, ExpiresAt: time.Now().Add(time.Minute)}
		wantDocumentError(t, "OAuth session config", b.store.OAuthSessions().Create(b.ctx, oauth), "connection_config", "invalid_string")

		err := b.store.Settings().SetConnectUI(b.ctx, dev.ID, store.ConnectUISettings{Name: "a\x00"})
		wantDocumentError(t, "connect UI settings", err, "settings", "invalid_string")
		if ui, err := b.store.Settings().ConnectUI(b.ctx, dev.ID); err != nil || ui.Name != "" {
			t.Fatalf("ConnectUI after a refused write = %+v, %v", ui, err)
		}
		err = b.store.Settings().SetVariables(b.ctx, dev.ID, []store.EnvironmentVariable{{Name: "BIG", Value: strings.Repeat("x", store.DocVariables.Max)}})
		wantDocumentError(t, "environment variables", err, "variables", "too_big")

		d := deployment(dev.ID, "github", "numbers")
		d.Definition = json.RawMessage(`{"input":{"maximum":1e999}}`)
		wantDocumentError(t, "deployment definition", b.store.Deployments().Put(b.ctx, []*store.Deployment{d}), "definition", "invalid_number")

		run := actionRun(dev.ID, "")
		run.Input = json.RawMessage(`{"n":1e999999}`)
		_, _, err = b.store.ActionRuns().Create(b.ctx, run)
		wantDocumentError(t, "action input", err, "input", "invalid_number")
		stored := b.actionRun(t, actionRun(dev.ID, "key"))
		_, err = b.store.ActionRuns().Update(b.ctx, dev.ID, stored.ID, func(r *store.ActionRun) error {
			r.Status, r.Output = store.ActionSucceeded, json.RawMessage(`"`+strings.Repeat("x", store.DocActionOutput.Max)+`"`)
			return nil
		})
		wantDocumentError(t, "action output", err, "output", "too_big")
		if got, err := b.store.ActionRuns().Get(b.ctx, dev.ID, stored.ID); err != nil || got.Status != store.ActionPending || got.Output != nil {
			t.Fatalf("the run after a refused update = %+v, %v", got, err)
		}
	})
}
