package github

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const (
	docsREST      = "https://docs.github.com/rest"
	docsRateLimit = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
	docsSecondary = docsRateLimit + "#about-secondary-rate-limits"
	docsIssues    = "https://docs.github.com/rest/issues/issues"
	docsPulls     = "https://docs.github.com/rest/pulls/pulls"
	docsComments  = "https://docs.github.com/rest/issues/comments"
	docsApps      = "https://docs.github.com/rest/apps/apps"
)

// caller is who an authenticated REST request acts as.
type caller struct {
	actor account       // the user, or the app's bot for installations
	inst  *installation // nil for user tokens
	tok   *instToken    // nil for user tokens
	// bucket and limit are the primary rate limit the request counts
	// against: per user for user tokens, per installation otherwise.
	bucket string
	limit  int
	who    string // "user ID 1" or "installation ID 2", for limit messages
}

// bearer returns the credential of an "Authorization: Bearer …" or
// "Authorization: token …" header; GitHub accepts both for every token
// kind.
func bearer(r *http.Request) string {
	scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "token") {
		return ""
	}
	return strings.TrimSpace(rest)
}

// authenticate resolves a REST request's token: an installation token
// (ghs_…) from this provider's own store, anything else through the
// shared OAuth server. On failure it returns GitHub's 401 message.
func (p *Provider) authenticate(r *http.Request) (*caller, string) {
	return p.resolve(bearer(r))
}

// resolve finds who token acts as.
func (p *Provider) resolve(token string) (*caller, string) {
	if token == "" {
		return nil, "Requires authentication"
	}
	if strings.HasPrefix(token, installationTokenPrefix) {
		now := p.s.Clock.Now()
		p.mu.RLock()
		defer p.mu.RUnlock()
		t := p.instTokens[token]
		if t == nil || !now.Before(t.expires) {
			return nil, "Bad credentials"
		}
		in := p.installations[t.installationID]
		a := p.apps[t.appID]
		if in == nil || a == nil {
			return nil, "Bad credentials"
		}
		id := strconv.FormatInt(in.id, 10)
		return &caller{actor: botAccount(a), inst: in, tok: t, bucket: "installation/" + id,
			limit: p.limits.Installation, who: "installation ID " + id}, ""
	}
	g, err := p.s.OAuth.Lookup(name, internalToken(token))
	if err != nil {
		return nil, "Bad credentials"
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	u, ok := p.users[strings.ToLower(g.Subject)]
	if !ok {
		u = userAccount(g.Subject)
	}
	return &caller{actor: u, bucket: "user/" + strings.ToLower(u.Login), limit: p.limits.Core,
		who: "user ID " + strconv.FormatInt(u.ID, 10)}, ""
}

// api wraps a REST handler with GitHub's gatekeeping in GitHub's order:
// authentication, the primary limit (whose headers every answer past that
// point carries), then for writes the secondary limit.
func (p *Provider) api(write bool, h func(http.ResponseWriter, *http.Request, *caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-Request-Id", p.requestID())
		c, msg := p.authenticate(r)
		if c == nil {
			writeError(w, http.StatusUnauthorized, msg, docsREST)
			return
		}
		if c.inst != nil {
			sim.Annotate(r, "auth", "installation")
		} else {
			sim.Annotate(r, "auth", "user")
		}
		if !p.takeLimits(w, r, c.bucket, c.limit, c.who, write) {
			return
		}
		h(w, r, c)
	}
}

// takeLimits counts the request and writes the X-RateLimit-* headers; it
// answers the request itself (403 for the primary limit, 429 with
// Retry-After for the secondary one) and returns false when a limit is
// spent. With rate limits off nothing is counted and no header is set.
func (p *Provider) takeLimits(w http.ResponseWriter, r *http.Request, bucket string, limit int, who string, write bool) bool {
	if !p.s.RateLimited() {
		return true
	}
	v := p.s.Limits.Take("github/core/"+bucket, limit, time.Hour)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(v.Remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(limit-v.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(v.Reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	if !v.Allowed {
		sim.Annotate(r, "rate_limit", "primary")
		writeError(w, http.StatusForbidden, "API rate limit exceeded for "+who+". If you reach out to GitHub Support for help, please include the request ID "+h.Get("X-GitHub-Request-Id")+".", docsRateLimit)
		return false
	}
	if !write {
		return true
	}
	p.mu.RLock()
	secondary, window := p.limits.Secondary, time.Duration(p.limits.SecondaryWindow)*time.Second
	p.mu.RUnlock()
	sv := p.s.Limits.Take("github/secondary/"+bucket, secondary, window)
	if !sv.Allowed {
		sim.Annotate(r, "rate_limit", "secondary")
		h.Set("Retry-After", sim.RetryAfter(sv.Reset.Sub(p.s.Clock.Now())))
		writeError(w, http.StatusTooManyRequests, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "+h.Get("X-GitHub-Request-Id")+".", docsSecondary)
		return false
	}
	return true
}

// writeError writes GitHub's error body.
func writeError(w http.ResponseWriter, status int, message, doc string) {
	sim.WriteJSON(w, status, map[string]string{"message": message, "documentation_url": doc, "status": strconv.Itoa(status)})
}

// notFound is GitHub's answer for anything the caller may not see, which
// is also how it hides repositories an installation was not granted.
func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Not Found", docsREST)
}

// fieldError is one entry of a 422 "Validation Failed" body.
type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message,omitempty"`
}

func validationFailed(w http.ResponseWriter, doc string, errs ...fieldError) {
	sim.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": errs, "documentation_url": doc, "status": "422",
	})
}
