package slack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// tier is a Slack rate-limit tier; tierNone methods are not limited here
// and tierSpecial ones limit themselves.
type tier int

const (
	tierNone tier = iota
	tier2
	tier3
	tier4
	tierSpecial
)

// method is one Web API method.
type method struct {
	tier tier
	// scopes lists the scopes of which the token needs at least one;
	// empty means the handler checks (or needs none).
	scopes []string
	noAuth bool
	h      func(w http.ResponseWriter, c *call)
}

func (p *Provider) methodTable() map[string]method {
	return map[string]method{
		"api.test":           {h: p.apiTest, noAuth: true},
		"auth.test":          {h: p.authTest, tier: tier4},
		"auth.revoke":        {h: p.authRevoke, tier: tier3},
		"users.list":         {h: p.usersList, tier: tier2, scopes: []string{"users:read"}},
		"users.info":         {h: p.usersInfo, tier: tier4, scopes: []string{"users:read"}},
		"conversations.list": {h: p.conversationsList, tier: tier2},
		"conversations.info": {h: p.conversationsInfo, tier: tier3},
		"chat.postMessage":   {h: p.chatPostMessage, tier: tierSpecial, scopes: []string{"chat:write"}},
	}
}

// args are a method's arguments, from the query, a form body or a JSON
// body, which Slack all accepts.
type args struct {
	form url.Values
	json map[string]json.RawMessage
}

// get returns an argument as a string: JSON strings unquoted, other JSON
// values as their text.
func (a args) get(key string) string {
	if raw, ok := a.json[key]; ok {
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
		}
		if string(raw) == "null" {
			return ""
		}
		return string(raw)
	}
	return a.form.Get(key)
}

// raw returns a JSON-valued argument (blocks, attachments): a JSON body's
// value as is, or the JSON text of a string (how forms carry it).
func (a args) raw(key string) []byte {
	if raw, ok := a.json[key]; ok {
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return []byte(s)
			}
		}
		if string(raw) == "null" {
			return nil
		}
		return raw
	}
	if v := a.form.Get(key); v != "" {
		return []byte(v)
	}
	return nil
}

// call is what an authenticated Web API request carries into its method.
type call struct {
	r      *http.Request
	args   args
	grant  *sim.Grant
	ws     *workspace
	kind   string // kindBot or kindUser
	userID string // the bot user for bot tokens
	// anyScope is true for tokens the control API minted without scopes,
	// and with Options.IgnoreScopes.
	anyScope bool
}

func (c *call) has(scope string) bool {
	return c.anyScope || slices.Contains(c.grant.Scopes, scope)
}

// errorBody is every failed method's body. Slack answers HTTP 200 for all
// of these; only rate limiting changes the status.
type errorBody struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
	Needed   string `json:"needed,omitempty"`
	Provided string `json:"provided,omitempty"`
}

// writeError answers with Slack's error body and notes the code in the
// request log, where the status alone (200) would not tell.
func writeError(w http.ResponseWriter, r *http.Request, code string) {
	sim.Annotate(r, "error", code)
	sim.WriteJSON(w, http.StatusOK, errorBody{Error: code})
}

// missingScope writes Slack's missing_scope error, naming the scopes the
// method needed and the ones the token has.
func missingScope(w http.ResponseWriter, c *call, needed ...string) {
	sim.Annotate(c.r, "error", "missing_scope")
	sim.WriteJSON(w, http.StatusOK, errorBody{Error: "missing_scope",
		Needed: strings.Join(needed, ","), Provided: strings.Join(c.grant.Scopes, ",")})
}

