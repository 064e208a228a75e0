package functions

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/proxy"
)

// These tests drive nango.paginate through the sandbox, over the proxy's
// pagination and a scripted provider, for what Nango's runtime does on
// the JavaScript side: on_page, errors shaped like nango.proxy's, and a
// finished pagination freeing its slot.

// scriptedAPI answers the n-th page request with pages[n] (the last one
// repeating) and records each request as "METHOD path?query body".
type scriptedAPI struct {
	pages []scriptedPage
	mu    sync.Mutex
	seen  []string
}

type scriptedPage struct {
	status int
	link   string // a Link header, if any
	body   string
}

func (a *scriptedAPI) host() *fakeHost {
	return &fakeHost{paginate: func(ctx context.Context, req *HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*Page, error] {
		first := proxy.PageRequest{Method: req.Method, BaseURL: "https://api.example.com", Endpoint: req.Endpoint, Query: url.Values{}}
		for k, v := range req.Params {
			first.Query.Set(k, v)
		}
		if len(req.JSON) > 0 {
			_ = json.Unmarshal(req.JSON, &first.Body)
		}
		return func(yield func(*Page, error) bool) {
			for p, err := range proxy.PaginatePages(ctx, a.fetch, first, nil, cfg, limit) {
				if err != nil {
					var pe *proxy.PageError
					if errors.As(err, &pe) {
						err = &PageError{Response: &HTTPResponse{Status: pe.Status, Headers: map[string]string{"content-type": "application/json"}, Body: pe.Response}, Err: err}
					}
					yield(nil, err)
					return
				}
				resp := &HTTPResponse{Status: p.Status, Headers: map[string]string{"content-type": "application/json"}, Body: p.Body}
				if !yield(&Page{Data: p.Data, Next: p.Next, OnPage: p.OnPage, Response: resp}, nil) {
					return
				}
			}
		}
	}}
}

func (a *scriptedAPI) fetch(_ context.Context, r proxy.PageRequest) (int, http.Header, []byte, error) {
	a.mu.Lock()
	n := len(a.seen)
	target := r.Endpoint + "?" + r.Query.Encode()
	if r.URL != "" {
		u, _ := url.Parse(r.URL)
		target = u.Path + "?" + u.RawQuery
	}
	line := r.Method + " " + target
	if r.Body != nil {
		b, _ := json.Marshal(r.Body)
		line += " " + string(b)
	}
	a.seen = append(a.seen, line)
	a.mu.Unlock()
	p := a.pages[min(n, len(a.pages)-1)]
	h := http.Header{}
	if p.link != "" {
		h.Set("Link", p.link)
	}
	status := p.status
	if status == 0 {
		status = 200
	}
	return status, h, []byte(p.body), nil
}

func (a *scriptedAPI) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// paginateAction is an action that runs nango.paginate over config (a JS
// expression; it may use the log array) and returns what the loop saw
// and on_page was told.
func paginateAction(config string) string {
	return `
import { createAction } from 'nango';
export default createAction({
  exec: async (nango) => {
    const log = [];
    const config = ` + config + `;
    for await (const page of nango.paginate(config)) log.push({ page });
    return log;
  },
});
`
}

