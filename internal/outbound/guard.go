package outbound

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// guardMaxRedirects is how many redirects CheckRedirect follows.
const guardMaxRedirects = 5

// GuardError is why the guard refused a URL, a redirect or a dial. Reason
// never holds a query string, a credential or a connection-config value
// other than a host name.
type GuardError struct {
	Reason string
}

func (e *GuardError) Error() string { return "outbound guard: " + e.Reason }

func guardRefuse(format string, args ...any) error {
	return &GuardError{Reason: fmt.Sprintf(format, args...)}
}

// Resolver looks up a host's addresses; *net.Resolver is one. Tests
// substitute their own to simulate DNS answers (rebinding included).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// GuardOptions configures a Guard. The zero value is the strict default.
type GuardOptions struct {
	// AllowedNetworks are internal ranges every request may reach, for
	// deployments whose providers live on a private network. Invalid
	// prefixes are ignored (config parses them with netip.ParsePrefix, so
	// it has already said which one was wrong). Unspecified and multicast
	// addresses stay refused whatever this says.
	AllowedNetworks []netip.Prefix
	// Resolver resolves host names at dial time; nil means
	// net.DefaultResolver.
	Resolver Resolver
}

// Guard is the address policy of outbound requests (see the package
// doc). One Guard serves every request of a node; per-request allowances
// travel in the request's context (WithBase). It is safe for concurrent
// use.
type Guard struct {
	allowed  []netip.Prefix
	resolver Resolver

	templates     sync.Map // catalog base string → *baseTemplate
	templateCount atomic.Int64
}

// NewGuard builds a Guard from opts.
func NewGuard(opts GuardOptions) *Guard {
	g := &Guard{resolver: opts.Resolver}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	for _, p := range opts.AllowedNetworks {
		if p.IsValid() {
			g.allowed = append(g.allowed, p.Masked())
		}
	}
	return g
}

