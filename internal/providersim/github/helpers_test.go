package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// Keys are generated once: RSA generation is slow under -race, and the
// keys are only read.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var out [2]*rsa.PrivateKey
	for i := range out {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		out[i] = k
	}
	return out
})

func appKey() *rsa.PrivateKey   { return testKeys()[0] }
func otherKey() *rsa.PrivateKey { return testKeys()[1] }

func privatePEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func publicPEM(t testing.TB, k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

const testAppID = 424242

// bundle is one test's simulator, its GitHub, and a user token for
// octocat that never expires.
type bundle struct {
	s     *simtest.Server
	p     *Provider
	token string
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	s := simtest.Start(t, so, p)
	g := s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: "octocat", Scopes: []string{"repo"}}, 0, false)
	return &bundle{s: s, p: p, token: g.AccessToken}
}

// withApp is Options with the test app registered and installed on acme
// for acme/api only (installation 7).
func withApp(o Options) Options {
	o.Apps = append(o.Apps, App{ID: testAppID, Slug: "patchbay-test", PrivateKeyPEM: privatePEM(appKey())})
	o.Installations = append(o.Installations, Installation{ID: 7, AppID: testAppID, Account: "acme", Repositories: []string{"acme/api"}})
	o.Repos = []RepoSpec{
		{FullName: "octocat/hello-world", Issues: 70, PullRequests: 30},
		{FullName: "acme/api", Issues: 175, PullRequests: 75},
		{FullName: "acme/secret", Issues: 5, PullRequests: 1},
	}
	return o
}

// appJWT signs claims for the test app with key.
func appJWT(t testing.TB, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodJWT follows GitHub's sample: iat 60 s back, exp 10 minutes ahead.
func (b *bundle) goodJWT(t testing.TB) string {
	now := b.s.Clock.Now()
	return appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": now.Add(-60 * time.Second).Unix(), "exp": now.Add(10 * time.Minute).Unix()})
}

// request sends method url (absolute, or a path on the simulator) with
// an Authorization header (auth "" sends none) and a JSON body.
func (b *bundle) request(t testing.TB, method, path, auth string, body any, opts ...simtest.Option) simtest.Response {
	t.Helper()
	return b.s.Call(t, method, path, body, append([]simtest.Option{simtest.Authorization(auth)}, opts...)...)
}

// api calls the REST API with the bundle's user token.
func (b *bundle) api(t testing.TB, method, path string, body any) simtest.Response {
	t.Helper()
	return b.request(t, method, path, "Bearer "+b.token, body)
}

// control posts to a control endpoint and checks the status.
func (b *bundle) control(t testing.TB, path string, body any, want int) simtest.Response {
	t.Helper()
	return b.s.Call(t, http.MethodPost, "/_control/github/"+path, body).Want(t, want, "control "+path)
}

type issueOut struct {
	ID          int64  `json:"id"`
	NodeID      string `json:"node_id"`
	Number      int    `json:"number"`
	Title       string `json:"title"`
	State       string `json:"state"`
	UpdatedAt   string `json:"updated_at"`
	CreatedAt   string `json:"created_at"`
	HTMLURL     string `json:"html_url"`
	Comments    int    `json:"comments"`
	PullRequest *struct {
		URL string `json:"url"`
	} `json:"pull_request"`
	User struct {
		Login string `json:"login"`
		ID    int64  `json:"id"`
	} `json:"user"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
	Head *struct {
		Ref string `json:"ref"`
	} `json:"head"`
}

var linkRe = regexp.MustCompile(`<([^>]+)>; rel="([a-z]+)"`)

// links parses a Link header into rel → URL.
func links(h string) map[string]string {
	out := map[string]string{}
	for _, m := range linkRe.FindAllStringSubmatch(h, -1) {
		out[m[2]] = m[1]
	}
	return out
}

// walk follows rel="next" from path and returns every item, failing on a
// non-200 page.
func (b *bundle) walk(t testing.TB, path string) []issueOut {
	t.Helper()
	var all []issueOut
	url := path
	for url != "" {
		res := b.api(t, http.MethodGet, url, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, res.Status, res.Body)
		}
		var page []issueOut
		res.Decode(t, &page)
		all = append(all, page...)
		url = links(res.Header.Get("Link"))["next"]
	}
	return all
}
