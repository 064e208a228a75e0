package jira

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

type project struct {
	id, key, name, typeKey, style string
	simplified                    bool
}

var projectNames = []struct{ key, name string }{
	{"ENG", "Engineering"}, {"MKT", "Marketing"}, {"SUP", "Support"}, {"DES", "Design"},
	{"OPS", "Operations"}, {"SAL", "Sales"}, {"FIN", "Finance"}, {"LEG", "Legal"},
	{"MOB", "Mobile"}, {"PLAT", "Platform"}, {"SEC", "Security"}, {"DATA", "Data"},
	{"INFRA", "Infrastructure"}, {"RES", "Research"}, {"GRO", "Growth"}, {"WEB", "Web"},
}

// generateProjects makes a site's projects from the seed, ordered by key
// as the search endpoint returns them.
func (p *Provider) generateProjects(site string) []project {
	rng := p.s.Rand("jira/" + site + "/projects")
	names := slices.Clone(projectNames)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	types := []string{"software", "business", "service_desk"}
	out := make([]project, p.opts.Projects)
	for i := range out {
		n := names[i%len(names)]
		key, pname := n.key, n.name
		if round := i / len(names); round > 0 {
			key, pname = fmt.Sprintf("%s%d", key, round+1), fmt.Sprintf("%s %d", pname, round+1)
		}
		simplified := rng.IntN(3) == 0
		style := "classic"
		if simplified {
			style = "next-gen"
		}
		out[i] = project{id: strconv.Itoa(10000 + i), key: key, name: pname,
			typeKey: types[rng.IntN(len(types))], style: style, simplified: simplified}
	}
	slices.SortFunc(out, func(a, b project) int { return strings.Compare(a.key, b.key) })
	return out
}

func avatarURLs(base, kind, id string) map[string]string {
	out := map[string]string{}
	for _, size := range []string{"48x48", "24x24", "16x16", "32x32"} {
		out[size] = fmt.Sprintf("%s/secure/%savatar?size=%s&avatarId=%s", base, kind, size, id)
	}
	return out
}

// myself serves GET /rest/api/3/myself.
func (p *Provider) myself(w http.ResponseWriter, _ *http.Request, c call) {
	a := c.account
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"self":             c.base + "/rest/api/3/user?accountId=" + a.id,
		"accountId":        a.id,
		"accountType":      "atlassian",
		"emailAddress":     a.email,
		"avatarUrls":       avatarURLs(c.base, "user", a.id),
		"displayName":      a.displayName,
		"active":           true,
		"timeZone":         a.timeZone,
		"locale":           "en_US",
		"groups":           map[string]any{"size": 2, "items": []any{}},
		"applicationRoles": map[string]any{"size": 1, "items": []any{}},
		"expand":           "groups,applicationRoles",
	})
}

// searchProjects serves GET /rest/api/3/project/search, Jira's offset
// pagination with startAt and maxResults.
func (p *Provider) searchProjects(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	startAt, ok := intParam(w, q, "startAt", 0)
	if !ok {
		return
	}
	maxResults, ok := intParam(w, q, "maxResults", 50)
	if !ok {
		return
	}
	startAt = max(startAt, 0)
	if maxResults < 1 {
		maxResults = 50
	}
	maxResults = min(maxResults, 100)

	var matched []project
	query := strings.ToLower(q.Get("query"))
	for _, pr := range c.site.projects {
		if query == "" || strings.Contains(strings.ToLower(pr.key), query) || strings.Contains(strings.ToLower(pr.name), query) {
			matched = append(matched, pr)
		}
	}
	end := min(startAt+maxResults, len(matched))
	values := []map[string]any{}
	for _, pr := range matched[min(startAt, end):end] {
		values = append(values, map[string]any{
			"expand":         "description,lead,issueTypes,url,projectKeys,permissions,insight",
			"self":           c.base + "/rest/api/3/project/" + pr.id,
			"id":             pr.id,
			"key":            pr.key,
			"name":           pr.name,
			"avatarUrls":     avatarURLs(c.base, "project", pr.id),
			"projectTypeKey": pr.typeKey,
			"simplified":     pr.simplified,
			"style":          pr.style,
			"isPrivate":      false,
			"properties":     map[string]any{},
		})
	}
	page := func(start int) string {
		v := url.Values{"maxResults": {strconv.Itoa(maxResults)}, "startAt": {strconv.Itoa(start)}}
		if query != "" {
			v.Set("query", q.Get("query"))
		}
		return c.base + "/rest/api/3/project/search?" + v.Encode()
	}
	isLast := end >= len(matched)
	out := map[string]any{
		"self":       page(startAt),
		"maxResults": maxResults,
		"startAt":    startAt,
		"total":      len(matched),
		"isLast":     isLast,
		"values":     values,
	}
	if !isLast {
		out["nextPage"] = page(end)
	}
	sim.WriteJSON(w, http.StatusOK, out)
}

// intParam reads an integer query parameter, answering Jira's 400 itself
// when it is not one.
func intParam(w http.ResponseWriter, q url.Values, key string, def int) (int, bool) {
	v := q.Get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, fmt.Sprintf("The value '%s' is invalid for %s.", v, key))
		return 0, false
	}
	return n, true
}
