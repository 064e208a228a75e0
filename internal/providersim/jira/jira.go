package jira

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "jira"

// Credentials every site accepts after a reset.
const (
	// DefaultSite is the site demos and tests use (any valid name works).
	DefaultSite = "acme"
	// DefaultEmail is the default account's email (the Basic username).
	DefaultEmail = "jira-admin@example.com"
	// DefaultAPIToken is the default account's API token (the Basic
	// password).
	DefaultAPIToken = "ATATT3xFfGF0PatchbaySimulatorToken0001"
)

// sitePattern is the site names Jira Cloud allows, as the built-in
// catalog entry validates them.
var sitePattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// Options tune the simulated Jira.
type Options struct {
	// Projects is the number of projects of every site (default 12).
	Projects int
}

func (o Options) withDefaults() Options {
	if o.Projects <= 0 {
		o.Projects = 12
	}
	return o
}

// Provider is the simulated Jira Cloud: sites, their accounts (Basic auth
// with an API token) and projects generated from the seed.
type Provider struct {
	opts  Options
	s     *sim.Server
	sites *sim.Lazy[site] // by name, made on first use
}

// site is one Jira Cloud site. Its projects never change after they are
// generated, so handlers may read them without a lock.
type site struct {
	name     string
	accounts *sim.Registry[account] // by lowercased email
	projects []project
}

type account struct {
	id, email, token, displayName, timeZone string
}

// New returns the simulated Jira.
func New(opts Options) *Provider {
	p := &Provider{opts: opts.withDefaults()}
	p.sites = sim.NewLazy(p.newSite)
	return p
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset forgets every site, and with them added and removed accounts.
func (p *Provider) Reset() { p.sites.Reset() }

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	const api = "/jira/{site}/rest/api/3"
	mux.HandleFunc("GET "+api+"/myself", p.api(p.myself))
	mux.HandleFunc("GET "+api+"/project/search", p.api(p.searchProjects))

	mux.HandleFunc("POST /_control/jira/sites/{site}/accounts", p.controlAddAccount)
	mux.HandleFunc("DELETE /_control/jira/sites/{site}/accounts/{email}", p.controlRemoveAccount)
}

// CatalogYAML mirrors the built-in jira-basic entry with the simulator's
// URL. The site is a path segment here, so the subdomain field loses the
// https:// prefix and .atlassian.net suffix the Connect UI would show.
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`jira-basic:
    display_name: Jira (API token, simulated)
    categories:
        - ticketing
        - productivity
    auth_mode: BASIC
    proxy:
        base_url: %[1]s/jira/${connectionConfig.subdomain}
        retry:
            after:
                - retry-after
        verification:
            method: GET
            endpoints:
                - /rest/api/3/myself
    connection_config:
        subdomain:
            type: string
            title: Site
            description: The simulated Jira site; any name of lowercase letters, digits and dashes is a site of its own.
            pattern: '^[a-z0-9-]+$'
            example: %[2]s
    credentials:
        username:
            type: string
            title: Email
            description: The email of an account of the site; %[3]s exists on every site.
            format: email
            example: %[3]s
        password:
            type: string
            title: API token
            description: The account's API token; %[3]s's is %[4]s.
            secret: true
    docs: https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/

`, baseURL, DefaultSite, DefaultEmail, DefaultAPIToken)
}

// newSite makes a site with the default account and its projects.
func (p *Provider) newSite(name string) *site {
	st := &site{name: name, accounts: sim.NewRegistry[account](nil), projects: p.generateProjects(name)}
	st.add(DefaultEmail, DefaultAPIToken, "Sim Admin")
	return st
}

// add adds or replaces the account of email.
func (st *site) add(email, token, displayName string) account {
	h := sim.Hash("jira-account", st.name, strings.ToLower(email))
	a := account{
		id:          fmt.Sprintf("%016x%08x", h, uint32(h>>7)),
		email:       email,
		token:       token,
		displayName: displayName,
		timeZone:    timeZones[h%uint64(len(timeZones))],
	}
	st.accounts.Put(strings.ToLower(email), a)
	return a
}

var timeZones = []string{"Europe/London", "America/New_York", "Australia/Sydney", "Europe/Berlin", "Asia/Tokyo"}

// call is what an authenticated request carries into its handler.
type call struct {
	site    *site
	account account
	base    string // the site's URL on the simulator
}

// api wraps a handler with the site lookup and Basic authentication.
func (p *Provider) api(h func(http.ResponseWriter, *http.Request, call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		siteName := r.PathValue("site")
		if !sitePattern.MatchString(siteName) {
			writeErrors(w, http.StatusNotFound, "Site not found: "+siteName)
			return
		}
		email, token, ok := r.BasicAuth()
		if !ok {
			unauthorized(w, false)
			return
		}
		st := p.sites.Get(siteName)
		acct, ok := st.accounts.Get(strings.ToLower(email))
		if !ok || subtle.ConstantTimeCompare([]byte(acct.token), []byte(token)) != 1 {
			unauthorized(w, true)
			return
		}
		h(w, r, call{site: st, account: acct, base: p.s.RequestBaseURL(r) + "/jira/" + siteName})
	}
}

// unauthorized writes Jira Cloud's 401, which is plain text rather than
// its usual JSON error body.
func unauthorized(w http.ResponseWriter, failed bool) {
	if failed {
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	}
	w.Header().Set("X-AUSERNAME", "anonymous")
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte("Client must be authenticated to access this resource."))
}

// writeErrors writes Jira's JSON error body.
func writeErrors(w http.ResponseWriter, status int, messages ...string) {
	sim.WriteJSON(w, status, map[string]any{"errorMessages": messages, "errors": map[string]string{}})
}
