package google

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Name is the provider's URL prefix and request-log label.
const Name = "google"

// DefaultUser is the account that approves an authorization naming none
// (no sim_user, no login_hint), and the user control endpoints act on by
// default.
const DefaultUser = "alice@example.com"

// Options tune the simulated Google. The zero value is Google as
// documented: every limit and quirk on.
type Options struct {
	// SheetsRequestsPerMinute is the Sheets quota per user per minute,
	// counted separately for read and write requests (default 60, as
	// Google's "per minute per user per project" quotas).
	SheetsRequestsPerMinute int
	// Events is how many events each user's primary calendar starts with
	// (default 300), spread from six months back to six months ahead.
	Events int
	// Anchor is the "now" generated data is placed around: calendar events
	// and the mail a mailbox starts with. Zero uses the start of the
	// simulated day at reset; set it when data must be identical across
	// runs on different days.
	Anchor time.Time
	// SyncTokenTTL is how long a Calendar sync token stays valid in
	// simulated time (default 7 days); older tokens get 410 Gone.
	SyncTokenTTL time.Duration
	// InboxMessages is how many messages each user's mailbox starts with
	// (default 25).
	InboxMessages int
	// HistoryRecords is how many Gmail history records are kept per user
	// (default 1000); HistoryTTL how long one is kept in simulated time
	// (default 7 days). A startHistoryId older than what is kept gets 404.
	HistoryRecords int
	HistoryTTL     time.Duration
	// RefreshTokenEveryConsent issues a refresh token on every offline
	// authorization. Google issues one only on a user's first consent to a
	// client, or when prompt=consent forces consent again; that is the
	// default.
	RefreshTokenEveryConsent bool
}

func (o Options) withDefaults() Options {
	if o.SheetsRequestsPerMinute <= 0 {
		o.SheetsRequestsPerMinute = 60
	}
	if o.Events <= 0 {
		o.Events = 300
	}
	if o.SyncTokenTTL <= 0 {
		o.SyncTokenTTL = 7 * 24 * time.Hour
	}
	if o.InboxMessages <= 0 {
		o.InboxMessages = 25
	}
	if o.HistoryRecords <= 0 {
		o.HistoryRecords = 1000
	}
	if o.HistoryTTL <= 0 {
		o.HistoryTTL = 7 * 24 * time.Hour
	}
	return o
}

// Provider is the simulated Google: OAuth, Sheets v4, Calendar v3 and
// Gmail v1. Each API keeps its state behind its own mutex so that one
// API's traffic does not serialize another's.
type Provider struct {
	opts Options
	s    *sim.Server

	authMu sync.Mutex
	// pending remembers what an authorization asked for (offline access,
	// forced consent) until its code is exchanged.
	pending map[string]authRequest
	// consented holds client+user pairs that already received a refresh
	// token, which Google does not repeat without prompt=consent.
	consented map[string]bool
	// refreshOwner maps each refresh token issued to its client+user pair.
	refreshOwner map[string]string

	sheetsMu     sync.Mutex
	spreadsheets map[string]*spreadsheet
	sheetsRand   *rand.Rand

	// anchor is Options.Anchor or the reset day, in Unix nanoseconds.
	anchor atomic.Int64

	calMu     sync.Mutex
	calendars map[string]*calendar
	// syncEpoch invalidates every sync token issued before it was raised.
	syncEpoch int

	mailMu    sync.Mutex
	mailboxes map[string]*mailbox
}

// New returns the provider; opts' zero fields take Google's defaults.
func New(opts Options) *Provider {
	return &Provider{opts: opts.withDefaults()}
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// Mount implements sim.Provider: OAuth, the three APIs and the control
// endpoints.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	p.mountOAuth(mux)
	p.mountSheets(mux)
	p.mountCalendar(mux)
	p.mountGmail(mux)
	p.mountControl(mux)
}

// anchorTime is the time generated data is placed around.
func (p *Provider) anchorTime() time.Time { return time.Unix(0, p.anchor.Load()).UTC() }

// Reset implements sim.Provider: it forgets every spreadsheet, calendar
// change and mailbox; users' data is regenerated from the seed on first
// use.
func (p *Provider) Reset() {
	p.authMu.Lock()
	p.pending = map[string]authRequest{}
	p.consented = map[string]bool{}
	p.refreshOwner = map[string]string{}
	p.authMu.Unlock()

	p.sheetsMu.Lock()
	p.spreadsheets = map[string]*spreadsheet{}
	p.sheetsRand = p.s.Rand("google/sheets")
	p.sheetsMu.Unlock()

	anchor := p.opts.Anchor
	if anchor.IsZero() {
		anchor = p.s.Clock.Now().Truncate(24 * time.Hour)
	}
	p.anchor.Store(anchor.UnixNano())

	p.calMu.Lock()
	p.calendars = map[string]*calendar{}
	p.syncEpoch = 0
	p.calMu.Unlock()

	p.mailMu.Lock()
	p.mailboxes = map[string]*mailbox{}
	p.mailMu.Unlock()
}
