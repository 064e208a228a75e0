package zoom

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// bundle is one test's simulator and provider.
type bundle struct {
	s *simtest.Server
	p *Provider
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	return &bundle{s: simtest.Start(t, so, p), p: p}
}

// client sends an app's credentials as HTTP Basic, as Patchbay's OAUTH2_CC
// mode does; id "" sends none.
func client(id, secret string) simtest.Option {
	if id == "" {
		return nil
	}
	return simtest.Basic(id, secret)
}

// tokenRequest asks for a token with the params form-encoded.
func (b *bundle) tokenRequest(t testing.TB, params url.Values, id, secret string) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodPost, "/zoom/oauth/token", params, client(id, secret))
}

func accountCredentials(accountID string) url.Values {
	return url.Values{"grant_type": {"account_credentials"}, "account_id": {accountID}}
}

// token gets a token for the default app.
func (b *bundle) token(t testing.TB) string {
	t.Helper()
	res := b.tokenRequest(t, accountCredentials(DefaultAccountID), DefaultClientID, DefaultClientSecret)
	var tok tokenOut
	res.Decode(t, &tok)
	if res.Status != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", res.Status, res.Body)
	}
	return tok.AccessToken
}

// get calls the API with a token.
func (b *bundle) get(t testing.TB, path, token string) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodGet, "/zoom/v2"+path, nil, simtest.Bearer(token))
}

type tokenOut struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	APIURL      string `json:"api_url"`
	Reason      string `json:"reason"`
	Error       string `json:"error"`
}

type zoomError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type userOut struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Status    string `json:"status"`
	RoleID    string `json:"role_id"`
	RoleName  string `json:"role_name"`
	AccountID string `json:"account_id"`
}

type usersPage struct {
	PageCount     int       `json:"page_count"`
	PageSize      int       `json:"page_size"`
	TotalRecords  int       `json:"total_records"`
	NextPageToken string    `json:"next_page_token"`
	Users         []userOut `json:"users"`
}
