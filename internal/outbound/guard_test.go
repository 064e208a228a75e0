package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
)

// guardResolver answers from a table; a host with several answers gives
// them in turn (the last one repeats), which is how DNS rebinding looks
// from the client.
type guardResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	calls   map[string]int
}

func (r *guardResolver) set(host string, answers ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var addrs []netip.Addr
	for _, a := range answers {
		addrs = append(addrs, netip.MustParseAddr(a))
	}
	r.answers[host] = append(r.answers[host], addrs)
}

func (r *guardResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	as, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := min(r.calls[host], len(as)-1)
	r.calls[host]++
	return as[i], nil
}

type guardBundle struct {
	g        *Guard
	resolver *guardResolver
}

func setupGuard(t *testing.T, opts ...func(*GuardOptions)) *guardBundle {
	t.Helper()
	r := &guardResolver{answers: map[string][][]netip.Addr{}, calls: map[string]int{}}
	o := GuardOptions{Resolver: r}
	for _, f := range opts {
		f(&o)
	}
	return &guardBundle{g: NewGuard(o), resolver: r}
}

func guardAllow(prefixes ...string) func(*GuardOptions) {
	return func(o *GuardOptions) {
		for _, p := range prefixes {
			o.AllowedNetworks = append(o.AllowedNetworks, netip.MustParsePrefix(p))
		}
	}
}

func wantGuardError(t *testing.T, err error) {
	t.Helper()
	var ge *GuardError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *GuardError", err)
	}
}

