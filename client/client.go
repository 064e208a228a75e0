package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// defaultMaxResponseBytes caps how much of a response body the client will
// read. The largest legitimate response is the full provider catalog (a few
// MiB); the cap exists so that a misbehaving server or proxy cannot make the
// caller buffer an unbounded body.
const defaultMaxResponseBytes = 32 << 20

const userAgent = "patchbay-go"

// Client calls a Patchbay server's HTTP API. Construct one with New; a
// Client is safe for concurrent use by multiple goroutines and should be
// reused, because it shares the underlying http.Client's connection pool.
type Client struct {
	baseURL          string
	secretKey        string
	httpClient       *http.Client
	maxResponseBytes int64
}

// Option customises a Client at construction time; pass options to New.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc, so callers
// can set timeouts, transports (proxies, TLS settings, tracing) or cookie
// jars. A nil hc is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// New returns a Client for the Patchbay server at baseURL (for example
// "http://localhost:3003", optionally with a path prefix) that authenticates
// with the environment's secret key.
//
// By default requests go through a fresh http.Client without a timeout:
// bound each call with its context, or supply a configured client with
// WithHTTPClient.
func New(baseURL, secretKey string, opts ...Option) *Client {
	c := &Client{
		baseURL:          strings.TrimRight(baseURL, "/"),
		secretKey:        secretKey,
		httpClient:       &http.Client{},
		maxResponseBytes: defaultMaxResponseBytes,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// request describes one API call. path must already be escaped: callers
// build it with url.PathEscape on every variable segment.
type request struct {
	method string
	path   string
	query  url.Values
	body   any  // JSON-encoded when non-nil
	noAuth bool // true only for endpoints that are public by design
}

func (r request) String() string { return r.method + " " + r.path }

// send performs r and decodes a 2xx JSON response into out (when out is
// non-nil). Any non-2xx status is returned as *Error.
func (c *Client) send(ctx context.Context, r request, out any) error {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("patchbay: %s: encoding request: %w", r, err)
		}
		body = bytes.NewReader(b)
	}

	target := c.baseURL + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return fmt.Errorf("patchbay: %s: %w", r, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !r.noAuth && c.secretKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.secretKey)
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("patchbay: %s: %w", r, err)
	}
	defer resp.Body.Close()

	data, truncated, err := readCapped(resp.Body, c.maxResponseBytes)
	if err != nil {
		return fmt.Errorf("patchbay: %s: reading response: %w", r, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newError(resp.StatusCode, data, c.secretKey)
		if apiErr.Code == "compile_error" {
			// Only the functions endpoints answer it, with positions.
			return compileError(apiErr, data)
		}
		return apiErr
	}
	if truncated {
		return fmt.Errorf("patchbay: %s: response body exceeds %d bytes", r, c.maxResponseBytes)
	}
	// An empty body (e.g. 204 No Content) decodes to nothing; the callers
	// then report whatever they expected but did not get.
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("patchbay: %s: decoding response: %w", r, err)
	}
	return nil
}

// readCapped reads at most limit bytes of r and reports whether more were
// available.
func readCapped(r io.Reader, limit int64) (data []byte, truncated bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}

// dataEnvelope is the {"data": …} wrapper Nango puts around resources.
type dataEnvelope[T any] struct {
	Data *T `json:"data"`
}

// getData performs r and unwraps the "data" member of the response. A
// missing or null "data" is an error: the server always sends one on
// success (an empty list is [], never null).
func getData[T any](ctx context.Context, c *Client, r request) (*T, error) {
	var env dataEnvelope[T]
	if err := c.send(ctx, r, &env); err != nil {
		return nil, err
	}
	if env.Data == nil {
		return nil, fmt.Errorf("patchbay: %s: response has no \"data\"", r)
	}
	return env.Data, nil
}

// Health reports whether the server is up. It succeeds when the server
// answers GET /health with {"result":"ok"}. The endpoint is public, so
// Health never sends the secret key and works with a Client built without
// one (for example in readiness probes).
func (c *Client) Health(ctx context.Context) error {
	r := request{method: http.MethodGet, path: "/health", noAuth: true}
	var out struct {
		Result string `json:"result"`
	}
	if err := c.send(ctx, r, &out); err != nil {
		return err
	}
	if out.Result != "ok" {
		return fmt.Errorf("patchbay: %s: unexpected result %q", r, out.Result)
	}
	return nil
}

// segment escapes one variable path segment, rejecting empty values so that
// a missing key cannot silently turn a call into a different endpoint
// (GET /providers/ instead of GET /providers/{name}).
func segment(what, value string) (string, error) {
	if value == "" {
		return "", fmt.Errorf("patchbay: %s must not be empty", what)
	}
	return url.PathEscape(value), nil
}
