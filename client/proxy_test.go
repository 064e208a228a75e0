package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func TestProxy(t *testing.T) {
	s := providersim.Start(t, providersim.Options{})
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(s.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file}})
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "github", Provider: "github",
		Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "github-client-id", ClientSecret: "github-client-secret"}}); err != nil {
		t.Fatal(err)
	}
	g := s.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, time.Hour, true)
	exp := time.Now().Add(time.Hour)
	if _, err := c.ImportConnection(ctx, client.ImportConnectionRequest{ProviderConfigKey: "github", ConnectionID: "gh-1",
		Credentials: client.ImportCredentials{Type: "OAUTH2", AccessToken: g.AccessToken, RefreshToken: g.RefreshToken, ExpiresAt: &exp}}); err != nil {
		t.Fatal(err)
	}

	var user struct {
		Login string `json:"login"`
	}
	if err := c.Get(ctx, "github", "gh-1", "/user", &user); err != nil || user.Login != "octocat" {
		t.Fatalf("Get /user = %+v, %v", user, err)
	}
	var issue struct {
		Number int    `json:"number"`
		Title  string `json:"title"`
	}
	if err := c.Post(ctx, "github", "gh-1", "/repos/octocat/hello-world/issues", map[string]string{"title": "From the client"}, &issue); err != nil || issue.Number == 0 {
		t.Fatalf("Post = %+v, %v", issue, err)
	}

	// A provider's error is a *ProviderError with its status and body.
	var pe *client.ProviderError
	if err := c.Get(ctx, "github", "gh-1", "/repos/octocat/nope", nil); !errors.As(err, &pe) || pe.Status != http.StatusNotFound {
		t.Errorf("provider 404 = %v", err)
	}
	// Patchbay's own refusal is a *client.Error.
	var ce *client.Error
	if err := c.Get(ctx, "github", "unknown", "/user", nil); !errors.As(err, &ce) || ce.StatusCode != http.StatusNotFound || ce.Code != "unknown_connection" {
		t.Errorf("unknown connection = %v", err)
	}

	// The raw form streams and keeps the provider's headers.
	resp, err := c.Proxy(ctx, client.ProxyRequest{IntegrationKey: "github", ConnectionID: "gh-1", Endpoint: "/repos/octocat/hello-world/issues",
		Query: map[string][]string{"per_page": {"5"}}, Header: http.Header{"Accept": {"application/vnd.github+json"}}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Link") == "" || len(body) == 0 {
		t.Errorf("Proxy: %d, Link %q, %d bytes", resp.StatusCode, resp.Header.Get("Link"), len(body))
	}
}
