package google_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/google"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	const base = "http://127.0.0.1:4010"
	entries := simtest.Catalog(t, google.New(google.Options{}), base+"/")
	tests := []struct {
		name, baseURL string
	}{
		{"google", base + "/google"},
		{"google-calendar", base + "/google/calendar/v3"},
		{"google-mail", base + "/google/gmail/v1"},
		{"google-sheet", base + "/google/v4"},
	}
	for _, tt := range tests {
		p := entries[tt.name]
		if p == nil {
			t.Errorf("%s: missing", tt.name)
			continue
		}
		if !p.Supported() || p.AuthMode != "OAUTH2" {
			t.Errorf("%s: auth mode %s, unsupported %q", tt.name, p.AuthMode, p.Unsupported)
		}
		if p.AuthorizationURL != base+"/google/o/oauth2/v2/auth" || p.TokenURL != base+"/google/token" {
			t.Errorf("%s: urls %s %s", tt.name, p.AuthorizationURL, p.TokenURL)
		}
		if p.Proxy == nil || p.Proxy.BaseURL != tt.baseURL {
			t.Errorf("%s: proxy %+v, want base %s", tt.name, p.Proxy, tt.baseURL)
		}
		if p.AuthorizationParams["access_type"] != "offline" || p.AuthorizationParams["prompt"] != "consent" {
			t.Errorf("%s: authorization params %v", tt.name, p.AuthorizationParams)
		}
		if tt.name != "google" && p.Alias != "google" {
			t.Errorf("%s: alias %q, want google", tt.name, p.Alias)
		}
	}
}

// snapshot is what one server serves for a fixed sequence of calls.
func snapshot(t *testing.T, seed int64) []string {
	t.Helper()
	b := setupSeed(t, seed, google.Options{Anchor: anchor})
	tok := b.token(google.DefaultUser)
	var out []string
	for _, path := range []string{
		"/google/calendar/v3/calendars/primary/events?maxResults=20",
		"/google/calendar/v3/calendars/primary/events?maxResults=20&singleEvents=true&orderBy=startTime",
		"/google/gmail/v1/users/me/messages",
		"/google/gmail/v1/users/me/profile",
	} {
		body := b.must(http.StatusOK, "GET", path, tok, nil)
		delete(body, "updated") // the listing's own timestamp is the clock's
		out = append(out, jsonString(body))
	}
	cs := b.must(http.StatusOK, "POST", "/_control/google/calendar/changes", "", map[string]any{"create": 1, "update": 2, "delete": 2})
	delete(cs, "now")
	out = append(out, jsonString(cs))
	out = append(out, jsonString(b.must(http.StatusOK, "POST", "/google/v4/spreadsheets", tok, nil)["spreadsheetId"]))
	return out
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	a, again, other := snapshot(t, 7), snapshot(t, 7), snapshot(t, 8)
	for i := range a {
		if a[i] != again[i] {
			t.Errorf("call %d differs for the same seed:\n%s\n%s", i, a[i], again[i])
		}
		if a[i] == other[i] {
			t.Errorf("call %d is the same for seeds 7 and 8: %s", i, a[i])
		}
	}
}

func TestResetRegenerates(t *testing.T) {
	t.Parallel()
	b := setup(t, google.Options{Anchor: anchor, Events: 5})
	tok := b.token(google.DefaultUser)
	first := jsonString(b.must(http.StatusOK, "GET", "/google/calendar/v3/calendars/primary/events", tok, nil)["items"])
	b.must(http.StatusOK, "POST", "/_control/google/calendar/changes", "", map[string]any{"delete": 5})
	id := b.must(http.StatusOK, "POST", "/google/v4/spreadsheets", tok, nil)["spreadsheetId"].(string)

	b.must(http.StatusOK, "POST", "/_control/reset", "", nil)
	tok = b.token(google.DefaultUser)
	if got := jsonString(b.must(http.StatusOK, "GET", "/google/calendar/v3/calendars/primary/events", tok, nil)["items"]); got != first {
		t.Errorf("events after reset differ:\n%s\n%s", got, first)
	}
	if res := b.call("GET", "/google/v4/spreadsheets/"+id, tok, nil); res.status != http.StatusNotFound {
		t.Errorf("spreadsheet survived reset: %d", res.status)
	}
}

func TestControlValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, google.Options{})
	for _, c := range []struct {
		path string
		body any
	}{
		{"/_control/google/calendar/changes", map[string]any{"create": -1}},
		{"/_control/google/gmail/messages", map[string]any{"count": -3}},
		{"/_control/google/gmail/trim-history", map[string]any{"keep": -1}},
		{"/_control/google/calendar/changes", "not an object"},
	} {
		res := b.call("POST", c.path, "", c.body)
		if res.status != http.StatusBadRequest || res.body["error"] == nil {
			t.Errorf("%s %v: %d %s", c.path, c.body, res.status, res.raw)
		}
	}
}

// benchBundle is a simulator for benchmarks, with rate limits off so the
// loop measures the handlers, and a token carrying every scope.
func benchBundle(b *testing.B, opts google.Options) (*bundle, string) {
	s := simtest.Start(b, sim.Options{DisableRateLimits: true}, google.New(opts))
	tb := &bundle{t: b, s: s}
	return tb, tb.token(google.DefaultUser)
}

func BenchmarkValuesGet(b *testing.B) {
	tb, tok := benchBundle(b, google.Options{})
	id := tb.must(http.StatusOK, "POST", "/google/v4/spreadsheets", tok, nil)["spreadsheetId"].(string)
	rows := make([][]any, 500)
	for i := range rows {
		rows[i] = []any{i, "name", "x@example.com", true}
	}
	tb.must(http.StatusOK, "POST", "/google/v4/spreadsheets/"+id+"/values/Sheet1!A1:append?valueInputOption=RAW", tok, map[string]any{"values": rows})
	path := "/google/v4/spreadsheets/" + id + "/values/" + url.PathEscape("Sheet1!A1:D500")
	for b.Loop() {
		tb.must(http.StatusOK, "GET", path, tok, nil)
	}
}

func BenchmarkEventsListPage(b *testing.B) {
	tb, tok := benchBundle(b, google.Options{Anchor: anchor})
	for b.Loop() {
		tb.must(http.StatusOK, "GET", "/google/calendar/v3/calendars/primary/events?maxResults=250&singleEvents=true&orderBy=startTime", tok, nil)
	}
}