// Transport is a new http.Transport for guarded requests: the default
// transport's timeouts, DialContext guarded, and no HTTP proxy from the
// environment (a proxy would do the dialling, out of the guard's sight).
// TLS connections are dialled through DialContext too.
func (g *Guard) Transport() *http.Transport {
	return &http.Transport{
		DialContext:           g.DialContext(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Target is the URL to call for endpoint on base. base is the templated
// catalog base URL or a Base-Url-Override (whether the integration allows
// an override is the caller's decision, made before this); catalogBase is
// the catalog's base_url as written, placeholders and "||" fallbacks
// included, or "" when there is none.
//
// Where base came from decides which hosts it may name. A host written
// literally in the catalog (or an override on exactly that host and port)
// is trusted and may be internal; that is the simulator's case. A host
// filled in from connection config, or an override's, must be public:
// internal addresses, localhost and numeric forms such as 2130706433 are
// refused, and names are checked again when dialled. A base that has the
// template's shape but a value that escaped its place (a subdomain of
// "evil.com#", "a@b" or "127.0.0.1") is refused outright, even though it
// might pass as an override.
//
// The endpoint may only add a path and a query below base: absolute and
// scheme-relative URLs, backslashes, control characters, fragments,
// percent-encoded dot segments and ".." that climbs above the base path
// are refused. Plain "." and ".." within the endpoint are resolved here,
// so the provider never sees them.
func (g *Guard) Target(base, endpoint, catalogBase string) (*url.URL, error) {
	b, err := parseBase(base)
	if err != nil {
		return nil, err
	}
	trusted, err := g.template(catalogBase).trust(base, b)
	if err != nil {
		return nil, err
	}
	if err := g.checkHost(b.Hostname(), trusted); err != nil {
		return nil, err
	}
	u, err := joinEndpoint(b, endpoint)
	if err != nil {
		return nil, err
	}
	if u.Scheme != b.Scheme || u.Host != b.Host || u.User != nil {
		// joinEndpoint never changes them; this is the last line of defence.
		return nil, guardRefuse("endpoint changed the base URL's origin")
	}
	return u, nil
}

// parseBase parses and canonicalises a base URL: http or https, a host,
// no userinfo, no fragment, no dot segments.
func parseBase(base string) (*url.URL, error) {
	if base == "" {
		return nil, guardRefuse("empty base URL")
	}
	for i := 0; i < len(base); i++ {
		switch c := base[i]; {
		case c <= ' ' || c == 0x7f:
			return nil, guardRefuse("base URL contains whitespace or control characters")
		case c == '\\':
			return nil, guardRefuse("base URL contains a backslash")
		case c == '#':
			return nil, guardRefuse("base URL contains a fragment")
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		// url.Parse's error quotes the URL, which may carry credentials.
		return nil, guardRefuse("malformed base URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, guardRefuse("base URL scheme must be http or https")
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, guardRefuse("base URL has no host")
	}
	if u.User != nil {
		return nil, guardRefuse("base URL contains userinfo")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return nil, guardRefuse("base URL has no host")
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, guardRefuse("base URL has an invalid port")
		}
		host += ":" + p
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, guardRefuse("base URL has an empty port")
	}
	path := u.EscapedPath()
	if unsafePath(path, 3) {
		return nil, guardRefuse("base URL path contains dot segments")
	}
	return &url.URL{Scheme: scheme, Host: host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}, nil
}

// checkHost applies the address policy to a URL's host before any DNS:
// literal internal addresses need trust or an allowed network, names must
// be names (not the numeric forms some resolvers read as IPs), and
// well-known internal names need the same allowance their address would.
func (g *Guard) checkHost(host string, trusted bool) error {
	host = strings.ToLower(host)
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return guardRefuse("IPv6 zones are not allowed in hosts")
		}
		addr = addr.Unmap()
		cls := classifyAddr(addr)
		switch {
		case cls == addrNever:
			return guardRefuse("address %s is %s", addr, cls)
		case cls == addrPublic, trusted, g.allowedAddr(addr):
			return nil
		}
		return guardRefuse("address %s is %s", addr, cls)
	}
	if err := checkHostName(host); err != nil {
		return err
	}
	if trusted {
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if g.allowedAddr(netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
			return nil
		}
		return guardRefuse("host %q is loopback", host)
	}
	if host == "metadata.google.internal" {
		return guardRefuse("host %q is a cloud metadata service", host)
	}
	return nil
}

// checkHostName refuses what is not a DNS host name. A last label that
// starts with a digit is never a real TLD, but getaddrinfo reads hosts
// like 2130706433 and 0x7f.1 as IPv4 addresses, so such hosts are refused.
func checkHostName(host string) error {
	if host == "" || len(host) > 253 {
		return guardRefuse("invalid host name")
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return guardRefuse("invalid host name %q", host)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return guardRefuse("invalid host name %q", host)
			}
		}
	}
	if last := labels[len(labels)-1]; last[0] >= '0' && last[0] <= '9' {
		return guardRefuse("host %q is a numeric address form", host)
	}
	return nil
}

