package google

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func (p *Provider) mountGmail(mux *http.ServeMux) {
	mux.HandleFunc("POST /google/gmail/v1/users/{userId}/messages/send", p.sendMessage)
	mux.HandleFunc("GET /google/gmail/v1/users/{userId}/messages", p.listMessages)
	mux.HandleFunc("GET /google/gmail/v1/users/{userId}/messages/{id}", p.getMessage)
	mux.HandleFunc("GET /google/gmail/v1/users/{userId}/labels", p.listLabels)
	mux.HandleFunc("GET /google/gmail/v1/users/{userId}/history", p.listHistory)
	mux.HandleFunc("GET /google/gmail/v1/users/{userId}/profile", p.profile)
}

func gmailError(w http.ResponseWriter, code int, reason, message string) {
	writeError(w, gmailStyle, code, reason, message)
}

// mailboxFor returns user's mailbox, generating it on first use and
// trimming its history to what Gmail retains; the caller holds mailMu.
func (p *Provider) mailboxFor(user string) *mailbox {
	now := p.s.Clock.Now()
	mb := p.mailboxes[user]
	if mb == nil {
		mb = newMailbox(user, p.opts.InboxMessages, p.anchorTime(), p.s.Rand("google/gmail/"+user))
		p.mailboxes[user] = mb
	}
	mb.trim(p.opts.HistoryRecords, p.opts.HistoryTTL, now)
	return mb
}

// gmailCall authenticates a Gmail request, checks the userId path value
// ("me" or the caller's own address) and locks mailMu, returning the
// caller's mailbox. On failure it has answered and holds no lock.
func (p *Provider) gmailCall(w http.ResponseWriter, r *http.Request, scopes []string) (*sim.Grant, *mailbox, bool) {
	g, ok := p.authenticate(w, r, gmailStyle, scopes)
	if !ok {
		return nil, nil, false
	}
	if uid := r.PathValue("userId"); uid != "me" && !strings.EqualFold(uid, g.Subject) {
		gmailError(w, http.StatusForbidden, "forbidden", "Delegation denied for "+uid)
		return nil, nil, false
	}
	p.mailMu.Lock()
	return g, p.mailboxFor(g.Subject), true
}

// decodeRaw accepts what Google's JSON bytes fields accept: URL-safe or
// standard base64, padded or not.
func decodeRaw(s string) ([]byte, bool) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil
}

// sendMessage sends a raw RFC 2822 message: it is stored with the SENT
// label (and INBOX, UNREAD when the user wrote to themself) and recorded
// in history.
func (p *Provider) sendMessage(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	}
	g, ok := p.authenticate(w, r, gmailStyle, gmailSendScopes)
	if !ok {
		return
	}
	if uid := r.PathValue("userId"); uid != "me" && !strings.EqualFold(uid, g.Subject) {
		gmailError(w, http.StatusForbidden, "forbidden", "Delegation denied for "+uid)
		return
	}
	if !readBody(w, r, gmailStyle, &body) {
		return
	}
	if body.Raw == "" {
		gmailError(w, http.StatusBadRequest, "invalidArgument", "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
		return
	}
	raw, ok := decodeRaw(body.Raw)
	if !ok {
		gmailError(w, http.StatusBadRequest, "invalidArgument", "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed")
		return
	}
	now := p.s.Clock.Now()
	pm, err := parseOutgoing(raw, g.Subject, now)
	if err != nil {
		sim.Annotate(r, "gmail_send", "rejected")
		gmailError(w, http.StatusBadRequest, "invalidArgument", err.Error())
		return
	}
	p.mailMu.Lock()
	defer p.mailMu.Unlock()
	mb := p.mailboxFor(g.Subject)
	m := &message{id: mb.nextID(now), labels: []string{"SENT"}, headers: pm.headers, body: pm.body, mimeType: pm.mimeType, raw: raw, internal: now}
	m.threadID = m.id
	if body.ThreadID != "" {
		thread := mb.threadHead(body.ThreadID)
		if thread == nil {
			gmailError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
			return
		}
		// Gmail threads a reply only when the subject still matches.
		if baseSubject(thread.header("Subject")) == baseSubject(m.header("Subject")) {
			m.threadID = body.ThreadID
		}
	}
	for _, a := range pm.recipients {
		if strings.EqualFold(a.Address, g.Subject) {
			m.labels = []string{"UNREAD", "SENT", "INBOX"}
			break
		}
	}
	mb.record(m, now)
	sim.Annotate(r, "gmail_send", m.id)
	sim.WriteJSON(w, http.StatusOK, map[string]any{"id": m.id, "threadId": m.threadID, "labelIds": m.labels})
}

