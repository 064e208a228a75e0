package auth

import (
	"context"
	"net/url"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// The token requests a Service runs, one entry per kind of mechanism a
// mode picks (authmode.Browser, authmode.Mint). They are auth's because
// they need its outbound policy, its token-error classification and its
// clock; a mode names the kind, never the code. A new kind is a constant
// in authmode and one entry here (with its request); a new mode reusing a
// kind touches neither.

// browserFlow is one kind of browser flow.
type browserFlow struct {
	// start fills sess and returns the provider URL the browser goes to.
	start func(s *Service, ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, in StartInput) (string, error)
	// complete makes the credentials from the provider's redirect.
	complete func(s *Service, ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, q url.Values, config map[string]any) (store.Credentials, error)
}

var browserFlows = map[authmode.Browser]browserFlow{
	authmode.BrowserOAuth2: {
		start: func(s *Service, ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, in StartInput) (string, error) {
			if integ.Credentials.ClientID == "" {
				return "", errorf(fault.Invalid, "missing_client_id", "integration %q has no client_id; set its OAuth app credentials first", integ.UniqueKey)
			}
			return s.authorizationURL(ctx, p, integ, sess, in)
		},
		complete: func(s *Service, ctx context.Context, p *catalog.Provider, integ *store.Integration, sess *store.OAuthSession, q url.Values, config map[string]any) (store.Credentials, error) {
			return s.exchangeCode(ctx, p, integ, sess, q.Get(codeParam(p)), config)
		},
	},
	authmode.BrowserOAuth1: {start: (*Service).startOAuth1, complete: (*Service).exchangeOAuth1},
	authmode.BrowserInstall: {
		start: func(_ *Service, _ context.Context, p *catalog.Provider, _ *store.Integration, sess *store.OAuthSession, _ StartInput) (string, error) {
			return installURL(p, sess)
		},
		complete: (*Service).completeApp,
	},
}

// minter is one kind of minting: a form's credentials from what was typed
// (first), and a connection's again when they expire (again). Either is
// nil when the kind does not do it.
type minter struct {
	// first mints from typed credentials, which it may return refused.
	first func(s *Service, ctx context.Context, p *catalog.Provider, config map[string]any, typed store.Credentials) (store.Credentials, error)
	// again mints c's credentials anew, returning raw *tokenError values
	// so renew's caller can classify them.
	again func(s *Service, ctx context.Context, p *catalog.Provider, integ *store.Integration, c *store.Connection, config map[string]any) (store.Credentials, error)
}

var minters = map[authmode.Mint]minter{
	authmode.MintRefreshToken: {
		again: func(s *Service, ctx context.Context, p *catalog.Provider, integ *store.Integration, c *store.Connection, config map[string]any) (store.Credentials, error) {
			return s.refreshOAuth2(ctx, p, integ, config, &c.Credentials)
		},
	},
	authmode.MintInstallation: {again: (*Service).renewInstallation},
	authmode.MintClientCredentials: {
		first: func(s *Service, ctx context.Context, p *catalog.Provider, config map[string]any, typed store.Credentials) (store.Credentials, error) {
			return s.clientCredentialsToken(ctx, p, config, typed)
		},
		again: func(s *Service, ctx context.Context, p *catalog.Provider, _ *store.Integration, c *store.Connection, config map[string]any) (store.Credentials, error) {
			creds, err := s.clientCredentialsToken(ctx, p, config, c.Credentials)
			return creds, unwrapAuth(err)
		},
	},
	authmode.MintJWT: {
		first: func(s *Service, _ context.Context, p *catalog.Provider, config map[string]any, typed store.Credentials) (store.Credentials, error) {
			return s.signJWT(p, config, typed)
		},
		again: func(s *Service, _ context.Context, p *catalog.Provider, _ *store.Integration, c *store.Connection, config map[string]any) (store.Credentials, error) {
			return s.signJWT(p, config, c.Credentials)
		},
	},
}
