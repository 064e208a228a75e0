package slack

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "slack"

// Options tune the simulated Slack. The zero value is Slack as documented
// for a newly created app: rate limits and quirks on, token rotation off
// (it is an opt-in app setting on Slack too).
type Options struct {
	// Users is the size of every workspace, the app's bot user, Slackbot
	// and at least one deactivated user included (default 120, min 5).
	Users int
	// Channels is the number of channels of every workspace, archived and
	// private ones included (default 40, min 4).
	Channels int
	// TeamID is the workspace that installs when the authorize request
	// names none (team=… or sim_user=…); default "T01SIMTEAM".
	TeamID string
	// AppID is the app's id, reported in token responses and event
	// envelopes (default "A01SIMAPP0").
	AppID string
	// SigningSecret signs Events API deliveries (default
	// "slack-signing-secret"); the control API can change it until reset.
	SigningSecret string
	// VerificationToken is the deprecated token field of event payloads
	// (default "slack-verification-token").
	VerificationToken string
	// TokenRotation turns on Slack's token rotation: access tokens expire
	// after 12 hours and come with xoxe-1- refresh tokens, which rotate.
	TokenRotation bool
	// Tier2PerMinute, Tier3PerMinute and Tier4PerMinute are the per-method,
	// per-workspace limits of Slack's rate-limit tiers (defaults 20, 50,
	// 100).
	Tier2PerMinute int
	Tier3PerMinute int
	Tier4PerMinute int
	// PostMessagePerSecond is chat.postMessage's limit per channel
	// (default 1).
	PostMessagePerSecond int
	// IgnoreScopes lets any valid token call any method.
	IgnoreScopes bool
}

func (o Options) withDefaults() Options {
	if o.Users <= 0 {
		o.Users = 120
	}
	o.Users = max(o.Users, 5)
	if o.Channels <= 0 {
		o.Channels = 40
	}
	o.Channels = max(o.Channels, 4)
	if o.TeamID == "" {
		o.TeamID = "T01SIMTEAM"
	}
	if o.AppID == "" {
		o.AppID = "A01SIMAPP0"
	}
	if o.SigningSecret == "" {
		o.SigningSecret = "slack-signing-secret"
	}
	if o.VerificationToken == "" {
		o.VerificationToken = "slack-verification-token"
	}
	if o.Tier2PerMinute <= 0 {
		o.Tier2PerMinute = 20
	}
	if o.Tier3PerMinute <= 0 {
		o.Tier3PerMinute = 50
	}
	if o.Tier4PerMinute <= 0 {
		o.Tier4PerMinute = 100
	}
	if o.PostMessagePerSecond <= 0 {
		o.PostMessagePerSecond = 1
	}
	return o
}

// Provider is the simulated Slack: OAuth v2 with bot and user tokens, a
// handful of Web API methods over per-workspace data generated from the
// seed, tiered rate limits, and signed Events API deliveries.
type Provider struct {
	opts    Options
	s       *sim.Server
	methods map[string]method
	client  *http.Client // url_verification requests

	// workspaces are generated once and never changed in place, except
	// for their message clocks (lastTS), which are only touched under mu.
	workspaces *sim.Lazy[workspace] // by team id

	// mu guards everything below.
	mu       sync.Mutex
	pending  map[string]pendingCode // authorization code → its user scopes
	hooks    map[string]incomingHook
	secret   string
	eventSeq int
}

// New returns the simulated Slack.
func New(opts Options) *Provider {
	p := &Provider{opts: opts.withDefaults(), client: &http.Client{Timeout: 10 * time.Second}}
	p.methods = p.methodTable()
	p.workspaces = sim.NewLazy(p.generateWorkspace)
	p.resetState()
	return p
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset drops every workspace (they are regenerated from the current seed
// on first use), pending codes, incoming webhooks, the event sequence and
// a signing secret set through the control API.
func (p *Provider) Reset() { p.resetState() }

func (p *Provider) resetState() {
	p.workspaces.Reset()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = map[string]pendingCode{}
	p.hooks = map[string]incomingHook{}
	p.secret = p.opts.SigningSecret
	p.eventSeq = 0
}

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	cfg := sim.OAuthConfig{
		Provider:       name,
		ScopeSeparator: ",",
		DefaultSubject: p.opts.TeamID,
		Respond:        p.tokenResponse,
		Fail:           p.tokenError,
	}
	if p.opts.TokenRotation {
		cfg.AccessTTL = rotatingTTL
		cfg.RefreshTokens = true
		cfg.RotateRefresh = true
	}
	// slack.com/oauth/v2/authorize and slack.com/api/… both live under
	// /slack; the literal oauth.v2.access pattern wins over {method}.
	authorize := p.authorize(s.OAuth.AuthorizeHandler(cfg))
	mux.HandleFunc("GET /slack/oauth/v2/authorize", authorize)
	mux.HandleFunc("POST /slack/oauth/v2/authorize", authorize)
	token := p.token(s.OAuth.TokenHandler(cfg))
	mux.HandleFunc("GET /slack/api/oauth.v2.access", token)
	mux.HandleFunc("POST /slack/api/oauth.v2.access", token)

	mux.HandleFunc("GET /slack/api/{method}", p.webAPI)
	mux.HandleFunc("POST /slack/api/{method}", p.webAPI)
	// hooks.slack.com/services/T…/B…/… (incoming webhooks).
	mux.HandleFunc("POST /slack/services/{team}/{bot}/{secret}", p.incomingWebhook)

	mux.HandleFunc("POST /_control/slack/verify-url", p.controlVerifyURL)
	mux.HandleFunc("POST /_control/slack/events", p.controlEvent)
	mux.HandleFunc("POST /_control/slack/signing-secret", p.controlSigningSecret)
	mux.HandleFunc("POST /_control/slack/uninstall", p.controlUninstall)
	mux.HandleFunc("GET /_control/slack/workspaces/{team}", p.controlWorkspace)
}

// rotatingTTL is the lifetime of access tokens under token rotation.
const rotatingTTL = 12 * time.Hour

// CatalogYAML mirrors the built-in slack entry with the simulator's URLs.
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`slack:
    display_name: Slack
    categories:
        - communication
        - popular
    auth_mode: OAUTH2
    authorization_url: %[1]s/slack/oauth/v2/authorize
    token_url: %[1]s/slack/api/oauth.v2.access
    scope_separator: ','
    alternate_access_token_response_path: authed_user
    disable_pkce: true
    token_response_metadata:
        - team.id
        - bot_user_id
        - authed_user.id
        - incoming_webhook.url
        - incoming_webhook.channel_id
    proxy:
        base_url: %[1]s/slack/api
        rate_limit:
            requests: %[2]d
            interval: 1m
            burst: 1
        retry:
            after:
                - retry-after
        paginate:
            type: cursor
            cursor_path_in_response: response_metadata.next_cursor
            cursor_name_in_request: cursor
            limit_name_in_request: limit
    docs: https://api.slack.com/authentication/oauth-v2
`, baseURL, p.opts.Tier2PerMinute)
}

// signingSecret is the secret deliveries are currently signed with.
func (p *Provider) signingSecret() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.secret
}
