package zoom

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// bundle is one test's simulator and provider.
type bundle struct {
	s *sim.Server
	p *Provider
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	return &bundle{s: sim.ServeTest(t, so, p), p: p}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// request sends method path with an optional JSON body; auth, when not
// nil, sets the credentials.
func (b *bundle) request(t testing.TB, method, path string, body any, auth func(*http.Request)) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.s.BaseURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// tokenRequest asks for a token the way Patchbay's OAUTH2_CC mode does:
// the params form-encoded, the client as HTTP Basic (id "" sends none).
func (b *bundle) tokenRequest(t testing.TB, params url.Values, id, secret string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.s.BaseURL()+"/zoom/oauth/token", strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func accountCredentials(accountID string) url.Values {
	return url.Values{"grant_type": {"account_credentials"}, "account_id": {accountID}}
}

// token gets a token for the default app.
func (b *bundle) token(t testing.TB) string {
	t.Helper()
	res := b.tokenRequest(t, accountCredentials(DefaultAccountID), DefaultClientID, DefaultClientSecret)
	var tok tokenOut
	res.decode(t, &tok)
	if res.status != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", res.status, res.body)
	}
	return tok.AccessToken
}

// get calls the API with a token.
func (b *bundle) get(t testing.TB, path, token string) response {
	t.Helper()
	return b.request(t, http.MethodGet, "/zoom/v2"+path, nil, bearer(token))
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
