package slack

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Token kinds, kept in Grant.Extra["kind"].
const (
	kindBot  = "bot"
	kindUser = "user"
)

// The shared OAuth server mints tokens as "slack_at_<40 hex>" and
// "slack_rt_<40 hex>". Slack's clients see them as xoxb-/xoxp- (or, with
// rotation, xoxe.xoxb-1-/xoxe.xoxp-1-) access tokens and xoxe-1- refresh
// tokens carrying the same hex, translated at the edge in both directions.
const (
	coreAccessPrefix  = "slack_at_"
	coreRefreshPrefix = "slack_rt_"
	refreshPrefix     = "xoxe-1-"
)

// externalAccess is the token string a client sees for g.
func externalAccess(g *sim.Grant) string {
	hex, ok := strings.CutPrefix(g.AccessToken, coreAccessPrefix)
	if !ok {
		return g.AccessToken
	}
	prefix := "xoxb-"
	if g.Extra["kind"] == kindUser {
		prefix = "xoxp-"
	}
	if !g.ExpiresAt.IsZero() {
		prefix = "xoxe." + prefix + "1-"
	}
	return prefix + hex
}

func externalRefresh(token string) string {
	if hex, ok := strings.CutPrefix(token, coreRefreshPrefix); ok {
		return refreshPrefix + hex
	}
	return token
}

// coreAccess maps a client's token to the shared server's, with the kind
// its prefix claims ("" for a raw core token from the control API).
func coreAccess(token string) (core, kind string) {
	if strings.HasPrefix(token, coreAccessPrefix) {
		return token, ""
	}
	t := strings.TrimPrefix(token, "xoxe.")
	switch {
	case strings.HasPrefix(t, "xoxb-"):
		kind = kindBot
	case strings.HasPrefix(t, "xoxp-"):
		kind = kindUser
	default:
		return "", ""
	}
	hex := t[strings.LastIndexByte(t, '-')+1:]
	if len(hex) != 40 {
		return "", ""
	}
	return coreAccessPrefix + hex, kind
}

func coreRefresh(token string) string {
	if hex, ok := strings.CutPrefix(token, refreshPrefix); ok {
		return coreRefreshPrefix + hex
	}
	return token
}

// pendingCode is what the shared authorization server cannot keep for a
// code: Slack's second scope list.
type pendingCode struct {
	userScopes []string
	expires    time.Time
}

// authorize wraps the shared authorization endpoint. Slack asks for bot
// scopes in scope and user scopes in user_scope; the shared server keeps
// the first with the code, and the code catcher records the second.
func (p *Provider) authorize(core http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		userScopes := splitScopes(r.Form.Get("user_scope"))
		if len(splitScopes(r.Form.Get("scope"))) == 0 && len(userScopes) == 0 {
			// Slack shows an "invalid_scope" error page rather than
			// redirecting.
			http.Error(w, "invalid_scope: request at least one scope or user_scope", http.StatusBadRequest)
			return
		}
		// team=T… picks the workspace on Slack; it is the grant's subject here.
		if team := r.Form.Get("team"); team != "" && r.Form.Get("sim_user") == "" {
			r.Form.Set("sim_user", team)
		}
		core(&codeCatcher{ResponseWriter: w, onCode: func(code string) {
			p.rememberCode(code, userScopes)
		}}, r)
	}
}

func (p *Provider) rememberCode(code string, userScopes []string) {
	now := p.s.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 1000 {
		for c, pc := range p.pending {
			if now.After(pc.expires) {
				delete(p.pending, c)
			}
		}
	}
	// Codes live 10 minutes in the shared server; keep ours a little
	// longer so the shared server is the one that says "expired".
	p.pending[code] = pendingCode{userScopes: userScopes, expires: now.Add(15 * time.Minute)}
}

func (p *Provider) takeCode(code string) pendingCode {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc := p.pending[code]
	delete(p.pending, code)
	return pc
}

// splitScopes reads a comma-separated scope list; Slack tolerates spaces.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// codeCatcher sees the authorization redirect go by and reports its code.
type codeCatcher struct {
	http.ResponseWriter
	onCode func(string)
	done   bool
}

func (c *codeCatcher) WriteHeader(status int) {
	if !c.done && status == http.StatusFound {
		c.done = true
		if u, err := url.Parse(c.Header().Get("Location")); err == nil {
			if code := u.Query().Get("code"); code != "" {
				c.onCode(code)
			}
		}
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *codeCatcher) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// token wraps the shared token endpoint with Slack's argument habits:
// grant_type may be left out for a code exchange, and refresh tokens
// arrive in Slack's xoxe-1- spelling.
func (p *Provider) token(core http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeError(w, r, "invalid_form_data")
			return
		}
		if r.Form.Get("grant_type") == "" {
			r.Form.Set("grant_type", "authorization_code")
		}
		if rt := r.Form.Get("refresh_token"); rt != "" {
			r.Form.Set("refresh_token", coreRefresh(rt))
		}
		core(w, r)
	}
}

type teamRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type authedUser struct {
	ID           string `json:"id"`
	Scope        string `json:"scope,omitempty"`
	AccessToken  string `json:"access_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in,omitempty"`
}

