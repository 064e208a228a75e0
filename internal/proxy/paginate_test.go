package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/jira"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
)

// pgFakeAPI answers Paginate's requests with serve and keeps every request
// it was sent.
type pgFakeAPI struct {
	serve func(req PageRequest) (int, http.Header, []byte)

	mu   sync.Mutex
	reqs []PageRequest
}

func pgNewFakeAPI(serve func(req PageRequest) (int, http.Header, []byte)) *pgFakeAPI {
	return &pgFakeAPI{serve: serve}
}

func (f *pgFakeAPI) fetch(_ context.Context, req PageRequest) (int, http.Header, []byte, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	status, header, body := f.serve(req)
	return status, header, body, nil
}

func (f *pgFakeAPI) requests() []PageRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PageRequest(nil), f.reqs...)
}

// pgQuery is the request's query, from URL when link pagination set it.
func pgQuery(t testing.TB, r PageRequest) url.Values {
	t.Helper()
	if r.URL == "" {
		return r.Query
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// pgRecords renders records from..to-1 as {"id": i}.
func pgRecords(from, to int) []map[string]any {
	out := []map[string]any{}
	for i := from; i < to; i++ {
		out = append(out, map[string]any{"id": i})
	}
	return out
}

func pgMustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pgIntParam(t testing.TB, v url.Values, name string, def int) int {
	t.Helper()
	s := v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q", name, s)
	}
	return n
}

// pgCollect runs seq to its end: the ids of every record, page sizes, and
// the error that ended it.
func pgCollect(t testing.TB, seq func(func([]json.RawMessage, error) bool)) (ids []int, sizes []int, err error) {
	t.Helper()
	for page, err := range seq {
		if err != nil {
			return ids, sizes, err
		}
		if len(page) == 0 {
			t.Fatal("an empty page was yielded")
		}
		sizes = append(sizes, len(page))
		for _, r := range page {
			var rec struct{ ID int }
			if e := json.Unmarshal(r, &rec); e != nil {
				t.Fatalf("record %s: %v", r, e)
			}
			ids = append(ids, rec.ID)
		}
	}
	return ids, sizes, nil
}

func pgWantIDs(t testing.TB, ids []int, n int) {
	t.Helper()
	if len(ids) != n {
		t.Fatalf("got %d records %v, want %d", len(ids), ids, n)
	}
	for i, id := range ids {
		if id != i {
			t.Fatalf("record %d has id %d: %v", i, id, ids)
		}
	}
}

func pgI64(n int64) *int64 { return &n }

// pgBody is a request body written as JSON, in its key order.
func pgBody(t testing.TB, s string) *JSONObject {
	t.Helper()
	o, err := ParseJSONObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// pgField is a body's top-level member, nil when missing.
func pgField(o *JSONObject, key string) any {
	v, _ := o.Get(key)
	return v
}

var (
	pgHubspotLike = &catalog.PaginateConfig{Type: "cursor", CursorPathInResponse: "paging.next.after",
		CursorNameInRequest: "after", LimitNameInRequest: "limit", ResponsePath: "results"}
	pgGithubLike = &catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next", LimitNameInRequest: "per_page"}
)

// pgCursorAPI serves total records behind HubSpot-style cursors (the next
// index as a string), default page size 10.
func pgCursorAPI(t testing.TB, total int, inBody bool) *pgFakeAPI {
	return pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
		from, limit := pgIntParam(t, req.Query, "after", 0), pgIntParam(t, req.Query, "limit", 10)
		if inBody {
			from, limit = 0, 10
			if v, ok := req.Body.Get("after"); ok {
				from, _ = strconv.Atoi(v.(string))
			}
			if v, ok := req.Body.Get("limit"); ok {
				limit = v.(int)
			}
		}
		to := min(from+limit, total)
		body := map[string]any{"results": pgRecords(from, to)}
		if to < total {
			body["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(to)}}
		}
		return http.StatusOK, nil, pgMustJSON(t, body)
	})
}

func TestPaginateCursor(t *testing.T) {
	t.Parallel()
	api := pgCursorAPI(t, 25, false)
	first := PageRequest{Method: "GET", Endpoint: "/contacts", Query: url.Values{"archived": {"false"}}}
	ids, sizes, err := pgCollect(t, Paginate(t.Context(), api.fetch, first, pgHubspotLike, nil, 10))
	if err != nil {
		t.Fatal(err)
	}
	pgWantIDs(t, ids, 25)
	if !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
		t.Errorf("page sizes %v", sizes)
	}
	reqs := api.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.Query.Get("limit") != "10" || r.Query.Get("archived") != "false" || r.Endpoint != "/contacts" {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if reqs[0].Query.Has("after") || reqs[1].Query.Get("after") != "10" || reqs[2].Query.Get("after") != "20" {
		t.Errorf("cursors sent: %v %v %v", reqs[0].Query, reqs[1].Query, reqs[2].Query)
	}
	if first.Query.Has("limit") {
		t.Error("Paginate changed the caller's query")
	}
}

func TestPaginateCursorStops(t *testing.T) {
	t.Parallel()
	page1 := `{"results":[{"id":0},{"id":1}],"paging":{"next":{"after":%s}}}`
	tests := []struct {
		name   string
		first  string // the first page's body
		second string // the second page's body, if asked for
		pages  int    // pages fetched
		ids    int
		err    string
	}{
		{name: "cursor missing", first: `{"results":[{"id":0}]}`, pages: 1, ids: 1},
		{name: "paging null", first: `{"results":[{"id":0}],"paging":null}`, pages: 1, ids: 1},
		{name: "cursor null", first: fmt.Sprintf(page1, "null"), pages: 1, ids: 2},
		{name: "cursor empty", first: fmt.Sprintf(page1, `""`), pages: 1, ids: 2},
		{name: "cursor blank", first: fmt.Sprintf(page1, `"  "`), pages: 1, ids: 2},
		{name: "next page empty", first: fmt.Sprintf(page1, `"c2"`), second: `{"results":[],"paging":{"next":{"after":"c3"}}}`, pages: 2, ids: 2},
		{name: "next page without records", first: fmt.Sprintf(page1, `"c2"`), second: `{"paging":{"next":{"after":"c3"}}}`, pages: 2, ids: 2},
		{name: "numeric cursor", first: fmt.Sprintf(page1, `20`), second: `{"results":[{"id":2}]}`, pages: 2, ids: 3},
		// Nango's runtime takes anything but a string or number as no cursor.
		{name: "cursor object", first: fmt.Sprintf(page1, `{"x":1}`), pages: 1, ids: 2},
		{name: "cursor boolean", first: fmt.Sprintf(page1, `true`), pages: 1, ids: 2},
		{name: "same cursor again", first: fmt.Sprintf(page1, `"c"`), second: fmt.Sprintf(`{"results":[{"id":2}],"paging":{"next":{"after":%s}}}`, `"c"`), pages: 2, ids: 3, err: ErrPaginationLoop.Error()},
		{name: "empty first page", first: `{"results":[],"paging":{"next":{"after":"c"}}}`, pages: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
				if req.Query.Has("after") {
					return 200, nil, []byte(tc.second)
				}
				return 200, nil, []byte(tc.first)
			})
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{Endpoint: "/x"}, pgHubspotLike, nil, 0))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if len(ids) != tc.ids || len(api.requests()) != tc.pages {
				t.Errorf("%d records in %d requests, want %d in %d", len(ids), len(api.requests()), tc.ids, tc.pages)
			}
			if tc.name == "numeric cursor" && api.requests()[1].Query.Get("after") != "20" {
				t.Errorf("numeric cursor sent as %q", api.requests()[1].Query.Get("after"))
			}
		})
	}
}

