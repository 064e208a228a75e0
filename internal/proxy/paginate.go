package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/catalog"
)

// This file is nango.paginate: the provider's default pagination
// (catalog proxy.paginate) with the function's own config merged over it,
// run page by page against whatever performs the authenticated request.

// MaxPages bounds the pages of one Paginate run. It only catches a
// provider or config that never says "last page": reaching it is
// ErrTooManyPages rather than a quiet stop, because a sync that silently
// misses records is worse than one that fails.
const MaxPages = 100_000

// pageErrorBodyMax is how much of a refused page's body a PageError keeps.
const pageErrorBodyMax = 1024

var (
	// ErrTooManyPages ends a run that reached MaxPages with more to come.
	ErrTooManyPages = errors.New("paginate: too many pages")
	// ErrLinkOffHost ends a link run whose next link points at another
	// scheme or host than the provider's base URL: following it would
	// send the connection's credentials there.
	ErrLinkOffHost = errors.New("paginate: next link leaves the provider's host")
	// ErrPaginationLoop ends a run whose provider answered with the cursor
	// or link of the page just fetched, which would never end.
	ErrPaginationLoop = errors.New("paginate: the provider pointed at the same page again")
)

// PageRequest is one page's request as Paginate hands it to a Fetch.
// Paginate adds its parameters (limit, cursor, offset) to Query, or to
// Body for POST, PUT and PATCH, as Nango does; everything else passes
// through from the first request.
type PageRequest struct {
	Method string
	// BaseURL is the provider's base URL, interpolated, that Endpoint is
	// relative to. Link pagination needs it: relative links resolve
	// against the page's URL and links to another scheme or host are
	// refused. The other types ignore it.
	BaseURL string
	// Endpoint is the path after BaseURL.
	Endpoint string
	// URL, when set, is the page's absolute address with its query and
	// replaces BaseURL, Endpoint and Query: link pagination sets it to the
	// provider's next link, which Paginate has checked is on BaseURL's
	// scheme and host. The Fetch still authenticates it as usual.
	URL    string
	Query  url.Values
	Header http.Header
	// Body is the JSON body, in its key order; nil sends none.
	Body *JSONObject
	// AnyLinkHost follows next links to any scheme and host: for a Fetch
	// that ignores them (test fixtures, looked up by path), so that links
	// recorded against wherever the fixture was made lead on.
	AnyLinkHost bool
	// RecordedErrors reads a page answered with a status outside 2xx as
	// any other instead of failing the run: Nango's test mocks hand a
	// recorded error to the pagination as a response, which then usually
	// ends for want of records.
	RecordedErrors bool
}

// clone copies the maps Paginate writes to, so a Fetch never sees a
// request change under it. Nested body objects are copied when a
// parameter path is set into them (setBodyPath).
func (r PageRequest) clone() PageRequest {
	r.Query = maps.Clone(r.Query)
	r.Header = r.Header.Clone()
	r.Body = r.Body.clone()
	return r
}