func (g *Guard) allowedAddr(a netip.Addr) bool {
	for _, p := range g.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// joinEndpoint appends endpoint's path and query to b.
func joinEndpoint(b *url.URL, endpoint string) (*url.URL, error) {
	for i := 0; i < len(endpoint); i++ {
		switch c := endpoint[i]; {
		case c < ' ' || c == 0x7f:
			return nil, guardRefuse("endpoint contains control characters")
		case c == '\\':
			return nil, guardRefuse("endpoint contains a backslash")
		case c == '#':
			return nil, guardRefuse("endpoint contains a fragment")
		}
	}
	rawPath, rawQuery, hasQuery := strings.Cut(endpoint, "?")
	if strings.HasPrefix(rawPath, "//") {
		return nil, guardRefuse("endpoint is a scheme-relative URL")
	}
	if rawPath != "" && rawPath[0] != '/' {
		first, _, _ := strings.Cut(rawPath, "/")
		if strings.ContainsAny(first, ":@") {
			return nil, guardRefuse("endpoint is an absolute URL or names a host")
		}
		rawPath = "/" + rawPath
	}
	p, err := guardEscapePath(rawPath)
	if err != nil {
		return nil, err
	}
	if p, err = guardCleanPath(p); err != nil {
		return nil, err
	}
	// Dot segments left after cleaning were percent-encoded, and a server
	// that decodes before routing would climb with them.
	if unsafePath(p, 3) {
		return nil, guardRefuse("endpoint contains encoded dot segments, backslashes or control characters")
	}

	u := &url.URL{Scheme: b.Scheme, Host: b.Host, RawQuery: b.RawQuery}
	full := b.EscapedPath()
	if p != "" {
		full = strings.TrimSuffix(full, "/") + p
	}
	if u.Path, err = url.PathUnescape(full); err != nil {
		return nil, guardRefuse("malformed percent-encoding in path")
	}
	if u.EscapedPath() != full {
		u.RawPath = full
	}
	if hasQuery && rawQuery != "" {
		q := guardEscapeQuery(rawQuery)
		if u.RawQuery != "" {
			u.RawQuery += "&" + q
		} else {
			u.RawQuery = q
		}
	}
	return u, nil
}

const guardHexDigits = "0123456789ABCDEF"

// guardEscapePath percent-encodes what may not appear raw in a path and
// refuses malformed escapes (which servers decode in different ways).
func guardEscapePath(p string) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%':
			if i+2 >= len(p) || !guardIsHex(p[i+1]) || !guardIsHex(p[i+2]) {
				return "", guardRefuse("malformed percent-encoding in endpoint")
			}
			sb.WriteByte(c)
		case guardPathChar(c):
			sb.WriteByte(c)
		default:
			sb.WriteByte('%')
			sb.WriteByte(guardHexDigits[c>>4])
			sb.WriteByte(guardHexDigits[c&15])
		}
	}
	return sb.String(), nil
}

// guardEscapeQuery percent-encodes bytes that may not appear raw in a query,
// leaving the caller's encoding alone.
func guardEscapeQuery(q string) string {
	var sb strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '%' && i+2 < len(q) && guardIsHex(q[i+1]) && guardIsHex(q[i+2]):
			sb.WriteByte(c)
		case c != '%' && (guardPathChar(c) || c == '?'):
			sb.WriteByte(c)
		default:
			sb.WriteByte('%')
			sb.WriteByte(guardHexDigits[c>>4])
			sb.WriteByte(guardHexDigits[c&15])
		}
	}
	return sb.String()
}

func guardIsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// guardPathChar reports RFC 3986 pchar bytes and '/'.
func guardPathChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}

// guardCleanPath resolves "." and ".." segments of an escaped path that starts
// with "/" (or is empty), refusing ".." that would leave it.
func guardCleanPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	trailing := false
	for _, s := range segs {
		trailing = false
		switch s {
		case ".":
			trailing = true
		case "..":
			if len(out) == 0 {
				return "", guardRefuse("endpoint climbs above the base path")
			}
			out = out[:len(out)-1]
			trailing = true
		default:
			out = append(out, s)
		}
	}
	joined := "/" + strings.Join(out, "/")
	if trailing && len(out) > 0 {
		joined += "/"
	}
	return joined, nil
}

// unsafePath reports whether the escaped path p, or p percent-decoded up
// to depth times, has a "." or ".." segment, a backslash or a control
// character: what a server that decodes (once or more) before routing
// would turn into a climb out of the base path.
func unsafePath(p string, depth int) bool {
	for range depth + 1 {
		for _, s := range strings.Split(p, "/") {
			if s == "." || s == ".." {
				return true
			}
		}
		if strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
			return true
		}
		d, err := url.PathUnescape(p)
		if err != nil || d == p {
			return false
		}
		p = d
	}
	return false
}

// baseTemplate is a catalog base_url compiled for matching templated
// bases against it.
type baseTemplate struct {
	alts []templateAlt
}

