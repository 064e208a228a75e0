package github

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "github"

// Documented limits and lifetimes, each the default of an Options field or
// a fixed fact of GitHub's behaviour.
const (
	defaultCoreLimit       = 5000
	defaultSecondaryLimit  = 80 // content-creating requests per minute
	defaultSecondaryWindow = time.Minute
	userTokenTTL           = 8 * time.Hour
	refreshTokenTTL        = 15811200 * time.Second // what GitHub reports: 183 days
	installationTokenTTL   = time.Hour
	jwtMaxLifetime         = 10 * time.Minute
	jwtClockDrift          = 60 * time.Second
	defaultWebhookSecret   = "github-webhook-secret"
	defaultSubject         = "octocat"
)

// Options tune the simulated GitHub. The zero value is GitHub as
// documented, every limit and quirk on, with the default dataset.
type Options struct {
	// Users are the accounts that exist as users (default octocat, hubot,
	// monalisa, mojombo, defunkt). Any other repository owner is an
	// organization whose members are all these users.
	Users []string
	// Repos is the generated dataset; nil gives octocat/hello-world (70
	// issues, 30 pull requests) and acme/api (175 issues, 75 pull
	// requests).
	Repos []RepoSpec
	// Apps are the GitHub Apps whose JWTs are accepted.
	Apps []App
	// Installations of those apps on accounts.
	Installations []Installation
	// WebhookSecret signs deliveries (default "github-webhook-secret").
	WebhookSecret string
	// NonExpiringUserTokens issues OAuth-app style user tokens (gho_…)
	// that never expire and come without a refresh token. By default
	// tokens are GitHub App user tokens (ghu_…) expiring after 8 hours,
	// with a 6-month refresh token (ghr_…) that rotates on use.
	NonExpiringUserTokens bool
	// CoreLimit is the primary limit per user per hour (default 5000).
	CoreLimit int
	// InstallationLimit is the primary limit per installation per hour
	// (default 5000, GitHub's minimum for installations).
	InstallationLimit int
	// SecondaryLimit is how many writes (POST, PATCH, PUT, DELETE) one
	// user or installation may make per SecondaryWindow (default 80 per
	// minute, GitHub's content-creation limit).
	SecondaryLimit  int
	SecondaryWindow time.Duration
}

// RepoSpec sizes one generated repository.
type RepoSpec struct {
	FullName     string // owner/name
	Issues       int
	PullRequests int
	Private      bool
}

// App is a registered GitHub App: its id and the key its JWTs are checked
// with.
type App struct {
	ID   int64
	Slug string // default "sim-app-<id>"
	// PrivateKeyPEM (PKCS#1 or PKCS#8) is the app's key; only its public
	// half is kept. PublicKey may be given instead.
	PrivateKeyPEM string
	PublicKey     *rsa.PublicKey
	// ClientID and ClientSecret, when both are set, are registered as an
	// OAuth client for user-to-server tokens; a JWT's iss may also be the
	// client id.
	ClientID     string
	ClientSecret string
	// SetupURL receives installation_id, setup_action and state after the
	// simulated install page (/github/apps/{slug}/installations/new).
	SetupURL string
	// CallbackURL, when set with ClientID, turns on "request user
	// authorization (OAuth) during installation": the install page then
	// sends the browser there instead, with a user authorization code
	// added, as GitHub does.
	CallbackURL string
}

// Installation is an app installed on an account.
type Installation struct {
	ID      int64 // 0: assigned
	AppID   int64
	Account string
	// Repositories are full names (owner/name) the installation may use;
	// empty means every repository of Account (repository_selection all).
	Repositories []string
	// Permissions default to issues, pull_requests: write; metadata,
	// contents: read.
	Permissions map[string]string
}

func (o Options) withDefaults() Options {
	if o.Users == nil {
		o.Users = []string{"octocat", "hubot", "monalisa", "mojombo", "defunkt"}
	}
	if o.Repos == nil {
		o.Repos = []RepoSpec{
			{FullName: "octocat/hello-world", Issues: 70, PullRequests: 30},
			{FullName: "acme/api", Issues: 175, PullRequests: 75},
		}
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = defaultWebhookSecret
	}
	if o.CoreLimit <= 0 {
		o.CoreLimit = defaultCoreLimit
	}
	if o.InstallationLimit <= 0 {
		o.InstallationLimit = defaultCoreLimit
	}
	if o.SecondaryLimit <= 0 {
		o.SecondaryLimit = defaultSecondaryLimit
	}
	if o.SecondaryWindow <= 0 {
		o.SecondaryWindow = defaultSecondaryWindow
	}
	return o
}

// limits are the rate limits in force; the control API changes them.
type limits struct {
	Core            int `json:"core_limit"`
	Installation    int `json:"installation_limit"`
	Secondary       int `json:"secondary_limit"`
	SecondaryWindow int `json:"secondary_window_seconds"`
}

// Provider is the simulated GitHub: OAuth and GitHub App authentication,
// repositories of generated issues and pull requests, the REST endpoints
// over them, rate limits and signed webhooks.
type Provider struct {
	opts Options
	s    *sim.Server

	// mu guards everything below: the dataset, its render caches, apps,
	// installations and their tokens. Reads of a cached page take it only
	// for reading.
	mu            sync.RWMutex
	users         map[string]account // lower-cased login
	repos         map[string]*repo   // lower-cased full name
	repoOrder     []*repo
	apps          map[int64]*app
	installations map[int64]*installation
	nextInstall   int64
	instTokens    map[string]*instToken
	refreshIssued map[string]time.Time // sim refresh token → issue time
	secret        string
	limits        limits

	requestSeq atomic.Uint64
}

