package client_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
)

func TestConnectSessionsClient(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := apptest.Start(t, apptest.Options{Backend: backend})
			c := srv.Client()
			ctx := t.Context()
			for _, in := range []client.CreateIntegrationRequest{
				{UniqueKey: "stripe", Provider: "stripe-api-key"},
				{UniqueKey: "github", Provider: "github", Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "id", ClientSecret: "secret"}},
			} {
				if _, err := c.CreateIntegration(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.ImportConnection(ctx, client.ImportConnectionRequest{ProviderConfigKey: "stripe", ConnectionID: "known",
				Credentials: client.ImportCredentials{Type: "API_KEY", APIKey: "sk_test_known"},
				EndUser:     &client.EndUser{ID: "u-known", Email: "known@example.com"}}); err != nil {
				t.Fatal(err)
			}

			endUser := &client.EndUser{ID: "u-1", Email: "jane@example.com", DisplayName: "Jane", Tags: map[string]string{"plan": "pro"},
				Organization: &client.Organization{ID: "org-1", DisplayName: "Acme"}}
			defaults := map[string]client.IntegrationConfigDefaults{
				"github": {UserScopes: "repo", AuthorizationParams: map[string]string{"prompt": "consent"}, ConnectionConfig: map[string]any{"team": "core"}},
			}
			before := time.Now()
			sess, err := c.CreateConnectSession(ctx, client.ConnectSessionInput{EndUser: endUser, AllowedIntegrations: []string{"github", "stripe"}, IntegrationsConfigDefaults: defaults})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sess.Token, "nango_connect_session_") || len(sess.Token) != len("nango_connect_session_")+64 ||
				sess.ConnectLink != apptest.ServerURL+"/connect?session_token="+sess.Token {
				t.Fatalf("session = %+v", sess)
			}
			if d := sess.ExpiresAt.Sub(before); d < 30*time.Minute-time.Second || d > 30*time.Minute+time.Minute {
				t.Fatalf("expires_at = %v, %v after creation", sess.ExpiresAt, d)
			}

			// The browser's view: only the session token, no secret key.
			browser := client.New(srv.URL, "")
			info, err := browser.GetConnectSession(ctx, sess.Token)
			if err != nil {
				t.Fatal(err)
			}
			want := &client.ConnectSessionInfo{EndUser: endUser, AllowedIntegrations: []string{"github", "stripe"},
				IntegrationsConfigDefaults: defaults, ExpiresAt: sess.ExpiresAt}
			if !reflect.DeepEqual(info, want) {
				t.Fatalf("session info = %+v (end user %+v), want %+v", info, info.EndUser, want)
			}
			// A client with the secret key still authenticates as the session.
			if again, err := c.GetConnectSession(ctx, sess.Token); err != nil || !reflect.DeepEqual(again, want) {
				t.Fatalf("GetConnectSession with a keyed client = %+v, %v", again, err)
			}

			bare, err := c.CreateConnectSession(ctx, client.ConnectSessionInput{})
			if err != nil {
				t.Fatal(err)
			}
			if info, err := browser.GetConnectSession(ctx, bare.Token); err != nil || info.EndUser != nil || len(info.AllowedIntegrations) != 0 ||
				info.IntegrationsConfigDefaults != nil || info.ConnectionID != "" {
				t.Fatalf("bare session = %+v, %v", info, err)
			}

			re, err := c.CreateReconnectSession(ctx, client.ReconnectSessionInput{ConnectionID: "known", IntegrationID: "stripe"})
			if err != nil {
				t.Fatal(err)
			}
			info, err = browser.GetConnectSession(ctx, re.Token)
			if err != nil || info.ConnectionID != "known" || !reflect.DeepEqual(info.AllowedIntegrations, []string{"stripe"}) ||
				info.EndUser == nil || info.EndUser.ID != "u-known" || info.EndUser.Email != "known@example.com" {
				t.Fatalf("reconnect session = %+v, %v", info, err)
			}
			re2, err := c.CreateReconnectSession(ctx, client.ReconnectSessionInput{ConnectionID: "known", IntegrationID: "stripe",
				EndUser: &client.EndUser{ID: "u-new", Organization: &client.Organization{ID: "org-2"}}})
			if err != nil {
				t.Fatal(err)
			}
			if info, err := browser.GetConnectSession(ctx, re2.Token); err != nil || info.EndUser == nil || info.EndUser.ID != "u-new" ||
				info.EndUser.Organization == nil || info.EndUser.Organization.ID != "org-2" {
				t.Fatalf("reconnect session with end user = %+v, %v", info, err)
			}

			var apiErr *client.Error
			_, err = c.CreateReconnectSession(ctx, client.ReconnectSessionInput{ConnectionID: "nope", IntegrationID: "stripe"})
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "unknown_connection" {
				t.Fatalf("reconnect of an unknown connection: %v", err)
			}
			_, err = c.CreateConnectSession(ctx, client.ConnectSessionInput{AllowedIntegrations: []string{"stripe", "nope"}})
			if !errors.As(err, &apiErr) || apiErr.Code != "invalid_body" || len(apiErr.Errors) != 1 || fmt.Sprint(apiErr.Errors[0].Path) != "[allowed_integrations 1]" {
				t.Fatalf("unknown allowed integration: %v", err)
			}
			_, err = c.CreateConnectSession(ctx, client.ConnectSessionInput{EndUser: &client.EndUser{ID: "u", Email: "nope"}})
			if !errors.As(err, &apiErr) || apiErr.Code != "invalid_body" || len(apiErr.Errors) != 1 || fmt.Sprint(apiErr.Errors[0].Path) != "[end_user email]" {
				t.Fatalf("bad e-mail: %v", err)
			}

			if err := browser.DeleteConnectSession(ctx, sess.Token); err != nil {
				t.Fatal(err)
			}
			_, err = browser.GetConnectSession(ctx, sess.Token)
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_connect_session_token" || strings.Contains(err.Error(), sess.Token) {
				t.Fatalf("deleted session: %v", err)
			}
			if err := browser.DeleteConnectSession(ctx, sess.Token); !errors.As(err, &apiErr) || apiErr.Code != "invalid_connect_session_token" {
				t.Fatalf("delete twice: %v", err)
			}
			// The secret key is no session token.
			if _, err := c.GetConnectSession(ctx, apptest.DevKey); !errors.As(err, &apiErr) || apiErr.Code != "invalid_connect_session_token" || strings.Contains(err.Error(), apptest.DevKey) {
				t.Fatalf("secret key as session token: %v", err)
			}
			// Other sessions live on.
			if _, err := browser.GetConnectSession(ctx, bare.Token); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConnectSessionsClientArguments(t *testing.T) {
	t.Parallel()
	// Nothing listens here: the calls must fail before any request.
	c := client.New("http://127.0.0.1:1", "key")
	ctx := t.Context()
	if _, err := c.GetConnectSession(ctx, ""); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("GetConnectSession(\"\") = %v", err)
	}
	if err := c.DeleteConnectSession(ctx, ""); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("DeleteConnectSession(\"\") = %v", err)
	}
	for _, in := range []client.ReconnectSessionInput{{IntegrationID: "stripe"}, {ConnectionID: "c"}} {
		if _, err := c.CreateReconnectSession(ctx, in); err == nil || strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("CreateReconnectSession(%+v) = %v", in, err)
		}
	}
}

