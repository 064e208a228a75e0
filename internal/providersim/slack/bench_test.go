package slack

import (
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// BenchmarkAuthTest calls auth.test (a ~200-byte JSON answer) over
// loopback HTTP from 32 concurrent clients, rate limits off, and reports
// requests per second: the simulator's ceiling for a small method.
func BenchmarkAuthTest(b *testing.B) {
	benchMethod(b, "/slack/api/auth.test")
}

// BenchmarkUsersList fetches a 100-member users.list page (~120 KB) the
// same way.
func BenchmarkUsersList(b *testing.B) {
	benchMethod(b, "/slack/api/users.list?limit=100")
}

func benchMethod(b *testing.B, path string) {
	bu := setup(b, sim.Options{DisableRateLimits: true}, Options{})
	url := bu.s.BaseURL() + path
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}}
	b.Cleanup(client.CloseIdleConnections)
	// SetParallelism multiplies by GOMAXPROCS: 32 goroutines in all.
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	var size atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+bu.token)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
			size.CompareAndSwap(0, n)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	b.SetBytes(size.Load())
}
