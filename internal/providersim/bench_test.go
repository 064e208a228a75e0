package providersim_test

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// BenchmarkSimulator measures the simulator as tests and load tools use it:
// 32 concurrent loopback clients, rate limits off. Targets on a
// 2-core machine: ≥ 20,000 req/s for a ~1 KB JSON answer, ≥ 3,000 req/s for
// a 100-item GitHub issues page.
func BenchmarkSimulator(b *testing.B) {
	opts := providersim.Options{}
	opts.DisableRateLimits = true
	s := providersim.Start(b, opts)
	token := s.OAuth.Issue(sim.Grant{Provider: "github", ClientID: sim.DefaultClient("github").ID, Subject: "octocat"}, 0, false).AccessToken
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}}

	for _, bc := range []struct{ name, path string }{
		{"repo-1KB", "/github/repos/acme/api"},
		{"issues-page-100", "/github/repos/acme/api/issues?state=all&per_page=100"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var size atomic.Int64
			b.SetParallelism(16) // × GOMAXPROCS 2 = 32 clients
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", s.URL()+bc.path, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					n, _ := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("%s: %d", bc.path, res.StatusCode)
						return
					}
					size.Store(n)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(size.Load()), "bytes/resp")
		})
	}
}
