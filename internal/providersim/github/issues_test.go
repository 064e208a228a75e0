package github

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func TestIssuesListMixesPullRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 1}, Options{})
	all := b.walk(t, "/github/repos/acme/api/issues?state=all&per_page=100")
	pulls := b.walk(t, "/github/repos/acme/api/pulls?state=all&per_page=100")
	if len(all) != 250 {
		t.Fatalf("issues list has %d items, want 250 issues and pull requests", len(all))
	}
	if len(pulls) != 75 {
		t.Fatalf("pulls list has %d items, want 75", len(pulls))
	}
	prNumbers := map[int]bool{}
	for _, pr := range pulls {
		if pr.PullRequest != nil || pr.Head == nil {
			t.Fatalf("pulls list item %d is not pull-request shaped", pr.Number)
		}
		prNumbers[pr.Number] = true
	}
	marked := 0
	for _, it := range all {
		if (it.PullRequest != nil) != prNumbers[it.Number] {
			t.Fatalf("issue %d: pull_request object %v, in pulls list %v", it.Number, it.PullRequest != nil, prNumbers[it.Number])
		}
		if it.PullRequest != nil {
			marked++
			if !strings.Contains(it.HTMLURL, "/pull/") {
				t.Errorf("pull request %d html_url %q", it.Number, it.HTMLURL)
			}
		}
	}
	if marked != 75 {
		t.Fatalf("%d items carry pull_request, want 75", marked)
	}
	// The same pull request has different ids in the two lists.
	for _, it := range all {
		for _, pr := range pulls {
			if pr.Number == it.Number && pr.ID == it.ID {
				t.Fatalf("pull request %d has the same id in both lists", it.Number)
			}
		}
	}
}

func TestLinkPaginationWalk(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 2}, Options{})
	tests := []struct {
		name  string
		path  string
		pages int
		total int
	}{
		{"issues per_page 100", "/github/repos/acme/api/issues?state=all&per_page=100", 3, 250},
		{"issues per_page capped", "/github/repos/acme/api/issues?state=all&per_page=500", 3, 250},
		{"issues default page size", "/github/repos/acme/api/issues?state=all", 9, 250},
		{"exactly one full page", "/github/repos/octocat/hello-world/issues?state=all&per_page=100", 1, 100},
		{"pulls", "/github/repos/acme/api/pulls?state=all&per_page=20", 4, 75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[int]int{}
			url := tt.path
			pages := 0
			for url != "" {
				res := b.api(t, http.MethodGet, url, nil)
				if res.Status != http.StatusOK {
					t.Fatalf("GET %s: %d", url, res.Status)
				}
				pages++
				var page []issueOut
				res.Decode(t, &page)
				for _, it := range page {
					seen[it.Number]++
				}
				l := links(res.Header.Get("Link"))
				for rel, u := range l {
					if !strings.HasPrefix(u, b.s.BaseURL()+"/github/repos/") {
						t.Fatalf("rel=%s URL %q is not absolute on the simulator", rel, u)
					}
				}
				if pages > 1 && (l["prev"] == "" || l["first"] == "") {
					t.Fatalf("page %d lacks prev/first: %q", pages, res.Header.Get("Link"))
				}
				if l["next"] != "" && l["last"] == "" {
					t.Fatalf("page %d has next without last", pages)
				}
				url = l["next"]
			}
			if pages != tt.pages || len(seen) != tt.total {
				t.Fatalf("%d pages, %d distinct items; want %d, %d", pages, len(seen), tt.pages, tt.total)
			}
			for n, c := range seen {
				if c != 1 {
					t.Fatalf("item %d seen %d times", n, c)
				}
			}
		})
	}
}

func TestIssueFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 3}, Options{})
	all := b.walk(t, "/github/repos/acme/api/issues?state=all&per_page=100")
	since := "2024-07-01T00:00:00Z"
	sinceT, _ := time.Parse(time.RFC3339, since)
	count := func(keep func(issueOut) bool) int {
		n := 0
		for _, it := range all {
			if keep(it) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name string
		path string
		keep func(issueOut) bool
	}{
		{"default is open", "/github/repos/acme/api/issues?per_page=100", func(i issueOut) bool { return i.State == "open" }},
		{"closed", "/github/repos/acme/api/issues?state=closed&per_page=100", func(i issueOut) bool { return i.State == "closed" }},
		{"since", "/github/repos/acme/api/issues?state=all&per_page=100&since=" + since, func(i issueOut) bool {
			u, _ := time.Parse(time.RFC3339, i.UpdatedAt)
			return !u.Before(sinceT)
		}},
		{"open since", "/github/repos/acme/api/issues?per_page=100&since=" + since, func(i issueOut) bool {
			u, _ := time.Parse(time.RFC3339, i.UpdatedAt)
			return i.State == "open" && !u.Before(sinceT)
		}},
		{"label", "/github/repos/acme/api/issues?state=all&per_page=100&labels=bug", func(i issueOut) bool {
			for _, l := range i.Labels {
				if l.Name == "bug" {
					return true
				}
			}
			return false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := b.walk(t, tt.path)
			want := count(tt.keep)
			if len(got) != want || want == 0 || want == len(all) {
				t.Fatalf("got %d items, want %d of %d", len(got), want, len(all))
			}
			for _, it := range got {
				if !tt.keep(it) {
					t.Fatalf("item %d does not match the filter: %+v", it.Number, it)
				}
			}
		})
	}
}

func TestListSortAndValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 4}, Options{})
	ordered := func(path string, less func(a, b issueOut) bool) {
		t.Helper()
		items := b.walk(t, path)
		for i := 1; i < len(items); i++ {
			if less(items[i], items[i-1]) {
				t.Fatalf("%s: item %d before %d out of order", path, items[i-1].Number, items[i].Number)
			}
		}
	}
	ordered("/github/repos/acme/api/issues?state=all&per_page=100", func(a, b issueOut) bool { return a.CreatedAt > b.CreatedAt })
	ordered("/github/repos/acme/api/issues?state=all&per_page=100&sort=updated&direction=asc", func(a, b issueOut) bool { return a.UpdatedAt < b.UpdatedAt })
	ordered("/github/repos/acme/api/issues?state=all&per_page=100&sort=comments", func(a, b issueOut) bool { return a.Comments > b.Comments })
	// Pulls sorted by anything but created default to ascending.
	ordered("/github/repos/acme/api/pulls?state=all&per_page=100&sort=updated", func(a, b issueOut) bool { return a.UpdatedAt < b.UpdatedAt })

	for _, q := range []string{"state=bogus", "sort=bogus", "direction=up", "since=yesterday"} {
		res := b.api(t, http.MethodGet, "/github/repos/acme/api/issues?"+q, nil)
		var body struct {
			Message string `json:"message"`
			Errors  []struct {
				Field string `json:"field"`
				Code  string `json:"code"`
			} `json:"errors"`
		}
		res.Decode(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Message != "Validation Failed" || len(body.Errors) != 1 || body.Errors[0].Code != "invalid" {
			t.Errorf("%s: %d %s", q, res.Status, res.Body)
		}
	}
	if res := b.api(t, http.MethodGet, "/github/repos/acme/nope/issues", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown repo: %d", res.Status)
	}
	if res := b.request(t, http.MethodGet, "/github/repos/acme/api/issues", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", res.Status)
	}
	if res := b.request(t, http.MethodGet, "/github/repos/acme/api/issues", "token nope", nil); res.Status != http.StatusUnauthorized || !bytes.Contains(res.Body, []byte("Bad credentials")) {
		t.Errorf("bad token: %d %s", res.Status, res.Body)
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	page := func(seed int64, path string) []byte {
		b := setup(t, sim.Options{Seed: seed}, Options{})
		res := b.api(t, http.MethodGet, path, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		// The base URL differs per server; compare everything else.
		return bytes.ReplaceAll(res.Body, []byte(b.s.BaseURL()), []byte("BASE"))
	}
	for _, path := range []string{
		"/github/repos/acme/api/issues?state=all&per_page=100&page=2",
		"/github/repos/octocat/hello-world/pulls?state=closed",
	} {
		a, again, other := page(42, path), page(42, path), page(43, path)
		if !bytes.Equal(a, again) {
			t.Fatalf("%s: same seed gave different pages", path)
		}
		if bytes.Equal(a, other) {
			t.Fatalf("%s: different seeds gave the same page", path)
		}
	}
}

func TestCreateIssueCommentAndPull(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 5}, Options{})
	const repo = "/github/repos/octocat/hello-world"

	res := b.api(t, http.MethodPost, repo+"/issues", map[string]any{"body": "no title"})
	var verr struct {
		Message string       `json:"message"`
		Errors  []fieldError `json:"errors"`
		Doc     string       `json:"documentation_url"`
	}
	res.Decode(t, &verr)
	if res.Status != http.StatusUnprocessableEntity || verr.Message != "Validation Failed" || len(verr.Errors) != 1 ||
		verr.Errors[0] != (fieldError{Resource: "Issue", Code: "missing_field", Field: "title"}) || verr.Doc == "" {
		t.Fatalf("missing title: %d %s", res.Status, res.Body)
	}

	res = b.api(t, http.MethodPost, repo+"/issues", map[string]any{"title": "Simulated bug", "body": "details", "labels": []string{"bug", "brand-new"}})
	var created issueOut
	res.Decode(t, &created)
	if res.Status != http.StatusCreated || created.Number != 101 || created.State != "open" || created.User.Login != "octocat" || len(created.Labels) != 2 {
		t.Fatalf("create issue: %d %s", res.Status, res.Body)
	}
	if res.Header.Get("Location") == "" {
		t.Error("no Location header")
	}

	res = b.api(t, http.MethodPost, repo+"/issues/101/comments", map[string]any{"body": "me too"})
	if res.Status != http.StatusCreated {
		t.Fatalf("comment: %d %s", res.Status, res.Body)
	}
	if res := b.api(t, http.MethodPost, repo+"/issues/9999/comments", map[string]any{"body": "x"}); res.Status != http.StatusNotFound {
		t.Fatalf("comment on unknown issue: %d", res.Status)
	}
	if res := b.api(t, http.MethodPost, repo+"/issues/101/comments", map[string]any{}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("comment without body: %d", res.Status)
	}
	res = b.api(t, http.MethodGet, repo+"/issues/101", nil)
	var got issueOut
	res.Decode(t, &got)
	if got.Comments != 1 {
		t.Fatalf("comment count %d after commenting", got.Comments)
	}

	res = b.api(t, http.MethodPost, repo+"/pulls", map[string]any{"title": "Add feature", "head": "octocat:feature-x", "base": "main"})
	var pr issueOut
	res.Decode(t, &pr)
	if res.Status != http.StatusCreated || pr.Number != 102 || pr.Head == nil || pr.Head.Ref != "feature-x" {
		t.Fatalf("create pull: %d %s", res.Status, res.Body)
	}
	for _, tt := range []struct {
		name string
		body map[string]any
	}{
		{"missing head and base", map[string]any{"title": "x"}},
		{"same branch", map[string]any{"title": "x", "head": "main", "base": "main"}},
		{"duplicate", map[string]any{"title": "again", "head": "feature-x", "base": "main"}},
	} {
		if res := b.api(t, http.MethodPost, repo+"/pulls", tt.body); res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
		}
	}

	// The new pull request is in both lists, the new issue only in one.
	issues := b.walk(t, repo+"/issues?per_page=100&sort=created&direction=desc")
	pulls := b.walk(t, repo+"/pulls?per_page=100")
	if issues[0].Number != 102 || issues[0].PullRequest == nil || issues[1].Number != 101 || issues[1].PullRequest != nil {
		t.Fatalf("issues list head: %d, %d", issues[0].Number, issues[1].Number)
	}
	if pulls[0].Number != 102 {
		t.Fatalf("pulls list head: %d", pulls[0].Number)
	}

	// Closing through PATCH moves the item between state filters.
	if res := b.api(t, http.MethodPatch, repo+"/issues/101", map[string]any{"state": "closed"}); res.Status != http.StatusOK {
		t.Fatalf("close: %d %s", res.Status, res.Body)
	}
	for _, it := range b.walk(t, repo+"/issues?per_page=100") {
		if it.Number == 101 {
			t.Fatal("closed issue still in the open list")
		}
	}
}