func TestEnvironmentSettingsClient(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := apptest.Start(t, apptest.Options{Backend: backend})
			dev, prod := srv.Client(), client.New(srv.URL, apptest.ProdKey)
			ctx := t.Context()

			ui, err := dev.GetConnectUISettings(ctx)
			if err != nil || *ui != (client.ConnectUISettings{}) {
				t.Fatalf("connect UI defaults = %+v, %v", ui, err)
			}
			brand := client.ConnectUISettings{Name: "Acme", LogoURL: "https://cdn.acme.example/logo.svg", PrimaryColor: "#1a73e8", DarkMode: true}
			if got, err := dev.SetConnectUISettings(ctx, brand); err != nil || *got != brand {
				t.Fatalf("SetConnectUISettings = %+v, %v", got, err)
			}
			if got, err := dev.GetConnectUISettings(ctx); err != nil || *got != brand {
				t.Fatalf("after set = %+v, %v", got, err)
			}
			if got, err := prod.GetConnectUISettings(ctx); err != nil || *got != (client.ConnectUISettings{}) {
				t.Fatalf("prod = %+v, %v", got, err)
			}
			var apiErr *client.Error
			_, err = dev.SetConnectUISettings(ctx, client.ConnectUISettings{PrimaryColor: "blue", LogoURL: "ftp://x"})
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || len(apiErr.Errors) != 2 {
				t.Fatalf("bad connect UI settings: %v", err)
			}

			hooks, err := dev.GetWebhookSettings(ctx)
			if err != nil || hooks.WebhookURL != "" || hooks.SecondaryWebhookURL != "" || !hooks.SendAuthWebhooks || len(hooks.SigningKey) < 32 {
				t.Fatalf("webhook defaults = %+v, %v", hooks, err)
			}
			signingKey := hooks.SigningKey
			set := client.WebhookSettings{WebhookURL: "https://hooks.acme.example/pb", SecondaryWebhookURL: "http://localhost:9000/pb", SigningKey: "ignored"}
			got, err := dev.SetWebhookSettings(ctx, set)
			if err != nil || *got != (client.WebhookSettings{WebhookURL: set.WebhookURL, SecondaryWebhookURL: set.SecondaryWebhookURL}) {
				t.Fatalf("SetWebhookSettings = %+v, %v", got, err)
			}
			got, err = dev.GetWebhookSettings(ctx)
			if err != nil || got.WebhookURL != set.WebhookURL || got.SecondaryWebhookURL != set.SecondaryWebhookURL || got.SendAuthWebhooks || got.SigningKey != signingKey {
				t.Fatalf("after set = %+v, %v", got, err)
			}
			if got, err := prod.GetWebhookSettings(ctx); err != nil || got.WebhookURL != "" || !got.SendAuthWebhooks || got.SigningKey == signingKey {
				t.Fatalf("prod webhooks = %+v, %v", got, err)
			}
			_, err = dev.SetWebhookSettings(ctx, client.WebhookSettings{WebhookURL: "hooks.example"})
			if !errors.As(err, &apiErr) || apiErr.Code != "invalid_body" || len(apiErr.Errors) != 1 || fmt.Sprint(apiErr.Errors[0].Path) != "[webhook_url]" {
				t.Fatalf("bad webhook URL: %v", err)
			}
		})
	}
}
