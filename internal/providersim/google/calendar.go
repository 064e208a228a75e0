package google

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const (
	defaultMaxResults = 250
	maxMaxResults     = 2500
	msgFullSync       = "Sync token is no longer valid, a full sync is required."
)

func (p *Provider) mountCalendar(mux *http.ServeMux) {
	mux.HandleFunc("GET /google/calendar/v3/users/me/calendarList", p.calendarList)
	mux.HandleFunc("GET /google/calendar/v3/calendars/{calendarId}/events", p.listEvents)
	mux.HandleFunc("POST /google/calendar/v3/calendars/{calendarId}/events", p.insertEvent)
	mux.HandleFunc("GET /google/calendar/v3/calendars/{calendarId}/events/{eventId}", p.getEvent)
	mux.HandleFunc("DELETE /google/calendar/v3/calendars/{calendarId}/events/{eventId}", p.deleteEvent)
}

func calendarError(w http.ResponseWriter, code int, reason, message string) {
	writeError(w, calendarStyle, code, reason, message)
}

// calendarFor returns user's calendar, generating it on first use; the
// caller holds calMu.
func (p *Provider) calendarFor(user string) *calendar {
	if c := p.calendars[user]; c != nil {
		return c
	}
	scope := "google/calendar/" + user
	c := newCalendar(user, p.opts.Events, p.anchorTime(),
		func(i int) *rand.Rand { return p.s.ItemRand(scope, i) },
		p.s.Rand("google/calendar-changes/"+user))
	p.calendars[user] = c
	return c
}

// userCalendar resolves the calendarId path value ("primary" or the
// user's address) and locks calMu; on failure it has answered 404 and
// released the lock.
func (p *Provider) userCalendar(w http.ResponseWriter, r *http.Request, user string) (*calendar, bool) {
	id := r.PathValue("calendarId")
	if id != "primary" && !strings.EqualFold(id, user) {
		calendarError(w, http.StatusNotFound, "notFound", "Not Found")
		return nil, false
	}
	p.calMu.Lock()
	return p.calendarFor(user), true
}

func (p *Provider) calendarList(w http.ResponseWriter, r *http.Request) {
	g, ok := p.authenticate(w, r, calendarStyle, append(fullScopes("calendar.calendarlist.readonly"), calendarRead...))
	if !ok {
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"kind": "calendar#calendarList",
		"etag": `"` + strconv.FormatUint(sim.Hash("google/calendarList", g.Subject)%1e15, 10) + `"`,
		"items": []any{map[string]any{
			"kind": "calendar#calendarListEntry", "id": g.Subject, "summary": g.Subject,
			"timeZone": "UTC", "accessRole": "owner", "primary": true,
			"defaultReminders": []any{map[string]any{"method": "popup", "minutes": 10}},
		}},
	})
}

// syncToken is what a Calendar sync token encodes: the calendar's change
// number when it was issued, when, and the expiry epoch then in force.
type syncToken struct {
	User   string `json:"u"`
	Seq    int64  `json:"s"`
	Issued int64  `json:"t"`
	Epoch  int    `json:"e"`
}

// pageToken continues a listing after the key of its last item.
type pageToken struct {
	After    [3]int64 `json:"a"`
	Snapshot int64    `json:"n"` // the calendar's seq when the listing began
	Since    int64    `json:"f"` // for incremental listings, the sync token's seq
	Sync     bool     `json:"i"`
	Query    uint64   `json:"q"` // hash of the query, so a token cannot cross queries
}

func encodeToken(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, v) == nil
}

// listQuery is a validated events.list request.
type listQuery struct {
	maxResults  int
	single      bool
	orderBy     string
	showDeleted bool
	timeMin     time.Time
	timeMax     time.Time
	updatedMin  time.Time
	text        string
	syncToken   string
	pageToken   string
}