type templateAlt struct {
	// strict matches the alternative with every placeholder filled by a
	// value that stays in its place: a host label, a host suffix, a port,
	// a path segment, a query, or a whole http(s) origin.
	strict *regexp.Regexp
	// loose matches it with placeholders filled by anything. It is kept
	// only when a placeholder shares the host with literal text, where a
	// value that escapes (evil.com#, a@b, 127.0.0.1) moves the request to
	// another host.
	loose *regexp.Regexp
	// host and port are set when the alternative's scheme and authority
	// are literal: the catalog itself names that host.
	host, port string
	// places says which part of the URL each placeholder fills.
	places []Placeholder
}

const (
	tmplLabel      = `[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?`
	tmplName       = `[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?`
	tmplSeg        = `[a-z0-9._~!$&'()*+,;=:@-]+`
	tmplQueryClass = `[^#\s]*`
	tmplPortClass  = `[0-9]{1,5}`
	tmplOrigin     = `https?://` + tmplName + `(?::` + tmplPortClass + `)?(?:/[a-z0-9._~!$&'()*+,;=:@/%-]*)?`
)

// guardMaxTemplates bounds the template cache; the catalog's base URLs are a
// few hundred.
const guardMaxTemplates = 4096

func (g *Guard) template(catalogBase string) *baseTemplate {
	if catalogBase == "" {
		return nil
	}
	if t, ok := g.templates.Load(catalogBase); ok {
		return t.(*baseTemplate)
	}
	t := compileTemplate(catalogBase)
	if g.templateCount.Load() < guardMaxTemplates {
		if _, loaded := g.templates.LoadOrStore(catalogBase, t); !loaded {
			g.templateCount.Add(1)
		}
	}
	return t
}

// trust says whether b's host is the catalog's own (trusted), and
// refuses a base that has the template's shape but not its structure.
func (t *baseTemplate) trust(raw string, b *url.URL) (trusted bool, err error) {
	if t == nil {
		return false, nil
	}
	for _, a := range t.alts {
		if a.strict.MatchString(raw) {
			return a.host != "", nil
		}
	}
	for _, a := range t.alts {
		if a.loose != nil && a.loose.MatchString(raw) {
			return false, guardRefuse("a connection config value does not fit the catalog's base URL template")
		}
	}
	// An override: trusted only on the catalog's own literal host and port.
	host, port := b.Hostname(), guardPort(b)
	for _, a := range t.alts {
		if a.host != "" && guardSameHost(a.host, host) && a.port == port {
			return true, nil
		}
	}
	return false, nil
}

func compileTemplate(s string) *baseTemplate {
	t := &baseTemplate{}
	for _, alt := range splitAlternatives(s) {
		if a, ok := compileAlt(alt); ok {
			t.alts = append(t.alts, a)
		}
	}
	return t
}

// splitAlternatives splits on "||" outside placeholders.
func splitAlternatives(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}' && depth > 0:
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], "||"):
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 2
			i++
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

type tmplPart struct {
	lit         string
	placeholder bool
	name        string // a placeholder's text between "${" and "}"
}

// splitPlaceholders splits an alternative into literal text and ${…}
// placeholders (nested braces counted).
func splitPlaceholders(s string) ([]tmplPart, bool) {
	var parts []tmplPart
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			parts = append(parts, tmplPart{lit: s})
			break
		}
		if i > 0 {
			parts = append(parts, tmplPart{lit: s[:i]})
		}
		depth, end := 0, -1
		for j := i; j < len(s) && end < 0; j++ {
			switch s[j] {
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					end = j
				}
			}
		}
		if end < 0 {
			return nil, false
		}
		parts = append(parts, tmplPart{placeholder: true, name: strings.TrimSpace(s[i+2 : end])})
		s = s[end+1:]
	}
	return parts, true
}

type tmplSection int

const (
	tmplScheme tmplSection = iota
	tmplHost
	tmplPort
	tmplPath
	tmplQuery
)

