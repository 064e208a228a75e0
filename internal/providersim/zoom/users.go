package zoom

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// account is one Zoom account's generated users; they never change after
// generation, so handlers read them without the lock.
type account struct {
	id     string
	number int64
	users  []user // the owner first
}

type user struct {
	id, first, last, email, status, roleID, dept, timezone string
	typ                                                    int
	pmi                                                    int64
	created, lastLogin                                     time.Time
}

var (
	firstNames = []string{"Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai", "Logan", "Morgan", "Quinn", "Riley", "Sage"}
	lastNames  = []string{"Nguyen", "Garcia", "Smith", "Kim", "Okafor", "Rossi", "Novak", "Silva", "Meyer", "Tanaka", "Haddad", "Johansson"}
	depts      = []string{"", "Engineering", "Sales", "Support", "Marketing"}
	timezones  = []string{"America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo"}
	// epoch is when generated users start to be created; fixed so a seed
	// always gives the same dates.
	epoch = time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)
)

// newAccount generates an account's users, as many as the control API
// sized it to.
func (p *Provider) newAccount(id string) *account {
	n := p.opts.Users
	p.mu.Lock()
	if size, ok := p.sizes[id]; ok {
		n = size
	}
	p.mu.Unlock()
	a := &account{id: id, number: 1000000000 + int64(sim.Hash("zoom-account", id)%9000000000), users: make([]user, n)}
	domain := strings.ToLower(id) + ".example.com"
	for i := range a.users {
		rng := p.s.ItemRand("zoom/"+id+"/users", i)
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		u := user{
			id:       zoomID(rng),
			first:    first,
			last:     last,
			email:    fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ToLower(last), i, domain),
			status:   "active",
			roleID:   "2",
			typ:      1,
			dept:     depts[rng.IntN(len(depts))],
			timezone: timezones[rng.IntN(len(timezones))],
			pmi:      1000000000 + rng.Int64N(9000000000),
			created:  epoch.Add(time.Duration(i) * 26 * time.Hour),
		}
		u.lastLogin = u.created.Add(time.Duration(rng.IntN(400*24)) * time.Hour)
		switch {
		case i == 0:
			u.roleID, u.typ = "0", 2 // the owner, licensed
		case i%11 == 10:
			u.status = "inactive"
		case i%13 == 12:
			u.status = "pending"
		case rng.IntN(3) == 0:
			u.typ = 2
		}
		a.users[i] = u
	}
	return a
}

// zoomID makes a 22-character id like Zoom's user ids.
func zoomID(rng *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

const timeFormat = "2006-01-02T15:04:05Z"

func (u user) render() map[string]any {
	return map[string]any{
		"id":              u.id,
		"first_name":      u.first,
		"last_name":       u.last,
		"display_name":    u.first + " " + u.last,
		"email":           u.email,
		"type":            u.typ,
		"pmi":             u.pmi,
		"timezone":        u.timezone,
		"verified":        1,
		"dept":            u.dept,
		"created_at":      u.created.Format(timeFormat),
		"user_created_at": u.created.Format(timeFormat),
		"last_login_time": u.lastLogin.Format(timeFormat),
		"language":        "en-US",
		"phone_number":    "",
		"status":          u.status,
		"role_id":         u.roleID,
	}
}

// pageTokenTTL is how long a next_page_token stays valid, per Zoom's docs.
const pageTokenTTL = 15 * time.Minute

// listUsers serves GET /v2/users with next_page_token pagination.
func (p *Provider) listUsers(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = "active"
	}
	if status != "active" && status != "inactive" && status != "pending" {
		apiError(w, http.StatusBadRequest, 300, "Invalid field: status.")
		return
	}
	pageSize := 30
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			apiError(w, http.StatusBadRequest, 300, "Invalid field: page_size.")
			return
		}
		pageSize = min(n, 300)
	}
	now := p.s.Clock.Now()
	offset := 0
	if tok := q.Get("next_page_token"); tok != "" {
		var ok bool
		if offset, ok = readPageToken(tok, c.account.id, status, now); !ok {
			apiError(w, http.StatusBadRequest, 300, "The next page token is invalid or expired.")
			return
		}
	}
	var matched []user
	for _, u := range c.account.users {
		if u.status == status {
			matched = append(matched, u)
		}
	}
	offset = min(offset, len(matched))
	end := min(offset+pageSize, len(matched))
	users := make([]map[string]any, 0, end-offset)
	for _, u := range matched[offset:end] {
		users = append(users, u.render())
	}
	next := ""
	if end < len(matched) {
		next = pageToken(c.account.id, status, end, now.Add(pageTokenTTL))
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"page_count":      (len(matched) + pageSize - 1) / pageSize,
		"page_number":     offset/pageSize + 1,
		"page_size":       pageSize,
		"total_records":   len(matched),
		"next_page_token": next,
		"users":           users,
	})
}

// pageToken encodes where the next page starts; it is opaque to clients
// and, like Zoom's, only valid for the same listing and for a while.
func pageToken(accountID, status string, offset int, expires time.Time) string {
	raw := fmt.Sprintf("%s|%s|%d|%d", accountID, status, offset, expires.Unix())
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func readPageToken(tok, accountID, status string, now time.Time) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != accountID || parts[1] != status {
		return 0, false
	}
	offset, err1 := strconv.Atoi(parts[2])
	expires, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || offset < 0 || !now.Before(time.Unix(expires, 0)) {
		return 0, false
	}
	return offset, true
}

// getUser serves GET /v2/users/{userId}: "me", an id or an email.
func (p *Provider) getUser(w http.ResponseWriter, r *http.Request, c call) {
	id := r.PathValue("userId")
	var found *user
	for i, u := range c.account.users {
		if id == "me" && i == 0 || u.id == id || strings.EqualFold(u.email, id) {
			found = &c.account.users[i]
			break
		}
	}
	if found == nil {
		apiError(w, http.StatusNotFound, 1001, fmt.Sprintf("User does not exist: %s.", id))
		return
	}
	out := found.render()
	role := "Member"
	if found.roleID == "0" {
		role = "Owner"
	}
	out["role_name"] = role
	out["use_pmi"] = false
	out["personal_meeting_url"] = fmt.Sprintf("https://zoom.us/j/%d", found.pmi)
	out["account_id"] = c.account.id
	out["account_number"] = c.account.number
	out["cluster"] = "us06"
	out["group_ids"] = []string{}
	out["im_group_ids"] = []string{}
	out["login_types"] = []int{100}
	sim.WriteJSON(w, http.StatusOK, out)
}
