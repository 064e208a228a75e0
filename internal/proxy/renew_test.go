package proxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

// renewConns hands out renewals from a script: each Renew returns the
// next token and whether it came from a refresh.
type renewConns struct {
	mu      sync.Mutex
	start   string
	renewed []renewal
	refused []string // the tokens Renew was called with
}

type renewal struct {
	token     string
	refreshed bool
}

func conn(token string) *store.Connection {
	return &store.Connection{ID: "row", Provider: "p", ConnectionID: "c", Credentials: store.Credentials{Type: "OAUTH2", AccessToken: token, RefreshToken: "rt"}}
}

func (f *renewConns) Connection(context.Context, string, string, string, bool) (*store.Connection, error) {
	return conn(f.start), nil
}

func (f *renewConns) Renew(_ context.Context, c *store.Connection) (*store.Connection, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = append(f.refused, c.Credentials.AccessToken)
	next := f.renewed[0]
	f.renewed = f.renewed[1:]
	return conn(next.token), next.refreshed, nil
}

// TestRenewAfter401: a refused token is renewed, and the call retried with
// what the renewal gives. A stored token handed over without a refresh
// may be refused too (this node's copy was older than the row): then it
// is renewed once more. A token refreshed for the call and refused all
// the same is not refreshed again.
func TestRenewAfter401(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		accepted string
		renewed  []renewal
		status   int
		refused  []string
	}{
		{"refreshed", "new", []renewal{{"new", true}}, 200, []string{"old"}},
		{"stored one works", "stored", []renewal{{"stored", false}}, 200, []string{"old"}},
		{"stored one refused, then refreshed", "new", []renewal{{"stored", false}, {"new", true}}, 200, []string{"old", "stored"}},
		{"refreshed and still refused", "", []renewal{{"new", true}}, 401, []string{"old"}},
		{"at most two renewals", "", []renewal{{"a", false}, {"b", false}}, 401, []string{"old", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.accepted == "" || r.Header.Get("Authorization") != "Bearer "+tc.accepted {
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))
			defer srv.Close()
			p, _, _ := testProxy(t, srv, "", store.Credentials{Type: "OAUTH2", AccessToken: "old", RefreshToken: "rt"})
			conns := &renewConns{start: "old", renewed: tc.renewed}
			p.conns = conns
			resp, err := p.Do(context.Background(), &Request{Method: "GET", Endpoint: "/user"})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if len(conns.refused) != len(tc.refused) {
				t.Fatalf("renewed %v, want %v", conns.refused, tc.refused)
			}
			for i := range tc.refused {
				if conns.refused[i] != tc.refused[i] {
					t.Errorf("renewed %v, want %v", conns.refused, tc.refused)
				}
			}
		})
	}
}
