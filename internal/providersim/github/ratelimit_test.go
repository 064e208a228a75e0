package github

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestPrimaryRateLimitHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	for i := 1; i <= 3; i++ {
		res := b.api(t, http.MethodGet, "/github/repos/acme/api/issues", nil)
		h := res.Header
		reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if res.Status != http.StatusOK || h.Get("X-RateLimit-Limit") != "5000" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(5000-i) ||
			h.Get("X-RateLimit-Used") != strconv.Itoa(i) || h.Get("X-RateLimit-Resource") != "core" || err != nil {
			t.Fatalf("request %d: %d %v", i, res.Status, h)
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
			res.Decode(t, &body)
			if res.Status != http.StatusForbidden || !strings.HasPrefix(body.Message, "API rate limit exceeded for user ID 583231") || body.Doc == "" {
				t.Fatalf("exhausted: %d %s", res.Status, res.Body)
			}
			if res.Header.Get("X-RateLimit-Remaining") != "0" || res.Header.Get("X-RateLimit-Limit") != tt.limit || res.Header.Get("X-RateLimit-Used") != tt.limit {
				t.Fatalf("exhausted headers: %v", res.Header)
			}
			// Another user has their own budget.
			other := b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: "hubot"}, 0, false)
			if res := b.request(t, http.MethodGet, "/github/user", "token "+other.AccessToken, nil); res.Status != http.StatusOK {
				t.Fatalf("other user: %d", res.Status)
			}
			reset, _ := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64)
			b.s.Clock.Advance(time.Unix(reset, 0).Sub(b.s.Clock.Now()) + time.Second)
			if res := b.api(t, http.MethodGet, "/github/user", nil); res.Status != http.StatusOK {
				t.Fatalf("after the reset: %d", res.Status)
			}
		})
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{SecondaryLimit: 2})
	create := func() simtest.Response {
		return b.api(t, http.MethodPost, "/github/repos/acme/api/issues", map[string]any{"title": "spam"})
	}
	for i := range 2 {
		if res := create(); res.Status != http.StatusCreated {
			t.Fatalf("write %d: %d", i, res.Status)
		}
	}
	res := create()
	retry, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.Status != http.StatusTooManyRequests || err != nil || retry < 1 || retry > 60 || !strings.Contains(string(res.Body), "secondary rate limit") {
		t.Fatalf("third write: %d %v %s", res.Status, res.Header, res.Body)
	}
	// Reads are not content creation.
	if res := b.api(t, http.MethodGet, "/github/repos/acme/api/issues", nil); res.Status != http.StatusOK {
		t.Fatalf("read during secondary limit: %d", res.Status)
	}
	b.s.Clock.Advance(time.Duration(retry) * time.Second)
	if res := create(); res.Status != http.StatusCreated {
		t.Fatalf("write after Retry-After: %d", res.Status)
	}

	// The control API sets the limit and spends it.
	b.control(t, "ratelimit", map[string]any{"secondary_limit": 50, "user": "octocat", "exhaust_secondary": true}, http.StatusOK)
	if res := create(); res.Status != http.StatusTooManyRequests {
		t.Fatalf("after exhaust_secondary: %d", res.Status)
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
	if res.Header.Get("X-RateLimit-Limit") != "7000" || res.Header.Get("X-RateLimit-Remaining") != "6999" {
		t.Fatalf("installation headers: %v", res.Header)
	}
	b.control(t, "ratelimit", map[string]any{"installation_id": 7, "exhaust": true}, http.StatusOK)
	res = b.request(t, http.MethodGet, "/github/repos/acme/api", auth, nil)
	if res.Status != http.StatusForbidden || !strings.Contains(string(res.Body), "installation ID 7") {
		t.Fatalf("exhausted installation: %d %s", res.Status, res.Body)
	}
	if res := b.api(t, http.MethodGet, "/github/repos/acme/api", nil); res.Status != http.StatusOK {
		t.Fatalf("user beside an exhausted installation: %d", res.Status)
	}
}

func TestRateLimitsOff(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{CoreLimit: 1, SecondaryLimit: 1})
	for range 3 {
		res := b.api(t, http.MethodPost, "/github/repos/acme/api/issues", map[string]any{"title": "x"})
		if res.Status != http.StatusCreated || res.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("limits off: %d %v", res.Status, res.Header)
		}
	}
}
