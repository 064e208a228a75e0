package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for --postgres's scratch schema
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/config"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/hubspot"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/syncs/fixtures"
	"github.com/patchbay/patchbay/internal/vault"
)

// The sync benchmark's targets, for a 2-core machine.
const (
	benchSyncTargetSaved = 50_000            // records/s saved end to end
	benchSyncTargetRead  = 200_000           // records/s read back at limit benchSyncReadAt
	benchSyncTargetRSS   = 200 * 1024 * 1024 // peak RSS during the sync and the reads
	benchSyncReadAt      = 1000              // the page size the read target is for
)

// Settings of the sync benchmark's world.
const (
	benchSyncPortal     = 7340001                // the simulated HubSpot portal (hub id)
	benchSyncConnection = "bench-hubspot"        // the connection the sync runs on
	benchSyncPoll       = 100 * time.Millisecond // how often the status is read while the sync runs
	benchSyncAutoStart  = 3 * time.Second        // how long to wait for the autostarted run before triggering one
	benchSyncRSSEvery   = 20 * time.Millisecond  // how often RSS is sampled
	benchSyncMaxSize    = 100_000_000            // the simulator's largest portal
)

// benchSyncReadLimits are the GET /records page sizes read back, in
// order. The first read after the sync is also the first time the
// database reads what it just wrote (PostgreSQL then sets each row's
// visibility hint bits, writing the pages again), so the limit the target
// is for is read twice: once cold, once as later reads find it.
var benchSyncReadLimits = []int{benchSyncReadAt, benchSyncReadAt, 10_000}

func benchSyncCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		contacts   int
		postgres   string
		timeout    time.Duration
		cpuprofile string
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync a simulated HubSpot portal's contacts into the records cache, then read them back",
		Long: "Start the provider simulator (rate limits off) with a HubSpot portal of --contacts contacts and a\n" +
			"Patchbay on a temporary SQLite store (or a scratch schema of --postgres) in this process, deploy\n" +
			"a HubSpot contacts sync in seed_05's two-phase style, connect the portal, and let the sync run\n" +
			"(it autostarts; POST /sync/trigger if it does not) until GET /sync/status says SUCCESS with every\n" +
			"contact counted. Then read every record back with GET /records at limit 1000 and 10000.\n" +
			"Prints records/s and peak RSS (this whole process: clients, simulator and server) per phase\n" +
			"against the targets, set for a 2-core machine: ≥ 50,000 records/s saved end to end, ≥ 200,000\n" +
			"records/s read back at limit 1000, peak RSS ≤ 200 MB.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkBenchSyncFlags(contacts, postgres, timeout); err != nil {
				return err
			}
			if cpuprofile != "" {
				stop, err := startCPUProfile(cpuprofile)
				if err != nil {
					return err
				}
				defer stop()
			}
			return runSyncBench(cmd.Context(), stdout, stderr, contacts, postgres, timeout)
		},
	}
	f := cmd.Flags()
	f.IntVar(&contacts, "contacts", 1_000_000, "contacts in the simulated portal")
	f.StringVar(&postgres, "postgres", "", "postgres:// URL of a database to run on instead of SQLite (a scratch schema is created in it and dropped)")
	f.DurationVar(&timeout, "timeout", 30*time.Minute, "how long the sync may take before the benchmark gives up")
	f.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run (go tool pprof reads it) to this file")
	return cmd
}

// startCPUProfile profiles the process into file until stop is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// checkBenchSyncFlags validates the flags at the edge, naming the bad one.
func checkBenchSyncFlags(contacts int, postgres string, timeout time.Duration) error {
	var errs []error
	if contacts < 1 || contacts > benchSyncMaxSize {
		errs = append(errs, fmt.Errorf("--contacts: must be from 1 to %d, got %d", benchSyncMaxSize, contacts))
	}
	if postgres != "" {
		// The URL may hold a password: never echo it.
		if u, err := url.Parse(postgres); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("--postgres: want a postgres:// or postgresql:// URL"))
		}
	}
	if timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout: must be positive, got %s", timeout))
	}
	return errors.Join(errs...)
}

// syncBench is the benchmark's world: the shared bench world (simulator,
// embedded Patchbay, temporary dir) and the scratch schema to drop.
type syncBench struct {
	*benchWorld
	client     *http.Client
	dropSchema func() error
}

