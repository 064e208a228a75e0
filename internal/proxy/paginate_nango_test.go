package proxy

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

// These tests pin pagination to what Nango's runtime does (its
// runner-sdk's paginate service), which Nango's templates and their test
// fixtures rely on.

// pgScripted answers the n-th request with bodies[n] (the last one
// repeating) and the headers of heads[n], if any.
func pgScripted(bodies []string, heads ...http.Header) *pgFakeAPI {
	var mu sync.Mutex
	n := 0
	return pgNewFakeAPI(func(PageRequest) (int, http.Header, []byte) {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		var h http.Header
		if i < len(heads) {
			h = heads[i]
		}
		return 200, h, []byte(bodies[min(i, len(bodies)-1)])
	})
}

// pgPages runs PaginatePages to its end.
func pgPages(t *testing.T, api *pgFakeAPI, first PageRequest, cfg *catalog.PaginateConfig, limit int) ([]*Page, error) {
	t.Helper()
	var pages []*Page
	for p, err := range PaginatePages(t.Context(), api.fetch, first, nil, cfg, limit) {
		if err != nil {
			return pages, err
		}
		pages = append(pages, p)
	}
	return pages, nil
}

func TestPaginateResponsePathsLikeLodashGet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    catalog.PaginateConfig
		bodies []string
		want   []string // the query of each request sent, after the first
	}{
		{
			name: "literal key with a dot, link in the body",
			cfg:  catalog.PaginateConfig{Type: "link", LinkPathInResponseBody: "@odata.nextLink", ResponsePath: "value"},
			bodies: []string{
				`{"value":[{"id":0}],"@odata.nextLink":"https://api.example.com/v1/items?$skiptoken=t2"}`,
				`{"value":[{"id":1}]}`,
			},
			want: []string{"$skiptoken=t2"},
		},
		{
			name: "literal key wins over the nested one",
			cfg:  catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "cursor", CursorPathInResponse: "next.cursor", ResponsePath: "items"},
			bodies: []string{
				`{"items":[{"id":0}],"next.cursor":"flat","next":{"cursor":"nested"}}`,
				`{"items":[{"id":1}]}`,
			},
			want: []string{"cursor=flat"},
		},
		{
			name: "nested when there is no literal key",
			cfg:  catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "cursor", CursorPathInResponse: "next.cursor", ResponsePath: "result.items"},
			bodies: []string{
				`{"result":{"items":[{"id":0}]},"next":{"cursor":"nested"}}`,
				`{"result":{"items":[{"id":1}]}}`,
			},
			want: []string{"cursor=nested"},
		},
		{
			name: "literal response path",
			cfg:  catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "skip", ResponsePath: "d.results"},
			bodies: []string{
				`{"d.results":[{"id":0},{"id":1}]}`,
				`{"d.results":[]}`,
			},
			want: []string{"skip=2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgScripted(tc.bodies)
			first := PageRequest{BaseURL: "https://api.example.com/v1", Endpoint: "/items"}
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, first, nil, &tc.cfg, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 2 {
				t.Errorf("%d records, want 2", len(ids))
			}
			var got []string
			for _, r := range api.requests()[1:] {
				got = append(got, pgQuery(t, r).Encode())
			}
			for i := range tc.want {
				w, _ := url.ParseQuery(tc.want[i])
				tc.want[i] = w.Encode()
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("queries %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPaginateBodyParamsLikeLodashSet(t *testing.T) {
	t.Parallel()
	graphQL := catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "variables.after", LimitNameInRequest: "variables.first",
		CursorPathInResponse: "data.items.pageInfo.endCursor", ResponsePath: "data.items.nodes"}
	pages := []string{
		`{"data":{"items":{"nodes":[{"id":0},{"id":1}],"pageInfo":{"endCursor":"c1"}}}}`,
		`{"data":{"items":{"nodes":[{"id":2}],"pageInfo":{"endCursor":null}}}}`,
	}
	tests := []struct {
		name   string
		method string
		body   string // JSON, "" for none
		query  url.Values
		want   []string // each request's body, or query for GET
	}{
		{
			name:   "nested into the caller's variables",
			method: "POST",
			body:   `{"query":"q","variables":{"org":"x"}}`,
			want: []string{
				`{"query":"q","variables":{"org":"x","first":2}}`,
				`{"query":"q","variables":{"org":"x","first":2,"after":"c1"}}`,
			},
		},
		{
			name:   "made when missing",
			method: "POST",
			body:   `{"query":"q"}`,
			want: []string{
				`{"query":"q","variables":{"first":2}}`,
				`{"query":"q","variables":{"first":2,"after":"c1"}}`,
			},
		},
		{
			name:   "the caller's dotted members nest too",
			method: "PATCH",
			body:   `{"variables.org":"x"}`,
			want: []string{
				`{"variables":{"org":"x","first":2}}`,
				`{"variables":{"org":"x","first":2,"after":"c1"}}`,
			},
		},
		{
			// JavaScript's order, not sorted; <, > and & as
			// JSON.stringify writes them.
			name:   "the body keeps its key order",
			method: "POST",
			body:   `{"z":1,"query":"a > b && c","a":{"y":2.50,"b":[{"k":1,"c":2}]}}`,
			want: []string{
				`{"z":1,"query":"a > b && c","a":{"y":2.50,"b":[{"k":1,"c":2}]},"variables":{"first":2}}`,
				`{"z":1,"query":"a > b && c","a":{"y":2.50,"b":[{"k":1,"c":2}]},"variables":{"first":2,"after":"c1"}}`,
			},
		},
		{
			name:   "a query keeps dotted names as they are",
			method: "GET",
			query:  url.Values{"org": {"x"}},
			want: []string{
				`org=x&variables.first=2`,
				`org=x&variables.after=c1&variables.first=2`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body *JSONObject
			if tc.body != "" {
				body = pgBody(t, tc.body)
			}
			before := pgBodyText(t, body)
			api := pgScripted(pages)
			first := PageRequest{Method: tc.method, Endpoint: "/graphql", Body: body, Query: tc.query}
			ids, _, err := pgCollect(t, Paginate(t.Context(), api.fetch, first, nil, &graphQL, 2))
			if err != nil {
				t.Fatal(err)
			}
			pgWantIDs(t, ids, 3)
			var got []string
			for _, r := range api.requests() {
				if tc.method == "GET" {
					got = append(got, r.Query.Encode())
					continue
				}
				got = append(got, pgBodyText(t, r.Body))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sent\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if after := pgBodyText(t, body); after != before {
				t.Errorf("the caller's body changed: %s, was %s", after, before)
			}
		})
	}
}

// pgBodyText is a body as sent.
func pgBodyText(t testing.TB, o *JSONObject) string {
	t.Helper()
	b, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPaginateLimitWithoutItsName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    catalog.PaginateConfig
		method string
		want   string // the first request's query or body
		err    string // the config error's field
	}{
		{name: "link sends it as undefined", cfg: catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next"}, method: "GET", want: "undefined=5"},
		{name: "offset in a body", cfg: catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "skip"}, method: "POST", want: `{"undefined":5,"skip":0}`},
		{name: "cursor refuses it", cfg: catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "n"}, method: "GET", err: "limit_name_in_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgScripted([]string{`[]`})
			_, err := pgPages(t, api, PageRequest{Method: tc.method, BaseURL: "https://api.example.com", Endpoint: "/items"}, &tc.cfg, 5)
			if tc.err != "" {
				var ce *PaginateConfigError
				if !errors.As(err, &ce) || ce.Field != tc.err || len(api.requests()) != 0 {
					t.Fatalf("err %v after %d requests, want a config error on %s", err, len(api.requests()), tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := api.requests()[0]
			got := r.Query.Encode()
			if tc.method != "GET" {
				got = pgBodyText(t, r.Body)
			}
			if got != tc.want {
				t.Errorf("sent %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPaginateLinkYieldsWhatItFinds(t *testing.T) {
	t.Parallel()
	link := func(page string) http.Header {
		return http.Header{"Link": {`<https://api.example.com/items?page=` + page + `>; rel="next"`}}
	}
	tests := []struct {
		name   string
		path   string
		bodies []string
		heads  []http.Header
		want   []string // each page's data, "" for none
	}{
		{name: "an object as the whole body", bodies: []string{`{"a":1}`, `{"a":2}`}, heads: []http.Header{link("2")}, want: []string{`{"a":1}`, `{"a":2}`}},
		{name: "an object at the path", path: "result", bodies: []string{`{"result":{"a":1}}`}, want: []string{`{"a":1}`}},
		{name: "an empty page goes on", path: "items", bodies: []string{`{"items":[]}`, `{"items":[{"id":1}]}`}, heads: []http.Header{link("2")}, want: []string{`[]`, `[{"id":1}]`}},
		{name: "a missing path goes on", path: "items", bodies: []string{`{}`, `{"items":[{"id":1}]}`}, heads: []http.Header{link("2")}, want: []string{"", `[{"id":1}]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgScripted(tc.bodies, tc.heads...)
			cfg := &catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next", ResponsePath: tc.path}
			pages, err := pgPages(t, api, PageRequest{BaseURL: "https://api.example.com", Endpoint: "/items"}, cfg, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pages {
				got = append(got, string(p.Data))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pages %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPaginateOnPageParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    catalog.PaginateConfig
		limit  int
		bodies []string
		heads  []http.Header
		next   []any
		onPage []bool
	}{
		{
			name:   "cursor: the next cursor, none after the last page",
			cfg:    catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "next", ResponsePath: "items"},
			bodies: []string{`{"items":[{"id":0}],"next":" c2 "}`, `{"items":[{"id":1}],"next":7}`, `{"items":[{"id":2}]}`},
			next:   []any{"c2", json.Number("7"), nil},
			onPage: []bool{true, true, true},
		},
		{
			name:   "link: the link as written",
			cfg:    catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next"},
			bodies: []string{`[{"id":0}]`, `[{"id":1}]`},
			heads:  []http.Header{{"Link": {`</items?page=2>; rel="next"`}}},
			next:   []any{"/items?page=2", nil},
			onPage: []bool{true, true},
		},
		{
			name:   "offset: this page's offset, no call after a short last page",
			cfg:    catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "offset", LimitNameInRequest: "limit"},
			limit:  2,
			bodies: []string{`[{"id":0},{"id":1}]`, `[{"id":2}]`},
			next:   []any{int64(0), nil},
			onPage: []bool{true, false},
		},
		{
			name:   "offset without a limit ends at an empty page, not yielded",
			cfg:    catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "offset"},
			bodies: []string{`[{"id":0},{"id":1}]`, `[{"id":2}]`, `[]`},
			next:   []any{int64(0), int64(2)},
			onPage: []bool{true, true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgScripted(tc.bodies, tc.heads...)
			pages, err := pgPages(t, api, PageRequest{BaseURL: "https://api.example.com", Endpoint: "/items"}, &tc.cfg, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var next []any
			var onPage []bool
			for _, p := range pages {
				next, onPage = append(next, p.Next), append(onPage, p.OnPage)
				if p.Status != 200 || len(p.Body) == 0 {
					t.Errorf("page without the provider's answer: %+v", p)
				}
			}
			if !reflect.DeepEqual(next, tc.next) || !reflect.DeepEqual(onPage, tc.onPage) {
				t.Errorf("next %#v on_page %v, want %#v %v", next, onPage, tc.next, tc.onPage)
			}
		})
	}
}

func TestPageErrorKeepsTheAnswer(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3*pageErrorBodyMax)
	api := pgNewFakeAPI(func(PageRequest) (int, http.Header, []byte) {
		return 429, http.Header{"Retry-After": {"3"}}, []byte(`{"error":"` + long + `"}`)
	})
	_, err := pgPages(t, api, PageRequest{}, pgHubspotLike, 0)
	var pe *PageError
	if !errors.As(err, &pe) || pe.Status != 429 || pe.Header.Get("Retry-After") != "3" || len(pe.Response) != len(long)+12 {
		t.Fatalf("err %v", err)
	}
}

// TestPaginateLinkOutsideBasePath: a next link on the provider's host but
// outside its base URL's path is followed there, with the connection's
// credentials, as Nango's runtime does by overriding the base URL with
// the link's origin; a Base-Url-Override of that origin from a caller is
// still refused.
func TestPaginateLinkOutsideBasePath(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/v2/items":
			if r.URL.Query().Get("page") == "3" {
				io.WriteString(w, `[{"id":2}]`)
				return
			}
			w.Header().Set("Link", "<"+srv.URL+"/v3/items?page=2>; rel=\"next\"")
			io.WriteString(w, `[{"id":0}]`)
		case "/v3/items":
			w.Header().Set("Link", "<"+srv.URL+"/v2/items?page=3>; rel=\"next\"")
			io.WriteString(w, `[{"id":1}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	yaml := "p:\n    display_name: P\n    auth_mode: API_KEY\n    proxy:\n        base_url: " + srv.URL + "/v2\n        headers:\n            authorization: Bearer ${apiKey}\n"
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{
		Connections:  &fakeConns{conn: &store.Connection{ID: "row", Provider: "p", ConnectionID: "c", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"}}},
		Integrations: fakeIntegrations{&store.Integration{UniqueKey: "p", Provider: "p"}},
		Catalog:      cat,
		Recorder:     &memRecorder{},
	})
	var observed []string
	observe := func(method, endpoint string, query url.Values, status int, _ http.Header, _ []byte) {
		observed = append(observed, endpoint+"?"+query.Encode())
	}
	caller := &catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next"}
	ids, _, err := pgCollect(t, p.PagesObserved(t.Context(), Request{Method: "GET", Endpoint: "/items"}, caller, 0, observe))
	if err != nil {
		t.Fatal(err)
	}
	pgWantIDs(t, ids, 3)
	if want := []string{"/v2/items Bearer k", "/v3/items?page=2 Bearer k", "/v2/items?page=3 Bearer k"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("provider saw %q, want %q", seen, want)
	}
	// Recorded as asked for: outside the base URL's path, the link's
	// whole path; below it, the path below it.
	if want := []string{"/items?", "/v3/items?page=2", "/items?page=3"}; !reflect.DeepEqual(observed, want) {
		t.Errorf("observed %q, want %q", observed, want)
	}
	u, _ := url.Parse(srv.URL)
	if _, err := p.Do(t.Context(), &Request{Method: "GET", Endpoint: "/v3/items", BaseURLOverride: linkOrigin(u)}); err == nil {
		t.Error("a caller's Base-Url-Override of the bare origin was let through")
	}
}

// TestPaginateRecordedErrors: with RecordedErrors (test fixtures), a page
// answered with an error status is read as Nango's mocks hand it to the
// pagination: as a response, which ends a cursor or offset run for want
// of records and reaches a link run's loop as it is.
func TestPaginateRecordedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  catalog.PaginateConfig
		want []string // each page's data
	}{
		{name: "cursor without a response path", cfg: catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "next"}},
		{name: "cursor with one", cfg: catalog.PaginateConfig{Type: "cursor", CursorNameInRequest: "c", CursorPathInResponse: "next", ResponsePath: "items"}},
		{name: "offset", cfg: catalog.PaginateConfig{Type: "offset", OffsetNameInRequest: "skip"}},
		{name: "link", cfg: catalog.PaginateConfig{Type: "link", LinkRelInResponseHeader: "next"}, want: []string{`{"message":"gone"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := pgNewFakeAPI(func(PageRequest) (int, http.Header, []byte) { return 404, nil, []byte(`{"message":"gone"}`) })
			pages, err := pgPages(t, api, PageRequest{BaseURL: "https://api.example.com", Endpoint: "/items", RecordedErrors: true}, &tc.cfg, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pages {
				got = append(got, string(p.Data))
				if p.Status != 404 {
					t.Errorf("page status %d", p.Status)
				}
			}
			if !reflect.DeepEqual(got, tc.want) || len(api.requests()) != 1 {
				t.Errorf("pages %q after %d requests, want %q after 1", got, len(api.requests()), tc.want)
			}
		})
	}
}
