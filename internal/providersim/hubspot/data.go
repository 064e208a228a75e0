package hubspot

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// firstID is the id of a portal's first generated contact; contact i has
// id firstID+i, so ids follow creation order as HubSpot's do.
const firstID = 1001

// maxContacts bounds a portal's size so that the generated timestamps stay
// at least a millisecond apart.
const maxContacts = 100_000_000

// Generated contacts are created between 2019 and 2024 and last modified
// during 2024, both in id order. Everything changed through the API or the
// control API is modified "now" on the simulated clock, which is later, so
// an incremental sync's lastmodifieddate watermark always moves forward.
var (
	createdFrom  = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	createdUntil = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	updatedFrom  = createdUntil
	updatedUntil = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// portal is one HubSpot account's contacts. Contact i < size is generated
// from the seed on demand; only contacts changed after generation (and
// those created later, at indices size, size+1, …) are stored, in overlay.
//
// The generated createdate and lastmodifieddate both grow strictly with i:
// contact i's values lie in the i-th of size equal slots of their time
// span. That makes every filter on id, createdate or lastmodifieddate a
// range of indices found by binary search, and a sort by any of them the
// index order, so a million-contact portal needs no index, no sort and no
// memory beyond its overlay. The trade-off is realism: generated contacts
// were last modified in the order they were created. Changed contacts
// break that order, as they do on HubSpot.
type portal struct {
	id          int64
	size        int
	scope       string // the seed scope of the generated contacts
	createdStep int64  // ms per slot of the createdate span
	updatedStep int64  // ms per slot of the lastmodifieddate span

	overlay  map[int]*contact
	added    int            // contacts created after generation
	emails   map[string]int // lower-cased email → index of overlay contacts
	ops      int            // control modify calls so far, to vary their choices
	archived int
}

func newPortal(id int64, size int) *portal {
	size = min(max(size, 0), maxContacts)
	slots := int64(max(size, 1))
	return &portal{
		id:          id,
		size:        size,
		scope:       fmt.Sprintf("hubspot/portal/%d/contacts", id),
		createdStep: (createdUntil - createdFrom) / slots,
		updatedStep: (updatedUntil - updatedFrom) / slots,
		overlay:     map[int]*contact{},
		emails:      map[string]int{},
	}
}

// end is one past the last index in use.
func (pt *portal) end() int { return pt.size + pt.added }

func contactID(i int) int64 { return firstID + int64(i) }

// index returns the index of a contact id in use.
func (pt *portal) index(id int64) (int, bool) {
	i := id - firstID
	if i < 0 || i >= int64(pt.end()) {
		return 0, false
	}
	return int(i), true
}

// contact is one contact's state. Timestamps are Unix milliseconds, the
// precision HubSpot keeps.
type contact struct {
	id         int64
	props      map[string]string // writable properties with a value
	created    int64
	updated    int64
	archived   bool
	archivedAt int64
}

// clone returns a copy to change; overlay contacts are copy-on-write.
func (c *contact) clone() *contact {
	n := *c
	n.props = make(map[string]string, len(c.props)+2)
	for k, v := range c.props {
		n.props[k] = v
	}
	return &n
}

// Contact properties. The read-only ones are computed from the contact's
// fields; the writable ones live in props.
const (
	propID       = "hs_object_id"
	propCreated  = "createdate"
	propModified = "lastmodifieddate"
)

// writableProps is the contact property schema; creating or updating a
// contact with any other property is a validation error, as on HubSpot.
var writableProps = map[string]bool{
	"firstname": true, "lastname": true, "email": true, "phone": true, "company": true,
	"jobtitle": true, "city": true, "lifecyclestage": true, "website": true,
}

func readOnlyProp(p string) bool {
	return p == propID || p == propCreated || p == propModified || p == "hs_lastmodifieddate"
}

// defaultProps are returned when a request names no properties.
var defaultProps = []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}

// value returns a property's value; ok is false when the contact has none.
func (c *contact) value(prop string) (string, bool) {
	switch prop {
	case propID:
		return strconv.FormatInt(c.id, 10), true
	case propCreated:
		return isoMillis(c.created), true
	case propModified, "hs_lastmodifieddate":
		return isoMillis(c.updated), true
	}
	v, ok := c.props[prop]
	return v, ok && v != ""
}

// key returns a sortable numeric property.
func (c *contact) key(k keyKind) int64 {
	switch k {
	case keyCreated:
		return c.created
	case keyUpdated:
		return c.updated
	}
	return c.id
}

// millisLayout is how HubSpot writes times: UTC, milliseconds.
const millisLayout = "2006-01-02T15:04:05.000Z"

func isoMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(millisLayout)
}

// baseTimes draws contact i's generated createdate and lastmodifieddate;
// they are the first draws of the contact's stream so that search can
// compute them without generating the rest.
func (pt *portal) baseTimes(r *rand.Rand, i int) (created, updated int64) {
	created = createdFrom + int64(i)*pt.createdStep + r.Int64N(pt.createdStep)
	updated = updatedFrom + int64(i)*pt.updatedStep + r.Int64N(pt.updatedStep)
	return created, updated
}