// threadHead is the first message of a thread, nil when there is none.
func (mb *mailbox) threadHead(threadID string) *message {
	for _, m := range mb.messages {
		if m.threadID == threadID {
			return m
		}
	}
	return nil
}

// baseSubject strips reply and forward prefixes for thread matching.
func baseSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		lower := strings.ToLower(s)
		switch {
		case strings.HasPrefix(lower, "re:"):
			s = strings.TrimSpace(s[3:])
		case strings.HasPrefix(lower, "fwd:"):
			s = strings.TrimSpace(s[4:])
		case strings.HasPrefix(lower, "fw:"):
			s = strings.TrimSpace(s[3:])
		default:
			return s
		}
	}
}

// pageSize reads maxResults with Gmail's default and cap.
func pageSize(v string, def, most int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	if n == 0 {
		return def, true
	}
	return min(n, most), true
}

func (p *Provider) listMessages(w http.ResponseWriter, r *http.Request) {
	_, mb, ok := p.gmailCall(w, r, gmailReadScopes)
	if !ok {
		return
	}
	defer p.mailMu.Unlock()
	q := r.URL.Query()
	size, ok := pageSize(q.Get("maxResults"), 100, 500)
	offset, err := strconv.Atoi(q.Get("pageToken"))
	if !ok || q.Get("pageToken") != "" && (err != nil || offset < 0) {
		gmailError(w, http.StatusBadRequest, "invalidArgument", "Invalid maxResults or pageToken")
		return
	}
	spamTrash := q.Get("includeSpamTrash") == "true"
	var matched []*message
	for i := len(mb.messages) - 1; i >= 0; i-- { // newest first
		m := mb.messages[i]
		if !spamTrash && (m.hasLabel("SPAM") || m.hasLabel("TRASH")) {
			continue
		}
		if slices.ContainsFunc(q["labelIds"], func(l string) bool { return !m.hasLabel(l) }) {
			continue
		}
		matched = append(matched, m)
	}
	out := map[string]any{"resultSizeEstimate": len(matched)}
	if offset < len(matched) {
		page := matched[offset:min(offset+size, len(matched))]
		refs := make([]any, len(page))
		for i, m := range page {
			refs[i] = map[string]any{"id": m.id, "threadId": m.threadID}
		}
		out["messages"] = refs
		if offset+size < len(matched) {
			out["nextPageToken"] = strconv.Itoa(offset + size)
		}
	}
	sim.WriteJSON(w, http.StatusOK, out)
}

func (p *Provider) getMessage(w http.ResponseWriter, r *http.Request) {
	g, mb, ok := p.gmailCall(w, r, gmailReadScopes)
	if !ok {
		return
	}
	defer p.mailMu.Unlock()
	m := mb.byID[r.PathValue("id")]
	if m == nil {
		gmailError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	format := strings.ToLower(r.URL.Query().Get("format"))
	if format == "" {
		format = "full"
	}
	switch format {
	case "full", "raw":
		// The metadata scope alone never reveals bodies.
		if len(g.Scopes) > 0 && !slices.ContainsFunc(g.Scopes, func(s string) bool {
			return s == "https://mail.google.com/" || s == scopePrefix+"gmail.readonly" || s == scopePrefix+"gmail.modify"
		}) {
			gmailError(w, http.StatusForbidden, "forbidden", "Metadata scope doesn't allow format "+strings.ToUpper(format))
			return
		}
	case "metadata", "minimal":
	default:
		gmailError(w, http.StatusBadRequest, "invalidArgument", fmt.Sprintf("Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), %q", format))
		return
	}
	out := map[string]any{
		"id":           m.id,
		"threadId":     m.threadID,
		"labelIds":     m.labels,
		"snippet":      m.snippet(),
		"sizeEstimate": len(m.raw),
		"historyId":    strconv.FormatUint(m.historyID, 10),
		"internalDate": strconv.FormatInt(m.internal.UnixMilli(), 10),
	}
	switch format {
	case "raw":
		out["raw"] = base64.URLEncoding.EncodeToString(m.raw)
	case "metadata":
		headers := m.headers
		if names := r.URL.Query()["metadataHeaders"]; len(names) > 0 {
			headers = nil
			for _, h := range m.headers {
				if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, h.Name) }) {
					headers = append(headers, h)
				}
			}
		}
		out["payload"] = map[string]any{"mimeType": m.mimeType, "headers": headers}
	case "full":
		out["payload"] = map[string]any{
			"partId": "", "mimeType": m.mimeType, "filename": "", "headers": m.headers,
			"body": map[string]any{"size": len(m.body), "data": base64.URLEncoding.EncodeToString([]byte(m.body))},
		}
	}
	sim.WriteJSON(w, http.StatusOK, out)
}

