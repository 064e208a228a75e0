package github

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestAppJWTChecks(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, withApp(Options{}))
	now := b.s.Clock.Now()
	at := func(d time.Duration) int64 { return now.Add(d).Unix() }
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": testAppID, "iat": at(0), "exp": at(5 * time.Minute)}).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		token  string
		status int
		msg    string
	}{
		{"GitHub's sample claims", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": at(-time.Minute), "exp": at(10 * time.Minute)}), 200, ""},
		{"iss as a string", appJWT(t, appKey(), jwt.MapClaims{"iss": strconv.Itoa(testAppID), "iat": at(0), "exp": at(time.Minute)}), 200, ""},
		{"iat within drift", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": at(30 * time.Second), "exp": at(time.Minute)}), 200, ""},
		{"expired", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": at(-12 * time.Minute), "exp": at(-2 * time.Minute)}), 401, "'Expiration time' claim ('exp') must be a numeric value"},
		{"exp too far", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": at(0), "exp": at(15 * time.Minute)}), 401, "too far in the future"},
		{"iat in the future", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": at(5 * time.Minute), "exp": at(9 * time.Minute)}), 401, "'Issued at' claim ('iat')"},
		{"no iat", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "exp": at(time.Minute)}), 401, "'Issued at' claim ('iat')"},
		{"no exp", appJWT(t, appKey(), jwt.MapClaims{"iss": testAppID, "iat": at(0)}), 401, "'Expiration time' claim"},
		{"wrong key", appJWT(t, otherKey(), jwt.MapClaims{"iss": testAppID, "iat": at(0), "exp": at(time.Minute)}), 401, "A JSON web token could not be decoded"},
		{"unknown app", appJWT(t, appKey(), jwt.MapClaims{"iss": 1, "iat": at(0), "exp": at(time.Minute)}), 401, "Integration not found"},
		{"HS256", hs, 401, "A JSON web token could not be decoded"},
		{"not a JWT", "ghs_whatever", 401, "A JSON web token could not be decoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.request(t, http.MethodGet, "/github/app", "Bearer "+tt.token, nil)
			var body struct {
				Message string `json:"message"`
				Doc     string `json:"documentation_url"`
			}
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if tt.status != 200 {
				res.Decode(t, &body)
				if !strings.Contains(body.Message, tt.msg) || body.Doc == "" {
					t.Fatalf("body %s, want message containing %q", res.Body, tt.msg)
				}
			}
		})
	}
}

func TestAppJWTExpiresOnSimulatedClock(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, withApp(Options{}))
	token := b.goodJWT(t)
	if res := b.request(t, http.MethodGet, "/github/app/installations", "Bearer "+token, nil); res.Status != http.StatusOK {
		t.Fatalf("fresh JWT: %d %s", res.Status, res.Body)
	}
	// exp is 10 minutes ahead; 60 s of drift is still allowed past it.
	b.s.Clock.Advance(10*time.Minute + 30*time.Second)
	if res := b.request(t, http.MethodGet, "/github/app/installations", "Bearer "+token, nil); res.Status != http.StatusOK {
		t.Fatalf("JWT within drift after exp: %d", res.Status)
	}
	b.s.Clock.Advance(time.Minute)
	if res := b.request(t, http.MethodGet, "/github/app/installations", "Bearer "+token, nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("expired JWT: %d", res.Status)
	}
}

// installationToken creates a token for installation 7 through the API.
func (b *bundle) installationToken(t testing.TB, body any) (simtest.Response, map[string]any) {
	t.Helper()
	res := b.request(t, http.MethodPost, "/github/app/installations/7/access_tokens", "Bearer "+b.goodJWT(t), body)
	out := map[string]any{}
	if res.Status == http.StatusCreated {
		res.Decode(t, &out)
	}
	return res, out
}

func TestInstallationTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, withApp(Options{}))

	res := b.request(t, http.MethodGet, "/github/app/installations", "Bearer "+b.goodJWT(t), nil)
	var insts []struct {
		ID      int64 `json:"id"`
		Account struct {
			Login string `json:"login"`
		} `json:"account"`
		Selection string `json:"repository_selection"`
	}
	res.Decode(t, &insts)
	if len(insts) != 1 || insts[0].ID != 7 || insts[0].Account.Login != "acme" || insts[0].Selection != "selected" {
		t.Fatalf("installations: %s", res.Body)
	}
	if res := b.request(t, http.MethodGet, "/github/app/installations/8", "Bearer "+b.goodJWT(t), nil); res.Status != http.StatusNotFound {
		t.Fatalf("unknown installation: %d", res.Status)
	}

	res, tok := b.installationToken(t, nil)
	if res.Status != http.StatusCreated {
		t.Fatalf("access token: %d %s", res.Status, res.Body)
	}
	token, _ := tok["token"].(string)
	exp, err := time.Parse(time.RFC3339, tok["expires_at"].(string))
	if !strings.HasPrefix(token, "ghs_") || err != nil || exp.Sub(b.s.Clock.Now()) < 59*time.Minute || exp.Sub(b.s.Clock.Now()) > time.Hour {
		t.Fatalf("token answer: %v", tok)
	}
	if tok["repository_selection"] != "selected" || tok["permissions"].(map[string]any)["issues"] != "write" {
		t.Fatalf("token answer: %v", tok)
	}

	tests := []struct {
		name   string
		auth   string
		path   string
		status int
	}{
		{"token scheme", "token " + token, "/github/repos/acme/api/issues", 200},
		{"bearer scheme", "Bearer " + token, "/github/repos/acme/api/issues", 200},
		{"repo of the account not granted", "token " + token, "/github/repos/acme/secret/issues", 404},
		{"repo of another account", "token " + token, "/github/repos/octocat/hello-world", 404},
		{"user endpoint", "token " + token, "/github/user", 403},
		{"installation repositories", "token " + token, "/github/installation/repositories", 200},
	}
	for _, tt := range tests {
		if res := b.request(t, http.MethodGet, tt.path, tt.auth, nil); res.Status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, res.Status, tt.status, res.Body)
		}
	}
	// A user sees the repository the installation does not.
	if res := b.api(t, http.MethodGet, "/github/repos/acme/secret", nil); res.Status != http.StatusOK {
		t.Fatalf("user on acme/secret: %d", res.Status)
	}

	b.s.Clock.Advance(time.Hour)
	if res := b.request(t, http.MethodGet, "/github/repos/acme/api", "token "+token, nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("installation token after an hour: %d", res.Status)
	}
}

func TestInstallationTokenNarrowing(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, withApp(Options{}))
	b.control(t, "installations", map[string]any{"id": 9, "app_id": testAppID, "account": "acme"}, http.StatusCreated)

	res := b.request(t, http.MethodPost, "/github/app/installations/9/access_tokens", "Bearer "+b.goodJWT(t),
		map[string]any{"repositories": []string{"secret"}, "permissions": map[string]string{"issues": "read"}})
	if res.Status != http.StatusCreated {
		t.Fatalf("narrowed token: %d %s", res.Status, res.Body)
	}
	var tok struct {
		Token     string           `json:"token"`
		Selection string           `json:"repository_selection"`
		Repos     []map[string]any `json:"repositories"`
	}
	res.Decode(t, &tok)
	if tok.Selection != "selected" || len(tok.Repos) != 1 {
		t.Fatalf("narrowed token: %s", res.Body)
	}
	auth := "token " + tok.Token
	if res := b.request(t, http.MethodGet, "/github/repos/acme/secret", auth, nil); res.Status != http.StatusOK {
		t.Fatalf("granted repo: %d", res.Status)
	}
	if res := b.request(t, http.MethodGet, "/github/repos/acme/api", auth, nil); res.Status != http.StatusNotFound {
		t.Fatalf("repo outside the narrowed token: %d", res.Status)
	}
	if res := b.request(t, http.MethodPost, "/github/repos/acme/secret/issues", auth, map[string]any{"title": "x"}); res.Status != http.StatusForbidden {
		t.Fatalf("write with read permission: %d", res.Status)
	}

	for _, body := range []map[string]any{
		{"repositories": []string{"hello-world"}},
		{"repositories": []string{"octocat/hello-world"}},
		{"permissions": map[string]string{"administration": "write"}},
	} {
		res := b.request(t, http.MethodPost, "/github/app/installations/7/access_tokens", "Bearer "+b.goodJWT(t), body)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d %s", body, res.Status, res.Body)
		}
	}
}

