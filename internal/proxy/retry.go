package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
)

// Defaults of RetryPolicy's zero fields.
const (
	DefaultRetryBase    = 200 * time.Millisecond
	DefaultRetryCap     = 30 * time.Second
	DefaultRetryMaxWait = 60 * time.Second
)

// RetryBodyLimit is how much of an error body Decide looks at for an
// in-body retry hint; the caller need not read more (see NeedsBody).
const RetryBodyLimit = 16 << 10

// minHintWait is the wait used when a provider's hint is already due: the
// provider's clock may lag ours, and epoch-second resets are truncated.
const minHintWait = time.Second

// maxHint bounds parsed hints so that absurd values from a provider cannot
// overflow a time.Duration; anything near it is far above any MaxWait.
const maxHint = 100 * 365 * 24 * time.Hour

// Response is what a retry decision needs to know about a provider's
// reply. The proxy fills it from *http.Response: Header as received
// (canonical keys), and Body only when NeedsBody says so, with at most
// RetryBodyLimit leading bytes (the rest keeps streaming to the caller).
type Response struct {
	Status int
	Header http.Header
	// Body is a prefix of the response body, or nil when it was not read.
	Body []byte
}

// RetryPolicy decides whether and when to retry a proxied request. It does
// no I/O and never sleeps: the caller waits the returned duration under its
// own context, and gives up when that context ends first.
//
// Zero fields take the Default… values; Max 0 means no retries (Nango's
// default for the Retries header).
type RetryPolicy struct {
	// Max is the number of retries allowed after the first attempt.
	Max int
	// RetryOn lists statuses the caller also wants retried (Nango's
	// Retry-On header). The caller asked for them, so they are retried
	// even when they are 4xx without a rate-limit signal.
	RetryOn []int
	// Rule is the provider's proxy.retry entry from the catalog, or nil.
	Rule *catalog.RetryConfig
	// Base and Cap shape the exponential backoff used when the provider
	// gives no hint: a random wait in [0, min(Cap, Base·2^attempt)].
	Base, Cap time.Duration
	// MaxWait is the longest wait worth retrying for; when the provider
	// asks for more, Decide gives up and the response goes back as is.
	MaxWait time.Duration
	// Rand returns a number in [0, 1] for the jitter; nil uses math/rand.
	Rand func() float64
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Base <= 0 {
		p.Base = DefaultRetryBase
	}
	if p.Cap <= 0 {
		p.Cap = DefaultRetryCap
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultRetryMaxWait
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// Decide says whether to retry after attempt (0 for the first try) ended
// with resp or err, and how long to wait first. err is the round trip's
// error (resp is then ignored); resp is the reply otherwise. now is the
// current time, against which reset times are measured.
//
// Transient errors before the request left (connection refused, a DNS
// server failure, a TLS handshake timeout) are retried for any method;
// errors no retry can fix (unknown host, bad certificate, a dial or
// redirect the guard refused) are final. After the request may have reached the
// provider (reset, timeout, 5xx), POST and PATCH are retried only when
// callerAskedRetries, since the provider may have acted; a rate-limit
// refusal (429, or a rate-limited 403) is retried for every method because
// the provider did not act. The wait is the provider's hint when it gives
// one, else a jittered exponential backoff; a hint above MaxWait means no
// retry. When retry is false, wait is 0.
//
// The caller checks its own context before asking: an error its
// cancellation or deadline caused is final, and a wait that would outlast
// the context is not worth starting.
func (p RetryPolicy) Decide(attempt int, method string, callerAskedRetries bool, resp *Response, err error, now time.Time) (retry bool, wait time.Duration) {
	if attempt >= p.Max {
		return false, 0
	}
	p = p.withDefaults()
	if err != nil {
		switch classifyError(err) {
		case errPermanent:
			return false, 0
		case errMaybeSent:
			if !idempotent(method) && !callerAskedRetries {
				return false, 0
			}
		}
		return p.within(p.Backoff(attempt))
	}
	if resp == nil {
		return false, 0
	}
	s := p.signals(resp, now)
	retryable, refused := p.retryableStatus(resp.Status, s)
	if !retryable || (!refused && !idempotent(method) && !callerAskedRetries) {
		return false, 0
	}
	if hint, ok := s.hint(refused); ok {
		return p.within(hint)
	}
	return p.within(p.Backoff(attempt))
}

// within turns a wait into a decision: retry unless it exceeds MaxWait.
func (p RetryPolicy) within(wait time.Duration) (bool, time.Duration) {
	if wait > p.MaxWait {
		return false, 0
	}
	return true, wait
}

// Backoff is the jittered wait before retry number attempt+1 when the
// provider gives no hint: min(Cap, MaxWait, Base·2^attempt) scaled by Rand
// ("full jitter", so that clients that failed together spread out).
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	p = p.withDefaults()
	ceiling := min(p.Cap, p.MaxWait)
	d := ceiling
	if attempt < 0 {
		attempt = 0
	}
	// Base<<attempt overflows past 62 shifts; Cap is reached long before.
	if attempt < 62 && p.Base <= ceiling>>attempt {
		d = p.Base << attempt
	}
	r := p.Rand()
	switch {
	case !(r >= 0): // also NaN
		r = 0
	case r > 1:
		r = 1
	}
	return time.Duration(float64(d) * r)
}

// NeedsBody reports whether Decide would look at the body of a reply with
// this status, so the proxy reads a prefix only when it can matter.
func (p RetryPolicy) NeedsBody(status int) bool {
	return p.Max > 0 && status >= 400 && p.Rule != nil && p.Rule.InBody != nil
}

// idempotent reports whether repeating method cannot do more than doing it
// once (RFC 9110 §9.2.2).
func idempotent(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete,
		http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// retryableStatus reports whether status is worth retrying and whether it
// is a refusal the provider did not act on (so safe for any method).
func (p RetryPolicy) retryableStatus(status int, s rateSignals) (retryable, refused bool) {
	// A 4xx other than 429 normally means the request itself is wrong. Some
	// providers use one for rate limits (GitHub's 403, Linear's 400), so the
	// catalog lists it, but a genuine permission or validation error must
	// not be retried: require a signal that this one is a rate limit.
	limited := s.remainingZero || s.hasRetryAfter || s.hasBody
	switch {
	case status == http.StatusTooManyRequests:
		return true, true
	case status == http.StatusForbidden && limited:
		return true, true
	case slices.Contains(p.RetryOn, status):
		return true, false
	case p.ruleListed(status):
		if status >= 400 && status < 500 {
			return limited, limited
		}
		return true, false
	case status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported:
		return true, false
	}
	return false, false
}

// ruleListed reports whether the catalog's error_code list names status,
// exactly ("403"), by class ("5xx") or by range ("500-504"). A class or
// range never covers 501 or 505, which no retry can fix.
func (p RetryPolicy) ruleListed(status int) bool {
	if p.Rule == nil {
		return false
	}
	unfixable := status == http.StatusNotImplemented || status == http.StatusHTTPVersionNotSupported
	for _, code := range p.Rule.ErrorCode {
		code = strings.ToLower(strings.TrimSpace(code))
		if n, err := strconv.Atoi(code); err == nil {
			if n == status {
				return true
			}
			continue
		}
		if unfixable {
			continue
		}
		if len(code) == 3 && code[1:] == "xx" && code[0] >= '1' && code[0] <= '5' {
			if status/100 == int(code[0]-'0') {
				return true
			}
			continue
		}
		if lo, hi, ok := strings.Cut(code, "-"); ok {
			l, err1 := strconv.Atoi(strings.TrimSpace(lo))
			h, err2 := strconv.Atoi(strings.TrimSpace(hi))
			if err1 == nil && err2 == nil && status >= l && status <= h {
				return true
			}
		}
	}
	return false
}

// rateSignals is what a reply says about the provider's rate limit.
type rateSignals struct {
	// remainingZero and remainingLeft: the catalog's remaining header is
	// "0", or present with budget left.
	remainingZero, remainingLeft bool
	// retryAfter is the standard Retry-After header, honoured for every
	// provider and every retryable status (RFC 9110 defines it for 503 too).
	retryAfter    time.Duration
	hasRetryAfter bool
	// after and at are the largest hints from the catalog's other after
	// headers and its at (reset) headers.
	after, at       time.Duration
	hasAfter, hasAt bool
	// body is the catalog's in-body hint.
	body    time.Duration
	hasBody bool
}

// hint picks the wait the provider asked for. Providers such as GitHub and
// Calendly send their reset headers on every reply, so those count only
// for a rate-limit refusal, and a reset is moot while the remaining header
// says budget is left (GitHub's secondary limit). When several apply, all
// must have passed, so the longest wins.
func (s rateSignals) hint(refused bool) (time.Duration, bool) {
	var wait time.Duration
	found := false
	use := func(d time.Duration, ok bool) {
		if ok {
			wait, found = max(wait, d), true
		}
	}
	use(s.retryAfter, s.hasRetryAfter)
	use(s.body, s.hasBody)
	if refused {
		use(s.after, s.hasAfter)
		use(s.at, s.hasAt && !s.remainingLeft)
	}
	if found && wait <= 0 {
		wait = minHintWait
	}
	return wait, found
}

func (p RetryPolicy) signals(resp *Response, now time.Time) rateSignals {
	var s rateSignals
	h := resp.Header
	s.retryAfter, s.hasRetryAfter = ParseRetryAfter(h.Get("Retry-After"), now)
	r := p.Rule
	if r == nil {
		return s
	}
	if r.Remaining != "" {
		if v, ok := headerValue(h, r.Remaining); ok {
			s.remainingZero = v == "0"
			s.remainingLeft = !s.remainingZero
		}
	}
	for _, name := range r.After {
		if http.CanonicalHeaderKey(strings.TrimSpace(name)) == "Retry-After" {
			continue
		}
		if v, ok := headerValue(h, name); ok {
			if d, ok := ParseRetryAfter(v, now); ok {
				s.after, s.hasAfter = max(s.after, d), true
			}
		}
	}
	for _, name := range r.At {
		if v, ok := headerValue(h, name); ok {
			if d, ok := ParseResetTime(v, now); ok {
				s.at, s.hasAt = max(s.at, d), true
			}
		}
	}
	if r.InBody != nil && resp.Status >= 400 {
		s.body, s.hasBody = bodyHint(r.InBody, resp.Body, now)
	}
	return s
}

func headerValue(h http.Header, name string) (string, bool) {
	vs := h.Values(strings.TrimSpace(name))
	if len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(vs[0]), true
}

// bodyHint finds the retry hint of an in_body rule: the string (or
// number) at Path in the JSON body — the whole body when Path is empty —
// matched against Value, whose first group (or whole match) is a delay
// ("after") or a reset time ("at").
func bodyHint(rule *catalog.RetryInBody, body []byte, now time.Time) (time.Duration, bool) {
	if len(body) == 0 {
		return 0, false
	}
	body = body[:min(len(body), RetryBodyLimit)]
	text := string(body)
	if rule.Path != "" {
		var ok bool
		if text, ok = jsonPathString(body, rule.Path); !ok {
			return 0, false
		}
	}
	re, err := compileHintPattern(rule.Value)
	if err != nil {
		return 0, false
	}
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	v := m[0]
	if len(m) > 1 {
		v = m[1]
	}
	if strings.EqualFold(strings.TrimSpace(rule.Strategy), "at") {
		return ParseResetTime(v, now)
	}
	return ParseRetryAfter(v, now)
}

// compileHintPattern compiles an in_body value. Nango's files write it as
// a plain pattern or as a JavaScript literal, /pattern/flags; both work.
func compileHintPattern(v string) (*regexp.Regexp, error) {
	if len(v) >= 2 && v[0] == '/' {
		if end := strings.LastIndexByte(v, '/'); end > 0 {
			// Flags Go can express are kept; g, u and y do not change
			// what one match finds. Anything else is not a literal.
			prefix, ok := "", true
			for _, f := range v[end+1:] {
				switch f {
				case 'i', 'm', 's':
					prefix += string(f)
				case 'g', 'u', 'y':
				default:
					ok = false
				}
			}
			if ok {
				v = v[1:end]
				if prefix != "" {
					v = "(?" + prefix + ")" + v
				}
			}
		}
	}
	return regexp.Compile(v)
}

// jsonPathString returns the string or number at a dot path ("error.message",
// "errors.0.detail" or "errors[0].detail") in a JSON document.
func jsonPathString(doc []byte, path string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	path = strings.NewReplacer("[", ".", "]", "").Replace(path)
	for _, key := range strings.Split(path, ".") {
		if key == "" {
			continue
		}
		switch node := v.(type) {
		case map[string]any:
			v = node[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				return "", false
			}
			v = node[i]
		default:
			return "", false
		}
	}
	switch leaf := v.(type) {
	case string:
		return leaf, true
	case json.Number:
		return leaf.String(), true
	}
	return "", false
}

// ParseRetryAfter reads a Retry-After style value: a delay in seconds
// (fractions allowed) or an HTTP date. The duration is never negative (a
// date in the past gives 0); ok is false when v is neither.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if f, ok := parseDecimal(v); ok {
		return seconds(f), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return until(t, now), true
	}
	return 0, false
}

