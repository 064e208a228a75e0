package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
)

// settingsOf reads the settings member of GET /integrations/{key} as raw
// JSON, so the test sees the wire format, not the client's reading of it.
func settingsOf(t *testing.T, srv *apptest.Server, key string) string {
	t.Helper()
	res := do(t, srv, "GET", "/integrations/"+key, apptest.DevKey, nil)
	if res.status != 200 {
		t.Fatalf("GET %s = %d %s", key, res.status, res.body)
	}
	var body struct {
		Data struct {
			Settings json.RawMessage `json:"settings"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatal(err)
	}
	return string(body.Data.Settings)
}

func TestIntegrationSettings(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := apptest.Start(t, apptest.Options{Backend: backend})
			c, ctx := srv.Client(), t.Context()
			want := client.IntegrationSettings{
				RateLimit:       &client.RateLimit{Requests: 100, Interval: 10 * time.Second, Burst: 20},
				AllowedBaseURLs: []string{"https://eu.api.hubapi.com", "http://127.0.0.1:9000/hubspot"},
			}
			created, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "hubspot", Provider: "hubspot", Settings: &want})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(created.Settings, want) {
				t.Fatalf("created settings = %+v", created.Settings)
			}
			const wire = `{"rate_limit":{"requests":100,"interval":"10s","burst":20},"allowed_base_urls":["https://eu.api.hubapi.com","http://127.0.0.1:9000/hubspot"]}`
			if got := settingsOf(t, srv, "hubspot"); got != wire {
				t.Fatalf("GET settings = %s, want %s", got, wire)
			}
			if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "plain", Provider: "stripe-api-key"}); err != nil {
				t.Fatal(err)
			}
			if got := settingsOf(t, srv, "plain"); got != `{}` {
				t.Fatalf("settings of an integration without any = %s, want {}", got)
			}

			// A change that does not name settings keeps them.
			rename := "HubSpot EU"
			if _, err := c.UpdateIntegration(ctx, "hubspot", client.UpdateIntegrationRequest{DisplayName: &rename}); err != nil {
				t.Fatal(err)
			}
			if got := settingsOf(t, srv, "hubspot"); got != wire {
				t.Fatalf("after a rename, settings = %s", got)
			}
			// Settings are replaced whole; the burst may be left to its default.
			updated, err := c.UpdateIntegration(ctx, "hubspot", client.UpdateIntegrationRequest{Settings: &client.IntegrationSettings{
				RateLimit: &client.RateLimit{Requests: 5000, Interval: time.Hour},
			}})
			if err != nil || updated.Settings.AllowedBaseURLs != nil || *updated.Settings.RateLimit != (client.RateLimit{Requests: 5000, Interval: time.Hour}) {
				t.Fatalf("update = %+v, %v", updated, err)
			}
			if got := settingsOf(t, srv, "hubspot"); got != `{"rate_limit":{"requests":5000,"interval":"1h"}}` {
				t.Fatalf("after replacing, settings = %s", got)
			}
			list, err := c.ListIntegrations(ctx)
			if err != nil || len(list) != 2 || list[0].Settings.RateLimit == nil || list[0].Settings.RateLimit.Requests != 5000 {
				t.Fatalf("list = %+v, %v", list, err)
			}
			if _, err := c.UpdateIntegration(ctx, "hubspot", client.UpdateIntegrationRequest{Settings: &client.IntegrationSettings{}}); err != nil {
				t.Fatal(err)
			}
			if got := settingsOf(t, srv, "hubspot"); got != `{}` {
				t.Fatalf("after clearing, settings = %s", got)
			}
		})
	}
}

func TestIntegrationSettingsBadInput(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Options{})
	const stored = `{"rate_limit":{"requests":100,"interval":"10s"},"allowed_base_urls":["https://eu.api.hubapi.com"]}`
	if res := do(t, srv, "POST", "/integrations", apptest.DevKey, []byte(`{"unique_key":"hubspot","provider":"hubspot","settings":`+stored+`}`)); res.status != 200 {
		t.Fatalf("seed: %d %s", res.status, res.body)
	}
	rl := func(members string) string { return `{"rate_limit":{` + members + `}}` }
	tests := []badSettings{
		{"not an object", `"fast"`, "invalid_type", "settings"},
		{"null", `null`, "invalid_type", "settings"},
		{"unknown member", `{"rate_limits":{}}`, "unrecognized_key", "settings.rate_limits"},
		{"rate limit not an object", `{"rate_limit":100}`, "invalid_type", "settings.rate_limit"},
		{"rate limit null", `{"rate_limit":null}`, "invalid_type", "settings.rate_limit"},
		{"missing requests", rl(`"interval":"1s"`), "required", "settings.rate_limit.requests"},
		{"missing interval", rl(`"requests":10`), "required", "settings.rate_limit.interval"},
		{"requests a string", rl(`"requests":"10","interval":"1s"`), "invalid_type", "settings.rate_limit.requests"},
		{"requests a fraction", rl(`"requests":10.5,"interval":"1s"`), "invalid_type", "settings.rate_limit.requests"},
		{"requests in exponent form", rl(`"requests":1e3,"interval":"1s"`), "invalid_type", "settings.rate_limit.requests"},
		{"requests out of range", rl(`"requests":99999999999,"interval":"1s"`), "too_big", "settings.rate_limit.requests"},
		{"requests zero", rl(`"requests":0,"interval":"1s"`), "invalid", "settings.rate_limit.requests"},
		{"requests above the cap", rl(`"requests":2000000000,"interval":"1s"`), "invalid", "settings.rate_limit.requests"},
		{"interval a number", rl(`"requests":10,"interval":10`), "invalid_type", "settings.rate_limit.interval"},
		{"interval unreadable", rl(`"requests":10,"interval":"10 seconds"`), "invalid", "settings.rate_limit.interval"},
		{"interval too long", rl(`"requests":10,"interval":"48h"`), "invalid", "settings.rate_limit.interval"},
		{"interval zero", rl(`"requests":10,"interval":"0s"`), "invalid", "settings.rate_limit.interval"},
		{"burst zero", rl(`"requests":10,"interval":"1s","burst":0`), "invalid", "settings.rate_limit.burst"},
		{"burst as large as requests", rl(`"requests":10,"interval":"1s","burst":10`), "invalid", "settings.rate_limit.burst"},
		{"burst a string", rl(`"requests":10,"interval":"1s","burst":"2"`), "invalid_type", "settings.rate_limit.burst"},
		{"unknown rate limit member", rl(`"requests":10,"interval":"1s","per":"minute"`), "unrecognized_key", "settings.rate_limit.per"},
		{"base urls not an array", `{"allowed_base_urls":"https://x.example.com"}`, "invalid_type", "settings.allowed_base_urls"},
		{"base url not a string", `{"allowed_base_urls":[5]}`, "invalid_type", "settings.allowed_base_urls"},
		{"base url empty", `{"allowed_base_urls":[""]}`, "too_small", "settings.allowed_base_urls.0"},
		{"base url relative", `{"allowed_base_urls":["https://ok.example.com","/v2"]}`, "invalid", "settings.allowed_base_urls.1"},
		{"base url not http", `{"allowed_base_urls":["ftp://x.example.com"]}`, "invalid", "settings.allowed_base_urls.0"},
		{"base url with credentials", `{"allowed_base_urls":["https://me:pw@x.example.com"]}`, "invalid", "settings.allowed_base_urls.0"},
		{"base url with query", `{"allowed_base_urls":["https://x.example.com/?key=1"]}`, "invalid", "settings.allowed_base_urls.0"},
		{"too many base urls", `{"allowed_base_urls":[` + strings.TrimSuffix(strings.Repeat(`"https://x.example.com",`, 21), ",") + `]}`, "too_long", "settings.allowed_base_urls"},
	}
	// The group returns once its parallel requests are done.
	t.Run("requests", func(t *testing.T) { badSettingsRequests(t, srv, tests) })
	// Nothing above changed or created anything.
	if got := settingsOf(t, srv, "hubspot"); got != stored {
		t.Errorf("after bad requests, settings = %s, want %s", got, stored)
	}
	if res := do(t, srv, "GET", "/integrations/new", apptest.DevKey, nil); res.status != 404 {
		t.Errorf("a bad create stored an integration: %d %s", res.status, res.body)
	}
}

type badSettings struct {
	name, settings string
	code, path     string // the field error expected among the answer's
}

func badSettingsRequests(t *testing.T, srv *apptest.Server, tests []badSettings) {
	for _, tt := range tests {
		for _, req := range []struct{ method, path, body string }{
			{"POST", "/integrations", `{"unique_key":"new","provider":"hubspot","settings":` + tt.settings + `}`},
			{"PATCH", "/integrations/hubspot", `{"settings":` + tt.settings + `}`},
		} {
			t.Run(tt.name+" "+req.method, func(t *testing.T) {
				t.Parallel()
				res := do(t, srv, req.method, req.path, apptest.DevKey, []byte(req.body))
				if res.status != 400 {
					t.Fatalf("status = %d, want 400: %s", res.status, res.body)
				}
				e := res.errorBody(t)
				if e.Error.Code != "invalid_body" {
					t.Fatalf("error code = %q, want invalid_body", e.Error.Code)
				}
				var got []string
				for _, fe := range e.Error.Errors {
					segs := make([]string, len(fe.Path))
					for i, seg := range fe.Path {
						segs[i] = fmt.Sprint(seg)
					}
					got = append(got, fe.Code+" "+strings.Join(segs, "."))
				}
				if !slices.Contains(got, tt.code+" "+tt.path) {
					t.Fatalf("field errors = %v, want %q among them (%s)", got, tt.code+" "+tt.path, res.body)
				}
			})
		}
	}
	t.Run("indexes are numbers", func(t *testing.T) {
		t.Parallel()
		res := do(t, srv, "PATCH", "/integrations/hubspot", apptest.DevKey, []byte(`{"settings":{"allowed_base_urls":["https://ok.example.com","nope"]}}`))
		if res.status != 400 || !strings.Contains(string(res.body), `"path":["settings","allowed_base_urls",1]`) {
			t.Fatalf("PATCH = %d %s", res.status, res.body)
		}
	})
}
