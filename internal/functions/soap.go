package functions

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/fault"
)

// The soap module (js/modules.js) is node-soap's client as Workday's
// templates use it. Its work is done here:
//
//   - soap.client fetches and parses the service's WSDL (WSDLSource; the
//     server's goes through the outbound address policy and a cache);
//   - soap.message writes an operation's request body from the function's
//     arguments (soapxml.go), on the VM's goroutine (no I/O);
//   - soap.call sends the envelope and reads the answer into node-soap's
//     shape, in a goroutine of its own.
//
// The request goes through the proxy (the connection's credentials,
// retries, throttling and call records, as every provider call) when
// its URL is under the provider's base URL or one of the integration's
// allowed_base_urls; any other URL is sent as nango.uncontrolledFetch
// sends it: through the address policy, without the connection's
// credentials.

// WSDLSource is a Host that can read a service's WSDL for the soap
// module: the server's, and a dry run's on the server (Capture passes it
// on). `patchbay test` answers from fixtures, which record no WSDL, so a
// test mocks the client as Nango's tests do.
type WSDLSource interface {
	WSDL(ctx context.Context, url string) (*WSDL, error)
}

// ErrSOAPNotAvailable is what a host without WSDLSource answers.
var ErrSOAPNotAvailable = &HostError{Kind: fault.Invalid, Code: "soap_not_available",
	Message: "soap: createClientAsync needs the service's WSDL, which only a server fetches; in tests, mock the client (vi.spyOn(soap, 'createClientAsync') or vi.mock('soap')) as Nango's tests do"}

// Bounds of the soap module.
const (
	// MaxWSDLBytes bounds a WSDL document. Workday's carry their whole
	// schema and documentation inline (several MiB each); documentation
	// is dropped while parsing, so the parsed form is much smaller.
	MaxWSDLBytes = 32 << 20
	// defaultWSDLCacheBytes bounds the source bytes a WSDLCache keeps.
	defaultWSDLCacheBytes = 64 << 20
	// maxSOAPResponse bounds a response once inflated.
	maxSOAPResponse = 32 << 20
)

// soapWSDLs are the WSDLs an execution's clients use, by URL.
type soapWSDLs struct {
	mu sync.Mutex
	m  map[string]*WSDL
}

func (s *soapWSDLs) get(u string) *WSDL {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[u]
}

func (s *soapWSDLs) put(u string, w *WSDL) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*WSDL{}
	}
	s.m[u] = w
}

func soapArgsError(msg string) error {
	return &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "soap: " + msg}
}

func checkHTTPURL(raw, what string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return soapArgsError(what + " must be an absolute http or https URL")
	}
	return nil
}

// opSOAPClient is soap.createClientAsync: the WSDL's operations and
// endpoint.
func opSOAPClient(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		URL string `json:"url"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if err := checkHTTPURL(args.URL, "the WSDL's URL"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) (any, error) {
		src, ok := x.host.(WSDLSource)
		if !ok {
			return nil, ErrSOAPNotAvailable
		}
		w, err := src.WSDL(ctx, args.URL)
		if err != nil {
			return nil, err
		}
		x.soap.put(args.URL, w)
		return map[string]any{"endpoint": w.Endpoint, "operations": w.Operations}, nil
	}, nil
}

func (x *execution) soapOperation(wsdlURL, name string) (*WSDL, *soapOperation, error) {
	w := x.soap.get(wsdlURL)
	if w == nil {
		return nil, nil, soapArgsError("no client was made from " + wsdlURL)
	}
	op, ok := w.ops[name]
	if !ok {
		return nil, nil, soapArgsError("the WSDL has no operation " + name)
	}
	return w, op, nil
}

// opSOAPMessage writes an operation's request body.
func opSOAPMessage(x *execution, raw json.RawMessage) (any, error) {
	var args struct {
		WSDL      string          `json:"wsdl"`
		Operation string          `json:"operation"`
		Args      json.RawMessage `json:"args"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	w, op, err := x.soapOperation(args.WSDL, args.Operation)
	if err != nil {
		return nil, err
	}
	var in *jnode
	if len(args.Args) > 0 {
		if in, err = parseJNode(args.Args); err != nil {
			return nil, soapArgsError("the arguments: " + err.Error())
		}
	}
	msg, err := w.encodeMessage(op, in)
	if err != nil {
		return nil, &HostError{Kind: fault.Invalid, Code: "soap_not_supported", Message: err.Error()}
	}
	return map[string]string{"message": msg, "soapAction": op.soapAction, "xmlns": w.envelopeXMLNS}, nil
}

