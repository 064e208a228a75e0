package catalog

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RateLimit is a provider's documented request limit, per connection: at
// most Requests in any Interval. It is Patchbay's extension of Nango's
// format (proxy.rate_limit), which the proxy uses to slow itself down
// before the provider answers 429.
//
// The proxy keeps a token bucket that holds Burst tokens and refills at
// Requests − Burst per Interval, so Burst requests may go back to back and
// still no window of Interval, however the provider aligns its windows,
// sees more than Requests. The rest of the limit is spread evenly.
type RateLimit struct {
	Requests int
	Interval time.Duration
	// Burst is how many requests may go back to back; 0 means the default
	// (see EffectiveBurst). It must be less than Requests, or 1 when
	// Requests is 1.
	Burst int
}

// EffectiveBurst is Burst, or by default a tenth of Requests (at least 1),
// which keeps nine tenths of the limit for a steady pace.
func (r RateLimit) EffectiveBurst() int {
	if r.Burst > 0 {
		return r.Burst
	}
	return max(1, r.Requests/10)
}

// Limits on RateLimit values, generous enough for any real provider and
// tight enough to catch a typo.
const (
	maxRateRequests = 1_000_000_000
	minRateInterval = time.Millisecond
	maxRateInterval = 24 * time.Hour
)

// RateLimitProblem is one invalid field of a RateLimit.
type RateLimitProblem struct {
	Field   string // "requests", "interval" or "burst"
	Message string
}

// Check reports every invalid field of r, in field order; nil means the
// limit is usable. The catalog and per-integration overrides share it.
func (r RateLimit) Check() []RateLimitProblem {
	var out []RateLimitProblem
	add := func(field, format string, args ...any) {
		out = append(out, RateLimitProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case r.Requests < 1:
		add("requests", "must be at least 1")
	case r.Requests > maxRateRequests:
		add("requests", "must be at most %d", maxRateRequests)
	}
	switch {
	case r.Interval < minRateInterval:
		add("interval", "must be at least %s", FormatInterval(minRateInterval))
	case r.Interval > maxRateInterval:
		add("interval", "must be at most %s", FormatInterval(maxRateInterval))
	}
	switch {
	case r.Burst < 0:
		add("burst", "must be at least 1")
	case r.Burst > 0 && r.Requests == 1 && r.Burst > 1:
		add("burst", "must be 1 when requests is 1")
	case r.Burst > 0 && r.Requests > 1 && r.Burst >= r.Requests:
		add("burst", "must be less than requests (%d): the bucket refills at requests − burst per interval, so that no interval sees more than requests", r.Requests)
	}
	return out
}

// ParseInterval reads an interval written as a Go duration ("1s", "10s",
// "1m", "1h", "500ms").
func ParseInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 1s, 10s, 1m or 1h", s)
	}
	return d, nil
}

// FormatInterval writes d the way ParseInterval reads it, without the zero
// units time.Duration.String adds ("1h", not "1h0m0s").
func FormatInterval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalJSON renders the limit as the YAML spells it:
// {"requests":100,"interval":"10s","burst":10}.
func (r RateLimit) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Requests int    `json:"requests"`
		Interval string `json:"interval"`
		Burst    int    `json:"burst,omitempty"`
	}{r.Requests, FormatInterval(r.Interval), r.Burst})
}

// decodeRateLimit reads proxy.rate_limit. Unlike Nango's own fields,
// unknown keys are errors: the block is ours, so an unknown key is a typo.
func decodeRateLimit(d *decoder, path string, v any) *RateLimit {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	r := &RateLimit{}
	failed := map[string]bool{} // fields already reported
	for _, k := range sortedKeys(m) {
		p, item := join(path, k), m[k]
		before := len(d.errs)
		switch k {
		case "requests":
			r.Requests = clampInt(d.integer(p, item))
		case "interval":
			s, ok := item.(string)
			if !ok {
				d.fail(p, "expected a duration such as 1s, 10s, 1m or 1h, got %s", kindOf(item))
				break
			}
			iv, err := ParseInterval(s)
			if err != nil {
				d.fail(p, "%v", err)
			}
			r.Interval = iv
		case "burst":
			if r.Burst = clampInt(d.integer(p, item)); r.Burst < 1 && len(d.errs) == before {
				d.fail(p, "must be at least 1 (leave it out for the default)")
			}
		default:
			d.fail(p, "unknown field (rate_limit takes requests, interval and burst)")
		}
		failed[k] = len(d.errs) > before
	}
	for _, k := range []string{"requests", "interval"} {
		if _, ok := m[k]; !ok {
			d.fail(join(path, k), "missing (rate_limit needs requests and interval)")
			failed[k] = true
		}
	}
	for _, p := range r.Check() {
		if !failed[p.Field] {
			d.fail(join(path, p.Field), "%s", p.Message)
		}
	}
	return r
}

// clampInt narrows a decoded whole number so an absurd value fails Check
// instead of wrapping around on any platform.
func clampInt(n int64) int {
	return int(max(min(n, maxRateRequests+1), -1))
}
