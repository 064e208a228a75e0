package google_test

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/google"
)

const calendarScope = "https://www.googleapis.com/auth/calendar"

var anchor = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

type calendarFixture struct {
	*bundle
	tok string
}

func newCalendar(t *testing.T, opts google.Options) *calendarFixture {
	t.Helper()
	if opts.Anchor.IsZero() {
		opts.Anchor = anchor
	}
	b := setup(t, opts)
	return &calendarFixture{bundle: b, tok: b.token(google.DefaultUser, calendarScope)}
}

func (f *calendarFixture) list(q url.Values) response {
	f.t.Helper()
	return f.call("GET", "/google/calendar/v3/calendars/primary/events?"+q.Encode(), f.tok, nil)
}

// sync pages through a listing and returns its items and final sync token.
func (f *calendarFixture) sync(q url.Values) (items []map[string]any, pages int, syncToken string) {
	f.t.Helper()
	for {
		res := f.list(q)
		if res.status != http.StatusOK {
			f.t.Fatalf("list %v: %d %s", q, res.status, res.raw)
		}
		pages++
		for _, it := range res.body["items"].([]any) {
			items = append(items, it.(map[string]any))
		}
		next, hasNext := res.body["nextPageToken"].(string)
		st, hasSync := res.body["nextSyncToken"].(string)
		if hasNext == hasSync {
			f.t.Fatalf("page %d has nextPageToken %v and nextSyncToken %v: exactly one expected", pages, hasNext, hasSync)
		}
		if hasSync {
			return items, pages, st
		}
		q = cloneValues(q)
		q.Set("pageToken", next)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it["id"].(string)
	}
	sort.Strings(out)
	return out
}

func TestCalendarFullThenIncrementalSync(t *testing.T) {
	t.Parallel()
	f := newCalendar(t, google.Options{})

	items, pages, token := f.sync(url.Values{"maxResults": {"100"}})
	if len(items) != 300 || pages != 3 || len(slices.Compact(ids(items))) != 300 {
		t.Fatalf("full sync: %d items (%d unique) in %d pages, want 300 in 3", len(items), len(slices.Compact(ids(items))), pages)
	}
	if items[0]["kind"] != "calendar#event" || items[0]["start"] == nil || items[0]["organizer"] == nil {
		t.Errorf("event = %v", items[0])
	}

	// Nothing changed: an empty page and a fresh token.
	changed, _, token2 := f.sync(url.Values{"syncToken": {token}})
	if len(changed) != 0 || token2 == "" {
		t.Fatalf("no-op incremental sync: %d items", len(changed))
	}

	cs := f.must(http.StatusOK, "POST", "/_control/google/calendar/changes", "", map[string]any{"create": 2, "update": 3, "delete": 1})
	inserted := f.must(http.StatusOK, "POST", "/google/calendar/v3/calendars/primary/events", f.tok, map[string]any{
		"summary": "Added by the app",
		"start":   map[string]any{"dateTime": "2025-03-11T10:00:00Z"},
		"end":     map[string]any{"dateTime": "2025-03-11T11:00:00Z"},
	})
	var want []string
	for _, k := range []string{"created", "updated", "deleted"} {
		for _, id := range cs[k].([]any) {
			want = append(want, id.(string))
		}
	}
	want = append(want, inserted["id"].(string))
	sort.Strings(want)

	// Pages of two: the changes span several pages, then a new token.
	changed, pages, token3 := f.sync(url.Values{"syncToken": {token2}, "maxResults": {"2"}})
	if got := ids(changed); !slices.Equal(got, want) || pages != 4 {
		t.Fatalf("incremental sync = %v in %d pages, want %v in 4", got, pages, want)
	}
	deleted := cs["deleted"].([]any)[0].(string)
	for _, it := range changed {
		if it["id"] == deleted && (it["status"] != "cancelled" || it["summary"] != nil) {
			t.Errorf("deleted event = %v, want only id and status cancelled", it)
		}
	}
	if changed, _, _ := f.sync(url.Values{"syncToken": {token3}}); len(changed) != 0 {
		t.Errorf("after catching up: %d changes", len(changed))
	}

	// The control API expires every outstanding token: 410, full sync.
	f.must(http.StatusOK, "POST", "/_control/google/expire-sync-tokens", "", nil)
	for _, tok := range []string{token, token3} {
		res := f.list(url.Values{"syncToken": {tok}})
		e := errorOf(t, res)
		errs, _ := e["errors"].([]any)
		if res.status != http.StatusGone || e["code"] != float64(410) || e["message"] != "Sync token is no longer valid, a full sync is required." ||
			len(errs) != 1 || errs[0].(map[string]any)["reason"] != "fullSyncRequired" {
			t.Errorf("expired token: %d %s", res.status, res.raw)
		}
	}
	if n := len(f.s.Requests(simFilter("calendar_sync=expired"))); n != 2 {
		t.Errorf("logged %d expired syncs, want 2", n)
	}

	// A new full sync, with a deleted event showing only when asked.
	items, _, fresh := f.sync(url.Values{"maxResults": {"2500"}})
	if len(items) != 302 || slices.Contains(ids(items), deleted) {
		t.Errorf("full sync after changes: %d items, deleted included %v", len(items), slices.Contains(ids(items), deleted))
	}
	if items, _, _ := f.sync(url.Values{"showDeleted": {"true"}}); len(items) != 303 {
		t.Errorf("showDeleted: %d items, want 303", len(items))
	}

	// Tokens also age out after seven days of simulated time.
	f.advance(6 * 24 * time.Hour)
	if res := f.list(url.Values{"syncToken": {fresh}}); res.status != http.StatusOK {
		t.Errorf("six-day-old token: %d", res.status)
	}
	f.advance(24*time.Hour + time.Second)
	if res := f.list(url.Values{"syncToken": {fresh}}); res.status != http.StatusGone {
		t.Errorf("week-old token: %d, want 410", res.status)
	}
}

