package google

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// mailbox is one user's Gmail: messages, labels and the history log that
// incremental sync reads.
type mailbox struct {
	user     string
	messages []*message // oldest first
	byID     map[string]*message
	labels   []label // user labels
	// historyID is the mailbox's current history id; it only grows, in
	// uneven steps as in Gmail.
	historyID uint64
	history   []historyRecord // oldest first
	// trimmedThrough is the newest history id no longer fully covered by
	// history: a startHistoryId below it cannot be served (404).
	trimmedThrough uint64
	// idClock is the millisecond count in the next message id. Gmail ids
	// grow with time; these grow from the anchor in random steps, so the
	// same calls give the same ids in every run.
	idClock      int64
	anchorMillis int64
	rng          *rand.Rand
}

type label struct {
	ID   string
	Name string
}

type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// message is a stored message.
type message struct {
	id        string
	threadID  string
	labels    []string
	headers   []header
	body      string // the text part
	mimeType  string
	raw       []byte
	internal  time.Time
	historyID uint64
}

// historyRecord is one history entry; the simulator records additions
// (messages received or sent).
type historyRecord struct {
	id    uint64
	at    time.Time
	added []*message
}

// System labels Gmail reports for every mailbox.
var systemLabels = []string{
	"CHAT", "SENT", "INBOX", "IMPORTANT", "TRASH", "DRAFT", "SPAM",
	"CATEGORY_FORUMS", "CATEGORY_UPDATES", "CATEGORY_PERSONAL", "CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL",
	"STARRED", "UNREAD",
}

var (
	senders  = []string{"Bob Builder <bob@example.com>", "Carol Chen <carol@example.org>", "GitHub <noreply@github.com>", "Linear <notifications@linear.app>", "Dave Diaz <dave@example.net>", "Stripe <receipts@stripe.com>"}
	subjects = []string{"Quarterly planning", "Re: Invoice #%d", "Your weekly digest", "Lunch on Friday?", "[repo] Pull request #%d merged", "Contract draft v%d", "Welcome aboard!", "Meeting notes"}
)

// newMailbox generates user's mailbox: n received messages over the month
// before anchor, three user labels, and a history that begins after them,
// so that the profile's historyId is a valid startHistoryId and nothing
// older is.
func newMailbox(user string, n int, anchor time.Time, r *rand.Rand) *mailbox {
	mb := &mailbox{
		user:   user,
		byID:   map[string]*message{},
		labels: []label{{"Label_1", "Receipts"}, {"Label_2", "Projects/Patchbay"}, {"Label_3", "Follow up"}},
		rng:    r,
	}
	mb.historyID = 100000 + uint64(r.IntN(900000))
	mb.anchorMillis = anchor.UnixMilli()
	for i := range n {
		at := anchor.Add(-time.Duration(n-i) * time.Duration(30*24*60/max(n, 1)) * time.Minute).Add(-time.Duration(r.IntN(600)) * time.Second)
		subject := subjects[r.IntN(len(subjects))]
		if strings.Contains(subject, "%d") {
			subject = fmt.Sprintf(subject, 100+r.IntN(900))
		}
		m := mb.incoming(at, senders[r.IntN(len(senders))], subject, fmt.Sprintf("Hello,\r\n\r\nThis is simulated message %d.\r\n", i+1))
		if r.IntN(3) == 0 {
			m.labels = append(m.labels, "UNREAD")
		}
		if r.IntN(8) == 0 {
			m.labels = append(m.labels, mb.labels[r.IntN(len(mb.labels))].ID)
		}
		mb.step()
		m.historyID = mb.historyID
		mb.store(m)
	}
	mb.trimmedThrough = mb.historyID
	return mb
}

// step advances the history id by a few, never by exactly one: clients
// must not assume contiguous ids.
func (mb *mailbox) step() uint64 {
	mb.historyID += 2 + uint64(mb.rng.IntN(40))
	return mb.historyID
}

// nextID is a Gmail-style message id for a message dated at: 16 hex
// digits, growing with time. Times past the anchor count as the anchor,
// so ids of mail sent during a run do not depend on the wall clock.
func (mb *mailbox) nextID(at time.Time) string {
	mb.idClock = max(mb.idClock+1+int64(mb.rng.IntN(1000)), min(at.UnixMilli(), mb.anchorMillis))
	return fmt.Sprintf("%011x%05x", mb.idClock, mb.rng.IntN(1<<20))
}

