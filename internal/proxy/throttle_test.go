package proxy_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim/hubspot"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
	"github.com/patchbay/patchbay/internal/proxy"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/postgres"
	"github.com/patchbay/patchbay/internal/store/sqlstore"
	"github.com/patchbay/patchbay/internal/store/storetest"
)

// throttleClock runs the callers of a burst in simulated time. Every
// caller reserves at the same instant; those told to wait park in Sleep.
// Once all have parked or finished, run releases the sleepers one by one in
// wake order, moving the simulator's clock to each one's wake time first,
// so a 30-second schedule plays out in the time the requests take. The
// simulator's clock is real time plus an offset, so it only ever sees the
// requests further apart than the schedule, never closer.
type throttleClock struct {
	s     *simtest.Server
	start time.Time

	mu       sync.Mutex
	sleepers []*throttleSleeper
	parked   chan struct{}
	done     chan struct{}
}

type throttleSleeper struct {
	wake    time.Time
	release chan struct{}
}

func newThrottleClock(s *simtest.Server, callers int) *throttleClock {
	return &throttleClock{s: s, start: time.Now(), parked: make(chan struct{}, callers), done: make(chan struct{}, callers)}
}

func (c *throttleClock) Now() time.Time { return c.start }

func (c *throttleClock) Sleep(ctx context.Context, d time.Duration) error {
	sl := &throttleSleeper{wake: c.start.Add(d), release: make(chan struct{})}
	c.mu.Lock()
	c.sleepers = append(c.sleepers, sl)
	c.mu.Unlock()
	c.parked <- struct{}{}
	select {
	case <-sl.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run waits for callers callers to park or finish (each sends on c.done
// when its request is answered), then plays the sleepers out; it returns
// the last wake time's distance from the start.
func (c *throttleClock) run(callers int) time.Duration {
	for settled := 0; settled < callers; settled++ {
		select {
		case <-c.parked:
		case <-c.done:
		}
	}
	slices.SortFunc(c.sleepers, func(a, b *throttleSleeper) int { return a.wake.Compare(b.wake) })
	at := c.start
	for _, sl := range c.sleepers {
		c.s.Clock.Advance(sl.wake.Sub(at))
		at = sl.wake
		close(sl.release)
		<-c.done
	}
	return at.Sub(c.start)
}

// throttleBackends are the stores whose buckets the proxy can use: this
// process's (SQLite's) and, when configured, PostgreSQL's rows.
func throttleBackends(t *testing.T) map[string]func(t *testing.T) store.Throttles {
	backends := map[string]func(t *testing.T) store.Throttles{
		"process": func(*testing.T) store.Throttles { return sqlstore.NewProcessThrottles() },
	}
	if storetest.PostgresConfigured() {
		backends["postgres"] = func(t *testing.T) store.Throttles {
			s, err := postgres.Open(t.Context(), storetest.PostgresURL(t), storetest.NewVault(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s.Throttles()
		}
	}
	return backends
}

// TestThrottleBurstAgainstSimulator fires a burst of concurrent requests,
// two and a half times HubSpot's 10-second limit, at the simulated
// HubSpot: with the throttle at the limit the simulator's catalog states,
// none is refused; without it, the simulator refuses what is over. Larger
// limits make PostgreSQL nodes lease tokens in batches.
func TestThrottleBurstAgainstSimulator(t *testing.T) {
	t.Parallel()
	for name, newBuckets := range throttleBackends(t) {
		for _, perTen := range []int{100, 300} {
			t.Run(name+"/"+strconv.Itoa(perTen), func(t *testing.T) {
				t.Parallel()
				hs := hubspot.New(hubspot.Options{BurstLimit: perTen})
				s := simtest.Start(t, sim.Options{}, hs)
				entry := simtest.Entry(t, hs, s.BaseURL(), "hubspot")
				limit, ok := proxy.EffectiveLimit(entry, nil)
				if !ok || limit != (catalog.RateLimit{Requests: perTen, Interval: 10 * time.Second}) {
					t.Fatalf("the simulator's catalog limit = %+v, %v", limit, ok)
				}
				token := s.OAuth.Issue(sim.Grant{Provider: "hubspot", ClientID: sim.DefaultClient("hubspot").ID, Subject: "7340001"}, 0, false).AccessToken
				url := entry.Proxy.BaseURL + "/crm/v3/objects/contacts?limit=1"
				callers := perTen * 5 / 2

				clock := newThrottleClock(s, callers)
				th := proxy.NewThrottle(newBuckets(t), proxy.ThrottleOptions{Now: clock.Now, Sleep: clock.Sleep})
				var took time.Duration
				statuses := throttleBurst(t, callers, url, token, clock.done, func(ctx context.Context) error {
					return th.Wait(ctx, "conn:hubspot-1", limit)
				}, func() { took = clock.run(callers) })
				if n := statuses[http.StatusTooManyRequests]; n != 0 || statuses[http.StatusOK] != callers {
					t.Fatalf("throttled at the simulator's limit: statuses %v, want %d × 200", statuses, callers)
				}
				// Not held back more than the bucket must: a tenth of the
				// limit at once, then nine tenths per interval (less a
				// tenth of the burst where nodes lease tokens in batches).
				burst := limit.EffectiveBurst()
				tick := limit.Interval / time.Duration(perTen-burst)
				want := time.Duration(callers-burst) * tick
				if took < want-time.Millisecond || took > want+time.Duration(burst/10)*tick+time.Millisecond {
					t.Fatalf("the burst took %v of simulated time, want %v", took, want)
				}

				// The same burst unthrottled, in the next window.
				s.Clock.Advance(limit.Interval)
				done := make(chan struct{}, callers)
				statuses = throttleBurst(t, callers, url, token, done, nil, nil)
				if statuses[http.StatusTooManyRequests] != callers-perTen {
					t.Fatalf("unthrottled: statuses %v, want %d × 429", statuses, callers-perTen)
				}
			})
		}
	}
}

// throttleBurst starts callers goroutines that each wait (when wait is
// set) and then GET url, run (when set) while they are under way, and
// counts the answers by status.
func throttleBurst(t *testing.T, callers int, url, token string, done chan<- struct{}, wait func(context.Context) error, run func()) map[int]int {
	t.Helper()
	var counts [600]atomic.Int32
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			defer func() { done <- struct{}{} }()
			if wait != nil {
				if errs[i] = wait(t.Context()); errs[i] != nil {
					return
				}
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			res.Body.Close()
			counts[min(res.StatusCode, len(counts)-1)].Add(1)
		})
	}
	if run != nil {
		run()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for status := range counts {
		if n := counts[status].Load(); n > 0 {
			out[status] = int(n)
		}
	}
	return out
}

func TestThrottleWait(t *testing.T) {
	t.Parallel()
	limit := catalog.RateLimit{Requests: 3, Interval: time.Hour, Burst: 1}
	t.Run("first token is free", func(t *testing.T) {
		t.Parallel()
		th := proxy.NewThrottle(sqlstore.NewProcessThrottles(), proxy.ThrottleOptions{Sleep: func(context.Context, time.Duration) error {
			t.Error("slept with a token in the bucket")
			return nil
		}})
		if err := th.Wait(t.Context(), "k", limit); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("sleeps the reserved wait", func(t *testing.T) {
		t.Parallel()
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		var slept []time.Duration
		th := proxy.NewThrottle(sqlstore.NewProcessThrottles(), proxy.ThrottleOptions{
			Now:   func() time.Time { return now },
			Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
		})
		for range 3 {
			if err := th.Wait(t.Context(), "k", limit); err != nil {
				t.Fatal(err)
			}
		}
		// Refills at (3 − 1) per hour: one token every 30 minutes.
		if want := []time.Duration{30 * time.Minute, time.Hour}; !slices.Equal(slept, want) {
			t.Fatalf("slept %v, want %v", slept, want)
		}
	})
	t.Run("context ends first", func(t *testing.T) {
		t.Parallel()
		th := proxy.NewThrottle(sqlstore.NewProcessThrottles(), proxy.ThrottleOptions{})
		if err := th.Wait(t.Context(), "k", limit); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := th.Wait(ctx, "k", limit); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait for a token half an hour away: error = %v, want DeadlineExceeded", err)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("Wait outlived its context")
		}
		cancelled, cancel := context.WithCancel(t.Context())
		cancel()
		if err := th.Wait(cancelled, "other", limit); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with a cancelled context: error = %v", err)
		}
	})
	t.Run("store errors", func(t *testing.T) {
		t.Parallel()
		th := proxy.NewThrottle(sqlstore.NewProcessThrottles(), proxy.ThrottleOptions{})
		err := th.Wait(t.Context(), "k", catalog.RateLimit{Requests: 5, Interval: time.Second, Burst: 5})
		if !errors.Is(err, store.ErrInvalidRate) {
			t.Fatalf("error = %v, want ErrInvalidRate", err)
		}
	})
}

func TestEffectiveLimit(t *testing.T) {
	t.Parallel()
	catalogLimit := &catalog.RateLimit{Requests: 100, Interval: 10 * time.Second}
	withLimit := &catalog.Provider{Name: "hubspot", Proxy: &catalog.ProxyConfig{RateLimit: catalogLimit}}
	withoutLimit := &catalog.Provider{Name: "acme", Proxy: &catalog.ProxyConfig{}}
	override := &store.Integration{Settings: store.IntegrationSettings{
		RateLimit: &store.RateLimitOverride{Requests: 150, Interval: 10 * time.Second, Burst: 30}}}
	plain := &store.Integration{}
	tests := []struct {
		name   string
		p      *catalog.Provider
		in     *store.Integration
		want   catalog.RateLimit
		wantOK bool
	}{
		{"catalog", withLimit, plain, *catalogLimit, true},
		{"override wins", withLimit, override, catalog.RateLimit{Requests: 150, Interval: 10 * time.Second, Burst: 30}, true},
		{"override without a catalog limit", withoutLimit, override, catalog.RateLimit{Requests: 150, Interval: 10 * time.Second, Burst: 30}, true},
		{"neither", withoutLimit, plain, catalog.RateLimit{}, false},
		{"no proxy block", &catalog.Provider{Name: "bare"}, plain, catalog.RateLimit{}, false},
		{"nil integration", withLimit, nil, *catalogLimit, true},
		{"nil provider", nil, override, catalog.RateLimit{Requests: 150, Interval: 10 * time.Second, Burst: 30}, true},
		{"nil both", nil, nil, catalog.RateLimit{}, false},
	}
	for _, tt := range tests {
		if got, ok := proxy.EffectiveLimit(tt.p, tt.in); got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: EffectiveLimit = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

// BenchmarkThrottleWait is the throttle's cost per proxied call when the
// bucket has room, on this process's buckets.
func BenchmarkThrottleWait(b *testing.B) {
	th := proxy.NewThrottle(sqlstore.NewProcessThrottles(), proxy.ThrottleOptions{})
	limit := catalog.RateLimit{Requests: 1_000_000_000, Interval: time.Second}
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if err := th.Wait(ctx, "conn:"+strconv.Itoa(i%64), limit); err != nil {
				b.Fatal(err)
			}
		}
	})
}