// parseListQuery validates events.list parameters; on failure it returns
// a reason and message for a 400.
func parseListQuery(q url.Values) (lq listQuery, reason, msg string) {
	lq.maxResults = defaultMaxResults
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return lq, "invalid", fmt.Sprintf("Invalid value '%s'. Values must be within the range: [1, 2500]", v)
		}
		lq.maxResults = min(n, maxMaxResults) // Calendar caps larger pages silently
	}
	lq.single = q.Get("singleEvents") == "true"
	lq.showDeleted = q.Get("showDeleted") == "true"
	lq.orderBy = q.Get("orderBy")
	switch lq.orderBy {
	case "", "updated":
	case "startTime":
		if !lq.single {
			return lq, "badRequest", "The requested ordering is not available for the particular query."
		}
	default:
		return lq, "invalid", fmt.Sprintf("Invalid value for: %s", lq.orderBy)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"timeMin", &lq.timeMin}, {"timeMax", &lq.timeMax}, {"updatedMin", &lq.updatedMin}} {
		if v := q.Get(f.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return lq, "badRequest", "Bad Request"
			}
			*f.dst = t
		}
	}
	if !lq.timeMin.IsZero() && !lq.timeMax.IsZero() && !lq.timeMin.Before(lq.timeMax) {
		return lq, "timeRangeEmpty", "The specified time range is empty."
	}
	lq.text = strings.ToLower(q.Get("q"))
	lq.syncToken, lq.pageToken = q.Get("syncToken"), q.Get("pageToken")
	if lq.syncToken != "" {
		// A sync token already fixes the result set; Calendar refuses
		// parameters that would change it.
		for _, name := range []string{"orderBy", "q", "timeMin", "timeMax", "updatedMin", "iCalUID", "privateExtendedProperty", "sharedExtendedProperty"} {
			if q.Has(name) {
				return lq, "invalid", fmt.Sprintf("Parameter %s cannot be used together with syncToken.", name)
			}
		}
	}
	return lq, "", ""
}

// hash fingerprints what a page token depends on. The sync token is left
// out: clients may or may not repeat it beside a page token.
func (lq listQuery) hash(calendarUser string) uint64 {
	return sim.Hash(calendarUser, strconv.FormatBool(lq.single), lq.orderBy, strconv.FormatBool(lq.showDeleted),
		lq.timeMin.String(), lq.timeMax.String(), lq.updatedMin.String(), lq.text)
}

// listed is one item of a listing: an event, or occurrence k of a series.
type listed struct {
	e   *event
	k   int
	key [3]int64
}

func (p *Provider) listEvents(w http.ResponseWriter, r *http.Request) {
	g, ok := p.authenticate(w, r, calendarStyle, calendarRead)
	if !ok {
		return
	}
	lq, reason, msg := parseListQuery(r.URL.Query())
	if msg != "" {
		calendarError(w, http.StatusBadRequest, reason, msg)
		return
	}
	c, ok := p.userCalendar(w, r, g.Subject)
	if !ok {
		return
	}
	defer p.calMu.Unlock()
	now := p.s.Clock.Now()

	pt := pageToken{Snapshot: c.seq, After: [3]int64{math.MinInt64, math.MinInt64, math.MinInt64}, Query: lq.hash(c.user)}
	if lq.pageToken != "" {
		var got pageToken
		if !decodeToken(lq.pageToken, &got) || got.Query != pt.Query {
			calendarError(w, http.StatusBadRequest, "invalid", "Invalid page token value.")
			return
		}
		pt = got
	} else if lq.syncToken != "" {
		var st syncToken
		if !decodeToken(lq.syncToken, &st) {
			calendarError(w, http.StatusBadRequest, "invalid", "Invalid sync token value.")
			return
		}
		expired := st.Epoch < p.syncEpoch || st.User != c.user || st.Seq > c.seq ||
			!now.Before(time.Unix(0, st.Issued).Add(p.opts.SyncTokenTTL))
		if expired {
			sim.Annotate(r, "calendar_sync", "expired")
			writeAPIError(w, apiError{Code: http.StatusGone, Message: msgFullSync, Errors: []errorItem{{
				Domain: "calendar", Reason: "fullSyncRequired", Message: msgFullSync, LocationType: "parameter", Location: "syncToken",
			}}})
			return
		}
		pt.Sync, pt.Since = true, st.Seq
	}
	if pt.Sync {
		sim.Annotate(r, "calendar_sync", "incremental")
	} else {
		sim.Annotate(r, "calendar_sync", "full")
	}

	items := c.listItems(lq, pt)
	page := items[:min(len(items), lq.maxResults)]
	out := map[string]any{
		"kind":             "calendar#events",
		"etag":             `"` + strconv.FormatInt(c.seq, 10) + `"`,
		"summary":          c.user,
		"updated":          rfc3339Millis(now),
		"timeZone":         "UTC",
		"accessRole":       "owner",
		"defaultReminders": []any{map[string]any{"method": "popup", "minutes": 10}},
	}
	itemsJSON := make([]any, len(page))
	for i, it := range page {
		itemsJSON[i] = c.eventJSON(it.e, it.k)
	}
	out["items"] = itemsJSON
	if len(items) > len(page) {
		next := pt
		next.After = page[len(page)-1].key
		out["nextPageToken"] = encodeToken(next)
	} else {
		out["nextSyncToken"] = encodeToken(syncToken{User: c.user, Seq: pt.Snapshot, Issued: now.UnixNano(), Epoch: p.syncEpoch})
	}
	sim.WriteJSON(w, http.StatusOK, out)
}

