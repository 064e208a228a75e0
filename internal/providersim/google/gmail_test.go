package google_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/google"
)

const (
	gmailSend     = "https://www.googleapis.com/auth/gmail.send"
	gmailReadonly = "https://www.googleapis.com/auth/gmail.readonly"
)

type gmailFixture struct {
	*bundle
	tok string
}

func newGmail(t *testing.T, opts google.Options) *gmailFixture {
	t.Helper()
	b := setup(t, opts)
	return &gmailFixture{bundle: b, tok: b.token(google.DefaultUser, gmailSend, gmailReadonly)}
}

func rfc2822(headers ...string) string {
	return strings.Join(headers, "\r\n") + "\r\n\r\nHello Bob,\r\nsee you soon.\r\n"
}

func (f *gmailFixture) send(raw string, threadID string) response {
	f.t.Helper()
	body := map[string]any{"raw": base64.RawURLEncoding.EncodeToString([]byte(raw))}
	if threadID != "" {
		body["threadId"] = threadID
	}
	return f.call("POST", "/google/gmail/v1/users/me/messages/send", f.tok, body)
}

func (f *gmailFixture) historyID() string {
	f.t.Helper()
	return f.must(http.StatusOK, "GET", "/google/gmail/v1/users/me/profile", f.tok, nil)["historyId"].(string)
}

func (f *gmailFixture) history(start string, q url.Values) response {
	f.t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("startHistoryId", start)
	return f.call("GET", "/google/gmail/v1/users/me/history?"+q.Encode(), f.tok, nil)
}

