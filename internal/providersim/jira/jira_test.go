package jira

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		site   string
		auth   simtest.Option
		status int
		reason string // X-Seraph-LoginReason
	}{
		{"default account", DefaultSite, simtest.Basic(DefaultEmail, DefaultAPIToken), 200, ""},
		{"any site has the default account", "globex-2", simtest.Basic(DefaultEmail, DefaultAPIToken), 200, ""},
		{"email is case-insensitive", DefaultSite, simtest.Basic(strings.ToUpper(DefaultEmail), DefaultAPIToken), 200, ""},
		{"added account", DefaultSite, simtest.Basic("dev@example.com", "tok-dev"), 200, ""},
		{"added account on another site", "initech", simtest.Basic("dev@example.com", "tok-dev"), 401, "AUTHENTICATED_FAILED"},
		{"wrong token", DefaultSite, simtest.Basic(DefaultEmail, DefaultAPIToken+"x"), 401, "AUTHENTICATED_FAILED"},
		{"token is case-sensitive", DefaultSite, simtest.Basic(DefaultEmail, strings.ToLower(DefaultAPIToken)), 401, "AUTHENTICATED_FAILED"},
		{"unknown email", DefaultSite, simtest.Basic("nobody@example.com", DefaultAPIToken), 401, "AUTHENTICATED_FAILED"},
		{"no credentials", DefaultSite, nil, 401, ""},
		{"bearer instead of basic", DefaultSite, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+DefaultAPIToken) }, 401, ""},
		{"invalid site name", "Not_A_Site", simtest.Basic(DefaultEmail, DefaultAPIToken), 404, ""},
	}
	b := setup(t, sim.Options{}, Options{})
	b.addAccount(t, DefaultSite, map[string]any{"email": "dev@example.com", "api_token": "tok-dev", "display_name": "Dev"}, http.StatusCreated)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.s.Call(t, http.MethodGet, "/jira/"+tt.site+"/rest/api/3/myself", nil, tt.auth)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			switch tt.status {
			case 401:
				if string(res.Body) != "Client must be authenticated to access this resource." ||
					!strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
					t.Errorf("401 body %q (%s)", res.Body, res.Header.Get("Content-Type"))
				}
				if got := res.Header.Get("X-Seraph-LoginReason"); got != tt.reason {
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
				res.Decode(t, &me)
				if len(me.AccountID) != 24 || me.AccountType != "atlassian" || !me.Active || me.DisplayName == "" ||
					!strings.EqualFold(me.EmailAddress, emailOf(t, tt.auth)) ||
					me.Self != b.s.BaseURL()+"/jira/"+tt.site+"/rest/api/3/user?accountId="+me.AccountID {
					t.Errorf("myself %s", res.Body)
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
	res := b.s.Call(t, http.MethodPost, "/_control/jira/sites/"+site+"/accounts", body)
	if res.Status != status {
		t.Fatalf("add account %v: %d %s", body, res.Status, res.Body)
	}
	var out map[string]string
	res.Decode(t, &out)
	return out
}

func TestControlAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	myself := func(site, email, token string) int {
		return b.s.Call(t, http.MethodGet, "/jira/"+site+"/rest/api/3/myself", nil, simtest.Basic(email, token)).Status
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
		return b.s.Call(t, http.MethodDelete, "/_control/jira/sites/"+site+"/accounts/"+url.PathEscape(email), nil).Status
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
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		var page projectPage
		res.Decode(t, &page)
		if page.Total != 20 || page.MaxResults != 6 || page.StartAt != pages*6 {
			t.Fatalf("page %d: %s", pages, res.Body)
		}
		for _, v := range page.Values {
			keys = append(keys, v.Key)
			if v.Self != b.s.BaseURL()+"/jira/"+DefaultSite+"/rest/api/3/project/"+v.ID {
				t.Errorf("project self %q", v.Self)
			}
		}
		if page.IsLast {
			if page.NextPage != "" || len(page.Values) != 2 {
				t.Errorf("last page: %s", res.Body)
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
	b.get(t, DefaultSite, "/rest/api/3/project/search?query=eng").Decode(t, &filtered)
	if filtered.Total < 1 || !slices.ContainsFunc(filtered.Values, func(v projectOut) bool { return v.Name == "Engineering" }) {
		t.Errorf("query=eng: %+v", filtered)
	}
	var capped projectPage
	b.get(t, DefaultSite, "/rest/api/3/project/search?maxResults=500&startAt=-3").Decode(t, &capped)
	if capped.MaxResults != 100 || capped.StartAt != 0 || len(capped.Values) != 20 || !capped.IsLast {
		t.Errorf("capped page: %+v", capped)
	}
	for _, bad := range []string{"startAt=x", "maxResults=1.5"} {
		res := b.get(t, DefaultSite, "/rest/api/3/project/search?"+bad)
		var e struct {
			ErrorMessages []string `json:"errorMessages"`
		}
		res.Decode(t, &e)
		if res.Status != 400 || len(e.ErrorMessages) != 1 {
			t.Errorf("%s: %d %s", bad, res.Status, res.Body)
		}
	}

	// Same seed and site, same projects; other sites have their own.
	again := setup(t, sim.Options{Seed: 5}, Options{Projects: 20})
	all := "/rest/api/3/project/search?maxResults=100"
	// The self links name each server, so compare what they list.
	list := func(b *bundle, site string) string {
		var page projectPage
		b.get(t, site, all).Decode(t, &page)
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
	p := simtest.Entry(t, b.p, base, "jira-basic")
	if p.AuthMode != "BASIC" {
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
	res := b.s.Call(t, p.Proxy.Verification.Method, got+p.Proxy.Verification.Endpoints[0], nil, simtest.Basic(DefaultEmail, DefaultAPIToken))
	if res.Status != 200 {
		t.Errorf("verification: %d", res.Status)
	}
}