// baseKey is the generated value of a sortable property of contact i,
// without building the contact.
func (p *Provider) baseKey(pt *portal, k keyKind, i int) int64 {
	if k == keyID || k == keyNone {
		return contactID(i)
	}
	created, updated := pt.baseTimes(p.s.ItemRand(pt.scope, i), i)
	if k == keyCreated {
		return created
	}
	return updated
}

// generate builds contact i from the seed. Indices past size (contacts
// created later) use the same stream; their caller sets the timestamps.
func (p *Provider) generate(pt *portal, i int) *contact {
	r := p.s.ItemRand(pt.scope, i)
	created, updated := pt.baseTimes(r, i)
	first := firstNames[r.IntN(len(firstNames))]
	last := lastNames[r.IntN(len(lastNames))]
	company := companies[r.IntN(len(companies))]
	c := &contact{id: contactID(i), created: created, updated: updated, props: map[string]string{
		"firstname":      first,
		"lastname":       last,
		"email":          generatedEmail(first, last, contactID(i), domains[r.IntN(len(domains))]),
		"phone":          fmt.Sprintf("+1 555 %03d %04d", r.IntN(1000), r.IntN(10000)),
		"company":        company.name,
		"jobtitle":       jobTitles[r.IntN(len(jobTitles))],
		"city":           cities[r.IntN(len(cities))],
		"lifecyclestage": stages[r.IntN(len(stages))],
	}}
	// Not every contact has a website, so HAS_PROPERTY and null values
	// have something to find.
	if r.IntN(10) < 7 {
		c.props["website"] = "https://www." + company.domain
	}
	return c
}

// generatedEmail embeds the contact id, which keeps generated addresses
// unique and lets a duplicate check find the owner without a scan.
func generatedEmail(first, last string, id int64, domain string) string {
	local := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	return fmt.Sprintf("%s.%s.%d@%s", local(first), local(last), id, domain)
}

// at returns contact i (i < end) as it is now.
func (p *Provider) at(pt *portal, i int) *contact {
	if c, ok := pt.overlay[i]; ok {
		return c
	}
	return p.generate(pt, i)
}

// put stores a changed contact, keeping the archived count and the email
// index right.
func (pt *portal) put(i int, c *contact) {
	if old, ok := pt.overlay[i]; ok {
		if old.archived {
			pt.archived--
		}
		if e := strings.ToLower(old.props["email"]); pt.emails[e] == i {
			delete(pt.emails, e)
		}
	}
	if c.archived {
		pt.archived++
	}
	if e := strings.ToLower(c.props["email"]); e != "" {
		pt.emails[e] = i
	}
	pt.overlay[i] = c
}

// findEmail returns the live contact with this email, if any.
func (p *Provider) findEmail(pt *portal, email string) (*contact, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, false
	}
	if i, ok := pt.emails[email]; ok {
		if c := pt.overlay[i]; c != nil && !c.archived && strings.EqualFold(c.props["email"], email) {
			return c, true
		}
	}
	// A generated address names its contact: first.last.<id>@domain.
	local, _, _ := strings.Cut(email, "@")
	dot := strings.LastIndexByte(local, '.')
	id, err := strconv.ParseInt(local[dot+1:], 10, 64)
	if err != nil {
		return nil, false
	}
	i, ok := pt.index(id)
	if !ok {
		return nil, false
	}
	c := p.at(pt, i)
	if c.archived || !strings.EqualFold(c.props["email"], email) {
		return nil, false
	}
	return c, true
}

type companyName struct{ name, domain string }

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
		"Radia", "Donald", "Katherine", "John", "Hedy", "Tim", "Sophie", "Bjarne", "Anita", "Guido",
		"Shafi", "Vint", "Joan", "Niklaus", "Lynn", "Robert", "Mary", "Leslie", "Karen", "Brian"}
	lastNames = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "Dijkstra",
		"Perlman", "Knuth", "Johnson", "McCarthy", "Lamarr", "Berners-Lee", "Wilson", "Stroustrup", "Borg", "Van Rossum",
		"Goldwasser", "Cerf", "Clarke", "Wirth", "Conway", "Kahn", "Keller", "Lamport", "Sparck", "Kernighan"}
	companies = []companyName{{"Acme Corp", "acme.example"}, {"Globex", "globex.example"}, {"Initech", "initech.example"},
		{"Umbrella", "umbrella.example"}, {"Hooli", "hooli.example"}, {"Vandelay Industries", "vandelay.example"},
		{"Stark Industries", "stark.example"}, {"Wayne Enterprises", "wayne.example"}, {"Soylent", "soylent.example"},
		{"Tyrell", "tyrell.example"}}
	domains   = []string{"example.com", "example.net", "example.org", "mail.example", "inbox.example"}
	jobTitles = []string{"Engineer", "Product Manager", "Designer", "CTO", "CEO", "Sales Lead", "Marketing Manager", "Analyst", "Support Lead", "Founder"}
	cities    = []string{"Boston", "Dublin", "Berlin", "Paris", "Singapore", "Sydney", "Toronto", "Tokyo", "Austin", "Lisbon"}
	stages    = []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}
)