// webAPI serves /slack/api/{method}: argument parsing, authentication,
// scopes and the method's rate-limit tier, then the method.
func (p *Provider) webAPI(w http.ResponseWriter, r *http.Request) {
	mname := r.PathValue("method")
	m, ok := p.methods[mname]
	if !ok {
		sim.WriteJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method", "req_method": mname})
		return
	}
	a, errCode := parseArgs(r)
	if errCode != "" {
		writeError(w, r, errCode)
		return
	}
	c := &call{r: r, args: a}
	if m.noAuth {
		m.h(w, c)
		return
	}
	if errCode := p.authenticate(r, c); errCode != "" {
		writeError(w, r, errCode)
		return
	}
	w.Header().Set("X-OAuth-Scopes", strings.Join(c.grant.Scopes, ","))
	if len(m.scopes) > 0 {
		w.Header().Set("X-Accepted-OAuth-Scopes", strings.Join(m.scopes, ","))
		if !c.hasAny(m.scopes) {
			missingScope(w, c, m.scopes[0])
			return
		}
	}
	if limit := p.tierLimit(m.tier); limit > 0 && !p.take(w, r, c.ws.id+"|"+c.grant.ClientID+"|"+mname, limit, time.Minute) {
		return
	}
	m.h(w, c)
}

func (c *call) hasAny(scopes []string) bool {
	for _, s := range scopes {
		if c.has(s) {
			return true
		}
	}
	return false
}

func parseArgs(r *http.Request) (args, string) {
	ct := r.Header.Get("Content-Type")
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(ct, "application/json"):
		a := args{form: r.URL.Query()}
		if err := sim.ReadJSON(r, &a.json); err != nil {
			return a, "invalid_json"
		}
		return a, ""
	case strings.HasPrefix(ct, "multipart/form-data"):
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return args{}, "invalid_form_data"
		}
	default:
		if err := r.ParseForm(); err != nil {
			return args{}, "invalid_form_data"
		}
	}
	return args{form: r.Form}, ""
}

// authenticate finds the request's token (an Authorization: Bearer header,
// or a token argument in the query or form; Slack reads no token from a
// JSON body) and fills c; it returns Slack's error code on failure.
func (p *Provider) authenticate(r *http.Request, c *call) string {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, rest, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(rest)
		}
	}
	if token == "" {
		token = c.args.form.Get("token")
	}
	if token == "" {
		return "not_authed"
	}
	core, kind := coreAccess(token)
	if core == "" {
		return "invalid_auth"
	}
	g, authErr := p.s.OAuth.Lookup(name, core)
	if authErr != nil {
		switch authErr.Reason {
		case "revoked":
			return "token_revoked"
		case "expired":
			return "token_expired"
		}
		return "invalid_auth"
	}
	gkind := g.Extra["kind"]
	if gkind == "" {
		gkind = kindBot
	}
	if kind != "" && kind != gkind {
		return "invalid_auth"
	}
	c.grant, c.kind = g, gkind
	c.ws = p.workspaces.Get(g.Subject)
	c.userID = g.Extra["user_id"]
	if c.userID == "" {
		c.userID = c.ws.botUserID
	}
	c.anyScope = p.opts.IgnoreScopes || len(g.Scopes) == 0 && g.Extra["kind"] == ""
	return ""
}

func (p *Provider) tierLimit(t tier) int {
	switch t {
	case tier2:
		return p.opts.Tier2PerMinute
	case tier3:
		return p.opts.Tier3PerMinute
	case tier4:
		return p.opts.Tier4PerMinute
	}
	return 0
}

// take counts one call against key's limit per window (unless rate limits
// are off) and, when the window is spent, answers 429 with Retry-After and
// Slack's ratelimited body itself.
func (p *Provider) take(w http.ResponseWriter, r *http.Request, key string, limit int, per time.Duration) bool {
	if !p.s.RateLimited() {
		return true
	}
	v := p.s.Limits.Take("slack|"+key, limit, per)
	if v.Allowed {
		return true
	}
	sim.Annotate(r, "error", "ratelimited")
	w.Header().Set("Retry-After", sim.RetryAfter(v.Reset.Sub(p.s.Clock.Now())))
	sim.WriteJSON(w, http.StatusTooManyRequests, errorBody{Error: "ratelimited"})
	return false
}
