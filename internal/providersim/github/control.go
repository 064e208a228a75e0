package github

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// controlApps registers (or replaces) a GitHub App:
// {"app_id", "private_key" | "public_key" (PEM), "slug", "client_id",
// "client_secret", "setup_url"}.
func (p *Provider) controlApps(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AppID        int64  `json:"app_id"`
		Slug         string `json:"slug"`
		PrivateKey   string `json:"private_key"`
		PublicKey    string `json:"public_key"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		SetupURL     string `json:"setup_url"`
		CallbackURL  string `json:"callback_url"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	spec := App{ID: body.AppID, Slug: body.Slug, PrivateKeyPEM: body.PrivateKey, ClientID: body.ClientID,
		ClientSecret: body.ClientSecret, SetupURL: body.SetupURL, CallbackURL: body.CallbackURL}
	if body.PublicKey != "" {
		key, err := jwt.ParseRSAPublicKeyFromPEM([]byte(body.PublicKey))
		if err != nil {
			sim.ControlError(w, "public_key: "+err.Error())
			return
		}
		spec.PublicKey = key
	}
	a, err := buildApp(spec)
	if err != nil {
		sim.ControlError(w, err.Error())
		return
	}
	p.mu.Lock()
	p.addAppLocked(a)
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusCreated, map[string]any{"app_id": a.id, "slug": a.slug})
}

// controlInstallations installs an app:
// {"id", "app_id", "account", "repositories": ["o/r"], "permissions"}.
func (p *Provider) controlInstallations(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID           int64             `json:"id"`
		AppID        int64             `json:"app_id"`
		Account      string            `json:"account"`
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	p.mu.Lock()
	in, err := p.addInstallationLocked(Installation{ID: body.ID, AppID: body.AppID, Account: body.Account,
		Repositories: body.Repositories, Permissions: body.Permissions})
	var out map[string]any
	if err == nil {
		out = renderInstallation(p.s.RequestBaseURL(r), p.apps[in.appID], in)
	}
	p.mu.Unlock()
	if err != nil {
		sim.ControlError(w, err.Error())
		return
	}
	sim.WriteJSON(w, http.StatusCreated, out)
}

// controlDeleteInstallation uninstalls; the installation's tokens stop
// working at once.
func (p *Provider) controlDeleteInstallation(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p.mu.Lock()
	_, ok := p.installations[id]
	delete(p.installations, id)
	p.mu.Unlock()
	sim.ControlRemoved(w, err == nil && ok, "installation")
}

// controlInstallationToken mints an installation token without a JWT:
// {"installation_id", "repositories", "permissions"}.
func (p *Provider) controlInstallationToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		InstallationID int64             `json:"installation_id"`
		Repositories   []string          `json:"repositories"`
		Permissions    map[string]string `json:"permissions"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	p.mu.RLock()
	in := p.installations[body.InstallationID]
	p.mu.RUnlock()
	if in == nil {
		sim.ControlError(w, "no such installation")
		return
	}
	tok, msg := p.mintInstallationToken(in, body.Repositories, nil, body.Permissions)
	if tok == "" {
		sim.ControlError(w, msg)
		return
	}
	p.mu.RLock()
	exp := p.instTokens[tok].expires
	p.mu.RUnlock()
	sim.WriteJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": stamp(exp)})
}

// controlSeed (re)generates a repository from the seed:
// {"repo": "o/r", "issues": N, "pull_requests": M, "private": false}.
func (p *Provider) controlSeed(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Repo         string `json:"repo"`
		Issues       int    `json:"issues"`
		PullRequests int    `json:"pull_requests"`
		Private      bool   `json:"private"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	owner, name, ok := strings.Cut(body.Repo, "/")
	switch {
	case !ok || owner == "" || name == "" || strings.Contains(name, "/"):
		sim.ControlError(w, `repo must be "owner/name"`)
		return
	case body.Issues < 0 || body.PullRequests < 0 || body.Issues+body.PullRequests > 1000000:
		sim.ControlError(w, "issues and pull_requests must be between 0 and 1000000 in all")
		return
	}
	p.mu.Lock()
	p.putRepoLocked(p.generateRepo(RepoSpec{FullName: body.Repo, Issues: body.Issues, PullRequests: body.PullRequests, Private: body.Private}))
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"repo": body.Repo, "issues": body.Issues, "pull_requests": body.PullRequests, "total": body.Issues + body.PullRequests,
	})
}

// controlRateLimit sets the limits (any of core_limit,
// installation_limit, secondary_limit, secondary_window_seconds) and,
// with "exhaust": true, spends the primary budget of one bucket named by
// "token", "user" or "installation_id" ("exhaust_secondary" spends its
// secondary budget).
func (p *Provider) controlRateLimit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		limits
		Token            string `json:"token"`
		User             string `json:"user"`
		InstallationID   int64  `json:"installation_id"`
		Exhaust          bool   `json:"exhaust"`
		ExhaustSecondary bool   `json:"exhaust_secondary"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Core < 0 || body.Installation < 0 || body.Secondary < 0 || body.SecondaryWindow < 0 {
		sim.ControlError(w, "limits must not be negative")
		return
	}
	p.mu.Lock()
	if body.Core > 0 {
		p.limits.Core = body.Core
	}
	if body.Installation > 0 {
		p.limits.Installation = body.Installation
	}
	if body.Secondary > 0 {
		p.limits.Secondary = body.Secondary
	}
	if body.SecondaryWindow > 0 {
		p.limits.SecondaryWindow = body.SecondaryWindow
	}
	lim := p.limits
	p.mu.Unlock()
	out := map[string]any{"limits": lim}
	if body.Exhaust || body.ExhaustSecondary {
		var bucket string
		limit := lim.Core
		switch {
		case body.Token != "":
			c, msg := p.resolve(body.Token)
			if c == nil {
				sim.ControlError(w, "token: "+msg)
				return
			}
			bucket, limit = c.bucket, c.limit
		case body.User != "":
			bucket = "user/" + strings.ToLower(body.User)
		case body.InstallationID != 0:
			bucket, limit = "installation/"+strconv.FormatInt(body.InstallationID, 10), lim.Installation
		default:
			sim.ControlError(w, "exhaust needs token, user or installation_id")
			return
		}
		if body.Exhaust {
			p.s.Limits.Exhaust("github/core/"+bucket, limit, time.Hour)
		}
		if body.ExhaustSecondary {
			p.s.Limits.Exhaust("github/secondary/"+bucket, lim.Secondary, time.Duration(lim.SecondaryWindow)*time.Second)
		}
		out["exhausted"] = bucket
	}
	sim.WriteJSON(w, http.StatusOK, out)
}

// controlWebhook changes the webhook secret: {"secret": …}.
func (p *Provider) controlWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Secret string `json:"secret"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Secret == "" {
		sim.ControlError(w, "secret is required")
		return
	}
	p.mu.Lock()
	p.secret = body.Secret
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, body)
}