// listItems returns the items of a listing after the page token's key, in
// order. A full listing filters by the query; an incremental one returns
// every event changed since the sync token, cancelled ones included.
func (c *calendar) listItems(lq listQuery, pt pageToken) []listed {
	var items []listed
	emit := func(e *event, k int, start time.Time) {
		var key [3]int64
		switch lq.orderBy {
		case "startTime":
			key = [3]int64{start.UnixNano(), int64(e.ord), int64(k)}
		case "updated":
			key = [3]int64{e.updated.UnixNano(), int64(e.ord), int64(k)}
		default:
			key = [3]int64{int64(e.ord), int64(k), 0}
		}
		if cmpKey(key, pt.After) > 0 {
			items = append(items, listed{e: e, k: k, key: key})
		}
	}
	for _, e := range c.events {
		if pt.Sync {
			if e.seq <= pt.Since {
				continue
			}
		} else if !lq.matches(e) {
			continue
		}
		if !lq.single || e.weeks == 0 || e.status == "cancelled" {
			emit(e, -1, e.start.instant())
			continue
		}
		for k := range e.weeks {
			start := e.start.add(time.Duration(k) * week).instant()
			end := e.end.add(time.Duration(k) * week).instant()
			if pt.Sync || lq.overlaps(start, end) {
				emit(e, k, start)
			}
		}
	}
	slices.SortFunc(items, func(a, b listed) int { return cmpKey(a.key, b.key) })
	return items
}

func cmpKey(a, b [3]int64) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	if c := cmp.Compare(a[1], b[1]); c != 0 {
		return c
	}
	return cmp.Compare(a[2], b[2])
}

// matches applies a full listing's filters to an event (a whole series).
func (lq listQuery) matches(e *event) bool {
	if e.status == "cancelled" && !lq.showDeleted && lq.updatedMin.IsZero() {
		return false // updatedMin always brings deletions since then
	}
	if !lq.updatedMin.IsZero() && e.updated.Before(lq.updatedMin) {
		return false
	}
	if lq.text != "" && !strings.Contains(strings.ToLower(e.summary+"\n"+e.description+"\n"+e.location), lq.text) {
		return false
	}
	return lq.overlaps(e.span())
}

// overlaps applies timeMin (exclusive bound on the end) and timeMax
// (exclusive bound on the start).
func (lq listQuery) overlaps(start, end time.Time) bool {
	if !lq.timeMin.IsZero() && !end.After(lq.timeMin) {
		return false
	}
	return lq.timeMax.IsZero() || start.Before(lq.timeMax)
}

// timeBody is a start or end in a request.
type timeBody struct {
	DateTime string `json:"dateTime"`
	Date     string `json:"date"`
	TimeZone string `json:"timeZone"`
}

func (t *timeBody) parse() (eventTime, bool) {
	switch {
	case t.Date != "" && t.DateTime != "":
		return eventTime{}, false
	case t.Date != "":
		if _, err := time.Parse(time.DateOnly, t.Date); err != nil {
			return eventTime{}, false
		}
		return eventTime{date: t.Date}, true
	}
	if dt, err := time.Parse(time.RFC3339, t.DateTime); err == nil {
		return eventTime{dateTime: dt, timeZone: t.TimeZone}, true
	}
	// Without an offset the time is read in the given time zone.
	if t.TimeZone == "" {
		return eventTime{}, false
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return eventTime{}, false
	}
	dt, err := time.ParseInLocation("2006-01-02T15:04:05", t.DateTime, loc)
	if err != nil {
		return eventTime{}, false
	}
	return eventTime{dateTime: dt, timeZone: t.TimeZone}, true
}

