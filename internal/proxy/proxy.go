package proxy

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store"
)

// replayLimit is the largest request body kept in memory so that it can be
// sent again on a retry; larger bodies stream once and are not retried
// after they started going out.
const replayLimit = 1 << 20

// Connections gives the proxy a connection with fresh credentials
// (internal/auth's Service).
type Connections interface {
	Connection(ctx context.Context, environmentID, integrationKey, connectionID string, force bool) (*store.Connection, error)
	// Renew returns the connection to retry with after the provider
	// refused c's credentials: the stored ones if they are no longer c's,
	// else refreshed ones (then refreshed is true).
	Renew(ctx context.Context, c *store.Connection) (conn *store.Connection, refreshed bool, err error)
}

// Integrations finds an integration (for its settings and, for OAuth 1.0a,
// its consumer key).
type Integrations interface {
	Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
}

// Options configure a Proxy.
type Options struct {
	Connections  Connections
	Integrations Integrations
	Catalog      *catalog.Catalog
	Guard        *outbound.Guard
	Throttle     *Throttle // nil: no throttling
	Recorder     Recorder
	Logger       *slog.Logger
	// Transport overrides the outbound transport (tests); by default one
	// tuned for many connections per provider host, dialling through the
	// guard.
	Transport http.RoundTripper
	Now       func() time.Time
	// Sleep waits d or until ctx ends (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Proxy sends requests to providers as a connection.
type Proxy struct {
	conns        Connections
	integrations Integrations
	catalog      *catalog.Catalog
	guard        *outbound.Guard
	throttle     *Throttle
	recorder     Recorder
	logger       *slog.Logger
	client       *http.Client
	transport    http.RoundTripper
	now          func() time.Time
	sleep        func(ctx context.Context, d time.Duration) error
}

// New returns a Proxy.
func New(o Options) *Proxy {
	p := &Proxy{conns: o.Connections, integrations: o.Integrations, catalog: o.Catalog, guard: o.Guard,
		throttle: o.Throttle, recorder: o.Recorder, logger: o.Logger, now: o.Now, sleep: o.Sleep}
	if p.guard == nil {
		p.guard = outbound.NewGuard(outbound.GuardOptions{})
	}
	if p.recorder == nil {
		p.recorder = discardRecorder{}
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.sleep == nil {
		p.sleep = sleepContext
	}
	transport := o.Transport
	if transport == nil {
		t := p.guard.Transport()
		// Many callers share few provider hosts: keep their connections.
		t.MaxIdleConns = 1024
		t.MaxIdleConnsPerHost = 256
		// Bodies pass through as the provider sent them unless the
		// caller asks for Decompress.
		t.DisableCompression = true
		transport = t
	}
	p.transport = transport
	p.client = &http.Client{Transport: transport, CheckRedirect: p.guard.CheckRedirect(false)}
	return p
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Request is one proxied call.
type Request struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	Method         string
	// Endpoint is the path (and query) after the provider's base URL.
	Endpoint string
	// Header is sent to the provider as is, under the injected credentials.
	Header http.Header
	Body   io.Reader
	// ContentLength is the body's length, -1 when unknown.
	ContentLength int64
	// Retries is how often a failed call may be retried (Nango's Retries
	// header); RetryOn adds statuses to retry.
	Retries int
	RetryOn []int
	// BaseURLOverride replaces the provider's base URL; it must be the
	// provider's own or one the integration allows.
	BaseURLOverride string
	// Decompress makes the proxy decode gzip/deflate responses.
	Decompress bool
	// linkOrigin lets a BaseURLOverride that is exactly the provider's
	// base URL's scheme and host through: pagination follows a next link
	// outside the base URL's path that way, as Nango's runtime does.
	linkOrigin bool
}

// Error is a failure before any provider answer reached the caller. It
// says what went wrong; internal/api chooses the HTTP status from Kind.
type Error struct {
	Kind    fault.Kind
	Code    string
	Message string
	Err     error
}

// Error is the code and message, then the cause unless the message
// already quotes it.
func (e *Error) Error() string { return fault.Describe(e.Code, e.Message, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// FaultKind reports Kind to fault.KindOf.
func (e *Error) FaultKind() fault.Kind { return e.Kind }

// Fault is what the caller is told, for internal/api.
func (e *Error) Fault() fault.Detail {
	return fault.Detail{Kind: e.Kind, Code: e.Code, Message: e.Message}
}

func errorf(kind fault.Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Do sends req to the provider and returns its response, whatever its
// status: provider errors pass through unchanged. The caller must close
// the body; the call is recorded when it does.
func (p *Proxy) Do(ctx context.Context, req *Request) (*http.Response, error) {
	start := p.now()
	call := Call{EnvironmentID: req.EnvironmentID, IntegrationKey: req.IntegrationKey, ConnectionID: req.ConnectionID,
		Method: req.Method, Start: start, RequestBytes: req.ContentLength, ResponseBytes: -1}
	resp, err := p.do(ctx, req, &call)
	if err != nil {
		call.Duration = p.now().Sub(start)
		call.Error = err.Error()
		p.recorder.Record(ctx, call)
		return nil, err
	}
	call.Status = resp.StatusCode
	resp.Body = &recordingBody{ReadCloser: resp.Body, done: func(n int64) {
		call.ResponseBytes = n
		call.Duration = p.now().Sub(start)
		p.recorder.Record(ctx, call)
	}}
	return resp, nil
}

// resolve finds what every call of req needs: the connection with fresh
// credentials, its catalog entry and integration, and the base URL.
func (p *Proxy) resolve(ctx context.Context, req *Request) (*store.Connection, *catalog.Provider, *store.Integration, string, error) {
	conn, err := p.conns.Connection(ctx, req.EnvironmentID, req.IntegrationKey, req.ConnectionID, false)
	if err != nil {
		return nil, nil, nil, "", err
	}
	prov, ok := p.catalog.Lookup(conn.Provider)
	if !ok {
		return nil, nil, nil, "", errorf(fault.Invalid, "unknown_provider", "provider %q of integration %q is not in the catalog", conn.Provider, req.IntegrationKey)
	}
	integ, err := p.integrations.Get(ctx, req.EnvironmentID, req.IntegrationKey)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("integration %q: %w", req.IntegrationKey, err)
	}
	base, err := p.baseURL(prov, integ, conn, req.BaseURLOverride, req.linkOrigin)
	if err != nil {
		return nil, nil, nil, "", err
	}
	return conn, prov, integ, base, nil
}

func (p *Proxy) do(ctx context.Context, req *Request, call *Call) (*http.Response, error) {
	conn, prov, integ, base, err := p.resolve(ctx, req)
	if err != nil {
		return nil, err
	}
	catalogBase := ""
	if prov.Proxy != nil {
		catalogBase = prov.Proxy.BaseURL
	}
	target, err := p.guard.Target(base, req.Endpoint, catalogBase)
	if err != nil {
		return nil, &Error{Kind: fault.Invalid, Code: "invalid_endpoint", Message: err.Error(), Err: err}
	}

	body, replayable, err := prepareBody(req.Body, req.ContentLength)
	if err != nil {
		return nil, errorf(fault.Invalid, "", "read the request body: %v", err)
	}
	policy := RetryPolicy{Max: req.Retries, RetryOn: req.RetryOn}
	if prov.Proxy != nil {
		policy.Rule = prov.Proxy.Retry
	}
	limit, throttled := EffectiveLimit(prov, integ)
	ctx = p.guard.WithBase(ctx, catalogBase)
	renewals, refreshed := 0, false
	for attempt := 0; ; attempt++ {
		if throttled && p.throttle != nil {
			if err := p.throttle.Wait(ctx, "conn:"+conn.ID, limit); err != nil {
				return nil, err
			}
		}
		call.Attempts = attempt + 1
		out, redacted, err := p.build(ctx, req, target, prov, integ, conn, body)
		if err != nil {
			return nil, err
		}
		call.URL = redacted
		resp, sendErr := p.send(out)
		if sendErr != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// A 401 may mean the token was revoked or rotated early: renew it
		// and try again, when the body can be sent again. Renewing refreshes
		// only if the refused token is still the stored one, else it hands
		// over the stored one, which may have been refused too (this node's
		// copy was older, or it was rotated meanwhile): then once more. A
		// token refreshed for this call and still refused stays refused.
		if sendErr == nil && resp.StatusCode == http.StatusUnauthorized && !refreshed && renewals < 2 && body.replayable() && auth.Refreshable(&conn.Credentials) {
			renewals++
			fresh, didRefresh, err := p.conns.Renew(ctx, conn)
			refreshed = didRefresh
			if err == nil {
				drain(resp)
				conn = fresh
				attempt--
				continue
			}
			p.logger.DebugContext(ctx, "refresh after 401 failed", "integration", req.IntegrationKey, "err", err)
		}
		if !replayable || !body.replayable() {
			return finish(resp, sendErr, req.Decompress)
		}
		facts := responseFacts(policy, resp, sendErr)
		retry, wait := policy.Decide(attempt, req.Method, req.Retries > 0, facts, sendErr, p.now())
		if !retry {
			if facts != nil && facts.Body != nil {
				// The peeked prefix goes back in front of the rest.
				resp.Body = readCloser{io.MultiReader(bytes.NewReader(facts.Body), resp.Body), resp.Body}
			}
			return finish(resp, sendErr, req.Decompress)
		}
		if resp != nil {
			drain(resp)
		}
		p.logger.DebugContext(ctx, "retrying provider call", "integration", req.IntegrationKey, "attempt", attempt+1, "wait", wait)
		if err := p.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// send makes one call. Bodiless GETs and HEADs, nearly every proxied
// call, go to the transport directly and follow redirects here under the
// guard's policy, which spares them http.Client's bookkeeping (a copy of
// all headers and a context per request). Other methods go through the
// client, whose CheckRedirect is the same policy.
func (p *Proxy) send(out *http.Request) (*http.Response, error) {
	if (out.Method != http.MethodGet && out.Method != http.MethodHead) || out.Body != nil {
		return p.client.Do(out)
	}
	via := []*http.Request{}
	req := out
	for {
		resp, err := p.transport.RoundTrip(req)
		if err != nil {
			return nil, &url.Error{Op: req.Method, URL: redactURL(req.URL, nil), Err: err}
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return resp, nil
		}
		loc := resp.Header.Get("Location")
		if loc == "" {
			return resp, nil
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			drain(resp)
			return nil, &url.Error{Op: req.Method, URL: redactURL(req.URL, nil), Err: fmt.Errorf("bad redirect location: %w", err)}
		}
		drain(resp)
		via = append(via, req)
		again := req.Clone(req.Context())
		again.URL = next
		again.Host = ""
		if err := p.redirect(again, via); err != nil {
			return nil, &url.Error{Op: req.Method, URL: redactURL(next, nil), Err: err}
		}
		req = again
	}
}

// redirect applies the guard's redirect policy, the one p.client uses.
func (p *Proxy) redirect(req *http.Request, via []*http.Request) error {
	if p.client.CheckRedirect == nil {
		return nil
	}
	return p.client.CheckRedirect(req, via)
}

// responseFacts is what the retry decision needs from a response: the
// start of its body only when the provider's rule looks inside it.
func responseFacts(policy RetryPolicy, resp *http.Response, err error) *Response {
	if err != nil || resp == nil {
		return nil
	}
	f := &Response{Status: resp.StatusCode, Header: resp.Header}
	if policy.NeedsBody(resp.StatusCode) {
		f.Body, _ = io.ReadAll(io.LimitReader(resp.Body, RetryBodyLimit))
		if f.Body == nil {
			f.Body = []byte{}
		}
	}
	return f
}

func finish(resp *http.Response, err error, decompress bool) (*http.Response, error) {
	if err != nil {
		return nil, &Error{Kind: fault.Upstream, Code: "provider_unreachable", Message: "the provider could not be reached: " + redactError(err), Err: redacted{err}}
	}
	if decompress {
		if err := decode(resp); err != nil {
			resp.Body.Close()
			return nil, &Error{Kind: fault.Upstream, Code: "invalid_provider_response", Message: "could not decompress the provider's response", Err: err}
		}
	}
	return resp, nil
}

// redactError keeps a transport error's kind without the URL, whose query
// may hold credentials.
// redacted is a cause whose text goes through redactError, so that an
// Error's text (and every log of it) keeps the URL's secrets out while
// errors.Is and errors.As still reach the cause.
type redacted struct{ err error }

func (r redacted) Error() string { return redactError(r.err) }
func (r redacted) Unwrap() error { return r.err }

func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// decode replaces a gzip- or deflate-encoded body with its decoding.
func decode(resp *http.Response) error {
	var r io.ReadCloser
	var err error
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(resp.Body)
	case "deflate":
		r = flate.NewReader(resp.Body)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	resp.Body = readCloser{r, multiCloser{r, resp.Body}}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var err error
	for _, c := range m {
		err = errors.Join(err, c.Close())
	}
	return err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// baseURL picks and fills the provider's base URL, or the caller's
// override when the integration allows it.
func (p *Proxy) baseURL(prov *catalog.Provider, integ *store.Integration, conn *store.Connection, override string, originOK bool) (string, error) {
	values := lazyValues{conn: conn, now: p.now}
	var base string
	if prov.Proxy != nil && prov.Proxy.BaseURL != "" {
		b, err := values.fill(prov.Proxy.BaseURL)
		if err != nil {
			return "", errorf(fault.Invalid, "missing_connection_config", "the provider's base URL needs %v", err)
		}
		base = b
	}
	if override != "" {
		if !overrideAllowed(override, base, integ.Settings.AllowedBaseURLs) && !(originOK && isOriginOf(override, base)) {
			return "", errorf(fault.Invalid, "base_url_override_not_allowed",
				"Base-Url-Override must be the provider's base URL or one of the integration's settings.allowed_base_urls")
		}
		return override, nil
	}
	if base == "" {
		return "", errorf(fault.Invalid, "missing_base_url", "provider %q has no proxy base URL; send Base-Url-Override", prov.Name)
	}
	return base, nil
}

// isOriginOf reports whether origin is base's scheme://host[:port].
func isOriginOf(origin, base string) bool {
	u, err := url.Parse(base)
	return err == nil && u.Host != "" && linkOrigin(u) == origin
}

func overrideAllowed(override, base string, allowed []string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.ToLower(s), "/") }
	o := norm(override)
	if base != "" && (o == norm(base) || strings.HasPrefix(o, norm(base)+"/")) {
		return true
	}
	for _, a := range allowed {
		if o == norm(a) || strings.HasPrefix(o, norm(a)+"/") {
			return true
		}
	}
	return false
}

// build makes the outgoing request: caller headers, then credentials as
// the catalog says. It returns the URL with credentials redacted, for logs.
func (p *Proxy) build(ctx context.Context, req *Request, target *url.URL, prov *catalog.Provider, integ *store.Integration, conn *store.Connection, body *replayBody) (*http.Request, string, error) {
	u := *target
	values := lazyValues{conn: conn, now: p.now}
	var secretParams []string
	if prov.Proxy != nil && len(prov.Proxy.Query) > 0 {
		q := u.Query()
		for k, t := range prov.Proxy.Query {
			v, err := values.fill(t)
			if err != nil {
				return nil, "", errorf(fault.Invalid, "missing_credentials", "the provider's query template %q needs %v", k, err)
			}
			q.Set(k, v)
			secretParams = append(secretParams, k)
		}
		u.RawQuery = q.Encode()
	}
	out, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body.reader())
	if err != nil {
		return nil, "", errorf(fault.Invalid, "invalid_request", "%v", err)
	}
	out.ContentLength = body.length()
	if body.replayable() {
		out.GetBody = func() (io.ReadCloser, error) { return body.reader(), nil }
	}
	for k, vs := range req.Header {
		out.Header[k] = append([]string(nil), vs...)
	}
	templated := false
	if prov.Proxy != nil {
		for k, t := range prov.Proxy.Headers {
			v, err := values.fill(t)
			if err != nil {
				return nil, "", errorf(fault.Invalid, "missing_credentials", "the provider's header template %q needs %v", k, err)
			}
			out.Header.Set(k, v)
			if strings.EqualFold(k, "authorization") {
				templated = true
			}
		}
	}
	if !templated {
		if err := p.authorize(out, integ, conn); err != nil {
			return nil, "", err
		}
	}
	return out, redactURL(&u, secretParams), nil
}

// lazyValues fills catalog templates, building the connection's template
// values only when a template has a placeholder: most headers are
// constants and this runs on every proxied call.
type lazyValues struct {
	conn   *store.Connection
	now    func() time.Time
	values catalog.Values
}

func (l *lazyValues) fill(template string) (string, error) {
	if !strings.Contains(template, "${") {
		return template, nil
	}
	if l.values == nil {
		l.values = auth.TemplateValues(l.conn.ConnectionConfig, &l.conn.Credentials, l.now())
	}
	return catalog.Interpolate(template, l.values)
}

// authorize adds the auth mode's default credentials.
func (p *Proxy) authorize(out *http.Request, integ *store.Integration, conn *store.Connection) error {
	c := &conn.Credentials
	if h := auth.AuthorizationHeader(c); h != "" {
		out.Header.Set("Authorization", h)
		return nil
	}
	if err := authmode.Sign(out, &integ.Credentials, c, p.now); err != nil {
		return errorf(fault.Invalid, "invalid_request", "sign the request: %v", err)
	}
	return nil
}

// secretQueryNames are query parameters redacted in logs even when the
// caller, not the catalog, put them there.
var secretQueryNames = []string{"token", "key", "secret", "password", "signature", "access_token", "api_key", "apikey", "client_secret", "code", "sig"}

func redactURL(u *url.URL, secretParams []string) string {
	if u.RawQuery == "" {
		return u.String()
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		secret := false
		for _, s := range secretParams {
			if strings.EqualFold(s, k) {
				secret = true
			}
		}
		for _, s := range secretQueryNames {
			if strings.Contains(lk, s) {
				secret = true
			}
		}
		if secret {
			q.Set(k, "REDACTED")
		}
	}
	r := *u
	r.RawQuery = q.Encode()
	return r.String()
}

// replayBody is a request body that can be sent more than once when it is
// small enough to keep.
type replayBody struct {
	data   []byte
	stream io.Reader // set when too large to keep; sent once
	used   atomic.Bool
	n      int64
}

func (b *replayBody) replayable() bool { return b.stream == nil }

func (b *replayBody) length() int64 {
	if b.stream == nil && b.data == nil {
		return 0
	}
	return b.n
}

func (b *replayBody) reader() io.ReadCloser {
	if b.stream != nil {
		if b.used.Swap(true) {
			return io.NopCloser(strings.NewReader(""))
		}
		return io.NopCloser(b.stream)
	}
	if b.data == nil {
		return nil
	}
	return io.NopCloser(bytes.NewReader(b.data))
}

// prepareBody keeps bodies up to replayLimit in memory and streams larger
// ones; it reports whether retries may resend it.
func prepareBody(r io.Reader, length int64) (*replayBody, bool, error) {
	if r == nil || length == 0 {
		return &replayBody{}, true, nil
	}
	if length > replayLimit {
		return &replayBody{stream: r, n: length}, false, nil
	}
	head, err := io.ReadAll(io.LimitReader(r, replayLimit+1))
	if err != nil {
		return nil, false, err
	}
	if len(head) <= replayLimit {
		return &replayBody{data: head, n: int64(len(head))}, true, nil
	}
	return &replayBody{stream: io.MultiReader(bytes.NewReader(head), r), n: length}, false, nil
}

// recordingBody counts the bytes the caller reads and records the call
// once, on Close.
type recordingBody struct {
	io.ReadCloser
	n    int64
	once atomic.Bool
	done func(n int64)
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *recordingBody) Close() error {
	err := b.ReadCloser.Close()
	if !b.once.Swap(true) {
		b.done(b.n)
	}
	return err
}