// pgLinkAPI serves total records in pages of per_page (default 10) under
// https://api.example.com/v1/items, with the next link made by next.
func pgLinkAPI(t testing.TB, total int, next func(page, per int) string) *pgFakeAPI {
	return pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
		q := pgQuery(t, req)
		pg, per := pgIntParam(t, q, "page", 1), pgIntParam(t, q, "per_page", 10)
		from, to := min((pg-1)*per, total), min(pg*per, total)
		h := http.Header{}
		h.Add("Link", fmt.Sprintf(`<https://api.example.com/v1/items?page=1&per_page=%d>; rel="first"`, per))
		if to < total {
			if l := next(pg+1, per); l != "" {
				h.Add("Link", l)
			}
		}
		return 200, h, pgMustJSON(t, pgRecords(from, to))
	})
}

func TestPaginateLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		next func(page, per int) string
	}{
		{"absolute", func(pg, per int) string {
			return fmt.Sprintf(`<https://api.example.com/v1/items?page=%d&per_page=%d>; rel="next", <https://api.example.com/v1/items?page=3&per_page=%d>; rel="last"`, pg, per, per)
		}},
		{"absolute, default port, upper-case host", func(pg, per int) string {
			return fmt.Sprintf(`<https://API.example.com:443/v1/items?page=%d&per_page=%d>; rel=next`, pg, per)
		}},
		{"path-absolute", func(pg, per int) string { return fmt.Sprintf(`</v1/items?page=%d&per_page=%d>; rel="next"`, pg, per) }},
		{"relative", func(pg, per int) string { return fmt.Sprintf(`<items?page=%d&per_page=%d>; rel="prev next"`, pg, per) }},
		{"query only", func(pg, per int) string { return fmt.Sprintf(`<?page=%d&per_page=%d>; rel="next"`, pg, per) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgLinkAPI(t, 25, tc.next)
			first := PageRequest{BaseURL: "https://api.example.com/v1/", Endpoint: "/items", Header: http.Header{"Accept": {"application/json"}}}
			ids, sizes, err := pgCollect(t, Paginate(t.Context(), api.fetch, first, pgGithubLike, nil, 10))
			if err != nil {
				t.Fatal(err)
			}
			pgWantIDs(t, ids, 25)
			if !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
				t.Errorf("page sizes %v", sizes)
			}
			reqs := api.requests()
			if reqs[0].URL != "" || reqs[0].Query.Get("per_page") != "10" {
				t.Errorf("first request %+v", reqs[0])
			}
			for _, r := range reqs[1:] {
				u, err := url.Parse(r.URL)
				if err != nil || linkOrigin(u) != "https://api.example.com" || u.Path != "/v1/items" || r.Query != nil || r.Endpoint != "" {
					t.Errorf("followed request %+v", r)
				}
				if r.Header.Get("Accept") != "application/json" {
					t.Errorf("headers lost: %v", r.Header)
				}
			}
		})
	}
}

func TestPaginateLinkInBody(t *testing.T) {
	t.Parallel()
	api := pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
		q := pgQuery(t, req)
		from := pgIntParam(t, q, "start", 0)
		to := min(from+10, 25)
		body := map[string]any{"data": pgRecords(from, to), "links": map[string]any{"next": nil}}
		if to < 25 {
			body["links"] = map[string]any{"next": fmt.Sprintf("https://api.example.com/items?start=%d", to)}
		}
		return 200, nil, pgMustJSON(t, body)
	})
	caller := &catalog.PaginateConfig{Type: "link", LinkPathInResponseBody: "links.next", ResponsePath: "data"}
	ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{BaseURL: "https://api.example.com", Endpoint: "items"}, nil, caller, 0))
	if err != nil {
		t.Fatal(err)
	}
	pgWantIDs(t, ids, 25)
	if n := len(api.requests()); n != 3 {
		t.Errorf("%d requests", n)
	}
}

func TestPaginateLinkStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		link string // the first page's next link header
		err  error
	}{
		{name: "no next relation", link: `<https://api.example.com/items?page=1>; rel="prev"`},
		{name: "no link header"},
		{name: "other host", link: `<https://evil.example.net/items?page=2&token=x>; rel="next"`, err: ErrLinkOffHost},
		{name: "sub-domain", link: `<https://eu.api.example.com/items?page=2>; rel="next"`, err: ErrLinkOffHost},
		{name: "scheme downgrade", link: `<http://api.example.com/items?page=2>; rel="next"`, err: ErrLinkOffHost},
		{name: "other port", link: `<https://api.example.com:8443/items?page=2>; rel="next"`, err: ErrLinkOffHost},
		{name: "scheme-relative other host", link: `<//evil.example.net/items?page=2>; rel="next"`, err: ErrLinkOffHost},
		{name: "user info trick", link: `<https://api.example.com@evil.example.net/items>; rel="next"`, err: ErrLinkOffHost},
		// Nango's runtime ends the run when the next link repeats.
		{name: "itself", link: `<https://api.example.com/items>; rel="next"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
				h := http.Header{}
				if tc.link != "" {
					h.Set("Link", tc.link)
				}
				return 200, h, []byte(`[{"id":0},{"id":1}]`)
			})
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{BaseURL: "https://api.example.com", Endpoint: "/items"}, pgGithubLike, nil, 0))
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "token=x") {
				t.Errorf("the error shows the link's query: %v", err)
			}
			if len(ids) != 2 || len(api.requests()) != 1 {
				t.Errorf("%d records in %d requests; want the first page only", len(ids), len(api.requests()))
			}
		})
	}
}

func TestPaginateLinkNeedsBaseURL(t *testing.T) {
	t.Parallel()
	api := pgLinkAPI(t, 25, func(int, int) string { return "" })
	_, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{Endpoint: "/items"}, pgGithubLike, nil, 0))
	if err == nil || !strings.Contains(err.Error(), "BaseURL") {
		t.Fatalf("err %v", err)
	}
	if len(api.requests()) != 0 {
		t.Error("a request was sent")
	}
}

// pgOffsetAPI serves total records from offset (or page, counted from
// pageBase) with a default page size of 10.
func pgOffsetAPI(t testing.TB, total int) *pgFakeAPI {
	return pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
		limit := pgIntParam(t, req.Query, "limit", 10)
		from := pgIntParam(t, req.Query, "offset", 0)
		if req.Query.Has("page") {
			from = (pgIntParam(t, req.Query, "page", 1) - 1) * limit
		}
		from = min(from, total)
		return 200, nil, pgMustJSON(t, map[string]any{"items": pgRecords(from, min(from+limit, total))})
	})
}

func TestPaginateOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     catalog.PaginateConfig
		limit   int
		query   url.Values
		total   int
		sent    []string // the offsets sent
		records int
	}{
		{name: "by response size", cfg: catalog.PaginateConfig{OffsetNameInRequest: "offset"}, limit: 10, total: 25,
			sent: []string{"0", "10", "20"}, records: 25},
		{name: "exact multiple stops on the empty page", cfg: catalog.PaginateConfig{OffsetNameInRequest: "offset"}, limit: 10, total: 20,
			sent: []string{"0", "10", "20"}, records: 20},
		{name: "no limit stops on the empty page", cfg: catalog.PaginateConfig{OffsetNameInRequest: "offset"}, total: 25,
			sent: []string{"0", "10", "20", "25"}, records: 25},
		// As in Nango, only paginate.limit ends a run at a short page: a
		// page size in the query may be more than the provider serves.
		{name: "limit already in the query", cfg: catalog.PaginateConfig{OffsetNameInRequest: "offset"}, query: url.Values{"limit": {"10"}}, total: 25,
			sent: []string{"0", "10", "20", "25"}, records: 25},
		{name: "start value", cfg: catalog.PaginateConfig{OffsetNameInRequest: "offset", OffsetStartValue: pgI64(5)}, limit: 10, total: 25,
			sent: []string{"5", "15", "25"}, records: 20},
		{name: "per page from 1", cfg: catalog.PaginateConfig{OffsetNameInRequest: "page", OffsetStartValue: pgI64(1), OffsetCalculationMethod: "per-page"},
			limit: 10, total: 25, sent: []string{"1", "2", "3"}, records: 25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgOffsetAPI(t, tc.total)
			caller := tc.cfg
			caller.Type, caller.LimitNameInRequest, caller.ResponsePath = "offset", "limit", "items"
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{Endpoint: "/items", Query: tc.query}, nil, &caller, tc.limit))
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tc.records {
				t.Errorf("%d records, want %d", len(ids), tc.records)
			}
			var sent []string
			for _, r := range api.requests() {
				sent = append(sent, r.Query.Get(tc.cfg.OffsetNameInRequest))
			}
			if !reflect.DeepEqual(sent, tc.sent) {
				t.Errorf("sent %v, want %v", sent, tc.sent)
			}
		})
	}
}

func TestPaginateBodyOrQuery(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"POST", "put", "PATCH"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			api := pgCursorAPI(t, 25, true)
			first := PageRequest{Method: method, Endpoint: "/search", Query: url.Values{"v": {"3"}}, Body: pgBody(t, `{"filter":"x"}`)}
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, first, pgHubspotLike, nil, 10))
			if err != nil {
				t.Fatal(err)
			}
			pgWantIDs(t, ids, 25)
			reqs := api.requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests", len(reqs))
			}
			for i, r := range reqs {
				if !reflect.DeepEqual(r.Query, url.Values{"v": {"3"}}) {
					t.Errorf("request %d query %v: parameters belong in the body", i, r.Query)
				}
				if pgField(r.Body, "filter") != "x" || pgField(r.Body, "limit") != 10 {
					t.Errorf("request %d body %v", i, r.Body)
				}
			}
			if _, ok := reqs[0].Body.Get("after"); ok {
				t.Errorf("first body has a cursor: %v (a later page changed it?)", reqs[0].Body)
			}
			if pgField(reqs[2].Body, "after") != "20" {
				t.Errorf("third body %v", reqs[2].Body)
			}
			if first.Body.Len() != 1 {
				t.Errorf("Paginate changed the caller's body: %v", first.Body)
			}
		})
	}
	t.Run("POST without a body, offset", func(t *testing.T) {
		t.Parallel()
		api := pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
			from := int(pgField(req.Body, "offset").(int64))
			return 200, nil, pgMustJSON(t, pgRecords(from, min(from+10, 25)))
		})
		caller := &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "offset", LimitNameInRequest: "size"}
		ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{Method: "POST", Endpoint: "/q"}, nil, caller, 10))
		if err != nil {
			t.Fatal(err)
		}
		pgWantIDs(t, ids, 25)
		if r := api.requests()[1]; r.Query != nil || pgField(r.Body, "size") != 10 || pgField(r.Body, "offset") != int64(10) {
			t.Errorf("second request %+v", r)
		}
	})
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		api := pgCursorAPI(t, 25, false)
		_, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{Method: "get", Endpoint: "/x", Body: pgBody(t, `{"a":1}`)}, pgHubspotLike, nil, 10))
		if err != nil {
			t.Fatal(err)
		}
		if r := api.requests()[1]; r.Query.Get("after") != "10" || r.Body.Len() != 1 {
			t.Errorf("second request %+v", r)
		}
	})
}

func TestPaginateMaxPages(t *testing.T) {
	t.Parallel()
	// A provider that always has another page.
	api := pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
		n := pgIntParam(t, req.Query, "after", 0)
		return 200, nil, pgMustJSON(t, map[string]any{"results": pgRecords(n, n+1), "paging": map[string]any{"next": map[string]any{"after": n + 1}}})
	})
	ids, _, err := pgCollect(t, paginateRecords(t.Context(), api.fetch, PageRequest{}, pgHubspotLike, nil, 0, 3))
	if !errors.Is(err, ErrTooManyPages) {
		t.Fatalf("err %v", err)
	}
	pgWantIDs(t, ids, 3)
	if n := len(api.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if MaxPages < 10_000 {
		t.Errorf("MaxPages %d would cut real syncs short", MaxPages)
	}
}

func TestPaginateConsumerBreak(t *testing.T) {
	t.Parallel()
	for _, stopAfter := range []int{1, 2} {
		t.Run(strconv.Itoa(stopAfter), func(t *testing.T) {
			t.Parallel()
			api := pgCursorAPI(t, 100, false)
			pages := 0
			for page, err := range Paginate(t.Context(), api.fetch, PageRequest{}, pgHubspotLike, nil, 10) {
				if err != nil {
					t.Fatal(err)
				}
				if len(page) != 10 {
					t.Fatalf("page of %d", len(page))
				}
				pages++
				if pages == stopAfter {
					break
				}
			}
			if n := len(api.requests()); n != stopAfter {
				t.Errorf("%d requests after the consumer stopped at page %d", n, stopAfter)
			}
		})
	}
}

func TestPaginateErrors(t *testing.T) {
	t.Parallel()
	t.Run("provider refuses page 2", func(t *testing.T) {
		t.Parallel()
		long := strings.Repeat("é", 3000)
		api := pgNewFakeAPI(func(req PageRequest) (int, http.Header, []byte) {
			if req.Query.Has("after") {
				return 503, nil, []byte(`{"message":"` + long + `"}`)
			}
			return 200, nil, []byte(`{"results":[{"id":0}],"paging":{"next":{"after":"1"}}}`)
		})
		ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{}, pgHubspotLike, nil, 0))
		var pe *PageError
		if !errors.As(err, &pe) || pe.Status != 503 || pe.Page != 2 || !strings.HasPrefix(err.Error(), "paginate: page 2: provider answered 503: ") {
			t.Fatalf("err %#v", err)
		}
		if len(pe.Body) > pageErrorBodyMax+len("…") || !strings.HasPrefix(pe.Body, `{"message":"éé`) || !strings.HasSuffix(pe.Body, "é…") {
			t.Errorf("body of %d bytes: %.40q…", len(pe.Body), pe.Body)
		}
		if len(ids) != 1 {
			t.Errorf("%d records before the error", len(ids))
		}
	})
	t.Run("fetch fails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("connection reset")
		fetch := func(context.Context, PageRequest) (int, http.Header, []byte, error) { return 0, nil, nil, boom }
		_, _, err := pgCollect(t, Paginate(t.Context(), fetch, PageRequest{}, pgHubspotLike, nil, 0))
		if !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("context cancelled between pages", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		api := pgCursorAPI(t, 100, false)
		n := 0
		var err error
		for _, e := range Paginate(ctx, api.fetch, PageRequest{}, pgHubspotLike, nil, 10) {
			if e != nil {
				err = e
				break
			}
			if n++; n == 2 {
				cancel()
			}
		}
		if !errors.Is(err, context.Canceled) || len(api.requests()) != 2 {
			t.Fatalf("err %v after %d requests", err, len(api.requests()))
		}
	})
	t.Run("limit without its name", func(t *testing.T) {
		t.Parallel()
		api := pgCursorAPI(t, 10, false)
		cfg := *pgHubspotLike
		cfg.LimitNameInRequest = ""
		_, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{}, &cfg, nil, 10))
		var ce *PaginateConfigError
		if !errors.As(err, &ce) || ce.Field != "limit_name_in_request" || len(api.requests()) != 0 {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no config", func(t *testing.T) {
		t.Parallel()
		_, _, err := pgCollect(t, Paginate(t.Context(), nil, PageRequest{}, nil, nil, 0))
		var ce *PaginateConfigError
		if !errors.As(err, &ce) || ce.Field != "type" {
			t.Fatalf("err %v", err)
		}
	})
}

func TestPaginateResponseShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string
		body string
		ids  int
		err  string
	}{
		{name: "whole body array", body: `[{"id":0},{"id":1}]`, ids: 2},
		{name: "nested path", path: "data.items", body: `{"data":{"items":[{"id":0}]}}`, ids: 1},
		{name: "indexed path", path: "data[1].items", body: `{"data":[{},{"items":[{"id":0}]}]}`, ids: 1},
		{name: "path missing is an empty page", path: "results", body: `{"total":0}`},
		{name: "path null is an empty page", path: "results", body: `{"results":null}`},
		{name: "no content", body: ``},
		{name: "object without path", body: `{"results":[]}`, err: "set response_path"},
		{name: "path to an object", path: "results", body: `{"results":{"id":0}}`, err: `response_path "results" is an object`},
		{name: "not JSON", path: "results", body: `<html>`, err: "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgNewFakeAPI(func(PageRequest) (int, http.Header, []byte) { return 200, nil, []byte(tc.body) })
			caller := &catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "next", ResponsePath: tc.path}
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, PageRequest{}, nil, caller, 0))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if len(ids) != tc.ids {
				t.Errorf("%d records, want %d", len(ids), tc.ids)
			}
		})
	}
}

func TestJSONPath(t *testing.T) {
	t.Parallel()
	body := []byte(`{"a":{"b":[{"c":"x"},{"c":"y"}]},"d.e":1,"f":[[1,2],[3]]}`)
	tests := []struct {
		path, want string
		found      bool
	}{
		{"a.b.0.c", `"x"`, true},
		{"a.b[1].c", `"y"`, true},
		{"a.b[-1].c", `"y"`, true},
		{"a.b[-2].c", `"x"`, true},
		{"a.b[-3].c", "", false},
		{"a.b[2]", "", false},
		{`["d.e"]`, `1`, true},
		{"f[0][1]", `2`, true},
		{"f.1.0", `3`, true},
		{"a.x", "", false},
		{"a.b.c", "", false},
		{"a.b.0.c.d", "", false},
	}
	for _, tc := range tests {
		b := pageBody{raw: body}
		got, found, err := b.at(tc.path)
		if err != nil || found != tc.found || string(got) != tc.want {
			t.Errorf("at(%q) = %s, %v, %v; want %s, %v", tc.path, got, found, err, tc.want, tc.found)
		}
	}
	arr := pageBody{raw: []byte(`[{"id":"a"},{"id":"b"}]`)}
	if got, found, _ := arr.at("[-1].id"); !found || string(got) != `"b"` {
		t.Errorf("top-level array: %s %v", got, found)
	}
}

