package github

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// maxCachedPages bounds each repository's page cache; past it the cache
// starts over rather than tracking recency.
const maxCachedPages = 512

// pageParams reads per_page (default 30, at most 100) and page (from 1).
func pageParams(q url.Values) (per, pg int) {
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	pg, err = strconv.Atoi(q.Get("page"))
	if err != nil || pg <= 0 {
		pg = 1
	}
	return per, min(pg, 1<<24)
}

// pageBounds slices n results into pages; last is at least 1.
func pageBounds(n, per, pg int) (from, to, last int) {
	last = max(1, (n+per-1)/per)
	from = min((pg-1)*per, n)
	to = min(from+per, n)
	return from, to, last
}

// linkHeader builds GitHub's Link header with absolute URLs on the
// simulator: prev, next, last, first, each present only when it leads
// somewhere, the request's other parameters kept.
func linkHeader(base, path string, q url.Values, pg, last int) string {
	q = maps.Clone(q)
	var parts []string
	add := func(n int, rel string) {
		q.Set("page", strconv.Itoa(n))
		parts = append(parts, "<"+base+path+"?"+q.Encode()+`>; rel="`+rel+`"`)
	}
	if pg > 1 {
		add(pg-1, "prev")
	}
	if pg < last {
		add(pg+1, "next")
		add(last, "last")
	}
	if pg > 1 {
		add(1, "first")
	}
	return strings.Join(parts, ", ")
}

func setLink(w http.ResponseWriter, base string, r *http.Request, pg, last int) {
	if l := linkHeader(base, r.URL.Path, r.URL.Query(), pg, last); l != "" {
		w.Header().Set("Link", l)
	}
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// repoFor finds the path's repository if the caller may see it, and
// answers 404 itself otherwise.
func (p *Provider) repoFor(w http.ResponseWriter, r *http.Request, c *caller) *repo {
	key := strings.ToLower(r.PathValue("owner") + "/" + r.PathValue("repo"))
	p.mu.RLock()
	rp := p.repos[key]
	ok := rp != nil && c.allows(rp, p.users)
	p.mu.RUnlock()
	if !ok {
		notFound(w)
		return nil
	}
	return rp
}

// listQuery is a parsed issues or pulls list request.
type listQuery struct {
	pulls   bool
	state   string
	sort    string
	desc    bool
	since   time.Time
	labels  []string
	creator string
	head    string
	base    string
}

func parseListQuery(q url.Values, pulls bool) (listQuery, *fieldError) {
	lq := listQuery{pulls: pulls, state: cmp.Or(q.Get("state"), "open"), sort: cmp.Or(q.Get("sort"), "created")}
	resource, sorts := "Issue", []string{"created", "updated", "comments"}
	if pulls {
		resource, sorts = "PullRequest", []string{"created", "updated", "popularity", "long-running"}
	}
	if !slices.Contains([]string{"open", "closed", "all"}, lq.state) {
		return lq, &fieldError{Resource: resource, Code: "invalid", Field: "state"}
	}
	if !slices.Contains(sorts, lq.sort) {
		return lq, &fieldError{Resource: resource, Code: "invalid", Field: "sort"}
	}
	// Issues list newest first unless told otherwise; pulls do so only
	// when sorted by creation, every other pulls sort defaults to asc.
	lq.desc = !pulls || lq.sort == "created"
	switch q.Get("direction") {
	case "":
	case "asc":
		lq.desc = false
	case "desc":
		lq.desc = true
	default:
		return lq, &fieldError{Resource: resource, Code: "invalid", Field: "direction"}
	}
	if s := q.Get("since"); s != "" && !pulls {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return lq, &fieldError{Resource: resource, Code: "invalid", Field: "since"}
		}
		lq.since = t
	}
	if l := q.Get("labels"); l != "" && !pulls {
		for _, name := range strings.Split(l, ",") {
			if name = strings.TrimSpace(name); name != "" {
				lq.labels = append(lq.labels, name)
			}
		}
	}
	lq.creator = q.Get("creator")
	if pulls {
		lq.head, lq.base = q.Get("head"), q.Get("base")
	}
	return lq, nil
}

