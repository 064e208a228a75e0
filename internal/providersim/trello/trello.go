package trello

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "trello"

// Options tune the simulated Trello. The zero value is Trello as
// documented, with consent approved at once unless the server is
// interactive.
type Options struct {
	// Member is the username that approves when the authorize request
	// names none (sim_user=…); default "simmember".
	Member string
	// Boards is how many boards every member starts with, one closed among
	// them (default 5, min 2).
	Boards int
	// TimestampWindow is how far oauth_timestamp may be from the simulated
	// clock, either way (default 5 minutes).
	TimestampWindow time.Duration
	// RequestTokenTTL is how long temporary credentials may wait for
	// approval and exchange (default 10 minutes).
	RequestTokenTTL time.Duration
}

func (o Options) withDefaults() Options {
	if o.Member == "" {
		o.Member = "simmember"
	}
	if o.Boards <= 0 {
		o.Boards = 5
	}
	o.Boards = max(o.Boards, 2)
	if o.TimestampWindow <= 0 {
		o.TimestampWindow = 5 * time.Minute
	}
	if o.RequestTokenTTL <= 0 {
		o.RequestTokenTTL = 10 * time.Minute
	}
	return o
}

// Provider is the simulated Trello: OAuth 1.0a three-legged with
// signatures verified, API keys and tokens, members and their boards.
type Provider struct {
	opts Options
	s    *sim.Server

	consumers *sim.Registry[string] // API key → OAuth secret, besides the default

	mu       sync.Mutex
	requests map[string]*requestToken
	tokens   map[string]*accessToken
	nonces   map[string]time.Time // consumer, token, timestamp, nonce → timestamp
	members  map[string]*member   // username → member, generated on first use
}

// New returns the simulated Trello.
func New(opts Options) *Provider {
	p := &Provider{opts: opts.withDefaults(), consumers: sim.NewRegistry[string](nil)}
	p.clear()
	return p
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset forgets registered consumers, every request and access token,
// the seen nonces and the members' changes.
func (p *Provider) Reset() { p.clear() }

func (p *Provider) clear() {
	p.consumers.Reset()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = map[string]*requestToken{}
	p.tokens = map[string]*accessToken{}
	p.nonces = map[string]time.Time{}
	p.members = map[string]*member{}
}

// Mount implements sim.Provider. trello.com/1/… and api.trello.com/1/…
// both live under /trello/1 here.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	// Clients of OAuth 1.0a libraries use POST; GET is accepted too, as the
	// RFC allows any method.
	mux.HandleFunc("POST /trello/1/OAuthGetRequestToken", p.requestToken)
	mux.HandleFunc("GET /trello/1/OAuthGetRequestToken", p.requestToken)
	mux.HandleFunc("GET /trello/1/OAuthAuthorizeToken", p.authorize)
	mux.HandleFunc("POST /trello/1/OAuthAuthorizeToken", p.authorize)
	mux.HandleFunc("POST /trello/1/OAuthGetAccessToken", p.accessToken)
	mux.HandleFunc("GET /trello/1/OAuthGetAccessToken", p.accessToken)

	mux.HandleFunc("GET /trello/1/members/me", p.api(scopeRead, p.getMember))
	mux.HandleFunc("GET /trello/1/members/me/boards", p.api(scopeRead, p.listBoards))
	mux.HandleFunc("POST /trello/1/boards", p.api(scopeWrite, p.createBoard))

	mux.HandleFunc("POST /_control/trello/consumers", p.controlConsumer)
	mux.HandleFunc("POST /_control/trello/tokens", p.controlIssue)
	mux.HandleFunc("DELETE /_control/trello/tokens/{token}", p.controlRevoke)
}

// CatalogYAML mirrors the built-in trello entry with the simulator's URLs.
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`trello:
    display_name: Trello
    categories:
        - productivity
        - ticketing
    auth_mode: OAUTH1
    request_url: %[1]s/trello/1/OAuthGetRequestToken
    authorization_url: %[1]s/trello/1/OAuthAuthorizeToken
    token_url: %[1]s/trello/1/OAuthGetAccessToken
    signature_method: HMAC-SHA1
    scope_separator: ','
    default_scopes:
        - read
    authorization_params:
        expiration: never
    proxy:
        base_url: %[1]s/trello
        retry:
            after:
                - retry-after
    docs: https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/
`, baseURL)
}

// consumerSecret returns the OAuth secret of an API key: the default
// consumer's (sim.DefaultClient("trello")) or a registered one.
func (p *Provider) consumerSecret(key string) (string, bool) {
	if def := sim.DefaultClient(name); key == def.ID {
		return def.Secret, true
	}
	return p.consumers.Get(key)
}
