package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/github"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/vault"
)

// The proxy benchmark's targets, for a 2-core machine.
const (
	benchTargetThroughput = 0.5                    // through/direct at concurrency 32
	benchTargetAddedP50   = 300 * time.Microsecond // through − direct at concurrency 1
	benchTargetCPUPerCall = 60 * time.Microsecond  // per proxied call
	benchThroughputAt     = 32                     // the concurrency the throughput target is for
	benchAddedP50At       = 1                      // the concurrency the latency target is for
)

// Settings of the proxy benchmark's world and runs.
const (
	benchMaxConcurrency = 4096                   // a typo guard, not a limit of the method
	benchWarmup         = 500 * time.Millisecond // per mode, before any measured run
	benchRequestTimeout = 30 * time.Second       // one request, so a stuck server ends the run
	benchConnection     = "bench-1"              // the connection the proxied requests use
	benchIntegration    = "github"               // its integration's unique key
	benchAnswerInError  = 300                    // bytes of an unexpected answer shown in an error
)

// benchCommand groups end-to-end load benchmarks of an embedded Patchbay
// against the provider simulator; `go test -bench` covers the parts.
func benchCommand(stdout, stderr io.Writer) *cobra.Command {
	bench := &cobra.Command{
		Use:   "bench",
		Short: "Load-test an embedded Patchbay against the provider simulator",
		Args:  noArgs,
	}
	bench.AddCommand(benchProxyCommand(stdout, stderr))
	bench.AddCommand(benchActionCommand(stdout, stderr))
	bench.AddCommand(benchSyncCommand(stdout, stderr))
	return bench
}

func benchProxyCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		duration    time.Duration
		concurrency []int
		endpoint    string
	)
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Compare calls to a simulated GitHub made directly and through Patchbay's proxy",
		Long: "Start the provider simulator (rate limits off) and a Patchbay on a temporary SQLite store, both\n" +
			"in this process on loopback, connect a GitHub account, then call the same endpoint directly\n" +
			"and through /proxy at each concurrency for --duration each. Prints requests, req/s, p50, p99\n" +
			"and errors per run, then the ratios against the targets, set for a 2-core machine: proxied\n" +
			"throughput at least half the direct one at concurrency 32, at most 300 µs added to the median\n" +
			"latency at concurrency 1, and at most 60 µs of CPU per proxied call.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkBenchFlags(duration, concurrency, endpoint); err != nil {
				return err
			}
			return runProxyBench(cmd.Context(), stdout, stderr, duration, concurrency, endpoint)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&duration, "duration", 10*time.Second, "how long each run lasts")
	f.IntSliceVar(&concurrency, "concurrency", []int{1, 32}, "comma-separated numbers of concurrent clients; each gets a direct and a proxied run")
	f.StringVar(&endpoint, "endpoint", "/user", "GitHub endpoint to call (GET), as it follows the API base URL")
	return cmd
}

// checkBenchFlags validates the flags at the edge, naming the bad one.
func checkBenchFlags(duration time.Duration, concurrency []int, endpoint string) error {
	var errs []error
	if duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration: must be positive, got %s", duration))
	}
	if len(concurrency) == 0 {
		errs = append(errs, errors.New("--concurrency: give at least one number"))
	}
	for _, c := range concurrency {
		if c < 1 || c > benchMaxConcurrency {
			errs = append(errs, fmt.Errorf("--concurrency: each must be from 1 to %d, got %d", benchMaxConcurrency, c))
		}
	}
	if !strings.HasPrefix(endpoint, "/") || strings.HasPrefix(endpoint, "//") {
		errs = append(errs, fmt.Errorf("--endpoint: must be a path starting with one /, e.g. /user, got %q", endpoint))
	}
	return errors.Join(errs...)
}

