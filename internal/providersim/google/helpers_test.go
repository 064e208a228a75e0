package google_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/google"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// bundle is a running simulator with the google provider.
type bundle struct {
	t testing.TB
	s *simtest.Server
}

func setup(t *testing.T, opts google.Options) *bundle {
	t.Helper()
	return setupSeed(t, 1, opts)
}

func setupSeed(t *testing.T, seed int64, opts google.Options) *bundle {
	t.Helper()
	return &bundle{t: t, s: simtest.Start(t, sim.Options{Seed: seed}, google.New(opts))}
}

// token mints a non-expiring access token for user with scopes (none:
// every scope), so tests can move the clock freely.
func (b *bundle) token(user string, scopes ...string) string {
	g := b.s.OAuth.Issue(sim.Grant{Provider: "google", ClientID: sim.DefaultClient("google").ID, Subject: user, Scopes: scopes}, 0, false)
	return g.AccessToken
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends method path (relative to the simulator) with token and an
// optional JSON body.
func (b *bundle) call(method, path, token string, body any) response {
	b.t.Helper()
	res := b.s.Call(b.t, method, path, body, simtest.Bearer(token))
	out := response{status: res.Status, header: res.Header, raw: res.Body}
	if len(bytes.TrimSpace(res.Body)) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(res.Body, &out.body); err != nil {
			b.t.Fatalf("%s %s: decode %q: %v", method, path, res.Body, err)
		}
	}
	return out
}

// must is call that fails the test unless the status is want.
func (b *bundle) must(want int, method, path, token string, body any) map[string]any {
	b.t.Helper()
	res := b.call(method, path, token, body)
	if res.status != want {
		b.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.status, want, res.raw)
	}
	return res.body
}

func (b *bundle) advance(d time.Duration) { b.s.Clock.Advance(d) }

// errorOf returns the "error" object of a Google API error.
func errorOf(t *testing.T, res response) map[string]any {
	t.Helper()
	e, ok := res.body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", res.raw)
	}
	return e
}

// rows converts a decoded values array for comparison.
func rows(v any) [][]any {
	list, _ := v.([]any)
	out := make([][]any, len(list))
	for i, r := range list {
		out[i], _ = r.([]any)
		if out[i] == nil {
			out[i] = []any{}
		}
	}
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// simFilter selects this provider's logged requests carrying a note.
func simFilter(note string) sim.RequestFilter {
	return sim.RequestFilter{Provider: "google", Note: note}
}
