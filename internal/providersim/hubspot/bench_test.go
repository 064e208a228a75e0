package hubspot

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// BenchmarkListContacts fetches one 100-contact page of a million-contact
// portal over HTTP from parallel clients, rate limits off, and reports
// requests per second.
func BenchmarkListContacts(b *testing.B) {
	bu := setup(b, sim.Options{DisableRateLimits: true}, Options{DefaultContacts: 1_000_000})
	url := bu.s.BaseURL() + "/hubspot/crm/v3/objects/contacts?limit=100&after=" + encodeCursor(500_000)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.Cleanup(client.CloseIdleConnections)
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
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