func runSyncBench(ctx context.Context, stdout, stderr io.Writer, contacts int, postgres string, timeout time.Duration) error {
	w, err := startSyncBench(ctx, stderr, contacts, postgres)
	if err != nil {
		return err
	}
	defer w.close()
	store := "SQLite"
	if postgres != "" {
		store = "PostgreSQL"
	}

	rss := newRSSSampler()
	defer rss.stop()
	saved, err := w.runSync(ctx, stderr, contacts, timeout, rss)
	if err != nil {
		return err
	}
	reads := make([]benchPhase, 0, len(benchSyncReadLimits))
	for i, limit := range benchSyncReadLimits {
		rss.reset()
		r, err := w.readBack(ctx, limit)
		if err != nil {
			return err
		}
		if slices.Contains(benchSyncReadLimits[:i], limit) {
			r.name += " again"
		}
		r.peakRSS = rss.peak()
		if r.records != contacts {
			return fmt.Errorf("GET /records at limit %d read %d records, want %d", limit, r.records, contacts)
		}
		reads = append(reads, r)
	}

	fmt.Fprintf(stdout, "patchbay bench sync: HubSpot contacts sync of %d contacts (list backfill, pages of 100), %s, GOMAXPROCS %d, %d CPUs\n\n",
		contacts, store, runtime.GOMAXPROCS(0), runtime.NumCPU())
	return printSyncBench(stdout, saved, reads)
}

func startSyncBench(ctx context.Context, stderr io.Writer, contacts int, postgres string) (_ *syncBench, err error) {
	w := &syncBench{benchWorld: &benchWorld{logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}, client: benchClient(4)}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "patchbay-bench-sync-"); err != nil {
		return nil, fmt.Errorf("temporary data dir: %w", err)
	}

	// Rate limits off, and the catalog's HubSpot throttle (100 requests per
	// 10 s, HubSpot's own) raised far above what a loopback run sends, so
	// the benchmark measures Patchbay and not the pacing.
	w.sim = providersim.New(providersim.Options{
		Options: sim.Options{DisableRateLimits: true},
		HubSpot: hubspot.Options{DefaultContacts: contacts, PortalID: benchSyncPortal, BurstLimit: 1_000_000_000},
	})
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
		"PATCHBAY_ENCRYPTION_KEY":   vault.GenerateKey(),
		config.SecretKeyVar("dev"):  w.secretKey,
	}
	if postgres != "" {
		scoped, drop, err := scratchSchema(ctx, postgres)
		if err != nil {
			return nil, err
		}
		w.dropSchema = drop
		env["PATCHBAY_DATABASE_URL"] = scoped
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

	oauthApp := sim.DefaultClient("hubspot")
	if err := w.api(ctx, w.client, "/integrations", http.StatusOK, map[string]any{
		"unique_key": fixtures.HubSpotIntegration, "provider": "hubspot",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": oauthApp.ID, "client_secret": oauthApp.Secret},
		// HubSpot's real limit (100 requests per 10 s, which the catalog
		// gives the proxy) would make this a measure of the throttle: the
		// simulator's limits are off, and so is Patchbay's.
		"settings": map[string]any{"rate_limit": map[string]any{"requests": 1000000, "interval": "1s"}},
	}); err != nil {
		return nil, err
	}
	if err := w.api(ctx, w.client, "/functions/deploy", http.StatusOK, map[string]any{"files": fixtures.HubSpotContacts()}); err != nil {
		return nil, err
	}
	return w, nil
}

// scratchSchema creates a schema of its own in the database at base, so a
// run neither sees nor leaves data among the user's tables, and returns
// base scoped to it and a function that drops it.
func scratchSchema(ctx context.Context, base string) (string, func() error, error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, errors.New("--postgres: cannot open the database")
	}
	// Short: River names its notification channels after the schema, and
	// PostgreSQL's identifiers end at 63 bytes.
	schema := "pbbench_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("--postgres: create a scratch schema: %w", err)
	}
	drop := func() error {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop the scratch schema %s: %w", schema, err)
		}
		return nil
	}
	u, _ := url.Parse(base) // checked by checkBenchSyncFlags
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func (w *syncBench) close() {
	w.benchWorld.close()
	w.client.CloseIdleConnections()
	if w.dropSchema != nil {
		if err := w.dropSchema(); err != nil {
			w.logger.Warn("dropping the benchmark's schema", "err", err)
		}
	}
}

// benchPhase is one measured phase.
type benchPhase struct {
	name    string
	records int
	elapsed time.Duration
	peakRSS int64 // bytes; -1 when the platform cannot tell
}

