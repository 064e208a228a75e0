package stripe

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

// basic sends key as the Basic username, Stripe's other way to take it.
func basic(key string) simtest.Option { return simtest.Basic(key, "") }

// get calls the API with DefaultKey.
func (b *bundle) get(t testing.TB, path string) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodGet, path, nil, simtest.Bearer(DefaultKey))
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
