package ghost

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"

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

// ghostAuth sends a token as Ghost expects it.
func ghostAuth(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Ghost "+token) }
}

// sign makes a JWT as a Ghost client does: HS256 over the hex-decoded
// secret, kid in the header. An empty kid leaves it out.
func sign(t testing.TB, kid, secretHex string, claims jwt.MapClaims) string {
	t.Helper()
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, jwt.SigningMethodHS256, kid, secret, claims)
}

func signWith(t testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims are a valid payload issued at now (simulated).
func (b *bundle) claims() jwt.MapClaims {
	now := b.s.Clock.Now().Unix()
	return jwt.MapClaims{"aud": "/admin/", "iat": now, "exp": now + 300}
}

// token is a valid token for the default key.
func (b *bundle) token(t testing.TB) string {
	t.Helper()
	return sign(t, DefaultKeyID, DefaultKeySecret, b.claims())
}

// get calls the Admin API of site with a token.
func (b *bundle) get(t testing.TB, site, path, token string) response {
	t.Helper()
	return b.request(t, http.MethodGet, "/ghost/"+site+"/ghost/api/admin"+path, nil, ghostAuth(token))
}

type ghostErrors struct {
	Errors []struct {
		Message string  `json:"message"`
		Context *string `json:"context"`
		Type    string  `json:"type"`
		Code    *string `json:"code"`
		ID      string  `json:"id"`
	} `json:"errors"`
}

type postOut struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Slug        string  `json:"slug"`
	Status      string  `json:"status"`
	URL         string  `json:"url"`
	PublishedAt *string `json:"published_at"`
	UpdatedAt   string  `json:"updated_at"`
}

type postsPage struct {
	Posts []postOut `json:"posts"`
	Meta  struct {
		Pagination struct {
			Page  int  `json:"page"`
			Limit any  `json:"limit"`
			Pages int  `json:"pages"`
			Total int  `json:"total"`
			Next  *int `json:"next"`
			Prev  *int `json:"prev"`
		} `json:"pagination"`
	} `json:"meta"`
}
