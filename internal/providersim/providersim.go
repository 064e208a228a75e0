// Package providersim runs Patchbay's simulated providers — GitHub,
// HubSpot, Google (Sheets, Calendar, Gmail), Slack, and for the other auth
// modes Stripe (API key), Jira (Basic), Zoom (OAuth 2 client credentials),
// Ghost (JWT), Trello (OAuth 1.0a) and a SOAP service in Workday's style
// — on one HTTP server, for Go tests
// (Start) and for `patchbay simulate`. The machinery they share is in
// providersim/sim; each provider is its own package.
package providersim

import (
	"net/http/httptest"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/ghost"
	"github.com/patchbay/patchbay/internal/providersim/github"
	"github.com/patchbay/patchbay/internal/providersim/google"
	"github.com/patchbay/patchbay/internal/providersim/hubspot"
	"github.com/patchbay/patchbay/internal/providersim/jira"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/slack"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
	"github.com/patchbay/patchbay/internal/providersim/trello"
	"github.com/patchbay/patchbay/internal/providersim/workday"
	"github.com/patchbay/patchbay/internal/providersim/zoom"
)

// Options configure a simulator. The zero value is what most tests want:
// seed 0, every limit and quirk on, consent approved at once.
type Options struct {
	sim.Options
	GitHub  github.Options
	HubSpot hubspot.Options
	Google  google.Options
	Slack   slack.Options
	Stripe  stripe.Options
	Trello  trello.Options
	Jira    jira.Options
	Zoom    zoom.Options
	Ghost   ghost.Options
	Workday workday.Options
}

// Simulator is the simulated providers on one server. The embedded
// sim.Server is the control surface: Clock, OAuth, Faults, Requests,
// Webhooks, Reset.
type Simulator struct {
	*sim.Server
	GitHub  *github.Provider
	HubSpot *hubspot.Provider
	Google  *google.Provider
	Slack   *slack.Provider
	Stripe  *stripe.Provider
	Trello  *trello.Provider
	Jira    *jira.Provider
	Zoom    *zoom.Provider
	Ghost   *ghost.Provider
	Workday *workday.Provider
}

// New builds a simulator; serve it with any http.Server (it is an
// http.Handler) and call SetBaseURL with the address it is reachable at.
func New(opts Options) *Simulator {
	s := &Simulator{
		GitHub:  github.New(opts.GitHub),
		HubSpot: hubspot.New(opts.HubSpot),
		Google:  google.New(opts.Google),
		Slack:   slack.New(opts.Slack),
		Stripe:  stripe.New(opts.Stripe),
		Trello:  trello.New(opts.Trello),
		Jira:    jira.New(opts.Jira),
		Zoom:    zoom.New(opts.Zoom),
		Ghost:   ghost.New(opts.Ghost),
		Workday: workday.New(opts.Workday),
	}
	s.Server = sim.New(opts.Options, s.GitHub, s.HubSpot, s.Google, s.Slack, s.Stripe, s.Jira, s.Zoom, s.Ghost, s.Trello, s.Workday)
	return s
}

// Start runs a simulator on a loopback port until t ends.
func Start(t testing.TB, opts Options) *Simulator {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	s.SetBaseURL(ts.URL)
	t.Cleanup(func() {
		ts.Close()
		s.Webhooks().Wait()
	})
	return s
}

// URL is where the simulator is reachable.
func (s *Simulator) URL() string { return s.BaseURL() }
