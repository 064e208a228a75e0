package hubspot

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

const searchPath = "/hubspot/crm/v3/objects/contacts/search"

func ids(cs []contactOut) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func millis(t *testing.T, iso string) int64 {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		t.Fatal(err)
	}
	return ts.UnixMilli()
}

func TestSearchGTAscending(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{DefaultContacts: 500})
	var pivot contactOut
	b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts/1301", nil).Decode(t, &pivot)
	watermark := pivot.prop("lastmodifieddate")

	want := make([]string, 0, 199)
	for id := 1302; id <= 1500; id++ {
		want = append(want, strconv.Itoa(id))
	}
	reversed := slices.Clone(want)
	slices.Reverse(reversed)
	tests := []struct {
		name  string
		value any
		dir   string
		want  []string
	}{
		{"ISO value", watermark, "ASCENDING", want},
		{"epoch ms value", strconv.FormatInt(millis(t, watermark), 10), "ASCENDING", want},
		{"numeric value", millis(t, watermark), "ASCENDING", want},
		{"descending", watermark, "DESCENDING", reversed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := gtFilter("lastmodifieddate", "GT", tc.value)
			body["sorts"] = []any{map[string]string{"propertyName": "lastmodifieddate", "direction": tc.dir}}
			body["limit"] = 100
			body["properties"] = []string{"lastmodifieddate", "email"}
			total, got := b.searchAll(t, body)
			if total != 199 || !slices.Equal(ids(got), tc.want) {
				t.Fatalf("total %d, ids %v…", total, ids(got)[:min(5, len(got))])
			}
			for i, c := range got {
				if c.prop("lastmodifieddate") <= watermark || c.prop("email") == "" || c.prop("firstname") != "" {
					t.Fatalf("result %d: %+v", i, c)
				}
			}
		})
	}
}

// TestSearchFastPathMatchesScan checks the index-range answers against the
// scan that any filter on another property forces, after changes that put
// contacts in the overlay, across page boundaries.
func TestSearchFastPathMatchesScan(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 3, DisableRateLimits: true}, Options{DefaultContacts: 400})
	b.s.Clock.Advance(time.Second)
	b.control(t, "modify", map[string]any{"modify": 20, "delete": 15, "create": 12}, nil)
	b.api(t, http.MethodPatch, "/hubspot/crm/v3/objects/contacts/1005", map[string]any{"properties": map[string]string{"city": "Oslo"}})

	var mid contactOut
	b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts/1200", nil).Decode(t, &mid)
	lm, cd := mid.prop("lastmodifieddate"), mid.prop("createdate")
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	f := func(prop, op string, v any) map[string]any {
		return map[string]any{"propertyName": prop, "operator": op, "value": v}
	}
	sorts := func(prop, dir string) []any { return []any{map[string]string{"propertyName": prop, "direction": dir}} }
	queries := []struct {
		name   string
		groups [][]map[string]any
		sorts  []any
	}{
		{"everything by id", nil, nil},
		{"modified after", [][]map[string]any{{f("lastmodifieddate", "GT", lm)}}, sorts("lastmodifieddate", "ASCENDING")},
		{"created since, newest first", [][]map[string]any{{f("createdate", "GTE", cd)}}, sorts("createdate", "DESCENDING")},
		{"or of ranges", [][]map[string]any{{f("lastmodifieddate", "LT", lm)}, {f("hs_object_id", "GT", 1350)}}, sorts("lastmodifieddate", "DESCENDING")},
		{"between ids", [][]map[string]any{{{"propertyName": "hs_object_id", "operator": "BETWEEN", "value": "1100", "highValue": "1250"}}}, sorts("lastmodifieddate", "ASCENDING")},
		{"before the future", [][]map[string]any{{f("lastmodifieddate", "LT", future), f("hs_object_id", "GTE", 1300)}}, sorts("hs_object_id", "DESCENDING")},
		{"exactly one", [][]map[string]any{{f("hs_object_id", "EQ", "1005")}}, nil},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			build := func(scan bool) map[string]any {
				groups := q.groups
				if len(groups) == 0 && scan {
					groups = [][]map[string]any{{}}
				}
				var fg []any
				for _, g := range groups {
					filters := slices.Clone(g)
					if scan { // true for every contact, but not an index range
						filters = append(filters, map[string]any{"propertyName": "hs_object_id", "operator": "HAS_PROPERTY"})
					}
					fg = append(fg, map[string]any{"filters": filters})
				}
				body := map[string]any{"limit": 37}
				if fg != nil {
					body["filterGroups"] = fg
				}
				if q.sorts != nil {
					body["sorts"] = q.sorts
				}
				return body
			}
			fastTotal, fast := b.searchAll(t, build(false))
			scanTotal, scan := b.searchAll(t, build(true))
			if fastTotal != scanTotal || !slices.Equal(ids(fast), ids(scan)) {
				t.Fatalf("fast path: %d %v\nscan: %d %v", fastTotal, ids(fast), scanTotal, ids(scan))
			}
			if fastTotal != len(fast) || fastTotal == 0 {
				t.Fatalf("total %d, %d results", fastTotal, len(fast))
			}
		})
	}

	// And against the list: every live contact modified after lm, in
	// lastmodifieddate order.
	var want []contactOut
	for _, c := range b.listAll(t, "&properties=lastmodifieddate") {
		if c.prop("lastmodifieddate") > lm {
			want = append(want, c)
		}
	}
	slices.SortStableFunc(want, func(x, y contactOut) int {
		return strings.Compare(x.prop("lastmodifieddate"), y.prop("lastmodifieddate"))
	})
	body := gtFilter("lastmodifieddate", "GT", lm)
	body["sorts"] = sorts("lastmodifieddate", "ASCENDING")
	if _, got := b.searchAll(t, body); !slices.Equal(ids(got), ids(want)) {
		t.Errorf("search %v\nlist %v", ids(got), ids(want))
	}
}

