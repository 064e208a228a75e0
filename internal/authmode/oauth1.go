package authmode

import (
	"net/http"
	"time"

	"github.com/patchbay/patchbay/internal/auth/oauth1"
	"github.com/patchbay/patchbay/internal/store"
)

// OAuth1 is OAuth 1.0a: a token and its secret, which sign every request
// with the app's consumer key and secret.
var OAuth1 = &Mode{
	Name:        "OAUTH1",
	CatalogURLs: []string{"request_url", "authorization_url", "token_url"},
	Integration: oauthApp,
	Import: &Import{
		Fields:  Fields{Required: []string{"oauth_token", "oauth_token_secret"}},
		KeepRaw: true,
		Stored:  []string{"oauth_token", "oauth_token_secret"},
	},
	Browser: BrowserOAuth1,
	Issuer:  true,
	View: func(c *store.Credentials, _ bool, out map[string]any) {
		out["oauth_token"] = c.OAuthToken
		out["oauth_token_secret"] = c.OAuthTokenSecret
		out["raw"] = RawJSON(c.Raw, true)
	},
	Token: func(c *store.Credentials) any {
		return map[string]string{"oAuthToken": c.OAuthToken, "oAuthTokenSecret": c.OAuthTokenSecret}
	},
	Sign: func(r *http.Request, app *store.IntegrationCredentials, c *store.Credentials, now func() time.Time) error {
		client := &oauth1.Client{ConsumerKey: app.ClientID, ConsumerSecret: app.ClientSecret, Now: now}
		return client.Sign(r, c.OAuthToken, c.OAuthTokenSecret, nil)
	},
}
