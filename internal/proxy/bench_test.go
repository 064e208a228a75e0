package proxy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/github"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/vault"
)

// BenchmarkProxy measures a small GitHub call (GET /user) made directly to
// the simulator and through a real Patchbay's /proxy, both on loopback
// with the simulator's rate limits off, from 16 × GOMAXPROCS clients (32
// on the 2-core machine the targets are for). Compare the two
// ns/op: the target is that through-Patchbay throughput stay ≥ 50% of
// direct, i.e. proxied ns/op ≤ 2 × direct; the proxied sub-benchmark
// reports that ratio as through/direct. `patchbay bench proxy` runs the
// same comparison for longer and adds latency percentiles and CPU per call.
func BenchmarkProxy(b *testing.B) {
	w := newBenchWorld(b)
	direct := benchCall{
		url:    w.sim.URL() + "/github/user",
		header: http.Header{"Authorization": {"Bearer " + w.token}},
	}
	proxied := benchCall{
		url: w.pb.URL + "/proxy/user",
		header: http.Header{
			"Authorization":       {"Bearer " + apptest.DevKey},
			"Provider-Config-Key": {"github"},
			"Connection-Id":       {"bench-1"},
		},
	}
	nsPerOp := map[string]float64{}
	for _, bc := range []struct {
		name string
		call benchCall
	}{{"direct", direct}, {"proxied", proxied}} {
		b.Run(bc.name, func(b *testing.B) {
			const parallelism = 16
			client := &http.Client{Transport: &http.Transport{
				MaxIdleConns:        parallelism * 8,
				MaxIdleConnsPerHost: parallelism * 8,
			}}
			defer client.CloseIdleConnections()
			// Warm up outside the timer: connections dialled, Patchbay's
			// credential cache filled.
			for range 3 * parallelism {
				if err := bc.call.do(client); err != nil {
					b.Fatal(err)
				}
			}
			b.SetParallelism(parallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bc.call.do(client); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			nsPerOp[bc.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if bc.name == "proxied" && nsPerOp["direct"] > 0 {
				b.ReportMetric(nsPerOp["direct"]/nsPerOp["proxied"], "through/direct")
			}
		})
	}
}

// benchWorld is a Patchbay whose catalog points at the simulator, with one
// GitHub connection, bench-1.
type benchWorld struct {
	sim   *providersim.Simulator
	pb    *apptest.Server
	token string
}

func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	opts := providersim.Options{Options: sim.Options{DisableRateLimits: true}}
	// Patchbay's own throttle honours the catalog's rate_limit, which the
	// simulator derives from GitHub's limit: raise it out of the way.
	opts.GitHub = github.Options{CoreLimit: 1_000_000_000}
	w := &benchWorld{sim: providersim.Start(b, opts)}
	file := filepath.Join(b.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		b.Fatal(err)
	}
	w.pb = apptest.Start(b, apptest.Options{Env: map[string]string{
		"PATCHBAY_PROVIDERS_FILE": file,
		"PATCHBAY_ENCRYPTION_KEY": vault.GenerateKey(), // no warning about a generated one
	}})

	client := sim.DefaultClient("github")
	g := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: client.ID, Subject: "octocat"}, 8*time.Hour, true)
	w.token = g.AccessToken
	w.post(b, "/integrations", http.StatusOK, map[string]any{
		"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": client.ID, "client_secret": client.Secret},
	})
	w.post(b, "/connections", http.StatusCreated, map[string]any{
		"provider_config_key": "github", "connection_id": "bench-1",
		"credentials": map[string]any{
			"type": "OAUTH2", "access_token": g.AccessToken, "refresh_token": g.RefreshToken,
			"expires_at": g.ExpiresAt.UTC().Format(time.RFC3339),
		},
	})
	return w
}

func (w *benchWorld) post(b *testing.B, path string, want int, body any) {
	b.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, w.pb.URL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		b.Fatalf("POST %s: %d %s", path, res.StatusCode, truncate(answer))
	}
}

// benchCall is one side of the comparison.
type benchCall struct {
	url    string
	header http.Header
}

func (c benchCall) do(client *http.Client) error {
	req, err := http.NewRequest(http.MethodGet, c.url, nil)
	if err != nil {
		return err
	}
	req.Header = c.header.Clone()
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", c.url, res.StatusCode)
	}
	return err
}