// compileAlt builds the matchers for one alternative by walking it and
// giving each placeholder the character class of the URL part it is in.
func compileAlt(alt string) (templateAlt, bool) {
	parts, ok := splitPlaceholders(alt)
	if !ok || len(parts) == 0 {
		return templateAlt{}, false
	}
	var strict, loose strings.Builder
	var places []Placeholder
	sec := tmplScheme
	hostHasLiteral, hostHasPlaceholder, authorityTemplated := false, false, false
	var literalAuthority strings.Builder
	for i, p := range parts {
		if p.placeholder {
			loose.WriteString(`.*`)
			var part Part
			switch sec {
			case tmplScheme:
				strict.WriteString(tmplOrigin)
				authorityTemplated = true
				sec, part = tmplPath, PartOrigin
			case tmplHost:
				hostHasPlaceholder, authorityTemplated = true, true
				// Followed by more host: a label (a subdomain). Ending
				// the host: a name (a whole host or a domain suffix).
				if i+1 < len(parts) && (parts[i+1].placeholder || !strings.ContainsAny(parts[i+1].lit[:1], ":/?")) {
					strict.WriteString(tmplLabel)
					part = PartHostLabel
				} else {
					strict.WriteString(tmplName)
					part = PartHostName
				}
			case tmplPort:
				strict.WriteString(tmplPortClass)
				authorityTemplated = true
				part = PartPort
			case tmplPath:
				strict.WriteString(tmplSeg)
				part = PartPath
			case tmplQuery:
				strict.WriteString(tmplQueryClass)
				part = PartQuery
			}
			places = append(places, Placeholder{Name: p.name, Part: part})
			continue
		}
		lit := p.lit
		for lit != "" {
			var n int
			switch sec {
			case tmplScheme:
				if k := strings.Index(lit, "://"); k >= 0 {
					n, sec = k+3, tmplHost
				} else {
					n = len(lit)
				}
				if !authorityTemplated {
					literalAuthority.WriteString(lit[:n])
				}
			case tmplHost, tmplPort:
				from := 0
				if sec == tmplHost && strings.HasPrefix(lit, "[") {
					from = strings.IndexByte(lit, ']') + 1 // an IPv6 literal's colons are not a port
				}
				k := strings.IndexAny(lit[from:], ":/?")
				if k >= 0 {
					k += from
				}
				if k < 0 {
					n = len(lit)
				} else {
					n = k
				}
				if n > 0 && sec == tmplHost {
					hostHasLiteral = true
				}
				if !authorityTemplated {
					literalAuthority.WriteString(lit[:n])
				}
				if k >= 0 {
					switch lit[k] {
					case ':':
						if sec == tmplHost {
							sec = tmplPort
							if !authorityTemplated {
								literalAuthority.WriteByte(':')
							}
						} else {
							sec = tmplPath
						}
					case '/':
						sec = tmplPath
					case '?':
						sec = tmplQuery
					}
					if sec == tmplPort {
						n++
					}
				}
			case tmplPath:
				if k := strings.IndexByte(lit, '?'); k >= 0 {
					n, sec = k+1, tmplQuery
				} else {
					n = len(lit)
				}
			case tmplQuery:
				n = len(lit)
			}
			strict.WriteString(regexp.QuoteMeta(lit[:n]))
			loose.WriteString(regexp.QuoteMeta(lit[:n]))
			lit = lit[n:]
		}
	}
	a := templateAlt{places: places}
	var err error
	if a.strict, err = regexp.Compile(`(?i)^` + strict.String() + `/?$`); err != nil {
		return templateAlt{}, false
	}
	if hostHasLiteral && hostHasPlaceholder {
		if a.loose, err = regexp.Compile(`(?is)^` + loose.String() + `/?$`); err != nil {
			return templateAlt{}, false
		}
	}
	if !authorityTemplated && sec != tmplScheme {
		if u, err := url.Parse(literalAuthority.String()); err == nil && u.Host != "" {
			a.host, a.port = strings.ToLower(u.Hostname()), guardPort(u)
		}
	}
	return a, true
}

func guardPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// guardSameHost compares hosts, IP addresses by value.
func guardSameHost(a, b string) bool {
	if x, err := netip.ParseAddr(a); err == nil {
		y, err := netip.ParseAddr(b)
		return err == nil && x.Unmap() == y.Unmap()
	}
	return strings.EqualFold(a, b)
}

