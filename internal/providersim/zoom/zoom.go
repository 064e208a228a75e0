package zoom

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "zoom"

// The app and account every reset restores.
const (
	// DefaultAccountID is the account of the default app.
	DefaultAccountID = "pbSimZoomAccount000001"
	// DefaultClientID is the default app's client id,
	// sim.DefaultClient("zoom").ID.
	DefaultClientID = "zoom-client-id"
	// DefaultClientSecret is the default app's client secret.
	DefaultClientSecret = "zoom-client-secret"
)

// Scopes the API endpoints need; apps get both unless told otherwise.
const (
	scopeReadUser  = "user:read:user:admin"
	scopeListUsers = "user:read:list_users:admin"
)

// tokenTTL is the lifetime of every Server-to-Server token.
const tokenTTL = time.Hour

// Options tune the simulated Zoom.
type Options struct {
	// Users is the number of users of an account the control API has not
	// sized (default 45).
	Users int
}

func (o Options) withDefaults() Options {
	if o.Users <= 0 {
		o.Users = 45
	}
	return o
}

// Provider is the simulated Zoom: Server-to-Server OAuth apps bound to
// accounts, and each account's users generated from the seed.
type Provider struct {
	opts Options
	s    *sim.Server

	accounts *sim.Lazy[account] // by id, generated on first use

	mu    sync.Mutex
	apps  map[string]*app // by client id
	sizes map[string]int  // users per account, set by the control API
}

// app is a Server-to-Server OAuth app.
type app struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	AccountID    string   `json:"account_id"`
	Scopes       []string `json:"scopes"`
	tokens       []string // issued access tokens, revoked with the app
}

// New returns the simulated Zoom.
func New(opts Options) *Provider {
	p := &Provider{opts: opts.withDefaults()}
	p.accounts = sim.NewLazy(p.newAccount)
	return p
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset restores the default app alone and forgets generated accounts.
func (p *Provider) Reset() {
	p.mu.Lock()
	p.apps = map[string]*app{DefaultClientID: {ClientID: DefaultClientID, ClientSecret: DefaultClientSecret,
		AccountID: DefaultAccountID, Scopes: []string{scopeReadUser, scopeListUsers}}}
	p.sizes = map[string]int{}
	p.mu.Unlock()
	// Not under p.mu: generating an account takes the accounts' lock, then
	// p.mu to read its size.
	p.accounts.Reset()
}

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	mux.HandleFunc("POST /zoom/oauth/token", p.token)
	mux.HandleFunc("GET /zoom/v2/users", p.api(scopeListUsers, p.listUsers))
	mux.HandleFunc("GET /zoom/v2/users/{userId}", p.api(scopeReadUser, p.getUser))

	mux.HandleFunc("POST /_control/zoom/apps", p.controlAddApp)
	mux.HandleFunc("DELETE /_control/zoom/apps/{clientId}", p.controlDeleteApp)
	mux.HandleFunc("POST /_control/zoom/accounts", p.controlAccount)
}

// CatalogYAML mirrors the built-in zoom-cc entry with the simulator's URLs.
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`zoom-cc:
    display_name: Zoom (Server-to-Server OAuth, simulated)
    categories:
        - video
        - communication
    auth_mode: OAUTH2_CC
    token_url: %[1]s/zoom/oauth/token
    token_request_auth_method: basic
    token_params:
        grant_type: account_credentials
        account_id: ${connectionConfig.accountId}
    proxy:
        base_url: %[1]s/zoom/v2
        retry:
            after:
                - retry-after
        paginate:
            type: cursor
            cursor_path_in_response: next_page_token
            cursor_name_in_request: next_page_token
            limit_name_in_request: page_size
    connection_config:
        accountId:
            type: string
            title: Account ID
            description: The account the simulated Server-to-Server OAuth app belongs to; the default app's is %[2]s.
            pattern: '^[A-Za-z0-9_-]+$'
            example: %[2]s
    credentials:
        client_id:
            type: string
            title: Client ID
            description: The app's client ID; the default app's is %[3]s.
        client_secret:
            type: string
            title: Client secret
            description: The app's client secret; the default app's is %[4]s.
            secret: true
    docs: https://developers.zoom.us/docs/internal-apps/s2s-oauth/

`, baseURL, DefaultAccountID, DefaultClientID, DefaultClientSecret)
}

// token serves POST /oauth/token for the account_credentials grant.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Invalid request")
		return
	}
	grant, accountID := r.Form.Get("grant_type"), r.Form.Get("account_id")
	sim.Annotate(r, "grant_type", grant)
	sim.Annotate(r, "account_id", accountID)
	id, secret, _ := r.BasicAuth()
	p.mu.Lock()
	a := p.apps[id]
	var snapshot app
	if a != nil {
		snapshot = *a
	}
	p.mu.Unlock()
	switch {
	case a == nil || subtle.ConstantTimeCompare([]byte(snapshot.ClientSecret), []byte(secret)) != 1:
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
		return
	case grant != "account_credentials":
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type")
		return
	case accountID == "" || accountID != snapshot.AccountID:
		tokenError(w, http.StatusBadRequest, "invalid_request", "Invalid account_id")
		return
	}
	g := p.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: id, Subject: accountID, Scopes: snapshot.Scopes}, tokenTTL, false)
	// Record the token on its app, so deleting the app revokes it; an app
	// deleted or replaced meanwhile gets no token.
	p.mu.Lock()
	current := p.apps[id] == a
	if current {
		a.tokens = append(a.tokens, g.AccessToken)
	}
	p.mu.Unlock()
	if !current {
		p.s.OAuth.Revoke(name, g.AccessToken)
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": g.AccessToken,
		"token_type":   "bearer",
		"expires_in":   g.ExpiresIn(p.s.Clock.Now()),
		"scope":        strings.Join(g.Scopes, " "),
		"api_url":      p.s.RequestBaseURL(r) + "/zoom",
	})
}

func tokenError(w http.ResponseWriter, status int, code, reason string) {
	sim.WriteJSON(w, status, map[string]string{"reason": reason, "error": code})
}

// call is what an authenticated API request carries into its handler.
type call struct {
	grant   *sim.Grant
	account *account
}

// api wraps an API handler with Zoom's token and scope checks.
func (p *Provider) api(scope string, h func(http.ResponseWriter, *http.Request, call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, authErr := p.s.OAuth.Authenticate(r, name)
		if authErr != nil {
			msg := "Invalid access token."
			if authErr.Reason == "expired" {
				msg = "Access token is expired."
			}
			apiError(w, http.StatusUnauthorized, 124, msg)
			return
		}
		if len(g.Scopes) > 0 && !slices.Contains(g.Scopes, scope) {
			apiError(w, http.StatusBadRequest, 4711, fmt.Sprintf("Invalid access token, does not contain scopes:[%s].", scope))
			return
		}
		h(w, r, call{grant: g, account: p.accounts.Get(g.Subject)})
	}
}

// apiError writes Zoom's API error body.
func apiError(w http.ResponseWriter, status, code int, message string) {
	sim.WriteJSON(w, status, map[string]any{"code": code, "message": message})
}
