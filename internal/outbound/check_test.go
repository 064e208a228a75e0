package outbound

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tmpl string
		want []Placeholder
	}{
		{"https://${connectionConfig.subdomain}.atlassian.net", []Placeholder{{"connectionConfig.subdomain", PartHostLabel}}},
		{"https://${connectionConfig.hostname} || https://gitlab.com", []Placeholder{{"connectionConfig.hostname", PartHostName}}},
		{"https://${connectionConfig.hostname}/services/oauth2/token || https://login.salesforce.com/services/oauth2/token", []Placeholder{{"connectionConfig.hostname", PartHostName}}},
		{"https://api.${connectionConfig.site}", []Placeholder{{"connectionConfig.site", PartHostName}}},
		{"https://accounts.zoho.${connectionConfig.extension}/oauth/v2/token", []Placeholder{{"connectionConfig.extension", PartHostName}}},
		{"http://${connectionConfig.host}:${connectionConfig.port}/x", []Placeholder{{"connectionConfig.host", PartHostName}, {"connectionConfig.port", PartPort}}},
		{"${connectionConfig.instance_url}", []Placeholder{{"connectionConfig.instance_url", PartOrigin}}},
		{"${connectionConfig.api_domain}/crm || https://www.zohoapis.com/crm", []Placeholder{{"connectionConfig.api_domain", PartOrigin}}},
		{"https://login.microsoftonline.com/${connectionConfig.tenantId}/oauth2/v2.0/token", []Placeholder{{"connectionConfig.tenantId", PartPath}}},
		{"https://api.example.com/v1?key=${apiKey}", []Placeholder{{"apiKey", PartQuery}}},
		{"https://api.example.com", nil},
		{"", nil},
	}
	for _, tt := range tests {
		s := setupGuard(t)
		if got := s.g.Placeholders(tt.tmpl); !slices.Equal(got, tt.want) {
			t.Errorf("Placeholders(%q) = %v, want %v", tt.tmpl, got, tt.want)
		}
	}
}

func TestCheckValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		part  Part
		value string
		ok    bool
	}{
		{PartHostLabel, "acme", true},
		{PartHostLabel, "acme-eu_1", true},
		{PartHostLabel, "a.evil.com", false},
		{PartHostLabel, "evil.com#", false},
		{PartHostLabel, "a@b", false},
		{PartHostLabel, "127.0.0.1", false},
		{PartHostLabel, "", false},
		{PartHostName, "gitlab.acme.io", true},
		{PartHostName, "datadoghq.eu", true},
		{PartHostName, "eu", true},
		{PartHostName, "93.184.216.34", true},
		{PartHostName, "127.0.0.1", false},
		{PartHostName, "127.0.0.1:3499", false},
		{PartHostName, "loop.test:3499", false},
		{PartHostName, "[::1]", false},
		{PartHostName, "::1", false},
		{PartHostName, "169.254.169.254", false},
		{PartHostName, "10.0.0.1", false},
		{PartHostName, "2130706433", false},
		{PartHostName, "0x7f.1", false},
		{PartHostName, "localhost", false},
		{PartHostName, "metadata.google.internal", false},
		{PartHostName, "evil.com/x", false},
		{PartHostName, "evil.com?", false},
		{PartHostName, "user@evil.com", false},
		{PartHostName, "evil.com ", false},
		{PartHostName, "https://evil.com", false},
		{PartPort, "443", true},
		{PartPort, "0", false},
		{PartPort, "65536", false},
		{PartPort, "44a", false},
		{PartPath, "common", true},
		{PartPath, "..", false},
		{PartPath, ".", false},
		{PartPath, "a/b", false},
		{PartPath, "%2e%2e", false},
		{PartPath, "a?b", false},
		{PartQuery, "a=b&c=d", true},
		{PartQuery, "a#b", false},
		{PartOrigin, "https://na1.salesforce.com", true},
		{PartOrigin, "https://www.zohoapis.eu", true},
		{PartOrigin, "http://127.0.0.1:8080", false},
		{PartOrigin, "http://169.254.169.254", false},
		{PartOrigin, "https://user@na1.salesforce.com", false},
		{PartOrigin, "file:///etc/passwd", false},
		{PartOrigin, "na1.salesforce.com", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v %q", tt.part, tt.value), func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t)
			err := s.g.CheckValue(tt.part, tt.value)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckValue(%v, %q) = %v, want ok=%v", tt.part, tt.value, err, tt.ok)
			}
			if err != nil {
				wantGuardError(t, err)
			}
		})
	}
	t.Run("allowed network", func(t *testing.T) {
		t.Parallel()
		s := setupGuard(t, guardAllow("10.0.0.0/8"))
		if err := s.g.CheckValue(PartHostName, "10.1.2.3"); err != nil {
			t.Fatalf("CheckValue of an allowed address: %v", err)
		}
	})
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const (
		salesforce = "https://${connectionConfig.hostname}/services/oauth2/token || https://login.salesforce.com/services/oauth2/token"
		simulator  = "http://127.0.0.1:8080/github/login/oauth/access_token"
		simHost    = "http://${connectionConfig.host}:8080/token"
	)
	tests := []struct {
		name, url, tmpl string
		ok              bool
	}{
		{"templated host", "https://acme.my.salesforce.com/services/oauth2/token", salesforce, true},
		{"fallback", "https://login.salesforce.com/services/oauth2/token", salesforce, true},
		{"simulator literal", "http://127.0.0.1:8080/github/login/oauth/access_token", simulator, true},
		{"templated loopback", "https://127.0.0.1/services/oauth2/token", salesforce, false},
		{"templated metadata", "https://169.254.169.254/services/oauth2/token", salesforce, false},
		{"value with a port", "https://loop.test:3499/services/oauth2/token", salesforce, false},
		{"value with a path", "https://evil.com/x?/services/oauth2/token", salesforce, false},
		{"not the template", "https://evil.com/token", salesforce, false},
		{"odd credential in a literal host's path", "https://api.telegram.org/botab/c%2Fd/getMe", "https://api.telegram.org/bot${apiKey}/getMe", true},
		{"odd value under a templated host", "https://acme.example.com/a/b/token", "https://${connectionConfig.sub}.example.com/${apiKey}/token", false},
		{"templated host on the simulator's port", "http://127.0.0.1:8080/token", simHost, false},
		{"no template, public", "https://hooks.example.com/patchbay", "", true},
		{"no template, loopback", "http://127.0.0.1:9000/hooks", "", false},
		{"no template, localhost", "http://localhost:9000/hooks", "", false},
		{"no template, userinfo", "https://u:p@hooks.example.com/", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t)
			u, err := s.g.Check(tt.url, tt.tmpl)
			if tt.ok != (err == nil) {
				t.Fatalf("Check(%q) = %v, %v; want ok=%v", tt.url, u, err, tt.ok)
			}
			if err != nil {
				wantGuardError(t, err)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	const tmpl = "https://${connectionConfig.hostname}/token"
	tests := []struct {
		name, url, tmpl string
		resolve         map[string][]string
		allow           []string
		ok              bool
	}{
		{name: "public name", url: "https://api.example.com/token", tmpl: tmpl, resolve: map[string][]string{"api.example.com": {"93.184.216.34"}}, ok: true},
		{name: "name to loopback", url: "https://loop.test/token", tmpl: tmpl, resolve: map[string][]string{"loop.test": {"127.0.0.1"}}},
		{name: "name to ipv6 loopback", url: "https://loop6.test/token", tmpl: tmpl, resolve: map[string][]string{"loop6.test": {"::1"}}},
		{name: "name to metadata", url: "https://meta.test/token", tmpl: tmpl, resolve: map[string][]string{"meta.test": {"169.254.169.254"}}},
		{name: "name to private", url: "https://intranet.test/token", tmpl: tmpl, resolve: map[string][]string{"intranet.test": {"10.0.0.1"}}},
		{name: "one bad answer", url: "https://mixed.test/token", tmpl: tmpl, resolve: map[string][]string{"mixed.test": {"93.184.216.34", "10.0.0.1"}}},
		{name: "allowed network", url: "https://intranet.test/token", tmpl: tmpl, resolve: map[string][]string{"intranet.test": {"10.0.0.1"}}, allow: []string{"10.0.0.0/8"}, ok: true},
		{name: "unresolvable", url: "https://nowhere.test/token", tmpl: tmpl, ok: true},
		{name: "catalog literal name is not looked up", url: "http://sim.test:8080/token", tmpl: "http://sim.test:8080/token", ok: true},
		{name: "webhook name to loopback", url: "https://hooks.test/h", resolve: map[string][]string{"hooks.test": {"127.0.0.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t, guardAllow(tt.allow...))
			for host, as := range tt.resolve {
				s.resolver.set(host, as...)
			}
			u, err := s.g.Preflight(t.Context(), tt.url, tt.tmpl)
			if tt.ok != (err == nil) {
				t.Fatalf("Preflight(%q) = %v, %v; want ok=%v", tt.url, u, err, tt.ok)
			}
			if err != nil {
				wantGuardError(t, err)
			}
		})
	}
}

// TestClient sends requests through a guarded client: to the catalog's
// literal loopback host with its allowance, to the same listener under a
// name without one, and with a redirect that leaves the origin.
func TestClient(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/stolen", http.StatusTemporaryRedirect)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	s := setupGuard(t)
	s.resolver.set("loop.test", "127.0.0.1")
	c := s.g.Client(10 * time.Second)
	t.Cleanup(c.CloseIdleConnections)

	post := func(rawURL, tmpl string) error {
		u, err := s.g.Check(rawURL, tmpl)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(s.g.WithBase(t.Context(), tmpl), http.MethodPost, u.String(), strings.NewReader("client_secret=SECRET"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := post(srv.URL+"/token", srv.URL+"/token"); err != nil {
		t.Fatalf("catalog literal host: %v", err)
	}
	port := strings.TrimPrefix(srv.URL, "http://127.0.0.1:")
	if err := post("http://loop.test:"+port+"/token", "http://${connectionConfig.host}:"+port+"/token"); err == nil {
		t.Fatal("a templated name resolving to loopback was dialled")
	} else {
		wantGuardError(t, err)
	}
	if err := post(srv.URL+"/away", srv.URL+"/away"); err == nil {
		t.Fatal("a redirect off the origin was followed")
	} else {
		wantGuardError(t, err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the other server got %d requests", n)
	}
}