// absURL is the page's absolute URL (link pagination only).
func (r *PageRequest) absURL() (*url.URL, error) {
	raw := r.URL
	if raw == "" {
		raw = strings.TrimRight(r.BaseURL, "/") + "/" + strings.TrimLeft(r.Endpoint, "/")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("paginate: link pagination needs an absolute BaseURL or URL, got %q", raw)
	}
	if len(r.Query) > 0 {
		q := u.Query()
		for k, vs := range r.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// Fetch performs one page's authenticated request and returns the
// provider's answer, whatever its status; Paginate turns a status outside
// 2xx into a *PageError. err is for a request that got no answer.
type Fetch func(ctx context.Context, req PageRequest) (status int, header http.Header, body []byte, err error)

// PageError is a page the provider refused with a status outside 2xx.
type PageError struct {
	Page   int // 1 for the first page
	Status int
	// Body is the start of the provider's answer (at most 1 KiB).
	Body string
	// Header and Response are the provider's whole answer: a function
	// receives the refusal as nango.proxy's errors, with error.response.
	Header   http.Header
	Response []byte
}

func (e *PageError) Error() string {
	return fmt.Sprintf("paginate: page %d: provider answered %d: %s", e.Page, e.Status, e.Body)
}

// PaginateConfigError is a pagination config that cannot run; Field is
// its Nango name (cursor_name_in_request, …).
type PaginateConfigError struct {
	Field string
	Msg   string
}

func (e *PaginateConfigError) Error() string {
	return "paginate." + e.Field + ": " + e.Msg
}

// paginationType is one way of paging, registered in paginationTypes
// under the name the catalog uses.
type paginationType interface {
	// clearOwn drops the fields only this type reads, when a caller
	// switches a provider's default to another type.
	clearOwn(c *catalog.PaginateConfig)
	// validate names the first field c lacks or gets wrong for this type.
	validate(c *catalog.PaginateConfig) error
	// start prepares the first request of a run and returns its pager.
	start(c *catalog.PaginateConfig, run *pageRun, first *PageRequest) (pager, error)
}

// pager steps one run from page to page.
type pager interface {
	// next turns req, the request of the page just received, into the
	// next page's request; false means that page was the last. It sets
	// page.next and page.onPage, what Nango's on_page is told.
	next(req *PageRequest, page *pageAnswer) (bool, error)
}

// paginationTypes has one implementation per name the catalog accepts
// (catalog.PaginationTypes).
var paginationTypes = map[string]paginationType{
	catalog.PaginateCursor: cursorPagination{},
	catalog.PaginateLink:   linkPagination{},
	catalog.PaginateOffset: offsetPagination{},
}

func paginationTypeNames() string {
	names := slices.Sorted(maps.Keys(paginationTypes))
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// MergePaginate merges a function's pagination config over the provider's
// default, field by field, and validates the result. A caller type other
// than the provider's drops the provider's fields of its type (limit and
// response path stay), and a caller naming one source of links (header
// rel or body path) drops the provider's other one. Either config may be
// nil.
func MergePaginate(provider, caller *catalog.PaginateConfig) (catalog.PaginateConfig, error) {
	var out catalog.PaginateConfig
	if provider != nil {
		out = *provider
		if provider.OffsetStartValue != nil {
			v := *provider.OffsetStartValue
			out.OffsetStartValue = &v
		}
		out.Extra = maps.Clone(provider.Extra)
	}
	out.Type = strings.ToLower(strings.TrimSpace(out.Type))
	if caller != nil {
		mergePaginateOver(&out, caller)
	}
	if out.Type == "" {
		return out, &PaginateConfigError{Field: "type", Msg: "required (the provider has no default pagination): set " + paginationTypeNames()}
	}
	t, ok := paginationTypes[out.Type]
	if !ok {
		return out, &PaginateConfigError{Field: "type", Msg: fmt.Sprintf("unknown pagination type %q (want %s)", out.Type, paginationTypeNames())}
	}
	return out, t.validate(&out)
}

func mergePaginateOver(out *catalog.PaginateConfig, c *catalog.PaginateConfig) {
	if ct := strings.ToLower(strings.TrimSpace(c.Type)); ct != "" && ct != out.Type {
		if t, ok := paginationTypes[out.Type]; ok {
			t.clearOwn(out)
		}
		out.Type = ct
	}
	over := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	over(&out.CursorPathInResponse, c.CursorPathInResponse)
	over(&out.CursorNameInRequest, c.CursorNameInRequest)
	over(&out.LimitNameInRequest, c.LimitNameInRequest)
	over(&out.ResponsePath, c.ResponsePath)
	over(&out.OffsetNameInRequest, c.OffsetNameInRequest)
	over(&out.OffsetCalculationMethod, c.OffsetCalculationMethod)
	if c.LinkRelInResponseHeader != "" || c.LinkPathInResponseBody != "" {
		out.LinkRelInResponseHeader, out.LinkPathInResponseBody = c.LinkRelInResponseHeader, c.LinkPathInResponseBody
	}
	if c.OffsetStartValue != nil {
		v := *c.OffsetStartValue
		out.OffsetStartValue = &v
	}
	if len(c.Extra) > 0 {
		if out.Extra == nil {
			out.Extra = make(map[string]any, len(c.Extra))
		}
		maps.Copy(out.Extra, c.Extra)
	}
}

// Page is one page of a run, as PaginatePages yields it.
type Page struct {
	// Records are the records of the page: the array at response_path,
	// or the whole body without one. Nil when link pagination found
	// something else there (see Data).
	Records []json.RawMessage
	// Data is the value at response_path (the whole body without one) as
	// the provider sent it, nil when the path is missing. Link pagination
	// yields it whatever it is, as Nango's runtime does.
	Data json.RawMessage
	// Next is what Nango's on_page receives as nextPageParam: the cursor
	// (a string or json.Number), the next link as the provider wrote it,
	// or for offset pagination the offset this page was asked at; nil
	// when there is none.
	Next any
	// OnPage says whether Nango's runtime calls on_page after this page:
	// it does after every page but an offset run's short last one.
	OnPage bool
	// Status, Header and Body are the provider's answer, for on_page's
	// response.
	Status int
	Header http.Header
	Body   []byte
}

// Paginate fetches the pages first leads to, following the merge of
// caller over provider (see MergePaginate), and yields each page's
// records. limit, when positive, is the page size asked for under
// limit_name_in_request. The sequence ends after the last page, or with
// one error (a *PageError, a *PaginateConfigError, ErrTooManyPages,
// ErrLinkOffHost, ErrPaginationLoop, the context's or the Fetch's error),
// or when the consumer stops; no request is made after that. Empty pages
// are never yielded.
func Paginate(ctx context.Context, fetch Fetch, first PageRequest, provider, caller *catalog.PaginateConfig, limit int) iter.Seq2[[]json.RawMessage, error] {
	return paginateRecords(ctx, fetch, first, provider, caller, limit, MaxPages)
}

func paginateRecords(ctx context.Context, fetch Fetch, first PageRequest, provider, caller *catalog.PaginateConfig, limit, maxPages int) iter.Seq2[[]json.RawMessage, error] {
	return recordsOf(paginate(ctx, fetch, first, provider, caller, limit, maxPages))
}

// recordsOf yields the records of pages, skipping pages without any.
func recordsOf(pages iter.Seq2[*Page, error]) iter.Seq2[[]json.RawMessage, error] {
	return func(yield func([]json.RawMessage, error) bool) {
		for page, err := range pages {
			if err != nil {
				yield(nil, err)
				return
			}
			if len(page.Records) == 0 {
				continue
			}
			if !yield(page.Records, nil) {
				return
			}
		}
	}
}

// PaginatePages is Paginate yielding whole pages, as nango.paginate hands
// them to a function: link pagination's pages are yielded even when
// empty or not an array, as Nango's runtime does.
func PaginatePages(ctx context.Context, fetch Fetch, first PageRequest, provider, caller *catalog.PaginateConfig, limit int) iter.Seq2[*Page, error] {
	return paginate(ctx, fetch, first, provider, caller, limit, MaxPages)
}

func paginate(ctx context.Context, fetch Fetch, first PageRequest, provider, caller *catalog.PaginateConfig, limit, maxPages int) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		run, req, pg, err := startPageRun(first, provider, caller, limit)
		if err != nil {
			yield(nil, err)
			return
		}
		for n := 1; ; n++ {
			if err := ctx.Err(); err != nil {
				yield(nil, fmt.Errorf("paginate: page %d: %w", n, err))
				return
			}
			status, header, body, err := fetch(ctx, req.clone())
			if err != nil {
				yield(nil, fmt.Errorf("paginate: page %d: %w", n, err))
				return
			}
			refused := status < 200 || status > 299
			if refused && !req.RecordedErrors {
				yield(nil, &PageError{Page: n, Status: status, Body: pageErrorBody(body), Header: header, Response: body})
				return
			}
			answer := &pageAnswer{header: header, body: pageBody{raw: body}}
			data, records, err := answer.body.records(run.cfg.ResponsePath, run.anyShape)
			if refused && err != nil {
				// An error body that holds no records: the run's end, as
				// with Nango's mocks.
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("paginate: page %d: %w", n, err))
				return
			}
			if len(records) == 0 && !run.anyShape {
				return
			}
			answer.records = len(records)
			// The next request is worked out before the page is yielded, so
			// the page carries what on_page is told; its error still comes
			// after the page, as the page itself was fine.
			more, nextErr := pg.next(&req, answer)
			page := &Page{Records: records, Data: data, Next: answer.next, OnPage: answer.onPage, Status: status, Header: header, Body: body}
			if !yield(page, nil) {
				return
			}
			if nextErr != nil {
				yield(nil, fmt.Errorf("paginate: page %d: %w", n, nextErr))
				return
			}
			if !more {
				return
			}
			if n >= maxPages {
				yield(nil, fmt.Errorf("%w: stopped after %d", ErrTooManyPages, maxPages))
				return
			}
		}
	}
}

