package github

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// BenchmarkIssuesPage fetches one 100-item issues page over loopback from
// 32 concurrent clients, rate limits off, and reports requests per second.
func BenchmarkIssuesPage(b *testing.B) {
	bu := setup(b, sim.Options{DisableRateLimits: true}, Options{})
	url := bu.s.BaseURL() + "/github/repos/acme/api/issues?state=all&per_page=100&page=2"
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)
	fetch := func() (int, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+bu.token)
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("status %d", res.StatusCode)
		}
		return int(n), nil
	}
	size, err := fetch() // warm the page cache
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	// SetParallelism multiplies GOMAXPROCS; round up to 32 goroutines.
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((32 + procs - 1) / procs)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := fetch(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
