package jira

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		site   string
		auth   func(*http.Request)
		status int
		reason string // X-Seraph-LoginReason
	}{
		{"default account", DefaultSite, basic(DefaultEmail, DefaultAPIToken), 200, ""},
		{"any site has the default account", "globex-2", basic(DefaultEmail, DefaultAPIToken), 200, ""},
		{"email is case-insensitive", DefaultSite, basic(strings.ToUpper(DefaultEmail), DefaultAPIToken), 200, ""},
		{"added account", DefaultSite, basic("dev@example.com", "tok-dev"), 200, ""},
		{"added account on another site", "initech", basic("dev@example.com", "tok-dev"), 401, "AUTHENTICATED_FAILED"},
		{"wrong token", DefaultSite, basic(DefaultEmail, DefaultAPIToken+"x"), 401, "AUTHENTICATED_FAILED"},
		{"token is case-sensitive", DefaultSite, basic(DefaultEmail, strings.ToLower(DefaultAPIToken)), 401, "AUTHENTICATED_FAILED"},
		{"unknown email", DefaultSite, basic("nobody@example.com", DefaultAPIToken), 401, "AUTHENTICATED_FAILED"},
		{"no credentials", DefaultSite, nil, 401, ""},
		{"bearer instead of basic", DefaultSite, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+DefaultAPIToken) }, 401, ""},
		{"invalid site name", "Not_A_Site", basic(DefaultEmail, DefaultAPIToken), 404, ""},
	}
	b := setup(t, sim.Options{}, Options{})
	b.addAccount(t, DefaultSite, map[string]any{"email": "dev@example.com", "api_token": "tok-dev", "display_name": "Dev"}, http.StatusCreated)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.request(t, http.MethodGet, "/jira/"+tt.site+"/rest/api/3/myself", nil, tt.auth)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			switch tt.status {
			case 401:
				if string(res.body) != "Client must be authenticated to access this resource." ||
					!strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
					t.Errorf("401 body %q (%s)", res.body, res.header.Get("Content-Type"))
				}
				if got := res.header.Get("X-Seraph-LoginReason"); got != tt.reason {
					t.Errorf("X-Seraph-LoginReason %q, want %q", got, tt.reason)
				}
			case 200:
				var me struct {
					Self         string `json:"self"`
					AccountID    string `json:"accountId"`
					AccountType  string `json:"accountType"`
					EmailAddress string `json:"emailAddress"`
					DisplayName  string `json:"displayName"`
					Active       bool   `json:"active"`
				}
				res.decode(t, &me)
				if len(me.AccountID) != 24 || me.AccountType != "atlassian" || !me.Active || me.DisplayName == "" ||
					!strings.EqualFold(me.EmailAddress, emailOf(t, tt.auth)) ||
					me.Self != b.s.BaseURL()+"/jira/"+tt.site+"/rest/api/3/user?accountId="+me.AccountID {
					t.Errorf("myself %s", res.body)
				}
			}
		})
	}
}

// emailOf reads back the Basic username an auth function sets.
func emailOf(t *testing.T, auth func(*http.Request)) string {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	auth(r)
	email, _, _ := r.BasicAuth()
	return email
}

func (b *bundle) addAccount(t testing.TB, site string, body map[string]any, status int) map[string]string {
	t.Helper()
	res := b.request(t, http.MethodPost, "/_control/jira/sites/"+site+"/accounts", body, nil)
	if res.status != status {
		t.Fatalf("add account %v: %d %s", body, res.status, res.body)
	}
	var out map[string]string
	res.decode(t, &out)
	return out
}

func TestControlAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	myself := func(site, email, token string) int {
		return b.request(t, http.MethodGet, "/jira/"+site+"/rest/api/3/myself", nil, basic(email, token)).status
	}

	minted := b.addAccount(t, "globex", map[string]any{"email": "pat@globex.example"}, http.StatusCreated)
	if minted["site"] != "globex" || minted["email"] != "pat@globex.example" || !strings.HasPrefix(minted["api_token"], "ATATT3xFfGF0") ||
		len(minted["account_id"]) != 24 || minted["display_name"] != "pat" {
		t.Fatalf("added %v", minted)
	}
	if myself("globex", "pat@globex.example", minted["api_token"]) != 200 {
		t.Fatal("the added account cannot authenticate")
	}
	// Replacing an account changes its token.
	b.addAccount(t, "globex", map[string]any{"email": "PAT@globex.example", "api_token": "new"}, http.StatusCreated)
	if myself("globex", "pat@globex.example", minted["api_token"]) != 401 || myself("globex", "pat@globex.example", "new") != 200 {
		t.Fatal("replacing an account did not replace its token")
	}
	for _, bad := range []struct {
		site string
		body map[string]any
	}{
		{"globex", map[string]any{}},
		{"globex", map[string]any{"email": "not-an-email"}},
		{"Bad_Site", map[string]any{"email": "a@b.c"}},
	} {
		if out := b.addAccount(t, bad.site, bad.body, http.StatusBadRequest); out["error"] == "" {
			t.Errorf("%v: no error message", bad)
		}
	}

	del := func(site, email string) int {
		return b.request(t, http.MethodDelete, "/_control/jira/sites/"+site+"/accounts/"+url.PathEscape(email), nil, nil).status
	}
	if got := del("globex", "pat@globex.example"); got != http.StatusNoContent {
		t.Fatalf("remove: %d", got)
	}
	if got := del("globex", "pat@globex.example"); got != http.StatusNotFound {
		t.Fatalf("remove twice: %d", got)
	}
	if got := del(DefaultSite, DefaultEmail); got != http.StatusNoContent {
		t.Fatalf("remove default: %d", got)
	}
	if myself("globex", "pat@globex.example", "new") != 401 || myself(DefaultSite, DefaultEmail, DefaultAPIToken) != 401 ||
		myself("globex", DefaultEmail, DefaultAPIToken) != 200 {
		t.Fatal("removing accounts did the wrong thing")
	}

	b.s.Reset(0)
	if myself(DefaultSite, DefaultEmail, DefaultAPIToken) != 200 || myself("globex", "pat@globex.example", "new") != 401 {
		t.Fatal("reset must restore the default account and forget added ones")
	}
}

