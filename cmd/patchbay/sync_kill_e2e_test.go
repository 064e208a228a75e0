//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/hubspot"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/syncs/fixtures"
	"github.com/patchbay/patchbay/internal/vault"
	"github.com/patchbay/patchbay/wire"
)

// The kill-and-resume test's world.
const (
	// killContactsDefault is the portal's size, the issue's million: on a
	// loaded 2-core machine each backend takes about 100 s (under -race,
	// SQLite about 280 s; the read-back's JSON in this process is most of
	// the difference). PATCHBAY_TEST_KILL_CONTACTS sets another size, for
	// a quicker run or a slower machine.
	killContactsDefault = 1_000_000
	killContactsEnv     = "PATCHBAY_TEST_KILL_CONTACTS"
	// killAtPercent is how much of the portal is saved when the server
	// is killed.
	killAtPercent = 30
	killPortal    = 7340002
	killConn      = "kill-hubspot"
	// killLease is the sync lease of the servers: how soon after the
	// restart the dead run is taken over (plus up to one sweep period).
	killLease = 5 * time.Second
	// killListPath is HubSpot's list endpoint on the simulator: the
	// backfill's pages.
	killListPath = "/hubspot/crm/v3/objects/contacts"
	// killListPage is the sync's list page size (LIST_LIMIT in
	// contacts.ts).
	killListPage = 100
	// killMaxRefetch bounds the pages a run reads past its last written
	// checkpoint, which a resumed run reads again. records.Writer writes
	// behind the run, a page and its checkpoint per unit: the transaction
	// being written joins the unit it took with those queued behind it (up
	// to records.maxInFlight, four), four more may queue meanwhile and the
	// run waits to queue one; then the page the function is saving, and
	// the one it reads ahead of it. (The count first left out the page
	// being saved, then the joining; a loaded machine met 8 and then 10.)
	killMaxRefetch = (1 + 4) + 4 + 1 + 1 + 1
	// killFirstID is the simulator's first contact id; ids are contiguous
	// from it.
	killFirstID = 1001
	// killTimeout bounds each wait for the sync.
	killTimeout = 10 * time.Minute
)

// TestSyncKillAndResume kills a `patchbay serve` child process with
// SIGKILL in the middle of the HubSpot contacts backfill, starts it again
// on the same data, and checks that the run is taken over once its lease
// expires and resumed from its checkpoint: every contact saved exactly
// once, and no list page before the checkpoint fetched again (the
// simulator's request log).
func TestSyncKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and syncs a large portal through two server processes")
	}
	t.Parallel()
	contacts := killContacts(t)
	bin := filepath.Join(t.TempDir(), "patchbay")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// One backend after the other: each keeps both cores busy.
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			testKillAndResume(t, bin, backend, contacts)
		})
	}
}

