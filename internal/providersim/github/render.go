package github

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// The JSON shapes below follow GitHub's REST responses, trimmed of the
// many *_url templates nobody syncs on. URLs point at the simulator:
// api.github.com/x is {base}/github/x and github.com/x is {base}/github/x
// too (html_url values are informative; no page is served there).

type userJSON struct {
	Login     string `json:"login"`
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	AvatarURL string `json:"avatar_url"`
	URL       string `json:"url"`
	HTMLURL   string `json:"html_url"`
	Type      string `json:"type"`
	SiteAdmin bool   `json:"site_admin"`
}

func renderAccount(base string, a account) userJSON {
	path := "/users/"
	if a.Type == "Organization" {
		path = "/orgs/"
	}
	return userJSON{
		Login:     a.Login,
		ID:        a.ID,
		NodeID:    nodeID(a.Type, a.ID),
		AvatarURL: base + "/github/avatars/u/" + strconv.FormatInt(a.ID, 10) + "?v=4",
		URL:       base + "/github" + path + a.Login,
		HTMLURL:   base + "/github/" + a.Login,
		Type:      a.Type,
	}
}

type labelJSON struct {
	ID          int64  `json:"id"`
	NodeID      string `json:"node_id"`
	URL         string `json:"url"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Default     bool   `json:"default"`
	Description string `json:"description"`
}

func renderLabels(base string, rp *repo, ls []*label) []labelJSON {
	out := make([]labelJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, labelJSON{
			ID: l.ID, NodeID: nodeID("Label", l.ID), URL: base + "/github/repos/" + rp.fullName + "/labels/" + url.PathEscape(l.Name),
			Name: l.Name, Color: l.Color, Default: l.Default, Description: l.Description,
		})
	}
	return out
}

// pullRef is the pull_request object an issue-shaped pull request carries;
// its presence is how clients tell pull requests apart in the issues list.
type pullRef struct {
	URL      string  `json:"url"`
	HTMLURL  string  `json:"html_url"`
	DiffURL  string  `json:"diff_url"`
	PatchURL string  `json:"patch_url"`
	MergedAt *string `json:"merged_at"`
}

type issueJSON struct {
	URL               string      `json:"url"`
	RepositoryURL     string      `json:"repository_url"`
	LabelsURL         string      `json:"labels_url"`
	CommentsURL       string      `json:"comments_url"`
	EventsURL         string      `json:"events_url"`
	HTMLURL           string      `json:"html_url"`
	ID                int64       `json:"id"`
	NodeID            string      `json:"node_id"`
	Number            int         `json:"number"`
	Title             string      `json:"title"`
	User              userJSON    `json:"user"`
	Labels            []labelJSON `json:"labels"`
	State             string      `json:"state"`
	Locked            bool        `json:"locked"`
	Assignee          *userJSON   `json:"assignee"`
	Assignees         []userJSON  `json:"assignees"`
	Milestone         any         `json:"milestone"`
	Comments          int         `json:"comments"`
	CreatedAt         string      `json:"created_at"`
	UpdatedAt         string      `json:"updated_at"`
	ClosedAt          *string     `json:"closed_at"`
	AuthorAssociation string      `json:"author_association"`
	Draft             *bool       `json:"draft,omitempty"`
	PullRequest       *pullRef    `json:"pull_request,omitempty"`
	Body              string      `json:"body"`
	StateReason       *string     `json:"state_reason"`
}

type branchJSON struct {
	Label string      `json:"label"`
	Ref   string      `json:"ref"`
	SHA   string      `json:"sha"`
	User  userJSON    `json:"user"`
	Repo  repoRefJSON `json:"repo"`
}

// repoRefJSON is the short repository object inside head and base.
type repoRefJSON struct {
	ID       int64    `json:"id"`
	NodeID   string   `json:"node_id"`
	Name     string   `json:"name"`
	FullName string   `json:"full_name"`
	Private  bool     `json:"private"`
	Owner    userJSON `json:"owner"`
	HTMLURL  string   `json:"html_url"`
	URL      string   `json:"url"`
}

type pullJSON struct {
	URL               string      `json:"url"`
	ID                int64       `json:"id"`
	NodeID            string      `json:"node_id"`
	HTMLURL           string      `json:"html_url"`
	DiffURL           string      `json:"diff_url"`
	PatchURL          string      `json:"patch_url"`
	IssueURL          string      `json:"issue_url"`
	CommentsURL       string      `json:"comments_url"`
	Number            int         `json:"number"`
	State             string      `json:"state"`
	Locked            bool        `json:"locked"`
	Title             string      `json:"title"`
	User              userJSON    `json:"user"`
	Body              string      `json:"body"`
	Labels            []labelJSON `json:"labels"`
	Milestone         any         `json:"milestone"`
	CreatedAt         string      `json:"created_at"`
	UpdatedAt         string      `json:"updated_at"`
	ClosedAt          *string     `json:"closed_at"`
	MergedAt          *string     `json:"merged_at"`
	MergeCommitSHA    *string     `json:"merge_commit_sha"`
	Assignee          *userJSON   `json:"assignee"`
	Assignees         []userJSON  `json:"assignees"`
	Draft             bool        `json:"draft"`
	Head              branchJSON  `json:"head"`
	Base              branchJSON  `json:"base"`
	AuthorAssociation string      `json:"author_association"`
}

type repoJSON struct {
	ID              int64           `json:"id"`
	NodeID          string          `json:"node_id"`
	Name            string          `json:"name"`
	FullName        string          `json:"full_name"`
	Private         bool            `json:"private"`
	Owner           userJSON        `json:"owner"`
	HTMLURL         string          `json:"html_url"`
	Description     string          `json:"description"`
	Fork            bool            `json:"fork"`
	URL             string          `json:"url"`
	IssuesURL       string          `json:"issues_url"`
	PullsURL        string          `json:"pulls_url"`
	CreatedAt       string          `json:"created_at"`
	UpdatedAt       string          `json:"updated_at"`
	PushedAt        string          `json:"pushed_at"`
	HasIssues       bool            `json:"has_issues"`
	OpenIssuesCount int             `json:"open_issues_count"`
	DefaultBranch   string          `json:"default_branch"`
	Visibility      string          `json:"visibility"`
	Permissions     map[string]bool `json:"permissions,omitempty"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stampPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

func (rp *repo) apiURL(base string) string { return base + "/github/repos/" + rp.fullName }

func (rp *repo) association(a account) string {
	switch {
	case a.Login == rp.owner.Login:
		return "OWNER"
	case a.Type == "User" && rp.owner.Type == "Organization":
		return "MEMBER"
	case a.Type == "Bot":
		return "NONE"
	}
	return "CONTRIBUTOR"
}

// renderRepo is the full repository object; open_issues_count counts
// open pull requests too, as GitHub's does.
func renderRepo(base string, rp *repo, withPermissions bool) repoJSON {
	updated := rp.created
	for _, it := range rp.items {
		if it.updated.After(updated) {
			updated = it.updated
		}
	}
	visibility := "public"
	if rp.private {
		visibility = "private"
	}
	out := repoJSON{
		ID: rp.id, NodeID: nodeID("Repository", rp.id), Name: rp.name, FullName: rp.fullName, Private: rp.private,
		Owner: renderAccount(base, rp.owner), HTMLURL: base + "/github/" + rp.fullName,
		Description: "Simulated repository " + rp.fullName, URL: rp.apiURL(base),
		IssuesURL: rp.apiURL(base) + "/issues{/number}", PullsURL: rp.apiURL(base) + "/pulls{/number}",
		CreatedAt: stamp(rp.created), UpdatedAt: stamp(updated), PushedAt: stamp(updated),
		HasIssues: true, OpenIssuesCount: rp.openCount(), DefaultBranch: "main", Visibility: visibility,
	}
	if withPermissions {
		out.Permissions = map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}
	}
	return out
}

