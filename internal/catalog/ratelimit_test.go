package catalog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	src := okEntry + `
acme:
    auth_mode: NONE
    proxy:
        base_url: https://api.acme.example
        rate_limit:
            requests: 100
            interval: 10s
            burst: 20
acme-default-burst:
    auth_mode: NONE
    proxy:
        rate_limit:
            requests: '5000'
            interval: 1h
acme-alias:
    alias: acme
    proxy:
        base_url: https://eu.acme.example
`
	got, err := Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if rl := got["acme"].Proxy.RateLimit; rl == nil || *rl != (RateLimit{Requests: 100, Interval: 10 * time.Second, Burst: 20}) {
		t.Errorf("acme rate_limit = %+v", rl)
	}
	rl := got["acme-default-burst"].Proxy.RateLimit
	if rl == nil || *rl != (RateLimit{Requests: 5000, Interval: time.Hour}) || rl.EffectiveBurst() != 500 {
		t.Errorf("default burst entry: %+v", rl)
	}
	if rl := got["acme-alias"].Proxy.RateLimit; rl == nil || rl.Requests != 100 {
		t.Errorf("an alias that changes only base_url should inherit rate_limit: %+v", rl)
	}
	if got["acme"].Proxy.Extra != nil {
		t.Errorf("rate_limit leaked into Extra: %v", got["acme"].Proxy.Extra)
	}
	b, err := json.Marshal(got["acme-default-burst"])
	if err != nil || !strings.Contains(string(b), `"rate_limit":{"requests":5000,"interval":"1h"}`) {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

func TestParseRateLimitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, block string
		want        []string
	}{
		{"not a mapping", "rate_limit: 5", []string{`field "proxy.rate_limit": expected a mapping, got a number`}},
		{"missing requests", "rate_limit: {interval: 1s}", []string{`field "proxy.rate_limit.requests": missing`}},
		{"missing interval", "rate_limit: {requests: 5}", []string{`field "proxy.rate_limit.interval": missing`}},
		{"requests not a number", "rate_limit: {requests: many, interval: 1s}", []string{`field "proxy.rate_limit.requests": expected a whole number`}},
		{"requests zero", "rate_limit: {requests: 0, interval: 1s}", []string{`field "proxy.rate_limit.requests": must be at least 1`}},
		{"requests huge", "rate_limit: {requests: 99999999999999999, interval: 1s}", []string{`field "proxy.rate_limit.requests": must be at most 1000000000`}},
		{"interval a number", "rate_limit: {requests: 5, interval: 10}", []string{`field "proxy.rate_limit.interval": expected a duration such as 1s`}},
		{"interval unreadable", "rate_limit: {requests: 5, interval: 10 seconds}", []string{`field "proxy.rate_limit.interval": "10 seconds" is not a duration`}},
		{"interval negative", "rate_limit: {requests: 5, interval: -1s}", []string{`field "proxy.rate_limit.interval": must be at least 1ms`}},
		{"interval too long", "rate_limit: {requests: 5, interval: 48h}", []string{`field "proxy.rate_limit.interval": must be at most 24h`}},
		{"burst zero", "rate_limit: {requests: 5, interval: 1s, burst: 0}", []string{`field "proxy.rate_limit.burst": must be at least 1`}},
		{"burst equals requests", "rate_limit: {requests: 5, interval: 1s, burst: 5}", []string{`field "proxy.rate_limit.burst": must be less than requests (5)`}},
		{"burst above one", "rate_limit: {requests: 1, interval: 1s, burst: 2}", []string{`field "proxy.rate_limit.burst": must be 1 when requests is 1`}},
		{"unknown field", "rate_limit: {requests: 5, interval: 1s, per: minute}", []string{`field "proxy.rate_limit.per": unknown field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := okEntry + "\nacme:\n    auth_mode: NONE\n    proxy:\n        " + tt.block + "\n"
			_, err := Parse([]byte(src), "test.yaml")
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), `test.yaml: provider "acme": `+w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("%d errors, want %d: %v", n, len(tt.want), err)
			}
		})
	}
}

func TestRateLimitOneAtATime(t *testing.T) {
	t.Parallel()
	r := RateLimit{Requests: 1, Interval: time.Second}
	if r.Check() != nil || r.EffectiveBurst() != 1 {
		t.Errorf("1 per second: problems %v, burst %d", r.Check(), r.EffectiveBurst())
	}
	if (RateLimit{Requests: 1, Interval: time.Second, Burst: 1}).Check() != nil {
		t.Error("an explicit burst of 1 with requests 1 is valid")
	}
}

func TestFormatInterval(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", time.Minute: "1m", 10 * time.Second: "10s", 90 * time.Second: "1m30s",
		90 * time.Minute: "1h30m", 500 * time.Millisecond: "500ms", time.Hour + time.Second: "1h0m1s",
	} {
		if got := FormatInterval(d); got != want {
			t.Errorf("FormatInterval(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseInterval(want); err != nil || back != d {
			t.Errorf("ParseInterval(%q) = %v, %v", want, back, err)
		}
	}
}

// TestBuiltinRateLimits checks the limits of the built-in entries against
// the providers' published figures, so an edit to providers.yaml that
// loosens one is seen.
func TestBuiltinRateLimits(t *testing.T) {
	t.Parallel()
	c := setup(t)
	want := map[string]RateLimit{
		"github":          {Requests: 5000, Interval: time.Hour},
		"github-app":      {Requests: 5000, Interval: time.Hour}, // inherited
		"github-pat":      {Requests: 5000, Interval: time.Hour},
		"hubspot":         {Requests: 100, Interval: 10 * time.Second},
		"slack":           {Requests: 20, Interval: time.Minute, Burst: 1},
		"stripe":          {Requests: 100, Interval: time.Second},
		"stripe-api-key":  {Requests: 100, Interval: time.Second},
		"google-sheet":    {Requests: 60, Interval: time.Minute},
		"airtable":        {Requests: 5, Interval: time.Second},
		"airtable-pat":    {Requests: 5, Interval: time.Second},
		"asana":           {Requests: 150, Interval: time.Minute},
		"notion":          {Requests: 180, Interval: time.Minute},
		"trello":          {Requests: 100, Interval: 10 * time.Second},
		"google-calendar": {}, // no single per-connection figure: none
		"zoom":            {},
	}
	for name, w := range want {
		p, ok := c.Lookup(name)
		if !ok {
			t.Fatalf("no %s entry", name)
		}
		var got RateLimit
		if p.Proxy != nil && p.Proxy.RateLimit != nil {
			got = *p.Proxy.RateLimit
		}
		if got != w {
			t.Errorf("%s rate_limit = %+v, want %+v", name, got, w)
		}
	}
	for _, p := range c.All() {
		if p.Proxy != nil && p.Proxy.RateLimit != nil && p.Proxy.RateLimit.Check() != nil {
			t.Errorf("%s: %v", p.Name, p.Proxy.RateLimit.Check())
		}
	}
}