func (lq listQuery) match(rp *repo, it *item) bool {
	if lq.pulls && !it.isPull || lq.state != "all" && it.state != lq.state {
		return false
	}
	if !lq.since.IsZero() && it.updated.Before(lq.since) {
		return false
	}
	if lq.creator != "" && !strings.EqualFold(it.user.Login, lq.creator) {
		return false
	}
	for _, want := range lq.labels {
		if !slices.ContainsFunc(it.labels, func(l *label) bool { return strings.EqualFold(l.Name, want) }) {
			return false
		}
	}
	if lq.base != "" && it.base != lq.base {
		return false
	}
	if lq.head != "" {
		owner, ref, ok := strings.Cut(lq.head, ":")
		if !ok || !strings.EqualFold(owner, rp.owner.Login) || it.head != ref {
			return false
		}
	}
	return true
}

func (lq listQuery) key(it *item) int64 {
	switch lq.sort {
	case "updated":
		return it.updated.Unix()
	case "comments", "popularity":
		return int64(it.comments)
	}
	return it.created.Unix()
}

// buildPageLocked selects, sorts and renders one page; p.mu must be held
// for writing (rendering fills item caches).
func (p *Provider) buildPageLocked(rp *repo, base, path string, q url.Values, lq listQuery) *page {
	var sel []*item
	for _, it := range rp.items {
		if lq.match(rp, it) {
			sel = append(sel, it)
		}
	}
	slices.SortStableFunc(sel, func(a, b *item) int {
		c := cmp.Compare(lq.key(a), lq.key(b))
		if c == 0 {
			c = cmp.Compare(a.number, b.number)
		}
		if lq.desc {
			c = -c
		}
		return c
	})
	per, pg := pageParams(q)
	from, to, last := pageBounds(len(sel), per, pg)
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, it := range sel[from:to] {
		rp.render(base, it)
		if i > 0 {
			buf.WriteByte(',')
		}
		if lq.pulls {
			buf.Write(it.pullJSON)
		} else {
			buf.Write(it.issueJSON)
		}
	}
	buf.WriteByte(']')
	return &page{body: buf.Bytes(), link: linkHeader(base, path, q, pg, last)}
}

// listItems serves the issues and pulls lists from the repository's page
// cache, so repeated pages cost a map lookup and a write.
func (p *Provider) listItems(w http.ResponseWriter, r *http.Request, c *caller, pulls bool) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	q := r.URL.Query()
	lq, ferr := parseListQuery(q, pulls)
	if ferr != nil {
		doc := docsIssues + "#list-repository-issues"
		if pulls {
			doc = docsPulls + "#list-pull-requests"
		}
		validationFailed(w, doc, *ferr)
		return
	}
	base := p.s.RequestBaseURL(r)
	key := strconv.FormatBool(pulls) + "\x00" + base + "\x00" + r.URL.RawQuery
	p.mu.RLock()
	pg := rp.pages[key]
	p.mu.RUnlock()
	if pg == nil {
		p.mu.Lock()
		if pg = rp.pages[key]; pg == nil {
			pg = p.buildPageLocked(rp, base, r.URL.Path, q, lq)
			if len(rp.pages) >= maxCachedPages {
				rp.changed()
			}
			rp.pages[key] = pg
		}
		p.mu.Unlock()
	}
	if pg.link != "" {
		w.Header().Set("Link", pg.link)
	}
	writeRaw(w, http.StatusOK, pg.body)
}

func (p *Provider) listIssues(w http.ResponseWriter, r *http.Request, c *caller) {
	p.listItems(w, r, c, false)
}

func (p *Provider) listPulls(w http.ResponseWriter, r *http.Request, c *caller) {
	p.listItems(w, r, c, true)
}

// itemFor finds the path's issue or pull request number in rp; p.mu must
// be held.
func itemFor(rp *repo, r *http.Request) *item {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 || n > len(rp.items) {
		return nil
	}
	return rp.items[n-1]
}

func (p *Provider) getIssue(w http.ResponseWriter, r *http.Request, c *caller) {
	p.getItem(w, r, c, false)
}

func (p *Provider) getPull(w http.ResponseWriter, r *http.Request, c *caller) {
	p.getItem(w, r, c, true)
}

func (p *Provider) getItem(w http.ResponseWriter, r *http.Request, c *caller, pull bool) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	base := p.s.RequestBaseURL(r)
	p.mu.Lock()
	it := itemFor(rp, r)
	var body []byte
	if it != nil && (!pull || it.isPull) {
		rp.render(base, it)
		body = it.issueJSON
		if pull {
			body = it.pullJSON
		}
	}
	p.mu.Unlock()
	if body == nil {
		notFound(w)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// decodeBody reads a JSON request body, answering GitHub's 400 itself.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := sim.ReadJSON(r, v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsREST)
		return false
	}
	return true
}

// text accepts what GitHub accepts for a title: a string or a number.
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return ""
}

