package ghost

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

const otherSecret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestTokenVerification(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	now := b.s.Clock.Now().Unix()
	at := func(d time.Duration) int64 { return now + int64(d/time.Second) }
	with := func(changes jwt.MapClaims, drop ...string) jwt.MapClaims {
		c := b.claims()
		for k, v := range changes {
			c[k] = v
		}
		for _, k := range drop {
			delete(c, k)
		}
		return c
	}
	decoded, _ := hex.DecodeString(DefaultKeySecret)

	tests := []struct {
		name    string
		header  string // the whole Authorization header; "" sends none
		status  int
		typ     string
		code    string
		message string
	}{
		{"valid", "Ghost " + b.token(t), 200, "", "", ""},
		{"scheme is case-insensitive", "ghost " + b.token(t), 200, "", "", ""},
		{"versioned audience", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"aud": "/v5/admin/"})), 200, "", "", ""},
		{"audience list", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"aud": []string{"x", "/admin/"}})), 200, "", "", ""},
		{"no exp", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(nil, "exp")), 200, "", "", ""},
		{"no header", "", 403, "NoPermissionError", "", "Authorization failed"},
		{"bearer scheme", "Bearer " + b.token(t), 401, "UnauthorizedError", "INVALID_AUTH_HEADER", `Authorization header format is "Authorization: Ghost [token]"`},
		{"not a JWT", "Ghost not-a-jwt", 400, "BadRequestError", "INVALID_JWT", "Invalid token"},
		{"no kid", "Ghost " + sign(t, "", DefaultKeySecret, b.claims()), 400, "BadRequestError", "MISSING_ADMIN_API_KID", "Admin API kid missing."},
		{"unknown kid", "Ghost " + sign(t, "0123456789abcdef01234567", DefaultKeySecret, b.claims()), 401, "UnauthorizedError", "UNKNOWN_ADMIN_API_KEY", "Unknown Admin API Key"},
		{"wrong secret", "Ghost " + sign(t, DefaultKeyID, otherSecret, b.claims()), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: invalid signature"},
		{"secret not hex-decoded", "Ghost " + signWith(t, jwt.SigningMethodHS256, DefaultKeyID, []byte(DefaultKeySecret), b.claims()), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: invalid signature"},
		{"HS512", "Ghost " + signWith(t, jwt.SigningMethodHS512, DefaultKeyID, decoded, b.claims()), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: invalid algorithm"},
		{"alg none", "Ghost " + signWith(t, jwt.SigningMethodNone, DefaultKeyID, jwt.UnsafeAllowNoneSignatureType, b.claims()), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: invalid algorithm"},
		{"expired", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"iat": at(-4 * time.Minute), "exp": at(-time.Second)})), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: jwt expired"},
		{"not active yet", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"nbf": at(time.Minute)})), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: jwt not active"},
		{"content audience", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"aud": "/content/"})), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: jwt audience invalid."},
		{"no audience", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(nil, "aud")), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: jwt audience invalid."},
		{"no iat", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(nil, "iat")), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: iat required when maxAge is specified"},
		{"iat too old", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"iat": at(-6 * time.Minute)}, "exp")), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: maxAge exceeded"},
		{"exp too far after iat", "Ghost " + sign(t, DefaultKeyID, DefaultKeySecret, with(jwt.MapClaims{"exp": at(10 * time.Minute)})), 401, "UnauthorizedError", "INVALID_JWT", "Invalid token: exp must be at most 5 minutes after iat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.s.Call(t, http.MethodGet, "/ghost/"+DefaultSite+"/ghost/api/admin/site/", nil, simtest.Authorization(tt.header))
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if res.Header.Get("Content-Version") != "v"+version {
				t.Errorf("Content-Version %q", res.Header.Get("Content-Version"))
			}
			if tt.status == 200 {
				return
			}
			var e ghostErrors
			res.Decode(t, &e)
			if len(e.Errors) != 1 {
				t.Fatalf("errors %s", res.Body)
			}
			got := e.Errors[0]
			code := ""
			if got.Code != nil {
				code = *got.Code
			}
			if got.Type != tt.typ || code != tt.code || !strings.HasPrefix(got.Message, tt.message) || got.ID == "" {
				t.Errorf("error %s, want %s %s %q", res.Body, tt.typ, tt.code, tt.message)
			}
		})
	}
}

func TestTokenExpiresWithTheClock(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	token := b.token(t) // exp = iat + 5 minutes
	b.s.Clock.Advance(4*time.Minute + 59*time.Second)
	b.get(t, DefaultSite, "/site/", token).Want(t, 200, "before exp")
	b.s.Clock.Advance(time.Second)
	res := b.get(t, DefaultSite, "/site/", token)
	var e ghostErrors
	res.Decode(t, &e)
	if res.Status != 401 || e.Errors[0].Message != "Invalid token: jwt expired" {
		t.Fatalf("at exp: %d %s", res.Status, res.Body)
	}
	// A token signed on the new simulated now works again.
	b.get(t, DefaultSite, "/site/", b.token(t)).Want(t, 200, "fresh token")
}