type incomingWebhookInfo struct {
	Channel          string `json:"channel"`
	ChannelID        string `json:"channel_id"`
	ConfigurationURL string `json:"configuration_url"`
	URL              string `json:"url"`
}

// accessResponse is oauth.v2.access's answer, in Slack's field order.
type accessResponse struct {
	OK                  bool                 `json:"ok"`
	AppID               string               `json:"app_id"`
	AuthedUser          *authedUser          `json:"authed_user,omitempty"`
	Scope               string               `json:"scope,omitempty"`
	TokenType           string               `json:"token_type,omitempty"`
	AccessToken         string               `json:"access_token,omitempty"`
	BotUserID           string               `json:"bot_user_id,omitempty"`
	RefreshToken        string               `json:"refresh_token,omitempty"`
	ExpiresIn           int                  `json:"expires_in,omitempty"`
	Team                teamRef              `json:"team"`
	Enterprise          *teamRef             `json:"enterprise"`
	IsEnterpriseInstall bool                 `json:"is_enterprise_install"`
	IncomingWebhook     *incomingWebhookInfo `json:"incoming_webhook,omitempty"`
}

// tokenResponse writes oauth.v2.access's success. For a code exchange the
// shared server has minted one provisional token for the code's bot
// scopes; Slack instead hands out a bot token (only if bot scopes were
// asked for) and, nested under authed_user, a user token (only if user
// scopes were), so the provisional token is revoked and replaced by
// tokens that know their kind.
func (p *Provider) tokenResponse(w http.ResponseWriter, r *http.Request, g *sim.Grant) {
	now := p.s.Clock.Now()
	ws := p.workspaces.Get(g.Subject)
	resp := accessResponse{OK: true, AppID: p.opts.AppID, Team: teamRef{ID: ws.id, Name: ws.name}}
	if r.Form.Get("grant_type") == "refresh_token" {
		p.fillToken(&resp, ws, g, now)
		sim.WriteJSON(w, http.StatusOK, resp)
		return
	}
	pc := p.takeCode(r.Form.Get("code"))
	p.s.OAuth.Revoke(name, g.AccessToken)
	ttl := time.Duration(0)
	if p.opts.TokenRotation {
		ttl = rotatingTTL
	}
	resp.AuthedUser = &authedUser{ID: ws.ownerID}
	if len(g.Scopes) > 0 {
		bot := p.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: g.ClientID, Subject: g.Subject, Scopes: g.Scopes,
			Extra: map[string]string{"kind": kindBot, "user_id": ws.botUserID}}, ttl, p.opts.TokenRotation)
		p.fillToken(&resp, ws, bot, now)
		if slices.Contains(g.Scopes, "incoming-webhook") {
			resp.IncomingWebhook = p.newIncomingHook(ws)
		}
	}
	if len(pc.userScopes) > 0 {
		u := p.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: g.ClientID, Subject: g.Subject, Scopes: pc.userScopes,
			Extra: map[string]string{"kind": kindUser, "user_id": ws.ownerID}}, ttl, p.opts.TokenRotation)
		resp.AuthedUser = &authedUser{ID: ws.ownerID, Scope: strings.Join(u.Scopes, ","), AccessToken: externalAccess(u),
			TokenType: kindUser, RefreshToken: externalRefresh(u.RefreshToken), ExpiresIn: u.ExpiresIn(now)}
	}
	sim.WriteJSON(w, http.StatusOK, resp)
}

// fillToken puts g at the top level of the response, as Slack does for
// the bot token and for any refreshed token.
func (p *Provider) fillToken(resp *accessResponse, ws *workspace, g *sim.Grant, now time.Time) {
	resp.Scope = strings.Join(g.Scopes, ",")
	resp.AccessToken = externalAccess(g)
	resp.RefreshToken = externalRefresh(g.RefreshToken)
	resp.ExpiresIn = g.ExpiresIn(now)
	if g.Extra["kind"] == kindUser {
		resp.TokenType = kindUser
		resp.AuthedUser = &authedUser{ID: g.Extra["user_id"]}
		return
	}
	resp.TokenType = kindBot
	resp.BotUserID = ws.botUserID
}

// tokenError maps the shared server's RFC 6749 errors onto Slack's error
// codes. Like every Slack method, oauth.v2.access fails with HTTP 200.
func (p *Provider) tokenError(w http.ResponseWriter, r *http.Request, _ int, code, description string) {
	slackCode := "invalid_arguments"
	switch code {
	case "invalid_client":
		clientID, _, basic := r.BasicAuth()
		if !basic {
			clientID = r.Form.Get("client_id")
		}
		// Only the default client is known by id here; a wrong secret
		// for it is reported as such.
		slackCode = "invalid_client_id"
		if clientID == sim.DefaultClient(name).ID {
			slackCode = "bad_client_secret"
		}
	case "invalid_grant":
		switch {
		case r.Form.Get("grant_type") == "refresh_token":
			slackCode = "invalid_refresh_token"
		case strings.Contains(description, "redirect_uri"):
			slackCode = "bad_redirect_uri"
		case strings.Contains(description, "PKCE"):
			slackCode = "invalid_code_verifier"
		default:
			slackCode = "invalid_code"
		}
	case "unsupported_grant_type":
		slackCode = "invalid_grant_type"
	}
	writeError(w, r, slackCode)
}
