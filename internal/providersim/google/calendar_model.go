package google

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// calendar is one user's primary calendar. seq numbers every change, so
// a sync token is just the seq it was issued at.
type calendar struct {
	user   string
	events []*event // creation order; event.ord indexes it
	byID   map[string]*event
	seq    int64
	rng    *rand.Rand // drives control-API changes and new ids
}

// eventTime is an event's start or end: a dateTime, or a date for
// all-day events.
type eventTime struct {
	dateTime time.Time
	date     string // 2006-01-02, all-day events only
	timeZone string
}

// instant is the time used to compare and order events; all-day dates
// count from midnight UTC, the simulated calendars' time zone.
func (t eventTime) instant() time.Time {
	if t.date != "" {
		d, _ := time.Parse(time.DateOnly, t.date)
		return d
	}
	return t.dateTime
}

func (t eventTime) add(d time.Duration) eventTime {
	if t.date != "" {
		t.date = t.instant().Add(d).Format(time.DateOnly)
		return t
	}
	t.dateTime = t.dateTime.Add(d)
	return t
}

func (t eventTime) json() map[string]any {
	if t.date != "" {
		return map[string]any{"date": t.date}
	}
	out := map[string]any{"dateTime": t.dateTime.Format(time.RFC3339)}
	if t.timeZone != "" {
		out["timeZone"] = t.timeZone
	}
	return out
}

// event is one event; weeks > 0 makes it a weekly series of that many
// occurrences (RRULE:FREQ=WEEKLY;COUNT=weeks).
type event struct {
	ord         int
	id          string
	status      string // confirmed, tentative or cancelled
	summary     string
	description string
	location    string
	start, end  eventTime
	created     time.Time
	updated     time.Time
	seq         int64 // calendar change number of the last change
	sequence    int   // iCalendar SEQUENCE, bumped by reschedules
	weeks       int
	attendees   []string
}

const week = 7 * 24 * time.Hour

// span is the time the event (all of a series) covers.
func (e *event) span() (time.Time, time.Time) {
	start, end := e.start.instant(), e.end.instant()
	if e.weeks > 1 {
		end = end.Add(time.Duration(e.weeks-1) * week)
	}
	return start, end
}

// base32hex is the alphabet of Calendar event ids.
const base32hex = "0123456789abcdefghijklmnopqrstuv"

func eventID(r *rand.Rand) string {
	b := make([]byte, 26)
	for i := range b {
		b[i] = base32hex[r.IntN(len(base32hex))]
	}
	return string(b)
}

// validEventID applies Calendar's rule for client-chosen ids: 5 to 1024
// base32hex characters.
func validEventID(id string) bool {
	if len(id) < 5 || len(id) > 1024 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !strings.ContainsRune(base32hex, rune(id[i])) {
			return false
		}
	}
	return true
}

var (
	meetingKinds  = []string{"Standup", "1:1", "Planning", "Design review", "Retro", "Customer call", "Lunch", "Interview", "All hands", "Demo", "Sync", "Offsite prep"}
	meetingTopics = []string{"Payments", "Onboarding", "Search", "Mobile", "Infra", "Growth", "Billing", "Data platform", "Security", "Support"}
	locations     = []string{"", "", "", "Room Ada", "Room Turing", "Zoom", "Google Meet", "Cafe across the street"}
	people        = []string{"bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"}
)

// genEvent draws one event around anchor: up to six months either side,
// one in ten all-day, one in twenty a weekly series.
func genEvent(r *rand.Rand, anchor time.Time, ord int) *event {
	e := &event{ord: ord, id: eventID(r), status: "confirmed"}
	day := anchor.AddDate(0, 0, r.IntN(361)-180)
	if r.IntN(10) == 0 {
		e.start = eventTime{date: day.Format(time.DateOnly)}
		e.end = eventTime{date: day.AddDate(0, 0, 1+r.IntN(2)).Format(time.DateOnly)}
		e.summary = []string{"Company holiday", "Out of office", "Conference", "Team offsite"}[r.IntN(4)]
	} else {
		start := day.Add(time.Duration(8+r.IntN(10))*time.Hour + time.Duration(r.IntN(4)*15)*time.Minute)
		dur := []time.Duration{30, 45, 60, 90, 120}[r.IntN(5)] * time.Minute
		e.start = eventTime{dateTime: start, timeZone: "UTC"}
		e.end = eventTime{dateTime: start.Add(dur), timeZone: "UTC"}
		e.summary = meetingTopics[r.IntN(len(meetingTopics))] + " " + meetingKinds[r.IntN(len(meetingKinds))]
		if r.IntN(20) == 0 {
			e.weeks = 4 + r.IntN(9)
		}
	}
	if r.IntN(20) == 0 {
		e.status = "tentative"
	}
	e.location = locations[r.IntN(len(locations))]
	if r.IntN(3) == 0 {
		e.description = "Agenda: " + strings.ToLower(meetingTopics[r.IntN(len(meetingTopics))]) + " updates and open questions."
	}
	for n := r.IntN(4); n > 0; n-- {
		e.attendees = append(e.attendees, people[r.IntN(len(people))]+"@example.com")
	}
	// Created before it starts (or before now, for future events), updated
	// some time after creation but never after the anchor.
	first := e.start.instant()
	if first.After(anchor) {
		first = anchor
	}
	e.created = first.Add(-time.Duration(1+r.IntN(60*24*30)) * time.Minute)
	e.updated = e.created.Add(time.Duration(r.Int64N(int64(anchor.Sub(e.created)) + 1)))
	return e
}