func TestCalendarSyncTokenTTLOption(t *testing.T) {
	t.Parallel()
	f := newCalendar(t, google.Options{SyncTokenTTL: time.Hour, Events: 10})
	_, _, token := f.sync(nil)
	f.advance(time.Hour)
	if res := f.list(url.Values{"syncToken": {token}}); res.status != http.StatusGone {
		t.Errorf("token past a one-hour TTL: %d, want 410", res.status)
	}
}

func TestCalendarListParameters(t *testing.T) {
	t.Parallel()
	f := newCalendar(t, google.Options{})
	_, _, token := f.sync(nil)
	tests := []struct {
		name   string
		q      url.Values
		status int
		reason string
	}{
		{"startTime needs singleEvents", url.Values{"orderBy": {"startTime"}}, 400, "badRequest"},
		{"maxResults zero", url.Values{"maxResults": {"0"}}, 400, "invalid"},
		{"bad timeMin", url.Values{"timeMin": {"yesterday"}}, 400, "badRequest"},
		{"timeMin without offset", url.Values{"timeMin": {"2025-03-01T00:00:00"}}, 400, "badRequest"},
		{"syncToken with timeMin", url.Values{"syncToken": {token}, "timeMin": {"2025-03-01T00:00:00Z"}}, 400, "invalid"},
		{"syncToken with orderBy", url.Values{"syncToken": {token}, "orderBy": {"updated"}}, 400, "invalid"},
		{"garbage page token", url.Values{"pageToken": {"???"}}, 400, "invalid"},
	}
	for _, tt := range tests {
		res := f.list(tt.q)
		e := errorOf(t, res)
		errs, _ := e["errors"].([]any)
		if res.status != tt.status || len(errs) != 1 || errs[0].(map[string]any)["reason"] != tt.reason {
			t.Errorf("%s: %d %s", tt.name, res.status, res.raw)
		}
	}
	if res := f.call("GET", "/google/calendar/v3/calendars/someone-else@example.com/events", f.tok, nil); res.status != http.StatusNotFound {
		t.Errorf("other calendar: %d", res.status)
	}

	// Expanded series, ordered by start, within the window.
	tmin, tmax := anchor.Add(-60*24*time.Hour), anchor.Add(60*24*time.Hour)
	items, _, _ := f.sync(url.Values{
		"singleEvents": {"true"}, "orderBy": {"startTime"}, "maxResults": {"50"},
		"timeMin": {tmin.Format(time.RFC3339)}, "timeMax": {tmax.Format(time.RFC3339)},
	})
	instances := 0
	var prev time.Time
	for _, it := range items {
		start, end := eventInstant(it["start"]), eventInstant(it["end"])
		if !end.After(tmin) || !start.Before(tmax) {
			t.Errorf("event %v outside the window", it["id"])
		}
		if start.Before(prev) {
			t.Errorf("event %v out of order", it["id"])
		}
		prev = start
		if it["recurringEventId"] != nil {
			instances++
			if it["recurrence"] != nil || it["originalStartTime"] == nil {
				t.Errorf("instance = %v", it)
			}
		}
	}
	if len(items) < 50 || instances == 0 {
		t.Errorf("window listing: %d items, %d instances", len(items), instances)
	}
	// Unexpanded, the same window returns each series once, with its rule.
	series, _, _ := f.sync(url.Values{"timeMin": {tmin.Format(time.RFC3339)}, "timeMax": {tmax.Format(time.RFC3339)}})
	if len(series) >= len(items) || !slices.ContainsFunc(series, func(it map[string]any) bool { return it["recurrence"] != nil }) {
		t.Errorf("unexpanded listing: %d items vs %d expanded", len(series), len(items))
	}
	// Beyond 2500 a page is capped, silently.
	if res := f.list(url.Values{"maxResults": {"100000"}}); res.status != http.StatusOK || len(res.body["items"].([]any)) != 300 {
		t.Errorf("huge maxResults: %d", res.status)
	}
}