// pageRun is what every type's pager shares within one run.
type pageRun struct {
	cfg catalog.PaginateConfig
	// inBody puts pagination parameters in the JSON body (POST, PUT,
	// PATCH) instead of the query.
	inBody bool
	// limit is the page size the function asked for (paginate.limit), 0
	// for none. Only it ends an offset run at a short page, as in Nango:
	// a page size the caller put in the request itself may be more than
	// the provider serves, and stopping there would lose records.
	limit int
	// anyShape yields every page's value at response_path whatever it is,
	// empty pages included (link pagination, as Nango's runtime does).
	anyShape bool
}

func startPageRun(first PageRequest, provider, caller *catalog.PaginateConfig, limit int) (*pageRun, PageRequest, pager, error) {
	cfg, err := MergePaginate(provider, caller)
	if err != nil {
		return nil, first, nil, err
	}
	req := first.clone()
	req.Method = strings.ToUpper(req.Method)
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	run := &pageRun{cfg: cfg}
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		run.inBody = true
		// Nango's runtime sets every body member with lodash's set, the
		// caller's own included, so a dotted name nests there too.
		req.Body = expandBodyPaths(req.Body)
	}
	switch {
	case limit < 0:
		return nil, req, nil, &PaginateConfigError{Field: "limit", Msg: fmt.Sprintf("must not be negative, got %d", limit)}
	case limit > 0 && cfg.LimitNameInRequest == "" && cfg.Type == catalog.PaginateCursor:
		// Nango's runtime refuses this for cursor pagination only.
		return nil, req, nil, &PaginateConfigError{Field: "limit_name_in_request", Msg: "required for cursor pagination when a limit is set"}
	case limit > 0:
		run.limit = limit
		name := cfg.LimitNameInRequest
		if name == "" {
			// What Nango's runtime sends for link and offset pagination:
			// the limit under the name JavaScript gives an undefined key.
			name = "undefined"
		}
		run.set(&req, name, limit)
	}
	pg, err := paginationTypes[cfg.Type].start(&run.cfg, run, &req)
	if err != nil {
		return nil, req, nil, err
	}
	return run, req, pg, nil
}