func (p benchPhase) rate() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.records) / p.elapsed.Seconds()
}

// syncEntry is the part of one GET /sync/status entry the benchmark reads.
type syncEntry struct {
	Name        string         `json:"name"`
	Status      string         `json:"status"`
	RecordCount map[string]int `json:"recordCount"`
}

// runSync connects the portal, which starts the sync (or triggers it),
// and waits for a successful run that counted every contact. The clock
// runs from the connection's creation to the status saying so.
func (w *syncBench) runSync(ctx context.Context, stderr io.Writer, contacts int, timeout time.Duration, rss *rssSampler) (benchPhase, error) {
	grant := w.sim.OAuth.Issue(sim.Grant{Provider: "hubspot", ClientID: sim.DefaultClient("hubspot").ID, Subject: strconv.Itoa(benchSyncPortal),
		Scopes: []string{"oauth", "crm.objects.contacts.read"}}, 24*time.Hour, true)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	rss.reset()
	start := time.Now()
	if err := w.api(ctx, w.client, "/connections", http.StatusCreated, map[string]any{
		"provider_config_key": fixtures.HubSpotIntegration, "connection_id": benchSyncConnection,
		"credentials": map[string]any{
			"type": "OAUTH2", "access_token": grant.AccessToken, "refresh_token": grant.RefreshToken,
			"expires_at": grant.ExpiresAt.UTC().Format(time.RFC3339),
		},
	}); err != nil {
		return benchPhase{}, err
	}
	triggered, seen := false, false
	show := newBenchProgress(stderr)
	defer show.clear()
	for {
		s, err := w.syncStatus(ctx)
		if err != nil && (triggered || seen) {
			return benchPhase{}, err
		}
		// Until the status is first read, an error may only mean that the
		// sync's instance does not exist yet.
		seen = seen || err == nil
		n := s.RecordCount[fixtures.HubSpotContactModel]
		switch {
		case err == nil && s.Status == "SUCCESS" && n >= contacts:
			return benchPhase{name: "sync (end to end)", records: n, elapsed: time.Since(start), peakRSS: rss.peak()}, nil
		case err == nil && s.Status == "ERROR":
			return benchPhase{}, fmt.Errorf("the sync failed: %s", w.statusBody(ctx))
		case !triggered && time.Since(start) > benchSyncAutoStart && (err != nil || s.Status != "RUNNING" && n == 0):
			// Not autostarted: ask for a run as a user would.
			triggered = true
			if err := w.api(ctx, w.client, "/sync/trigger", http.StatusOK, map[string]any{
				"provider_config_key": fixtures.HubSpotIntegration, "connection_id": benchSyncConnection,
				"syncs": []string{fixtures.HubSpotContactsSync},
			}); err != nil {
				return benchPhase{}, err
			}
		}
		el := time.Since(start)
		show.line(fmt.Sprintf("sync %s: %d/%d records, %.0f/s, %s", strings.ToLower(cmpOr(s.Status, "not started")), n, contacts, float64(n)/el.Seconds(), el.Round(time.Second)))
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return benchPhase{}, fmt.Errorf("the sync did not finish within --timeout %s (status %q, %d records)", timeout, s.Status, n)
			}
			return benchPhase{}, ctx.Err()
		case <-time.After(benchSyncPoll):
		}
	}
}

// benchProgress shows a line of progress on stderr: rewritten in place on
// a terminal, else printed every benchProgressEvery.
type benchProgress struct {
	w        io.Writer
	terminal bool
	last     time.Time
}

const benchProgressEvery = 10 * time.Second

func newBenchProgress(w io.Writer) *benchProgress {
	return &benchProgress{w: w, terminal: isTerminal(w), last: time.Now()}
}

func (p *benchProgress) line(s string) {
	switch {
	case p.terminal:
		fmt.Fprintf(p.w, "\r%s\x1b[K", s)
	case time.Since(p.last) >= benchProgressEvery:
		p.last = time.Now()
		fmt.Fprintln(p.w, s)
	}
}

