package client_test

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
)

// connectionsSetup starts a server with an API-key integration ("stripe")
// and an OAuth 2 one ("github") and returns a client for it.
func connectionsSetup(t *testing.T, backend apptest.Backend) *client.Client {
	t.Helper()
	c := apptest.Start(t, apptest.Options{Backend: backend}).Client()
	for _, in := range []client.CreateIntegrationRequest{
		{UniqueKey: "stripe", Provider: "stripe-api-key"},
		{UniqueKey: "github", Provider: "github", Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "id", ClientSecret: "secret"}},
	} {
		if _, err := c.CreateIntegration(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func summaryIDs(list []client.ConnectionSummary) []string {
	ids := []string{}
	for _, c := range list {
		ids = append(ids, c.ConnectionID)
	}
	return ids
}

func TestConnectionsClient(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			c := connectionsSetup(t, backend)
			ctx := t.Context()

			// Far enough ahead that GetConnection never refreshes (which would
			// call GitHub).
			expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Millisecond)
			gh, err := c.ImportConnection(ctx, client.ImportConnectionRequest{
				ProviderConfigKey: "github", ConnectionID: "octo",
				Credentials: client.ImportCredentials{Type: "OAUTH2", AccessToken: "gho_1", RefreshToken: "ghr_1", ExpiresAt: &expires},
				Metadata:    map[string]any{"repo": "patchbay"},
				EndUser:     &client.EndUser{ID: "u-1", Email: "octo@example.com", Organization: &client.Organization{ID: "org-1"}},
				Tags:        map[string]string{"Env": "prod"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if gh.ConnectionID != "octo" || gh.Provider != "github" || gh.Credentials == nil || gh.Credentials.AccessToken != "gho_1" ||
				gh.Credentials.RefreshToken != "" || gh.Tags["env"] != "prod" || gh.EndUser == nil || gh.EndUser.Organization.ID != "org-1" {
				t.Fatalf("imported = %+v", gh)
			}
			for _, id := range []string{"k1", "k2", "k3"} {
				if _, err := c.ImportConnection(ctx, client.ImportConnectionRequest{
					ProviderConfigKey: "stripe", ConnectionID: id,
					Credentials: client.ImportCredentials{Type: "API_KEY", APIKey: "sk_test_" + id},
					Tags:        map[string]string{"tier": id},
				}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Millisecond)
			}

			all, err := c.ListConnections(ctx, client.ListConnectionsOptions{})
			if err != nil || !slices.Equal(summaryIDs(all), []string{"k3", "k2", "k1", "octo"}) {
				t.Fatalf("list = %v, %v", summaryIDs(all), err)
			}
			octo := all[3]
			if octo.ID != gh.ID || octo.ProviderConfigKey != "github" || octo.Created.IsZero() || octo.Metadata["repo"] != "patchbay" ||
				octo.EndUser == nil || octo.EndUser.Email != "octo@example.com" || octo.Errors == nil {
				t.Fatalf("list item = %+v", octo)
			}
			for _, tt := range []struct {
				opts client.ListConnectionsOptions
				want []string
			}{
				{client.ListConnectionsOptions{IntegrationID: "stripe", Limit: 2}, []string{"k3", "k2"}},
				{client.ListConnectionsOptions{IntegrationID: "stripe", Limit: 2, Page: 1}, []string{"k1"}},
				{client.ListConnectionsOptions{Tags: map[string]string{"tier": "k2"}}, []string{"k2"}},
				{client.ListConnectionsOptions{Search: "OCTO@"}, []string{"octo"}},
				{client.ListConnectionsOptions{EndUserID: "u-1"}, []string{"octo"}},
				{client.ListConnectionsOptions{ConnectionID: "k1"}, []string{"k1"}},
			} {
				got, err := c.ListConnections(ctx, tt.opts)
				if err != nil || !slices.Equal(summaryIDs(got), tt.want) {
					t.Errorf("ListConnections(%+v) = %v, %v; want %v", tt.opts, summaryIDs(got), err, tt.want)
				}
			}

			got, err := c.GetConnection(ctx, "github", "octo", client.GetConnectionOptions{})
			if err != nil || got.Credentials.RefreshToken != "" || got.Credentials.Type != "OAUTH2" || got.LastFetchedAt == nil ||
				got.Credentials.ExpiresAt == nil || !got.Credentials.ExpiresAt.Equal(expires) {
				t.Fatalf("get = %+v, %v", got, err)
			}
			got, err = c.GetConnection(ctx, "github", "octo", client.GetConnectionOptions{RefreshToken: true})
			if err != nil || got.Credentials.RefreshToken != "ghr_1" {
				t.Fatalf("get with refresh token = %+v, %v", got.Credentials, err)
			}
			key, err := c.GetConnection(ctx, "stripe", "k1", client.GetConnectionOptions{})
			if err != nil || key.Credentials.APIKey != "sk_test_k1" || key.Credentials.Type != "API_KEY" {
				t.Fatalf("get api key = %+v, %v", key, err)
			}

			patched, err := c.PatchConnection(ctx, "stripe", "k1", client.PatchConnectionRequest{EndUser: &client.EndUser{ID: "u-2", DisplayName: "Two"}})
			if err != nil || patched.EndUser == nil || patched.EndUser.DisplayName != "Two" || patched.Tags["tier"] != "k1" || patched.Credentials != nil {
				t.Fatalf("patch end user = %+v, %v", patched, err)
			}
			patched, err = c.PatchConnection(ctx, "stripe", "k1", client.PatchConnectionRequest{Tags: map[string]string{}})
			if err != nil || len(patched.Tags) != 0 || patched.EndUser == nil {
				t.Fatalf("clear tags = %+v, %v", patched, err)
			}

			if err := c.SetMetadata(ctx, "stripe", []string{"k1", "k2"}, map[string]any{"a": "1", "b": "1"}); err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateMetadata(ctx, "stripe", []string{"k2"}, map[string]any{"b": "2"}); err != nil {
				t.Fatal(err)
			}
			if err := c.SetMetadata(ctx, "stripe", []string{"k3"}, nil); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]map[string]any{"k1": {"a": "1", "b": "1"}, "k2": {"a": "1", "b": "2"}, "k3": {}} {
				got, err := c.GetConnection(ctx, "stripe", id, client.GetConnectionOptions{})
				if err != nil || !maps.Equal(got.Metadata, want) {
					t.Errorf("metadata of %s = %v, %v; want %v", id, got.Metadata, err, want)
				}
			}
			err = c.UpdateMetadata(ctx, "stripe", []string{"k1", "nope"}, map[string]any{"c": "3"})
			var apiErr *client.Error
			if !client.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.Code != "unknown_connection" {
				t.Fatalf("unknown id in metadata: %v", err)
			}

			if err := c.DeleteConnection(ctx, "stripe", "k1"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetConnection(ctx, "stripe", "k1", client.GetConnectionOptions{}); !client.IsNotFound(err) {
				t.Fatalf("get deleted: %v", err)
			}
			if err := c.DeleteConnection(ctx, "stripe", "k1"); !client.IsNotFound(err) {
				t.Fatalf("delete twice: %v", err)
			}

			_, err = c.ImportConnection(ctx, client.ImportConnectionRequest{ProviderConfigKey: "stripe", Credentials: client.ImportCredentials{Type: "API_KEY"}})
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || len(apiErr.Errors) == 0 {
				t.Fatalf("import without a key: %v", err)
			}
		})
	}
}

func TestConnectionsClientArguments(t *testing.T) {
	t.Parallel()
	// Nothing is sent: the calls fail before reaching the network.
	c := client.New("http://127.0.0.1:1", "key")
	ctx := t.Context()
	checks := map[string]error{}
	_, checks["get without integration"] = c.GetConnection(ctx, "", "id", client.GetConnectionOptions{})
	_, checks["get without id"] = c.GetConnection(ctx, "stripe", "", client.GetConnectionOptions{})
	_, checks["patch without id"] = c.PatchConnection(ctx, "stripe", "", client.PatchConnectionRequest{})
	checks["delete without integration"] = c.DeleteConnection(ctx, "", "id")
	checks["metadata without ids"] = c.SetMetadata(ctx, "stripe", nil, map[string]any{})
	checks["metadata without integration"] = c.UpdateMetadata(ctx, "", []string{"id"}, map[string]any{})
	for name, err := range checks {
		var apiErr *client.Error
		if err == nil || errors.As(err, &apiErr) {
			t.Errorf("%s: err = %v, want a local error", name, err)
		}
	}
}