func TestSite(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	var out struct {
		Site struct {
			Title   string `json:"title"`
			URL     string `json:"url"`
			Version string `json:"version"`
		} `json:"site"`
	}
	res := b.get(t, "news.example.com", "/site/", b.token(t))
	res.Decode(t, &out)
	if res.Status != 200 || out.Site.URL != b.s.BaseURL()+"/ghost/news.example.com/" || out.Site.Version != version || out.Site.Title == "" {
		t.Fatalf("site: %d %s", res.Status, res.Body)
	}
	if res := b.get(t, "Not_A_Site", "/site/", b.token(t)); res.Status != 404 {
		t.Errorf("invalid site name: %d", res.Status)
	}
}

func TestPostsPagination(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 8}, Options{})
	token := b.token(t)
	var all []postOut
	for page := 1; ; page++ {
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		res := b.get(t, DefaultSite, "/posts/?limit=10&page="+strconv.Itoa(page), token)
		if res.Status != 200 {
			t.Fatalf("page %d: %d %s", page, res.Status, res.Body)
		}
		var out postsPage
		res.Decode(t, &out)
		pg := out.Meta.Pagination
		if pg.Page != page || pg.Limit != float64(10) || pg.Pages != 3 || pg.Total != 24 {
			t.Fatalf("pagination %+v", pg)
		}
		if (page == 1) != (pg.Prev == nil) {
			t.Errorf("page %d: prev %v", page, pg.Prev)
		}
		all = append(all, out.Posts...)
		if pg.Next == nil {
			break
		}
		if *pg.Next != page+1 {
			t.Fatalf("next %d on page %d", *pg.Next, page)
		}
	}
	if len(all) != 24 {
		t.Fatalf("%d posts, want 24", len(all))
	}
	// Drafts first (4 of 24: every sixth), then published, newest first.
	seen := map[string]bool{}
	for i, p := range all {
		if seen[p.ID] || len(p.ID) != 24 || p.Slug == "" {
			t.Fatalf("post %d: %+v", i, p)
		}
		seen[p.ID] = true
		wantDraft := i < 4
		if (p.Status == "draft") != wantDraft || (p.PublishedAt == nil) != wantDraft {
			t.Fatalf("post %d: status %s, published_at %v", i, p.Status, p.PublishedAt)
		}
		if i > 4 && *p.PublishedAt > *all[i-1].PublishedAt {
			t.Fatalf("published posts not newest first at %d", i)
		}
	}
	if !strings.HasPrefix(all[5].URL, b.s.BaseURL()+"/ghost/"+DefaultSite+"/"+all[5].Slug) {
		t.Errorf("post url %q", all[5].URL)
	}

	var everything postsPage
	b.get(t, DefaultSite, "/posts/?limit=all", token).Decode(t, &everything)
	if len(everything.Posts) != 24 || everything.Meta.Pagination.Limit != "all" || everything.Meta.Pagination.Pages != 1 {
		t.Errorf("limit=all: %d posts, %+v", len(everything.Posts), everything.Meta.Pagination)
	}
	var beyond postsPage
	b.get(t, DefaultSite, "/posts/?page=9", token).Decode(t, &beyond)
	if len(beyond.Posts) != 0 || beyond.Meta.Pagination.Next != nil {
		t.Errorf("page past the end: %+v", beyond)
	}
	for _, bad := range []string{"limit=0", "limit=ten", "page=0", "page=-1"} {
		res := b.get(t, DefaultSite, "/posts/?"+bad, token)
		var e ghostErrors
		res.Decode(t, &e)
		if res.Status != 422 || e.Errors[0].Type != "ValidationError" {
			t.Errorf("%s: %d %s", bad, res.Status, res.Body)
		}
	}

	var one postsPage
	if res := b.get(t, DefaultSite, "/posts/"+all[7].ID+"/", token); res.Status != 200 {
		t.Errorf("read post: %d", res.Status)
	} else if res.Decode(t, &one); len(one.Posts) != 1 || one.Posts[0].ID != all[7].ID {
		t.Errorf("read post: %+v", one)
	}
	if res := b.get(t, DefaultSite, "/posts/ffffffffffffffffffffffff/", token); res.Status != 404 {
		t.Errorf("missing post: %d", res.Status)
	}

	// Same seed, same posts; another site, other posts.
	again := setup(t, sim.Options{Seed: 8}, Options{})
	ids := func(b *bundle, site string) string {
		var out postsPage
		b.get(t, site, "/posts/?limit=all", b.token(t)).Decode(t, &out)
		var s []string
		for _, p := range out.Posts {
			s = append(s, p.ID+"="+p.Title)
		}
		return strings.Join(s, ",")
	}
	if ids(again, DefaultSite) != ids(b, DefaultSite) {
		t.Error("the same seed gave other posts")
	}
	if ids(b, "other") == ids(b, DefaultSite) {
		t.Error("two sites have the same posts")
	}
}

