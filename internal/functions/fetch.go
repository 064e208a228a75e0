package functions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/fault"
)

// Fetcher is a Host that can send nango.uncontrolledFetch: a request to
// any URL, without the connection's credentials, retries or pagination.
// It is apart from Host because it reaches beyond the connection: the
// server's sends it through the outbound address policy (a URL or a
// redirect to an internal address is refused), and a host without it
// (`patchbay test`, whose fixtures record no such request, and dry runs)
// refuses it.
type Fetcher interface {
	Fetch(ctx context.Context, req *FetchRequest) (*HTTPResponse, error)
}

// FetchRequest is one nango.uncontrolledFetch.
type FetchRequest struct {
	// URL is absolute, http or https.
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent as UTF-8, as fetch sends a string body.
	Body *string `json:"body,omitempty"`
}

// ErrFetchNotAvailable is what a host without Fetcher answers.
var ErrFetchNotAvailable = &HostError{Kind: fault.Invalid, Code: "fetch_not_available",
	Message: "nango.uncontrolledFetch is not available here (it sends real requests; only a server runs it)"}

func opUncontrolledFetch(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var req FetchRequest
	if err := decodeArgs(raw, &req); err != nil {
		return nil, err
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "uncontrolledFetch: url must be an absolute http or https URL"}
	}
	req.Method = strings.ToUpper(req.Method)
	if req.Method == "" {
		req.Method = "GET"
	}
	if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, req.Method) {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "uncontrolledFetch: unsupported method " + req.Method}
	}
	h := x.host
	return func(ctx context.Context) (any, error) {
		f, ok := h.(Fetcher)
		if !ok {
			return nil, ErrFetchNotAvailable
		}
		resp, err := f.Fetch(ctx, &req)
		if err != nil {
			return nil, err
		}
		out := &proxyResult{Status: resp.Status, Headers: make(map[string]string, len(resp.Headers))}
		for k, v := range resp.Headers {
			out.Headers[strings.ToLower(k)] = v
		}
		if utf8.Valid(resp.Body) {
			out.Body = string(resp.Body)
		} else {
			s := base64.StdEncoding.EncodeToString(resp.Body)
			out.BodyBase64 = &s
		}
		return out, nil
	}, nil
}
