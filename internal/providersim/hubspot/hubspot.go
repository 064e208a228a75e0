package hubspot

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "hubspot"

// Options tune the simulated HubSpot. The zero value is HubSpot as
// documented: every limit and quirk on.
type Options struct {
	// DefaultContacts is the size of a portal that the control API has not
	// sized (default 250).
	DefaultContacts int
	// PortalID is the hub id of tokens whose authorize request names no
	// sim_user (default 7340001).
	PortalID int64
	// AppID is the app id reported in token info and webhook events
	// (default 301001).
	AppID int64
	// BurstLimit is the number of requests per 10 seconds per app and
	// portal (default 100, HubSpot's limit for public apps).
	BurstLimit int
	// DailyLimit is the number of requests per day per portal (default
	// 250000).
	DailyLimit int
	// SearchPerSecond is the CRM search limit per portal (default 5).
	SearchPerSecond int
	// ClientSecret signs webhook deliveries; empty means the default
	// client's secret (sim.DefaultClient("hubspot").Secret).
	ClientSecret string
	// IgnoreScopes lets any valid token read and write contacts. By default
	// a token needs crm.objects.contacts.read (or .write) like on HubSpot,
	// unless it carries no scopes at all (tokens minted by the control API
	// without scopes).
	IgnoreScopes bool
}

func (o Options) withDefaults() Options {
	if o.DefaultContacts <= 0 {
		o.DefaultContacts = 250
	}
	if o.PortalID <= 0 {
		o.PortalID = 7340001
	}
	if o.AppID <= 0 {
		o.AppID = 301001
	}
	if o.BurstLimit <= 0 {
		o.BurstLimit = 100
	}
	if o.DailyLimit <= 0 {
		o.DailyLimit = 250000
	}
	if o.SearchPerSecond <= 0 {
		o.SearchPerSecond = 5
	}
	if o.ClientSecret == "" {
		o.ClientSecret = sim.DefaultClient(name).Secret
	}
	return o
}

// Provider is the simulated HubSpot: OAuth, per-portal contact datasets
// generated lazily from the seed, the CRM v3 contacts list/read/search and
// write endpoints, rate limits and v3-signed webhooks.
type Provider struct {
	opts Options
	s    *sim.Server

	// mu guards the portals and everything inside them. Overlay contacts
	// are never changed in place (a change stores a modified copy), so a
	// handler may keep reading one after it lets go of the lock.
	mu       sync.RWMutex
	portals  map[int64]*portal
	eventSeq int64
}

// New returns the simulated HubSpot.
func New(opts Options) *Provider {
	return &Provider{opts: opts.withDefaults(), portals: map[int64]*portal{}}
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset drops every portal (sizes set by the control API included) and the
// webhook event sequence, so the data is the seed's again.
func (p *Provider) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.portals = map[int64]*portal{}
	p.eventSeq = 0
}

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	cfg := sim.OAuthConfig{
		Provider:       name,
		AccessTTL:      30 * time.Minute,
		RefreshTokens:  true,
		ScopeSeparator: " ",
		DefaultSubject: strconv.FormatInt(p.opts.PortalID, 10),
		Respond:        p.tokenResponse,
		Fail:           p.tokenError,
	}
	// app.hubspot.com/oauth/authorize and api.hubapi.com/oauth/v1/… both
	// live under /hubspot here.
	mux.HandleFunc("GET /hubspot/oauth/authorize", s.OAuth.AuthorizeHandler(cfg))
	mux.HandleFunc("POST /hubspot/oauth/authorize", s.OAuth.AuthorizeHandler(cfg))
	mux.HandleFunc("POST /hubspot/oauth/v1/token", s.OAuth.TokenHandler(cfg))
	mux.HandleFunc("GET /hubspot/oauth/v1/access-tokens/{token}", p.accessTokenInfo)
	mux.HandleFunc("DELETE /hubspot/oauth/v1/refresh-tokens/{token}", p.deleteRefreshToken)

	const contacts = "/hubspot/crm/v3/objects/contacts"
	mux.HandleFunc("GET "+contacts, p.api(scopeRead, p.listContacts))
	mux.HandleFunc("POST "+contacts, p.api(scopeWrite, p.createContact))
	mux.HandleFunc("POST "+contacts+"/search", p.api(scopeRead, p.searchContacts))
	mux.HandleFunc("GET "+contacts+"/{contactId}", p.api(scopeRead, p.getContact))
	mux.HandleFunc("PATCH "+contacts+"/{contactId}", p.api(scopeWrite, p.updateContact))
	mux.HandleFunc("DELETE "+contacts+"/{contactId}", p.api(scopeWrite, p.archiveContact))

	mux.HandleFunc("POST /_control/hubspot/portals", p.controlPortal)
	mux.HandleFunc("GET /_control/hubspot/portals/{portalId}", p.controlPortalInfo)
	mux.HandleFunc("POST /_control/hubspot/modify", p.controlModify)
}

// CatalogYAML mirrors the built-in hubspot entry with the simulator's URLs.
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`hubspot:
    display_name: HubSpot
    categories:
        - crm
        - marketing
        - popular
    auth_mode: OAUTH2
    authorization_url: %[1]s/hubspot/oauth/authorize
    token_url: %[1]s/hubspot/oauth/v1/token
    default_scopes:
        - oauth
    token_params:
        grant_type: authorization_code
    refresh_params:
        grant_type: refresh_token
    proxy:
        base_url: %[1]s/hubspot
        rate_limit:
            requests: %[2]d
            interval: 10s
        decompress: true
        retry:
            after:
                - retry-after
            remaining: x-hubspot-ratelimit-remaining
        paginate:
            type: cursor
            cursor_path_in_response: paging.next.after
            cursor_name_in_request: after
            limit_name_in_request: limit
            response_path: results
    docs: https://developers.hubspot.com/docs/api/oauth-quickstart-guide
`, baseURL, p.opts.BurstLimit)
}