func TestParseLinkHeader(t *testing.T) {
	t.Parallel()
	github := `<https://api.github.com/repositories/1/issues?page=1>; rel="prev", <https://api.github.com/repositories/1/issues?page=3>; rel="next", ` +
		`<https://api.github.com/repositories/1/issues?page=5>; rel="last", <https://api.github.com/repositories/1/issues?page=1>; rel="first"`
	tests := []struct {
		name   string
		values []string
		rel    string
		want   string
	}{
		{"github next", []string{github}, "next", "https://api.github.com/repositories/1/issues?page=3"},
		{"github last", []string{github}, "last", "https://api.github.com/repositories/1/issues?page=5"},
		{"absent", []string{github}, "alternate", ""},
		{"no header", nil, "next", ""},
		{"empty header", []string{""}, "next", ""},
		{"several fields", []string{`<https://x/a>; rel="prev"`, `<https://x/b>; rel="next"`}, "next", "https://x/b"},
		{"several relation types", []string{`<https://x/b>; rel="last next"`}, "next", "https://x/b"},
		{"case-insensitive", []string{`<https://x/b>; REL="Next"`}, "next", "https://x/b"},
		{"rel asked in upper case", []string{`<https://x/b>; rel=next`}, "NEXT", "https://x/b"},
		{"unquoted", []string{`<https://x/b>;rel=next`}, "next", "https://x/b"},
		{"spaces", []string{`  <https://x/b> ;  rel = "next"  ,`}, "next", "https://x/b"},
		{"comma and semicolon in a quoted param", []string{`<https://x/a>; title="a, <b>; rel=next"; rel="prev", <https://x/c>; rel="next"`}, "next", "https://x/c"},
		{"escaped quote", []string{`<https://x/a>; title="say \"hi\", rel=next"; rel=prev, <https://x/c>; rel=next`}, "next", "https://x/c"},
		{"comma and semicolon in the target", []string{`<https://x/a?ids=1,2;x=3>; rel="next"`}, "next", "https://x/a?ids=1,2;x=3"},
		{"first rel counts", []string{`<https://x/a>; rel="prev"; rel="next", <https://x/b>; rel="next"`}, "next", "https://x/b"},
		{"other params", []string{`<https://x/a>; type="text/html"; hreflang=en; rel="next"`}, "next", "https://x/a"},
		{"malformed item skipped", []string{`garbage; rel="next, still", <https://x/ok>; rel="next"`}, "next", "https://x/ok"},
		{"unterminated target", []string{`<https://x/a; rel="next"`}, "next", ""},
		{"relative target", []string{`</issues?page=2>; rel="next"`}, "next", "/issues?page=2"},
	}
	for _, tc := range tests {
		if got := linkWithRel(tc.values, tc.rel); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	links := parseLinkHeader([]string{github})
	if len(links) != 4 || links[1].params["rel"] != "next" || !reflect.DeepEqual(links[1].rels, []string{"next"}) {
		t.Errorf("parsed %+v", links)
	}
}

func TestMergePaginate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		provider, caller *catalog.PaginateConfig
		want             catalog.PaginateConfig
		errField         string
	}{
		{name: "provider only", provider: pgHubspotLike, want: *pgHubspotLike},
		{name: "caller only", caller: pgGithubLike, want: *pgGithubLike},
		{name: "neither", errField: "type"},
		{name: "caller without type", caller: &catalog.PaginateConfig{LimitNameInRequest: "n"}, errField: "type"},
		{name: "field by field", provider: pgHubspotLike, caller: &catalog.PaginateConfig{ResponsePath: "data", LimitNameInRequest: "count"},
			want: catalog.PaginateConfig{Type: "cursor", CursorPathInResponse: "paging.next.after", CursorNameInRequest: "after", LimitNameInRequest: "count", ResponsePath: "data"}},
		{name: "same type, other case", provider: pgHubspotLike, caller: &catalog.PaginateConfig{Type: "CURSOR", CursorNameInRequest: "cursor"},
			want: catalog.PaginateConfig{Type: "cursor", CursorPathInResponse: "paging.next.after", CursorNameInRequest: "cursor", LimitNameInRequest: "limit", ResponsePath: "results"}},
		{name: "other type drops the provider's type fields", provider: pgHubspotLike,
			caller: &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "offset"},
			want:   catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "offset", LimitNameInRequest: "limit", ResponsePath: "results"}},
		{name: "offset to link", provider: &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "o", OffsetStartValue: pgI64(1), OffsetCalculationMethod: "per-page"},
			caller: &catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next"},
			want:   catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next"}},
		{name: "link to cursor", provider: pgGithubLike, caller: &catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "meta.next"},
			want: catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "meta.next", LimitNameInRequest: "per_page"}},
		{name: "other type must bring its own fields", provider: pgHubspotLike, caller: &catalog.PaginateConfig{Type: "link"}, errField: "link_rel_in_response_header"},
		{name: "body link replaces header link", provider: pgGithubLike, caller: &catalog.PaginateConfig{LinkPathInResponseBody: "next"},
			want: catalog.PaginateConfig{Type: "link", LinkPathInResponseBody: "next", LimitNameInRequest: "per_page"}},
		{name: "offset start and method", provider: &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "start", OffsetStartValue: pgI64(1)},
			caller: &catalog.PaginateConfig{OffsetStartValue: pgI64(0), OffsetCalculationMethod: "per-page"},
			want:   catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "start", OffsetStartValue: pgI64(0), OffsetCalculationMethod: "per-page"}},
		{name: "extra merged", provider: &catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next", Extra: map[string]any{"a": 1, "b": 1}},
			caller: &catalog.PaginateConfig{Extra: map[string]any{"b": 2}},
			want:   catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next", Extra: map[string]any{"a": 1, "b": 2}}},
		{name: "cursor without cursor_name_in_request", caller: &catalog.PaginateConfig{Type: "cursor", CursorPathInResponse: "next"}, errField: "cursor_name_in_request"},
		{name: "cursor without cursor_path_in_response", caller: &catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c"}, errField: "cursor_path_in_response"},
		{name: "link without a source", caller: &catalog.PaginateConfig{Type: "link"}, errField: "link_rel_in_response_header"},
		{name: "offset without offset_name_in_request", caller: &catalog.PaginateConfig{Type: "offset"}, errField: "offset_name_in_request"},
		{name: "offset with an unknown method", caller: &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "o", OffsetCalculationMethod: "by-page"}, errField: "offset_calculation_method"},
		{name: "unknown type", caller: &catalog.PaginateConfig{Type: "page"}, errField: "type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := MergePaginate(tc.provider, tc.caller)
			if tc.errField != "" {
				var ce *PaginateConfigError
				if !errors.As(err, &ce) || ce.Field != tc.errField || !strings.Contains(err.Error(), tc.errField) {
					t.Fatalf("err %v, want one naming %s", err, tc.errField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	t.Run("the provider's config is not shared", func(t *testing.T) {
		t.Parallel()
		prov := &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "o", OffsetStartValue: pgI64(3), Extra: map[string]any{"a": 1}}
		got, err := MergePaginate(prov, &catalog.PaginateConfig{Extra: map[string]any{"b": 2}})
		if err != nil {
			t.Fatal(err)
		}
		*got.OffsetStartValue = 9
		if *prov.OffsetStartValue != 3 || len(prov.Extra) != 1 {
			t.Errorf("provider config changed: %+v", prov)
		}
	})
}

// pgSimBundle is a simulator and a Fetch that calls it the way the proxy
// would, counting requests.
type pgSimBundle struct {
	sim     *providersim.Simulator
	entries map[string]*catalog.Provider

	mu       sync.Mutex
	requests int
}

func pgSetupSim(t *testing.T) *pgSimBundle {
	t.Helper()
	s := providersim.Start(t, providersim.Options{})
	entries, err := catalog.Parse([]byte(s.CatalogYAML()), "sim")
	if err != nil {
		t.Fatal(err)
	}
	return &pgSimBundle{sim: s, entries: entries}
}

// fetch calls the simulator with authorization set as the Authorization
// header.
func (b *pgSimBundle) fetch(authorization string) Fetch {
	client := &http.Client{Timeout: 30 * time.Second}
	return func(ctx context.Context, req PageRequest) (int, http.Header, []byte, error) {
		b.mu.Lock()
		b.requests++
		b.mu.Unlock()
		target := req.URL
		if target == "" {
			target = strings.TrimRight(req.BaseURL, "/") + "/" + strings.TrimLeft(req.Endpoint, "/")
			if len(req.Query) > 0 {
				target += "?" + req.Query.Encode()
			}
		}
		var body io.Reader
		if req.Body != nil {
			b, err := json.Marshal(req.Body)
			if err != nil {
				return 0, nil, nil, err
			}
			body = bytes.NewReader(b)
		}
		hr, err := http.NewRequestWithContext(ctx, req.Method, target, body)
		if err != nil {
			return 0, nil, nil, err
		}
		hr.Header = req.Header.Clone()
		if hr.Header == nil {
			hr.Header = http.Header{}
		}
		hr.Header.Set("Authorization", authorization)
		if body != nil {
			hr.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(hr)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, data, err
	}
}

func (b *pgSimBundle) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests
}

// entry is a catalog entry of the simulator's providers file, with its
// base URL filled from values.
func (b *pgSimBundle) entry(t *testing.T, name string, values catalog.Values) (*catalog.Provider, string) {
	t.Helper()
	e := b.entries[name]
	if e == nil || e.Proxy == nil {
		t.Fatalf("no %s entry with a proxy block", name)
	}
	base, err := catalog.Interpolate(e.Proxy.BaseURL, values)
	if err != nil {
		t.Fatal(err)
	}
	return e, base
}

// pgSimRecords runs seq and returns every record decoded, failing t on an
// error.
func pgSimRecords(t *testing.T, seq func(func([]json.RawMessage, error) bool)) []map[string]any {
	t.Helper()
	var out []map[string]any
	for page, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			var m map[string]any
			if err := json.Unmarshal(r, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

// pgDistinct counts the distinct values of key.
func pgDistinct(recs []map[string]any, key string) int {
	seen := map[string]bool{}
	for _, r := range recs {
		seen[fmt.Sprint(r[key])] = true
	}
	return len(seen)
}

// The simulated octocat/hello-world holds 70 issues and 30 pull requests
// (github.Options' default dataset), all in the issues list.
const pgHelloWorldIssues, pgHelloWorldPulls = 70, 30

func pgGithubToken(b *pgSimBundle) string {
	g := b.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, time.Hour, false)
	return "Bearer " + g.AccessToken
}

func pgGithubFirst(e *catalog.Provider, base string) PageRequest {
	h := http.Header{}
	for k, v := range e.Proxy.Headers {
		h.Set(k, v)
	}
	return PageRequest{Method: "GET", BaseURL: base, Endpoint: "/repos/octocat/hello-world/issues", Query: url.Values{"state": {"all"}}, Header: h}
}

func TestPaginateSimGitHubLink(t *testing.T) {
	t.Parallel()
	b := pgSetupSim(t)
	e, base := b.entry(t, "github", nil)
	if e.Proxy.Paginate == nil || e.Proxy.Paginate.Type != "link" {
		t.Fatalf("github paginate %+v", e.Proxy.Paginate)
	}
	recs := pgSimRecords(t, Paginate(t.Context(), b.fetch(pgGithubToken(b)), pgGithubFirst(e, base), e.Proxy.Paginate, nil, 25))
	pulls := 0
	for _, r := range recs {
		if r["pull_request"] != nil {
			pulls++
		}
	}
	if len(recs) != pgHelloWorldIssues+pgHelloWorldPulls || pulls != pgHelloWorldPulls || pgDistinct(recs, "number") != len(recs) {
		t.Errorf("%d records (%d distinct), %d pull requests; want %d and %d", len(recs), pgDistinct(recs, "number"), pulls, pgHelloWorldIssues+pgHelloWorldPulls, pgHelloWorldPulls)
	}
	if n := b.count(); n != 4 {
		t.Errorf("%d requests for 100 items at 25 a page", n)
	}
}

func TestPaginateSimGitHubPageNumbers(t *testing.T) {
	t.Parallel()
	b := pgSetupSim(t)
	e, base := b.entry(t, "github", nil)
	// GitHub's page parameter is offset pagination counted in pages.
	caller := &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "page", OffsetStartValue: pgI64(1), OffsetCalculationMethod: "per-page"}
	recs := pgSimRecords(t, Paginate(t.Context(), b.fetch(pgGithubToken(b)), pgGithubFirst(e, base), e.Proxy.Paginate, caller, 30))
	if len(recs) != pgHelloWorldIssues+pgHelloWorldPulls || pgDistinct(recs, "number") != len(recs) {
		t.Errorf("%d records, %d distinct", len(recs), pgDistinct(recs, "number"))
	}
	if n := b.count(); n != 4 {
		t.Errorf("%d requests for 100 items at 30 a page (the short last page ends it)", n)
	}
}

func pgHubspotToken(b *pgSimBundle) string {
	g := b.sim.OAuth.Issue(sim.Grant{Provider: "hubspot", ClientID: sim.DefaultClient("hubspot").ID, Subject: "7340001",
		Scopes: []string{"oauth", "crm.objects.contacts.read"}}, time.Hour, false)
	return "Bearer " + g.AccessToken
}

// pgHubspotContacts is the size of a portal the control API has not sized
// (hubspot.Options.DefaultContacts).
const pgHubspotContacts = 250

func TestPaginateSimHubSpotCursor(t *testing.T) {
	t.Parallel()
	b := pgSetupSim(t)
	e, base := b.entry(t, "hubspot", nil)
	first := PageRequest{Method: "GET", BaseURL: base, Endpoint: "/crm/v3/objects/contacts"}
	recs := pgSimRecords(t, Paginate(t.Context(), b.fetch(pgHubspotToken(b)), first, e.Proxy.Paginate, nil, 100))
	if len(recs) != pgHubspotContacts || pgDistinct(recs, "id") != pgHubspotContacts {
		t.Errorf("%d contacts, %d distinct; want %d", len(recs), pgDistinct(recs, "id"), pgHubspotContacts)
	}
	if n := b.count(); n != 3 {
		t.Errorf("%d requests", n)
	}
}

func TestPaginateSimHubSpotBodyLink(t *testing.T) {
	t.Parallel()
	b := pgSetupSim(t)
	e, base := b.entry(t, "hubspot", nil)
	// paging.next.link instead of the cursor: limit and response_path
	// still come from the provider's default.
	caller := &catalog.PaginateConfig{Type: "link", LinkPathInResponseBody: "paging.next.link"}
	first := PageRequest{Method: "GET", BaseURL: base, Endpoint: "/crm/v3/objects/contacts"}
	recs := pgSimRecords(t, Paginate(t.Context(), b.fetch(pgHubspotToken(b)), first, e.Proxy.Paginate, caller, 100))
	if len(recs) != pgHubspotContacts || pgDistinct(recs, "id") != pgHubspotContacts {
		t.Errorf("%d contacts, %d distinct; want %d", len(recs), pgDistinct(recs, "id"), pgHubspotContacts)
	}
	if n := b.count(); n != 3 {
		t.Errorf("%d requests", n)
	}
}

func TestPaginateSimJiraOffset(t *testing.T) {
	t.Parallel()
	b := pgSetupSim(t)
	e, base := b.entry(t, "jira-basic", catalog.Values{"connectionConfig.subdomain": jira.DefaultSite})
	if e.Proxy.Paginate != nil {
		t.Logf("jira-basic now has a default pagination: %+v", e.Proxy.Paginate)
	}
	caller := &catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "startAt", LimitNameInRequest: "maxResults", ResponsePath: "values"}
	basic := "Basic " + pgBasicAuth(jira.DefaultEmail, jira.DefaultAPIToken)
	first := PageRequest{Method: "GET", BaseURL: base, Endpoint: "/rest/api/3/project/search"}
	recs := pgSimRecords(t, Paginate(t.Context(), b.fetch(basic), first, e.Proxy.Paginate, caller, 5))
	const projects = 12 // jira.Options.Projects' default
	if len(recs) != projects || pgDistinct(recs, "key") != projects {
		t.Errorf("%d projects, %d distinct; want %d", len(recs), pgDistinct(recs, "key"), projects)
	}
	if n := b.count(); n != 3 {
		t.Errorf("%d requests for 12 projects at 5 a page", n)
	}
}

func pgBasicAuth(user, password string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(user, password)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestPaginateSimStripeCursor(t *testing.T) {
	t.Parallel()
	b := pgSetupSim(t)
	e, base := b.entry(t, "stripe-api-key", nil)
	// Stripe's cursor is the last record's id, sent as starting_after.
	caller := &catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "starting_after", CursorPathInResponse: "data[-1].id",
		LimitNameInRequest: "limit", ResponsePath: "data"}
	first := PageRequest{Method: "GET", BaseURL: base, Endpoint: "/v1/customers"}
	recs := pgSimRecords(t, Paginate(t.Context(), b.fetch("Bearer "+stripe.DefaultKey), first, e.Proxy.Paginate, caller, 10))
	const customers = 25 // stripe.Options.Customers' default
	if len(recs) != customers || pgDistinct(recs, "id") != customers {
		t.Errorf("%d customers, %d distinct; want %d", len(recs), pgDistinct(recs, "id"), customers)
	}
	// 10, 10, 5, then the empty page after the last id: cursor pagination
	// does not read has_more.
	if n := b.count(); n != 4 {
		t.Errorf("%d requests", n)
	}
}

func BenchmarkPaginateCursor(b *testing.B) {
	// Pages of 100 HubSpot-sized records, served from memory: the cost is
	// Paginate's own (decoding the page, finding records and cursor).
	const pages = 10
	bodies := make([][]byte, pages)
	for i := range bodies {
		recs := make([]map[string]any, 100)
		for j := range recs {
			recs[j] = map[string]any{"id": strconv.Itoa(i*100 + j), "properties": map[string]any{
				"email": fmt.Sprintf("user%d@example.com", i*100+j), "firstname": "Ada", "lastname": "Lovelace",
				"createdate": "2024-01-02T03:04:05Z", "lastmodifieddate": "2024-02-03T04:05:06Z"}}
		}
		body := map[string]any{"results": recs}
		if i < pages-1 {
			body["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(i + 1)}}
		}
		bodies[i] = pgMustJSON(b, body)
	}
	fetch := func(_ context.Context, req PageRequest) (int, http.Header, []byte, error) {
		n, _ := strconv.Atoi(req.Query.Get("after"))
		return 200, nil, bodies[n], nil
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(bytes.Join(bodies, nil))))
	for b.Loop() {
		n := 0
		for page, err := range Paginate(b.Context(), fetch, PageRequest{Endpoint: "/contacts"}, pgHubspotLike, nil, 100) {
			if err != nil {
				b.Fatal(err)
			}
			n += len(page)
		}
		if n != pages*100 {
			b.Fatalf("%d records", n)
		}
	}
}
