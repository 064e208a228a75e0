package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// refreshTimeout bounds one refresh, including the wait for the lock and
// the retries; it is detached from the caller's context because several
// callers share the result.
const refreshTimeout = 2 * time.Minute

// refreshAttempts is how often a transiently failing token request is
// tried within one refresh.
const refreshAttempts = 3

// Connection returns a connection with credentials that are valid for at
// least the refresh window when the provider allows it: expiring tokens
// are refreshed first (always, with force). A connection whose refresh
// the provider refused for good fails fast with connection_refresh_failed
// until it is re-authorised.
func (s *Service) Connection(ctx context.Context, environmentID, integrationKey, connectionID string, force bool) (*store.Connection, error) {
	c, err := s.conns.Get(ctx, environmentID, integrationKey, connectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(fault.NotFound, "unknown_connection", "connection %q of integration %q does not exist", connectionID, integrationKey)
	}
	if err != nil {
		return nil, err
	}
	return s.Fresh(ctx, c, force)
}

// Fresh is Connection for a connection already loaded.
func (s *Service) Fresh(ctx context.Context, c *store.Connection, force bool) (*store.Connection, error) {
	if !Refreshable(&c.Credentials) {
		// API keys, basic credentials and OAuth 1.0a tokens have nothing to
		// refresh; force_refresh returns them as they are, as Nango does.
		return c, nil
	}
	if !force && !s.expiring(c) {
		return c, nil
	}
	if !force && authError(c) != nil {
		return nil, unhealthy(c)
	}
	req := refreshRequest{force: force, asked: s.now()}
	for {
		ch := s.refreshing.DoChan(c.ID, func() (any, error) {
			return s.refreshDetached(ctx, c.ID, req)
		})
		if force {
			// Logged once the call has started or joined a refresh: tests
			// hold the provider until every concurrent call got this far.
			s.logger.DebugContext(ctx, "forced refresh asked", "integration", c.IntegrationKey, "connection_id", c.ConnectionID)
		}
		r, err := await(ctx, ch)
		if err != nil {
			return nil, err
		}
		// A forced call wants credentials renewed after it was asked. A
		// refresh it joined qualifies if it asked the provider (and so
		// finished after this call was asked) or was itself asked no
		// earlier; one that found an older refresh by another process and
		// stopped there does not, and then this call asks again.
		if !force || r.tried || !r.asked.Before(req.asked) || refreshedSince(r.conn, req.asked) {
			return r.conn, nil
		}
	}
}

// Renew is for a caller whose provider refused c's credentials before
// they expired: revoked, or retired early because they were refreshed
// elsewhere. It returns the connection with the credentials to retry
// with: the stored ones when they are no longer c's (another caller, in
// any process, replaced them already), else new ones from the provider.
// However many callers on however many nodes meet the same refusal, the
// provider sees one refresh, and nobody's new token is retired by a
// second one. refreshed reports whether the provider was asked (by this
// call or one it joined): if it was, a refusal of the new credentials is
// not worth another refresh.
func (s *Service) Renew(ctx context.Context, c *store.Connection) (conn *store.Connection, refreshed bool, err error) {
	if !Refreshable(&c.Credentials) {
		return nil, false, errorf(fault.Conflict, "connection_not_refreshable",
			"the credentials of connection %q were refused and cannot be refreshed", c.ConnectionID)
	}
	req := refreshRequest{asked: s.now(), stale: fingerprint(&c.Credentials)}
	// Keyed by the refused credentials too: a refresh in flight for
	// another reason may end with exactly those, which would not help.
	ch := s.refreshing.DoChan(c.ID+"\x00"+req.stale, func() (any, error) {
		return s.refreshDetached(ctx, c.ID, req)
	})
	r, err := await(ctx, ch)
	if err != nil {
		return nil, false, err
	}
	if fingerprint(&r.conn.Credentials) == req.stale {
		// The refresh failed transiently and kept the refused credentials.
		return nil, true, &Error{Kind: fault.Upstream, Code: "connection_refresh_failed",
			Message: fmt.Sprintf("the provider refused the credentials of connection %q and refreshing them failed; try again later", c.ConnectionID)}
	}
	return r.conn, r.tried, nil
}