// set puts a pagination parameter where this run sends them. Values keep
// their JSON type in a body and are formatted in a query. In a body the
// name is a path, as lodash's set reads it ("variables.first" nests); in
// a query it is the parameter's name as is.
func (r *pageRun) set(req *PageRequest, name string, v any) {
	if r.inBody {
		req.Body = setBodyPath(req.Body, name, v)
		return
	}
	if req.Query == nil {
		req.Query = url.Values{}
	}
	req.Query.Set(name, formatPageParam(v))
}

// get reads a parameter the caller already put where this run sends them.
func (r *pageRun) get(req *PageRequest, name string) (string, bool) {
	if r.inBody {
		v, ok := bodyPath(req.Body, name)
		if !ok || v == nil {
			return "", false
		}
		return formatPageParam(v), true
	}
	if !req.Query.Has(name) {
		return "", false
	}
	return req.Query.Get(name), true
}

// setBodyPath sets the value at a path in a JSON body, as lodash's set
// does: "variables.first" and "a[0]" step into objects, made where
// missing or not an object; a new member goes last. The objects along
// the path are copied, not changed, as an earlier page's request may
// share them.
func setBodyPath(body *JSONObject, path string, v any) *JSONObject {
	segs := splitJSONPath(path)
	if len(segs) == 0 {
		segs = []string{path}
	}
	out := body.clone()
	if out == nil {
		out = &JSONObject{}
	}
	cur := out
	for _, seg := range segs[:len(segs)-1] {
		prev, _ := cur.Get(seg)
		child, _ := prev.(*JSONObject)
		child = child.clone()
		if child == nil {
			child = &JSONObject{}
		}
		cur.Set(seg, child)
		cur = child
	}
	cur.Set(segs[len(segs)-1], v)
	return out
}