func renderRepoRef(base string, rp *repo) repoRefJSON {
	return repoRefJSON{
		ID: rp.id, NodeID: nodeID("Repository", rp.id), Name: rp.name, FullName: rp.fullName, Private: rp.private,
		Owner: renderAccount(base, rp.owner), HTMLURL: base + "/github/" + rp.fullName, URL: rp.apiURL(base),
	}
}

// render fills the item's cached JSON for base; p.mu must be held for
// writing.
func (rp *repo) render(base string, it *item) {
	if it.renderedFor == base && it.issueJSON != nil {
		return
	}
	api := rp.apiURL(base)
	issueURL := api + "/issues/" + strconv.Itoa(it.number)
	labels := renderLabels(base, rp, it.labels)
	user := renderAccount(base, it.user)
	var reason *string
	if it.state == "closed" && it.stateReason != "" {
		r := it.stateReason
		reason = &r
	}
	iss := issueJSON{
		URL: issueURL, RepositoryURL: api, LabelsURL: issueURL + "/labels{/name}", CommentsURL: issueURL + "/comments",
		EventsURL: issueURL + "/events", HTMLURL: base + "/github/" + rp.fullName + "/issues/" + strconv.Itoa(it.number),
		ID: it.id, NodeID: nodeID("Issue", it.id), Number: it.number, Title: it.title, User: user, Labels: labels,
		State: it.state, Assignees: []userJSON{}, Comments: it.comments, CreatedAt: stamp(it.created),
		UpdatedAt: stamp(it.updated), ClosedAt: stampPtr(it.closed), AuthorAssociation: rp.association(it.user),
		Body: it.body, StateReason: reason,
	}
	if it.isPull {
		pullHTML := base + "/github/" + rp.fullName + "/pull/" + strconv.Itoa(it.number)
		iss.HTMLURL = pullHTML
		iss.StateReason = nil
		draft := it.draft
		iss.Draft = &draft
		iss.PullRequest = &pullRef{
			URL: api + "/pulls/" + strconv.Itoa(it.number), HTMLURL: pullHTML,
			DiffURL: pullHTML + ".diff", PatchURL: pullHTML + ".patch", MergedAt: stampPtr(it.merged),
		}
		ref := renderRepoRef(base, rp)
		owner := renderAccount(base, rp.owner)
		var mergeSHA *string
		if !it.merged.IsZero() {
			s := fakeSHA(rp, it.number, "merge")
			mergeSHA = &s
		}
		pr := pullJSON{
			URL: iss.PullRequest.URL, ID: it.pullID, NodeID: nodeID("PullRequest", it.pullID), HTMLURL: pullHTML,
			DiffURL: iss.PullRequest.DiffURL, PatchURL: iss.PullRequest.PatchURL, IssueURL: issueURL,
			CommentsURL: issueURL + "/comments", Number: it.number, State: it.state, Title: it.title, User: user,
			Body: it.body, Labels: labels, CreatedAt: iss.CreatedAt, UpdatedAt: iss.UpdatedAt, ClosedAt: iss.ClosedAt,
			MergedAt: iss.PullRequest.MergedAt, MergeCommitSHA: mergeSHA, Assignees: []userJSON{}, Draft: it.draft,
			Head:              branchJSON{Label: rp.owner.Login + ":" + it.head, Ref: it.head, SHA: fakeSHA(rp, it.number, "head"), User: owner, Repo: ref},
			Base:              branchJSON{Label: rp.owner.Login + ":" + it.base, Ref: it.base, SHA: fakeSHA(rp, it.number, "base"), User: owner, Repo: ref},
			AuthorAssociation: iss.AuthorAssociation,
		}
		it.pullJSON = mustJSON(pr)
	}
	it.issueJSON = mustJSON(iss)
	it.renderedFor = base
}

func fakeSHA(rp *repo, number int, kind string) string {
	const hex = "0123456789abcdef"
	h := sim.Hash(rp.fullName, strconv.Itoa(number), kind)
	b := make([]byte, 40)
	for i := range b {
		b[i] = hex[h>>(uint(i%16)*4)&0xf]
		if i%16 == 15 {
			h = h*6364136223846793005 + 1442695040888963407
		}
	}
	return string(b)
}

// mustJSON marshals values built from the simulator's own types, which
// cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("github sim: encode: " + err.Error())
	}
	return b
}