// refreshRequest says what a refresh is for.
type refreshRequest struct {
	// force renews credentials that are not expiring.
	force bool
	// asked is when the call was made; a refresh that succeeded since
	// satisfies a forced call.
	asked time.Time
	// stale is the fingerprint of credentials the provider refused; when
	// set, the stored credentials are renewed only if they are those.
	stale string
}

// refreshed is the outcome of one refresh, shared by the calls that
// joined it.
type refreshed struct {
	conn  *store.Connection
	asked time.Time // when the call that started it was asked
	tried bool      // it asked the provider, whether or not that worked
}

// refreshDetached runs refreshLocked detached from the caller's context,
// since other callers may share its result.
func (s *Service) refreshDetached(ctx context.Context, id string, req refreshRequest) (*refreshed, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	r, err := s.refreshLocked(ctx, id, req)
	if r != nil {
		r.asked = req.asked
	}
	return r, err
}

func await(ctx context.Context, ch <-chan singleflight.Result) (*refreshed, error) {
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*refreshed), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refreshLocked refreshes under the connection's cross-process lock. It
// rereads the connection once the lock is held: whoever held it before
// may have refreshed already (then this returns their token without
// calling the provider), and the refresh token must be the latest one,
// since providers that rotate refresh tokens revoke the old one on use.
func (s *Service) refreshLocked(ctx context.Context, id string, req refreshRequest) (*refreshed, error) {
	unlock, err := s.locker.Lock(ctx, "refresh:"+id)
	if err != nil {
		return nil, fmt.Errorf("lock connection %s for refresh: %w", id, err)
	}
	defer unlock()
	c, err := s.conns.ByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reread connection %s: %w", id, err)
	}
	now := s.now()
	coolingDown := c.RefreshAttempts > 0 && c.LastRefreshFailureAt != nil && now.Sub(*c.LastRefreshFailureAt) < s.cooldown
	if req.stale != "" {
		// Compare and refresh. Credentials other than the refused ones were
		// stored by a refresh since: retry with them. Refreshing again
		// would retire them (GitHub does) under the callers using them.
		if fingerprint(&c.Credentials) != req.stale {
			return &refreshed{conn: c}, nil
		}
		// The refused credentials are still stored; but if their refresh
		// token was refused too, or the provider failed moments ago,
		// asking again would only add to a storm.
		if authError(c) != nil {
			return nil, unhealthy(c)
		}
		if coolingDown {
			return nil, cooldownError(c, s.cooldown)
		}
		return s.refreshNow(ctx, c, req)
	}
	if refreshedSince(c, req.asked) || (!req.force && !s.expiring(c)) {
		return &refreshed{conn: c}, nil
	}
	if !req.force && authError(c) != nil {
		return nil, unhealthy(c)
	}
	if !req.force && coolingDown {
		// The provider failed moments ago; asking again now would only add
		// to a retry storm. A token that still works is good enough.
		if stillValid(c, now) {
			return &refreshed{conn: c}, nil
		}
		return nil, cooldownError(c, s.cooldown)
	}
	return s.refreshNow(ctx, c, req)
}

func cooldownError(c *store.Connection, cooldown time.Duration) *Error {
	return &Error{Kind: fault.Unavailable, Code: "connection_refresh_cooldown",
		Message: fmt.Sprintf("refreshing connection %q failed moments ago; retry after %s", c.ConnectionID, cooldown)}
}

// refreshedSince reports whether c's credentials were renewed at or after
// t.
func refreshedSince(c *store.Connection, t time.Time) bool {
	return c.LastRefreshSuccessAt != nil && !c.LastRefreshSuccessAt.Before(t)
}

