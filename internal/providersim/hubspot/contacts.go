package hubspot

import (
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// portal returns the portal, creating it at the default size on first use.
func (p *Provider) portal(id int64) *portal {
	p.mu.RLock()
	pt := p.portals[id]
	p.mu.RUnlock()
	if pt != nil {
		return pt
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.portalLocked(id)
}

// portalLocked is portal for callers holding p.mu for writing.
func (p *Provider) portalLocked(id int64) *portal {
	pt := p.portals[id]
	if pt == nil {
		pt = newPortal(id, p.opts.DefaultContacts)
		p.portals[id] = pt
	}
	return pt
}

// contactJSON is HubSpot's SimplePublicObject.
type contactJSON struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt,omitempty"`
}

// render selects props of c. HubSpot always adds the id and the two
// timestamps, answers null for a known property without a value and
// ignores unknown names.
func render(c *contact, props []string) contactJSON {
	names := pageProps(props)
	out := make(map[string]*string, len(names))
	for _, name := range names {
		if v, ok := c.value(name); ok {
			out[name] = &v
		} else {
			out[name] = nil
		}
	}
	j := contactJSON{ID: strconv.FormatInt(c.id, 10), Properties: out, CreatedAt: isoMillis(c.created), UpdatedAt: isoMillis(c.updated), Archived: c.archived}
	if c.archived {
		j.ArchivedAt = isoMillis(c.archivedAt)
	}
	return j
}

// requestedProps reads the properties parameter: comma-separated, possibly
// repeated; absent means the default set.
func requestedProps(values []string) []string {
	var props []string
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" && !slices.Contains(props, name) {
				props = append(props, name)
			}
		}
	}
	if len(props) == 0 {
		return defaultProps
	}
	return props
}

