package hubspot

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// TestMillionContactPortal checks that a portal of a million contacts is
// served from the seed without materialising it: sizing it, listing its
// first and last pages and searching it each allocate at most a few MB.
//
// It does not call t.Parallel on purpose: it reads the process-wide
// allocation counter, which other tests running at the same time would
// inflate. Go runs sequential tests before the parallel ones resume. The
// requests go straight to ServeHTTP so that only the simulator allocates.
func TestMillionContactPortal(t *testing.T) {
	const portalID, size = 4200, 1_000_000
	p := New(Options{})
	s := sim.New(sim.Options{Seed: 9, DisableRateLimits: true}, p)
	t.Cleanup(s.Webhooks().Wait)
	token := s.OAuth.Issue(sim.Grant{Provider: name, ClientID: "hubspot-client-id", Subject: "4200"}, 0, false).AccessToken

	serve := func(method, path string, body any) *httptest.ResponseRecorder {
		var buf bytes.Buffer
		if body != nil {
			if err := json.NewEncoder(&buf).Encode(body); err != nil {
				t.Fatal(err)
			}
		}
		req := httptest.NewRequest(method, path, &buf)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec
	}
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		t.Logf("allocated %d KiB", (after.TotalAlloc-before.TotalAlloc)>>10)
		return after.TotalAlloc - before.TotalAlloc
	}
	page := func(rec *httptest.ResponseRecorder) pageOut {
		var out pageOut
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	const mb = 1 << 20

	if n := allocated(func() {
		serve(http.MethodPost, "/_control/hubspot/portals", map[string]any{"portal_id": portalID, "contacts": size})
	}); n > mb/4 {
		t.Errorf("sizing the portal allocated %d bytes", n)
	}

	var rec *httptest.ResponseRecorder
	if n := allocated(func() { rec = serve(http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=100", nil) }); n > 2*mb {
		t.Errorf("first page allocated %d bytes", n)
	}
	if first := page(rec); len(first.Results) != 100 || first.Results[0].ID != "1001" || first.after() == "" {
		t.Fatalf("first page: %d results", len(first.Results))
	}

	lastCursor := url.QueryEscape(encodeCursor(firstID + size - 100))
	if n := allocated(func() {
		rec = serve(http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=100&after="+lastCursor, nil)
	}); n > 2*mb {
		t.Errorf("last page allocated %d bytes", n)
	}
	if last := page(rec); len(last.Results) != 100 || last.Results[99].ID != "1001000" || last.Paging != nil {
		t.Fatalf("last page: %d results, last %s, paging %v", len(last.Results), last.Results[99].ID, last.Paging)
	}

	// The lastmodifieddate of the contact 1000 from the end, read first.
	var pivot contactOut
	if err := json.Unmarshal(serve(http.MethodGet, "/hubspot/crm/v3/objects/contacts/1000001", nil).Body.Bytes(), &pivot); err != nil {
		t.Fatal(err)
	}
	searches := []struct {
		name  string
		body  map[string]any
		total int
		first string
	}{
		{"modified after, ascending", withSort(gtFilter("lastmodifieddate", "GT", pivot.prop("lastmodifieddate")), "lastmodifieddate", "ASCENDING"), 999, "1000002"},
		{"everything, newest first", withSort(map[string]any{}, "lastmodifieddate", "DESCENDING"), size, "1001000"},
		{"created before, deep page", withSort(gtFilter("createdate", "LT", pivot.prop("createdate")), "createdate", "DESCENDING", "after", "9800"), size - 1000, "990200"},
	}
	for _, tc := range searches {
		tc.body["limit"] = 200
		if n := allocated(func() { rec = serve(http.MethodPost, searchPath, tc.body) }); n > 4*mb {
			t.Errorf("%s: search allocated %d bytes", tc.name, n)
		}
		if got := page(rec); got.Total != tc.total || len(got.Results) != 200 || got.Results[0].ID != tc.first {
			t.Errorf("%s: total %d, %d results, first %s", tc.name, got.Total, len(got.Results), got.Results[0].ID)
		}
	}

	// With changed contacts the generated ones are merged with the
	// overlay; a deep page still stays light.
	s.Clock.Advance(time.Second)
	serve(http.MethodPost, "/_control/hubspot/modify", map[string]any{"portal_id": portalID, "modify": 50, "delete": 50, "create": 50})
	body := withSort(gtFilter("lastmodifieddate", "GT", "2023-06-01T00:00:00Z"), "lastmodifieddate", "DESCENDING", "after", "9800")
	body["limit"] = 200
	if n := allocated(func() { rec = serve(http.MethodPost, searchPath, body) }); n > 8*mb {
		t.Errorf("merged deep search allocated %d bytes", n)
	}
	// 50 archived leave, 50 created join; the 50 modified stay.
	if got := page(rec); got.Total != size || len(got.Results) != 200 {
		t.Errorf("merged search: total %d, %d results", got.Total, len(got.Results))
	}
}

// withSort adds a single sort and any extra key/value pairs to body.
func withSort(body map[string]any, prop, dir string, kv ...string) map[string]any {
	body["sorts"] = []any{map[string]string{"propertyName": prop, "direction": dir}}
	for i := 0; i+1 < len(kv); i += 2 {
		body[kv[i]] = kv[i+1]
	}
	return body
}