func TestControlKeys(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	siteStatus := func(site, kid, secret string) int {
		return b.get(t, site, "/site/", sign(t, kid, secret, b.claims())).Status
	}
	add := func(site string, body map[string]any, status int) map[string]string {
		t.Helper()
		res := b.s.Call(t, http.MethodPost, "/_control/ghost/sites/"+site+"/keys", body)
		if res.Status != status {
			t.Fatalf("add key %v: %d %s", body, res.Status, res.Body)
		}
		var out map[string]string
		res.Decode(t, &out)
		return out
	}

	minted := add("news", nil, http.StatusCreated)
	if !keyIDPattern.MatchString(minted["id"]) || !secretPattern.MatchString(minted["secret"]) ||
		minted["key"] != minted["id"]+":"+minted["secret"] || minted["site"] != "news" {
		t.Fatalf("minted %v", minted)
	}
	if siteStatus("news", minted["id"], minted["secret"]) != 200 {
		t.Fatal("the minted key does not work")
	}
	if siteStatus(DefaultSite, minted["id"], minted["secret"]) != 401 {
		t.Fatal("a key of one site works on another")
	}
	explicit := add("news", map[string]any{"id": "aaaaaaaaaaaaaaaaaaaaaaaa", "secret": otherSecret}, http.StatusCreated)
	if siteStatus("news", explicit["id"], otherSecret) != 200 {
		t.Fatal("the explicit key does not work")
	}
	for _, bad := range []map[string]any{{"id": "short"}, {"secret": "nothex"}, {"id": "AAAAAAAAAAAAAAAAAAAAAAAA"}} {
		if out := add("news", bad, http.StatusBadRequest); out["error"] == "" {
			t.Errorf("%v: no error message", bad)
		}
	}
	add("bad_site", nil, http.StatusBadRequest)

	del := func(site, id string) int {
		return b.s.Call(t, http.MethodDelete, "/_control/ghost/sites/"+site+"/keys/"+id, nil).Status
	}
	if got := del("news", minted["id"]); got != http.StatusNoContent {
		t.Fatalf("remove: %d", got)
	}
	if got := del("news", minted["id"]); got != http.StatusNotFound {
		t.Fatalf("remove twice: %d", got)
	}
	if got := del(DefaultSite, DefaultKeyID); got != http.StatusNoContent {
		t.Fatalf("remove default: %d", got)
	}
	if siteStatus("news", minted["id"], minted["secret"]) != 401 || siteStatus(DefaultSite, DefaultKeyID, DefaultKeySecret) != 401 ||
		siteStatus("news", DefaultKeyID, DefaultKeySecret) != 200 {
		t.Fatal("removing keys did the wrong thing")
	}

	b.s.Reset(0)
	if siteStatus(DefaultSite, DefaultKeyID, DefaultKeySecret) != 200 || siteStatus("news", explicit["id"], otherSecret) != 401 {
		t.Fatal("reset must restore the default key and forget added ones")
	}
}

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	base := b.s.BaseURL()
	p := simtest.Entry(t, b.p, base, "ghost-admin")
	if p.AuthMode != "JWT" || p.Token == nil || p.Signature == nil {
		t.Fatalf("entry %+v", p)
	}
	domain := p.ConnectionConfig["adminDomain"]
	if domain.Prefix != "" || domain.Example != DefaultSite || !sitePattern.MatchString(domain.Example) {
		t.Errorf("adminDomain field %+v", domain)
	}
	if f := p.Credentials["keyId"]; f.Example != DefaultKeyID || !keyIDPattern.MatchString(f.Example) {
		t.Errorf("keyId field %+v", f)
	}
	baseURL, err := catalog.Interpolate(p.Proxy.BaseURL, catalog.Values{"connectionConfig.adminDomain": domain.Example})
	if err != nil || baseURL != base+"/ghost/"+DefaultSite+"/ghost/api/admin" {
		t.Fatalf("base URL %q: %v", baseURL, err)
	}

	// Sign the way the entry describes and call its verification endpoint.
	creds := catalog.Values{"credentials.keyId": DefaultKeyID, "credentials.secret": DefaultKeySecret}
	keyHex, err := catalog.Interpolate(p.Token.SigningKey, creds)
	if err != nil || p.Signature.HMACSecretEncoding != "hex" {
		t.Fatalf("signing key %q (%s): %v", keyHex, p.Signature.HMACSecretEncoding, err)
	}
	key, _ := hex.DecodeString(keyHex)
	now := b.s.Clock.Now()
	claims := jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(time.Duration(p.Token.ExpiresInMs) * time.Millisecond).Unix()}
	for k, v := range p.Token.Payload {
		claims[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	for k, v := range p.Token.Header {
		if tok.Header[k], err = catalog.Interpolate(v, creds); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	res := b.s.Call(t, p.Proxy.Verification.Method, baseURL+p.Proxy.Verification.Endpoints[0], nil,
		simtest.Authorization(strings.ReplaceAll(p.Proxy.Headers["authorization"], "${accessToken}", signed)))
	if res.Status != 200 {
		t.Errorf("verification with a token built from the entry: %d", res.Status)
	}
}
