package google

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func (p *Provider) mountControl(mux *http.ServeMux) {
	mux.HandleFunc("POST /_control/google/expire-sync-tokens", p.expireSyncTokens)
	mux.HandleFunc("POST /_control/google/calendar/changes", p.calendarChanges)
	mux.HandleFunc("POST /_control/google/gmail/messages", p.deliverMail)
	mux.HandleFunc("POST /_control/google/gmail/trim-history", p.trimHistory)
}

// expireSyncTokens invalidates every Calendar sync token issued so far,
// as Google does at will; the next incremental sync gets 410.
func (p *Provider) expireSyncTokens(w http.ResponseWriter, r *http.Request) {
	p.calMu.Lock()
	p.syncEpoch++
	epoch := p.syncEpoch
	p.calMu.Unlock()
	sim.WriteJSON(w, http.StatusOK, map[string]int{"epoch": epoch})
}

// calendarChanges creates, reschedules and deletes events in a user's
// primary calendar, for incremental-sync tests.
func (p *Provider) calendarChanges(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User   string `json:"user"`
		Create int    `json:"create"`
		Update int    `json:"update"`
		Delete int    `json:"delete"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Create < 0 || body.Update < 0 || body.Delete < 0 || body.Create > 100_000 {
		sim.ControlError(w, "create, update and delete must be between 0 and 100000")
		return
	}
	if body.User == "" {
		body.User = DefaultUser
	}
	p.calMu.Lock()
	defer p.calMu.Unlock()
	c := p.calendarFor(body.User)
	cs := c.simulateChanges(body.Create, body.Update, body.Delete, p.s.Clock.Now(), p.s.Clock.Now())
	sim.WriteJSON(w, http.StatusOK, cs)
}

// deliverMail puts new messages in a user's inbox, each with a history
// record, as mail arriving would.
func (p *Provider) deliverMail(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User    string `json:"user"`
		Count   int    `json:"count"`
		From    string `json:"from"`
		Subject string `json:"subject"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Count < 0 || body.Count > 100_000 {
		sim.ControlError(w, "count must be between 0 and 100000")
		return
	}
	if body.Count == 0 {
		body.Count = 1
	}
	if body.User == "" {
		body.User = DefaultUser
	}
	if body.From == "" {
		body.From = "Bob Builder <bob@example.com>"
	}
	if body.Subject == "" {
		body.Subject = "Simulated message"
	}
	p.mailMu.Lock()
	defer p.mailMu.Unlock()
	mb := p.mailboxFor(body.User)
	now := p.s.Clock.Now()
	ids := make([]string, 0, body.Count)
	for i := range body.Count {
		m := mb.incoming(now, body.From, body.Subject, fmt.Sprintf("Simulated delivery %d.\r\n", i+1))
		m.labels = append(m.labels, "UNREAD")
		mb.record(m, now)
		ids = append(ids, m.id)
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"ids": ids, "historyId": strconv.FormatUint(mb.historyID, 10)})
}

// trimHistory drops all but the newest keep history records of a user,
// so that older startHistoryIds get 404.
func (p *Provider) trimHistory(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
		Keep int    `json:"keep"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.Keep < 0 {
		sim.ControlError(w, "keep must not be negative")
		return
	}
	if body.User == "" {
		body.User = DefaultUser
	}
	p.mailMu.Lock()
	defer p.mailMu.Unlock()
	mb := p.mailboxFor(body.User)
	mb.trim(body.Keep, p.opts.HistoryTTL, p.s.Clock.Now())
	sim.WriteJSON(w, http.StatusOK, map[string]string{
		"historyId":            strconv.FormatUint(mb.historyID, 10),
		"oldestStartHistoryId": strconv.FormatUint(mb.trimmedThrough, 10),
	})
}