type dialPermitKey struct{}

// dialPermit is the per-request allowance WithBase records: the catalog's
// literal hosts, which may be internal.
type dialPermit struct {
	hosts []permitHost
}

type permitHost struct{ host, port string }

// WithBase returns ctx carrying the allowance that the catalog's base URL
// (as written, before templating) grants to this request: dialling the
// catalog's own literal host and port even when it is internal. A literal
// IP is allowed whatever its range (the base URL itself points there); a
// literal name may resolve to loopback or private addresses but not to
// link-local or metadata ones. A templated host grants nothing.
//
// The transport pools connections by host and port, so a connection
// dialled under this allowance may serve a later request to the same
// catalog host. That is why Target refuses overrides and templated hosts
// that name an internal address: the allowance then only ever reaches the
// catalog's own host.
func (g *Guard) WithBase(ctx context.Context, catalogBaseURL string) context.Context {
	p := &dialPermit{}
	if t := g.template(catalogBaseURL); t != nil {
		for _, a := range t.alts {
			if a.host != "" {
				p.hosts = append(p.hosts, permitHost{a.host, a.port})
			}
		}
	}
	return context.WithValue(ctx, dialPermitKey{}, p)
}

// DialContext wraps dialer so that it dials only addresses the policy
// allows: it resolves the host itself, checks every address, and dials
// the checked addresses, so DNS cannot answer differently between check
// and connect. Use it as http.Transport.DialContext with Transport.Proxy
// nil. Only TCP is dialled.
func (g *Guard) DialContext(dialer *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ips, port, err := g.checkDial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		var first error
		for _, ip := range ips {
			c, err := dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, port).String())
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
		}
		return nil, first
	}
}

// checkDial resolves addr and returns the addresses that may be dialled,
// or why none may.
func (g *Guard) checkDial(ctx context.Context, network, addr string) ([]netip.Addr, uint16, error) {
	var lookup string
	switch network {
	case "tcp":
		lookup = "ip"
	case "tcp4":
		lookup = "ip4"
	case "tcp6":
		lookup = "ip6"
	default:
		return nil, 0, guardRefuse("network %q is not allowed", network)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0, guardRefuse("malformed dial address")
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, 0, guardRefuse("invalid port %q", portStr)
	}
	host = strings.ToLower(host)

	var ips []netip.Addr
	literal := false
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return nil, 0, guardRefuse("IPv6 zones are not allowed in hosts")
		}
		ips, literal = []netip.Addr{ip}, true
	} else {
		if err := checkHostName(host); err != nil {
			return nil, 0, err
		}
		if ips, err = g.resolver.LookupNetIP(ctx, lookup, host); err != nil {
			return nil, 0, fmt.Errorf("outbound guard: resolve %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, 0, fmt.Errorf("outbound guard: resolve %s: no addresses", host)
		}
	}

	permitted := false
	if p, _ := ctx.Value(dialPermitKey{}).(*dialPermit); p != nil {
		for _, h := range p.hosts {
			if h.port == portStr && guardSameHost(h.host, host) {
				permitted = true
				break
			}
		}
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap().WithZone("")
		cls := classifyAddr(ip)
		switch {
		case cls == addrNever:
			return nil, 0, guardRefuse("address %s of %s is %s", ip, host, cls)
		case cls == addrPublic, g.allowedAddr(ip):
		case permitted && (literal || cls == addrLoopback || cls == addrPrivate):
		default:
			return nil, 0, guardRefuse("address %s of %s is %s", ip, host, cls)
		}
		out = append(out, ip)
	}
	return out, uint16(port), nil
}