func (p *Provider) insertEvent(w http.ResponseWriter, r *http.Request) {
	g, ok := p.authenticate(w, r, calendarStyle, calendarWrite)
	if !ok {
		return
	}
	var body struct {
		ID          string    `json:"id"`
		Summary     string    `json:"summary"`
		Description string    `json:"description"`
		Location    string    `json:"location"`
		Status      string    `json:"status"`
		Start       *timeBody `json:"start"`
		End         *timeBody `json:"end"`
		Recurrence  []string  `json:"recurrence"`
		Attendees   []struct {
			Email string `json:"email"`
		} `json:"attendees"`
	}
	if !readBody(w, r, calendarStyle, &body) {
		return
	}
	e := &event{id: body.ID, status: "confirmed", summary: body.Summary, description: body.Description, location: body.Location}
	var okStart, okEnd bool
	switch {
	case body.Start == nil || body.Start.Date == "" && body.Start.DateTime == "":
		calendarError(w, http.StatusBadRequest, "required", "Missing start time.")
		return
	case body.End == nil || body.End.Date == "" && body.End.DateTime == "":
		calendarError(w, http.StatusBadRequest, "required", "Missing end time.")
		return
	}
	e.start, okStart = body.Start.parse()
	e.end, okEnd = body.End.parse()
	switch {
	case !okStart || !okEnd:
		calendarError(w, http.StatusBadRequest, "invalid", "Invalid start or end time.")
		return
	case (e.start.date == "") != (e.end.date == ""):
		calendarError(w, http.StatusBadRequest, "invalid", "Start and end times must either both be date or both be dateTime.")
		return
	case !e.end.instant().After(e.start.instant()):
		calendarError(w, http.StatusBadRequest, "timeRangeEmpty", "The specified time range is empty.")
		return
	}
	switch body.Status {
	case "", "confirmed":
	case "tentative":
		e.status = body.Status
	default:
		calendarError(w, http.StatusBadRequest, "invalid", "Invalid value for: "+body.Status)
		return
	}
	for _, rule := range body.Recurrence {
		var n int
		if _, err := fmt.Sscanf(rule, "RRULE:FREQ=WEEKLY;COUNT=%d", &n); err != nil || n < 1 || e.start.date != "" {
			calendarError(w, http.StatusBadRequest, "invalidRecurrence",
				"Invalid recurrence rule: the simulator supports RRULE:FREQ=WEEKLY;COUNT=n on timed events.")
			return
		}
		e.weeks = n
	}
	for _, a := range body.Attendees {
		e.attendees = append(e.attendees, a.Email)
	}
	c, ok := p.userCalendar(w, r, g.Subject)
	if !ok {
		return
	}
	defer p.calMu.Unlock()
	switch {
	case e.id == "":
		for e.id == "" || c.byID[e.id] != nil {
			e.id = eventID(c.rng)
		}
	case !validEventID(e.id):
		calendarError(w, http.StatusBadRequest, "invalid", "Invalid resource id value.")
		return
	case c.byID[e.id] != nil:
		calendarError(w, http.StatusConflict, "duplicate", "The requested identifier already exists.")
		return
	}
	now := p.s.Clock.Now()
	e.created = now
	c.add(e)
	c.touch(e, now)
	sim.WriteJSON(w, http.StatusOK, c.eventJSON(e, -1))
}

// findEvent resolves an event id, or an occurrence id "<series>_<start>".
func (c *calendar) findEvent(id string) (*event, int) {
	if e := c.byID[id]; e != nil {
		return e, -1
	}
	series, _, found := strings.Cut(id, "_")
	e := c.byID[series]
	if !found || e == nil || e.weeks == 0 {
		return nil, 0
	}
	for k := range e.weeks {
		if instanceID(e, e.start.add(time.Duration(k)*week)) == id {
			return e, k
		}
	}
	return nil, 0
}

func (p *Provider) getEvent(w http.ResponseWriter, r *http.Request) {
	g, ok := p.authenticate(w, r, calendarStyle, calendarRead)
	if !ok {
		return
	}
	c, ok := p.userCalendar(w, r, g.Subject)
	if !ok {
		return
	}
	defer p.calMu.Unlock()
	e, k := c.findEvent(r.PathValue("eventId"))
	if e == nil {
		calendarError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	sim.WriteJSON(w, http.StatusOK, c.eventJSON(e, k))
}

// deleteEvent cancels an event; deleting it again is 410 Gone, as in
// Calendar.
func (p *Provider) deleteEvent(w http.ResponseWriter, r *http.Request) {
	g, ok := p.authenticate(w, r, calendarStyle, calendarWrite)
	if !ok {
		return
	}
	c, ok := p.userCalendar(w, r, g.Subject)
	if !ok {
		return
	}
	defer p.calMu.Unlock()
	e := c.byID[r.PathValue("eventId")]
	switch {
	case e == nil:
		calendarError(w, http.StatusNotFound, "notFound", "Not Found")
	case e.status == "cancelled":
		calendarError(w, http.StatusGone, "deleted", "Resource has been deleted")
	default:
		e.status = "cancelled"
		c.touch(e, p.s.Clock.Now())
		w.WriteHeader(http.StatusNoContent)
	}
}