func TestPaginateInTheSandbox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		pages  []scriptedPage
		want   string   // the action's output
		sent   []string // the requests the provider saw
	}{
		{
			name: "on_page after each cursor page, with the provider's answer",
			config: `{ endpoint: '/items', paginate: { type: 'cursor', cursor_name_in_request: 'after', cursor_path_in_response: 'next', response_path: 'items',
			  on_page: async ({ nextPageParam, response }) => { log.push({ nextPageParam, status: response.status, total: response.data.total }); } } }`,
			pages: []scriptedPage{{body: `{"items":[1,2],"next":"c2","total":3}`}, {body: `{"items":[3],"total":3}`}},
			want:  `[{"page":[1,2]},{"nextPageParam":"c2","status":200,"total":3},{"page":[3]},{"status":200,"total":3}]`,
			sent:  []string{"GET /items?", "GET /items?after=c2"},
		},
		{
			name: "on_page is told the offset of the page, and not after a short last one",
			config: `{ endpoint: '/items', paginate: { type: 'offset', offset_name_in_request: 'skip', limit_name_in_request: 'top', limit: 2,
			  on_page: ({ nextPageParam }) => { log.push({ nextPageParam }); } } }`,
			pages: []scriptedPage{{body: `[1,2]`}, {body: `[3]`}},
			want:  `[{"page":[1,2]},{"nextPageParam":0},{"page":[3]}]`,
			sent:  []string{"GET /items?skip=0&top=2", "GET /items?skip=2&top=2"},
		},
		{
			name: "a link page that is an object, and a literal @odata.nextLink key",
			config: `{ endpoint: '/report', paginate: { type: 'link', link_path_in_response_body: '@odata.nextLink',
			  on_page: ({ nextPageParam }) => { log.push({ nextPageParam }); } } }`,
			pages: []scriptedPage{{body: `{"rows":[1],"@odata.nextLink":"https://api.example.com/report?$skip=1"}`}, {body: `{"rows":[2]}`}},
			want:  `[{"page":{"rows":[1],"@odata.nextLink":"https://api.example.com/report?$skip=1"}},{"nextPageParam":"https://api.example.com/report?$skip=1"},{"page":{"rows":[2]}},{}]`,
			sent:  []string{"GET /report?", "GET /report?$skip=1"},
		},
		{
			name: "body parameters set as paths",
			config: `{ endpoint: '/graphql', method: 'POST', data: { query: 'q', variables: { org: 'x' } },
			  paginate: { type: 'cursor', cursor_name_in_request: 'variables.after', cursor_path_in_response: 'data.next', response_path: 'data.nodes',
			    limit_name_in_request: 'variables.first', limit: 1 } }`,
			pages: []scriptedPage{{body: `{"data":{"nodes":[1],"next":"c2"}}`}, {body: `{"data":{"nodes":[2],"next":null}}`}},
			want:  `[{"page":[1]},{"page":[2]}]`,
			sent: []string{
				`POST /graphql? {"query":"q","variables":{"org":"x","first":1}}`,
				`POST /graphql? {"query":"q","variables":{"org":"x","first":1,"after":"c2"}}`,
			},
		},
	}
	rt := NewRuntime()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := &scriptedAPI{pages: tc.pages}
			out, err := runAction(t, rt, paginateAction(tc.config), `{}`, api.host(), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("output\n%s\nwant\n%s", out, tc.want)
			}
			if got := api.requests(); strings.Join(got, "\n") != strings.Join(tc.sent, "\n") {
				t.Errorf("requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.sent, "\n"))
			}
		})
	}
}

// TestPaginateErrorIsShapedLikeProxys: a refused page is thrown as
// nango.proxy throws, so templates that read error.status or
// error.response.status (and .data) see them.
func TestPaginateErrorIsShapedLikeProxys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pages []scriptedPage
		want  string
	}{
		{name: "first page", pages: []scriptedPage{{status: 404, body: `{"message":"gone"}`}},
			want: `{"pages":0,"status":404,"responseStatus":404,"data":{"message":"gone"}}`},
		{name: "a later page", pages: []scriptedPage{{body: `{"items":[1],"next":"c"}`}, {status: 429, body: `{"message":"slow down"}`}},
			want: `{"pages":1,"status":429,"responseStatus":429,"data":{"message":"slow down"}}`},
	}
	rt := NewRuntime()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := &scriptedAPI{pages: tc.pages}
			out, err := runAction(t, rt, `
import { createAction } from 'nango';
export default createAction({
  exec: async (nango) => {
    let pages = 0;
    try {
      for await (const page of nango.paginate({ endpoint: '/items', paginate: { type: 'cursor', cursor_name_in_request: 'c', cursor_path_in_response: 'next', response_path: 'items' } })) pages++;
    } catch (e) {
      return { pages, status: e.status, responseStatus: e.response && e.response.status, data: e.response && e.response.data };
    }
    return { pages };
  },
});
`, `{}`, api.host(), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("output %s, want %s", out, tc.want)
			}
		})
	}
}

// TestPaginateFreesItsSlot: more paginations than may be open at once,
// run one after another, each ending a different way.
func TestPaginateFreesItsSlot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		loop string // the body of the for await over nango.paginate
	}{
		{name: "to the last page", loop: `n++;`},
		{name: "left by break", loop: `n++; break;`},
		{name: "left by return from a helper", loop: `n++; return;`},
		{name: "left by a throw", loop: `n++; throw new Error('stop');`},
	}
	rt := NewRuntime()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := &scriptedAPI{pages: []scriptedPage{{body: `{"items":[1],"next":"c"}`}, {body: `{"items":[2]}`}}}
			out, err := runAction(t, rt, `
import { createAction } from 'nango';
let n = 0;
async function one(nango) {
  for await (const page of nango.paginate({ endpoint: '/items', paginate: { type: 'cursor', cursor_name_in_request: 'c', cursor_path_in_response: 'next', response_path: 'items' } })) {
    `+tc.loop+`
  }
}
export default createAction({
  exec: async (nango) => {
    for (let i = 0; i < 300; i++) {
      try { await one(nango); } catch (e) { if (e.message !== 'stop') throw e; }
    }
    return { n };
  },
});
`, `{}`, api.host(), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), `{"n":`) {
				t.Errorf("output %s", out)
			}
		})
	}
}
