package github

import (
	"cmp"
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// app is a registered GitHub App.
type app struct {
	id           int64
	slug         string
	key          *rsa.PublicKey
	clientID     string
	clientSecret string
	setupURL     string
	callbackURL  string
}

func buildApp(a App) (*app, error) {
	if a.ID <= 0 {
		return nil, errors.New("app id must be positive")
	}
	key := a.PublicKey
	if key == nil {
		if a.PrivateKeyPEM == "" {
			return nil, errors.New("a private or public key is required")
		}
		priv, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(a.PrivateKeyPEM))
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		key = &priv.PublicKey
	}
	slug := a.Slug
	if slug == "" {
		slug = "sim-app-" + strconv.FormatInt(a.ID, 10)
	}
	return &app{id: a.ID, slug: slug, key: key, clientID: a.ClientID, clientSecret: a.ClientSecret, setupURL: a.SetupURL, callbackURL: a.CallbackURL}, nil
}

// addAppLocked registers a (replacing one with the same id) and its OAuth
// client for user-to-server tokens.
func (p *Provider) addAppLocked(a *app) {
	p.apps[a.id] = a
	if a.clientID != "" && a.clientSecret != "" {
		p.s.OAuth.RegisterClient(sim.Client{Provider: name, ID: a.clientID, Secret: a.clientSecret})
	}
}

// installation is an app installed on an account.
type installation struct {
	id          int64
	appID       int64
	account     account
	repos       []string // lower-cased full names; nil: all of account's
	permissions map[string]string
	created     time.Time
}

func (in *installation) selection() string {
	if in.repos == nil {
		return "all"
	}
	return "selected"
}

func (in *installation) covers(rp *repo) bool {
	if in.repos == nil {
		return strings.EqualFold(rp.owner.Login, in.account.Login)
	}
	return slices.Contains(in.repos, strings.ToLower(rp.fullName))
}

var defaultPermissions = map[string]string{"issues": "write", "pull_requests": "write", "metadata": "read", "contents": "read"}

// addInstallationLocked validates and stores in; p.mu must be held.
func (p *Provider) addInstallationLocked(in Installation) (*installation, error) {
	if p.apps[in.AppID] == nil {
		return nil, fmt.Errorf("app %d is not registered", in.AppID)
	}
	if in.Account == "" {
		return nil, errors.New("account is required")
	}
	out := &installation{id: in.ID, appID: in.AppID, account: p.accountLocked(in.Account),
		permissions: maps.Clone(in.Permissions), created: genEpoch}
	if out.permissions == nil {
		out.permissions = maps.Clone(defaultPermissions)
	}
	if len(in.Repositories) > 0 {
		out.repos = []string{}
		for _, full := range in.Repositories {
			if p.repos[strings.ToLower(full)] == nil {
				return nil, fmt.Errorf("repository %q does not exist", full)
			}
			out.repos = append(out.repos, strings.ToLower(full))
		}
	}
	if out.id <= 0 {
		p.nextInstall++
		out.id = p.nextInstall
	}
	p.installations[out.id] = out
	return out, nil
}

// instToken is an installation access token (ghs_…).
type instToken struct {
	installationID int64
	appID          int64
	repos          []string // lower-cased full names; nil: the installation's
	permissions    map[string]string
	expires        time.Time
}

// allows reports whether an installation token may see rp: the
// installation must cover it and a narrowed token must name it. GitHub
// answers 404 otherwise, hiding that the repository exists.
func (c *caller) allows(rp *repo, users map[string]account) bool {
	if c.inst != nil {
		if !c.inst.covers(rp) {
			return false
		}
		return c.tok.repos == nil || slices.Contains(c.tok.repos, strings.ToLower(rp.fullName))
	}
	if !rp.private || strings.EqualFold(rp.owner.Login, c.actor.Login) {
		return true
	}
	// Every simulated user is a member of every organization.
	_, member := users[strings.ToLower(c.actor.Login)]
	return member && rp.owner.Type == "Organization"
}

