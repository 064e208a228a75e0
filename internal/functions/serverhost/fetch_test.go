package serverhost

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/outbound"
)

// TestFetchGoesThroughTheAddressPolicy: nango.uncontrolledFetch reaches a
// URL only when the outbound policy allows its address, redirects
// included, and carries no credentials across hosts.
func TestFetchGoesThroughTheAddressPolicy(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, auth, ctype, body string
	}
	var mu sync.Mutex
	var hits []seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, seen{r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("other"))
	}))
	t.Cleanup(other.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
			return
		case "/internal":
			http.Redirect(w, r, "http://10.0.0.1/secret", http.StatusFound)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, seen{r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Id", "7")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(api.Close)
	loopback := outbound.NewGuard(outbound.GuardOptions{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	body := `{"a":1}`

	for _, tt := range []struct {
		name   string
		guard  *outbound.Guard
		req    functions.FetchRequest
		status int
		resp   string
		code   string // the refusal's code, when refused
		hits   []seen
	}{
		{"the strict policy refuses loopback", nil,
			functions.FetchRequest{URL: api.URL + "/x", Method: "GET"}, 0, "", "url_not_allowed", nil},
		{"a metadata address stays refused", loopback,
			functions.FetchRequest{URL: "http://169.254.169.254/latest", Method: "GET"}, 0, "", "url_not_allowed", nil},
		{"an allowed network is reached", loopback,
			functions.FetchRequest{URL: api.URL + "/x?q=1", Method: "POST", Headers: map[string]string{"Authorization": "Bearer t", "Content-Type": "application/json"}, Body: &body},
			201, `{"ok":true}`, "", []seen{{"POST", "Bearer t", "application/json", body}}},
		{"a redirect to another host drops the credentials", loopback,
			functions.FetchRequest{URL: api.URL + "/away", Method: "GET", Headers: map[string]string{"Authorization": "Bearer t"}},
			200, "other", "", []seen{{"GET", "", "", ""}}},
		{"a redirect to an internal address is refused", loopback,
			functions.FetchRequest{URL: api.URL + "/internal", Method: "GET"}, 0, "", "url_not_allowed", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			hits = nil
			mu.Unlock()
			h := New(&Deps{Guard: tt.guard}, Target{EnvironmentID: "env", IntegrationKey: "github", ConnectionID: "c1"})
			resp, err := h.Fetch(t.Context(), &tt.req)
			if tt.code != "" {
				var he *functions.HostError
				if !errors.As(err, &he) || he.Code != tt.code {
					t.Fatalf("Fetch = %v, %v; want a %s refusal", resp, err, tt.code)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if resp.Status != tt.status || string(resp.Body) != tt.resp {
				t.Fatalf("Fetch = %d %s, want %d %s", resp.Status, resp.Body, tt.status, tt.resp)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(hits) != len(tt.hits) || (len(hits) == 1 && hits[0] != tt.hits[0]) {
				t.Fatalf("the servers saw %+v, want %+v", hits, tt.hits)
			}
		})
	}
}