func TestControlApps(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	b.control(t, "apps", map[string]any{"app_id": 99, "public_key": publicPEM(t, otherKey())}, http.StatusCreated)
	b.control(t, "installations", map[string]any{"app_id": 99, "account": "acme", "repositories": []string{"acme/api"}}, http.StatusCreated)
	now := b.s.Clock.Now()
	jwtFor := func(iss any) string {
		return appJWT(t, otherKey(), jwt.MapClaims{"iss": iss, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	}
	res := b.request(t, http.MethodGet, "/github/app/installations", "Bearer "+jwtFor(99), nil)
	var insts []struct {
		ID int64 `json:"id"`
	}
	res.Decode(t, &insts)
	if res.Status != http.StatusOK || len(insts) != 1 {
		t.Fatalf("installations: %d %s", res.Status, res.Body)
	}
	res = b.request(t, http.MethodPost, "/github/app/installations/"+strconv.FormatInt(insts[0].ID, 10)+"/access_tokens", "Bearer "+jwtFor(99), nil)
	if res.Status != http.StatusCreated {
		t.Fatalf("token: %d %s", res.Status, res.Body)
	}

	for _, body := range []map[string]any{
		{"app_id": 5},
		{"app_id": 5, "private_key": "not pem"},
		{"app_id": 5, "public_key": "not pem"},
		{"private_key": privatePEM(appKey())},
	} {
		b.control(t, "apps", body, http.StatusBadRequest)
	}
	for _, body := range []map[string]any{
		{"app_id": 12345, "account": "acme"},
		{"app_id": 99},
		{"app_id": 99, "account": "acme", "repositories": []string{"acme/missing"}},
	} {
		b.control(t, "installations", body, http.StatusBadRequest)
	}
	// A control-minted token needs no JWT.
	res = b.control(t, "installation_tokens", map[string]any{"installation_id": insts[0].ID}, http.StatusCreated)
	var minted struct {
		Token string `json:"token"`
	}
	res.Decode(t, &minted)
	if res := b.request(t, http.MethodGet, "/github/repos/acme/api/pulls", "token "+minted.Token, nil); res.Status != http.StatusOK {
		t.Fatalf("control-minted token: %d", res.Status)
	}
}

func TestInstallPageRedirects(t *testing.T) {
	t.Parallel()
	o := withApp(Options{})
	o.Apps[0].SetupURL = "http://app.example/setup"
	b := setup(t, sim.Options{}, o)
	res := b.request(t, http.MethodGet, "/github/apps/patchbay-test/installations/new?state=abc", "", nil)
	if res.Status != http.StatusFound {
		t.Fatalf("install: %d %s", res.Status, res.Body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Host != "app.example" || loc.Query().Get("setup_action") != "install" || loc.Query().Get("state") != "abc" {
		t.Fatalf("redirect %q", res.Header.Get("Location"))
	}
	id := loc.Query().Get("installation_id")
	res = b.request(t, http.MethodPost, "/github/app/installations/"+id+"/access_tokens", "Bearer "+b.goodJWT(t), nil)
	var tok struct {
		Token     string `json:"token"`
		Selection string `json:"repository_selection"`
	}
	res.Decode(t, &tok)
	if res.Status != http.StatusCreated || tok.Selection != "all" {
		t.Fatalf("token for the new installation: %d %s", res.Status, res.Body)
	}
	// Installed on octocat with all repositories: hello-world is visible.
	if res := b.request(t, http.MethodGet, "/github/repos/octocat/hello-world/issues", "token "+tok.Token, nil); res.Status != http.StatusOK {
		t.Fatalf("repo of the account: %d", res.Status)
	}
	if res := b.request(t, http.MethodGet, "/github/apps/nope/installations/new", "", nil); res.Status != http.StatusNotFound {
		t.Fatalf("unknown app: %d", res.Status)
	}
}