func rfc3339Millis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (e *event) etag() string {
	return `"` + strconv.FormatInt(e.updated.UnixMicro()*10+int64(e.sequence%10), 10) + `"`
}

// json renders the event, or occurrence k of a series (k >= 0), the way
// Calendar does. Cancelled events carry only what Google guarantees for
// them: id and status.
func (c *calendar) eventJSON(e *event, k int) map[string]any {
	id := e.id
	start, end := e.start, e.end
	if k >= 0 {
		start, end = start.add(time.Duration(k)*week), end.add(time.Duration(k)*week)
		id = instanceID(e, start)
	}
	out := map[string]any{"kind": "calendar#event", "etag": e.etag(), "id": id, "status": e.status}
	if k >= 0 {
		out["recurringEventId"] = e.id
		out["originalStartTime"] = start.json()
	}
	if e.status == "cancelled" {
		return out
	}
	out["htmlLink"] = "https://www.google.com/calendar/event?eid=" + base64.RawURLEncoding.EncodeToString([]byte(id+" "+c.user))
	out["created"] = rfc3339Millis(e.created)
	out["updated"] = rfc3339Millis(e.updated)
	out["summary"] = e.summary
	if e.description != "" {
		out["description"] = e.description
	}
	if e.location != "" {
		out["location"] = e.location
	}
	self := map[string]any{"email": c.user, "self": true}
	out["creator"], out["organizer"] = self, self
	out["start"], out["end"] = start.json(), end.json()
	if e.weeks > 0 && k < 0 {
		out["recurrence"] = []string{fmt.Sprintf("RRULE:FREQ=WEEKLY;COUNT=%d", e.weeks)}
	}
	out["iCalUID"] = e.id + "@google.com"
	out["sequence"] = e.sequence
	if len(e.attendees) > 0 {
		att := make([]any, 0, len(e.attendees)+1)
		att = append(att, map[string]any{"email": c.user, "organizer": true, "self": true, "responseStatus": "accepted"})
		for _, a := range e.attendees {
			att = append(att, map[string]any{"email": a, "responseStatus": "needsAction"})
		}
		out["attendees"] = att
	}
	out["reminders"] = map[string]any{"useDefault": true}
	out["eventType"] = "default"
	return out
}

// instanceID is Calendar's id for one occurrence of a series: the series
// id, "_", and the occurrence's original start.
func instanceID(e *event, start eventTime) string {
	if start.date != "" {
		return e.id + "_" + strings.ReplaceAll(start.date, "-", "")
	}
	return e.id + "_" + start.dateTime.UTC().Format("20060102T150405Z")
}

// newCalendar generates user's calendar: n events, each drawn from its own
// generator so the data depends only on the seed, the user and the index.
func newCalendar(user string, n int, anchor time.Time, item func(i int) *rand.Rand, changes *rand.Rand) *calendar {
	c := &calendar{user: user, byID: make(map[string]*event, n), rng: changes}
	for i := 0; i < n; i++ {
		e := genEvent(item(i), anchor, i)
		if c.byID[e.id] != nil {
			continue // 26 base32hex characters: never in practice
		}
		c.add(e)
	}
	return c
}

func (c *calendar) add(e *event) {
	e.ord = len(c.events)
	c.events = append(c.events, e)
	c.byID[e.id] = e
}

// touch records a change to e at now.
func (c *calendar) touch(e *event, now time.Time) {
	c.seq++
	e.seq = c.seq
	e.updated = now
}

// live returns the events not cancelled, in creation order.
func (c *calendar) live() []*event {
	out := make([]*event, 0, len(c.events))
	for _, e := range c.events {
		if e.status != "cancelled" {
			out = append(out, e)
		}
	}
	return out
}

// changeSet is what one control-API change request did.
type changeSet struct {
	Created []string `json:"created"`
	Updated []string `json:"updated"`
	Deleted []string `json:"deleted"`
}

// simulateChanges creates, reschedules and deletes events as a user
// would, picking which with the calendar's own generator so that a run is
// reproducible.
func (c *calendar) simulateChanges(create, update, del int, anchor, now time.Time) changeSet {
	cs := changeSet{Created: []string{}, Updated: []string{}, Deleted: []string{}}
	for range create {
		e := genEvent(c.rng, anchor, len(c.events))
		if c.byID[e.id] != nil {
			continue
		}
		e.created = now
		c.add(e)
		c.touch(e, now)
		cs.Created = append(cs.Created, e.id)
	}
	pick := func(n int) []*event {
		live := c.live()
		c.rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		return live[:min(n, len(live))]
	}
	for _, e := range pick(update) {
		e.start, e.end = e.start.add(time.Hour), e.end.add(time.Hour)
		if !strings.HasSuffix(e.summary, " (moved)") {
			e.summary += " (moved)"
		}
		e.sequence++
		c.touch(e, now)
		cs.Updated = append(cs.Updated, e.id)
	}
	for _, e := range pick(del) {
		e.status = "cancelled"
		c.touch(e, now)
		cs.Deleted = append(cs.Deleted, e.id)
	}
	return cs
}
