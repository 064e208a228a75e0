package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
)

// retryNow is the fixed clock of these tests: 2025-06-01T12:00:00Z.
var retryNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func resetEpoch(d time.Duration) string   { return strconv.FormatInt(retryNow.Add(d).Unix(), 10) }
func resetEpochMs(d time.Duration) string { return strconv.FormatInt(retryNow.Add(d).UnixMilli(), 10) }
func retryDate(d time.Duration) string {
	return retryNow.Add(d).UTC().Format(http.TimeFormat)
}

func fixedRand(r float64) func() float64 { return func() float64 { return r } }

// Rules as the built-in catalog writes them (internal/catalog/providers.yaml).
var (
	githubRetry = &catalog.RetryConfig{
		At:        []string{"x-ratelimit-reset"},
		After:     []string{"retry-after"},
		Remaining: "x-ratelimit-remaining",
		ErrorCode: []string{"403", "429"},
	}
	linearRetry = &catalog.RetryConfig{
		At:        []string{"x-ratelimit-requests-reset"},
		Remaining: "x-ratelimit-requests-remaining",
		ErrorCode: []string{"400", "429"},
	}
	calendlyRetry = &catalog.RetryConfig{
		After:     []string{"x-ratelimit-reset"},
		Remaining: "x-ratelimit-remaining",
	}
	bodyAfterRetry = &catalog.RetryConfig{
		ErrorCode: []string{"400"},
		InBody:    &catalog.RetryInBody{Path: "error.retry_after", Value: `^(\d+)$`, Strategy: "after"},
	}
	bodyAtRetry = &catalog.RetryConfig{
		InBody: &catalog.RetryInBody{Path: "errors[0].message", Value: "/retry after (.+)/i", Strategy: "at"},
	}
)