// bodyPath reads the value at a path in a JSON body, as lodash's get
// does (a top-level key named exactly path first).
func bodyPath(body *JSONObject, path string) (any, bool) {
	if v, ok := body.Get(path); ok {
		return v, true
	}
	var cur any = body
	for _, seg := range splitJSONPath(path) {
		o, ok := cur.(*JSONObject)
		if !ok {
			return nil, false
		}
		if cur, ok = o.Get(seg); !ok {
			return nil, false
		}
	}
	return cur, true
}

// expandBodyPaths nests the caller's dotted body members ("a.b": 1 is
// {"a":{"b":1}}), as Nango's runtime rebuilds a paginated body with
// lodash's set, member by member in order.
func expandBodyPaths(body *JSONObject) *JSONObject {
	if !slices.ContainsFunc(body.Keys(), func(k string) bool { return strings.ContainsAny(k, ".[") }) {
		return body
	}
	out := &JSONObject{}
	for _, k := range body.Keys() {
		v, _ := body.Get(k)
		out = setBodyPath(out, k, v)
	}
	return out
}

func formatPageParam(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// pageAnswer is the provider's answer to one page.
type pageAnswer struct {
	header  http.Header
	body    pageBody
	records int
	// next and onPage are set by the pager: see Page.
	next   any
	onPage bool
}

// cursorPagination sends the cursor found in each answer back as a
// parameter, until the answer has none or a page comes back empty.
type cursorPagination struct{}

func (cursorPagination) clearOwn(c *catalog.PaginateConfig) {
	c.CursorPathInResponse, c.CursorNameInRequest = "", ""
}

func (cursorPagination) validate(c *catalog.PaginateConfig) error {
	switch {
	case c.CursorNameInRequest == "":
		return &PaginateConfigError{Field: "cursor_name_in_request", Msg: "required for cursor pagination"}
	case c.CursorPathInResponse == "":
		return &PaginateConfigError{Field: "cursor_path_in_response", Msg: "required for cursor pagination"}
	}
	return nil
}

func (cursorPagination) start(c *catalog.PaginateConfig, run *pageRun, first *PageRequest) (pager, error) {
	p := &cursorPager{run: run}
	// A caller resuming from a saved cursor sends it in the first request.
	p.sent, _ = run.get(first, c.CursorNameInRequest)
	return p, nil
}

type cursorPager struct {
	run  *pageRun
	sent string // the cursor of the page just fetched
}

func (p *cursorPager) next(req *PageRequest, page *pageAnswer) (bool, error) {
	cfg := &p.run.cfg
	// Nango's runtime calls on_page after every page of a cursor run,
	// the last one with no nextPageParam.
	page.onPage = true
	raw, found, err := page.body.at(cfg.CursorPathInResponse)
	if err != nil || !found {
		return false, err
	}
	value, text := cursorValue(raw)
	if text == "" {
		return false, nil
	}
	page.next = value
	if text == p.sent {
		return false, fmt.Errorf("%w: cursor %s repeats", ErrPaginationLoop, cfg.CursorPathInResponse)
	}
	p.sent = text
	p.run.set(req, cfg.CursorNameInRequest, value)
	return true, nil
}

// cursorValue reads a cursor: a string (trimmed) or a number, kept as
// such for a JSON body. Anything else is no cursor, the run's end, as in
// Nango's runtime.
func cursorValue(raw json.RawMessage) (value any, text string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, ""
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, ""
		}
		return s, s
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return nil, ""
		}
		return n, n.String()
	}
	return nil, ""
}

// linkPagination follows the next link from a Link header relation or a
// body field, on the provider's own host only, until there is none.
type linkPagination struct{}

