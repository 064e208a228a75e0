package jira

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

func basic(email, token string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(email, token) }
}

// get calls the API of site with the default account.
func (b *bundle) get(t testing.TB, site, path string) response {
	t.Helper()
	return b.request(t, http.MethodGet, "/jira/"+site+path, nil, basic(DefaultEmail, DefaultAPIToken))
}

type projectPage struct {
	Self       string       `json:"self"`
	NextPage   string       `json:"nextPage"`
	MaxResults int          `json:"maxResults"`
	StartAt    int          `json:"startAt"`
	Total      int          `json:"total"`
	IsLast     bool         `json:"isLast"`
	Values     []projectOut `json:"values"`
}

type projectOut struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
	Self string `json:"self"`
}
