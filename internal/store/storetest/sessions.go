package storetest

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

func testConnectSessions(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("CreateLookUpDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		sessions := b.store.ConnectSessions()
		expires := time.Now().Add(30 * time.Minute).UTC()
		want := &store.ConnectSession{
			EnvironmentID: dev.ID, TokenHash: vault.HashSecret("token-1"),
			EndUser:             &store.EndUser{ID: "u1", Email: "u1@example.com", Tags: map[string]string{"k": "v"}},
			AllowedIntegrations: []string{"github", "slack"},
			IntegrationsConfigDefaults: map[string]json.RawMessage{
				"github": json.RawMessage(`{"connection_config":{"org":"acme"},"user_scopes":"repo"}`),
			},
			Tags:                  map[string]string{"plan": "pro"},
			ReconnectConnectionID: "conn-1", ReconnectIntegration: "github",
			ExpiresAt: expires,
		}
		if err := sessions.Create(b.ctx, want); err != nil {
			t.Fatal(err)
		}
		if want.ID == "" || want.CreatedAt.IsZero() {
			t.Fatalf("Create did not fill in id and creation time: %+v", want)
		}
		got, err := sessions.ByTokenHash(b.ctx, want.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.EnvironmentID != dev.ID || got.TokenHash != want.TokenHash ||
			got.ReconnectConnectionID != "conn-1" || got.ReconnectIntegration != "github" ||
			got.ExpiresAt.Sub(expires).Abs() > time.Microsecond || got.CreatedAt.Sub(want.CreatedAt).Abs() > time.Microsecond ||
			!sameJSON(t, got.EndUser, want.EndUser) || !sameJSON(t, got.AllowedIntegrations, want.AllowedIntegrations) ||
			!sameJSON(t, got.IntegrationsConfigDefaults, want.IntegrationsConfigDefaults) || !sameJSON(t, got.Tags, want.Tags) {
			t.Fatalf("ByTokenHash =\n %+v\nwant %+v", got, want)
		}
		if byID, err := sessions.ByID(b.ctx, want.ID); err != nil || byID.TokenHash != want.TokenHash || !sameJSON(t, byID, got) {
			t.Fatalf("ByID = %+v, %v; want %+v", byID, err, got)
		}
		for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
			if _, err := sessions.ByID(b.ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("ByID(%s) error = %v, want ErrNotFound", id, err)
			}
		}

		bare := &store.ConnectSession{EnvironmentID: dev.ID, TokenHash: vault.HashSecret("token-2"), ExpiresAt: expires,
			CreatedAt: expires.Add(-time.Hour)}
		if err := sessions.Create(b.ctx, bare); err != nil {
			t.Fatal(err)
		}
		if got, err := sessions.ByTokenHash(b.ctx, bare.TokenHash); err != nil || got.EndUser != nil ||
			len(got.AllowedIntegrations) != 0 || len(got.IntegrationsConfigDefaults) != 0 || got.CreatedAt.Sub(bare.CreatedAt).Abs() > time.Microsecond {
			t.Fatalf("session without options: %+v, %v", got, err)
		}
		if err := sessions.Create(b.ctx, &store.ConnectSession{EnvironmentID: dev.ID, TokenHash: want.TokenHash, ExpiresAt: expires}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second session with the same token: error = %v, want ErrConflict", err)
		}
		if _, err := sessions.ByTokenHash(b.ctx, vault.HashSecret("unknown")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ByTokenHash(unknown) error = %v, want ErrNotFound", err)
		}

		if err := sessions.Delete(b.ctx, want.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := sessions.ByTokenHash(b.ctx, want.TokenHash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ByTokenHash after Delete: error = %v, want ErrNotFound", err)
		}
		if _, err := sessions.ByID(b.ctx, want.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ByID after Delete: error = %v, want ErrNotFound", err)
		}
		for _, id := range []string{want.ID, "not-a-uuid"} {
			if err := sessions.Delete(b.ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Delete(%s) error = %v, want ErrNotFound", id, err)
			}
		}
		if _, err := sessions.ByTokenHash(b.ctx, bare.TokenHash); err != nil {
			t.Fatalf("Delete removed another session: %v", err)
		}
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		sessions := b.store.ConnectSessions()
		now := time.Now()
		for i, d := range []time.Duration{-time.Hour, -time.Minute, time.Minute} {
			s := &store.ConnectSession{EnvironmentID: dev.ID, TokenHash: vault.HashSecret(string(rune('a' + i))), ExpiresAt: now.Add(d)}
			if err := sessions.Create(b.ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := sessions.DeleteExpired(b.ctx, now); err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		if _, err := sessions.ByTokenHash(b.ctx, vault.HashSecret("c")); err != nil {
			t.Fatalf("the live session was deleted: %v", err)
		}
		if n, err := sessions.DeleteExpired(b.ctx, now); err != nil || n != 0 {
			t.Fatalf("second DeleteExpired = %d, %v; want 0", n, err)
		}
	})
	t.Run("DeletingTheEnvironmentDeletesThem", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		s := &store.ConnectSession{EnvironmentID: dev.ID, TokenHash: "h", ExpiresAt: time.Now().Add(time.Hour)}
		if err := b.store.ConnectSessions().Create(b.ctx, s); err != nil {
			t.Fatal(err)
		}
		b.db.Exec(t, "DELETE FROM environments WHERE name = 'dev'")
		if _, err := b.store.ConnectSessions().ByTokenHash(b.ctx, "h"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session of a deleted environment: error = %v, want ErrNotFound", err)
		}
	})
}

func testOAuthSessions(t *testing.T, newDB func(t *testing.T) Database) {
	newSession := func(envID, id string) *store.OAuthSession {
		return &store.OAuthSession{
			ID: id, EnvironmentID: envID, IntegrationKey: "github", ConnectionID: "conn-1",
			ConnectSessionID: uuid.NewString(), WSClientID: "ws-1", AuthMode: "OAUTH2",
			ConnectionConfig: map[string]any{"subdomain": "acme"}, Secret: "pkce-verifier-" + id,
			RedirectURI: "https://patchbay.example/oauth/callback", ExpiresAt: time.Now().Add(10 * time.Minute).UTC(),
		}
	}
	t.Run("TakeIsSingleUse", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		sessions := b.store.OAuthSessions()
		want := newSession(dev.ID, "4f1c0a7d9e2b")
		if err := sessions.Create(b.ctx, want); err != nil {
			t.Fatal(err)
		}
		if want.CreatedAt.IsZero() {
			t.Fatal("Create did not fill in the creation time")
		}
		if err := sessions.Create(b.ctx, newSession(dev.ID, want.ID)); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second session with the same state: error = %v, want ErrConflict", err)
		}
		if err := sessions.Create(b.ctx, &store.OAuthSession{EnvironmentID: dev.ID}); err == nil {
			t.Fatal("Create without a state succeeded")
		}
		got, err := sessions.Take(b.ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.EnvironmentID != dev.ID || got.IntegrationKey != "github" || got.ConnectionID != "conn-1" ||
			got.ConnectSessionID != want.ConnectSessionID || got.WSClientID != "ws-1" || got.AuthMode != "OAUTH2" ||
			got.Secret != want.Secret || got.RequestToken != "" || got.RedirectURI != want.RedirectURI ||
			!sameJSON(t, got.ConnectionConfig, want.ConnectionConfig) ||
			got.ExpiresAt.Sub(want.ExpiresAt).Abs() > time.Microsecond || got.CreatedAt.Sub(want.CreatedAt).Abs() > time.Microsecond {
			t.Fatalf("Take =\n %+v\nwant %+v", got, want)
		}
		if _, err := sessions.Take(b.ctx, want.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Take error = %v, want ErrNotFound", err)
		}

		noSecret := newSession(dev.ID, "no-secret")
		noSecret.Secret, noSecret.ConnectionConfig = "", nil
		if err := sessions.Create(b.ctx, noSecret); err != nil {
			t.Fatal(err)
		}
		if got, err := sessions.Take(b.ctx, "no-secret"); err != nil || got.Secret != "" || len(got.ConnectionConfig) != 0 {
			t.Fatalf("Take(no-secret) = %+v, %v", got, err)
		}
	})
	t.Run("ConcurrentTakes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		if err := b.store.OAuthSessions().Create(b.ctx, newSession(dev.ID, "state")); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = b.store.OAuthSessions().Take(b.ctx, "state")
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		for _, err := range errs {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, store.ErrNotFound):
				t.Fatalf("Take error = %v, want nil or ErrNotFound", err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d of %d concurrent Takes got the session, want 1", winners, n)
		}
	})
	t.Run("TakeByRequestToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		sessions := b.store.OAuthSessions()
		s := newSession(dev.ID, "state-1")
		s.AuthMode, s.RequestToken, s.Secret = "OAUTH1", "request-token-1", "token-secret-1"
		if err := sessions.Create(b.ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := sessions.Create(b.ctx, newSession(dev.ID, "state-2")); err != nil {
			t.Fatal(err)
		}
		for _, token := range []string{"", "request-token-2"} {
			if _, err := sessions.TakeByRequestToken(b.ctx, token); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("TakeByRequestToken(%q) error = %v, want ErrNotFound", token, err)
			}
		}
		got, err := sessions.TakeByRequestToken(b.ctx, "request-token-1")
		if err != nil || got.ID != "state-1" || got.Secret != "token-secret-1" || got.RequestToken != "request-token-1" {
			t.Fatalf("TakeByRequestToken = %+v, %v", got, err)
		}
		if _, err := sessions.TakeByRequestToken(b.ctx, "request-token-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second TakeByRequestToken error = %v, want ErrNotFound", err)
		}
		if _, err := sessions.Take(b.ctx, "state-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Take after TakeByRequestToken error = %v, want ErrNotFound", err)
		}
		if _, err := sessions.Take(b.ctx, "state-2"); err != nil {
			t.Fatalf("the other session: %v", err)
		}
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		sessions := b.store.OAuthSessions()
		now := time.Now()
		for id, d := range map[string]time.Duration{"old": -time.Hour, "older": -2 * time.Hour, "live": time.Minute} {
			s := newSession(dev.ID, id)
			s.ExpiresAt = now.Add(d)
			if err := sessions.Create(b.ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := sessions.DeleteExpired(b.ctx, now); err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		if _, err := sessions.Take(b.ctx, "live"); err != nil {
			t.Fatalf("the live session was deleted: %v", err)
		}
	})
}

