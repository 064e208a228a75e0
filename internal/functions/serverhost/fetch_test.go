package serverhost

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
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

// TestWSDLGoesThroughTheAddressPolicy: the soap module's WSDL is fetched
// as uncontrolledFetch's requests are, within its size bound, and cached.
func TestWSDLGoesThroughTheAddressPolicy(t *testing.T) {
	t.Parallel()
	const wsdl = `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" targetNamespace="urn:x">
<binding name="b"><soap:binding style="document"/></binding></definitions>`
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		switch r.URL.Path {
		case "/big.wsdl":
			chunk := make([]byte, 1<<20)
			for i := 0; i <= functions.MaxWSDLBytes>>20; i++ {
				_, _ = w.Write(chunk)
			}
		case "/gone.wsdl":
			http.NotFound(w, r)
		case "/bad.wsdl":
			_, _ = w.Write([]byte("<html>"))
		default:
			_, _ = w.Write([]byte(wsdl))
		}
	}))
	t.Cleanup(srv.Close)
	loopback := outbound.NewGuard(outbound.GuardOptions{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	d := &Deps{Guard: loopback}
	for _, tt := range []struct {
		name, url, code string
	}{
		{"fetched", srv.URL + "/s.wsdl", ""},
		{"then cached", srv.URL + "/s.wsdl", ""},
		{"too big", srv.URL + "/big.wsdl", "wsdl_too_large"},
		{"not found", srv.URL + "/gone.wsdl", "wsdl_fetch_failed"},
		{"not a WSDL", srv.URL + "/bad.wsdl", "invalid_wsdl"},
		{"an internal address", "http://169.254.169.254/latest/x.wsdl", "url_not_allowed"},
	} {
		h := New(d, Target{EnvironmentID: "env", IntegrationKey: "workday", ConnectionID: "c1"})
		w, err := h.WSDL(t.Context(), tt.url)
		var he *functions.HostError
		switch {
		case tt.code == "" && (err != nil || w == nil):
			t.Errorf("%s: %v", tt.name, err)
		case tt.code != "" && (!errors.As(err, &he) || he.Code != tt.code):
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.code)
		}
	}
	if _, err := New(&Deps{}, Target{}).WSDL(t.Context(), srv.URL+"/s.wsdl"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("the strict policy let a loopback WSDL through: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 4 {
		t.Errorf("the WSDL server saw %d requests, want 4 (the second fetch is cached)", hits)
	}
}