// encodeCursor makes the list cursor: the id to resume at, base64-encoded
// so clients treat it as opaque.
func encodeCursor(id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		if id, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			return id, true
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

func parseLimit(s string, def, maximum int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maximum {
		return 0, fmt.Errorf("limit must be an integer between 1 and %d, got %q", maximum, s)
	}
	return n, nil
}

// listContacts serves GET /crm/v3/objects/contacts: contacts in id order
// from the cursor, archived ones only when archived=true.
func (p *Provider) listContacts(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	// HubSpot documents 100 as the page maximum; a larger limit is refused
	// rather than silently shortened, so a client asking for more notices.
	limit, err := parseLimit(q.Get("limit"), 10, 100)
	if err != nil {
		validationError(w, err.Error())
		return
	}
	archived := q.Get("archived") == "true"
	start := 0
	if a := q.Get("after"); a != "" {
		id, ok := decodeCursor(a)
		if !ok {
			validationError(w, "the after cursor is not valid")
			return
		}
		start = int(min(max(id-firstID, 0), math.MaxInt32))
	}
	props := requestedProps(q["properties"])
	pt := p.portal(c.portal)

	p.mu.RLock()
	var page []*contact
	next := -1
	if archived {
		page, next = p.archivedPage(pt, start, limit)
	} else {
		page, next = p.livePage(pt, start, limit)
	}
	p.mu.RUnlock()

	var pg *paging
	if next >= 0 {
		after := encodeCursor(contactID(next))
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", after)
		pg = &paging{Next: &pagingNext{After: after, Link: p.s.BaseURL() + r.URL.Path + "?" + nq.Encode()}}
	}
	writePage(w, -1, page, props, pg)
}

type paging struct {
	Next *pagingNext `json:"next"`
}

type pagingNext struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// livePage returns up to limit unarchived contacts from index start and the
// index the next page starts at (-1: none). Indices past size are all in
// the overlay, so only generated contacts are built.
func (p *Provider) livePage(pt *portal, start, limit int) ([]*contact, int) {
	page := make([]*contact, 0, limit)
	i := start
	for ; i < pt.end() && len(page) < limit; i++ {
		if c, ok := pt.overlay[i]; ok {
			if !c.archived {
				page = append(page, c)
			}
			continue
		}
		page = append(page, p.generate(pt, i))
	}
	for i < pt.end() {
		if c, ok := pt.overlay[i]; ok && c.archived {
			i++
			continue
		}
		return page, i
	}
	return page, -1
}

// archivedPage is livePage for archived=true; archived contacts are all
// in the overlay.
func (p *Provider) archivedPage(pt *portal, start, limit int) ([]*contact, int) {
	var idx []int
	for i, c := range pt.overlay {
		if c.archived && i >= start {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	page := make([]*contact, 0, min(limit, len(idx)))
	for _, i := range idx[:min(limit, len(idx))] {
		page = append(page, pt.overlay[i])
	}
	if len(idx) > limit {
		return page, idx[limit]
	}
	return page, -1
}

// lookup finds a contact by id, or by email when idProperty=email.
func (p *Provider) lookup(pt *portal, key, idProperty string) (int, *contact, bool) {
	if idProperty == "email" {
		c, ok := p.findEmail(pt, key)
		if !ok {
			return 0, nil, false
		}
		i, _ := pt.index(c.id)
		return i, c, true
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, nil, false
	}
	i, ok := pt.index(id)
	if !ok {
		return 0, nil, false
	}
	return i, p.at(pt, i), true
}

// getContact serves GET /crm/v3/objects/contacts/{contactId}.
func (p *Provider) getContact(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	pt := p.portal(c.portal)
	p.mu.RLock()
	_, ct, ok := p.lookup(pt, r.PathValue("contactId"), q.Get("idProperty"))
	p.mu.RUnlock()
	if !ok || ct.archived != (q.Get("archived") == "true") {
		notFound(w)
		return
	}
	sim.WriteJSON(w, http.StatusOK, render(ct, requestedProps(q["properties"])))
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found", nil)
}

// readProperties decodes {"properties":{…}} and validates the names
// against the schema; on failure it has answered the request.
func readProperties(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	var body struct {
		Properties map[string]any `json:"properties"`
	}
	if err := sim.ReadJSON(r, &body); err != nil {
		validationError(w, "Invalid input JSON: "+err.Error())
		return nil, false
	}
	props := make(map[string]string, len(body.Properties))
	var problems []map[string]any
	for k, v := range body.Properties {
		switch {
		case readOnlyProp(k):
			problems = append(problems, map[string]any{"message": fmt.Sprintf("%q is a read-only property", k), "code": "READ_ONLY_VALUE", "context": map[string][]string{"propertyName": {k}}})
			continue
		case !writableProps[k]:
			problems = append(problems, map[string]any{"message": fmt.Sprintf("Property %q does not exist", k), "code": "PROPERTY_DOESNT_EXIST", "context": map[string][]string{"propertyName": {k}}})
			continue
		}
		switch v := v.(type) {
		case nil:
			props[k] = ""
		case string:
			props[k] = v
		default:
			props[k] = fmt.Sprint(v)
		}
		if k == "email" && props[k] != "" && !strings.Contains(props[k], "@") {
			problems = append(problems, map[string]any{"message": fmt.Sprintf("Email address %s is invalid", props[k]), "code": "INVALID_EMAIL", "context": map[string][]string{"propertyName": {k}}})
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b map[string]any) int { return strings.Compare(a["message"].(string), b["message"].(string)) })
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Property values were not valid", map[string]any{"errors": problems})
		return nil, false
	}
	return props, true
}

func conflict(w http.ResponseWriter, existing int64) {
	writeError(w, http.StatusConflict, "CONFLICT", fmt.Sprintf("Contact already exists. Existing ID: %d", existing), nil)
}

func (p *Provider) nowMillis() int64 { return p.s.Clock.Now().UnixMilli() }

// createContact serves POST /crm/v3/objects/contacts; a live contact with
// the same email is a 409 naming it.
func (p *Provider) createContact(w http.ResponseWriter, r *http.Request, c call) {
	props, ok := readProperties(w, r)
	if !ok {
		return
	}
	for k, v := range props {
		if v == "" {
			delete(props, k)
		}
	}
	now := p.nowMillis()
	p.mu.Lock()
	pt := p.portalLocked(c.portal)
	if dup, found := p.findEmail(pt, props["email"]); found {
		p.mu.Unlock()
		conflict(w, dup.id)
		return
	}
	i := pt.end()
	pt.added++
	ct := &contact{id: contactID(i), props: props, created: now, updated: now}
	pt.put(i, ct)
	ev := p.event(pt.id, subCreation, ct.id, "", nil, "API", now)
	p.mu.Unlock()
	p.deliver(ev)

	names := slices.Collect(maps.Keys(props))
	sim.WriteJSON(w, http.StatusCreated, render(ct, append(names, defaultProps...)))
}

// updateContact serves PATCH /crm/v3/objects/contacts/{contactId}.
func (p *Provider) updateContact(w http.ResponseWriter, r *http.Request, c call) {
	props, ok := readProperties(w, r)
	if !ok {
		return
	}
	now := p.nowMillis()
	p.mu.Lock()
	pt := p.portalLocked(c.portal)
	i, old, found := p.lookup(pt, r.PathValue("contactId"), r.URL.Query().Get("idProperty"))
	if !found || old.archived {
		p.mu.Unlock()
		notFound(w)
		return
	}
	if e := props["email"]; e != "" && !strings.EqualFold(e, old.props["email"]) {
		if dup, taken := p.findEmail(pt, e); taken {
			p.mu.Unlock()
			conflict(w, dup.id)
			return
		}
	}
	ct := old.clone()
	var events []event
	names := slices.Sorted(maps.Keys(props))
	for _, k := range names {
		v := props[k]
		if ct.props[k] == v {
			continue
		}
		if v == "" {
			delete(ct.props, k)
		} else {
			ct.props[k] = v
		}
		events = append(events, p.event(pt.id, subPropertyChange, ct.id, k, &v, "API", now))
	}
	ct.updated = now
	pt.put(i, ct)
	p.mu.Unlock()
	p.deliver(events...)
	sim.WriteJSON(w, http.StatusOK, render(ct, append(names, defaultProps...)))
}

// archiveContact serves DELETE /crm/v3/objects/contacts/{contactId}; like
// HubSpot it answers 204 whether or not there was anything to archive.
func (p *Provider) archiveContact(w http.ResponseWriter, r *http.Request, c call) {
	now := p.nowMillis()
	p.mu.Lock()
	pt := p.portalLocked(c.portal)
	var events []event
	if i, old, found := p.lookup(pt, r.PathValue("contactId"), ""); found && !old.archived {
		ct := old.clone()
		ct.archived, ct.archivedAt = true, now
		pt.put(i, ct)
		events = []event{p.event(pt.id, subDeletion, ct.id, "", nil, "API", now)}
	}
	p.mu.Unlock()
	p.deliver(events...)
	w.WriteHeader(http.StatusNoContent)
}
