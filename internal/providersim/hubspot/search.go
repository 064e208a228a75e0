package hubspot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Search limits HubSpot documents.
const (
	searchMaxResults  = 10000 // paging past this many results is a 400
	searchMaxLimit    = 200
	searchMaxGroups   = 5
	searchMaxFilters  = 6 // per group
	searchMaxFiltersN = 18
)

// keyKind names the numeric properties search handles without a scan.
type keyKind int

const (
	keyNone keyKind = iota
	keyID
	keyCreated
	keyUpdated
)

func kindOf(prop string) keyKind {
	switch prop {
	case propID:
		return keyID
	case propCreated:
		return keyCreated
	case propModified, "hs_lastmodifieddate":
		return keyUpdated
	}
	return keyNone
}

// flexString accepts a JSON string, number or boolean, as HubSpot does for
// filter values and paging cursors.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decode value: %w", err)
	}
	switch v.(type) {
	case float64, bool:
		*f = flexString(string(b))
		return nil
	}
	return fmt.Errorf("value must be a string, number or boolean, got %s", b)
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []struct {
			PropertyName string       `json:"propertyName"`
			Operator     string       `json:"operator"`
			Value        flexString   `json:"value"`
			HighValue    flexString   `json:"highValue"`
			Values       []flexString `json:"values"`
		} `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []sortSpec `json:"sorts"`
	Query      string     `json:"query"`
	Properties []string   `json:"properties"`
	Limit      flexString `json:"limit"`
	After      flexString `json:"after"`
}

// sortSpec is {"propertyName":…, "direction":…}, or the older bare
// property name with an optional "-" for descending.
type sortSpec struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func (s *sortSpec) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		s.PropertyName, s.Direction = strings.TrimPrefix(name, "-"), "ASCENDING"
		if strings.HasPrefix(name, "-") {
			s.Direction = "DESCENDING"
		}
		return nil
	}
	type plain sortSpec
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return fmt.Errorf("decode sort: %w", err)
	}
	return nil
}

type filter struct {
	prop        string
	kind        keyKind
	op          string
	value, high string // lower-cased, for string comparisons
	values      []string
	num, high64 int64
	nums        []int64
}

// ranged reports whether the filter narrows the index range of generated
// contacts (see portal).
func (f *filter) ranged() bool {
	if f.kind == keyNone {
		return false
	}
	switch f.op {
	case "EQ", "GT", "GTE", "LT", "LTE", "BETWEEN":
		return true
	}
	return false
}

type group struct {
	filters  []filter
	lo, hi   int  // indices of generated contacts the ranged filters allow
	residual bool // some filter needs the contact itself
}

type query struct {
	groups   []group
	tokens   []string // the free-text query, lower-cased
	sortProp string
	sortKind keyKind
	desc     bool
	props    []string
	limit    int
	after    int
}

var operators = map[string]bool{
	"EQ": true, "NEQ": true, "LT": true, "LTE": true, "GT": true, "GTE": true, "BETWEEN": true,
	"IN": true, "NOT_IN": true, "HAS_PROPERTY": true, "NOT_HAS_PROPERTY": true,
	"CONTAINS_TOKEN": true, "NOT_CONTAINS_TOKEN": true,
}

// parseKey reads a filter value for a numeric property: an id, or a date
// as epoch milliseconds, RFC 3339 or YYYY-MM-DD.
func parseKey(k keyKind, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if k != keyID {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UnixMilli(), nil
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%q is not a valid value for this property", s)
}

// compile validates a search request and turns its filters into index
// ranges of pt's generated contacts. It reads only pt's fixed fields.
func (p *Provider) compile(pt *portal, req *searchRequest) (*query, error) {
	q := &query{limit: 10, sortProp: propID, sortKind: keyID}
	if req.Limit != "" {
		n, err := strconv.Atoi(string(req.Limit))
		if err != nil || n < 1 || n > searchMaxLimit {
			return nil, fmt.Errorf("limit must be an integer between 1 and %d, got %q", searchMaxLimit, string(req.Limit))
		}
		q.limit = n
	}
	if req.After != "" {
		n, err := strconv.Atoi(string(req.After))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("after must be a non-negative integer, got %q", string(req.After))
		}
		if n >= searchMaxResults {
			return nil, fmt.Errorf("search results are limited to %d; page %d is out of reach, narrow the filters instead", searchMaxResults, n)
		}
		q.after = n
	}
	if len(req.FilterGroups) > searchMaxGroups {
		return nil, fmt.Errorf("at most %d filterGroups are allowed, got %d", searchMaxGroups, len(req.FilterGroups))
	}
	total := 0
	for gi, fg := range req.FilterGroups {
		if len(fg.Filters) > searchMaxFilters {
			return nil, fmt.Errorf("filterGroups[%d]: at most %d filters are allowed per group, got %d", gi, searchMaxFilters, len(fg.Filters))
		}
		total += len(fg.Filters)
		g := group{lo: 0, hi: pt.size}
		for fi, raw := range fg.Filters {
			f := filter{prop: raw.PropertyName, kind: kindOf(raw.PropertyName), op: strings.ToUpper(raw.Operator),
				value: strings.ToLower(string(raw.Value)), high: strings.ToLower(string(raw.HighValue))}
			if f.prop == "" || !operators[f.op] {
				return nil, fmt.Errorf("filterGroups[%d].filters[%d]: a propertyName and a valid operator are required", gi, fi)
			}
			for _, v := range raw.Values {
				f.values = append(f.values, strings.ToLower(string(v)))
			}
			if err := f.parseKeys(raw.Value, raw.HighValue); err != nil {
				return nil, fmt.Errorf("filterGroups[%d].filters[%d]: %w", gi, fi, err)
			}
			if f.ranged() {
				p.narrow(pt, &g, &f)
			} else {
				g.residual = true
			}
			g.filters = append(g.filters, f)
		}
		q.groups = append(q.groups, g)
	}
	if total > searchMaxFiltersN {
		return nil, fmt.Errorf("at most %d filters are allowed in all, got %d", searchMaxFiltersN, total)
	}
	if len(req.Sorts) > 0 {
		s := req.Sorts[0] // HubSpot sorts by a single property
		switch strings.ToUpper(s.Direction) {
		case "", "ASCENDING":
		case "DESCENDING":
			q.desc = true
		default:
			return nil, fmt.Errorf("sort direction must be ASCENDING or DESCENDING, got %q", s.Direction)
		}
		q.sortProp, q.sortKind = s.PropertyName, kindOf(s.PropertyName)
	}
	q.tokens = strings.Fields(strings.ToLower(req.Query))
	q.props = req.Properties
	if len(q.props) == 0 {
		q.props = defaultProps
	}
	return q, nil
}

func (f *filter) parseKeys(value, high flexString) error {
	if f.kind == keyNone {
		return nil
	}
	var err error
	switch f.op {
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		return nil
	case "IN", "NOT_IN":
		for _, v := range f.values {
			n, err := parseKey(f.kind, v)
			if err != nil {
				return err
			}
			f.nums = append(f.nums, n)
		}
		return nil
	case "BETWEEN":
		if f.high64, err = parseKey(f.kind, string(high)); err != nil {
			return err
		}
	}
	f.num, err = parseKey(f.kind, string(value))
	return err
}

// narrow intersects g's index range with what a ranged filter allows; the
// generated values grow with the index, so each bound is a binary search.
func (p *Provider) narrow(pt *portal, g *group, f *filter) {
	atLeast := func(v int64) int { // first index whose value is ≥ v
		return sort.Search(pt.size, func(i int) bool { return p.baseKey(pt, f.kind, i) >= v })
	}
	above := func(v int64) int { // first index whose value is > v
		return sort.Search(pt.size, func(i int) bool { return p.baseKey(pt, f.kind, i) > v })
	}
	switch f.op {
	case "GT":
		g.lo = max(g.lo, above(f.num))
	case "GTE":
		g.lo = max(g.lo, atLeast(f.num))
	case "LT":
		g.hi = min(g.hi, atLeast(f.num))
	case "LTE":
		g.hi = min(g.hi, above(f.num))
	case "EQ":
		g.lo, g.hi = max(g.lo, atLeast(f.num)), min(g.hi, above(f.num))
	case "BETWEEN":
		g.lo, g.hi = max(g.lo, atLeast(f.num)), min(g.hi, above(f.high64))
	}
}

// match reports whether a contact passes the filters and the text query.
func (q *query) match(c *contact) bool {
	for _, t := range q.tokens {
		found := false
		for _, prop := range [...]string{"firstname", "lastname", "email", "phone", "company"} {
			if strings.Contains(strings.ToLower(c.props[prop]), t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(q.groups) == 0 {
		return true
	}
	for _, g := range q.groups {
		ok := true
		for i := range g.filters {
			if !g.filters[i].match(c) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (f *filter) match(c *contact) bool {
	if f.kind != keyNone {
		k := c.key(f.kind)
		switch f.op {
		case "EQ":
			return k == f.num
		case "NEQ":
			return k != f.num
		case "GT":
			return k > f.num
		case "GTE":
			return k >= f.num
		case "LT":
			return k < f.num
		case "LTE":
			return k <= f.num
		case "BETWEEN":
			return k >= f.num && k <= f.high64
		case "IN":
			return slices.Contains(f.nums, k)
		case "NOT_IN":
			return !slices.Contains(f.nums, k)
		}
	}
	v, ok := c.value(f.prop)
	v = strings.ToLower(v)
	switch f.op {
	case "HAS_PROPERTY":
		return ok
	case "NOT_HAS_PROPERTY":
		return !ok
	case "EQ":
		return ok && v == f.value
	case "NEQ":
		return !ok || v != f.value
	case "GT":
		return ok && compareValues(v, f.value) > 0
	case "GTE":
		return ok && compareValues(v, f.value) >= 0
	case "LT":
		return ok && compareValues(v, f.value) < 0
	case "LTE":
		return ok && compareValues(v, f.value) <= 0
	case "BETWEEN":
		return ok && compareValues(v, f.value) >= 0 && compareValues(v, f.high) <= 0
	case "IN":
		return ok && slices.Contains(f.values, v)
	case "NOT_IN":
		return !ok || !slices.Contains(f.values, v)
	case "CONTAINS_TOKEN":
		return ok && tokenMatch(v, f.value)
	case "NOT_CONTAINS_TOKEN":
		return !ok || !tokenMatch(v, f.value)
	}
	return false
}

// compareValues compares numerically when both sides are numbers.
func compareValues(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

// tokenMatch is CONTAINS_TOKEN: a "*" matches any run of characters;
// without one the token may appear anywhere in the value.
func tokenMatch(v, pattern string) bool {
	if !strings.Contains(pattern, "*") {
		return strings.Contains(v, pattern)
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(v, part)
		if i < 0 {
			return false
		}
		v = v[i+len(part):]
	}
	return strings.HasSuffix(v, parts[len(parts)-1])
}

// interval is a half-open range of indices.
type interval struct{ lo, hi int }

// intervals is the union of the groups' ranges, sorted and disjoint.
func (q *query) intervals(size int) []interval {
	if len(q.groups) == 0 {
		if size == 0 {
			return nil
		}
		return []interval{{0, size}}
	}
	var ivs []interval
	for _, g := range q.groups {
		if g.lo < g.hi {
			ivs = append(ivs, interval{g.lo, g.hi})
		}
	}
	slices.SortFunc(ivs, func(a, b interval) int { return cmp.Compare(a.lo, b.lo) })
	merged := ivs[:0]
	for _, iv := range ivs {
		if n := len(merged); n > 0 && iv.lo <= merged[n-1].hi {
			merged[n-1].hi = max(merged[n-1].hi, iv.hi)
			continue
		}
		merged = append(merged, iv)
	}
	return merged
}

func contains(ivs []interval, i int) bool {
	k := sort.Search(len(ivs), func(k int) bool { return ivs[k].hi > i })
	return k < len(ivs) && ivs[k].lo <= i
}

// hit is a search match with its sort value.
type hit struct {
	i   int
	id  int64
	c   *contact // nil for a generated contact not built yet
	num int64
	str string
	has bool
}

func (q *query) hitOf(i int, c *contact) hit {
	h := hit{i: i, id: c.id, c: c}
	if q.sortKind != keyNone {
		h.num, h.has = c.key(q.sortKind), true
	} else {
		h.str, h.has = c.value(q.sortProp)
		h.str = strings.ToLower(h.str)
	}
	return h
}

// compare orders hits by the sort property in the requested direction,
// contacts without the property last, then by id in the same direction.
func (q *query) compare(a, b hit) int {
	if a.has != b.has {
		if a.has {
			return -1
		}
		return 1
	}
	c := cmp.Compare(a.num, b.num)
	if q.sortKind == keyNone {
		c = strings.Compare(a.str, b.str)
	}
	if c == 0 {
		c = cmp.Compare(a.id, b.id)
	}
	if q.desc {
		return -c
	}
	return c
}

// search runs q on pt; the caller holds p.mu for reading. Contacts in the
// overlay are tested one by one; generated ones are taken from the index
// ranges without being built, unless a filter or the sort needs their
// other properties, in which case the ranges are scanned (O(size) time,
// and memory for the matches).
func (p *Provider) search(pt *portal, q *query) (int, []*contact) {
	ivs := q.intervals(pt.size)
	fast := q.sortKind != keyNone && len(q.tokens) == 0
	for _, g := range q.groups {
		fast = fast && !g.residual
	}
	var hits []hit
	shadowed := 0 // generated contacts in range that the overlay replaces
	for i, c := range pt.overlay {
		if i < pt.size && contains(ivs, i) {
			shadowed++
		}
		if !c.archived && q.match(c) {
			hits = append(hits, q.hitOf(i, c))
		}
	}
	if !fast {
		for _, iv := range ivs {
			for i := iv.lo; i < iv.hi; i++ {
				if _, ok := pt.overlay[i]; ok {
					continue
				}
				if c := p.generate(pt, i); q.match(c) {
					h := q.hitOf(i, c)
					h.c = nil // rebuilt for the page only, to keep a big scan light
					hits = append(hits, h)
				}
			}
		}
	}
	slices.SortFunc(hits, q.compare)
	if !fast {
		page := make([]*contact, 0, q.limit)
		for _, h := range hits[min(q.after, len(hits)):min(q.after+q.limit, len(hits))] {
			if h.c == nil {
				h.c = p.generate(pt, h.i)
			}
			page = append(page, h.c)
		}
		return len(hits), page
	}
	total := len(hits) - shadowed
	for _, iv := range ivs {
		total += iv.hi - iv.lo
	}
	return total, p.mergePage(pt, q, ivs, hits)
}

// mergePage walks the generated contacts of ivs (already in sort order)
// and the sorted overlay hits together, skipping q.after results. The
// generated contact's sort key is computed only when an overlay hit
// competes with it.
func (p *Provider) mergePage(pt *portal, q *query, ivs []interval, hits []hit) []*contact {
	page := make([]*contact, 0, q.limit)
	it := baseIter{ivs: ivs, desc: q.desc, overlay: pt.overlay}
	skip := q.after
	bi, bok := it.next()
	oi := 0
	for len(page) < q.limit && (bok || oi < len(hits)) {
		useBase := oi >= len(hits)
		if bok && !useBase {
			b := hit{i: bi, id: contactID(bi), num: p.baseKey(pt, q.sortKind, bi), has: true}
			useBase = q.compare(b, hits[oi]) < 0
		}
		switch {
		case useBase && skip > 0:
			skip--
		case useBase:
			page = append(page, p.generate(pt, bi))
		case skip > 0:
			skip--
		default:
			page = append(page, hits[oi].c)
		}
		if useBase {
			bi, bok = it.next()
		} else {
			oi++
		}
	}
	return page
}

// baseIter yields the indices of ivs in order (or reverse order), skipping
// those the overlay replaces.
type baseIter struct {
	ivs     []interval
	desc    bool
	overlay map[int]*contact
	pos     int // intervals started so far
	i, stop int // next index and where the current interval ends
}

func (it *baseIter) next() (int, bool) {
	for {
		if it.i == it.stop {
			if it.pos >= len(it.ivs) {
				return 0, false
			}
			if it.desc {
				iv := it.ivs[len(it.ivs)-1-it.pos]
				it.i, it.stop = iv.hi-1, iv.lo-1
			} else {
				iv := it.ivs[it.pos]
				it.i, it.stop = iv.lo, iv.hi
			}
			it.pos++
		}
		i := it.i
		if it.desc {
			it.i--
		} else {
			it.i++
		}
		if _, ok := it.overlay[i]; !ok {
			return i, true
		}
	}
}

// searchContacts serves POST /crm/v3/objects/contacts/search.
func (p *Provider) searchContacts(w http.ResponseWriter, r *http.Request, c call) {
	if !p.takeSearch(w, c.portal) {
		return
	}
	var req searchRequest
	if err := sim.ReadJSON(r, &req); err != nil {
		validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	pt := p.portal(c.portal)
	q, err := p.compile(pt, &req)
	if err != nil {
		validationError(w, err.Error())
		return
	}
	p.mu.RLock()
	total, page := p.search(pt, q)
	p.mu.RUnlock()

	var pg *paging
	if next := q.after + len(page); len(page) > 0 && next < total {
		pg = &paging{Next: &pagingNext{After: strconv.Itoa(next)}}
	}
	writePage(w, total, page, q.props, pg)
}
