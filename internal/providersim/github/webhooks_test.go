package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// receiver records raw webhook deliveries.
type receiver struct {
	mu  sync.Mutex
	got []received
	srv *httptest.Server
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func verifies(secret string, d received) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(d.body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(d.header.Get("X-Hub-Signature-256")))
}

type hookBody struct {
	Action      string          `json:"action"`
	Number      int             `json:"number"`
	Issue       *issueOut       `json:"issue"`
	Comment     json.RawMessage `json:"comment"`
	PullRequest *issueOut       `json:"pull_request"`
	Repository  struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Sender struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"sender"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	b := setup(t, sim.Options{WebhookURL: rc.srv.URL}, withApp(Options{}))
	_, tok := b.installationToken(t, nil)
	bot := "token " + tok["token"].(string)

	b.api(t, http.MethodPost, "/github/repos/octocat/hello-world/issues", map[string]any{"title": "by a user"})
	b.api(t, http.MethodPost, "/github/repos/octocat/hello-world/issues/101/comments", map[string]any{"body": "comment"})
	b.request(t, http.MethodPost, "/github/repos/acme/api/pulls", bot, map[string]any{"title": "by the app", "head": "bot-branch", "base": "main"})
	openIssue := 0
	for _, it := range b.walk(t, "/github/repos/acme/api/issues?per_page=100") {
		if it.PullRequest == nil {
			openIssue = it.Number
			break
		}
	}
	b.api(t, http.MethodPatch, "/github/repos/acme/api/issues/"+strconv.Itoa(openIssue), map[string]any{"state": "closed"})
	b.control(t, "webhook", map[string]any{"secret": "rotated"}, http.StatusOK)
	b.request(t, http.MethodPost, "/github/repos/acme/api/issues", bot, map[string]any{"title": "after rotation"})
	b.s.Webhooks().Wait()

	got := rc.all()
	if len(got) != 5 {
		t.Fatalf("%d deliveries, want 5", len(got))
	}
	// Deliveries are sent concurrently; order them by body.
	byKey := map[string]received{}
	for _, d := range got {
		var hb hookBody
		if err := json.Unmarshal(d.body, &hb); err != nil {
			t.Fatal(err)
		}
		key := d.header.Get("X-GitHub-Event") + "/" + hb.Action + "/" + hb.Repository.FullName
		if hb.Issue != nil && hb.Issue.Title == "after rotation" {
			key += "/rotated"
		}
		byKey[key] = d
	}
	tests := []struct {
		key          string
		secret       string
		sender       string
		installation int64
		check        func(hookBody) bool
	}{
		{"issues/opened/octocat/hello-world", defaultWebhookSecret, "octocat", 0,
			func(h hookBody) bool { return h.Issue != nil && h.Issue.Number == 101 }},
		{"issue_comment/created/octocat/hello-world", defaultWebhookSecret, "octocat", 0,
			func(h hookBody) bool { return h.Issue != nil && len(h.Comment) > 0 }},
		{"pull_request/opened/acme/api", defaultWebhookSecret, "patchbay-test[bot]", 7,
			func(h hookBody) bool {
				return h.PullRequest != nil && h.Number == 251 && h.PullRequest.Head.Ref == "bot-branch"
			}},
		// A user's change to a repository that belongs to an installation
		// still names the installation.
		{"issues/closed/acme/api", defaultWebhookSecret, "octocat", 7,
			func(h hookBody) bool { return h.Issue != nil && h.Issue.State == "closed" }},
		{"issues/opened/acme/api/rotated", "rotated", "patchbay-test[bot]", 7,
			func(h hookBody) bool { return h.Issue != nil }},
	}
	for _, tt := range tests {
		d, ok := byKey[tt.key]
		if !ok {
			t.Errorf("no delivery %s", tt.key)
			continue
		}
		if !verifies(tt.secret, d) {
			t.Errorf("%s: signature does not verify", tt.key)
		}
		if _, err := uuid.Parse(d.header.Get("X-GitHub-Delivery")); err != nil {
			t.Errorf("%s: delivery id %q", tt.key, d.header.Get("X-GitHub-Delivery"))
		}
		if ua := d.header.Get("User-Agent"); len(ua) < 15 || ua[:15] != "GitHub-Hookshot" || d.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: headers %v", tt.key, d.header)
		}
		var hb hookBody
		_ = json.Unmarshal(d.body, &hb)
		inst := int64(0)
		if hb.Installation != nil {
			inst = hb.Installation.ID
		}
		if hb.Sender.Login != tt.sender || inst != tt.installation || !tt.check(hb) {
			t.Errorf("%s: sender %s, installation %d, body %s", tt.key, hb.Sender.Login, inst, d.body)
		}
	}
}