func TestGmailSend(t *testing.T) {
	t.Parallel()
	f := newGmail(t, google.Options{})
	start := f.historyID()
	res := f.send(rfc2822("From: Alice <alice@example.com>", "To: Bob <bob@example.com>, carol@example.org", "Subject: Lunch"), "")
	if res.status != http.StatusOK {
		t.Fatalf("send: %d %s", res.status, res.raw)
	}
	id := res.body["id"].(string)
	if len(id) != 16 || res.body["threadId"] != id || jsonString(res.body["labelIds"]) != `["SENT"]` {
		t.Errorf("send = %s", res.raw)
	}

	msg := f.must(http.StatusOK, "GET", "/google/gmail/v1/users/me/messages/"+id, f.tok, nil)
	payload := msg["payload"].(map[string]any)
	body, _ := base64.URLEncoding.DecodeString(payload["body"].(map[string]any)["data"].(string))
	if string(body) != "Hello Bob,\r\nsee you soon.\r\n" || msg["snippet"] != "Hello Bob, see you soon." {
		t.Errorf("body %q snippet %q", body, msg["snippet"])
	}
	headers := jsonString(payload["headers"])
	for _, want := range []string{`{"name":"Subject","value":"Lunch"}`, `{"name":"To","value":"Bob \u003cbob@example.com\u003e, carol@example.org"}`, `{"name":"From","value":"alice@example.com"}`} {
		if !strings.Contains(headers, want) {
			t.Errorf("headers %s lack %s", headers, want)
		}
	}

	// The sent message is in history after the profile's historyId.
	h := f.history(start, nil)
	records, _ := h.body["history"].([]any)
	if h.status != http.StatusOK || len(records) != 1 {
		t.Fatalf("history: %d %s", h.status, h.raw)
	}
	added := records[0].(map[string]any)["messagesAdded"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if added["id"] != id || jsonString(added["labelIds"]) != `["SENT"]` || h.body["historyId"] != f.historyID() {
		t.Errorf("history = %s", h.raw)
	}

	// A reply with the same subject joins the thread; another subject does not.
	reply := f.send(rfc2822("To: bob@example.com", "Subject: Re: Lunch"), id)
	other := f.send(rfc2822("To: bob@example.com", "Subject: Dinner"), id)
	if reply.body["threadId"] != id || other.body["threadId"] == id {
		t.Errorf("threading: reply %s, other %s", reply.raw, other.raw)
	}
	// Writing to yourself lands in the inbox too.
	self := f.send(rfc2822("To: alice@example.com", "Subject: Note to self"), "")
	if jsonString(self.body["labelIds"]) != `["UNREAD","SENT","INBOX"]` {
		t.Errorf("self-send labels = %s", self.raw)
	}
	// Standard padded base64 is accepted as well.
	std := f.call("POST", "/google/gmail/v1/users/me/messages/send", f.tok, map[string]any{
		"raw": base64.StdEncoding.EncodeToString([]byte(rfc2822("To: bob@example.com", "Subject: ??>>"))),
	})
	if std.status != http.StatusOK {
		t.Errorf("standard base64: %d %s", std.status, std.raw)
	}
	if n := len(f.s.Requests(simFilter("gmail_send=" + id))); n != 1 {
		t.Errorf("logged %d sends of %s", n, id)
	}
}

func TestGmailSendRejects(t *testing.T) {
	t.Parallel()
	f := newGmail(t, google.Options{})
	tests := []struct {
		name string
		raw  string // already encoded
		msg  string
	}{
		{"no raw", "", "'raw' RFC822 payload message string or uploading message via /upload/* URL required"},
		{"not base64", "!!!not base64!!!", "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed"},
		{"bad To", enc(rfc2822("To: bob@@example..com <<", "Subject: x")), "Invalid To header"},
		{"bad Cc", enc(rfc2822("To: bob@example.com", "Cc: <unterminated", "Subject: x")), "Invalid Cc header"},
		{"no recipients", enc(rfc2822("From: alice@example.com", "Subject: x")), "Recipient address required"},
		{"empty To", enc(rfc2822("To: ", "Subject: x")), "Recipient address required"},
	}
	for _, tt := range tests {
		res := f.call("POST", "/google/gmail/v1/users/me/messages/send", f.tok, map[string]any{"raw": tt.raw})
		e := errorOf(t, res)
		if res.status != http.StatusBadRequest || e["message"] != tt.msg || e["status"] != "INVALID_ARGUMENT" {
			t.Errorf("%s: %d %s", tt.name, res.status, res.raw)
		}
	}
	if res := f.send(rfc2822("To: bob@example.com"), "no-such-thread"); res.status != http.StatusNotFound {
		t.Errorf("unknown thread: %d", res.status)
	}
	ro := f.token(google.DefaultUser, gmailReadonly)
	if res := f.call("POST", "/google/gmail/v1/users/me/messages/send", ro, map[string]any{"raw": enc(rfc2822("To: bob@example.com"))}); res.status != http.StatusForbidden {
		t.Errorf("send with gmail.readonly: %d", res.status)
	}
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestGmailHistoryRetention(t *testing.T) {
	t.Parallel()
	deliver := func(f *gmailFixture, n int) {
		f.must(http.StatusOK, "POST", "/_control/google/gmail/messages", "", map[string]any{"count": n})
	}
	tests := []struct {
		name    string
		opts    google.Options
		prepare func(f *gmailFixture, start string)
		wantOK  bool
	}{
		{"fresh", google.Options{}, func(f *gmailFixture, _ string) { deliver(f, 3) }, true},
		{"trimmed by control", google.Options{}, func(f *gmailFixture, _ string) {
			deliver(f, 3)
			f.must(http.StatusOK, "POST", "/_control/google/gmail/trim-history", "", map[string]any{"keep": 1})
		}, false},
		{"older than a week", google.Options{}, func(f *gmailFixture, _ string) {
			deliver(f, 1)
			f.advance(7*24*time.Hour + time.Second)
		}, false},
		{"six days old", google.Options{}, func(f *gmailFixture, _ string) {
			deliver(f, 1)
			f.advance(6 * 24 * time.Hour)
		}, true},
		{"beyond the record limit", google.Options{HistoryRecords: 2}, func(f *gmailFixture, _ string) { deliver(f, 3) }, false},
		{"within the record limit", google.Options{HistoryRecords: 3}, func(f *gmailFixture, _ string) { deliver(f, 3) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newGmail(t, tt.opts)
			start := f.historyID()
			tt.prepare(f, start)
			res := f.history(start, nil)
			if !tt.wantOK {
				e := errorOf(t, res)
				if res.status != http.StatusNotFound || e["status"] != "NOT_FOUND" || e["message"] != "Requested entity was not found." {
					t.Errorf("history: %d %s, want 404", res.status, res.raw)
				}
				return
			}
			if res.status != http.StatusOK || len(res.body["history"].([]any)) == 0 {
				t.Errorf("history: %d %s", res.status, res.raw)
			}
		})
	}
}

func TestGmailHistoryPaging(t *testing.T) {
	t.Parallel()
	f := newGmail(t, google.Options{})
	start := f.historyID()
	before, _ := strconv.ParseUint(start, 10, 64)
	if res := f.history(strconv.FormatUint(before-1, 10), nil); res.status != http.StatusNotFound {
		t.Errorf("startHistoryId before the mailbox's history: %d, want 404", res.status)
	}
	delivered := f.must(http.StatusOK, "POST", "/_control/google/gmail/messages", "", map[string]any{"count": 5})
	var got []string
	last := before
	q := url.Values{"maxResults": {"2"}}
	for pages := 1; ; pages++ {
		res := f.history(start, q)
		if res.status != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, res.status, res.raw)
		}
		for _, r := range res.body["history"].([]any) {
			rec := r.(map[string]any)
			id, _ := strconv.ParseUint(rec["id"].(string), 10, 64)
			if id <= last || id == last+1 {
				t.Errorf("history id %d after %d: want increasing, not contiguous", id, last)
			}
			last = id
			got = append(got, rec["messages"].([]any)[0].(map[string]any)["id"].(string))
		}
		next, ok := res.body["nextPageToken"].(string)
		if !ok {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		q.Set("pageToken", next)
	}
	if jsonString(got) != jsonString(delivered["ids"]) {
		t.Errorf("history messages %v, want %v", got, delivered["ids"])
	}
	if res := f.history(start, url.Values{"historyTypes": {"labelAdded"}}); res.body["history"] != nil {
		t.Errorf("labelAdded history = %s, want none", res.raw)
	}
	if res := f.call("GET", "/google/gmail/v1/users/me/history", f.tok, nil); res.status != http.StatusBadRequest {
		t.Errorf("no startHistoryId: %d", res.status)
	}
}

func TestGmailLabelsProfileMessages(t *testing.T) {
	t.Parallel()
	f := newGmail(t, google.Options{InboxMessages: 7})
	labels := f.must(http.StatusOK, "GET", "/google/gmail/v1/users/me/labels", f.tok, nil)["labels"].([]any)
	byID := map[string]string{}
	for _, l := range labels {
		m := l.(map[string]any)
		byID[m["id"].(string)] = m["type"].(string)
	}
	for _, id := range []string{"INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT"} {
		if byID[id] != "system" {
			t.Errorf("system label %s: %q", id, byID[id])
		}
	}
	if byID["Label_1"] != "user" {
		t.Errorf("labels = %v, want user labels too", byID)
	}
	profile := f.must(http.StatusOK, "GET", "/google/gmail/v1/users/alice@example.com/profile", f.tok, nil)
	if profile["emailAddress"] != google.DefaultUser || profile["messagesTotal"] != float64(7) || profile["historyId"] == "" {
		t.Errorf("profile = %v", profile)
	}
	if res := f.call("GET", "/google/gmail/v1/users/bob@example.com/profile", f.tok, nil); res.status != http.StatusForbidden {
		t.Errorf("someone else's mailbox: %d", res.status)
	}
	list := f.must(http.StatusOK, "GET", "/google/gmail/v1/users/me/messages?labelIds=INBOX&maxResults=5", f.tok, nil)
	if len(list["messages"].([]any)) != 5 || list["nextPageToken"] == nil || list["resultSizeEstimate"] != float64(7) {
		t.Errorf("messages.list = %v", list)
	}
	meta := f.token(google.DefaultUser, "https://www.googleapis.com/auth/gmail.metadata")
	id := list["messages"].([]any)[0].(map[string]any)["id"].(string)
	if res := f.call("GET", "/google/gmail/v1/users/me/messages/"+id, meta, nil); res.status != http.StatusForbidden {
		t.Errorf("format=full with the metadata scope: %d", res.status)
	}
	f.must(http.StatusOK, "GET", "/google/gmail/v1/users/me/messages/"+id+"?format=metadata&metadataHeaders=Subject", meta, nil)
}