// permitted checks an installation token's permission for a write.
func (c *caller) permitted(perm string) bool {
	if c.tok == nil {
		return true
	}
	return c.tok.permissions[perm] == "write"
}

var errUnknownApp = errors.New("unknown app")

// verifyAppJWT authenticates an app by its JWT: RS256, signed with the
// registered key of the app named by iss (its id, or its client id),
// with iat and exp checked against the simulated clock. GitHub allows 60
// seconds of clock drift and at most 10 minutes of validity from now; its
// own sample code puts iat 60 s back and exp 10 min ahead, so the
// lifetime is measured from now, not from iat.
func (p *Provider) verifyAppJWT(r *http.Request) (*app, string) {
	raw := bearer(r)
	if raw == "" {
		return nil, "A JSON web token could not be decoded"
	}
	now := p.s.Clock.Now()
	claims := jwt.MapClaims{}
	var found *app
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		found = p.appForIssuer(claims["iss"])
		if found == nil {
			return nil, errUnknownApp
		}
		return found.key, nil
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(jwtClockDrift),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	const (
		expMsg = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
		iatMsg = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	)
	switch {
	case errors.Is(err, errUnknownApp):
		return nil, "Integration not found"
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, "A JSON web token could not be decoded"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, iatMsg
	case err != nil:
		// Expired, missing or malformed exp: GitHub words them alike.
		return nil, expMsg
	}
	if _, ok := claims["iat"].(float64); !ok {
		return nil, iatMsg
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, expMsg
	}
	if exp.After(now.Add(jwtMaxLifetime + jwtClockDrift)) {
		return nil, "'Expiration time' claim ('exp') is too far in the future"
	}
	return found, ""
}

// appForIssuer finds the app a JWT's iss names: a number or numeric
// string is the app id, any other string may be the app's client id.
func (p *Provider) appForIssuer(iss any) *app {
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch v := iss.(type) {
	case float64:
		return p.apps[int64(v)]
	case string:
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			return p.apps[id]
		}
		for _, a := range p.apps {
			if a.clientID != "" && a.clientID == v {
				return a
			}
		}
	}
	return nil
}

// appAPI wraps an endpoint that authenticates as the app itself. App
// requests count against a per-app bucket of the core limit.
func (p *Provider) appAPI(h func(http.ResponseWriter, *http.Request, *app)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-Request-Id", p.requestID())
		a, msg := p.verifyAppJWT(r)
		if a == nil {
			sim.Annotate(r, "jwt_error", msg)
			writeError(w, http.StatusUnauthorized, msg, docsREST)
			return
		}
		sim.Annotate(r, "auth", "app")
		p.mu.RLock()
		limit := p.limits.Core
		p.mu.RUnlock()
		id := strconv.FormatInt(a.id, 10)
		if !p.takeLimits(w, r, "app/"+id, limit, "app ID "+id, false) {
			return
		}
		h(w, r, a)
	}
}

func renderApp(base string, a *app) map[string]any {
	return map[string]any{
		"id": a.id, "slug": a.slug, "node_id": nodeID("Integration", a.id), "name": a.slug,
		"client_id": a.clientID, "html_url": base + "/github/apps/" + a.slug,
		"external_url": base + "/github/apps/" + a.slug, "description": "Simulated GitHub App",
		"permissions": defaultPermissions, "events": []string{"issues", "issue_comment", "pull_request"},
		"created_at": stamp(genEpoch), "updated_at": stamp(genEpoch),
	}
}