func runProxyBench(ctx context.Context, stdout, stderr io.Writer, duration time.Duration, concurrency []int, endpoint string) error {
	w, err := startBenchWorld(ctx, stderr)
	if err != nil {
		return err
	}
	defer w.close()

	// One keep-alive transport per mode, shared by its runs, with an idle
	// connection kept for every client so no run pays for dialling.
	conns := slices.Max(concurrency)
	direct := benchTarget{
		client: benchClient(conns),
		url:    w.sim.URL() + "/github" + endpoint,
		header: http.Header{"Authorization": {"Bearer " + w.token}},
	}
	proxied := benchTarget{
		client: benchClient(conns),
		url:    w.pb.URL() + "/proxy" + endpoint,
		header: http.Header{
			"Authorization":       {"Bearer " + w.secretKey},
			"Provider-Config-Key": {benchIntegration},
			"Connection-Id":       {benchConnection},
		},
	}
	defer direct.client.CloseIdleConnections()
	defer proxied.client.CloseIdleConnections()

	// A wrong --endpoint should fail here, with the answer, not as a table
	// of errors.
	for _, t := range []benchTarget{direct, proxied} {
		if err := t.check(ctx); err != nil {
			return err
		}
	}
	// Warm up both paths at the highest concurrency: connections dialled,
	// Patchbay's credential cache and the simulator's data primed.
	for _, t := range []benchTarget{direct, proxied} {
		runLoad(ctx, t, conns, benchWarmup)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "patchbay bench proxy: GET %s (direct: GET /github%s on the simulator), %s per run, GOMAXPROCS %d, %d CPUs\n\n",
		endpoint, endpoint, duration, runtime.GOMAXPROCS(0), runtime.NumCPU())
	var pairs []benchPair
	for _, c := range concurrency {
		p := benchPair{direct: runLoad(ctx, direct, c, duration)}
		p.direct.mode, p.direct.concurrency = "direct", c
		p.proxied = runLoad(ctx, proxied, c, duration)
		p.proxied.mode, p.proxied.concurrency = "proxied", c
		if err := ctx.Err(); err != nil {
			return err
		}
		pairs = append(pairs, p)
	}
	return printBench(stdout, pairs)
}

// benchWorld is the simulator and an embedded Patchbay whose catalog points
// at it, with one GitHub connection.
type benchWorld struct {
	sim       *providersim.Simulator
	simServer *http.Server
	pb        *app.App
	stopPB    func() error
	logger    *slog.Logger
	dir       string
	token     string // the connection's GitHub access token
	secretKey string // the dev environment's
}

func startBenchWorld(ctx context.Context, stderr io.Writer) (_ *benchWorld, err error) {
	w := &benchWorld{logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "patchbay-bench-"); err != nil {
		return nil, fmt.Errorf("temporary data dir: %w", err)
	}

	opts := providersim.Options{Options: sim.Options{DisableRateLimits: true}}
	// The catalog entry carries GitHub's documented limit, which Patchbay's
	// own throttle honours; raise it far above what a loopback run can
	// send, so the benchmark measures the proxy and not the pacing.
	opts.GitHub = github.Options{CoreLimit: 1_000_000_000}
	w.sim = providersim.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the simulator: %w", err)
	}
	w.sim.SetBaseURL("http://" + ln.Addr().String())
	w.simServer = &http.Server{Handler: w.sim, ReadHeaderTimeout: 10 * time.Second}
	go w.simServer.Serve(ln) //nolint:errcheck // Close ends it with ErrServerClosed

	providersFile := filepath.Join(w.dir, "providers.yaml")
	if err := os.WriteFile(providersFile, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		return nil, fmt.Errorf("write the simulator's providers file: %w", err)
	}
	// The embedded Patchbay reads none of the user's PATCHBAY_* settings:
	// it must not touch their data dir or database.
	w.secretKey = uuid.NewString()
	env := map[string]string{
		"PATCHBAY_ADDR":             "127.0.0.1:0",
		"PATCHBAY_DATA_DIR":         filepath.Join(w.dir, "data"),
		"PATCHBAY_PROVIDERS_FILE":   providersFile,
		"PATCHBAY_SHUTDOWN_TIMEOUT": "5s",
		// Given, so first start does not warn about a generated key.
		"PATCHBAY_ENCRYPTION_KEY":  vault.GenerateKey(),
		config.SecretKeyVar("dev"): w.secretKey,
	}
	cfg, err := config.Register(pflag.NewFlagSet("bench", pflag.ContinueOnError), func(k string) string { return env[k] }).Parse()
	if err != nil {
		return nil, fmt.Errorf("embedded patchbay config: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if w.pb, err = app.New(runCtx, cfg, w.logger, io.Discard); err != nil {
		cancel()
		return nil, fmt.Errorf("start the embedded patchbay: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- w.pb.Run(runCtx) }()
	w.stopPB = func() error {
		cancel()
		return errors.Join(<-done, w.pb.Close())
	}

	grant := w.sim.OAuth.Issue(sim.Grant{Provider: "github", ClientID: sim.DefaultClient("github").ID, Subject: "octocat"}, 8*time.Hour, true)
	w.token = grant.AccessToken
	client := benchClient(1)
	defer client.CloseIdleConnections()
	if err := w.api(ctx, client, "/integrations", http.StatusOK, map[string]any{
		"unique_key": benchIntegration, "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": sim.DefaultClient("github").ID, "client_secret": sim.DefaultClient("github").Secret},
	}); err != nil {
		return nil, err
	}
	if err := w.api(ctx, client, "/connections", http.StatusCreated, map[string]any{
		"provider_config_key": benchIntegration, "connection_id": benchConnection,
		"credentials": map[string]any{
			"type": "OAUTH2", "access_token": grant.AccessToken, "refresh_token": grant.RefreshToken,
			"expires_at": grant.ExpiresAt.UTC().Format(time.RFC3339),
		},
	}); err != nil {
		return nil, err
	}
	return w, nil
}

// api POSTs body to Patchbay's API as the dev environment.
func (w *benchWorld) api(ctx context.Context, client *http.Client, path string, want int, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.pb.URL()+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.secretKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, benchAnswerInError))
	if res.StatusCode != want {
		return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, answer)
	}
	return nil
}

