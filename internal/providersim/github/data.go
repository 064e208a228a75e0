package github

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Generated items are spread over one fixed year, not around the clock,
// so the same seed gives the same timestamps (and since= answers) on any
// day; items created through the API get the simulated time.
var (
	genEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	genSpan  = 365 * 24 * time.Hour
)

// account is a user, organization or app bot.
type account struct {
	Login string
	ID    int64
	Type  string // User, Organization, Bot
}

// userAccount gives octocat the id GitHub's docs show and everyone else a
// stable id derived from the login.
func userAccount(login string) account {
	id := int64(sim.Hash("github-user", strings.ToLower(login))%90000000) + 10000000
	if strings.EqualFold(login, "octocat") {
		id = 583231
	}
	return account{Login: login, ID: id, Type: "User"}
}

func orgAccount(login string) account {
	return account{Login: login, ID: int64(sim.Hash("github-org", strings.ToLower(login))%90000000) + 100000000, Type: "Organization"}
}

func botAccount(a *app) account {
	return account{Login: a.slug + "[bot]", ID: 200000000 + a.id%100000000, Type: "Bot"}
}

// nodeID builds GitHub's legacy global node id: base64 of "0<len>:<Type><id>".
func nodeID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte("0" + strconv.Itoa(len(typ)) + ":" + typ + strconv.FormatInt(id, 10)))
}

type label struct {
	ID          int64
	Name        string
	Color       string
	Description string
	Default     bool
}

// item is an issue or a pull request: on GitHub every pull request is
// also an issue, sharing its number sequence.
type item struct {
	number      int
	id          int64 // the issue id
	pullID      int64 // the pull request id (pull requests only)
	isPull      bool
	title       string
	body        string
	state       string // open or closed
	stateReason string // completed or not_planned, closed issues only
	user        account
	labels      []*label
	comments    int
	created     time.Time
	updated     time.Time
	closed      time.Time // zero while open
	// Pull requests only.
	head, base string
	merged     time.Time
	draft      bool

	// Rendered JSON, built lazily for renderedFor (the base URL) and
	// dropped on every change.
	renderedFor string
	issueJSON   []byte
	pullJSON    []byte
}

func (it *item) touch(now time.Time) {
	it.updated = now
	it.issueJSON, it.pullJSON = nil, nil
}

// repo is a repository and its issues; items[i] has number i+1.
type repo struct {
	id        int64
	owner     account
	name      string
	fullName  string
	private   bool
	created   time.Time
	items     []*item
	labels    map[string]*label // lower-cased name
	labelSeq  []*label
	commentID int64
	// pages caches rendered list pages by query; any change clears it.
	pages map[string]*page
}

// page is one rendered list answer.
type page struct {
	body []byte
	link string
}

func (rp *repo) changed() { rp.pages = map[string]*page{} }

func (rp *repo) openCount() int {
	n := 0
	for _, it := range rp.items {
		if it.state == "open" {
			n++
		}
	}
	return n
}

// label returns the repository's label called name, creating it as GitHub
// does when an issue is given a label that does not exist yet.
func (rp *repo) label(name string) *label {
	if l := rp.labels[strings.ToLower(name)]; l != nil {
		return l
	}
	l := &label{ID: int64(sim.Hash("github-label", rp.fullName, name) % 9000000000), Name: name, Color: "ededed"}
	rp.labels[strings.ToLower(name)] = l
	rp.labelSeq = append(rp.labelSeq, l)
	return l
}

var defaultLabels = []label{
	{Name: "bug", Color: "d73a4a", Description: "Something isn't working", Default: true},
	{Name: "documentation", Color: "0075ca", Description: "Improvements or additions to documentation", Default: true},
	{Name: "enhancement", Color: "a2eeef", Description: "New feature or request", Default: true},
	{Name: "good first issue", Color: "7057ff", Description: "Good for newcomers", Default: true},
	{Name: "question", Color: "d876e3", Description: "Further information is requested", Default: true},
	{Name: "wontfix", Color: "ffffff", Description: "This will not be worked on", Default: true},
}

var (
	verbs   = []string{"Fix", "Add", "Improve", "Remove", "Refactor", "Document", "Support", "Handle", "Update", "Investigate"}
	objects = []string{
		"pagination of the issues list", "rate limit handling", "webhook retries", "token refresh",
		"the flaky CI job", "error messages on login", "the README quick start", "timezone parsing",
		"large file uploads", "the settings page", "search ranking", "cache invalidation",
		"dark mode", "the release script", "memory use in the worker", "retry backoff",
	}
	branches = []string{"fix", "feature", "chore", "docs", "refactor"}
)