func (p *benchProgress) clear() {
	if p.terminal {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// syncStatus reads the benchmark sync's entry of GET /sync/status; before
// the sync has an instance it is an entry without a status.
func (w *syncBench) syncStatus(ctx context.Context) (syncEntry, error) {
	var out struct {
		Syncs []syncEntry `json:"syncs"`
	}
	body, err := w.get(ctx, w.statusPath(), nil)
	if err != nil {
		return syncEntry{}, err
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return syncEntry{}, fmt.Errorf("GET /sync/status: %w", err)
	}
	for _, s := range out.Syncs {
		if s.Name == fixtures.HubSpotContactsSync {
			return s, nil
		}
	}
	return syncEntry{}, nil
}

func (w *syncBench) statusPath() string {
	q := url.Values{"provider_config_key": {fixtures.HubSpotIntegration}, "syncs": {fixtures.HubSpotContactsSync}, "connection_id": {benchSyncConnection}}
	return "/sync/status?" + q.Encode()
}

// statusBody is the status answer as is, to explain a failure.
func (w *syncBench) statusBody(ctx context.Context) string {
	body, err := w.get(ctx, w.statusPath(), nil)
	if err != nil {
		return err.Error()
	}
	return string(body)
}

// get sends an authenticated GET and returns the body of a 200 answer.
func (w *syncBench) get(ctx context.Context, path string, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.pb.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+w.secretKey)
	res, err := w.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, body[:min(len(body), benchAnswerInError)])
	}
	return body, nil
}

// readBack reads every record with GET /records at limit, page after page,
// and counts them.
func (w *syncBench) readBack(ctx context.Context, limit int) (benchPhase, error) {
	header := http.Header{"Connection-Id": {benchSyncConnection}, "Provider-Config-Key": {fixtures.HubSpotIntegration}}
	p := benchPhase{name: fmt.Sprintf("read, limit %d", limit)}
	cursor := ""
	start := time.Now()
	for {
		q := url.Values{"model": {fixtures.HubSpotContactModel}, "limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body, err := w.get(ctx, "/records?"+q.Encode(), header)
		if err != nil {
			return p, err
		}
		n, next, err := recordsPage(body)
		if err != nil {
			return p, fmt.Errorf("GET /records at limit %d: %w", limit, err)
		}
		p.records += n
		if next == "" {
			break
		}
		cursor = next
	}
	p.elapsed = time.Since(start)
	return p, nil
}

// recordsPage counts a GET /records page's records and finds its
// next_cursor without decoding the records: the client shares this
// process's CPUs with the server it measures, so it does the least work
// that still checks the count. Every record carries one _nango_metadata
// object; the contacts' own fields cannot contain that name.
func recordsPage(body []byte) (n int, next string, err error) {
	i := bytes.LastIndex(body, []byte(`"next_cursor"`))
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{`)) || i < 0 {
		return 0, "", fmt.Errorf("not a records page: %.100s", body)
	}
	var tail struct {
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(append([]byte{'{'}, body[i:]...), &tail); err != nil {
		return 0, "", fmt.Errorf("read next_cursor: %w", err)
	}
	n = bytes.Count(body, []byte(`"_nango_metadata"`))
	if tail.NextCursor != nil {
		next = *tail.NextCursor
	}
	return n, next, nil
}

func printSyncBench(stdout io.Writer, saved benchPhase, reads []benchPhase) error {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tRECORDS\tTIME\tRECORDS/S\tTARGET\tPEAK RSS\tTARGET")
	row := func(p benchPhase, target float64) {
		rateTarget := "-"
		if target > 0 {
			rateTarget = fmt.Sprintf("≥ %.0f/s %s", target, benchMark(p.rate() >= target))
		}
		rss, rssTarget := "n/a", "-"
		if p.peakRSS >= 0 {
			rss = fmt.Sprintf("%.0f MB", float64(p.peakRSS)/(1024*1024))
			rssTarget = fmt.Sprintf("≤ %d MB %s", benchSyncTargetRSS/(1024*1024), benchMark(p.peakRSS <= benchSyncTargetRSS))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%s\t%s\t%s\n", p.name, p.records, p.elapsed.Round(time.Millisecond), p.rate(), rateTarget, rss, rssTarget)
	}
	row(saved, benchSyncTargetSaved)
	for _, r := range reads {
		target := 0.0
		if strings.HasSuffix(strings.TrimSuffix(r.name, " again"), " "+strconv.Itoa(benchSyncReadAt)) {
			target = benchSyncTargetRead
		}
		row(r, target)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nTargets are for a 2-core machine: ≥ %d records/s saved end to end (connection created → status SUCCESS), ≥ %d records/s read back at limit %d, peak RSS ≤ %d MB (this process: clients, simulator and server).\n",
		benchSyncTargetSaved, benchSyncTargetRead, benchSyncReadAt, benchSyncTargetRSS/(1024*1024))
	return nil
}