// CheckRedirect is an http.Client.CheckRedirect for guarded requests. It
// follows at most 5 redirects, never from https to http, and only to the
// first request's scheme, host and port unless allowCrossHost. The proxy
// forwards the provider's credentials (Authorization, API-key headers,
// cookies), so a redirect that leaves the origin keeps only a few
// content-negotiation headers: credentials headers of every auth mode's
// naming, and Referer (which carries the previous URL's query, where
// credentials may be), are dropped.
func (g *Guard) CheckRedirect(allowCrossHost bool) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		if len(via) > guardMaxRedirects {
			return guardRefuse("stopped after %d redirects", guardMaxRedirects)
		}
		u := req.URL
		scheme := strings.ToLower(u.Scheme)
		if scheme != "http" && scheme != "https" {
			return guardRefuse("redirect to a non-http(s) URL")
		}
		if u.User != nil {
			return guardRefuse("redirect URL contains userinfo")
		}
		if u.Hostname() == "" {
			return guardRefuse("redirect URL has no host")
		}
		for _, v := range via {
			if strings.EqualFold(v.URL.Scheme, "https") && scheme == "http" {
				return guardRefuse("redirect from https to http")
			}
		}
		first := via[0].URL
		if strings.EqualFold(first.Scheme, scheme) && guardSameHost(first.Hostname(), u.Hostname()) && guardPort(first) == guardPort(u) {
			return nil
		}
		if !allowCrossHost {
			return guardRefuse("redirect to another host (%s)", u.Hostname())
		}
		// The dial check would refuse an internal address too, but a
		// pooled connection to an allowed one would not be dialled again.
		if err := g.checkHost(u.Hostname(), false); err != nil {
			return err
		}
		keepHeaders(req.Header, crossHostHeaders)
		return nil
	}
}

// crossHostHeaders are the headers a redirect to another host keeps.
var crossHostHeaders = []string{"Accept", "Accept-Language", "Content-Language", "Content-Type", "User-Agent"}

func keepHeaders(h http.Header, keep []string) {
	for k := range h {
		found := false
		for _, name := range keep {
			if strings.EqualFold(k, name) {
				found = true
				break
			}
		}
		if !found {
			delete(h, k)
		}
	}
}

// addrClass is how the policy sees an address.
type addrClass int

const (
	addrPublic addrClass = iota
	addrPrivate
	addrLoopback
	addrLinkLocal
	addrMetadata
	addrNever // unspecified, multicast, broadcast, "this network": never dialled
)

func (c addrClass) String() string {
	switch c {
	case addrPublic:
		return "public"
	case addrPrivate:
		return "in a private or reserved range"
	case addrLoopback:
		return "loopback"
	case addrLinkLocal:
		return "link-local"
	case addrMetadata:
		return "a cloud metadata address"
	default:
		return "unspecified, multicast or broadcast"
	}
}

var (
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, …
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
		netip.MustParseAddr("168.63.129.16"),   // Azure wire server
	}
	neverPrefixes = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"), // Linux connects 0.x to the local host
		netip.MustParsePrefix("255.255.255.255/32"),
		netip.MustParsePrefix("::/96"), // unspecified and deprecated IPv4-compatible
	}
	reservedPrefixes = []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT, shared
		netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("240.0.0.0/4"),
		netip.MustParsePrefix("fec0::/10"), // deprecated site-local
		netip.MustParsePrefix("100::/64"),
		netip.MustParsePrefix("2001:db8::/32"),
	}
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// classifyAddr places an address; IPv6 forms that embed an IPv4 address
// (mapped, NAT64, 6to4) are judged by the embedded address.
func classifyAddr(a netip.Addr) addrClass {
	if !a.IsValid() {
		return addrNever
	}
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64Prefix.Contains(a):
			return classifyAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return classifyAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, m := range metadataAddrs {
		if a == m {
			return addrMetadata
		}
	}
	switch {
	case a.IsLoopback():
		return addrLoopback
	case a.IsUnspecified(), a.IsMulticast():
		return addrNever
	}
	for _, p := range neverPrefixes {
		if p.Contains(a) {
			return addrNever
		}
	}
	switch {
	case a.IsLinkLocalUnicast():
		return addrLinkLocal
	case a.IsPrivate():
		return addrPrivate
	}
	for _, p := range reservedPrefixes {
		if p.Contains(a) {
			return addrPrivate
		}
	}
	return addrPublic
}
