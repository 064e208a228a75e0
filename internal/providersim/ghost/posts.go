package ghost

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

type post struct {
	id, uuid, title, slug, status, excerpt string
	featured                               bool
	created, updated, published            time.Time // published is zero for drafts
}

var (
	adjectives = []string{"Quiet", "Practical", "Unexpected", "Small", "Honest", "Slow", "Better", "Remote", "Open", "Simple"}
	topics     = []string{"Writing", "Gardening", "Newsletters", "Coffee", "Cycling", "Typography", "Cooking", "Photography", "Podcasts", "Hiking"}
	// epoch is when generated posts start; fixed so a seed always gives
	// the same dates.
	epoch = time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC)
)

// generatePosts makes a site's posts from the seed, in Ghost's default
// Admin API order: drafts first, then by published_at and updated_at,
// newest first.
func (p *Provider) generatePosts(site string) ([]post, map[string]int) {
	posts := make([]post, p.opts.Posts)
	for i := range posts {
		rng := p.s.ItemRand("ghost/"+site+"/posts", i)
		id := make([]byte, 12)
		for j := range id {
			id[j] = byte(rng.UintN(256))
		}
		u := make([]byte, 16)
		for j := range u {
			u[j] = byte(rng.UintN(256))
		}
		title := fmt.Sprintf("%s %s, part %d", adjectives[rng.IntN(len(adjectives))], topics[rng.IntN(len(topics))], i+1)
		pt := post{
			id:       hex.EncodeToString(id),
			uuid:     uuid.Must(uuid.FromBytes(u)).String(),
			title:    title,
			slug:     slug(title),
			status:   "published",
			featured: rng.IntN(8) == 0,
			created:  epoch.Add(time.Duration(i)*31*time.Hour + time.Duration(rng.IntN(3600))*time.Second),
		}
		pt.excerpt = "Notes on " + strings.ToLower(title) + "."
		pt.updated = pt.created.Add(time.Duration(rng.IntN(72)) * time.Hour)
		if i%6 == 5 {
			pt.status = "draft"
		} else {
			pt.published = pt.updated
		}
		posts[i] = pt
	}
	slices.SortStableFunc(posts, func(a, b post) int {
		if a.status != b.status {
			return strings.Compare(a.status, b.status) // "draft" < "published"
		}
		if c := b.published.Compare(a.published); c != 0 {
			return c
		}
		return b.updated.Compare(a.updated)
	})
	byID := make(map[string]int, len(posts))
	for i, pt := range posts {
		byID[pt.id] = i
	}
	return posts, byID
}

func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

const timeFormat = "2006-01-02T15:04:05.000Z"

func (pt post) render(siteURL string) map[string]any {
	url := siteURL + pt.slug + "/"
	var published any
	if pt.status == "draft" {
		url = siteURL + "p/" + pt.uuid + "/"
	} else {
		published = pt.published.Format(timeFormat)
	}
	return map[string]any{
		"id":             pt.id,
		"uuid":           pt.uuid,
		"title":          pt.title,
		"slug":           pt.slug,
		"html":           "<p>" + pt.excerpt + "</p>",
		"comment_id":     pt.id,
		"feature_image":  nil,
		"featured":       pt.featured,
		"status":         pt.status,
		"visibility":     "public",
		"created_at":     pt.created.Format(timeFormat),
		"updated_at":     pt.updated.Format(timeFormat),
		"published_at":   published,
		"custom_excerpt": nil,
		"url":            url,
		"excerpt":        pt.excerpt,
		"reading_time":   1,
		"tags":           []any{},
		"authors":        []any{},
	}
}

// siteInfo serves GET /ghost/api/admin/site/.
func (p *Provider) siteInfo(w http.ResponseWriter, _ *http.Request, c call) {
	sim.WriteJSON(w, http.StatusOK, map[string]any{"site": map[string]any{
		"title":        strings.ToUpper(c.site.name[:1]) + c.site.name[1:],
		"description":  "Thoughts, stories and ideas.",
		"logo":         nil,
		"icon":         nil,
		"accent_color": "#FF1A75",
		"locale":       "en",
		"url":          c.url,
		"version":      version,
	}})
}

// listPosts serves GET /ghost/api/admin/posts/ with page and limit.
func (p *Provider) listPosts(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	total := len(c.site.posts)
	limit, page := 15, 1
	var limitOut any = limit
	switch v := q.Get("limit"); {
	case v == "all":
		limit, limitOut = max(total, 1), "all"
	case v != "":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			validationError(w, "limit")
			return
		}
		limit, limitOut = n, n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			validationError(w, "page")
			return
		}
		page = n
	}
	pages := max((total+limit-1)/limit, 1)
	start := min((page-1)*limit, total)
	end := min(start+limit, total)
	out := make([]map[string]any, 0, end-start)
	for _, pt := range c.site.posts[start:end] {
		out = append(out, pt.render(c.url))
	}
	var next, prev any
	if page < pages {
		next = page + 1
	}
	if page > 1 {
		prev = page - 1
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"posts": out,
		"meta": map[string]any{"pagination": map[string]any{
			"page": page, "limit": limitOut, "pages": pages, "total": total, "next": next, "prev": prev,
		}},
	})
}

func validationError(w http.ResponseWriter, param string) {
	writeError(w, http.StatusUnprocessableEntity, "ValidationError", "", "Validation error, cannot list posts.",
		fmt.Sprintf("Validation (isInt) failed for %s", param))
}

// getPost serves GET /ghost/api/admin/posts/{id}/.
func (p *Provider) getPost(w http.ResponseWriter, r *http.Request, c call) {
	i, ok := c.site.byID[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", "", "Resource not found error, cannot read post.", "Post not found.")
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"posts": []any{c.site.posts[i].render(c.url)}})
}
