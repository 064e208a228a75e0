package jira

import (
	"net/http"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// bundle is one test's simulator and provider.
type bundle struct {
	s *simtest.Server
	p *Provider
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	return &bundle{s: simtest.Start(t, so, p), p: p}
}

// get calls the API of site with the default account.
func (b *bundle) get(t testing.TB, site, path string) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodGet, "/jira/"+site+path, nil, simtest.Basic(DefaultEmail, DefaultAPIToken))
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