func TestGuardTargetJoins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base, endpoint, catalog, want string
	}{
		{"plain", "https://api.example.com", "/v1/users", "https://api.example.com", "https://api.example.com/v1/users"},
		{"no leading slash", "https://api.example.com/api", "v1/users", "https://api.example.com/api", "https://api.example.com/api/v1/users"},
		{"base trailing slash", "https://api.example.com/api/", "/v1", "https://api.example.com/api/", "https://api.example.com/api/v1"},
		{"empty endpoint", "https://api.example.com/api", "", "https://api.example.com/api", "https://api.example.com/api"},
		{"root endpoint", "https://api.example.com/api", "/", "https://api.example.com/api", "https://api.example.com/api/"},
		{"query", "https://api.example.com", "/search?q=a+b&page=2", "https://api.example.com", "https://api.example.com/search?q=a+b&page=2"},
		{"base query kept", "https://api.example.com/api?key=1", "/x?a=b", "https://api.example.com/api?key=${apiKey}", "https://api.example.com/api/x?key=1&a=b"},
		{"query escaped", "https://api.example.com", "/s?q=a b|c", "", "https://api.example.com/s?q=a%20b%7Cc"},
		{"dot segments inside", "https://api.example.com/api", "/a/../b/./c", "", "https://api.example.com/api/b/c"},
		{"dot segment trailing", "https://api.example.com/api", "/a/b/..", "", "https://api.example.com/api/a/"},
		{"encoded slash kept", "https://gitlab.com/api/v4", "/projects/group%2Fproject", "", "https://gitlab.com/api/v4/projects/group%2Fproject"},
		{"space escaped", "https://api.example.com", "/files/my file", "", "https://api.example.com/files/my%20file"},
		{"colon later", "https://sheets.googleapis.com/v4", "/spreadsheets/id/values:batchGet", "", "https://sheets.googleapis.com/v4/spreadsheets/id/values:batchGet"},
		{"at sign later", "https://api.example.com", "/users/@me", "", "https://api.example.com/users/@me"},
		{"host case", "HTTPS://API.Example.COM", "/x", "", "https://api.example.com/x"},
		{"subdomain", "https://acme.atlassian.net", "/rest/api/3/myself", "https://${connectionConfig.subdomain}.atlassian.net", "https://acme.atlassian.net/rest/api/3/myself"},
		{"domain suffix", "https://api.datadoghq.eu", "/api/v1/validate", "https://api.${connectionConfig.site}", "https://api.datadoghq.eu/api/v1/validate"},
		{"whole host", "https://gitlab.acme.io", "/api/v4/user", "https://${connectionConfig.hostname} || https://gitlab.com", "https://gitlab.acme.io/api/v4/user"},
		{"fallback", "https://gitlab.com", "/api/v4/user", "https://${connectionConfig.hostname} || https://gitlab.com", "https://gitlab.com/api/v4/user"},
		{"origin placeholder", "https://na1.salesforce.com", "/services/data", "${connectionConfig.instance_url}", "https://na1.salesforce.com/services/data"},
		{"origin and path", "https://www.zohoapis.eu/crm", "/v2/Leads", "${connectionConfig.api_domain}/crm || https://www.zohoapis.com/crm", "https://www.zohoapis.eu/crm/v2/Leads"},
		{"path placeholder", "https://api.bamboohr.com/api/gateway.php/acme", "/v1/employees", "https://api.bamboohr.com/api/gateway.php/${connectionConfig.companyDomain}", "https://api.bamboohr.com/api/gateway.php/acme/v1/employees"},
		{"simulator", "http://127.0.0.1:8080/hubspot", "/crm/v3/objects/contacts", "http://127.0.0.1:8080/hubspot", "http://127.0.0.1:8080/hubspot/crm/v3/objects/contacts"},
		{"simulator templated path", "http://127.0.0.1:8080/jira/acme", "/rest/api/3/myself", "http://127.0.0.1:8080/jira/${connectionConfig.subdomain}", "http://127.0.0.1:8080/jira/acme/rest/api/3/myself"},
		{"simulator ipv6", "http://[::1]:8080/sim", "/x", "http://[::1]:8080/sim", "http://[::1]:8080/sim/x"},
		{"override on the catalog's host", "http://127.0.0.1:8080/other", "/x", "http://127.0.0.1:8080/hubspot", "http://127.0.0.1:8080/other/x"},
		{"override public", "https://eu.api.example.com/v2", "/x", "https://api.example.com", "https://eu.api.example.com/v2/x"},
		{"override without catalog", "https://api.example.com", "/x", "", "https://api.example.com/x"},
		{"localhost from the catalog", "http://localhost:3003", "/x", "http://localhost:3003", "http://localhost:3003/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t)
			u, err := s.g.Target(tt.base, tt.endpoint, tt.catalog)
			if err != nil {
				t.Fatalf("Target: %v", err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("Target = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestGuardTargetRefusesEndpoint(t *testing.T) {
	t.Parallel()
	endpoints := []string{
		"https://evil.com/x",
		"http://evil.com",
		"HTTPS://evil.com",
		"javascript:alert(1)",
		"evil.com:443/x",
		"//evil.com/x",
		"//evil.com",
		"@evil.com/x",
		"user@evil.com/x",
		`\evil.com`,
		`/\evil.com`,
		`/a\..\..\x`,
		"/..",
		"..",
		"../x",
		"/../x",
		"/a/../../x",
		"/a/./../../x",
		"%2e%2e/x",
		"/%2e%2e/x",
		"/%2E%2e/",
		"/.%2e/x",
		"/%2e/x",
		"/%252e%252e/x",
		"/%25252e%25252e/x",
		"/a%2f..%2f..%2fx",
		"/%5c..%5cx",
		"/x\r\nHost: evil.com",
		"/x?a=b\r\nX: y",
		"/x\nfoo",
		"/x\x00",
		"/x%0d%0aX-Injected: 1",
		"/x%00",
		"/x#frag",
		"/x?a=b#frag",
		"/x%zz",
		"/x%",
		"/x%2",
	}
	bases := []struct{ base, catalog string }{
		{"https://api.example.com/api?api_key=SECRET", "https://api.example.com/api?api_key=${apiKey}"},
		{"http://127.0.0.1:8080/jira/acme", "http://127.0.0.1:8080/jira/${connectionConfig.subdomain}"},
		{"https://api.example.com", ""},
	}
	for _, b := range bases {
		for _, ep := range endpoints {
			t.Run(fmt.Sprintf("%s %q", b.base, ep), func(t *testing.T) {
				t.Parallel()
				s := setupGuard(t)
				u, err := s.g.Target(b.base, ep, b.catalog)
				if err == nil {
					t.Fatalf("Target(%q) = %s, want refused", ep, u)
				}
				wantGuardError(t, err)
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("error leaks the query: %v", err)
				}
			})
		}
	}
}

func TestGuardTargetRefusesBase(t *testing.T) {
	t.Parallel()
	const catalogBase = "https://api.example.com"
	tests := []struct{ name, base, catalog string }{
		{"metadata", "http://169.254.169.254/latest/meta-data", catalogBase},
		{"metadata ipv6", "http://[fd00:ec2::254]/", catalogBase},
		{"alibaba metadata", "http://100.100.100.200/", catalogBase},
		{"gcp metadata name", "http://metadata.google.internal/computeMetadata/v1", catalogBase},
		{"link-local", "http://169.254.1.1/", catalogBase},
		{"link-local ipv6", "http://[fe80::1]/", catalogBase},
		{"ipv6 zone", "http://[fe80::1%25eth0]/", catalogBase},
		{"localhost", "http://localhost:8080/", catalogBase},
		{"localhost subdomain", "http://api.localhost/", catalogBase},
		{"loopback", "http://127.0.0.1/", catalogBase},
		{"loopback other", "http://127.9.9.9/", catalogBase},
		{"loopback ipv6", "http://[::1]/", catalogBase},
		{"private 10", "http://10.0.0.1/", catalogBase},
		{"private 172", "https://172.16.0.1/", catalogBase},
		{"private 192", "https://192.168.1.1/", catalogBase},
		{"private ipv6", "https://[fc00::1]/", catalogBase},
		{"cgnat", "https://100.64.0.1/", catalogBase},
		{"unspecified", "http://0.0.0.0/", catalogBase},
		{"this network", "http://0.1.2.3/", catalogBase},
		{"broadcast", "http://255.255.255.255/", catalogBase},
		{"multicast", "http://224.0.0.1/", catalogBase},
		{"mapped loopback", "http://[::ffff:127.0.0.1]/", catalogBase},
		{"mapped metadata hex", "http://[::ffff:a9fe:a9fe]/", catalogBase},
		{"nat64 metadata", "http://[64:ff9b::a9fe:a9fe]/", catalogBase},
		{"6to4 loopback", "http://[2002:7f00:1::]/", catalogBase},
		{"ipv4-compatible", "http://[::127.0.0.1]/", catalogBase},
		{"decimal ip", "http://2130706433/", catalogBase},
		{"hex ip", "http://0x7f.1/", catalogBase},
		{"hex ip whole", "http://0x7f000001/", catalogBase},
		{"octal ip", "http://0177.0.0.1/", catalogBase},
		{"short ip", "http://127.1/", catalogBase},
		{"numeric tld", "http://a.b.123/", catalogBase},
		{"other simulator port", "http://127.0.0.1:8081/hubspot", "http://127.0.0.1:8080/hubspot"},
		{"localhost is not the catalog's ip", "http://localhost:8080/hubspot", "http://127.0.0.1:8080/hubspot"},
		{"scheme ftp", "ftp://api.example.com/", catalogBase},
		{"scheme file", "file:///etc/passwd", catalogBase},
		{"scheme gopher", "gopher://api.example.com/", catalogBase},
		{"no scheme", "api.example.com/x", catalogBase},
		{"no host", "https:///x", catalogBase},
		{"empty", "", catalogBase},
		{"opaque", "https:api.example.com", catalogBase},
		{"userinfo", "https://user:SECRET@api.example.com", catalogBase},
		{"userinfo empty", "https://@api.example.com", catalogBase},
		{"fragment", "https://api.example.com/#x", catalogBase},
		{"dot segments", "https://api.example.com/a/../b", catalogBase},
		{"encoded dot segments", "https://api.example.com/a/%2e%2e/b", catalogBase},
		{"port zero", "https://api.example.com:0/", catalogBase},
		{"port too big", "https://api.example.com:99999/", catalogBase},
		{"empty port", "https://api.example.com:/", catalogBase},
		{"space", "https://api.example.com /x", catalogBase},
		{"backslash", `https://api.example.com\@evil.com/`, catalogBase},
		{"newline", "https://api.example.com\n/x", catalogBase},
		{"unicode host", "https://аpi.example.com/", catalogBase},
		{"trailing dot", "http://localhost./", catalogBase},
		{"malformed with secret", "https://api.example.com:bad/?token=SECRET", catalogBase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t)
			u, err := s.g.Target(tt.base, "/x?token=SECRET", tt.catalog)
			if err == nil {
				t.Fatalf("Target(%q) = %s, want refused", tt.base, u)
			}
			wantGuardError(t, err)
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

// TestGuardTargetTemplatedHost fills catalog templates the way the proxy
// does (catalog.Interpolate) with connection config values that try to
// move the request somewhere else.
func TestGuardTargetTemplatedHost(t *testing.T) {
	t.Parallel()
	const (
		subdomain = "https://${connectionConfig.subdomain}.atlassian.net"
		hostname  = "https://${connectionConfig.hostname}/api"
		instance  = "${connectionConfig.instance_url}"
		simPath   = "http://127.0.0.1:8080/jira/${connectionConfig.subdomain}"
		fallback  = "https://${connectionConfig.subdomain}.zendesk.com || https://zendesk.com"
	)
	tests := []struct {
		name, tmpl, key, value string
		ok                     bool
	}{
		{"subdomain ok", subdomain, "subdomain", "acme", true},
		{"subdomain with dash", subdomain, "subdomain", "acme-eu", true},
		{"subdomain fragment", subdomain, "subdomain", "evil.com#", false},
		{"subdomain userinfo", subdomain, "subdomain", "a@b", false},
		{"subdomain userinfo host", subdomain, "subdomain", "x@evil.com#", false},
		{"subdomain loopback", subdomain, "subdomain", "127.0.0.1", false},
		{"subdomain metadata", subdomain, "subdomain", "169.254.169.254", false},
		{"subdomain path", subdomain, "subdomain", "evil.com/", false},
		{"subdomain query", subdomain, "subdomain", "evil.com?", false},
		{"subdomain port", subdomain, "subdomain", "evil.com:443", false},
		{"subdomain dots", subdomain, "subdomain", "a.evil", false},
		{"subdomain backslash", subdomain, "subdomain", `evil.com\`, false},
		{"subdomain space", subdomain, "subdomain", "evil.com ", false},
		{"subdomain empty", subdomain, "subdomain", "", false},
		{"subdomain newline", subdomain, "subdomain", "a\nb", false},
		{"hostname ok", hostname, "hostname", "jira.acme.io", true},
		{"hostname loopback", hostname, "hostname", "127.0.0.1", false},
		{"hostname loopback with port", hostname, "hostname", "127.0.0.1:8080", false},
		{"hostname localhost", hostname, "hostname", "localhost", false},
		{"hostname ipv6", hostname, "hostname", "[::1]", false},
		{"hostname metadata", hostname, "hostname", "169.254.169.254", false},
		{"hostname private", hostname, "hostname", "10.0.0.1", false},
		{"hostname decimal", hostname, "hostname", "2130706433", false},
		{"hostname hex", hostname, "hostname", "0x7f.1", false},
		{"hostname userinfo", hostname, "hostname", "api.example.com@127.0.0.1", false},
		{"instance ok", instance, "instance_url", "https://na1.salesforce.com", true},
		{"instance loopback", instance, "instance_url", "http://127.0.0.1:8080", false},
		{"instance userinfo", instance, "instance_url", "https://user@na1.salesforce.com", false},
		{"instance file", instance, "instance_url", "file:///etc/passwd", false},
		{"simulator path ok", simPath, "subdomain", "acme", true},
		{"simulator path traversal", simPath, "subdomain", "../admin", false},
		{"simulator path encoded traversal", simPath, "subdomain", "%2e%2e", false},
		{"simulator path fragment", simPath, "subdomain", "acme#", false},
		{"fallback loopback", fallback, "subdomain", "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t)
			base, err := catalog.Interpolate(tt.tmpl, catalog.Values{"connectionConfig." + tt.key: tt.value})
			if err != nil {
				t.Fatalf("Interpolate: %v", err)
			}
			u, err := s.g.Target(base, "/x", tt.tmpl)
			if tt.ok {
				if err != nil {
					t.Fatalf("Target(%q): %v", base, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Target(%q) = %s, want refused", base, u)
			}
			wantGuardError(t, err)
		})
	}
}

func TestGuardAllowedNetworks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base string
		ok         bool
	}{
		{"allowed private", "http://10.1.2.3/", true},
		{"allowed metadata when configured", "http://169.254.169.254/", true},
		{"other private", "http://192.168.0.1/", false},
		{"loopback not configured", "http://127.0.0.1/", false},
		{"unspecified stays refused", "http://0.0.0.0/", false},
		{"multicast stays refused", "http://224.0.0.1/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t, guardAllow("10.0.0.0/8", "169.254.169.254/32", "224.0.0.0/4", "0.0.0.0/8"))
			_, err := s.g.Target(tt.base, "/x", "https://api.example.com")
			if tt.ok != (err == nil) {
				t.Fatalf("Target(%q) err = %v, want ok=%v", tt.base, err, tt.ok)
			}
		})
	}
	t.Run("localhost name when loopback is allowed", func(t *testing.T) {
		t.Parallel()
		s := setupGuard(t, guardAllow("127.0.0.0/8"))
		if _, err := s.g.Target("http://localhost:9000", "/x", ""); err != nil {
			t.Fatalf("Target: %v", err)
		}
	})
	t.Run("invalid prefixes ignored", func(t *testing.T) {
		t.Parallel()
		g := NewGuard(GuardOptions{AllowedNetworks: []netip.Prefix{{}}})
		if _, err := g.Target("http://10.0.0.1", "/x", ""); err == nil {
			t.Fatal("an invalid prefix allowed something")
		}
	})
}

func TestGuardDial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		resolve map[string][]string
		catalog string // "" for no WithBase
		allow   []string
		network string
		addr    string
		ok      bool
	}{
		{name: "public name", resolve: map[string][]string{"api.example.com": {"93.184.216.34"}}, addr: "api.example.com:443", ok: true},
		{name: "public literal", addr: "93.184.216.34:443", ok: true},
		{name: "rebinding to loopback", resolve: map[string][]string{"rebind.example.com": {"127.0.0.1"}}, addr: "rebind.example.com:443"},
		{name: "rebinding to metadata", resolve: map[string][]string{"rebind.example.com": {"169.254.169.254"}}, addr: "rebind.example.com:80"},
		{name: "rebinding to mapped loopback", resolve: map[string][]string{"rebind.example.com": {"::ffff:127.0.0.1"}}, addr: "rebind.example.com:443"},
		{name: "rebinding to private", resolve: map[string][]string{"rebind.example.com": {"10.0.0.5"}}, addr: "rebind.example.com:443"},
		{name: "one bad answer of two", resolve: map[string][]string{"mixed.example.com": {"93.184.216.34", "127.0.0.1"}}, addr: "mixed.example.com:443"},
		{name: "unresolvable", addr: "nowhere.example.com:443"},
		{name: "numeric name", addr: "2130706433:80"},
		{name: "loopback literal", addr: "127.0.0.1:8080"},
		{name: "loopback literal, other catalog", catalog: "https://api.example.com", addr: "127.0.0.1:8080"},
		{name: "simulator", catalog: "http://127.0.0.1:8080/hubspot", addr: "127.0.0.1:8080", ok: true},
		{name: "simulator templated path", catalog: "http://127.0.0.1:8080/jira/${connectionConfig.subdomain}", addr: "127.0.0.1:8080", ok: true},
		{name: "simulator other port", catalog: "http://127.0.0.1:8080/hubspot", addr: "127.0.0.1:22"},
		{name: "simulator default port", catalog: "http://127.0.0.1/sim", addr: "127.0.0.1:80", ok: true},
		{name: "simulator ipv6", catalog: "http://[::1]:8080/sim", addr: "[::1]:8080", ok: true},
		{name: "simulator other ip", catalog: "http://127.0.0.1:8080/hubspot", addr: "127.0.0.2:8080"},
		{name: "catalog name to loopback", resolve: map[string][]string{"sim.test": {"127.0.0.1"}}, catalog: "http://sim.test:8080", addr: "sim.test:8080", ok: true},
		{name: "catalog name to private", resolve: map[string][]string{"intranet.test": {"10.1.1.1"}}, catalog: "https://intranet.test", addr: "intranet.test:443", ok: true},
		{name: "catalog name to metadata", resolve: map[string][]string{"meta.test": {"169.254.169.254"}}, catalog: "http://meta.test", addr: "meta.test:80"},
		{name: "catalog literal metadata", catalog: "http://169.254.169.254/latest", addr: "169.254.169.254:80", ok: true},
		{name: "catalog fallback literal", catalog: "https://${connectionConfig.hostname} || http://127.0.0.1:8080", addr: "127.0.0.1:8080", ok: true},
		{name: "catalog templated host", catalog: "http://${connectionConfig.host}:8080", addr: "127.0.0.1:8080"},
		{name: "catalog templated port", catalog: "http://127.0.0.1:${connectionConfig.port}", addr: "127.0.0.1:8080"},
		{name: "catalog unspecified", catalog: "http://0.0.0.0:8080", addr: "0.0.0.0:8080"},
		{name: "allowed network", allow: []string{"127.0.0.0/8"}, addr: "127.0.0.1:22", ok: true},
		{name: "allowed network, name", allow: []string{"10.0.0.0/8"}, resolve: map[string][]string{"db.internal": {"10.2.3.4"}}, addr: "db.internal:5432", ok: true},
		{name: "allowed everything but never", allow: []string{"0.0.0.0/0"}, addr: "0.0.0.0:80"},
		{name: "udp", network: "udp", addr: "93.184.216.34:53"},
		{name: "unix", network: "unix", addr: "/var/run/docker.sock"},
		{name: "port zero", addr: "93.184.216.34:0"},
		{name: "zone", addr: "[fe80::1%eth0]:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t, guardAllow(tt.allow...))
			for host, as := range tt.resolve {
				s.resolver.set(host, as...)
			}
			ctx := t.Context()
			if tt.catalog != "" {
				ctx = s.g.WithBase(ctx, tt.catalog)
			}
			network := tt.network
			if network == "" {
				network = "tcp"
			}
			_, _, err := s.g.checkDial(ctx, network, tt.addr)
			if tt.ok {
				if err != nil {
					t.Fatalf("checkDial(%s): %v", tt.addr, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkDial(%s) allowed, want refused", tt.addr)
			}
			if tt.name != "unresolvable" {
				wantGuardError(t, err)
			}
		})
	}
}

// TestGuardDialRebinding: the name is public when the URL is checked and
// on the first dial, then re-resolves to loopback; the second dial is
// refused because the guard checks the addresses it dials.
func TestGuardDialRebinding(t *testing.T) {
	t.Parallel()
	s := setupGuard(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	s.resolver.set("rebind.example.com", "93.184.216.34")
	s.resolver.set("rebind.example.com", "127.0.0.1")
	if _, err := s.g.Target(fmt.Sprintf("http://rebind.example.com:%d", port), "/x", "http://rebind.example.com"); err != nil {
		t.Fatalf("Target: %v", err)
	}
	addr := fmt.Sprintf("rebind.example.com:%d", port)
	if _, _, err := s.g.checkDial(t.Context(), "tcp", addr); err != nil {
		t.Fatalf("first dial check: %v", err)
	}
	conn, err := s.g.DialContext(nil)(t.Context(), "tcp", addr)
	if err == nil {
		conn.Close()
		t.Fatal("dial after rebinding to loopback succeeded")
	}
	wantGuardError(t, err)
}

func TestGuardDialConnects(t *testing.T) {
	t.Parallel()
	s := setupGuard(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s.resolver.set("sim.test", "127.0.0.1")
	dial := s.g.DialContext(&net.Dialer{})

	for _, catalogBase := range []string{
		fmt.Sprintf("http://127.0.0.1:%d/hubspot", port),
		fmt.Sprintf("http://sim.test:%d/hubspot", port),
	} {
		host := strings.TrimPrefix(strings.TrimSuffix(catalogBase, "/hubspot"), "http://")
		ctx := s.g.WithBase(t.Context(), catalogBase)
		conn, err := dial(ctx, "tcp", host)
		if err != nil {
			t.Fatalf("dial %s with the catalog's allowance: %v", host, err)
		}
		conn.Close()
		if conn, err := dial(t.Context(), "tcp", host); err == nil {
			conn.Close()
			t.Fatalf("dial %s without an allowance succeeded", host)
		}
	}
}

func TestGuardCheckRedirect(t *testing.T) {
	t.Parallel()
	chain := func(urls ...string) []*http.Request {
		var via []*http.Request
		for _, u := range urls {
			r, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			via = append(via, r)
		}
		return via
	}
	repeat := func(u string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = u
		}
		return out
	}
	tests := []struct {
		name       string
		via        []string
		to         string
		crossHost  bool
		ok         bool
		keepsCreds bool
	}{
		{name: "same host", via: []string{"https://api.example.com/a"}, to: "https://api.example.com/b", ok: true, keepsCreds: true},
		{name: "same host, explicit port", via: []string{"https://api.example.com/a"}, to: "https://API.example.com:443/b", ok: true, keepsCreds: true},
		{name: "other host", via: []string{"https://api.example.com/a"}, to: "https://evil.com/b"},
		{name: "subdomain is another host", via: []string{"https://example.com/a"}, to: "https://api.example.com/b"},
		{name: "other port", via: []string{"https://api.example.com/a"}, to: "https://api.example.com:8443/b"},
		{name: "upgrade is another origin", via: []string{"http://api.example.com/a"}, to: "https://api.example.com/b"},
		{name: "downgrade", via: []string{"https://api.example.com/a"}, to: "http://api.example.com/b"},
		{name: "downgrade even cross-host allowed", via: []string{"https://api.example.com/a"}, to: "http://cdn.example.com/b", crossHost: true},
		{name: "downgrade later in the chain", via: []string{"https://api.example.com/a", "https://api.example.com/b"}, to: "http://cdn.example.com/c", crossHost: true},
		{name: "cross host allowed", via: []string{"https://api.example.com/a"}, to: "https://cdn.example.com/b", crossHost: true, ok: true},
		{name: "cross host back to the first host", via: []string{"https://api.example.com/a", "https://cdn.example.com/b"}, to: "https://api.example.com/c", crossHost: true, ok: true, keepsCreds: true},
		{name: "cross host to loopback", via: []string{"https://api.example.com/a"}, to: "http://127.0.0.1:8080/", crossHost: true},
		{name: "cross host to metadata", via: []string{"http://api.example.com/a"}, to: "http://169.254.169.254/latest", crossHost: true},
		{name: "cross host to decimal ip", via: []string{"http://api.example.com/a"}, to: "http://2130706433/", crossHost: true},
		{name: "userinfo", via: []string{"https://api.example.com/a"}, to: "https://u:p@api.example.com/b"},
		{name: "ftp", via: []string{"https://api.example.com/a"}, to: "ftp://api.example.com/b", crossHost: true},
		{name: "five hops", via: repeat("https://api.example.com/a", 5), to: "https://api.example.com/b", ok: true, keepsCreds: true},
		{name: "sixth hop", via: repeat("https://api.example.com/a", 6), to: "https://api.example.com/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setupGuard(t)
			req, err := http.NewRequest(http.MethodGet, tt.to, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer SECRET")
			req.Header.Set("Cookie", "session=SECRET")
			req.Header.Set("X-Api-Key", "SECRET")
			req.Header.Set("Referer", "https://api.example.com/a?api_key=SECRET")
			req.Header.Set("Accept", "application/json")
			err = s.g.CheckRedirect(tt.crossHost)(req, chain(tt.via...))
			if !tt.ok {
				if err == nil {
					t.Fatal("redirect allowed, want refused")
				}
				wantGuardError(t, err)
				return
			}
			if err != nil {
				t.Fatalf("redirect refused: %v", err)
			}
			for _, h := range []string{"Authorization", "Cookie", "X-Api-Key", "Referer"} {
				if got := req.Header.Get(h) != ""; got != tt.keepsCreds {
					t.Errorf("%s kept = %v, want %v", h, got, tt.keepsCreds)
				}
			}
			if req.Header.Get("Accept") == "" {
				t.Error("Accept dropped")
			}
		})
	}
}

// TestGuardHTTP runs real requests through a guarded client to a server
// on loopback, the way tests and the demo reach the provider simulator.
func TestGuardHTTP(t *testing.T) {
	t.Parallel()
	type bundle struct {
		*guardBundle
		client      *http.Client
		sim, other  *httptest.Server
		catalogBase string
	}
	setupHTTP := func(t *testing.T, crossHost bool) *bundle {
		t.Helper()
		b := &bundle{guardBundle: setupGuard(t)}
		b.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "other auth=%q", r.Header.Get("Authorization"))
		}))
		t.Cleanup(b.other.Close)
		mux := http.NewServeMux()
		mux.HandleFunc("/sim/ping", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "pong auth=%q", r.Header.Get("Authorization"))
		})
		mux.HandleFunc("/sim/here", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/sim/ping", http.StatusFound)
		})
		mux.HandleFunc("/sim/away", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, b.other.URL+"/x", http.StatusFound)
		})
		b.sim = httptest.NewServer(mux)
		t.Cleanup(b.sim.Close)
		b.catalogBase = b.sim.URL + "/sim"
		tr := b.g.Transport()
		t.Cleanup(tr.CloseIdleConnections)
		b.client = &http.Client{Transport: tr, CheckRedirect: b.g.CheckRedirect(crossHost)}
		return b
	}
	get := func(t *testing.T, b *bundle, ctx context.Context, u *url.URL) (string, error) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer SECRET")
		resp, err := b.client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}

	t.Run("catalog base on loopback", func(t *testing.T) {
		t.Parallel()
		b := setupHTTP(t, false)
		u, err := b.g.Target(b.catalogBase, "/ping", b.catalogBase)
		if err != nil {
			t.Fatalf("Target: %v", err)
		}
		body, err := get(t, b, b.g.WithBase(t.Context(), b.catalogBase), u)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		if want := `pong auth="Bearer SECRET"`; body != want {
			t.Fatalf("body = %s, want %s", body, want)
		}
	})
	t.Run("override to loopback", func(t *testing.T) {
		t.Parallel()
		b := setupHTTP(t, false)
		_, err := b.g.Target(b.catalogBase, "/ping", "https://api.example.com")
		wantGuardError(t, err)
	})
	t.Run("dial without the catalog's allowance", func(t *testing.T) {
		t.Parallel()
		b := setupHTTP(t, false)
		u, _ := url.Parse(b.catalogBase + "/ping")
		_, err := get(t, b, b.g.WithBase(t.Context(), "https://api.example.com"), u)
		wantGuardError(t, err)
		_, err = get(t, b, t.Context(), u)
		wantGuardError(t, err)
	})
	t.Run("redirect on the same host", func(t *testing.T) {
		t.Parallel()
		b := setupHTTP(t, false)
		u, err := b.g.Target(b.catalogBase, "/here", b.catalogBase)
		if err != nil {
			t.Fatalf("Target: %v", err)
		}
		body, err := get(t, b, b.g.WithBase(t.Context(), b.catalogBase), u)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		if !strings.HasPrefix(body, "pong") {
			t.Fatalf("body = %s", body)
		}
	})
	t.Run("redirect to another host", func(t *testing.T) {
		t.Parallel()
		b := setupHTTP(t, false)
		u, err := b.g.Target(b.catalogBase, "/away", b.catalogBase)
		if err != nil {
			t.Fatalf("Target: %v", err)
		}
		_, err = get(t, b, b.g.WithBase(t.Context(), b.catalogBase), u)
		wantGuardError(t, err)
	})
	t.Run("cross-host redirect allowed still dials by policy", func(t *testing.T) {
		t.Parallel()
		b := setupHTTP(t, true)
		u, err := b.g.Target(b.catalogBase, "/away", b.catalogBase)
		if err != nil {
			t.Fatalf("Target: %v", err)
		}
		// The other server is loopback too, and not the catalog's host.
		_, err = get(t, b, b.g.WithBase(t.Context(), b.catalogBase), u)
		wantGuardError(t, err)
	})
}

func TestGuardErrorHasNoQuery(t *testing.T) {
	t.Parallel()
	s := setupGuard(t)
	_, err := s.g.Target("https://api.example.com/api?api_key=SECRET", "/../../x?token=SECRET", "")
	wantGuardError(t, err)
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error leaks a secret: %v", err)
	}
}

func TestGuardClassifyAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want addrClass
	}{
		{"93.184.216.34", addrPublic},
		{"2606:2800:220:1:248:1893:25c8:1946", addrPublic},
		{"64:ff9b::5db8:d822", addrPublic},
		{"127.0.0.1", addrLoopback},
		{"::1", addrLoopback},
		{"::ffff:127.0.0.1", addrLoopback},
		{"10.0.0.1", addrPrivate},
		{"172.31.255.255", addrPrivate},
		{"172.32.0.1", addrPublic},
		{"192.168.0.1", addrPrivate},
		{"fd12::1", addrPrivate},
		{"100.64.0.1", addrPrivate},
		{"169.254.0.1", addrLinkLocal},
		{"fe80::1", addrLinkLocal},
		{"169.254.169.254", addrMetadata},
		{"fd00:ec2::254", addrMetadata},
		{"100.100.100.200", addrMetadata},
		{"64:ff9b::a9fe:a9fe", addrMetadata},
		{"0.0.0.0", addrNever},
		{"::", addrNever},
		{"224.0.0.1", addrNever},
		{"ff02::1", addrNever},
		{"255.255.255.255", addrNever},
	}
	for _, tt := range tests {
		if got := classifyAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("classifyAddr(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// FuzzTarget: endpoints are untrusted. Whatever they are, Target must not
// panic, and a URL it returns stays on the base's scheme and host, below
// the base path, without userinfo, fragment or dot segments.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{
		"/v1/users", "v1/users?x=1", "", "/", "/a/../b", "..", "/%2e%2e/", "//evil.com", "http://evil.com",
		"@evil.com", `\evil.com`, "/x\r\ny", "/%252e%252e", "/a?b#c", "/x%zz", "/é/ü?ß=1", "/a//b", "?q=1",
		"/.%2e/", "/a/%2f../", "/:@!$&'()*+,;=", "/a?b?c", "x:y", "./x", "/a/.",
	} {
		f.Add(s)
	}
	g := NewGuard(GuardOptions{Resolver: &guardResolver{}})
	bases := []struct{ base, catalog, path string }{
		{"https://api.example.com/api", "https://api.example.com/api", "/api"},
		{"http://127.0.0.1:8080/jira/acme?k=v", "http://127.0.0.1:8080/jira/${connectionConfig.subdomain}?k=v", "/jira/acme"},
		{"https://api.example.com", "", ""},
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		for _, b := range bases {
			u, err := g.Target(b.base, endpoint, b.catalog)
			if err != nil {
				var ge *GuardError
				if !errors.As(err, &ge) {
					t.Fatalf("Target(%q): untyped error %v", endpoint, err)
				}
				continue
			}
			base, _ := url.Parse(b.base)
			if u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil || u.Fragment != "" {
				t.Fatalf("Target(%q) = %s: left %s", endpoint, u, b.base)
			}
			again, err := url.Parse(u.String())
			if err != nil {
				t.Fatalf("Target(%q) = %s does not parse: %v", endpoint, u, err)
			}
			if again.Host != base.Host || again.User != nil || again.Fragment != "" || again.Opaque != "" {
				t.Fatalf("Target(%q) = %s reparses onto %s", endpoint, u, again.Host)
			}
			if !strings.HasPrefix(again.EscapedPath(), b.path) {
				t.Fatalf("Target(%q) = %s: path left %s", endpoint, u, b.path)
			}
			if unsafePath(again.EscapedPath(), 3) {
				t.Fatalf("Target(%q) = %s: dot segments", endpoint, u)
			}
			if strings.ContainsAny(u.String(), "\r\n\\ #") {
				t.Fatalf("Target(%q) = %q: unsafe characters", endpoint, u)
			}
		}
	})
}

func BenchmarkGuardTarget(b *testing.B) {
	g := NewGuard(GuardOptions{})
	const tmpl = "https://${connectionConfig.subdomain}.atlassian.net"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Target("https://acme.atlassian.net", "/rest/api/3/search?jql=project%3DABC&maxResults=50", tmpl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGuardCheckDial(b *testing.B) {
	g := NewGuard(GuardOptions{Resolver: &guardResolver{answers: map[string][][]netip.Addr{
		"api.example.com": {{netip.MustParseAddr("93.184.216.34")}},
	}, calls: map[string]int{}}})
	ctx := g.WithBase(context.Background(), "https://api.example.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := g.checkDial(ctx, "tcp", "api.example.com:443"); err != nil {
			b.Fatal(err)
		}
	}
}