// call is what an authenticated API request carries into its handler.
type call struct {
	grant  *sim.Grant
	portal int64
}

type scopeNeed int

const (
	scopeRead scopeNeed = iota
	scopeWrite
)

// api wraps a CRM handler with HubSpot's gatekeeping, in HubSpot's order:
// authentication, scopes, then the rate limits (whose headers every
// answer past that point carries).
func (p *Provider) api(need scopeNeed, h func(http.ResponseWriter, *http.Request, call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, authErr := p.s.OAuth.Authenticate(r, name)
		if authErr != nil {
			p.unauthorized(w, authErr)
			return
		}
		if !p.opts.IgnoreScopes && !hasScope(g.Scopes, need) {
			required := "crm.objects.contacts.read"
			if need == scopeWrite {
				required = "crm.objects.contacts.write"
			}
			writeError(w, http.StatusForbidden, "MISSING_SCOPES",
				"This app has not been granted the scopes this call requires.",
				map[string]any{"errors": []map[string]any{{
					"message": "One or more of the following scopes are required.",
					"context": map[string][]string{"requiredGranularScopes": {required}},
				}}})
			return
		}
		c := call{grant: g, portal: portalOf(g.Subject)}
		if !p.takeGeneral(w, g.ClientID, c.portal) {
			return
		}
		h(w, r, c)
	}
}

// hasScope accepts the granular CRM scopes and the legacy "contacts"
// scope. A token with no scopes at all came from the control API and is
// let through.
func hasScope(scopes []string, need scopeNeed) bool {
	if len(scopes) == 0 {
		return true
	}
	if slices.Contains(scopes, "contacts") || slices.Contains(scopes, "crm.objects.contacts.write") {
		return true
	}
	return need == scopeRead && slices.Contains(scopes, "crm.objects.contacts.read")
}

func (p *Provider) unauthorized(w http.ResponseWriter, e *sim.AuthError) {
	switch e.Reason {
	case "expired":
		writeError(w, http.StatusUnauthorized, "EXPIRED_AUTHENTICATION",
			"The OAuth token used for this call has expired; refresh it and retry.", nil)
	case "missing":
		writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
			"No authentication credentials were found. This API accepts OAuth 2.0 bearer tokens.", nil)
	default:
		writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
			"The authentication credentials are invalid or were revoked.", nil)
	}
}

// takeGeneral counts the request against the 10-second burst limit (per
// app and portal) and the daily limit (per portal), sets HubSpot's
// X-HubSpot-RateLimit-* headers and answers 429 itself when a limit is
// spent. With rate limits off nothing is counted and no header is set.
func (p *Provider) takeGeneral(w http.ResponseWriter, clientID string, portal int64) bool {
	if !p.s.RateLimited() {
		return true
	}
	pid := strconv.FormatInt(portal, 10)
	daily := p.s.Limits.Take("hubspot/daily/"+pid, p.opts.DailyLimit, 24*time.Hour)
	var burst sim.Verdict
	if daily.Allowed {
		burst = p.s.Limits.Take("hubspot/burst/"+clientID+"/"+pid, p.opts.BurstLimit, 10*time.Second)
	}
	h := w.Header()
	h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(p.opts.DailyLimit))
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(daily.Remaining))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(p.opts.BurstLimit))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(burst.Remaining))
	switch {
	case !daily.Allowed:
		p.rateLimited(w, "DAILY", "You have reached your daily limit.", daily.Reset)
		return false
	case !burst.Allowed:
		p.rateLimited(w, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", burst.Reset)
		return false
	}
	return true
}

// takeSearch applies the search endpoint's own per-portal limit.
func (p *Provider) takeSearch(w http.ResponseWriter, portal int64) bool {
	if !p.s.RateLimited() {
		return true
	}
	v := p.s.Limits.Take("hubspot/search/"+strconv.FormatInt(portal, 10), p.opts.SearchPerSecond, time.Second)
	w.Header().Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(p.opts.SearchPerSecond))
	w.Header().Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(v.Remaining))
	if !v.Allowed {
		p.rateLimited(w, "SECONDLY", "You have reached your secondly limit.", v.Reset)
		return false
	}
	return true
}

func (p *Provider) rateLimited(w http.ResponseWriter, policy, message string, reset time.Time) {
	w.Header().Set("Retry-After", sim.RetryAfter(reset.Sub(p.s.Clock.Now())))
	sim.WriteJSON(w, http.StatusTooManyRequests, map[string]any{
		"status":        "error",
		"message":       message,
		"errorType":     "RATE_LIMIT",
		"correlationId": uuid.NewString(),
		"policyName":    policy,
	})
}

// writeError writes HubSpot's standard error body; extra adds fields such
// as "errors" or "context".
func writeError(w http.ResponseWriter, status int, category, message string, extra map[string]any) {
	body := map[string]any{
		"status":        "error",
		"message":       message,
		"correlationId": uuid.NewString(),
		"category":      category,
	}
	for k, v := range extra {
		body[k] = v
	}
	sim.WriteJSON(w, status, body)
}

func validationError(w http.ResponseWriter, message string) {
	writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", message, nil)
}

// portalOf maps a token subject to its hub id. Subjects are hub ids; any
// other subject (a sim_user name) gets a stable made-up id.
func portalOf(subject string) int64 {
	if id, err := strconv.ParseInt(subject, 10, 64); err == nil && id > 0 {
		return id
	}
	return 100000000 + int64(sim.Hash("hubspot-portal", subject)%900000000)
}