func testSettings(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		settings := b.store.Settings()

		if ui, err := settings.ConnectUI(b.ctx, dev.ID); err != nil || ui != (store.ConnectUISettings{}) {
			t.Fatalf("default ConnectUI = %+v, %v", ui, err)
		}
		if wh, err := settings.Webhooks(b.ctx, dev.ID); err != nil || wh.URL != "" || wh.SendAuthWebhooks != nil {
			t.Fatalf("default Webhooks = %+v, %v", wh, err)
		}
		ui := store.ConnectUISettings{Name: "Acme", LogoURL: "https://acme.example/logo.png", PrimaryColor: "#ff0000", DarkMode: true}
		if err := settings.SetConnectUI(b.ctx, dev.ID, ui); err != nil {
			t.Fatal(err)
		}
		off := false
		wh := store.WebhookSettings{URL: "https://acme.example/hook", SecondaryURL: "https://backup.example/hook", SendAuthWebhooks: &off}
		if err := settings.SetWebhooks(b.ctx, dev.ID, wh); err != nil {
			t.Fatal(err)
		}
		if got, err := settings.ConnectUI(b.ctx, dev.ID); err != nil || got != ui {
			t.Fatalf("ConnectUI = %+v, %v; want %+v", got, err, ui)
		}
		if got, err := settings.Webhooks(b.ctx, dev.ID); err != nil || !sameJSON(t, got, wh) || got.SendAuthWebhooks == nil || *got.SendAuthWebhooks {
			t.Fatalf("Webhooks = %+v, %v; want %+v", got, err, wh)
		}
		if got, err := settings.ConnectUI(b.ctx, prod.ID); err != nil || got != (store.ConnectUISettings{}) {
			t.Fatalf("settings leaked into another environment: %+v, %v", got, err)
		}
		if err := settings.SetConnectUI(b.ctx, dev.ID, store.ConnectUISettings{Name: "Only"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := settings.ConnectUI(b.ctx, dev.ID); got != (store.ConnectUISettings{Name: "Only"}) {
			t.Fatalf("SetConnectUI merged instead of replacing: %+v", got)
		}
	})
	t.Run("UnknownEnvironment", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		settings := b.store.Settings()
		for _, id := range []string{uuid.NewString(), "dev"} {
			if _, err := settings.ConnectUI(b.ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ConnectUI(%s) error = %v, want ErrNotFound", id, err)
			}
			if _, err := settings.Webhooks(b.ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Webhooks(%s) error = %v, want ErrNotFound", id, err)
			}
			if err := settings.SetConnectUI(b.ctx, id, store.ConnectUISettings{Name: "x"}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SetConnectUI(%s) error = %v, want ErrNotFound", id, err)
			}
			if err := settings.SetWebhooks(b.ctx, id, store.WebhookSettings{URL: "x"}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SetWebhooks(%s) error = %v, want ErrNotFound", id, err)
			}
		}
	})
}