// incoming builds a received message (not yet stored).
func (mb *mailbox) incoming(at time.Time, from, subject, body string) *message {
	id := mb.nextID(at)
	var raw bytes.Buffer
	hdrs := []header{
		{"Delivered-To", mb.user},
		{"From", from},
		{"To", mb.user},
		{"Subject", subject},
		{"Date", at.Format(time.RFC1123Z)},
		{"Message-ID", "<" + id + "@mail.example.com>"},
		{"Content-Type", "text/plain; charset=UTF-8"},
	}
	for _, h := range hdrs {
		fmt.Fprintf(&raw, "%s: %s\r\n", h.Name, h.Value)
	}
	raw.WriteString("\r\n" + body)
	return &message{id: id, threadID: id, labels: []string{"INBOX", "CATEGORY_PERSONAL"}, headers: hdrs,
		body: body, mimeType: "text/plain", raw: raw.Bytes(), internal: at}
}

func (mb *mailbox) store(m *message) {
	mb.messages = append(mb.messages, m)
	mb.byID[m.id] = m
}

// record stores m as a new message with a history entry for it.
func (mb *mailbox) record(m *message, now time.Time) {
	m.historyID = mb.step()
	mb.store(m)
	mb.history = append(mb.history, historyRecord{id: m.historyID, at: now, added: []*message{m}})
}

// trim drops history beyond what Gmail retains: the newest keep records,
// none older than ttl.
func (mb *mailbox) trim(keep int, ttl time.Duration, now time.Time) {
	drop := max(len(mb.history)-keep, 0)
	for drop < len(mb.history) && !now.Before(mb.history[drop].at.Add(ttl)) {
		drop++
	}
	if drop == 0 {
		return
	}
	mb.trimmedThrough = max(mb.trimmedThrough, mb.history[drop-1].id)
	mb.history = slices.Delete(mb.history, 0, drop)
}

func (m *message) header(name string) string {
	for _, h := range m.headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func (m *message) hasLabel(id string) bool { return slices.Contains(m.labels, id) }

// snippet is the start of the text, whitespace folded, as Gmail shows it.
func (m *message) snippet() string {
	s := strings.Join(strings.Fields(m.body), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}

// threads counts distinct threads.
func (mb *mailbox) threads() int {
	seen := map[string]bool{}
	for _, m := range mb.messages {
		seen[m.threadID] = true
	}
	return len(seen)
}

// sendError is a message Gmail refuses to send, with the reason it gives.
type sendError struct{ msg string }

func (e *sendError) Error() string { return e.msg }

// parsedMail is what send needs from a raw RFC 2822 message.
type parsedMail struct {
	headers    []header
	recipients []*mail.Address
	body       string
	mimeType   string
}

// parseOutgoing reads a raw message as Gmail's send does: every
// recipient header must parse, there must be at least one recipient, and
// From is the sender whatever the message says.
func parseOutgoing(raw []byte, user string, now time.Time) (*parsedMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, &sendError{"Invalid RFC822 message: " + err.Error()}
	}
	pm := &parsedMail{}
	for _, name := range []string{"To", "Cc", "Bcc"} {
		v := msg.Header.Get(name)
		if strings.TrimSpace(v) == "" {
			continue
		}
		list, err := mail.ParseAddressList(v)
		if err != nil {
			return nil, &sendError{"Invalid " + name + " header"}
		}
		pm.recipients = append(pm.recipients, list...)
	}
	if len(pm.recipients) == 0 {
		return nil, &sendError{"Recipient address required"}
	}
	if v := msg.Header.Get("From"); v != "" {
		if _, err := mail.ParseAddress(v); err != nil {
			return nil, &sendError{"Invalid From header"}
		}
	}
	// Keep the headers in a stable order, rewriting From and filling in
	// what Gmail adds.
	names := make([]string, 0, len(msg.Header))
	for k := range msg.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	pm.headers = append(pm.headers, header{"From", user})
	for _, k := range names {
		if k == "From" {
			continue
		}
		for _, v := range msg.Header[k] {
			pm.headers = append(pm.headers, header{k, v})
		}
	}
	if msg.Header.Get("Date") == "" {
		pm.headers = append(pm.headers, header{"Date", now.Format(time.RFC1123Z)})
	}
	pm.body, pm.mimeType = textBody(msg)
	return pm, nil
}

// textBody returns the message's text: the body of a single-part message,
// or the first text/plain part of a multipart one.
func textBody(msg *mail.Message) (string, string) {
	ct := msg.Header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mediaType = "text/plain"
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		b, _ := io.ReadAll(io.LimitReader(msg.Body, 10<<20))
		return string(b), mediaType
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return "", mediaType
		}
		if pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); pt == "text/plain" || pt == "" {
			b, _ := io.ReadAll(io.LimitReader(part, 10<<20))
			return string(b), mediaType
		}
	}
}