// ParseResetTime reads a rate-limit reset value: epoch seconds, epoch
// milliseconds (told apart by magnitude), an HTTP or RFC 3339 date, and
// returns the time left until then, never negative (a past reset gives
// 0). A number too small to be a recent epoch (below 10⁹, 2001) is taken
// as seconds from now, as the IETF RateLimit-Reset header means it.
func ParseResetTime(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if f, ok := parseDecimal(v); ok {
		const (
			minEpochSeconds = 1e9  // 2001-09-09: smaller is a delay
			minEpochMillis  = 1e11 // year 5138 in seconds, 1973 in ms
		)
		switch {
		case f < minEpochSeconds:
			return seconds(f), true
		case f >= minEpochMillis:
			f /= 1000
		}
		nowSec := float64(now.UnixNano()) / 1e9
		return seconds(f - nowSec), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return until(t, now), true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return until(t, now), true
	}
	return 0, false
}

// parseDecimal accepts only plain non-negative decimals ("12", "1.5"), not
// what strconv.ParseFloat would also take (signs, exponents, hex, "Inf").
func parseDecimal(v string) (float64, bool) {
	if v == "" {
		return 0, false
	}
	dot := false
	for i, c := range v {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(v)-1:
			dot = true
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && !math.IsInf(f, 0)
}

// seconds converts a number of seconds to a duration clamped to [0, maxHint].
func seconds(f float64) time.Duration {
	switch {
	case !(f > 0): // also NaN
		return 0
	case f >= maxHint.Seconds():
		return maxHint
	}
	return time.Duration(f * float64(time.Second))
}

func until(t, now time.Time) time.Duration {
	return min(max(t.Sub(now), 0), maxHint)
}

type errClass int

const (
	errPermanent errClass = iota // retrying cannot help
	errNotSent                   // failed before the request left: safe for any method
	errMaybeSent                 // the provider may have received the request
)

// classifyError sorts a round-trip error. Only errors known to be
// transient are retried: a refused redirect, a bad URL or a dial refused by
// the proxy's own address guard would fail the same way again.
func classifyError(err error) errClass {
	var (
		dnsErr    *net.DNSError
		opErr     *net.OpError
		netErr    net.Error
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return errPermanent
	case errors.As(err, &certErr), errors.As(err, &unknownCA),
		errors.As(err, &hostErr), errors.As(err, &invalid):
		return errPermanent
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return errPermanent
		}
		return errNotSent
	case errors.As(err, &opErr) && opErr.Op == "dial":
		if opErr.Timeout() || transientSyscall(opErr.Err) {
			return errNotSent
		}
		return errPermanent
	case tlsHandshakeTimeout(err):
		return errNotSent
	case errors.As(err, &opErr), // read or write on the connection
		errors.As(err, &netErr) && netErr.Timeout(),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		transientSyscall(err):
		return errMaybeSent
	}
	return errPermanent
}

func transientSyscall(err error) bool {
	for _, e := range []error{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// tlsHandshakeTimeout recognises net/http's handshake timeout, whose type
// is unexported: it happens before any request byte is sent.
func tlsHandshakeTimeout(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "net/http: TLS handshake timeout" {
			return true
		}
	}
	return false
}