// renderInstallation needs p.mu held (for reading).
func renderInstallation(base string, a *app, in *installation) map[string]any {
	target := in.account.Type
	if target == "Bot" {
		target = "User"
	}
	id := strconv.FormatInt(in.id, 10)
	return map[string]any{
		"id":                   in.id,
		"account":              renderAccount(base, in.account),
		"app_id":               in.appID,
		"app_slug":             a.slug,
		"target_id":            in.account.ID,
		"target_type":          target,
		"repository_selection": in.selection(),
		"access_tokens_url":    base + "/github/app/installations/" + id + "/access_tokens",
		"repositories_url":     base + "/github/installation/repositories",
		"html_url":             base + "/github/settings/installations/" + id,
		"permissions":          in.permissions,
		"events":               []string{"issues", "issue_comment", "pull_request"},
		"created_at":           stamp(in.created),
		"updated_at":           stamp(in.created),
		"suspended_at":         nil,
		"suspended_by":         nil,
	}
}

func (p *Provider) getApp(w http.ResponseWriter, r *http.Request, a *app) {
	sim.WriteJSON(w, http.StatusOK, renderApp(p.s.RequestBaseURL(r), a))
}

func (p *Provider) listInstallations(w http.ResponseWriter, r *http.Request, a *app) {
	base := p.s.RequestBaseURL(r)
	p.mu.RLock()
	var all []*installation
	for _, in := range p.installations {
		if in.appID == a.id {
			all = append(all, in)
		}
	}
	slices.SortFunc(all, byInstallationID)
	per, pg := pageParams(r.URL.Query())
	from, to, last := pageBounds(len(all), per, pg)
	out := make([]map[string]any, 0, to-from)
	for _, in := range all[from:to] {
		out = append(out, renderInstallation(base, a, in))
	}
	p.mu.RUnlock()
	setLink(w, base, r, pg, last)
	sim.WriteJSON(w, http.StatusOK, out)
}

func (p *Provider) installationOf(w http.ResponseWriter, r *http.Request, a *app) *installation {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p.mu.RLock()
	in := p.installations[id]
	p.mu.RUnlock()
	if err != nil || in == nil || in.appID != a.id {
		notFound(w)
		return nil
	}
	return in
}

func (p *Provider) getInstallation(w http.ResponseWriter, r *http.Request, a *app) {
	in := p.installationOf(w, r, a)
	if in == nil {
		return
	}
	p.mu.RLock()
	out := renderInstallation(p.s.RequestBaseURL(r), a, in)
	p.mu.RUnlock()
	sim.WriteJSON(w, http.StatusOK, out)
}

// repoInstallation serves GET /repos/{owner}/{repo}/installation, which
// apps use to find the installation for a repository.
func (p *Provider) repoInstallation(w http.ResponseWriter, r *http.Request, a *app) {
	full := strings.ToLower(r.PathValue("owner") + "/" + r.PathValue("repo"))
	p.mu.RLock()
	defer p.mu.RUnlock()
	rp := p.repos[full]
	if rp != nil {
		for _, in := range p.sortedInstallationsLocked() {
			if in.appID == a.id && in.covers(rp) {
				sim.WriteJSON(w, http.StatusOK, renderInstallation(p.s.RequestBaseURL(r), a, in))
				return
			}
		}
	}
	notFound(w)
}

func byInstallationID(x, y *installation) int { return cmp.Compare(x.id, y.id) }

func (p *Provider) sortedInstallationsLocked() []*installation {
	out := slices.Collect(maps.Values(p.installations))
	slices.SortFunc(out, byInstallationID)
	return out
}

