package simtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Server is a simulator serving one test on a loopback port. It embeds the
// sim.Server, so the clock, the OAuth server and the control methods are at
// hand beside the calls.
type Server struct {
	*sim.Server
}

// Start starts a simulator with providers (each reset to opts.Seed) and
// stops it, waiting for webhook deliveries, when t ends.
func Start(t testing.TB, opts sim.Options, providers ...sim.Provider) *Server {
	t.Helper()
	return &Server{Server: sim.ServeTest(t, opts, providers...)}
}

// Option changes a request before it is sent: its credentials or headers.
// A nil Option does nothing, so table tests may leave it out.
type Option func(*http.Request)

// Bearer sends token as a Bearer Authorization header; "" sends none.
func Bearer(token string) Option {
	return Authorization(prefixed("Bearer ", token))
}

// Authorization sets the Authorization header to value; "" sends none.
func Authorization(value string) Option {
	return func(r *http.Request) {
		if value != "" {
			r.Header.Set("Authorization", value)
		}
	}
}

// Basic sends HTTP Basic credentials.
func Basic(user, password string) Option {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

// Header sets a header, replacing any set before (a body's Content-Type
// included).
func Header(name, value string) Option {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// NewRequest builds a request for path on the simulator, or for an
// absolute URL. A url.Values body is sent form-encoded; any other non-nil
// body is sent as JSON; nil sends none. The request carries t's context.
func (s *Server) NewRequest(t testing.TB, method, path string, body any, opts ...Option) *http.Request {
	t.Helper()
	var rd io.Reader
	var contentType string
	switch v := body.(type) {
	case nil:
	case url.Values:
		rd, contentType = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode %s %s body: %v", method, path, err)
		}
		rd, contentType = bytes.NewReader(buf), "application/json"
	}
	target := path
	if strings.HasPrefix(path, "/") {
		target = s.BaseURL() + path
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, o := range opts {
		if o != nil {
			o(req)
		}
	}
	return req
}

// Call sends a request built as NewRequest builds it and returns the
// answer.
func (s *Server) Call(t testing.TB, method, path string, body any, opts ...Option) Response {
	t.Helper()
	return Do(t, s.NewRequest(t, method, path, body, opts...))
}

// noRedirect reports redirects instead of following them: an authorization
// endpoint's answer is the redirect.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Do sends req, without following redirects, and reads the answer.
func Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// Response is an answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Text is the body as a string.
func (r Response) Text() string { return string(r.Body) }

// Decode unmarshals the JSON body into v, failing t when it is not JSON.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Form parses a form-encoded body, failing t when it is malformed.
func (r Response) Form(t testing.TB) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatalf("form body %q: %v", r.Body, err)
	}
	return v
}

// Want fails t unless the status is want; what names the call in the
// message, which shows the body. It returns r, to decode.
func (r Response) Want(t testing.TB, want int, what string) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
	return r
}