func (p *Provider) listLabels(w http.ResponseWriter, r *http.Request) {
	_, mb, ok := p.gmailCall(w, r, gmailLabelScopes)
	if !ok {
		return
	}
	defer p.mailMu.Unlock()
	labels := make([]any, 0, len(systemLabels)+len(mb.labels))
	for _, id := range systemLabels {
		l := map[string]any{"id": id, "name": id, "type": "system"}
		if id == "INBOX" || id == "SENT" || id == "DRAFT" || id == "SPAM" || id == "TRASH" || id == "UNREAD" || id == "STARRED" || id == "IMPORTANT" {
			l["messageListVisibility"], l["labelListVisibility"] = "hide", "labelShow"
		}
		labels = append(labels, l)
	}
	for _, l := range mb.labels {
		labels = append(labels, map[string]any{"id": l.ID, "name": l.Name, "type": "user", "messageListVisibility": "show", "labelListVisibility": "labelShow"})
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"labels": labels})
}

var historyTypes = []string{"messageAdded", "messageDeleted", "labelAdded", "labelRemoved"}

// listHistory returns the history records after startHistoryId. A
// startHistoryId older than the retained history is 404: the client must
// do a full sync.
func (p *Provider) listHistory(w http.ResponseWriter, r *http.Request) {
	_, mb, ok := p.gmailCall(w, r, gmailReadScopes)
	if !ok {
		return
	}
	defer p.mailMu.Unlock()
	q := r.URL.Query()
	startText := q.Get("startHistoryId")
	if startText == "" {
		gmailError(w, http.StatusBadRequest, "invalidArgument", "Missing required parameter: startHistoryId")
		return
	}
	start, err := strconv.ParseUint(startText, 10, 64)
	if err != nil {
		gmailError(w, http.StatusBadRequest, "invalidArgument", fmt.Sprintf("Invalid value at 'start_history_id' (TYPE_UINT64), %q", startText))
		return
	}
	size, ok := pageSize(q.Get("maxResults"), 100, 500)
	if !ok {
		gmailError(w, http.StatusBadRequest, "invalidArgument", "Invalid maxResults")
		return
	}
	for _, t := range q["historyTypes"] {
		if !slices.Contains(historyTypes, t) {
			gmailError(w, http.StatusBadRequest, "invalidArgument", fmt.Sprintf("Invalid value at 'history_types' (type.googleapis.com/google.apps.gmail.v1.HistoryType), %q", t))
			return
		}
	}
	if start < mb.trimmedThrough {
		sim.Annotate(r, "gmail_history", "expired")
		gmailError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	after := start
	if pt := q.Get("pageToken"); pt != "" {
		if after, err = strconv.ParseUint(pt, 10, 64); err != nil || after < start {
			gmailError(w, http.StatusBadRequest, "invalidArgument", "Invalid pageToken")
			return
		}
	}
	wantAdded := len(q["historyTypes"]) == 0 || slices.Contains(q["historyTypes"], "messageAdded")
	labelID := q.Get("labelId")
	var records []any
	next := ""
	for _, h := range mb.history {
		if h.id <= after || !wantAdded {
			continue
		}
		if labelID != "" && !slices.ContainsFunc(h.added, func(m *message) bool { return m.hasLabel(labelID) }) {
			continue
		}
		if len(records) == size {
			next = strconv.FormatUint(after, 10)
			break
		}
		records = append(records, historyJSON(h))
		after = h.id
	}
	out := map[string]any{"historyId": strconv.FormatUint(mb.historyID, 10)}
	if len(records) > 0 {
		out["history"] = records
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	sim.WriteJSON(w, http.StatusOK, out)
}

func historyJSON(h historyRecord) map[string]any {
	msgs := make([]any, len(h.added))
	added := make([]any, len(h.added))
	for i, m := range h.added {
		msgs[i] = map[string]any{"id": m.id, "threadId": m.threadID}
		added[i] = map[string]any{"message": map[string]any{"id": m.id, "threadId": m.threadID, "labelIds": m.labels}}
	}
	return map[string]any{"id": strconv.FormatUint(h.id, 10), "messages": msgs, "messagesAdded": added}
}

func (p *Provider) profile(w http.ResponseWriter, r *http.Request) {
	g, mb, ok := p.gmailCall(w, r, gmailProfile)
	if !ok {
		return
	}
	defer p.mailMu.Unlock()
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"emailAddress":  g.Subject,
		"messagesTotal": len(mb.messages),
		"threadsTotal":  mb.threads(),
		"historyId":     strconv.FormatUint(mb.historyID, 10),
	})
}