func (linkPagination) clearOwn(c *catalog.PaginateConfig) {
	c.LinkRelInResponseHeader, c.LinkPathInResponseBody = "", ""
}

func (linkPagination) validate(c *catalog.PaginateConfig) error {
	if c.LinkRelInResponseHeader == "" && c.LinkPathInResponseBody == "" {
		return &PaginateConfigError{Field: "link_rel_in_response_header", Msg: "link pagination needs link_rel_in_response_header or link_path_in_response_body"}
	}
	return nil
}

func (linkPagination) start(_ *catalog.PaginateConfig, run *pageRun, first *PageRequest) (pager, error) {
	run.anyShape = true
	home := first.BaseURL
	if home == "" {
		home = first.URL
	}
	u, err := url.Parse(home)
	if home == "" || err != nil || !u.IsAbs() || u.Host == "" {
		return nil, errors.New("paginate: link pagination needs the request's absolute BaseURL, to check next links against")
	}
	return &linkPager{run: run, origin: linkOrigin(u)}, nil
}

type linkPager struct {
	run    *pageRun
	origin string // scheme://host[:port] every link must keep
}

func (p *linkPager) next(req *PageRequest, page *pageAnswer) (bool, error) {
	page.onPage = true
	link, err := p.link(page)
	if err != nil || link == "" {
		return false, err
	}
	page.next = link
	current, err := req.absURL()
	if err != nil {
		return false, err
	}
	ref, err := url.Parse(link)
	if err != nil {
		return false, fmt.Errorf("next link is not a URL: %w", err)
	}
	u := current.ResolveReference(ref)
	u.Fragment, u.RawFragment = "", ""
	if linkOrigin(u) != p.origin && !req.AnyLinkHost {
		// Only the host: the link's query may carry a token.
		return false, fmt.Errorf("%w: %s://%s is not %s", ErrLinkOffHost, u.Scheme, u.Host, p.origin)
	}
	if u.String() == current.String() {
		// Nango's runtime ends a run whose next link repeats the last
		// one; it fetches that page once more first, which only repeats
		// its records.
		return false, nil
	}
	req.URL, req.Endpoint, req.Query = u.String(), "", nil
	return true, nil
}

// link is the next page's link as the provider wrote it, "" for none: the
// header relation first, then the body field.
func (p *linkPager) link(page *pageAnswer) (string, error) {
	cfg := &p.run.cfg
	if rel := cfg.LinkRelInResponseHeader; rel != "" {
		if l := linkWithRel(page.header.Values("Link"), rel); l != "" {
			return l, nil
		}
	}
	if path := cfg.LinkPathInResponseBody; path != "" {
		raw, found, err := page.body.at(path)
		if err != nil || !found {
			return "", err
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] == 'n' {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("link_path_in_response_body %q is %s, not a string", path, pageJSONKind(raw))
		}
		return strings.TrimSpace(s), nil
	}
	return "", nil
}

// linkOrigin is scheme://host[:port], lowercased, without a default port.
func linkOrigin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// offsetPagination sends an offset that grows by the records received
// (by-response-size) or by one per page (per-page), until a page comes
// back empty or shorter than the limit.
type offsetPagination struct{}

const (
	offsetByResponseSize = "by-response-size"
	offsetPerPage        = "per-page"
)

func (offsetPagination) clearOwn(c *catalog.PaginateConfig) {
	c.OffsetNameInRequest, c.OffsetStartValue, c.OffsetCalculationMethod = "", nil, ""
}

func (offsetPagination) validate(c *catalog.PaginateConfig) error {
	if c.OffsetNameInRequest == "" {
		return &PaginateConfigError{Field: "offset_name_in_request", Msg: "required for offset pagination"}
	}
	switch c.OffsetCalculationMethod {
	case "", offsetByResponseSize, offsetPerPage:
		return nil
	}
	return &PaginateConfigError{Field: "offset_calculation_method",
		Msg: fmt.Sprintf("unknown method %q (want %s or %s)", c.OffsetCalculationMethod, offsetByResponseSize, offsetPerPage)}
}

