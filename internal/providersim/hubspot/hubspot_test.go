package hubspot

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	const base = "http://127.0.0.1:9999"
	e := simtest.Entry(t, New(Options{}), base, "hubspot")
	want := map[string]string{
		"authorization_url": base + "/hubspot/oauth/authorize",
		"token_url":         base + "/hubspot/oauth/v1/token",
		"proxy.base_url":    base + "/hubspot",
		"paginate cursor":   "paging.next.after",
	}
	got := map[string]string{
		"authorization_url": e.AuthorizationURL,
		"token_url":         e.TokenURL,
		"proxy.base_url":    e.Proxy.BaseURL,
		"paginate cursor":   e.Proxy.Paginate.CursorPathInResponse,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

type tokenOut struct {
	TokenType    string   `json:"token_type"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ExpiresIn    int      `json:"expires_in"`
	HubID        int64    `json:"hub_id"`
	Scopes       []string `json:"scopes"`
	Status       string   `json:"status"`
	Message      string   `json:"message"`
}

func postToken(t *testing.T, b *bundle, form url.Values) (int, tokenOut) {
	t.Helper()
	res := b.s.Call(t, http.MethodPost, "/hubspot/oauth/v1/token", form)
	var out tokenOut
	res.Decode(t, &out)
	return res.Status, out
}

func authorize(t *testing.T, b *bundle, portal string) string {
	t.Helper()
	q := url.Values{"client_id": {"hubspot-client-id"}, "redirect_uri": {"http://app.test/cb"},
		"scope": {"oauth crm.objects.contacts.read"}, "state": {"s1"}}
	if portal != "" {
		q.Set("sim_user", portal)
	}
	res := b.s.Call(t, http.MethodGet, "/hubspot/oauth/authorize?"+q.Encode(), nil)
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.Status != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", res.Status, res.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func TestOAuthTokenAndAccessTokenInfo(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	client := url.Values{"client_id": {"hubspot-client-id"}, "client_secret": {"hubspot-client-secret"}}
	form := func(kv ...string) url.Values {
		f := url.Values{}
		for k, v := range client {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	code := authorize(t, b, "555123")
	status, tok := postToken(t, b, form("grant_type", "authorization_code", "code", code, "redirect_uri", "http://app.test/cb"))
	if status != http.StatusOK || tok.TokenType != "bearer" || tok.ExpiresIn != 1800 || tok.AccessToken == "" || tok.RefreshToken == "" || tok.HubID != 555123 {
		t.Fatalf("token = %d %+v", status, tok)
	}

	res := b.do(t, http.MethodGet, "/hubspot/oauth/v1/access-tokens/"+tok.AccessToken, "", nil)
	var info struct {
		HubID     int64    `json:"hub_id"`
		User      string   `json:"user"`
		Scopes    []string `json:"scopes"`
		ExpiresIn int      `json:"expires_in"`
		TokenType string   `json:"token_type"`
	}
	res.Decode(t, &info)
	if res.Status != http.StatusOK || info.HubID != 555123 || info.User == "" || info.ExpiresIn != 1800 ||
		!slices.Equal(info.Scopes, []string{"oauth", "crm.objects.contacts.read"}) {
		t.Fatalf("access token info = %d %s", res.Status, res.Body)
	}
	if res := b.do(t, http.MethodGet, "/hubspot/oauth/v1/access-tokens/nope", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown token info: %d", res.Status)
	}

	// Refresh tokens do not rotate: the same one comes back and keeps working.
	for range 2 {
		status, again := postToken(t, b, form("grant_type", "refresh_token", "refresh_token", tok.RefreshToken))
		if status != http.StatusOK || again.RefreshToken != tok.RefreshToken || again.AccessToken == tok.AccessToken {
			t.Fatalf("refresh = %d %+v", status, again)
		}
	}

	errs := []struct {
		name string
		form url.Values
		want string
	}{
		{"unknown refresh token", form("grant_type", "refresh_token", "refresh_token", "nope"), "BAD_REFRESH_TOKEN"},
		{"used code", form("grant_type", "authorization_code", "code", code, "redirect_uri", "http://app.test/cb"), "BAD_AUTH_CODE"},
		{"wrong redirect", form("grant_type", "authorization_code", "code", authorize(t, b, ""), "redirect_uri", "http://evil.test/cb"), "BAD_REDIRECT_URI"},
		{"unknown client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"who"}, "client_secret": {"x"}}, "BAD_CLIENT_ID"},
		{"wrong secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"hubspot-client-id"}, "client_secret": {"x"}}, "BAD_CLIENT_SECRET"},
		{"bad grant type", form("grant_type", "password"), "BAD_GRANT_TYPE"},
	}
	for _, tc := range errs {
		status, out := postToken(t, b, tc.form)
		if status != http.StatusBadRequest || out.Status != tc.want || out.Message == "" {
			t.Errorf("%s: %d %+v, want 400 %s", tc.name, status, out, tc.want)
		}
	}

	// Deleting the refresh token revokes it.
	if res := b.do(t, http.MethodDelete, "/hubspot/oauth/v1/refresh-tokens/"+tok.RefreshToken, "", nil); res.Status != http.StatusNoContent {
		t.Fatalf("delete refresh token: %d", res.Status)
	}
	if status, out := postToken(t, b, form("grant_type", "refresh_token", "refresh_token", tok.RefreshToken)); status != http.StatusBadRequest || out.Status != "BAD_REFRESH_TOKEN" {
		t.Errorf("refresh after delete: %d %+v", status, out)
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	expiring := issue(b.s, 7340001, "crm.objects.contacts.read")
	b.s.Clock.Advance(31 * time.Minute)
	fresh := issue(b.s, 7340001, "crm.objects.contacts.read")
	noScope := issue(b.s, 7340001, "oauth")
	tests := []struct {
		name     string
		method   string
		token    string
		status   int
		category string
	}{
		{"missing", http.MethodGet, "", 401, "INVALID_AUTHENTICATION"},
		{"unknown", http.MethodGet, "hubspot_at_nope", 401, "INVALID_AUTHENTICATION"},
		{"expired", http.MethodGet, expiring, 401, "EXPIRED_AUTHENTICATION"},
		{"no contacts scope", http.MethodGet, noScope, 403, "MISSING_SCOPES"},
		{"read scope cannot write", http.MethodPost, fresh, 403, "MISSING_SCOPES"},
		{"read scope reads", http.MethodGet, fresh, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body any
			if tc.method == http.MethodPost {
				body = map[string]any{"properties": map[string]string{"email": "x@example.com"}}
			}
			res := b.do(t, tc.method, "/hubspot/crm/v3/objects/contacts", tc.token, body)
			if res.Status != tc.status {
				t.Fatalf("status = %d %s, want %d", res.Status, res.Body, tc.status)
			}
			if tc.category == "" {
				return
			}
			var e errorOut
			res.Decode(t, &e)
			if e.Status != "error" || e.Category != tc.category || e.Message == "" || e.Correlate == "" {
				t.Errorf("error body = %s", res.Body)
			}
		})
	}
}

func TestListWalksEveryContactOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 7}, Options{DefaultContacts: 257})
	all := b.listAll(t, "")
	if len(all) != 257 {
		t.Fatalf("listed %d contacts, want 257", len(all))
	}
	seen := map[string]bool{}
	prev := int64(0)
	for _, c := range all {
		id, _ := strconv.ParseInt(c.ID, 10, 64)
		if seen[c.ID] || id <= prev {
			t.Fatalf("contact %s out of order or repeated", c.ID)
		}
		seen[c.ID], prev = true, id
		if c.prop("hs_object_id") != c.ID || c.prop("email") == "" || c.Archived || c.UpdatedAt != c.prop("lastmodifieddate") {
			t.Fatalf("contact %+v", c)
		}
	}

	res := b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts", nil)
	var page pageOut
	res.Decode(t, &page)
	if len(page.Results) != 10 || page.Paging == nil || !strings.HasPrefix(page.Paging.Next.Link, b.s.BaseURL()+"/hubspot/crm/v3/objects/contacts?") {
		t.Errorf("default page: %d results, paging %+v", len(page.Results), page.Paging)
	}
	for _, bad := range []string{"limit=101", "limit=0", "limit=x", "after=%21%21"} {
		res := b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts?"+bad, nil)
		var e errorOut
		res.Decode(t, &e)
		if res.Status != http.StatusBadRequest || e.Category != "VALIDATION_ERROR" {
			t.Errorf("%s: %d %s", bad, res.Status, res.Body)
		}
	}
}

func TestListProperties(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	always := []string{"createdate", "hs_object_id", "lastmodifieddate"}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}},
		{"&properties=email,firstname", append([]string{"email", "firstname"}, always...)},
		{"&properties=city&properties=jobtitle", append([]string{"city", "jobtitle"}, always...)},
		{"&properties=no_such_property", always},
		{"&properties=website", append([]string{"website"}, always...)},
	}
	for _, tc := range tests {
		res := b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=50"+tc.query, nil)
		var page pageOut
		res.Decode(t, &page)
		for _, c := range page.Results {
			got := make([]string, 0, len(c.Properties))
			for k := range c.Properties {
				got = append(got, k)
			}
			sort.Strings(got)
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%q: properties %v, want %v", tc.query, got, want)
			}
		}
	}
	// A requested property the contact lacks is null, not absent.
	res := b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=100&properties=website", nil)
	if !bytes.Contains(res.Body, []byte(`"website":null`)) {
		t.Errorf("no contact without a website among the first 100: %s", res.Body[:200])
	}
}

func TestCreateAndConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	path := "/hubspot/crm/v3/objects/contacts"
	res := b.api(t, http.MethodPost, path, map[string]any{"properties": map[string]any{"email": "new@example.com", "firstname": "New"}})
	var created contactOut
	res.Decode(t, &created)
	if res.Status != http.StatusCreated || created.prop("email") != "new@example.com" || created.prop("firstname") != "New" || created.ID != "1251" {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	existing := b.listAll(t, "")[4]

	tests := []struct {
		name     string
		props    map[string]any
		status   int
		category string
		message  string
	}{
		{"same email", map[string]any{"email": "NEW@example.com"}, 409, "CONFLICT", "Contact already exists. Existing ID: 1251"},
		{"generated email", map[string]any{"email": existing.prop("email")}, 409, "CONFLICT", "Contact already exists. Existing ID: " + existing.ID},
		{"unknown property", map[string]any{"favourite_colour": "blue"}, 400, "VALIDATION_ERROR", "Property values were not valid"},
		{"read-only property", map[string]any{"hs_object_id": "1"}, 400, "VALIDATION_ERROR", "Property values were not valid"},
		{"bad email", map[string]any{"email": "nope"}, 400, "VALIDATION_ERROR", "Property values were not valid"},
		{"no email", map[string]any{"firstname": "Anon"}, 201, "", ""},
	}
	for _, tc := range tests {
		res := b.api(t, http.MethodPost, path, map[string]any{"properties": tc.props})
		if res.Status != tc.status {
			t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
			continue
		}
		if tc.category != "" {
			var e errorOut
			res.Decode(t, &e)
			if e.Category != tc.category || e.Message != tc.message {
				t.Errorf("%s: %s", tc.name, res.Body)
			}
		}
	}

	// Read back, by id and by email; archive; the email is free again.
	if res := b.api(t, http.MethodGet, path+"/"+existing.ID+"?properties=city", nil); res.Status != 200 || !bytes.Contains(res.Body, []byte(`"city"`)) {
		t.Errorf("get: %d %s", res.Status, res.Body)
	}
	if res := b.api(t, http.MethodGet, path+"/"+url.PathEscape(existing.prop("email"))+"?idProperty=email", nil); res.Status != 200 || !bytes.Contains(res.Body, []byte(`"id":"`+existing.ID+`"`)) {
		t.Errorf("get by email: %d %s", res.Status, res.Body)
	}
	if res := b.api(t, http.MethodDelete, path+"/"+existing.ID, nil); res.Status != http.StatusNoContent {
		t.Fatalf("archive: %d", res.Status)
	}
	if res := b.api(t, http.MethodGet, path+"/"+existing.ID, nil); res.Status != http.StatusNotFound {
		t.Errorf("get archived: %d", res.Status)
	}
	if res := b.api(t, http.MethodPost, path, map[string]any{"properties": map[string]any{"email": existing.prop("email")}}); res.Status != http.StatusCreated {
		t.Errorf("recreate archived email: %d %s", res.Status, res.Body)
	}

	// PATCH changes lastmodifieddate and refuses a taken email.
	b.s.Clock.Advance(time.Second)
	res = b.api(t, http.MethodPatch, path+"/1010", map[string]any{"properties": map[string]any{"jobtitle": "Chief Tester"}})
	var patched contactOut
	res.Decode(t, &patched)
	if res.Status != 200 || patched.prop("jobtitle") != "Chief Tester" || patched.UpdatedAt <= "2025" {
		t.Errorf("patch: %d %s", res.Status, res.Body)
	}
	if res := b.api(t, http.MethodPatch, path+"/1010", map[string]any{"properties": map[string]any{"email": "new@example.com"}}); res.Status != http.StatusConflict {
		t.Errorf("patch to taken email: %d %s", res.Status, res.Body)
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	// run returns what must not depend on anything but the seed; changed
	// contacts carry clock times, so pages after a change are compared by
	// ids and names only.
	run := func(seed int64) []string {
		b := setup(t, sim.Options{Seed: seed, DisableRateLimits: true}, Options{})
		first := b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=100&properties=firstname,lastname,email,phone,company,city", nil)
		out := []string{strings.ReplaceAll(string(first.Body), b.s.BaseURL(), "")}
		var mod map[string][]string
		b.control(t, "modify", map[string]any{"modify": 4, "delete": 3, "create": 2}, &mod)
		raw, _ := json.Marshal(mod)
		out = append(out, string(raw))
		names := func(res simtest.Response) string {
			var page pageOut
			res.Decode(t, &page)
			var parts []string
			for _, c := range page.Results {
				parts = append(parts, c.ID+":"+c.prop("firstname")+":"+c.prop("lastname")+":"+c.prop("email"))
			}
			return strings.Join(parts, ",")
		}
		out = append(out, names(b.api(t, http.MethodGet, "/hubspot/crm/v3/objects/contacts?limit=100&after="+url.QueryEscape(encodeCursor(1150)), nil)))
		out = append(out, names(b.api(t, http.MethodPost, "/hubspot/crm/v3/objects/contacts/search",
			map[string]any{"sorts": []any{map[string]string{"propertyName": "lastname", "direction": "DESCENDING"}}, "limit": 50})))
		return out
	}
	a, again, other := run(42), run(42), run(43)
	for i := range a {
		if a[i] != again[i] {
			t.Errorf("part %d differs for the same seed:\n%s\n%s", i, a[i], again[i])
		}
	}
	if a[0] == other[0] || a[1] == other[1] {
		t.Error("different seeds gave the same data")
	}
}

func TestControlValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	tests := []struct {
		path string
		body string
	}{
		{"portals", `{"portal_id": 5}`},
		{"portals", `{"contacts": -1}`},
		{"portals", `{"contacts": 100000001}`},
		{"portals", `{"contacts": 5, "bogus": 1}`},
		{"modify", `{"modify": -1}`},
		{"modify", `not json`},
	}
	for _, tc := range tests {
		res, err := http.Post(b.s.BaseURL()+"/_control/hubspot/"+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]string
		_ = json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || e["error"] == "" {
			t.Errorf("%s %s: %d %v", tc.path, tc.body, res.StatusCode, e)
		}
	}
	var info map[string]int
	b.control(t, "portals", map[string]any{"portal_id": 99, "contacts": 1000000}, nil)
	res := b.do(t, http.MethodGet, "/_control/hubspot/portals/99", "", nil)
	res.Decode(t, &info)
	if info["contacts"] != 1000000 || info["live"] != 1000000 {
		t.Errorf("portal info = %v", info)
	}
}