func retryHeaders(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 120 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"0", 0, true},
		{retryDate(90 * time.Second), 90 * time.Second, true},
		{"Sunday, 01-Jun-25 12:00:45 UTC", 45 * time.Second, true}, // RFC 850
		{"Sun Jun  1 12:01:00 2025", time.Minute, true},            // ANSI C
		{retryDate(-time.Hour), 0, true},                           // past: due now
		{"99999999999999999999999", maxHint, true},
		{"", 0, false},
		{"-5", 0, false},
		{"+5", 0, false},
		{"1e3", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"0x10", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"12 seconds", 0, false},
		{"soon", 0, false},
		{"2025-06-01T12:00:30Z", 0, false}, // not an HTTP date
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, retryNow)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseResetTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"epoch seconds", resetEpoch(30 * time.Second), 30 * time.Second, true},
		{"epoch seconds fraction", resetEpoch(30*time.Second) + ".5", 30500 * time.Millisecond, true},
		{"epoch milliseconds", resetEpochMs(2500 * time.Millisecond), 2500 * time.Millisecond, true},
		{"epoch seconds past", resetEpoch(-10 * time.Second), 0, true},
		{"epoch milliseconds past", resetEpochMs(-10 * time.Second), 0, true},
		{"http date", retryDate(time.Minute), time.Minute, true},
		{"rfc 3339", "2025-06-01T12:00:20Z", 20 * time.Second, true},
		{"small number is a delay", "30", 30 * time.Second, true},
		{"far future clamps", "99999999999999999999999", maxHint, true},
		{"empty", "", 0, false},
		{"negative", "-1748779200", 0, false},
		{"garbage", "tomorrow", 0, false},
		{"exponent", "1.7e9", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseResetTime(tt.in, retryNow)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: ParseResetTime(%q) = %v, %v; want %v, %v", tt.name, tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDecideResponses(t *testing.T) {
	t.Parallel()
	const backoff0 = 100 * time.Millisecond // Base 200 ms · 2⁰ · rand 0.5
	tests := []struct {
		name     string
		rule     *catalog.RetryConfig
		retryOn  []int
		method   string
		asked    bool
		status   int
		header   http.Header
		body     string
		want     bool
		wantWait time.Duration
	}{
		{name: "success", method: "GET", status: 200},
		{name: "not found", method: "GET", status: 404},
		{name: "unauthorized", method: "GET", status: 401},

		// GitHub: a 403 is a rate limit only with its signals.
		{name: "github primary limit waits for reset", rule: githubRetry, method: "GET", status: 403,
			header: retryHeaders("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", resetEpoch(30*time.Second)),
			want:   true, wantWait: 30 * time.Second},
		{name: "github primary limit on POST is a refusal", rule: githubRetry, method: "POST", status: 403,
			header: retryHeaders("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", resetEpoch(30*time.Second)),
			want:   true, wantWait: 30 * time.Second},
		{name: "github plain 403 is a permission error", rule: githubRetry, method: "GET", status: 403,
			header: retryHeaders("X-Ratelimit-Remaining", "4999", "X-Ratelimit-Reset", resetEpoch(30*time.Second))},
		{name: "github 403 without headers", rule: githubRetry, method: "GET", status: 403},
		{name: "github secondary 429 honours retry-after, not the reset", rule: githubRetry, method: "GET", status: 429,
			header: retryHeaders("Retry-After", "20", "X-Ratelimit-Remaining", "4000", "X-Ratelimit-Reset", resetEpoch(50*time.Second)),
			want:   true, wantWait: 20 * time.Second},
		{name: "github secondary 403 with retry-after", rule: githubRetry, method: "POST", status: 403,
			header: retryHeaders("Retry-After", "20"), want: true, wantWait: 20 * time.Second},
		{name: "both limits: the later one", rule: githubRetry, method: "GET", status: 403,
			header: retryHeaders("Retry-After", "20", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", resetEpoch(40*time.Second)),
			want:   true, wantWait: 40 * time.Second},
		{name: "reset beyond MaxWait gives up", rule: githubRetry, method: "GET", status: 403,
			header: retryHeaders("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", resetEpoch(30*time.Minute))},
		{name: "retry-after beyond MaxWait gives up", method: "GET", status: 429,
			header: retryHeaders("Retry-After", "3600")},
		{name: "reset already past waits a little", rule: githubRetry, method: "GET", status: 403,
			header: retryHeaders("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", resetEpoch(-5*time.Second)),
			want:   true, wantWait: minHintWait},
		{name: "retry-after 0 waits a little", method: "GET", status: 429,
			header: retryHeaders("Retry-After", "0"), want: true, wantWait: minHintWait},
		{name: "garbage retry-after falls back to backoff", method: "GET", status: 429,
			header: retryHeaders("Retry-After", "later"), want: true, wantWait: backoff0},
		{name: "403 without catalog but with retry-after", method: "GET", status: 403,
			header: retryHeaders("Retry-After", "3"), want: true, wantWait: 3 * time.Second},

		// 429 and 5xx.
		{name: "429 without hint backs off", method: "GET", status: 429, want: true, wantWait: backoff0},
		{name: "500 without body", method: "GET", status: 500, want: true, wantWait: backoff0},
		{name: "502 with body", method: "GET", status: 502, body: "<html>Bad Gateway</html>", want: true, wantWait: backoff0},
		{name: "503 with retry-after seconds", method: "GET", status: 503,
			header: retryHeaders("Retry-After", "7"), want: true, wantWait: 7 * time.Second},
		{name: "503 with retry-after date", method: "DELETE", status: 503,
			header: retryHeaders("Retry-After", retryDate(15*time.Second)), want: true, wantWait: 15 * time.Second},
		{name: "501 never", method: "GET", status: 501},
		{name: "505 never", method: "GET", status: 505},
		{name: "5xx pattern does not cover 501", rule: &catalog.RetryConfig{ErrorCode: []string{"5xx"}}, method: "GET", status: 501},
		{name: "exact 501 in catalog", rule: &catalog.RetryConfig{ErrorCode: []string{"501"}}, method: "GET", status: 501,
			want: true, wantWait: backoff0},
		{name: "range in catalog", rule: &catalog.RetryConfig{ErrorCode: []string{"520-530"}}, method: "GET", status: 522,
			want: true, wantWait: backoff0},
		{name: "500 ignores a reset header", rule: githubRetry, method: "GET", status: 500,
			header: retryHeaders("X-Ratelimit-Remaining", "4000", "X-Ratelimit-Reset", resetEpoch(50*time.Second)),
			want:   true, wantWait: backoff0},

		// Methods.
		{name: "POST 503 not asked", method: "POST", status: 503},
		{name: "POST 503 asked", method: "POST", asked: true, status: 503, want: true, wantWait: backoff0},
		{name: "PATCH 500 not asked", method: "PATCH", status: 500},
		{name: "POST 429 is a refusal", method: "POST", status: 429, want: true, wantWait: backoff0},
		{name: "PUT 500", method: "PUT", status: 500, want: true, wantWait: backoff0},
		{name: "lower-case method", method: "get", status: 500, want: true, wantWait: backoff0},

		// Retry-On.
		{name: "retry-on 409", retryOn: []int{409}, method: "GET", status: 409, want: true, wantWait: backoff0},
		{name: "409 without retry-on", method: "GET", status: 409},
		{name: "retry-on wins over the catalog's signal rule", rule: githubRetry, retryOn: []int{403}, method: "GET", status: 403,
			want: true, wantWait: backoff0},
		{name: "retry-on POST not asked", retryOn: []int{409}, method: "POST", status: 409},

		// Linear: 400 is a rate limit only with remaining 0; reset in ms.
		{name: "linear validation 400", rule: linearRetry, method: "POST", status: 400,
			header: retryHeaders("X-Ratelimit-Requests-Remaining", "1200", "X-Ratelimit-Requests-Reset", resetEpochMs(time.Hour))},
		{name: "linear rate-limited 400", rule: linearRetry, method: "POST", status: 400,
			header: retryHeaders("X-Ratelimit-Requests-Remaining", "0", "X-Ratelimit-Requests-Reset", resetEpochMs(4*time.Second)),
			want:   true, wantWait: 4 * time.Second},

		// Calendly sends its reset delay on every reply.
		{name: "calendly 500 ignores the window reset", rule: calendlyRetry, method: "GET", status: 500,
			header: retryHeaders("X-Ratelimit-Remaining", "80", "X-Ratelimit-Reset", "45"), want: true, wantWait: backoff0},
		{name: "calendly 429 waits for the window", rule: calendlyRetry, method: "GET", status: 429,
			header: retryHeaders("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "45"), want: true, wantWait: 45 * time.Second},

		// Hints in the body.
		{name: "in-body after", rule: bodyAfterRetry, method: "POST", status: 400,
			body: `{"error":{"code":"rate_limited","retry_after":"12"}}`, want: true, wantWait: 12 * time.Second},
		{name: "in-body after as a number", rule: bodyAfterRetry, method: "GET", status: 400,
			body: `{"error":{"retry_after":12}}`, want: true, wantWait: 12 * time.Second},
		{name: "in-body rule, other 400", rule: bodyAfterRetry, method: "GET", status: 400,
			body: `{"error":{"message":"name is required"}}`},
		{name: "in-body at as a JavaScript literal", rule: bodyAtRetry, method: "GET", status: 429,
			body: `{"errors":[{"message":"Rate limited. Retry after 2025-06-01T12:00:20Z"}]}`, want: true, wantWait: 20 * time.Second},
		{name: "in-body not JSON backs off", rule: bodyAtRetry, method: "GET", status: 429,
			body: `{"errors":[{"message":"Retry after 2025-06-01T12:00:20Z"`, want: true, wantWait: backoff0},
		{name: "in-body beyond the limit is not read", rule: bodyAtRetry, method: "GET", status: 429,
			body: `{"pad":"` + strings.Repeat("x", RetryBodyLimit) + `","errors":[{"message":"retry after 20"}]}`,
			want: true, wantWait: backoff0},
		{name: "in-body on a success is ignored", rule: bodyAfterRetry, method: "GET", status: 200,
			body: `{"error":{"retry_after":"12"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := RetryPolicy{Max: 3, RetryOn: tt.retryOn, Rule: tt.rule, Rand: fixedRand(0.5)}
			resp := &Response{Status: tt.status, Header: tt.header, Body: []byte(tt.body)}
			retry, wait := p.Decide(0, tt.method, tt.asked, resp, nil, retryNow)
			if retry != tt.want || wait != tt.wantWait {
				t.Errorf("Decide = %v, %v; want %v, %v", retry, wait, tt.want, tt.wantWait)
			}
		})
	}
}

// retryTimeoutErr is a net.Error that timed out, like net/http's own.
type retryTimeoutErr struct{ msg string }

func (e retryTimeoutErr) Error() string { return e.msg }
func (retryTimeoutErr) Timeout() bool   { return true }
func (retryTimeoutErr) Temporary() bool { return true }

func retryURLErr(method string, err error) error {
	return &url.Error{Op: method, URL: "https://api.example.com/x", Err: err}
}

func retryDialErr(err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: err}
}

func TestDecideErrors(t *testing.T) {
	t.Parallel()
	const backoff0 = 100 * time.Millisecond
	refused := retryDialErr(os.NewSyscallError("connect", syscall.ECONNREFUSED))
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name   string
		method string
		asked  bool
		err    error
		want   bool
	}{
		{"connection refused, GET", "GET", false, retryURLErr("Get", refused), true},
		{"connection refused, POST", "POST", false, retryURLErr("Post", refused), true},
		{"dial timeout, POST", "POST", false, retryURLErr("Post", retryDialErr(retryTimeoutErr{"i/o timeout"})), true},
		{"dns temporary, POST", "POST", false, retryURLErr("Post", retryDialErr(&net.DNSError{Err: "server misbehaving", IsTemporary: true})), true},
		{"dns not found", "GET", false, retryURLErr("Get", retryDialErr(&net.DNSError{Err: "no such host", IsNotFound: true})), false},
		{"dial refused by the address guard", "GET", false, retryURLErr("Get", retryDialErr(errors.New("proxy: 10.0.0.1 is not allowed"))), false},
		{"tls handshake timeout, POST", "POST", false, retryURLErr("Post", retryTimeoutErr{"net/http: TLS handshake timeout"}), true},
		{"bad certificate", "GET", false, retryURLErr("Get", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{"hostname mismatch", "GET", false, retryURLErr("Get", x509.HostnameError{Host: "api.example.com"}), false},

		{"reset after sending, GET", "GET", false, retryURLErr("Get", reset), true},
		{"reset after sending, POST", "POST", false, retryURLErr("Post", reset), false},
		{"reset after sending, POST asked", "POST", true, retryURLErr("Post", reset), true},
		{"EOF, HEAD", "HEAD", false, retryURLErr("Head", io.EOF), true},
		{"EOF, PATCH", "PATCH", false, retryURLErr("Patch", io.EOF), false},
		{"unexpected EOF, OPTIONS", "OPTIONS", false, retryURLErr("Options", io.ErrUnexpectedEOF), true},
		{"awaiting headers timeout, GET", "GET", false, retryURLErr("Get", retryTimeoutErr{"net/http: timeout awaiting response headers"}), true},
		{"awaiting headers timeout, POST", "POST", false, retryURLErr("Post", retryTimeoutErr{"net/http: timeout awaiting response headers"}), false},
		{"deadline, PUT", "PUT", false, retryURLErr("Put", context.DeadlineExceeded), true},

		{"canceled", "GET", false, retryURLErr("Get", context.Canceled), false},
		{"redirect refused", "GET", false, retryURLErr("Get", errors.New("proxy: redirect to a denied host")), false},
		{"wrapped by the caller", "GET", false, errors.Join(errors.New("proxy: attempt 1"), retryURLErr("Get", reset)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := RetryPolicy{Max: 2, Rand: fixedRand(0.5)}
			// A response alongside an error is ignored.
			resp := &Response{Status: 200}
			retry, wait := p.Decide(0, tt.method, tt.asked, resp, tt.err, retryNow)
			want := time.Duration(0)
			if tt.want {
				want = backoff0
			}
			if retry != tt.want || wait != want {
				t.Errorf("Decide = %v, %v; want %v, %v", retry, wait, tt.want, want)
			}
		})
	}
}

// TestDecideRealErrors checks the classification against what net/http
// really returns, on loopback.
func TestDecideRealErrors(t *testing.T) {
	t.Parallel()
	client := &http.Client{Timeout: 5 * time.Second}
	p := RetryPolicy{Max: 1, Rand: fixedRand(0)}

	t.Run("connection refused is safe for POST", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		resp, err := client.Post("http://"+addr+"/", "text/plain", strings.NewReader("x"))
		if err == nil {
			resp.Body.Close()
			t.Skip("something listens on a just-closed port")
		}
		if retry, _ := p.Decide(0, "POST", false, nil, err, retryNow); !retry {
			t.Errorf("Decide(%v) = no retry", err)
		}
	})

	t.Run("connection closed after the request was read", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1024)
			c.Read(buf) // the request reached the provider…
			c.Close()   // …which hangs up without a reply
		}()
		resp, err := client.Post("http://"+ln.Addr().String()+"/", "text/plain", strings.NewReader("x"))
		if err == nil {
			resp.Body.Close()
			t.Fatal("want an error")
		}
		if retry, _ := p.Decide(0, "POST", false, nil, err, retryNow); retry {
			t.Errorf("Decide(POST, %v) = retry; the provider may have acted", err)
		}
		if retry, _ := p.Decide(0, "GET", false, nil, err, retryNow); !retry {
			t.Errorf("Decide(GET, %v) = no retry", err)
		}
	})
}

func TestDecideMax(t *testing.T) {
	t.Parallel()
	resp := &Response{Status: 503}
	tests := []struct {
		max, attempt int
		want         bool
	}{
		{0, 0, false}, // Nango's default: no retries
		{1, 0, true},
		{1, 1, false},
		{3, 2, true},
		{3, 3, false},
		{3, 10, false},
	}
	for _, tt := range tests {
		p := RetryPolicy{Max: tt.max, Rand: fixedRand(1)}
		if retry, _ := p.Decide(tt.attempt, "GET", false, resp, nil, retryNow); retry != tt.want {
			t.Errorf("Max %d, attempt %d: retry = %v, want %v", tt.max, tt.attempt, retry, tt.want)
		}
	}
}

func TestBackoffSchedule(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	tests := []struct {
		name   string
		policy RetryPolicy
		want   []time.Duration // attempts 0, 1, 2…
	}{
		{"defaults, rand 1", RetryPolicy{Rand: fixedRand(1)},
			ms(200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000)},
		{"defaults, rand 0.5", RetryPolicy{Rand: fixedRand(0.5)},
			ms(100, 200, 400, 800, 1600, 3200, 6400, 12800, 15000, 15000)},
		{"cap 5 s, rand 1", RetryPolicy{Cap: 5 * time.Second, Rand: fixedRand(1)},
			ms(200, 400, 800, 1600, 3200, 5000, 5000)},
		{"cap 5 s, rand 0.5", RetryPolicy{Cap: 5 * time.Second, Rand: fixedRand(0.5)},
			ms(100, 200, 400, 800, 1600, 2500, 2500)},
		{"base 1 s", RetryPolicy{Base: time.Second, Rand: fixedRand(1)},
			ms(1000, 2000, 4000, 8000, 16000, 30000, 30000)},
		{"cap above MaxWait", RetryPolicy{Cap: time.Hour, MaxWait: 10 * time.Second, Rand: fixedRand(1)},
			ms(200, 400, 800, 1600, 3200, 6400, 10000)},
		{"rand 0", RetryPolicy{Rand: fixedRand(0)}, ms(0, 0, 0)},
		{"rand above 1 is clamped", RetryPolicy{Rand: fixedRand(7)}, ms(200, 400)},
		{"rand NaN is clamped", RetryPolicy{Rand: fixedRand(math.NaN())}, ms(0, 0)},
		{"rand negative is clamped", RetryPolicy{Rand: fixedRand(-1)}, ms(0, 0)},
	}
	for _, tt := range tests {
		for attempt, want := range tt.want {
			if got := tt.policy.Backoff(attempt); got != want {
				t.Errorf("%s: Backoff(%d) = %v, want %v", tt.name, attempt, got, want)
			}
			// Decide uses the same schedule when the provider gives no hint.
			p := tt.policy
			p.Max = len(tt.want)
			retry, wait := p.Decide(attempt, "GET", false, &Response{Status: 500}, nil, retryNow)
			if !retry || wait != want {
				t.Errorf("%s: Decide(%d) = %v, %v; want true, %v", tt.name, attempt, retry, wait, want)
			}
		}
	}
	for _, attempt := range []int{-1, 62, 63, 64, 1000, math.MaxInt} {
		p := RetryPolicy{Rand: fixedRand(1)}
		if got := p.Backoff(attempt); got < 0 || got > DefaultRetryCap {
			t.Errorf("Backoff(%d) = %v, want within [0, %v]", attempt, got, DefaultRetryCap)
		}
	}
	// The default Rand stays within the bound.
	for attempt := range 20 {
		if got := (RetryPolicy{}).Backoff(attempt); got < 0 || got > DefaultRetryCap {
			t.Errorf("default Rand: Backoff(%d) = %v", attempt, got)
		}
	}
}

func TestNeedsBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy RetryPolicy
		status int
		want   bool
	}{
		{RetryPolicy{Max: 1, Rule: bodyAfterRetry}, 400, true},
		{RetryPolicy{Max: 1, Rule: bodyAfterRetry}, 200, false},
		{RetryPolicy{Max: 0, Rule: bodyAfterRetry}, 400, false},
		{RetryPolicy{Max: 1, Rule: githubRetry}, 403, false},
		{RetryPolicy{Max: 1}, 500, false},
	}
	for _, tt := range tests {
		if got := tt.policy.NeedsBody(tt.status); got != tt.want {
			t.Errorf("NeedsBody(%d) with %+v = %v, want %v", tt.status, tt.policy.Rule, got, tt.want)
		}
	}
}

func TestCompileHintPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value, text, want string
	}{
		{`Retry after (\d+)`, "Retry after 12 s", "12"},
		{`/Retry after (\d+)/`, "Retry after 12 s", "12"},
		{`/retry after (\d+)/gi`, "RETRY AFTER 12", "12"},
		{`/path/to`, "a /path/to b", ""}, // unknown flags: a plain pattern
		{``, "anything", ""},
	}
	for _, tt := range tests {
		re, err := compileHintPattern(tt.value)
		if err != nil {
			t.Errorf("compileHintPattern(%q): %v", tt.value, err)
			continue
		}
		m := re.FindStringSubmatch(tt.text)
		got := ""
		if len(m) > 1 {
			got = m[1]
		}
		if m == nil || got != tt.want {
			t.Errorf("compileHintPattern(%q) on %q: %q, want %q", tt.value, tt.text, m, tt.want)
		}
	}
	if _, err := compileHintPattern(`/(unclosed/`); err == nil {
		t.Error("want an error for an invalid pattern")
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{
		"120", "0", "1.5", "-1", "", " 7 ", "1e9", "NaN", "Inf", "0x1p4",
		"99999999999999999999999", "9223372036854775807", "1.7976931348623157e308",
		retryDate(time.Hour), retryDate(-time.Hour), "Sun Jun  1 12:01:00 2025",
		"Monday, 01-Jan-99 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, parse := range []func(string, time.Time) (time.Duration, bool){ParseRetryAfter, ParseResetTime} {
			d, ok := parse(v, retryNow)
			if d < 0 || d > maxHint {
				t.Fatalf("parse(%q) = %v, out of [0, %v]", v, d, maxHint)
			}
			if !ok && d != 0 {
				t.Fatalf("parse(%q) = %v without ok", v, d)
			}
		}
	})
}

// FuzzDecide feeds untrusted headers and bodies through a rule with every
// kind of hint: no panic, and a retry never waits outside [0, MaxWait].
func FuzzDecide(f *testing.F) {
	f.Add(403, "0", resetEpoch(time.Minute), "20", `{"error":{"message":"retry after 3"}}`)
	f.Add(429, "5", "garbage", "", `{"error":`)
	f.Add(500, "", "", "-1", "")
	rule := &catalog.RetryConfig{
		At: []string{"x-reset"}, After: []string{"retry-after", "x-after"}, Remaining: "x-remaining",
		ErrorCode: []string{"403", "4xx", "500-599"},
		InBody:    &catalog.RetryInBody{Path: "error.message", Value: "/retry after (.+)/i", Strategy: "after"},
	}
	f.Fuzz(func(t *testing.T, status int, remaining, reset, after, body string) {
		p := RetryPolicy{Max: 1, Rule: rule, Rand: fixedRand(1)}
		resp := &Response{Status: status, Body: []byte(body), Header: retryHeaders(
			"X-Remaining", remaining, "X-Reset", reset, "X-After", after, "Retry-After", after)}
		for _, method := range []string{"GET", "POST"} {
			retry, wait := p.Decide(0, method, false, resp, nil, retryNow)
			if wait < 0 || wait > DefaultRetryMaxWait || (!retry && wait != 0) {
				t.Fatalf("Decide = %v, %v", retry, wait)
			}
		}
	})
}

func BenchmarkDecideRateLimited(b *testing.B) {
	p := RetryPolicy{Max: 3, Rule: githubRetry, Rand: fixedRand(0.5)}
	resp := &Response{Status: 403, Header: retryHeaders(
		"X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", resetEpoch(30*time.Second), "Retry-After", "20")}
	for b.Loop() {
		p.Decide(0, "GET", false, resp, nil, retryNow)
	}
}
