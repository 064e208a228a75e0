package ghost

import (
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"

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
func (b *bundle) get(t testing.TB, site, path, token string) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodGet, "/ghost/"+site+"/ghost/api/admin"+path, nil, simtest.Authorization("Ghost "+token))
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