// soapResult is an answer as the soap module receives it: the text body
// travels beside the JSON (sideBodied).
type soapResult struct {
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Decoded    *decoded          `json:"decoded,omitempty"`
	ParseError string            `json:"parseError,omitempty"`
	Body       string            `json:"-"`
}

func (r *soapResult) sideBody() (string, bool) { return r.Body, true }

// opSOAPCall sends an envelope and reads the answer.
func opSOAPCall(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		WSDL      string            `json:"wsdl"`
		Operation string            `json:"operation"`
		URL       string            `json:"url"`
		Headers   map[string]string `json:"headers"`
		Body      string            `json:"body"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if err := checkHTTPURL(args.URL, "the endpoint"); err != nil {
		return nil, err
	}
	w, op, err := x.soapOperation(args.WSDL, args.Operation)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (any, error) {
		resp, err := sendSOAP(ctx, x.host, args.URL, args.Headers, args.Body)
		if err != nil {
			return nil, err
		}
		body, err := inflate(resp)
		if err != nil {
			return nil, &HostError{Kind: fault.Upstream, Code: "soap_bad_response", Message: "soap: " + err.Error()}
		}
		out := &soapResult{Status: resp.Status, Headers: resp.Headers, Body: string(body)}
		if d, err := w.decodeResponse(op, body); err != nil {
			out.ParseError = err.Error()
		} else {
			out.Decoded = d
		}
		return out, nil
	}, nil
}

// sendSOAP posts the envelope: through the proxy when the URL is the
// provider's, else as an uncontrolled fetch (see the top of this file).
func sendSOAP(ctx context.Context, h Host, target string, headers map[string]string, body string) (*HTTPResponse, error) {
	resp, err := h.Proxy(ctx, &HTTPRequest{Method: "POST", BaseURLOverride: target, Headers: headers, Body: &body})
	var he *HostError
	if err == nil || !errors.As(err, &he) || he.Code != "base_url_override_not_allowed" {
		return resp, err
	}
	f, ok := h.(Fetcher)
	if !ok {
		return nil, ErrFetchNotAvailable
	}
	return f.Fetch(ctx, &FetchRequest{URL: target, Method: "POST", Headers: headers, Body: &body})
}

// inflate undoes a gzip or deflate Content-Encoding (templates ask for
// one), within maxSOAPResponse.
func inflate(resp *HTTPResponse) ([]byte, error) {
	var enc string
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "content-encoding") {
			enc = strings.ToLower(strings.TrimSpace(v))
		}
	}
	var r io.Reader
	var err error
	switch {
	case enc == "gzip" && bytes.HasPrefix(resp.Body, []byte{0x1f, 0x8b}):
		r, err = gzip.NewReader(bytes.NewReader(resp.Body))
	case enc == "deflate" && len(resp.Body) > 1 && resp.Body[0]&0x0f == 8:
		r, err = zlib.NewReader(bytes.NewReader(resp.Body))
	default:
		return resp.Body, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inflate the response: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSOAPResponse+1))
	if err != nil {
		return nil, fmt.Errorf("inflate the response: %w", err)
	}
	if len(b) > maxSOAPResponse {
		return nil, fmt.Errorf("the response inflates to more than %d MiB", maxSOAPResponse>>20)
	}
	return b, nil
}

// wssePassword is a WS-Security password element's content.
var wssePassword = regexp.MustCompile(`(<(?:[\w.-]+:)?Password\b[^>]*>)[^<]*(</(?:[\w.-]+:)?Password>)`)

// redactWSSecurity hides the passwords of a SOAP envelope's WS-Security
// header, so a dry run's recorded calls (which become test fixtures) do
// not carry them.
func redactWSSecurity(body string) string {
	if !strings.Contains(body, "Password") {
		return body
	}
	return wssePassword.ReplaceAllString(body, "${1}[redacted]${2}")
}

// WSDLCache keeps parsed WSDLs by URL for a while, so every execution of
// a Workday sync does not fetch and parse megabytes again. It holds at
// most MaxEntries documents and MaxBytes of their source, the least
// recently used going first. It is safe for concurrent use.
type WSDLCache struct {
	MaxEntries int           // 0: 8
	MaxBytes   int           // 0: 64 MiB
	TTL        time.Duration // 0: an hour
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *wsdlEntry, most recent first
	byURL map[string]*list.Element
	bytes int
	// loading coalesces concurrent fetches of one URL.
	loading map[string]*wsdlLoad
}

type wsdlEntry struct {
	url     string
	w       *WSDL
	fetched time.Time
}

type wsdlLoad struct {
	done chan struct{}
	w    *WSDL
	err  error
}

// Get returns the WSDL at u, fetching and parsing it when it is not
// cached (or is older than TTL).
func (c *WSDLCache) Get(ctx context.Context, u string, fetch func(ctx context.Context) ([]byte, error)) (*WSDL, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	if c.byURL == nil {
		c.lru, c.byURL, c.loading = list.New(), map[string]*list.Element{}, map[string]*wsdlLoad{}
	}
	if el, ok := c.byURL[u]; ok {
		e := el.Value.(*wsdlEntry)
		ttl := c.TTL
		if ttl <= 0 {
			ttl = time.Hour
		}
		if now().Sub(e.fetched) < ttl {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.w, nil
		}
		c.remove(el)
	}
	if l, ok := c.loading[u]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.w, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &wsdlLoad{done: make(chan struct{})}
	c.loading[u] = l
	c.mu.Unlock()

	l.w, l.err = loadWSDL(ctx, fetch)

	c.mu.Lock()
	delete(c.loading, u)
	if l.err == nil {
		c.add(&wsdlEntry{url: u, w: l.w, fetched: now()})
	}
	c.mu.Unlock()
	close(l.done)
	return l.w, l.err
}

func loadWSDL(ctx context.Context, fetch func(ctx context.Context) ([]byte, error)) (*WSDL, error) {
	data, err := fetch(ctx)
	if err != nil {
		return nil, err
	}
	w, err := ParseWSDL(data)
	if err != nil {
		return nil, &HostError{Kind: fault.Upstream, Code: "invalid_wsdl", Message: "soap: " + err.Error()}
	}
	return w, nil
}

func (c *WSDLCache) add(e *wsdlEntry) {
	maxEntries, maxBytes := c.MaxEntries, c.MaxBytes
	if maxEntries <= 0 {
		maxEntries = 8
	}
	if maxBytes <= 0 {
		maxBytes = defaultWSDLCacheBytes
	}
	if e.w.size > maxBytes {
		return // used by this execution, never kept
	}
	c.byURL[e.url] = c.lru.PushFront(e)
	c.bytes += e.w.size
	for c.lru.Len() > maxEntries || c.bytes > maxBytes {
		c.remove(c.lru.Back())
	}
}

func (c *WSDLCache) remove(el *list.Element) {
	e := el.Value.(*wsdlEntry)
	c.lru.Remove(el)
	delete(c.byURL, e.url)
	c.bytes -= e.w.size
}
