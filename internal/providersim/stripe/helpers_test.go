package stripe

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// bundle is one test's simulator and provider.
type bundle struct {
	s *sim.Server
	p *Provider
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	return &bundle{s: sim.ServeTest(t, so, p), p: p}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// request sends method path with an optional JSON body; auth, when not
// nil, sets the credentials.
func (b *bundle) request(t testing.TB, method, path string, body any, auth func(*http.Request)) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.s.BaseURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func bearer(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }
}

func basic(key string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(key, "") }
}

// get calls the API with DefaultKey.
func (b *bundle) get(t testing.TB, path string) response {
	t.Helper()
	return b.request(t, http.MethodGet, path, nil, bearer(DefaultKey))
}

type stripeError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    string `json:"code"`
		Param   string `json:"param"`
	} `json:"error"`
}

type customerOut struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
}

type listOut struct {
	Object  string        `json:"object"`
	URL     string        `json:"url"`
	HasMore bool          `json:"has_more"`
	Data    []customerOut `json:"data"`
}
