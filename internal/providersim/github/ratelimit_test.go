package github

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func TestPrimaryRateLimitHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	for i := 1; i <= 3; i++ {
		res := b.api(t, http.MethodGet, "/github/repos/acme/api/issues", nil)
		h := res.header
		reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if res.status != http.StatusOK || h.Get("X-RateLimit-Limit") != "5000" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(5000-i) ||
			h.Get("X-RateLimit-Used") != strconv.Itoa(i) || h.Get("X-RateLimit-Resource") != "core" || err != nil {
			t.Fatalf("request %d: %d %v", i, res.status, h)
		}
		if d := time.Unix(reset, 0).Sub(b.s.Clock.Now()); d <= 0 || d > time.Hour {
			t.Fatalf("reset %v from now", d)
		}
	}
}

func TestPrimaryRateLimitExhausted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		exhaust func(b *bundle)
		limit   string
	}{
		{"small option limit", Options{CoreLimit: 3}, func(b *bundle) {
			for range 3 {
				b.api(t, http.MethodGet, "/github/user", nil)
			}
		}, "3"},
		{"control by token", Options{}, func(b *bundle) {
			b.control(t, "ratelimit", map[string]any{"token": b.token, "exhaust": true}, http.StatusOK)
		}, "5000"},
		{"control by user", Options{}, func(b *bundle) {
			b.control(t, "ratelimit", map[string]any{"user": "octocat", "exhaust": true}, http.StatusOK)
		}, "5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sim.Options{}, tt.opts)
			tt.exhaust(b)
			res := b.api(t, http.MethodGet, "/github/repos/acme/api/issues", nil)
			var body struct {
				Message string `json:"message"`
				Doc     string `json:"documentation_url"`
			}
			res.decode(t, &body)
			if res.status != http.StatusForbidden || !strings.HasPrefix(body.Message, "API rate limit exceeded for user ID 583231") || body.Doc == "" {
				t.Fatalf("exhausted: %d %s", res.status, res.body)
			}
			if res.header.Get("X-RateLimit-Remaining") != "0" || res.header.Get("X-RateLimit-Limit") != tt.limit || res.header.Get("X-RateLimit-Used") != tt.limit {
				t.Fatalf("exhausted headers: %v", res.header)
			}
			// Another user has their own budget.
			other := b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: "hubot"}, 0, false)
			if res := b.request(t, http.MethodGet, "/github/user", "token "+other.AccessToken, nil); res.status != http.StatusOK {
				t.Fatalf("other user: %d", res.status)
			}
			reset, _ := strconv.ParseInt(res.header.Get("X-RateLimit-Reset"), 10, 64)
			b.s.Clock.Advance(time.Unix(reset, 0).Sub(b.s.Clock.Now()) + time.Second)
			if res := b.api(t, http.MethodGet, "/github/user", nil); res.status != http.StatusOK {
				t.Fatalf("after the reset: %d", res.status)
			}
		})
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{SecondaryLimit: 2})
	create := func() response {
		return b.api(t, http.MethodPost, "/github/repos/acme/api/issues", map[string]any{"title": "spam"})
	}
	for i := range 2 {
		if res := create(); res.status != http.StatusCreated {
			t.Fatalf("write %d: %d", i, res.status)
		}
	}
	res := create()
	retry, err := strconv.Atoi(res.header.Get("Retry-After"))
	if res.status != http.StatusTooManyRequests || err != nil || retry < 1 || retry > 60 || !strings.Contains(string(res.body), "secondary rate limit") {
		t.Fatalf("third write: %d %v %s", res.status, res.header, res.body)
	}
	// Reads are not content creation.
	if res := b.api(t, http.MethodGet, "/github/repos/acme/api/issues", nil); res.status != http.StatusOK {
		t.Fatalf("read during secondary limit: %d", res.status)
	}
	b.s.Clock.Advance(time.Duration(retry) * time.Second)
	if res := create(); res.status != http.StatusCreated {
		t.Fatalf("write after Retry-After: %d", res.status)
	}

	// The control API sets the limit and spends it.
	b.control(t, "ratelimit", map[string]any{"secondary_limit": 50, "user": "octocat", "exhaust_secondary": true}, http.StatusOK)
	if res := create(); res.status != http.StatusTooManyRequests {
		t.Fatalf("after exhaust_secondary: %d", res.status)
	}
}

func TestInstallationRateLimitBucket(t *testing.T) {
	t.Parallel()
	o := withApp(Options{})
	o.InstallationLimit = 7000
	b := setup(t, sim.Options{}, o)
	_, tok := b.installationToken(t, nil)
	auth := "token " + tok["token"].(string)
	res := b.request(t, http.MethodGet, "/github/repos/acme/api", auth, nil)
	if res.header.Get("X-RateLimit-Limit") != "7000" || res.header.Get("X-RateLimit-Remaining") != "6999" {
		t.Fatalf("installation headers: %v", res.header)
	}
	b.control(t, "ratelimit", map[string]any{"installation_id": 7, "exhaust": true}, http.StatusOK)
	res = b.request(t, http.MethodGet, "/github/repos/acme/api", auth, nil)
	if res.status != http.StatusForbidden || !strings.Contains(string(res.body), "installation ID 7") {
		t.Fatalf("exhausted installation: %d %s", res.status, res.body)
	}
	if res := b.api(t, http.MethodGet, "/github/repos/acme/api", nil); res.status != http.StatusOK {
		t.Fatalf("user beside an exhausted installation: %d", res.status)
	}
}

func TestRateLimitsOff(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{CoreLimit: 1, SecondaryLimit: 1})
	for range 3 {
		res := b.api(t, http.MethodPost, "/github/repos/acme/api/issues", map[string]any{"title": "x"})
		if res.status != http.StatusCreated || res.header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("limits off: %d %v", res.status, res.header)
		}
	}
}