func TestProjectSearchPagination(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 5}, Options{Projects: 20})
	var keys []string
	path := "/rest/api/3/project/search?maxResults=6"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		res := b.get(t, DefaultSite, path)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", path, res.status, res.body)
		}
		var page projectPage
		res.decode(t, &page)
		if page.Total != 20 || page.MaxResults != 6 || page.StartAt != pages*6 {
			t.Fatalf("page %d: %s", pages, res.body)
		}
		for _, v := range page.Values {
			keys = append(keys, v.Key)
			if v.Self != b.s.BaseURL()+"/jira/"+DefaultSite+"/rest/api/3/project/"+v.ID {
				t.Errorf("project self %q", v.Self)
			}
		}
		if page.IsLast {
			if page.NextPage != "" || len(page.Values) != 2 {
				t.Errorf("last page: %s", res.body)
			}
			break
		}
		next, err := url.Parse(page.NextPage)
		if err != nil || !strings.HasPrefix(page.NextPage, b.s.BaseURL()+"/jira/"+DefaultSite+"/") {
			t.Fatalf("nextPage %q", page.NextPage)
		}
		path = strings.TrimPrefix(next.Path, "/jira/"+DefaultSite) + "?" + next.RawQuery
	}
	if len(keys) != 20 || !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != 20 {
		t.Fatalf("keys %v: want 20 distinct, sorted", keys)
	}

	var filtered projectPage
	b.get(t, DefaultSite, "/rest/api/3/project/search?query=eng").decode(t, &filtered)
	if filtered.Total < 1 || !slices.ContainsFunc(filtered.Values, func(v projectOut) bool { return v.Name == "Engineering" }) {
		t.Errorf("query=eng: %+v", filtered)
	}
	var capped projectPage
	b.get(t, DefaultSite, "/rest/api/3/project/search?maxResults=500&startAt=-3").decode(t, &capped)
	if capped.MaxResults != 100 || capped.StartAt != 0 || len(capped.Values) != 20 || !capped.IsLast {
		t.Errorf("capped page: %+v", capped)
	}
	for _, bad := range []string{"startAt=x", "maxResults=1.5"} {
		res := b.get(t, DefaultSite, "/rest/api/3/project/search?"+bad)
		var e struct {
			ErrorMessages []string `json:"errorMessages"`
		}
		res.decode(t, &e)
		if res.status != 400 || len(e.ErrorMessages) != 1 {
			t.Errorf("%s: %d %s", bad, res.status, res.body)
		}
	}

	// Same seed and site, same projects; other sites have their own.
	again := setup(t, sim.Options{Seed: 5}, Options{Projects: 20})
	all := "/rest/api/3/project/search?maxResults=100"
	// The self links name each server, so compare what they list.
	list := func(b *bundle, site string) string {
		var page projectPage
		b.get(t, site, all).decode(t, &page)
		var out []string
		for _, v := range page.Values {
			out = append(out, v.ID+"="+v.Key+"="+v.Name)
		}
		return strings.Join(out, ",")
	}
	if list(again, DefaultSite) != list(b, DefaultSite) {
		t.Error("the same seed gave other projects")
	}
	if list(b, "initech") == list(b, DefaultSite) {
		t.Error("two sites have the same projects")
	}
}

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	base := b.s.BaseURL()
	providers, err := catalog.Parse([]byte(b.p.CatalogYAML(base)), "sim")
	if err != nil {
		t.Fatal(err)
	}
	p := providers["jira-basic"]
	if p == nil || !p.Supported() || p.AuthMode != "BASIC" {
		t.Fatalf("entry %+v", p)
	}
	sub := p.ConnectionConfig["subdomain"]
	if sub.Prefix != "" || sub.Suffix != "" || !sitePattern.MatchString(sub.Example) {
		t.Errorf("subdomain field %+v", sub)
	}
	got, err := catalog.Interpolate(p.Proxy.BaseURL, catalog.Values{"connectionConfig.subdomain": sub.Example})
	if err != nil || got != base+"/jira/"+DefaultSite {
		t.Fatalf("base URL %q: %v", got, err)
	}
	if _, ok := p.Credentials["username"]; !ok || !p.Credentials["password"].Secret {
		t.Errorf("credentials %+v", p.Credentials)
	}
	// The verification request Patchbay sends passes with the defaults.
	req, _ := http.NewRequestWithContext(t.Context(), p.Proxy.Verification.Method, got+p.Proxy.Verification.Endpoints[0], nil)
	req.SetBasicAuth(DefaultEmail, DefaultAPIToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("verification: %d", res.StatusCode)
	}
}