func killContacts(t *testing.T) int {
	s := os.Getenv(killContactsEnv)
	if s == "" && benchUnderRace {
		// The simulator and the read-back run in this (instrumented)
		// process; .ci/run runs the test again without -race at full size.
		return killContactsDefault / 5
	}
	if s == "" {
		return killContactsDefault
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 10*killListPage || n%killListPage != 0 {
		t.Fatalf("%s: want a multiple of %d, at least %d; got %q", killContactsEnv, killListPage, 10*killListPage, s)
	}
	return n
}

func testKillAndResume(t *testing.T, bin string, backend apptest.Backend, contacts int) {
	w := newKillWorld(t, bin, backend, contacts)
	// Fail before go test's own -timeout would end the process without
	// running the cleanups that kill the server.
	deadline := time.Now().Add(killTimeout)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(deadline) {
		deadline = d.Add(-30 * time.Second)
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()

	start := time.Now()
	w.srv.start(ctx)
	w.setUp()
	killAt := contacts * killAtPercent / 100
	polls := 0
	before := w.waitSync(ctx, func(s wire.SyncStatus) bool {
		if polls++; polls%20 == 0 {
			w.checkNoRefetch()
		}
		return w.saved(s) >= killAt
	})
	savedAtKill := w.saved(before)
	w.srv.kill()
	t.Logf("%s: killed the server with %d of %d contacts saved, %s after the connection", backend, savedAtKill, contacts, time.Since(start).Round(time.Millisecond))

	// The killed process sends nothing more: the log up to here is the
	// first process's, and what comes after the restart's.
	first := w.listRequests()
	w.clearRequests()
	restart := time.Now()
	w.srv.start(ctx)
	after := w.waitSync(ctx, func(s wire.SyncStatus) bool { return s.Status == "SUCCESS" })
	t.Logf("%s: the resumed run succeeded %s after the restart (lease %s); %s in all",
		backend, time.Since(restart).Round(time.Millisecond), killLease, time.Since(start).Round(time.Millisecond))
	second := w.listRequests()

	if got := w.saved(after); got != contacts {
		t.Errorf("recordCount = %d after the run, want %d", got, contacts)
	}
	readStart := time.Now()
	w.checkRecords(ctx, contacts)
	t.Logf("%s: read %d records back at limit 10000 in %s", backend, contacts, time.Since(readStart).Round(time.Millisecond))
	checkResumed(t, first, second, contacts, savedAtKill)
}

// killWorld is the simulator, the server child process and the data it
// keeps across restarts.
type killWorld struct {
	t   *testing.T
	sim *providersim.Simulator
	srv *killServer
}

func newKillWorld(t *testing.T, bin string, backend apptest.Backend, contacts int) *killWorld {
	t.Helper()
	// Rate limits off, and the catalog's HubSpot throttle raised, as in
	// patchbay bench sync: the test is about resuming, not pacing.
	s := providersim.Start(t, providersim.Options{
		Options: sim.Options{DisableRateLimits: true},
		HubSpot: hubspot.Options{DefaultContacts: contacts, PortalID: killPortal, BurstLimit: 1_000_000_000},
	})
	dir := t.TempDir()
	providers := filepath.Join(dir, "providers.yaml")
	if err := os.WriteFile(providers, []byte(s.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(cleanEnv(),
		"PATCHBAY_DATA_DIR="+filepath.Join(dir, "data"),
		"PATCHBAY_PROVIDERS_FILE="+providers,
		"PATCHBAY_ENCRYPTION_KEY="+vault.GenerateKey(),
		"PATCHBAY_SECRET_KEY_DEV="+apptest.DevKey,
		"PATCHBAY_SECRET_KEY_PROD="+apptest.ProdKey,
		"PATCHBAY_SYNC_LEASE="+killLease.String(),
		"PATCHBAY_SHUTDOWN_TIMEOUT=5s",
		"PATCHBAY_LOG_LEVEL=warn",
	)
	if backend == apptest.Postgres {
		env = append(env, "PATCHBAY_DATABASE_URL="+storetest.PostgresURL(t))
	}
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &killServer{t: t, bin: bin, env: env, logs: logs,
		client: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{Proxy: nil}}}
	// Registered after the database's cleanup, so it runs before it: the
	// process is gone before its schema is dropped.
	t.Cleanup(func() {
		srv.kill()
		logs.Close()
	})
	return &killWorld{t: t, sim: s, srv: srv}
}

// setUp creates the HubSpot integration, deploys the contacts sync and
// connects the portal, which starts the backfill (the sync autostarts).
func (w *killWorld) setUp() {
	oauthApp := sim.DefaultClient("hubspot")
	w.srv.call(http.MethodPost, "/integrations", map[string]any{
		"unique_key": fixtures.HubSpotIntegration, "provider": "hubspot",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": oauthApp.ID, "client_secret": oauthApp.Secret},
	}, nil, http.StatusOK)
	w.srv.call(http.MethodPost, "/functions/deploy", map[string]any{"files": fixtures.HubSpotContacts()}, nil, http.StatusOK)
	grant := w.sim.OAuth.Issue(sim.Grant{Provider: "hubspot", ClientID: oauthApp.ID, Subject: strconv.Itoa(killPortal),
		Scopes: []string{"oauth", "crm.objects.contacts.read"}}, 24*time.Hour, true)
	w.srv.call(http.MethodPost, "/connections", map[string]any{
		"provider_config_key": fixtures.HubSpotIntegration, "connection_id": killConn,
		"credentials": map[string]any{
			"type": "OAUTH2", "access_token": grant.AccessToken, "refresh_token": grant.RefreshToken,
			"expires_at": grant.ExpiresAt.UTC().Format(time.RFC3339),
		},
	}, nil, http.StatusCreated)
}

// waitSync polls the sync's status until done says so; an ERROR status
// fails the test.
func (w *killWorld) waitSync(ctx context.Context, done func(wire.SyncStatus) bool) wire.SyncStatus {
	w.t.Helper()
	q := url.Values{"provider_config_key": {fixtures.HubSpotIntegration}, "syncs": {fixtures.HubSpotContactsSync}, "connection_id": {killConn}}
	var last wire.SyncStatus
	for {
		var out wire.SyncStatuses
		if err := json.Unmarshal(w.srv.call(http.MethodGet, "/sync/status?"+q.Encode(), nil, nil, http.StatusOK), &out); err != nil {
			w.srv.fatalf("GET /sync/status: %v", err)
		}
		if len(out.Syncs) == 1 {
			last = out.Syncs[0]
			if last.Status == "ERROR" {
				w.srv.fatalf("the sync failed: %s", last.Error)
			}
			if done(last) {
				return last
			}
		}
		select {
		case <-ctx.Done():
			w.srv.fatalf("waiting for the sync: %v (status %s, %d records saved)", ctx.Err(), last.Status, w.saved(last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (w *killWorld) saved(s wire.SyncStatus) int {
	return int(s.RecordCount[fixtures.HubSpotContactModel])
}

// checkRecords reads every record with GET /records at limit 10000: each
// contact id once, none missing.
func (w *killWorld) checkRecords(ctx context.Context, contacts int) {
	w.t.Helper()
	header := http.Header{"Connection-Id": {killConn}, "Provider-Config-Key": {fixtures.HubSpotIntegration}}
	seen := make([]bool, contacts)
	n, cursor := 0, ""
	for ctx.Err() == nil {
		q := url.Values{"model": {fixtures.HubSpotContactModel}, "limit": {"10000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Records []struct {
				ID string `json:"id"`
			} `json:"records"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(w.srv.call(http.MethodGet, "/records?"+q.Encode(), nil, header, http.StatusOK), &page); err != nil {
			w.t.Fatalf("GET /records: %v", err)
		}
		for _, r := range page.Records {
			i, err := strconv.Atoi(r.ID)
			i -= killFirstID
			switch {
			case err != nil || i < 0 || i >= contacts:
				w.t.Fatalf("GET /records returned id %q, not a contact of the portal (%d to %d)", r.ID, killFirstID, killFirstID+contacts-1)
			case seen[i]:
				w.t.Fatalf("GET /records returned id %s twice", r.ID)
			}
			seen[i] = true
			n++
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			break
		}
		cursor = *page.NextCursor
	}
	if n != contacts {
		missing := slices.Index(seen, false) + killFirstID
		w.t.Fatalf("GET /records returned %d distinct records, want %d (the first missing id is %d)", n, contacts, missing)
	}
}

// listPage is one backfill request of the simulator's log: the contacts it
// started at (0 for the first page), and its answer's status (0 while it
// is served).
type listPage struct {
	cursor string
	offset int
	status int
}

// listRequests returns the backfill's list requests in the simulator's log
// (the archived list that ends a run left out), oldest first.
func (w *killWorld) listRequests() []listPage {
	w.t.Helper()
	var out []listPage
	for _, r := range w.sim.Requests(sim.RequestFilter{Provider: "hubspot", Method: http.MethodGet, Path: killListPath}) {
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			w.t.Fatalf("simulator log: %s?%s: %v", r.Path, r.Query, err)
		}
		if q.Get("archived") == "true" {
			continue
		}
		p := listPage{cursor: q.Get("after"), status: r.Status}
		if p.cursor != "" {
			// The cursor is the base64 of the id the page starts at; the
			// test decodes it to say where a page is.
			b, err := base64.StdEncoding.DecodeString(p.cursor)
			id, err2 := strconv.Atoi(string(b))
			if err != nil || err2 != nil {
				w.t.Fatalf("simulator log: list cursor %q is not the base64 of an id", p.cursor)
			}
			p.offset = id - killFirstID
		}
		out = append(out, p)
	}
	return out
}

// checkNoRefetch fails the test when the live server fetched a list page
// twice (with success both times): its run was taken over while it ran,
// which would spoil what the restart is checked for.
func (w *killWorld) checkNoRefetch() {
	w.t.Helper()
	seen := map[int]bool{}
	for _, p := range w.listRequests() {
		if p.status != http.StatusOK {
			continue
		}
		if seen[p.offset] {
			w.srv.fatalf("before any kill, the server fetched the list page at contact %d twice: its live run was taken over (its lease expired while it ran)", p.offset)
		}
		seen[p.offset] = true
	}
}

// clearRequests empties the simulator's request log (it keeps the last
// 10,000 requests: a million-contact backfill has as many pages).
func (w *killWorld) clearRequests() {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodDelete, w.sim.URL()+"/_control/requests", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := w.srv.client.Do(req)
	if err != nil {
		w.t.Fatalf("clear the simulator's request log: %v", err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		w.t.Fatalf("clear the simulator's request log: %s", res.Status)
	}
}

// checkResumed checks the list pages the two processes asked for: the
// first from the start, the second from a checkpoint the first reached,
// at least as far as the records saved before the kill; no page before
// it fetched again, and no page more than twice (once, and again when the
// kill came before its checkpoint was written), with every page asked
// for.
func checkResumed(t *testing.T, first, second []listPage, contacts, savedAtKill int) {
	t.Helper()
	if len(first) == 0 || first[0].cursor != "" {
		t.Fatalf("the first server's log does not start with the first list page (%d requests): the log lost requests", len(first))
	}
	if len(second) == 0 {
		t.Fatal("the restarted server asked for no list page")
	}
	resume := second[0]
	t.Logf("the first server read %d list pages (up to contact %d), the restarted one resumed at contact %d and read %d",
		len(first), first[len(first)-1].offset, resume.offset, len(second))
	if resume.cursor == "" {
		t.Fatal("the restarted server started the backfill again from the first page")
	}
	// Records are saved with the checkpoint of their page; one page of
	// slack for records written ahead of it.
	if resume.offset < savedAtKill-killListPage {
		t.Errorf("the run resumed at contact %d, but %d were saved before the kill", resume.offset, savedAtKill)
	}
	// The sync asks for the next page while it saves one, and the
	// checkpoint after a page names the next: the kill can catch that
	// request in flight, before the simulator logged it.
	inFlight := resume.offset == first[len(first)-1].offset+killListPage
	if !inFlight && !slices.ContainsFunc(first, func(p listPage) bool { return p.cursor == resume.cursor }) {
		t.Errorf("the run resumed at cursor %q, which the killed server never reached", resume.cursor)
	}
	asked := map[int]int{}
	for _, p := range first {
		asked[p.offset]++
	}
	for _, p := range second {
		if p.offset < resume.offset {
			t.Errorf("after the restart, the page at contact %d (before the checkpoint, %d) was fetched again", p.offset, resume.offset)
		}
		asked[p.offset]++
	}
	for _, run := range []struct {
		name  string
		pages []listPage
	}{{"the killed server", first}, {"the restarted server", second}} {
		once := map[int]bool{}
		for _, p := range run.pages {
			if p.status != http.StatusOK {
				continue // a page in flight at the kill, or one retried
			}
			if once[p.offset] {
				t.Errorf("%s fetched the list page at contact %d twice: a run was taken over while it ran", run.name, p.offset)
			}
			once[p.offset] = true
		}
	}
	for offset, n := range asked {
		if n > 2 {
			t.Errorf("the list page at contact %d was fetched %d times", offset, n)
		}
	}
	// Fetched again are exactly the pages from the checkpoint to the
	// furthest the killed server read, and no more of them than a run
	// reads past its last written checkpoint.
	furthest := 0
	for _, p := range first {
		furthest = max(furthest, p.offset)
	}
	for offset := resume.offset; offset <= furthest; offset += killListPage {
		if asked[offset] != 2 {
			t.Errorf("the list page at contact %d, after the checkpoint (%d) and before the furthest the killed server read (%d), was fetched %d times, want 2",
				offset, resume.offset, furthest, asked[offset])
		}
	}
	if again := (furthest-resume.offset)/killListPage + 1; again > killMaxRefetch {
		t.Errorf("%d list pages were fetched by both servers; a run reads at most %d past its last written checkpoint", again, killMaxRefetch)
	}
	for offset := 0; offset < contacts; offset += killListPage {
		if asked[offset] == 0 {
			t.Fatalf("no server fetched the list page at contact %d (the log keeps 10,000 requests: did it drop some?)", offset)
		}
	}
}

// killServer is `patchbay serve` as a child process, started again on
// the same data dir after each kill.
type killServer struct {
	t      *testing.T
	bin    string
	env    []string
	logs   *os.File // both processes' stdout and stderr
	client *http.Client
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// start runs the server and waits until it answers.
func (s *killServer) start(ctx context.Context) {
	s.t.Helper()
	addr := freePort(s.t)
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(slices.Clone(s.env), "PATCHBAY_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = killSysProcAttr()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start patchbay serve: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.url = cmd, exited, "http://"+addr
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := s.client.Get(s.url + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			s.fatalf("patchbay serve exited at start: %v", cmd.ProcessState)
		case <-ctx.Done():
			s.fatalf("patchbay serve did not answer: %v", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.fatalf("patchbay serve did not answer GET /health within a minute")
		}
	}
}

// kill ends the server with SIGKILL, as a crash or an OOM kill would, and
// waits for it to be gone.
func (s *killServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// call sends an authenticated request and returns the body of an answer
// with status want.
func (s *killServer) call(method, path string, body any, header http.Header, want int) []byte {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.fatalf("%s %s: %v", method, path, err)
	}
	if res.StatusCode != want {
		s.fatalf("%s %s: %d %.2000s, want %d", method, path, res.StatusCode, raw, want)
	}
	return raw
}

// fatalf fails the test with the end of the servers' logs.
func (s *killServer) fatalf(format string, args ...any) {
	s.t.Helper()
	logs, _ := os.ReadFile(s.logs.Name())
	const tail = 8 << 10
	if len(logs) > tail {
		logs = logs[len(logs)-tail:]
	}
	s.t.Fatalf("%s\nserve.log (end):\n%s", fmt.Sprintf(format, args...), strings.TrimSpace(string(logs)))
}
