package outbound

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Part is the part of a URL a template's placeholder fills.
type Part int

// The parts a placeholder may fill.
const (
	// PartHostLabel is one label of a host name: the subdomain of
	// https://${connectionConfig.subdomain}.atlassian.net.
	PartHostLabel Part = iota + 1
	// PartHostName ends the host: a whole host name
	// (https://${connectionConfig.hostname}) or a domain suffix
	// (https://api.${connectionConfig.site}).
	PartHostName
	// PartPort is the port.
	PartPort
	// PartPath is one path segment.
	PartPath
	// PartQuery is part of the query.
	PartQuery
	// PartOrigin is a whole http(s) origin, perhaps with a path:
	// ${connectionConfig.instance_url}.
	PartOrigin
)

func (p Part) String() string {
	switch p {
	case PartHostLabel:
		return "a host label"
	case PartHostName:
		return "a host name"
	case PartPort:
		return "a port"
	case PartPath:
		return "a path segment"
	case PartQuery:
		return "a query"
	case PartOrigin:
		return "an http(s) URL"
	}
	return "an unknown part"
}

// Host reports whether a value in this part decides the host a request
// goes to.
func (p Part) Host() bool {
	return p == PartHostLabel || p == PartHostName || p == PartPort || p == PartOrigin
}

// Placeholder is one ${…} of a URL template and the part it fills.
type Placeholder struct {
	// Name is the text between "${" and "}", such as
	// "connectionConfig.hostname".
	Name string
	Part Part
}

// Placeholders lists the placeholders of a catalog URL template (every
// "||" alternative) with the part of the URL each fills, so that a flow
// can check each value it was given for its place before it builds the
// URL (CheckValue). A placeholder used twice is listed twice.
func (g *Guard) Placeholders(template string) []Placeholder {
	t := g.template(template)
	if t == nil {
		return nil
	}
	var out []Placeholder
	for _, a := range t.alts {
		out = append(out, a.places...)
	}
	return out
}

var (
	labelRe = regexp.MustCompile(`(?i)^` + tmplLabel + `$`)
	nameRe  = regexp.MustCompile(`(?i)^` + tmplName + `$`)
	portRe  = regexp.MustCompile(`^` + tmplPortClass + `$`)
	segRe   = regexp.MustCompile(`(?i)^` + tmplSeg + `$`)
	queryRe = regexp.MustCompile(`^` + tmplQueryClass + `$`)
)

// CheckValue checks that value may fill a placeholder in part: a host
// label is letters, digits, '-' and '_'; a host name is labels joined by
// dots, neither an internal address nor a numeric form some resolvers read
// as one (an address the operator allowed passes); a port is a number; a
// path segment has no '/', '?', '#', '%' or dot segment; an origin is an
// http(s) URL whose host a host name would be. It does not resolve names
// (Preflight does, on the whole URL). The error never quotes value.
func (g *Guard) CheckValue(part Part, value string) error {
	switch part {
	case PartHostLabel:
		if !labelRe.MatchString(value) {
			return guardRefuse("not a host label (letters, digits, '-' and '_' only)")
		}
	case PartHostName:
		if !nameRe.MatchString(value) {
			return guardRefuse("not a host name (no scheme, port, path, userinfo or spaces)")
		}
		return g.checkHost(value, false)
	case PartPort:
		if n, err := strconv.Atoi(value); !portRe.MatchString(value) || err != nil || n < 1 || n > 65535 {
			return guardRefuse("not a port number")
		}
	case PartPath:
		if !segRe.MatchString(value) || value == "." || value == ".." {
			return guardRefuse("not a single path segment")
		}
	case PartQuery:
		if !queryRe.MatchString(value) {
			return guardRefuse("not a query (no '#' or spaces)")
		}
	case PartOrigin:
		b, err := parseBase(value)
		if err != nil {
			return err
		}
		return g.checkHost(b.Hostname(), false)
	default:
		return guardRefuse("unknown URL part")
	}
	return nil
}

// Check checks a URL filled from a catalog URL template (authorization,
// token, refresh, request or base URL) before a request to it, or before a
// browser is sent there. The URL must match the template with every
// placeholder's value in its place (on a host the template names
// literally, the host and port matching are enough: values elsewhere
// cannot move it); unlike Target, it may not be an override. Its host must
// be the template's own literal host (which may be internal: the catalog
// says so) or a host the address policy allows. A
// template of "" trusts nothing: the URL came from elsewhere (a customer's
// webhook URL) and its host must be allowed by the policy alone. It
// returns the URL in canonical form. Pair it with WithBase(ctx, template)
// on the request and a client from Client.
func (g *Guard) Check(rawURL, template string) (*url.URL, error) {
	u, _, err := g.check(rawURL, template)
	return u, err
}

func (g *Guard) check(rawURL, template string) (*url.URL, bool, error) {
	b, err := parseBase(rawURL)
	if err != nil {
		return nil, false, err
	}
	trusted := false
	if t := g.template(template); t != nil {
		matched := false
		for _, a := range t.alts {
			if a.strict.MatchString(rawURL) {
				matched, trusted = true, a.host != ""
				break
			}
		}
		// A value the strict classes do not take (an API key with a '/' in
		// a path placeholder) cannot move a URL off a literal host: the
		// catalog's own host and port are enough there.
		for _, a := range t.alts {
			if !matched && a.host != "" && guardSameHost(a.host, b.Hostname()) && a.port == guardPort(b) {
				matched, trusted = true, true
			}
		}
		if !matched {
			return nil, false, guardRefuse("a connection config value does not fit its place in the catalog's URL")
		}
	}
	if err := g.checkHost(b.Hostname(), trusted); err != nil {
		return nil, false, err
	}
	return b, trusted, nil
}

// Preflight is Check, then, for a host the template does not name
// literally, a DNS lookup whose every answer must be allowed: a name that
// resolves to an internal address is refused before anything is sent or a
// browser is redirected there. A lookup that fails refuses nothing (the
// request would fail anyway, and DialContext checks what it dials); DNS
// may also answer differently later, which DialContext catches too.
func (g *Guard) Preflight(ctx context.Context, rawURL, template string) (*url.URL, error) {
	u, trusted, err := g.check(rawURL, template)
	if err != nil || trusted {
		return u, err
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return u, nil // checkHost judged the literal address
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return u, nil
	}
	for _, ip := range ips {
		ip = ip.Unmap().WithZone("")
		if cls := classifyAddr(ip); cls != addrPublic && (cls == addrNever || !g.allowedAddr(ip)) {
			return nil, guardRefuse("host %s resolves to %s, which is %s", strings.ToLower(host), ip, cls)
		}
	}
	return u, nil
}

// Client returns an http.Client for requests to providers or customers:
// a new guarded Transport (so callers of different trust, providers' hosts
// and customers' webhook URLs, never share pooled connections), redirects
// kept on the first request's origin (CheckRedirect(false)), and timeout.
// Its requests must be checked first (Check, Target) and carry WithBase
// for the catalog's literal hosts to be dialled when they are internal.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: g.Transport(), CheckRedirect: g.CheckRedirect(false), Timeout: timeout}
}