func (offsetPagination) start(c *catalog.PaginateConfig, run *pageRun, first *PageRequest) (pager, error) {
	p := &offsetPager{run: run, perPage: c.OffsetCalculationMethod == offsetPerPage}
	if c.OffsetStartValue != nil {
		p.offset = *c.OffsetStartValue
	}
	run.set(first, c.OffsetNameInRequest, p.offset)
	return p, nil
}

type offsetPager struct {
	run     *pageRun
	perPage bool
	offset  int64
}

func (p *offsetPager) next(req *PageRequest, page *pageAnswer) (bool, error) {
	if p.run.limit > 0 && page.records < p.run.limit {
		return false, nil
	}
	// Nango's on_page gets the offset the page was asked at, and is not
	// called after a short last page.
	page.next, page.onPage = p.offset, true
	if p.perPage {
		p.offset++
	} else {
		p.offset += int64(page.records)
	}
	p.run.set(req, p.run.cfg.OffsetNameInRequest, p.offset)
	return true, nil
}

// pageBody is a page's JSON, its top level decoded once for the paths the
// records, the cursor and the link are read from.
type pageBody struct {
	raw     []byte
	decoded bool
	object  map[string]json.RawMessage
	array   []json.RawMessage
}

// records are the page's records: the array at path, or the whole body;
// data is that value as sent, nil when path is missing. A missing or
// null path, or an empty body, is an empty page. Anything but an array
// there is an error, unless anyShape takes the value as it is.
func (b *pageBody) records(path string, anyShape bool) (data json.RawMessage, records []json.RawMessage, err error) {
	raw := json.RawMessage(b.raw)
	if path != "" {
		v, found, err := b.at(path)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			return nil, nil, nil
		}
		raw = v
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil, nil
	}
	if raw[0] == 'n' {
		return raw, nil, nil
	}
	if raw[0] != '[' {
		switch {
		case anyShape:
			if err := b.decode(); err != nil {
				return nil, nil, err
			}
			return raw, nil, nil
		case path == "":
			return nil, nil, fmt.Errorf("the response is %s, not an array of records: set response_path", pageJSONKind(raw))
		}
		return nil, nil, fmt.Errorf("response_path %q is %s, not an array", path, pageJSONKind(raw))
	}
	if path == "" {
		if err := b.decode(); err != nil {
			return nil, nil, err
		}
		return raw, b.array, nil
	}
	if err := json.Unmarshal(raw, &records); err != nil {
		return nil, nil, fmt.Errorf("response_path %q: %w", path, err)
	}
	return raw, records, nil
}

// decode decodes the top level (object or array) once.
func (b *pageBody) decode() error {
	if b.decoded {
		return nil
	}
	b.decoded = true
	raw := bytes.TrimSpace(b.raw)
	if len(raw) == 0 {
		return nil
	}
	var err error
	switch raw[0] {
	case '{':
		err = json.Unmarshal(raw, &b.object)
	case '[':
		err = json.Unmarshal(raw, &b.array)
	default:
		if !json.Valid(raw) {
			err = errors.New("invalid JSON")
		}
	}
	if err != nil {
		return fmt.Errorf("the response is not JSON: %w", err)
	}
	return nil
}

// at finds the value at a path as lodash's get reads it: a top-level key
// named exactly path first ("@odata.nextLink"), else dot-separated keys
// and indexes ("paging.next.after", "items.0.id", "data[0].id"); a
// negative index counts from the end ("data[-1].id" is the last record's
// id, how Stripe's starting_after cursor is found). found is false when
// any step is missing.
func (b *pageBody) at(path string) (json.RawMessage, bool, error) {
	if err := b.decode(); err != nil {
		return nil, false, err
	}
	if v, ok := b.object[path]; ok && path != "" {
		return v, true, nil
	}
	segs := splitJSONPath(path)
	if len(segs) == 0 {
		return b.raw, true, nil
	}
	var cur json.RawMessage
	switch {
	case b.object != nil:
		v, ok := b.object[segs[0]]
		if !ok {
			return nil, false, nil
		}
		cur = v
	case b.array != nil:
		v, ok := arrayAt(b.array, segs[0])
		if !ok {
			return nil, false, nil
		}
		cur = v
	default:
		return nil, false, nil
	}
	for _, seg := range segs[1:] {
		v, ok := jsonStep(cur, seg)
		if !ok {
			return nil, false, nil
		}
		cur = v
	}
	return cur, true, nil
}

