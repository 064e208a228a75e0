package hubspot

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// controlPortal serves POST /_control/hubspot/portals: it (re)creates a
// portal with the given number of generated contacts, dropping its
// changes. Nothing is generated until read, so a million is instant.
func (p *Provider) controlPortal(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PortalID int64 `json:"portal_id"`
		Contacts *int  `json:"contacts"`
	}
	if !decodeStrict(w, r, &body) {
		return
	}
	if body.Contacts == nil || *body.Contacts < 0 || *body.Contacts > maxContacts {
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("contacts must be between 0 and %d", maxContacts)})
		return
	}
	if body.PortalID < 0 {
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "portal_id must be positive"})
		return
	}
	if body.PortalID == 0 {
		body.PortalID = p.opts.PortalID
	}
	p.mu.Lock()
	p.portals[body.PortalID] = newPortal(body.PortalID, *body.Contacts)
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, map[string]any{"portal_id": body.PortalID, "contacts": *body.Contacts})
}

// controlPortalInfo serves GET /_control/hubspot/portals/{portalId}: the
// portal's size and how many contacts were changed, created and archived.
func (p *Provider) controlPortalInfo(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("portalId"), 10, 64)
	if err != nil || id <= 0 {
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "portal id must be a positive integer"})
		return
	}
	pt := p.portal(id)
	p.mu.RLock()
	defer p.mu.RUnlock()
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"portal_id": id,
		"contacts":  pt.size,
		"created":   pt.added,
		"archived":  pt.archived,
		"changed":   len(pt.overlay),
		"live":      pt.end() - pt.archived,
	})
}

// controlModify serves POST /_control/hubspot/modify: it changes the names
// of `modify` live contacts, archives `delete` others and creates
// `create` new ones, all at the simulated now, and answers the ids. The
// choice of contacts and the new values depend only on the seed, the
// portal and how many modify calls the portal has had. Each change sends
// its webhook event.
func (p *Provider) controlModify(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PortalID int64 `json:"portal_id"`
		Modify   int   `json:"modify"`
		Delete   int   `json:"delete"`
		Create   int   `json:"create"`
	}
	if !decodeStrict(w, r, &body) {
		return
	}
	const most = 100000
	if body.Modify < 0 || body.Delete < 0 || body.Create < 0 || body.Modify+body.Delete+body.Create > most {
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("modify, delete and create must be non-negative and at most %d together", most)})
		return
	}
	if body.PortalID <= 0 {
		body.PortalID = p.opts.PortalID
	}
	now := p.nowMillis()
	out := map[string][]string{"modified": {}, "deleted": {}, "created": {}}
	var events []event

	p.mu.Lock()
	pt := p.portalLocked(body.PortalID)
	rng := p.s.Rand(fmt.Sprintf("hubspot/portal/%d/modify/%d", pt.id, pt.ops))
	pt.ops++
	picked := map[int]bool{}
	for range body.Modify {
		i, ok := pickLive(pt, rng, picked)
		if !ok {
			break
		}
		c := p.at(pt, i).clone()
		first, last := renamed(rng, c.props["firstname"], firstNames), renamed(rng, c.props["lastname"], lastNames)
		c.props["firstname"], c.props["lastname"], c.updated = first, last, now
		pt.put(i, c)
		events = append(events,
			p.event(pt.id, subPropertyChange, c.id, "firstname", &first, "CRM_UI", now),
			p.event(pt.id, subPropertyChange, c.id, "lastname", &last, "CRM_UI", now))
		out["modified"] = append(out["modified"], strconv.FormatInt(c.id, 10))
	}
	for range body.Delete {
		i, ok := pickLive(pt, rng, picked)
		if !ok {
			break
		}
		c := p.at(pt, i).clone()
		c.archived, c.archivedAt = true, now
		pt.put(i, c)
		events = append(events, p.event(pt.id, subDeletion, c.id, "", nil, "CRM_UI", now))
		out["deleted"] = append(out["deleted"], strconv.FormatInt(c.id, 10))
	}
	for range body.Create {
		i := pt.end()
		pt.added++
		c := p.generate(pt, i)
		c.created, c.updated = now, now
		pt.put(i, c)
		events = append(events, p.event(pt.id, subCreation, c.id, "", nil, "CRM_UI", now))
		out["created"] = append(out["created"], strconv.FormatInt(c.id, 10))
	}
	p.mu.Unlock()

	p.deliver(events...)
	sim.WriteJSON(w, http.StatusOK, out)
}

// pickLive picks a random live contact not picked yet; after a random
// start it probes forward, so it ends even when most are archived.
func pickLive(pt *portal, rng *rand.Rand, picked map[int]bool) (int, bool) {
	end := pt.end()
	if end-pt.archived-len(picked) <= 0 {
		return 0, false
	}
	for i := rng.IntN(end); ; i = (i + 1) % end {
		if c, ok := pt.overlay[i]; picked[i] || ok && c.archived {
			continue
		}
		picked[i] = true
		return i, true
	}
}

// renamed draws a value from names that differs from the current one.
func renamed(rng *rand.Rand, current string, names []string) string {
	for {
		if n := names[rng.IntN(len(names))]; n != current {
			return n
		}
	}
}

// decodeStrict reads a control request: a JSON body with no unknown
// fields (an empty body leaves v as is); it answers 400 itself.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		sim.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON body: " + err.Error()})
		return false
	}
	return true
}