// New returns the simulated GitHub.
func New(opts Options) *Provider {
	return &Provider{opts: opts.withDefaults()}
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset regenerates the dataset for the server's seed and restores apps,
// installations, limits and the webhook secret to the Options; every
// installation token is forgotten.
func (p *Provider) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users = map[string]account{}
	for _, login := range p.opts.Users {
		p.users[strings.ToLower(login)] = userAccount(login)
	}
	p.repos = map[string]*repo{}
	p.repoOrder = nil
	for _, spec := range p.opts.Repos {
		p.putRepoLocked(p.generateRepo(spec))
	}
	p.apps = map[int64]*app{}
	for _, a := range p.opts.Apps {
		built, err := buildApp(a)
		if err != nil {
			// Options are the test's own code; a bad key is a bug there.
			panic(fmt.Sprintf("github sim: app %d: %v", a.ID, err))
		}
		p.addAppLocked(built)
	}
	p.installations = map[int64]*installation{}
	p.nextInstall = 40000000
	for _, in := range p.opts.Installations {
		if _, err := p.addInstallationLocked(in); err != nil {
			panic(fmt.Sprintf("github sim: installation: %v", err))
		}
	}
	p.instTokens = map[string]*instToken{}
	p.refreshIssued = map[string]time.Time{}
	p.secret = p.opts.WebhookSecret
	p.limits = limits{
		Core:            p.opts.CoreLimit,
		Installation:    p.opts.InstallationLimit,
		Secondary:       p.opts.SecondaryLimit,
		SecondaryWindow: int(p.opts.SecondaryWindow / time.Second),
	}
}

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	cfg := p.oauthConfig()
	// github.com/login/oauth/… and api.github.com/… both live under /github.
	mux.HandleFunc("GET /github/login/oauth/authorize", p.authorize(s.OAuth.AuthorizeHandler(cfg)))
	mux.HandleFunc("POST /github/login/oauth/authorize", p.authorize(s.OAuth.AuthorizeHandler(cfg)))
	mux.HandleFunc("POST /github/login/oauth/access_token", p.accessToken(s.OAuth.TokenHandler(cfg)))
	mux.HandleFunc("DELETE /github/applications/{client_id}/grant", p.deleteGrant)
	mux.HandleFunc("DELETE /github/applications/{client_id}/token", p.deleteToken)
	mux.HandleFunc("POST /github/applications/{client_id}/token", p.checkToken)

	mux.HandleFunc("GET /github/apps/{slug}/installations/new", p.installPage)
	mux.HandleFunc("GET /github/app", p.appAPI(p.getApp))
	mux.HandleFunc("GET /github/app/installations", p.appAPI(p.listInstallations))
	mux.HandleFunc("GET /github/app/installations/{id}", p.appAPI(p.getInstallation))
	mux.HandleFunc("POST /github/app/installations/{id}/access_tokens", p.appAPI(p.createInstallationToken))
	mux.HandleFunc("GET /github/repos/{owner}/{repo}/installation", p.appAPI(p.repoInstallation))

	mux.HandleFunc("GET /github/user", p.api(false, p.getUser))
	mux.HandleFunc("GET /github/user/repos", p.api(false, p.listUserRepos))
	mux.HandleFunc("GET /github/installation/repositories", p.api(false, p.listInstallationRepos))
	mux.HandleFunc("GET /github/repos/{owner}/{repo}", p.api(false, p.getRepo))
	mux.HandleFunc("GET /github/repos/{owner}/{repo}/issues", p.api(false, p.listIssues))
	mux.HandleFunc("POST /github/repos/{owner}/{repo}/issues", p.api(true, p.createIssue))
	mux.HandleFunc("GET /github/repos/{owner}/{repo}/issues/{number}", p.api(false, p.getIssue))
	mux.HandleFunc("PATCH /github/repos/{owner}/{repo}/issues/{number}", p.api(true, p.updateIssue))
	mux.HandleFunc("POST /github/repos/{owner}/{repo}/issues/{number}/comments", p.api(true, p.createComment))
	mux.HandleFunc("GET /github/repos/{owner}/{repo}/pulls", p.api(false, p.listPulls))
	mux.HandleFunc("POST /github/repos/{owner}/{repo}/pulls", p.api(true, p.createPull))
	mux.HandleFunc("GET /github/repos/{owner}/{repo}/pulls/{number}", p.api(false, p.getPull))

	mux.HandleFunc("POST /_control/github/apps", p.controlApps)
	mux.HandleFunc("POST /_control/github/installations", p.controlInstallations)
	mux.HandleFunc("DELETE /_control/github/installations/{id}", p.controlDeleteInstallation)
	mux.HandleFunc("POST /_control/github/installation_tokens", p.controlInstallationToken)
	mux.HandleFunc("POST /_control/github/seed", p.controlSeed)
	mux.HandleFunc("POST /_control/github/ratelimit", p.controlRateLimit)
	mux.HandleFunc("POST /_control/github/webhook", p.controlWebhook)
}

// requestID imitates X-GitHub-Request-Id, which GitHub asks for in support
// requests and quotes in secondary-limit messages.
func (p *Provider) requestID() string {
	n := p.requestSeq.Add(1)
	return "SIM0:" + strconv.FormatUint(n, 16)
}