// jsonStep goes one key or index into raw.
func jsonStep(raw json.RawMessage, seg string) (json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		v, ok := m[seg]
		return v, ok
	case '[':
		var a []json.RawMessage
		if json.Unmarshal(raw, &a) != nil {
			return nil, false
		}
		return arrayAt(a, seg)
	}
	return nil, false
}

func arrayAt(a []json.RawMessage, seg string) (json.RawMessage, bool) {
	i, err := strconv.Atoi(seg)
	if err != nil {
		return nil, false
	}
	if i < 0 {
		i += len(a)
	}
	if i < 0 || i >= len(a) {
		return nil, false
	}
	return a[i], true
}

// splitJSONPath splits "a.b[0].c" into a, b, 0, c. Brackets may quote a
// key with dots: a["x.y"].
func splitJSONPath(path string) []string {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				cur.WriteString(path[i+1:])
				i = len(path)
				continue
			}
			inner := strings.TrimSpace(path[i+1 : i+end])
			if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				inner = inner[1 : len(inner)-1]
			}
			segs = append(segs, inner)
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return segs
}

func pageJSONKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func pageErrorBody(b []byte) string {
	if len(b) <= pageErrorBodyMax {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	cut := pageErrorBodyMax
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "\uFFFD") + "…"
}

// headerLink is one link-value of a Link header (RFC 8288).
type headerLink struct {
	target string
	rels   []string // lowercased relation types
	params map[string]string
}

// linkWithRel is the target of the first link with relation type rel
// (case-insensitive), "" when there is none.
func linkWithRel(values []string, rel string) string {
	rel = strings.ToLower(rel)
	for _, l := range parseLinkHeader(values) {
		if slices.Contains(l.rels, rel) {
			return l.target
		}
	}
	return ""
}

// parseLinkHeader reads Link header fields: comma-separated
// <target>; name=value; name="quoted, value" items, several per field and
// several fields. rel holds space-separated relation types; a parameter
// repeated in one link counts once, the first time. Malformed items are
// skipped.
func parseLinkHeader(values []string) []headerLink {
	var out []headerLink
	for _, s := range values {
		for {
			s = strings.TrimLeft(s, ", \t")
			if s == "" {
				break
			}
			if s[0] != '<' {
				s = skipLinkValue(s)
				continue
			}
			end := strings.IndexByte(s, '>')
			if end < 0 {
				break
			}
			l := headerLink{target: strings.TrimSpace(s[1:end]), params: map[string]string{}}
			s = parseLinkParams(s[end+1:], l.params)
			l.rels = strings.Fields(strings.ToLower(l.params["rel"]))
			out = append(out, l)
		}
	}
	return out
}

// parseLinkParams reads ; name[=value] parameters into params and returns
// what follows them (from the comma that ends the link-value).
func parseLinkParams(s string, params map[string]string) string {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" || s[0] == ',' {
			return s
		}
		if s[0] != ';' {
			return skipLinkValue(s)
		}
		s = strings.TrimLeft(s[1:], " \t")
		var name, value string
		name, s = linkToken(s)
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "=") {
			s = strings.TrimLeft(s[1:], " \t")
			if strings.HasPrefix(s, `"`) {
				value, s = linkQuoted(s)
			} else {
				value, s = linkToken(s)
			}
		}
		name = strings.ToLower(name)
		if _, seen := params[name]; name != "" && !seen {
			params[name] = value
		}
	}
}

func linkToken(s string) (token, rest string) {
	i := strings.IndexAny(s, ";,= \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// linkQuoted reads a quoted-string (s starts with its quote), unescaping
// backslash pairs; an unterminated one runs to the end.
func linkQuoted(s string) (value, rest string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// skipLinkValue skips to the comma that ends a malformed link-value,
// stepping over quoted strings.
func skipLinkValue(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			return s[i:]
		case '"':
			_, rest := linkQuoted(s[i:])
			return skipLinkValue(rest)
		}
	}
	return ""
}