func TestSearchOtherProperties(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{DefaultContacts: 300})
	all := b.listAll(t, "&properties=firstname,lastname,email,website,city")
	count := func(pred func(contactOut) bool) int {
		n := 0
		for _, c := range all {
			if pred(c) {
				n++
			}
		}
		return n
	}
	target := all[17]
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"firstname EQ is case-insensitive", gtFilter("firstname", "EQ", strings.ToUpper(target.prop("firstname"))),
			count(func(c contactOut) bool { return c.prop("firstname") == target.prop("firstname") })},
		{"NOT_HAS_PROPERTY website", gtFilter("website", "NOT_HAS_PROPERTY", nil),
			count(func(c contactOut) bool { return c.Properties["website"] == nil })},
		{"IN cities", map[string]any{"filterGroups": []any{map[string]any{"filters": []any{
			map[string]any{"propertyName": "city", "operator": "IN", "values": []string{"boston", "Dublin"}}}}}},
			count(func(c contactOut) bool { return c.prop("city") == "Boston" || c.prop("city") == "Dublin" })},
		{"email domain token", gtFilter("email", "CONTAINS_TOKEN", "*@example.org"),
			count(func(c contactOut) bool { return strings.HasSuffix(c.prop("email"), "@example.org") })},
		{"free text", map[string]any{"query": target.prop("email")}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.body["limit"] = 200
			total, got := b.searchAll(t, tc.body)
			if total != tc.want || len(got) != tc.want || tc.want == 0 {
				t.Fatalf("total %d, %d results, want %d", total, len(got), tc.want)
			}
		})
	}
}

func TestSearchValidationAndTenThousandCap(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{DefaultContacts: 20000})
	filters := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"propertyName": "hs_object_id", "operator": "GT", "value": i}
		}
		return out
	}
	groups := func(n, per int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"filters": filters(per)}
		}
		return out
	}
	tests := []struct {
		name    string
		body    map[string]any
		status  int
		message string
	}{
		{"last page before the cap", map[string]any{"after": "9900", "limit": 100}, 200, ""},
		{"the cap", map[string]any{"after": "10000", "limit": 100}, 400, "10000"},
		{"past the cap", map[string]any{"after": 15000}, 400, "10000"},
		{"limit too big", map[string]any{"limit": 201}, 400, "limit"},
		{"bad after", map[string]any{"after": "abc"}, 400, "after"},
		{"too many groups", map[string]any{"filterGroups": groups(6, 1)}, 400, "filterGroups"},
		{"too many filters in a group", map[string]any{"filterGroups": groups(1, 7)}, 400, "filters"},
		{"too many filters in all", map[string]any{"filterGroups": groups(4, 5)}, 400, "filters"},
		{"unknown operator", gtFilter("email", "LIKE", "x"), 400, "operator"},
		{"bad date", gtFilter("lastmodifieddate", "GT", "yesterday"), 400, "yesterday"},
		{"bad direction", map[string]any{"sorts": []any{map[string]string{"propertyName": "createdate", "direction": "UP"}}}, 400, "direction"},
		{"bad json", nil, 400, "JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body any = tc.body
			if tc.body == nil {
				body = []int{1}
			}
			res := b.api(t, http.MethodPost, searchPath, body)
			if res.Status != tc.status {
				t.Fatalf("status %d %s, want %d", res.Status, res.Body, tc.status)
			}
			if tc.status == 200 {
				var page pageOut
				res.Decode(t, &page)
				if page.Total != 20000 || len(page.Results) != 100 || page.after() != "10000" || page.Results[0].ID != "10901" {
					t.Fatalf("page before the cap: total %d, %d results, after %q", page.Total, len(page.Results), page.after())
				}
				return
			}
			var e errorOut
			res.Decode(t, &e)
			if e.Status != "error" || e.Category != "VALIDATION_ERROR" || !strings.Contains(e.Message, tc.message) {
				t.Fatalf("error body %s", res.Body)
			}
		})
	}
}