// generateRepo builds a repository from the seed: which numbers are pull
// requests comes from one generator per repository, every item's content
// from its own generator, so the same seed and spec give the same data.
func (p *Provider) generateRepo(spec RepoSpec) *repo {
	owner, repoName, _ := strings.Cut(spec.FullName, "/")
	rp := p.newRepo(owner, repoName, spec.Private)
	total := spec.Issues + spec.PullRequests
	isPull := make([]bool, total)
	for _, k := range p.s.Rand("github/kinds/" + rp.fullName).Perm(total)[:spec.PullRequests] {
		isPull[k] = true
	}
	step := genSpan / time.Duration(max(total, 1))
	users := p.userList()
	for i := range total {
		r := p.s.ItemRand("github/items/"+rp.fullName, i)
		created := genEpoch.Add(step*time.Duration(i) + time.Duration(r.Int64N(int64(step)/2+1))).Truncate(time.Second)
		it := &item{
			number:   i + 1,
			isPull:   isPull[i],
			title:    verbs[r.IntN(len(verbs))] + " " + objects[r.IntN(len(objects))],
			user:     users[r.IntN(len(users))],
			comments: r.IntN(13),
			created:  created,
			updated:  created.Add(time.Duration(r.Int64N(int64(60 * 24 * time.Hour)))).Truncate(time.Second),
			state:    "open",
		}
		it.body = fmt.Sprintf("Seen on build %d. Steps to reproduce are in the linked thread; %s.", 1000+r.IntN(9000), strings.ToLower(it.title))
		for _, l := range rp.labelSeq {
			if r.IntN(6) == 0 {
				it.labels = append(it.labels, l)
			}
		}
		if r.IntN(100) < 45 {
			it.state = "closed"
			it.closed = it.created.Add(time.Duration(float64(it.updated.Sub(it.created)) * r.Float64())).Truncate(time.Second)
			it.stateReason = "completed"
			if !it.isPull && r.IntN(5) == 0 {
				it.stateReason = "not_planned"
			}
		}
		if it.isPull {
			it.head = fmt.Sprintf("%s/%d-%s", branches[r.IntN(len(branches))], it.number, strings.ReplaceAll(strings.ToLower(verbs[r.IntN(len(verbs))]), " ", "-"))
			it.base = "main"
			it.draft = it.state == "open" && r.IntN(8) == 0
			if it.state == "closed" && r.IntN(10) < 7 {
				it.merged = it.closed
			}
		}
		rp.addItem(it)
	}
	return rp
}

func (p *Provider) newRepo(owner, repoName string, private bool) *repo {
	full := owner + "/" + repoName
	acct := orgAccount(owner)
	if u, ok := p.users[strings.ToLower(owner)]; ok {
		acct = u
	}
	rp := &repo{
		id:       int64(sim.Hash("github-repo", strings.ToLower(full))%90000000) + 10000000,
		owner:    acct,
		name:     repoName,
		fullName: full,
		private:  private,
		created:  genEpoch.Add(-30 * 24 * time.Hour),
		labels:   map[string]*label{},
		pages:    map[string]*page{},
	}
	for _, l := range defaultLabels {
		c := l
		c.ID = int64(sim.Hash("github-label", full, l.Name) % 9000000000)
		rp.labels[strings.ToLower(c.Name)] = &c
		rp.labelSeq = append(rp.labelSeq, &c)
	}
	rp.commentID = rp.id * 1000
	return rp
}

// addItem appends it with the next number and its ids. Issue and pull
// request ids are distinct, as on GitHub, and derived from the repository
// id so they are stable.
func (rp *repo) addItem(it *item) {
	it.number = len(rp.items) + 1
	it.id = rp.id*1000000 + int64(it.number)
	if it.isPull {
		it.pullID = (rp.id+100000000)*1000000 + int64(it.number)
	}
	rp.items = append(rp.items, it)
}

// userList is the users in Options order, for picking authors.
func (p *Provider) userList() []account {
	out := make([]account, 0, len(p.opts.Users))
	for _, login := range p.opts.Users {
		out = append(out, userAccount(login))
	}
	if len(out) == 0 {
		out = append(out, userAccount(defaultSubject))
	}
	return out
}

// putRepoLocked adds or replaces a repository; p.mu must be held.
func (p *Provider) putRepoLocked(rp *repo) {
	key := strings.ToLower(rp.fullName)
	if old := p.repos[key]; old != nil {
		for i, r := range p.repoOrder {
			if r == old {
				p.repoOrder[i] = rp
			}
		}
	} else {
		p.repoOrder = append(p.repoOrder, rp)
	}
	p.repos[key] = rp
}

// accountLocked resolves a login to a user, or an organization when it
// owns repositories but is no user.
func (p *Provider) accountLocked(login string) account {
	if u, ok := p.users[strings.ToLower(login)]; ok {
		return u
	}
	for _, rp := range p.repoOrder {
		if strings.EqualFold(rp.owner.Login, login) {
			return rp.owner
		}
	}
	return orgAccount(login)
}