// fingerprint identifies credentials by the tokens sent to providers, so
// that a refresh can tell whether the ones a provider refused are still
// the stored ones. It is a hash since it is kept in flight keys.
func fingerprint(c *store.Credentials) string {
	h := sha256.New()
	for _, t := range []string{c.AccessToken, c.Token} {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	if c.User != nil {
		h.Write([]byte(c.User.AccessToken))
	}
	return string(h.Sum(nil))
}

// refreshNow asks the provider for new credentials and stores them; c is
// the connection as reread under the lock.
func (s *Service) refreshNow(ctx context.Context, c *store.Connection, req refreshRequest) (*refreshed, error) {
	id := c.ID
	integ, err := s.integs.Get(ctx, c.EnvironmentID, c.IntegrationKey)
	if err != nil {
		return nil, fmt.Errorf("integration of connection %s: %w", id, err)
	}
	p, err := s.provider(integ)
	if err != nil {
		return nil, err
	}
	creds, config, err := s.renewWithRetry(ctx, p, integ, c)
	if err != nil {
		failed, err := s.refreshFailed(ctx, c, err)
		if err != nil {
			return nil, err
		}
		return &refreshed{conn: failed, tried: true}, nil
	}
	updated, err := s.conns.Update(ctx, id, func(cur *store.Connection) error {
		cur.Credentials = creds
		cur.ConnectionConfig = config
		cur.Errors = withoutAuthErrors(cur.Errors)
		t := s.now().UTC()
		cur.LastRefreshSuccessAt = &t
		cur.RefreshAttempts = 0
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save refreshed credentials of %s: %w", id, err)
	}
	s.logger.InfoContext(ctx, "credentials refreshed", "integration", c.IntegrationKey, "connection_id", c.ConnectionID,
		"forced", req.force, "refused", req.stale != "")
	return &refreshed{conn: updated, tried: true}, nil
}

func (s *Service) renewWithRetry(ctx context.Context, p *catalog.Provider, integ *store.Integration, c *store.Connection) (store.Credentials, map[string]any, error) {
	pause := s.backoff
	for attempt := 1; ; attempt++ {
		creds, config, err := s.renew(ctx, p, integ, c)
		var te *tokenError
		if err == nil || attempt == refreshAttempts || !errors.As(err, &te) || te.permanent {
			return creds, config, err
		}
		s.logger.WarnContext(ctx, "token refresh failed, retrying", "integration", c.IntegrationKey,
			"connection_id", c.ConnectionID, "attempt", attempt, "err", err)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return creds, config, ctx.Err()
		}
		pause *= 2
	}
}

// renew obtains new credentials for c's auth mode. It returns raw
// *tokenError values so the caller can classify them.
func (s *Service) renew(ctx context.Context, p *catalog.Provider, integ *store.Integration, c *store.Connection) (store.Credentials, map[string]any, error) {
	config := c.ConnectionConfig
	if config == nil {
		config = map[string]any{}
	}
	again := minters[authmode.Get(c.Credentials.Type).Mint].again
	if again == nil {
		return c.Credentials, config, fmt.Errorf("credentials of type %s cannot be refreshed", c.Credentials.Type)
	}
	creds, err := again(s, ctx, p, integ, c, config)
	return creds, config, err
}

// renewInstallation mints an installation token again and, for an
// installation that also authorized its user, refreshes the user's token
// when it is about to expire.
func (s *Service) renewInstallation(ctx context.Context, p *catalog.Provider, integ *store.Integration, c *store.Connection, config map[string]any) (store.Credentials, error) {
	m := authmode.Get(c.Credentials.Type)
	creds, err := s.installationToken(ctx, p, integ, withIntegrationConfig(config, integ))
	if err != nil || !m.UserAuthorization {
		return creds, unwrapAuth(err)
	}
	creds.Type = m.Name
	creds.User = c.Credentials.User
	if u := c.Credentials.User; u != nil && u.RefreshToken != "" && u.ExpiresAt != nil && u.ExpiresAt.Before(s.now().Add(s.window)) {
		user, err := s.refreshOAuth2(ctx, p, integ, config, u)
		if err != nil {
			return creds, err
		}
		creds.User = &user
	}
	return creds, nil
}

// unwrapAuth exposes the token error inside an *Error, for classification.
func unwrapAuth(err error) error {
	var te *tokenError
	if errors.As(err, &te) {
		return te
	}
	var ae *Error
	if errors.As(err, &ae) && ae.Code == "connection_test_failed" {
		return &tokenError{status: http.StatusBadRequest, code: "invalid_client", description: ae.Message, permanent: true}
	}
	return err
}

func (s *Service) refreshOAuth2(ctx context.Context, p *catalog.Provider, integ *store.Integration, config map[string]any, prev *store.Credentials) (store.Credentials, error) {
	values := TemplateValues(config, prev, s.now())
	u := p.RefreshURL
	if u == "" {
		u = tokenURLFor(p, authmode.MintRefreshToken.Issuer())
	}
	tokenURL, err := catalog.Interpolate(u, values)
	if err != nil {
		return store.Credentials{}, &tokenError{permanent: true, err: err}
	}
	params := map[string]string{"grant_type": "refresh_token"}
	if len(p.RefreshParams) > 0 {
		if params, err = interpolateMap(p.RefreshParams, values); err != nil {
			return store.Credentials{}, &tokenError{permanent: true, err: err}
		}
	}
	params["refresh_token"] = prev.RefreshToken
	fields, raw, err := s.do(ctx, tokenRequest{url: tokenURL, template: u, params: params, clientID: integ.Credentials.ClientID,
		clientSecret: integ.Credentials.ClientSecret, basic: basicAuth(p), json: p.BodyFormat == "json"})
	if err != nil {
		return store.Credentials{}, err
	}
	return oauth2Credentials(p, fields, raw, s.now(), prev)
}

// refreshFailed records a failed refresh and returns the error callers
// see. Permanent failures mark the connection unhealthy (once, with one
// webhook); transient ones count attempts and start the cooldown.
func (s *Service) refreshFailed(ctx context.Context, c *store.Connection, cause error) (*store.Connection, error) {
	if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		return nil, cause
	}
	var te *tokenError
	permanent := errors.As(cause, &te) && te.permanent
	var ae *Error
	if errors.As(cause, &ae) {
		permanent = ae.permanent()
	}
	now := s.now().UTC()
	wasHealthy := authError(c) == nil
	code := "refresh_failed"
	msg := fmt.Sprintf("refreshing the credentials failed: %s", summary(cause))
	if permanent {
		code = "refresh_token_invalid"
		msg = fmt.Sprintf("the provider refused to refresh the credentials (%s); the end user must reconnect", summary(cause))
	}
	updated, err := s.conns.Update(ctx, c.ID, func(cur *store.Connection) error {
		cur.LastRefreshFailureAt = &now
		cur.RefreshAttempts++
		if permanent {
			cur.Errors = append(withoutAuthErrors(cur.Errors), store.ConnectionError{Type: "auth", Code: code, Message: truncate(msg, 500), At: now})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record refresh failure of %s: %w (refresh: %v)", c.ID, err, cause)
	}
	s.logger.WarnContext(ctx, "credentials refresh failed", "integration", c.IntegrationKey, "connection_id", c.ConnectionID,
		"permanent", permanent, "attempts", updated.RefreshAttempts, "err", cause)
	if permanent {
		e := unhealthy(updated)
		e.Err = cause
		if wasHealthy {
			s.events.RefreshFailed(ctx, updated, updated.Credentials.Type, e)
		}
		return nil, e
	}
	if stillValid(updated, now) {
		return updated, nil
	}
	return nil, &Error{Kind: fault.Upstream, Code: "connection_refresh_failed",
		Message: fmt.Sprintf("could not refresh the expired credentials of connection %q; the provider is unavailable, try again later", c.ConnectionID), Err: cause}
}

// RefreshExpiring refreshes, in the background, connections whose
// credentials expire within the window, up to RefreshPass of them, going
// on from where the previous pass stopped. It returns how many it tried. A
// connection that cannot be read (store.UnreadableError, counted by
// Store.UnreadableRows) or refreshed is logged and skipped: one bad row
// must not stop the refresh of every other connection, in every
// environment.
func (s *Service) RefreshExpiring(ctx context.Context) (int, error) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	before := s.now().Add(s.window)
	tried := 0
	for tried < s.sweepPass && ctx.Err() == nil {
		limit := min(refreshPage, s.sweepPass-tried)
		page, err := s.conns.Expiring(ctx, before, s.sweepAt, limit)
		if err != nil {
			return tried, fmt.Errorf("list expiring connections: %w", err)
		}
		for _, k := range page {
			if ctx.Err() != nil {
				break
			}
			s.sweepAt = k
			tried++
			s.refreshInBackground(ctx, k.ID)
		}
		if len(page) < limit && ctx.Err() == nil {
			// The end of the list: the next pass starts over, with
			// whatever expires by then; so does this one if the end
			// was all it found.
			resumed := s.sweepAt != store.ExpiringKey{} && len(page) == 0 && tried == 0
			s.sweepAt = store.ExpiringKey{}
			if resumed {
				continue
			}
			break
		}
	}
	return tried, ctx.Err()
}

// refreshPage is how many expiring connections the background refresher
// reads at a time.
const refreshPage = 100

// refreshInBackground renews one connection for RefreshExpiring, logging
// what stops it.
func (s *Service) refreshInBackground(ctx context.Context, id string) {
	c, err := s.conns.ByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err != nil {
		s.logger.WarnContext(ctx, "background refresh skipped a connection it cannot read", "id", id, "err", err)
		return
	}
	if _, err := s.Fresh(ctx, c, false); err != nil && ctx.Err() == nil {
		s.logger.DebugContext(ctx, "background refresh failed", "connection_id", c.ConnectionID, "err", err)
	}
}

func (s *Service) expiring(c *store.Connection) bool {
	exp := c.Credentials.ExpiresAt
	if authmode.Get(c.Credentials.Type).UserAuthorization && c.Credentials.User != nil && c.Credentials.User.ExpiresAt != nil &&
		(exp == nil || c.Credentials.User.ExpiresAt.Before(*exp)) {
		exp = c.Credentials.User.ExpiresAt
	}
	return exp != nil && exp.Before(s.now().Add(s.windowFor(c)))
}

// windowFor is how long before expiry c's credentials are renewed: the
// provider's token_expiration_buffer when its catalog entry sets one (for
// tokens that live shorter than the default window, which would otherwise
// be renewed on every use), else the configured window.
func (s *Service) windowFor(c *store.Connection) time.Duration {
	if p, ok := s.catalog.Lookup(c.Provider); ok && p.TokenExpirationBuffer > 0 {
		return time.Duration(p.TokenExpirationBuffer) * time.Second
	}
	return s.window
}

func stillValid(c *store.Connection, now time.Time) bool {
	exp := c.Credentials.ExpiresAt
	return exp == nil || exp.After(now)
}

// Refreshable reports whether the credentials have a way to be renewed.
func Refreshable(c *store.Credentials) bool { return authmode.Refreshable(c) }

func authError(c *store.Connection) *store.ConnectionError {
	for i := range c.Errors {
		if c.Errors[i].Type == "auth" {
			return &c.Errors[i]
		}
	}
	return nil
}

func withoutAuthErrors(errs []store.ConnectionError) []store.ConnectionError {
	out := errs[:0:0]
	for _, e := range errs {
		if e.Type != "auth" {
			out = append(out, e)
		}
	}
	return out
}

// summary is how a refresh failure's cause reads in the connection's
// errors, which API clients see: an *Error as its code and message,
// without the cause chain its Error() adds for the logs.
func summary(err error) string {
	if ae, ok := err.(*Error); ok {
		return fault.Describe(ae.Code, ae.Message, nil)
	}
	return err.Error()
}

// unhealthy is the error of a connection whose refresh was refused for
// good.
func unhealthy(c *store.Connection) *Error {
	msg := fmt.Sprintf("the credentials of connection %q were revoked or expired at the provider; the end user must reconnect", c.ConnectionID)
	if e := authError(c); e != nil && e.Message != "" {
		msg = e.Message
	}
	return &Error{Kind: fault.DependencyFailed, Code: "connection_refresh_failed", Message: msg}
}