func eventInstant(v any) time.Time {
	m := v.(map[string]any)
	if d, ok := m["date"].(string); ok {
		t, _ := time.Parse(time.DateOnly, d)
		return t
	}
	t, _ := time.Parse(time.RFC3339, m["dateTime"].(string))
	return t
}

func TestCalendarInsertAndDelete(t *testing.T) {
	t.Parallel()
	f := newCalendar(t, google.Options{Events: 5})
	path := "/google/calendar/v3/calendars/primary/events"
	at := func(s string) map[string]any { return map[string]any{"dateTime": s} }
	tests := []struct {
		name   string
		body   map[string]any
		status int
		msg    string
	}{
		{"no start", map[string]any{"summary": "x", "end": at("2025-03-11T11:00:00Z")}, 400, "Missing start time."},
		{"no end", map[string]any{"summary": "x", "start": at("2025-03-11T10:00:00Z")}, 400, "Missing end time."},
		{"end first", map[string]any{"start": at("2025-03-11T11:00:00Z"), "end": at("2025-03-11T10:00:00Z")}, 400, "The specified time range is empty."},
		{"mixed kinds", map[string]any{"start": map[string]any{"date": "2025-03-11"}, "end": at("2025-03-11T10:00:00Z")}, 400, "Start and end times must either both be date or both be dateTime."},
		{"bad id", map[string]any{"id": "UPPER", "start": at("2025-03-11T10:00:00Z"), "end": at("2025-03-11T11:00:00Z")}, 400, "Invalid resource id value."},
	}
	for _, tt := range tests {
		res := f.call("POST", path, f.tok, tt.body)
		if res.status != tt.status || errorOf(t, res)["message"] != tt.msg {
			t.Errorf("%s: %d %s", tt.name, res.status, res.raw)
		}
	}
	ev := f.must(http.StatusOK, "POST", path, f.tok, map[string]any{
		"id": "meeting00001", "summary": "All day", "start": map[string]any{"date": "2025-03-11"}, "end": map[string]any{"date": "2025-03-12"},
	})
	if ev["id"] != "meeting00001" || ev["start"].(map[string]any)["date"] != "2025-03-11" || ev["status"] != "confirmed" {
		t.Errorf("inserted = %v", ev)
	}
	if res := f.call("POST", path, f.tok, map[string]any{"id": "meeting00001", "start": at("2025-03-11T10:00:00Z"), "end": at("2025-03-11T11:00:00Z")}); res.status != http.StatusConflict {
		t.Errorf("duplicate id: %d", res.status)
	}
	f.must(http.StatusOK, "GET", path+"/meeting00001", f.tok, nil)
	if res := f.call("DELETE", path+"/meeting00001", f.tok, nil); res.status != http.StatusNoContent {
		t.Errorf("delete: %d", res.status)
	}
	if res := f.call("DELETE", path+"/meeting00001", f.tok, nil); res.status != http.StatusGone {
		t.Errorf("second delete: %d, want 410", res.status)
	}
	if res := f.call("POST", path, f.token(google.DefaultUser, "https://www.googleapis.com/auth/calendar.readonly"), map[string]any{}); res.status != http.StatusForbidden {
		t.Errorf("insert with a read-only scope: %d", res.status)
	}
}

// Clients continue an incremental listing with the page token alone or
// with the sync token repeated beside it; both work.
func TestCalendarIncrementalPageTokenAlone(t *testing.T) {
	t.Parallel()
	f := newCalendar(t, google.Options{Events: 20})
	_, _, token := f.sync(nil)
	f.must(http.StatusOK, "POST", "/_control/google/calendar/changes", "", map[string]any{"update": 3})
	first := f.list(url.Values{"syncToken": {token}, "maxResults": {"2"}})
	next, _ := first.body["nextPageToken"].(string)
	if first.status != http.StatusOK || next == "" {
		t.Fatalf("first page: %d %s", first.status, first.raw)
	}
	for _, q := range []url.Values{
		{"pageToken": {next}, "maxResults": {"2"}},
		{"pageToken": {next}, "maxResults": {"2"}, "syncToken": {token}},
	} {
		res := f.list(q)
		if res.status != http.StatusOK || len(res.body["items"].([]any)) != 1 || res.body["nextSyncToken"] == nil {
			t.Errorf("second page with %v: %d %s", q, res.status, res.raw)
		}
	}
}