// sameWindow runs f, retrying when the simulated clock crossed a window
// boundary of size per while f ran, since fixed windows then split f's
// requests and the counts it asserts no longer hold.
func sameWindow(t *testing.T, s *sim.Server, per time.Duration, f func() error) {
	t.Helper()
	var err error
	for range 5 {
		// Start just after a boundary, for the most room.
		now := s.Clock.Now()
		s.Clock.Advance(now.Truncate(per).Add(per).Sub(now))
		start := s.Clock.Now().Truncate(per)
		if err = f(); err == nil {
			return
		}
		if s.Clock.Now().Truncate(per).Equal(start) {
			t.Fatal(err)
		}
	}
	t.Fatal(err)
}

func TestSearchSecondlyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	search := func() simtest.Response { return b.api(t, http.MethodPost, searchPath, map[string]any{"limit": 1}) }
	sameWindow(t, b.s.Server, time.Second, func() error {
		for i := range 5 {
			if res := search(); res.Status != http.StatusOK {
				return fmt.Errorf("search %d: %d %s", i, res.Status, res.Body)
			}
		}
		res := search()
		var e errorOut
		res.Decode(t, &e)
		if res.Status != http.StatusTooManyRequests || e.ErrorType != "RATE_LIMIT" || e.PolicyName != "SECONDLY" ||
			e.Message != "You have reached your secondly limit." || e.Status != "error" {
			return fmt.Errorf("sixth search: %d %s", res.Status, res.Body)
		}
		if res.Header.Get("X-HubSpot-RateLimit-Remaining") == "" {
			return fmt.Errorf("429 without rate-limit headers")
		}
		return nil
	})
	b.s.Clock.Advance(time.Second)
	if res := search(); res.Status != http.StatusOK {
		t.Fatalf("after a second: %d %s", res.Status, res.Body)
	}
	// Other portals have their own search budget; listing is not limited by it.
	if res := b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts", nil); res.Status != http.StatusOK {
		t.Errorf("list: %d", res.Status)
	}
}

func TestGeneralRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   Options
		ok     int
		policy string
		per    time.Duration
	}{
		{"burst", Options{BurstLimit: 3}, 3, "TEN_SECONDLY_ROLLING", 10 * time.Second},
		{"daily", Options{DailyLimit: 2}, 2, "DAILY", 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sim.Options{}, tc.opts)
			list := func() simtest.Response {
				return b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=1", nil)
			}
			sameWindow(t, b.s.Server, tc.per, func() error {
				for i := range tc.ok {
					res := list()
					h := res.Header
					if res.Status != http.StatusOK || h.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "10000" ||
						h.Get("X-HubSpot-RateLimit-Max") != strconv.Itoa(b.p.opts.BurstLimit) ||
						h.Get("X-HubSpot-RateLimit-Daily") != strconv.Itoa(b.p.opts.DailyLimit) ||
						h.Get("X-HubSpot-RateLimit-Daily-Remaining") != strconv.Itoa(b.p.opts.DailyLimit-i-1) {
						return fmt.Errorf("request %d: %d %v", i, res.Status, h)
					}
					if tc.name == "burst" && h.Get("X-HubSpot-RateLimit-Remaining") != strconv.Itoa(tc.ok-i-1) {
						return fmt.Errorf("request %d: remaining %s", i, h.Get("X-HubSpot-RateLimit-Remaining"))
					}
				}
				res := list()
				var e errorOut
				res.Decode(t, &e)
				if res.Status != http.StatusTooManyRequests || e.PolicyName != tc.policy || e.ErrorType != "RATE_LIMIT" || res.Header.Get("Retry-After") == "" {
					return fmt.Errorf("over the limit: %d %s", res.Status, res.Body)
				}
				return nil
			})
			b.s.Clock.Advance(tc.per)
			if res := list(); res.Status != http.StatusOK {
				t.Fatalf("next window: %d", res.Status)
			}
		})
	}

	t.Run("off", func(t *testing.T) {
		t.Parallel()
		b := setup(t, sim.Options{DisableRateLimits: true}, Options{BurstLimit: 1, SearchPerSecond: 1})
		for range 5 {
			res := b.api(t, http.MethodPost, searchPath, map[string]any{})
			if res.Status != http.StatusOK || res.Header.Get("X-HubSpot-RateLimit-Remaining") != "" {
				t.Fatalf("limits off: %d %v", res.Status, res.Header)
			}
		}
	})
}
