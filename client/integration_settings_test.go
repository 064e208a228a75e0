package client

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIntegrationSettingsClient(t *testing.T) {
	t.Parallel()
	settings := &IntegrationSettings{
		RateLimit:       &RateLimit{Requests: 100, Interval: 10 * time.Second, Burst: 20},
		AllowedBaseURLs: []string{"https://eu.api.hubapi.com"},
	}
	const stored = `{"data":{"unique_key":"hubspot","provider":"hubspot",
		"settings":{"rate_limit":{"requests":100,"interval":"10s","burst":20},"allowed_base_urls":["https://eu.api.hubapi.com"]}}}`
	tests := []struct {
		name     string
		call     func(context.Context, *Client) (*Integration, error)
		method   string
		wantBody string
	}{
		{
			name: "create",
			call: func(ctx context.Context, c *Client) (*Integration, error) {
				return c.CreateIntegration(ctx, CreateIntegrationRequest{UniqueKey: "hubspot", Provider: "hubspot", Settings: settings})
			},
			method: "POST",
			wantBody: `{"unique_key":"hubspot","provider":"hubspot",
				"settings":{"rate_limit":{"requests":100,"interval":"10s","burst":20},"allowed_base_urls":["https://eu.api.hubapi.com"]}}`,
		},
		{
			name: "update",
			call: func(ctx context.Context, c *Client) (*Integration, error) {
				return c.UpdateIntegration(ctx, "hubspot", UpdateIntegrationRequest{Settings: settings})
			},
			method:   "PATCH",
			wantBody: `{"settings":{"rate_limit":{"requests":100,"interval":"10s","burst":20},"allowed_base_urls":["https://eu.api.hubapi.com"]}}`,
		},
		{
			name: "clear",
			call: func(ctx context.Context, c *Client) (*Integration, error) {
				return c.UpdateIntegration(ctx, "hubspot", UpdateIntegrationRequest{Settings: &IntegrationSettings{}})
			},
			method:   "PATCH",
			wantBody: `{"settings":{}}`,
		},
		{
			name: "default burst, whole hours",
			call: func(ctx context.Context, c *Client) (*Integration, error) {
				return c.UpdateIntegration(ctx, "hubspot", UpdateIntegrationRequest{Settings: &IntegrationSettings{
					RateLimit: &RateLimit{Requests: 5000, Interval: time.Hour}}})
			},
			method:   "PATCH",
			wantBody: `{"settings":{"rate_limit":{"requests":5000,"interval":"1h0m0s"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, 200, stored)
			got, err := tt.call(t.Context(), b.client)
			if err != nil {
				t.Fatal(err)
			}
			req := b.only(t)
			if req.method != tt.method {
				t.Errorf("method = %s, want %s", req.method, tt.method)
			}
			jsonEqual(t, req.body, tt.wantBody)
			if !reflect.DeepEqual(got.Settings, *settings) {
				t.Errorf("decoded settings = %+v (%+v), want %+v", got.Settings, got.Settings.RateLimit, *settings)
			}
		})
	}
}

func TestIntegrationSettingsDecoding(t *testing.T) {
	t.Parallel()
	b := setup(t, 200, `{"data":{"unique_key":"a","settings":{}}}`)
	got, err := b.client.GetIntegration(t.Context(), "a")
	if err != nil || got.Settings.RateLimit != nil || got.Settings.AllowedBaseURLs != nil {
		t.Fatalf("empty settings: %+v, %v", got, err)
	}
	b = setup(t, 200, `{"data":{"unique_key":"a","settings":{"rate_limit":{"requests":1,"interval":"soon"}}}}`)
	if _, err := b.client.GetIntegration(t.Context(), "a"); err == nil || !strings.Contains(err.Error(), "rate_limit.interval") {
		t.Fatalf("unreadable interval: error = %v", err)
	}
}

// The function limits the server answers are read, so that a caller
// replacing the settings as a whole can send them back.
func TestIntegrationSettingsFunctions(t *testing.T) {
	t.Parallel()
	b := setup(t, 200, `{"data":{"unique_key":"a","settings":{"functions":{"memory_mib":64,"action_timeout":"30s","connection_concurrency":2}}}}`)
	got, err := b.client.GetIntegration(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	want := &FunctionLimits{MemoryMiB: 64, ActionTimeout: "30s", ConnectionConcurrency: 2}
	if !reflect.DeepEqual(got.Settings.Functions, want) {
		t.Errorf("functions = %+v, want %+v", got.Settings.Functions, want)
	}
}
