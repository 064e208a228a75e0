package trello

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// member is a Trello member and their boards, generated from the seed and
// the username on first use.
type member struct {
	id, username, fullName string
	boards                 []*board
}

type board struct {
	id, name, desc, shortLink, background string
	closed, starred                       bool
	lastActivity                          time.Time
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen"}
	boardNames = []string{"Product Roadmap", "Sprint Board", "Bug Triage", "Marketing Calendar", "Hiring Pipeline",
		"Launch Checklist", "Design Reviews", "Customer Feedback", "Personal", "Reading List", "Ops Runbook", "Team Offsite"}
	backgrounds = []string{"blue", "orange", "green", "red", "purple", "pink", "lime", "sky", "grey"}
)

// generatedEpoch anchors generated dates, so the same seed gives the same
// data whatever the day.
var generatedEpoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// objectID is a Trello id: 24 hex digits, the first 8 the creation time.
func objectID(t time.Time, rng *rand.Rand) string {
	return fmt.Sprintf("%08x%016x", uint32(t.Unix()), rng.Uint64())
}

func shortLink(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 8)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// memberLocked returns the member with username, generating them and their
// boards on first use. p.mu must be held.
func (p *Provider) memberLocked(username string) *member {
	if m, ok := p.members[username]; ok {
		return m
	}
	rng := p.s.Rand("trello/member/" + username)
	joined := generatedEpoch.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
	m := &member{
		id:       objectID(joined, rng),
		username: username,
		fullName: firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
	}
	names := rng.Perm(len(boardNames))
	for i := range p.opts.Boards {
		created := joined.Add(time.Duration(rng.IntN(365*24)) * time.Hour)
		name := boardNames[names[i%len(boardNames)]]
		if i >= len(boardNames) {
			name = fmt.Sprintf("%s %d", name, i/len(boardNames)+1)
		}
		m.boards = append(m.boards, &board{
			id:           objectID(created, rng),
			name:         name,
			shortLink:    shortLink(rng),
			background:   backgrounds[rng.IntN(len(backgrounds))],
			starred:      i == 0,
			closed:       i == p.opts.Boards-1, // one archived board, as real accounts have
			lastActivity: created.Add(time.Duration(rng.IntN(90*24*60)) * time.Minute),
		})
	}
	p.members[username] = m
	return m
}

// addBoardLocked creates a board for m at the simulated now. p.mu must be
// held.
func (p *Provider) addBoardLocked(m *member, name, desc string) *board {
	rng := p.s.Rand(fmt.Sprintf("trello/member/%s/board/%d", m.username, len(m.boards)))
	now := p.s.Clock.Now()
	b := &board{
		id:           objectID(now, rng),
		name:         name,
		desc:         desc,
		shortLink:    shortLink(rng),
		background:   backgrounds[rng.IntN(len(backgrounds))],
		lastActivity: now,
	}
	m.boards = append(m.boards, b)
	return b
}

func initials(fullName string) string {
	var b strings.Builder
	for _, w := range strings.Fields(fullName) {
		b.WriteString(strings.ToUpper(w[:1]))
	}
	return b.String()
}

func (m *member) json(withEmail bool) map[string]any {
	ids := make([]string, len(m.boards))
	for i, b := range m.boards {
		ids[i] = b.id
	}
	var email any
	if withEmail {
		email = m.username + "@example.com"
	}
	return map[string]any{
		"id":              m.id,
		"username":        m.username,
		"fullName":        m.fullName,
		"initials":        initials(m.fullName),
		"url":             "https://trello.com/" + m.username,
		"avatarUrl":       nil,
		"bio":             "",
		"confirmed":       true,
		"memberType":      "normal",
		"status":          "disconnected",
		"email":           email,
		"idBoards":        ids,
		"idOrganizations": []string{},
	}
}

func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func (b *board) json() map[string]any {
	return map[string]any{
		"id":               b.id,
		"name":             b.name,
		"desc":             b.desc,
		"closed":           b.closed,
		"starred":          b.starred,
		"pinned":           false,
		"idOrganization":   nil,
		"shortLink":        b.shortLink,
		"url":              "https://trello.com/b/" + b.shortLink + "/" + slug(b.name),
		"shortUrl":         "https://trello.com/b/" + b.shortLink,
		"dateLastActivity": b.lastActivity.UTC().Format("2006-01-02T15:04:05.000Z"),
		"prefs":            map[string]any{"permissionLevel": "private", "background": b.background},
	}
}