func labelNames(vs []any) []string {
	var out []string
	for _, v := range vs {
		switch t := v.(type) {
		case string:
			out = append(out, t)
		case map[string]any:
			if n, ok := t["name"].(string); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

func forbiddenIntegration(w http.ResponseWriter, doc string) {
	writeError(w, http.StatusForbidden, "Resource not accessible by integration", doc)
}

func (p *Provider) now() time.Time { return p.s.Clock.Now().Truncate(time.Second) }

// createIssue serves POST /repos/{o}/{r}/issues.
func (p *Provider) createIssue(w http.ResponseWriter, r *http.Request, c *caller) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	var body struct {
		Title  any    `json:"title"`
		Body   string `json:"body"`
		Labels []any  `json:"labels"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	doc := docsIssues + "#create-an-issue"
	title := strings.TrimSpace(text(body.Title))
	if title == "" {
		validationFailed(w, doc, fieldError{Resource: "Issue", Code: "missing_field", Field: "title"})
		return
	}
	if !c.permitted("issues") {
		forbiddenIntegration(w, doc)
		return
	}
	base := p.s.RequestBaseURL(r)
	now := p.now()
	p.mu.Lock()
	it := &item{title: title, body: body.Body, state: "open", user: c.actor, created: now, updated: now}
	for _, n := range labelNames(body.Labels) {
		it.labels = append(it.labels, rp.label(n))
	}
	rp.addItem(it)
	rp.changed()
	rp.render(base, it)
	out := it.issueJSON
	ev := p.eventLocked("issues", "opened", rp, c, base, map[string]any{"issue": json.RawMessage(out)})
	p.mu.Unlock()
	p.send(ev)
	w.Header().Set("Location", rp.apiURL(base)+"/issues/"+strconv.Itoa(it.number))
	writeRaw(w, http.StatusCreated, out)
}

// updateIssue serves PATCH /repos/{o}/{r}/issues/{n}: title, body and
// state (closing or reopening an issue or a pull request).
func (p *Provider) updateIssue(w http.ResponseWriter, r *http.Request, c *caller) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	var body struct {
		Title       any     `json:"title"`
		Body        *string `json:"body"`
		State       string  `json:"state"`
		StateReason string  `json:"state_reason"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	doc := docsIssues + "#update-an-issue"
	if body.State != "" && body.State != "open" && body.State != "closed" {
		validationFailed(w, doc, fieldError{Resource: "Issue", Code: "invalid", Field: "state"})
		return
	}
	if !c.permitted("issues") {
		forbiddenIntegration(w, doc)
		return
	}
	base := p.s.RequestBaseURL(r)
	now := p.now()
	p.mu.Lock()
	it := itemFor(rp, r)
	if it == nil {
		p.mu.Unlock()
		notFound(w)
		return
	}
	changes := map[string]any{}
	if t := strings.TrimSpace(text(body.Title)); t != "" && t != it.title {
		changes["title"] = map[string]string{"from": it.title}
		it.title = t
	}
	if body.Body != nil && *body.Body != it.body {
		changes["body"] = map[string]string{"from": it.body}
		it.body = *body.Body
	}
	action := "edited"
	switch {
	case body.State == "closed" && it.state == "open":
		action, it.state, it.closed = "closed", "closed", now
		it.stateReason = cmp.Or(body.StateReason, "completed")
	case body.State == "open" && it.state == "closed":
		action, it.state, it.closed, it.stateReason = "reopened", "open", time.Time{}, ""
	case len(changes) == 0:
		action = ""
	}
	if action != "" {
		it.touch(now)
		rp.changed()
	}
	rp.render(base, it)
	out := it.issueJSON
	var ev hookEvent
	if action != "" {
		extra := map[string]any{"issue": json.RawMessage(out)}
		event := "issues"
		if it.isPull {
			event = "pull_request"
			extra = map[string]any{"number": it.number, "pull_request": json.RawMessage(it.pullJSON)}
		}
		if action == "edited" {
			extra["changes"] = changes
		}
		ev = p.eventLocked(event, action, rp, c, base, extra)
	}
	p.mu.Unlock()
	p.send(ev)
	writeRaw(w, http.StatusOK, out)
}

type commentJSON struct {
	URL               string   `json:"url"`
	HTMLURL           string   `json:"html_url"`
	IssueURL          string   `json:"issue_url"`
	ID                int64    `json:"id"`
	NodeID            string   `json:"node_id"`
	User              userJSON `json:"user"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AuthorAssociation string   `json:"author_association"`
	Body              string   `json:"body"`
}

// createComment serves POST /repos/{o}/{r}/issues/{n}/comments, which
// comments on issues and pull requests alike.
func (p *Provider) createComment(w http.ResponseWriter, r *http.Request, c *caller) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	var body struct {
		Body string `json:"body"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	doc := docsComments + "#create-an-issue-comment"
	base := p.s.RequestBaseURL(r)
	now := p.now()
	p.mu.Lock()
	it := itemFor(rp, r)
	if it == nil {
		p.mu.Unlock()
		notFound(w)
		return
	}
	if strings.TrimSpace(body.Body) == "" {
		p.mu.Unlock()
		validationFailed(w, doc, fieldError{Resource: "IssueComment", Code: "missing_field", Field: "body"})
		return
	}
	if !c.permitted("issues") && !(it.isPull && c.permitted("pull_requests")) {
		p.mu.Unlock()
		forbiddenIntegration(w, doc)
		return
	}
	rp.commentID++
	id := rp.commentID
	issueURL := rp.apiURL(base) + "/issues/" + strconv.Itoa(it.number)
	cm := mustJSON(commentJSON{
		URL: rp.apiURL(base) + "/issues/comments/" + strconv.FormatInt(id, 10), IssueURL: issueURL,
		HTMLURL: fmt.Sprintf("%s/github/%s/issues/%d#issuecomment-%d", base, rp.fullName, it.number, id),
		ID:      id, NodeID: nodeID("IssueComment", id), User: renderAccount(base, c.actor),
		CreatedAt: stamp(now), UpdatedAt: stamp(now), AuthorAssociation: rp.association(c.actor), Body: body.Body,
	})
	it.comments++
	it.touch(now)
	rp.changed()
	rp.render(base, it)
	ev := p.eventLocked("issue_comment", "created", rp, c, base,
		map[string]any{"issue": json.RawMessage(it.issueJSON), "comment": json.RawMessage(cm)})
	p.mu.Unlock()
	p.send(ev)
	w.Header().Set("Location", rp.apiURL(base)+"/issues/comments/"+strconv.FormatInt(id, 10))
	writeRaw(w, http.StatusCreated, cm)
}

// createPull serves POST /repos/{o}/{r}/pulls. The new pull request takes
// the next issue number and shows in both lists.
func (p *Provider) createPull(w http.ResponseWriter, r *http.Request, c *caller) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	var body struct {
		Title any    `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	doc := docsPulls + "#create-a-pull-request"
	title := strings.TrimSpace(text(body.Title))
	var missing []fieldError
	for field, v := range map[string]string{"title": title, "head": body.Head, "base": body.Base} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, fieldError{Resource: "PullRequest", Code: "missing_field", Field: field})
		}
	}
	if len(missing) > 0 {
		slices.SortFunc(missing, func(a, b fieldError) int { return cmp.Compare(a.Field, b.Field) })
		validationFailed(w, doc, missing...)
		return
	}
	if !c.permitted("pull_requests") {
		forbiddenIntegration(w, doc)
		return
	}
	head := body.Head
	if _, ref, ok := strings.Cut(head, ":"); ok {
		head = ref
	}
	if head == body.Base {
		validationFailed(w, doc, fieldError{Resource: "PullRequest", Code: "custom", Message: "No commits between " + body.Base + " and " + head})
		return
	}
	base := p.s.RequestBaseURL(r)
	now := p.now()
	p.mu.Lock()
	for _, it := range rp.items {
		if it.isPull && it.state == "open" && it.head == head && it.base == body.Base {
			p.mu.Unlock()
			validationFailed(w, doc, fieldError{Resource: "PullRequest", Code: "custom", Message: "A pull request already exists for " + rp.owner.Login + ":" + head + "."})
			return
		}
	}
	it := &item{isPull: true, title: title, body: body.Body, state: "open", user: c.actor, created: now, updated: now,
		head: head, base: body.Base, draft: body.Draft}
	rp.addItem(it)
	rp.changed()
	rp.render(base, it)
	out := it.pullJSON
	ev := p.eventLocked("pull_request", "opened", rp, c, base, map[string]any{"number": it.number, "pull_request": json.RawMessage(out)})
	p.mu.Unlock()
	p.send(ev)
	w.Header().Set("Location", rp.apiURL(base)+"/pulls/"+strconv.Itoa(it.number))
	writeRaw(w, http.StatusCreated, out)
}

// getUser serves GET /user, which installation tokens may not call.
func (p *Provider) getUser(w http.ResponseWriter, r *http.Request, c *caller) {
	if c.inst != nil {
		forbiddenIntegration(w, "https://docs.github.com/rest/users/users#get-the-authenticated-user")
		return
	}
	base := p.s.RequestBaseURL(r)
	p.mu.RLock()
	owned := 0
	for _, rp := range p.repoOrder {
		if strings.EqualFold(rp.owner.Login, c.actor.Login) {
			owned++
		}
	}
	p.mu.RUnlock()
	u := c.actor
	sim.WriteJSON(w, http.StatusOK, struct {
		userJSON
		Name        string `json:"name"`
		Company     any    `json:"company"`
		Blog        string `json:"blog"`
		Location    any    `json:"location"`
		Email       string `json:"email"`
		Bio         any    `json:"bio"`
		PublicRepos int    `json:"public_repos"`
		Followers   int    `json:"followers"`
		Following   int    `json:"following"`
		CreatedAt   string `json:"created_at"`
		UpdatedAt   string `json:"updated_at"`
	}{
		userJSON: renderAccount(base, u), Name: "The " + u.Login, Email: strings.ToLower(u.Login) + "@users.noreply.example.com",
		PublicRepos: owned, CreatedAt: stamp(genEpoch.Add(-365 * 24 * time.Hour)), UpdatedAt: stamp(genEpoch),
	})
}

// listUserRepos serves GET /user/repos: repositories the user owns or
// reaches through organization membership.
func (p *Provider) listUserRepos(w http.ResponseWriter, r *http.Request, c *caller) {
	if c.inst != nil {
		forbiddenIntegration(w, "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user")
		return
	}
	q := r.URL.Query()
	sortBy := cmp.Or(q.Get("sort"), "full_name")
	desc := sortBy != "full_name"
	switch q.Get("direction") {
	case "asc":
		desc = false
	case "desc":
		desc = true
	}
	base := p.s.RequestBaseURL(r)
	p.mu.RLock()
	var sel []*repo
	for _, rp := range p.repoOrder {
		own := strings.EqualFold(rp.owner.Login, c.actor.Login)
		if q.Get("type") == "owner" && !own || !own && !c.allows(rp, p.users) || !own && rp.owner.Type != "Organization" {
			continue
		}
		sel = append(sel, rp)
	}
	slices.SortStableFunc(sel, func(a, b *repo) int {
		x := strings.Compare(strings.ToLower(a.fullName), strings.ToLower(b.fullName))
		if sortBy != "full_name" {
			x = cmp.Compare(a.id, b.id)
		}
		if desc {
			x = -x
		}
		return x
	})
	per, pg := pageParams(q)
	from, to, last := pageBounds(len(sel), per, pg)
	out := make([]repoJSON, 0, to-from)
	for _, rp := range sel[from:to] {
		out = append(out, renderRepo(base, rp, true))
	}
	p.mu.RUnlock()
	setLink(w, base, r, pg, last)
	sim.WriteJSON(w, http.StatusOK, out)
}

// listInstallationRepos serves GET /installation/repositories, the
// repositories an installation token can reach.
func (p *Provider) listInstallationRepos(w http.ResponseWriter, r *http.Request, c *caller) {
	if c.inst == nil {
		writeError(w, http.StatusForbidden, "You must authenticate with an installation access token in order to list repositories for an installation.",
			"https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation")
		return
	}
	base := p.s.RequestBaseURL(r)
	p.mu.RLock()
	var sel []*repo
	for _, rp := range p.repoOrder {
		if c.allows(rp, p.users) {
			sel = append(sel, rp)
		}
	}
	per, pg := pageParams(r.URL.Query())
	from, to, last := pageBounds(len(sel), per, pg)
	repos := make([]repoJSON, 0, to-from)
	for _, rp := range sel[from:to] {
		repos = append(repos, renderRepo(base, rp, false))
	}
	selection := c.inst.selection()
	if c.tok.repos != nil {
		selection = "selected"
	}
	p.mu.RUnlock()
	setLink(w, base, r, pg, last)
	sim.WriteJSON(w, http.StatusOK, map[string]any{"total_count": len(sel), "repository_selection": selection, "repositories": repos})
}

func (p *Provider) getRepo(w http.ResponseWriter, r *http.Request, c *caller) {
	rp := p.repoFor(w, r, c)
	if rp == nil {
		return
	}
	p.mu.RLock()
	out := renderRepo(p.s.RequestBaseURL(r), rp, c.inst == nil)
	p.mu.RUnlock()
	sim.WriteJSON(w, http.StatusOK, out)
}
