package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
)

// maxPageBytes bounds one page's body: pages are decoded whole.
const maxPageBytes = 64 << 20

// Pages iterates over the records of a paginated endpoint through Do: the
// provider's default pagination (proxy.paginate) merged under caller's,
// limit records per page (0: the provider's default). req's Endpoint
// starts the run; its Body, if any, must be a JSON object (POST searches
// carry their cursors in it).
func (p *Proxy) Pages(ctx context.Context, req Request, caller *catalog.PaginateConfig, limit int) iter.Seq2[[]json.RawMessage, error] {
	return p.PagesObserved(ctx, req, caller, limit, nil)
}

// PageObserver sees each page's request (endpoint below the base URL,
// query) and the provider's answer, as a dry run records them.
type PageObserver func(method, endpoint string, query url.Values, status int, header http.Header, body []byte)

// PagesObserved is Pages with observe called for every page fetched.
func (p *Proxy) PagesObserved(ctx context.Context, req Request, caller *catalog.PaginateConfig, limit int, observe PageObserver) iter.Seq2[[]json.RawMessage, error] {
	return recordsOf(p.PaginatePages(ctx, req, caller, limit, observe))
}

// PaginatePages is PagesObserved yielding whole pages, as nango.paginate
// hands them to a function (see PaginatePages in paginate.go); observe
// may be nil.
func (p *Proxy) PaginatePages(ctx context.Context, req Request, caller *catalog.PaginateConfig, limit int, observe PageObserver) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		_, prov, _, base, err := p.resolve(ctx, &req)
		if err != nil {
			yield(nil, err)
			return
		}
		first, err := firstPage(req, base)
		if err != nil {
			yield(nil, err)
			return
		}
		var providerCfg *catalog.PaginateConfig
		if prov.Proxy != nil {
			providerCfg = prov.Proxy.Paginate
		}
		fetch := func(ctx context.Context, pr PageRequest) (int, http.Header, []byte, error) {
			status, header, body, err := p.fetchPage(ctx, req, base, pr)
			if err == nil && observe != nil {
				endpoint, query := pr.Endpoint, pr.Query
				if pr.URL != "" {
					// A followed link is recorded as fetchPage asks for it:
					// below the base URL's path, or when outside it by its
					// whole path (the link's origin as the base URL, as
					// Nango's runtime asks for it). Below the base it
					// replays against the catalog's base URL wherever it
					// was recorded (the simulator's base has a path).
					if u, perr := url.Parse(pr.URL); perr == nil {
						endpoint, query = u.Path, u.Query()
						if b, berr := url.Parse(base); berr == nil {
							if rest, ok := strings.CutPrefix(u.Path, strings.TrimRight(b.Path, "/")); ok && (rest == "" || rest[0] == '/') {
								endpoint = rest
							}
						}
					}
				}
				observe(pr.Method, endpoint, query, status, header, body)
			}
			return status, header, body, err
		}
		for page, err := range PaginatePages(ctx, fetch, first, providerCfg, caller, limit) {
			if !yield(page, err) {
				return
			}
		}
	}
}

func firstPage(req Request, base string) (PageRequest, error) {
	path, rawQuery, _ := strings.Cut(req.Endpoint, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return PageRequest{}, errorf(fault.Invalid, "invalid_endpoint", "the endpoint's query string is malformed")
	}
	pr := PageRequest{Method: req.Method, BaseURL: base, Endpoint: path, Query: q, Header: req.Header}
	if req.Body != nil {
		if err := json.NewDecoder(req.Body).Decode(&pr.Body); err != nil {
			return PageRequest{}, errorf(fault.Invalid, "", "a paginated request's body must be a JSON object")
		}
	}
	return pr, nil
}

// fetchPage sends one page's request through Do, so each page is
// authenticated, throttled, retried and recorded like any proxied call.
func (p *Proxy) fetchPage(ctx context.Context, tmpl Request, base string, pr PageRequest) (int, http.Header, []byte, error) {
	endpoint := pr.Endpoint
	if len(pr.Query) > 0 {
		endpoint += "?" + pr.Query.Encode()
	}
	req := tmpl
	if pr.URL != "" {
		// A next link: Paginate checked it is on the base URL's scheme and
		// host; Do's guard checks it again. A link outside the base URL's
		// path is followed as Nango's runtime does, with its origin as the
		// base URL (linkOrigin lets exactly that override through).
		rest, ok := strings.CutPrefix(pr.URL, strings.TrimRight(base, "/"))
		if !ok || (rest != "" && rest[0] != '/' && rest[0] != '?') {
			u, err := url.Parse(pr.URL)
			if err != nil {
				return 0, nil, nil, errorf(fault.Upstream, "invalid_next_link", "the provider's next link is not a URL")
			}
			rest = u.EscapedPath()
			if u.RawQuery != "" {
				rest += "?" + u.RawQuery
			}
			req.BaseURLOverride, req.linkOrigin = linkOrigin(u), true
		}
		endpoint = rest
	}
	req.Endpoint = endpoint
	req.Method = pr.Method
	req.Header = pr.Header
	req.Body, req.ContentLength = nil, 0
	if pr.Body != nil {
		// Not json.Marshal: it would escape <, > and &, which
		// JSON.stringify leaves as they are.
		b, err := pr.Body.MarshalJSON()
		if err != nil {
			return 0, nil, nil, fmt.Errorf("encode page body: %w", err)
		}
		req.Body, req.ContentLength = bytes.NewReader(b), int64(len(b))
		if req.Header == nil {
			req.Header = http.Header{}
		} else {
			req.Header = req.Header.Clone()
		}
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.Do(ctx, &req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read page: %w", err)
	}
	if len(body) > maxPageBytes {
		return 0, nil, nil, errorf(fault.Upstream, "page_too_large", "a page is larger than %d MiB", maxPageBytes>>20)
	}
	return resp.StatusCode, resp.Header, body, nil
}