// createInstallationToken serves POST
// /app/installations/{id}/access_tokens: a one-hour ghs_ token, optionally
// narrowed to some of the installation's repositories and permissions.
func (p *Provider) createInstallationToken(w http.ResponseWriter, r *http.Request, a *app) {
	in := p.installationOf(w, r, a)
	if in == nil {
		return
	}
	var body struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if r.ContentLength != 0 {
		if err := sim.ReadJSON(r, &body); err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsApps)
			return
		}
	}
	tok, msg := p.mintInstallationToken(in, body.Repositories, body.RepositoryIDs, body.Permissions)
	if tok == "" {
		writeError(w, http.StatusUnprocessableEntity, msg, docsApps)
		return
	}
	base := p.s.RequestBaseURL(r)
	p.mu.RLock()
	t := p.instTokens[tok]
	out := map[string]any{
		"token":                tok,
		"expires_at":           stamp(t.expires),
		"permissions":          t.permissions,
		"repository_selection": in.selection(),
	}
	if t.repos != nil {
		out["repository_selection"] = "selected"
		var repos []repoJSON
		for _, full := range t.repos {
			repos = append(repos, renderRepo(base, p.repos[full], false))
		}
		out["repositories"] = repos
	}
	p.mu.RUnlock()
	sim.WriteJSON(w, http.StatusCreated, out)
}

// mintInstallationToken stores a new token for in; on a request GitHub
// would refuse it returns "" and the 422 message.
func (p *Provider) mintInstallationToken(in *installation, names []string, ids []int64, perms map[string]string) (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := &instToken{installationID: in.id, appID: in.appID, permissions: maps.Clone(in.permissions),
		expires: p.s.Clock.Now().Add(installationTokenTTL).Truncate(time.Second)}
	const notAccessible = "There is at least one repository that does not exist or is not accessible to the parent installation."
	for _, n := range names {
		full := n
		if !strings.Contains(n, "/") {
			full = in.account.Login + "/" + n
		}
		rp := p.repos[strings.ToLower(full)]
		if rp == nil || !in.covers(rp) {
			return "", notAccessible
		}
		t.repos = append(t.repos, strings.ToLower(rp.fullName))
	}
	for _, id := range ids {
		var hit *repo
		for _, rp := range p.repoOrder {
			if rp.id == id {
				hit = rp
			}
		}
		if hit == nil || !in.covers(hit) {
			return "", notAccessible
		}
		t.repos = append(t.repos, strings.ToLower(hit.fullName))
	}
	if perms != nil {
		for k, v := range perms {
			granted := in.permissions[k]
			if granted == "" || granted == "read" && v == "write" {
				return "", "The permissions requested are not granted to this installation."
			}
		}
		t.permissions = maps.Clone(perms)
	}
	tok := sim.RandomToken(installationTokenPrefix)
	p.instTokens[tok] = t
	return tok, ""
}

// installPage stands in for github.com/apps/{slug}/installations/new: it
// installs the app on sim_account (default octocat) for all of that
// account's repositories and, like GitHub, sends the browser to the app's
// setup URL with installation_id, setup_action=install and state. Without
// a setup URL (or sim_setup_url) it answers the installation as JSON.
func (p *Provider) installPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	var a *app
	for _, cand := range p.apps {
		if cand.slug == r.PathValue("slug") {
			a = cand
		}
	}
	if a == nil {
		p.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	account := q.Get("sim_account")
	if account == "" {
		account = defaultSubject
	}
	in, err := p.addInstallationLocked(Installation{AppID: a.id, Account: account})
	setup := a.setupURL
	var code string
	if a.callbackURL != "" && a.clientID != "" {
		setup = a.callbackURL
		code = p.s.OAuth.IssueCode(sim.Grant{Provider: name, ClientID: a.clientID, Subject: account}, a.callbackURL)
	}
	p.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s := q.Get("sim_setup_url"); s != "" {
		setup = s
	}
	target, perr := url.Parse(setup)
	if setup == "" || perr != nil || !target.IsAbs() {
		p.mu.RLock()
		out := renderInstallation(p.s.RequestBaseURL(r), a, in)
		p.mu.RUnlock()
		sim.WriteJSON(w, http.StatusOK, out)
		return
	}
	v := target.Query()
	v.Set("installation_id", strconv.FormatInt(in.id, 10))
	v.Set("setup_action", "install")
	if code != "" {
		v.Set("code", code)
	}
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	target.RawQuery = v.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}