func TestUserAndRepos(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 6}, Options{})
	res := b.api(t, http.MethodGet, "/github/user", nil)
	var u struct {
		Login string `json:"login"`
		ID    int64  `json:"id"`
	}
	res.Decode(t, &u)
	if res.Status != http.StatusOK || u.Login != "octocat" || u.ID != 583231 {
		t.Fatalf("user: %d %s", res.Status, res.Body)
	}
	res = b.api(t, http.MethodGet, "/github/user/repos", nil)
	var repos []struct {
		FullName        string `json:"full_name"`
		OpenIssuesCount int    `json:"open_issues_count"`
	}
	res.Decode(t, &repos)
	if len(repos) != 2 || repos[0].FullName != "acme/api" || repos[1].FullName != "octocat/hello-world" {
		t.Fatalf("user repos: %s", res.Body)
	}
	open := b.walk(t, "/github/repos/acme/api/issues?per_page=100")
	if repos[0].OpenIssuesCount != len(open) {
		t.Fatalf("open_issues_count %d, open list %d (both count pull requests)", repos[0].OpenIssuesCount, len(open))
	}
}

func TestControlSeed(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 7}, Options{})
	b.control(t, "seed", map[string]any{"repo": "globex/web", "issues": 12, "pull_requests": 8}, http.StatusOK)
	all := b.walk(t, "/github/repos/globex/web/issues?state=all&per_page=100")
	pulls := b.walk(t, "/github/repos/globex/web/pulls?state=all&per_page=100")
	if len(all) != 20 || len(pulls) != 8 {
		t.Fatalf("seeded repo: %d items, %d pulls", len(all), len(pulls))
	}
	// Reseeding an existing repository replaces its items.
	b.control(t, "seed", map[string]any{"repo": "acme/api", "issues": 3, "pull_requests": 0}, http.StatusOK)
	if got := b.walk(t, "/github/repos/acme/api/issues?state=all"); len(got) != 3 {
		t.Fatalf("reseeded repo has %d items", len(got))
	}
	for _, body := range []map[string]any{{"repo": "noslash"}, {"repo": "a/b", "issues": -1}} {
		b.control(t, "seed", body, http.StatusBadRequest)
	}
}