// close stops everything and removes the temporary data dir.
func (w *benchWorld) close() {
	if w.stopPB != nil {
		if err := w.stopPB(); err != nil {
			w.logger.Warn("stopping the embedded patchbay", "err", err)
		}
	}
	if w.simServer != nil {
		w.simServer.Close()
		w.sim.Webhooks().Wait()
	}
	if w.dir != "" {
		os.RemoveAll(w.dir)
	}
}

func benchClient(conns int) *http.Client {
	return &http.Client{
		Timeout: benchRequestTimeout,
		Transport: &http.Transport{
			Proxy:               nil, // loopback; never through an HTTP_PROXY
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// benchTarget is one kind of request a benchmark makes: GET without a
// body unless method and body say otherwise.
type benchTarget struct {
	client *http.Client
	method string
	url    string
	header http.Header
	body   string
}

func (t benchTarget) send(ctx context.Context) (*http.Response, error) {
	method := t.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if t.body != "" {
		body = strings.NewReader(t.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url, body)
	if err != nil {
		return nil, err
	}
	req.Header = t.header.Clone()
	return t.client.Do(req)
}

// do makes one call and reads the whole answer; anything but 200 is an
// error.
func (t benchTarget) do(ctx context.Context) error {
	res, err := t.send(ctx)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return err
}

// check makes one call and explains a failure with the answer's start.
func (t benchTarget) check(ctx context.Context) error {
	res, err := t.send(ctx)
	if err != nil {
		return fmt.Errorf("%s %s: %w", t.method, t.url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, benchAnswerInError))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", t.method, t.url, res.StatusCode, body)
	}
	return nil
}

// loadRun is the outcome of one run.
type loadRun struct {
	mode        string
	concurrency int
	requests    int
	errors      int
	firstError  string
	elapsed     time.Duration
	cpu         time.Duration   // process CPU time (user+sys) during the run
	latencies   []time.Duration // sorted
}

// runLoad calls t from concurrency clients, each starting calls until d
// has passed, and measures every call.
func runLoad(ctx context.Context, t benchTarget, concurrency int, d time.Duration) loadRun {
	deadline := time.Now().Add(d)
	return measureLoad(ctx, concurrency, func() bool { return time.Now().Before(deadline) }, t.do)
}

// measureLoad runs do from concurrency clients while more says so (it is
// asked before each call, from every client) and measures every call.
func measureLoad(ctx context.Context, concurrency int, more func() bool, do func(context.Context) error) loadRun {
	var (
		mu    sync.Mutex
		out   = loadRun{}
		wg    sync.WaitGroup
		perWk = make([][]time.Duration, concurrency)
	)
	cpuBefore, cpuKnown := processCPU()
	start := time.Now()
	for i := range concurrency {
		wg.Go(func() {
			// Each client keeps its own durations; they are merged and
			// sorted once the run is over, so recording costs an append.
			own := make([]time.Duration, 0, 1024)
			errs, first := 0, ""
			for ctx.Err() == nil && more() {
				began := time.Now()
				err := do(ctx)
				own = append(own, time.Since(began))
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			perWk[i] = own
			mu.Lock()
			defer mu.Unlock()
			out.errors += errs
			if out.firstError == "" {
				out.firstError = first
			}
		})
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	cpuAfter, _ := processCPU()
	out.cpu = cpuAfter - cpuBefore
	if !cpuKnown {
		out.cpu = -1 // the platform cannot tell; printed as n/a
	}
	out.concurrency = concurrency
	for _, own := range perWk {
		out.latencies = append(out.latencies, own...)
	}
	slices.Sort(out.latencies)
	out.requests = len(out.latencies)
	return out
}

// rate is requests per second.
func (r loadRun) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// percentile is the latency at or below which a fraction p of the calls
// finished (nearest rank).
func (r loadRun) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	rank := int(float64(len(r.latencies))*p+0.999999) - 1
	return r.latencies[min(max(rank, 0), len(r.latencies)-1)]
}

// benchPair is the direct and the proxied run at one concurrency.
type benchPair struct {
	direct, proxied loadRun
}

// throughput is proxied req/s as a fraction of direct req/s.
func (p benchPair) throughput() float64 {
	if p.direct.rate() == 0 {
		return 0
	}
	return p.proxied.rate() / p.direct.rate()
}

// addedP50 is the median latency the proxy adds.
func (p benchPair) addedP50() time.Duration {
	return p.proxied.percentile(0.5) - p.direct.percentile(0.5)
}

// cpuPerCall estimates the CPU one proxied call costs Patchbay. The
// clients, the simulator and Patchbay share this process, so the proxied
// run's CPU time is clients + Patchbay + simulator (and the kernel's
// loopback work for both hops), while the direct run's is clients +
// simulator alone. Scaling the direct run's CPU to the proxied run's
// request count and subtracting it leaves what Patchbay adds per call —
// its handler, credential lookup, outbound client and the extra hop.
func (p benchPair) cpuPerCall() time.Duration {
	if p.direct.requests == 0 || p.proxied.requests == 0 || p.direct.cpu < 0 {
		return -1
	}
	baseline := float64(p.direct.cpu) * float64(p.proxied.requests) / float64(p.direct.requests)
	return time.Duration((float64(p.proxied.cpu) - baseline) / float64(p.proxied.requests))
}

func printBench(stdout io.Writer, pairs []benchPair) error {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tCONCURRENCY\tREQUESTS\tREQ/S\tP50\tP99\tERRORS")
	var firstErrors []string
	for _, p := range pairs {
		for _, r := range []loadRun{p.direct, p.proxied} {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%d\n", r.mode, r.concurrency, r.requests, r.rate(),
				benchMs(r.percentile(0.5)), benchMs(r.percentile(0.99)), r.errors)
			if r.errors > 0 {
				firstErrors = append(firstErrors, fmt.Sprintf("%s at concurrency %d, first error: %s", r.mode, r.concurrency, r.firstError))
			}
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CONCURRENCY\tTHROUGH/DIRECT\tTARGET\tADDED P50\tTARGET\tCPU/PROXIED CALL\tTARGET")
	for _, p := range pairs {
		c := p.direct.concurrency
		throughputTarget, p50Target := "-", "-"
		if c == benchThroughputAt {
			throughputTarget = fmt.Sprintf("≥ %.0f%% %s", benchTargetThroughput*100, benchMark(p.throughput() >= benchTargetThroughput))
		}
		if c == benchAddedP50At {
			p50Target = fmt.Sprintf("≤ %s %s", benchMs(benchTargetAddedP50), benchMark(p.addedP50() <= benchTargetAddedP50))
		}
		cpu, cpuTarget := "n/a", "-"
		if per := p.cpuPerCall(); per >= 0 {
			cpu = fmt.Sprintf("%.1fµs", float64(per)/float64(time.Microsecond))
			cpuTarget = fmt.Sprintf("≤ %.0fµs %s", float64(benchTargetCPUPerCall)/float64(time.Microsecond), benchMark(per <= benchTargetCPUPerCall))
		}
		fmt.Fprintf(tw, "%d\t%.1f%%\t%s\t%+.3fms\t%s\t%s\t%s\n", c, p.throughput()*100, throughputTarget,
			float64(p.addedP50())/float64(time.Millisecond), p50Target, cpu, cpuTarget)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nTargets are for a 2-core machine: through/direct ≥ %.0f%% at concurrency %d, added p50 ≤ %s at concurrency %d, CPU per proxied call ≤ %s.\n",
		benchTargetThroughput*100, benchThroughputAt, benchMs(benchTargetAddedP50), benchAddedP50At, benchTargetCPUPerCall)
	for _, e := range firstErrors {
		fmt.Fprintln(stdout, e)
	}
	return nil
}

// benchMs formats a latency in milliseconds, which time.ParseDuration reads
// back.
func benchMs(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond))
}

func benchMark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}
