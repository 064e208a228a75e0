package slack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// TestErrorsAre200 checks Slack's habit of failing with HTTP 200 and
// {"ok":false}, for each error a method can give.
func TestErrorsAre200(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{})
	var archived, foreign, public string
	for _, c := range b.ws.channels {
		switch {
		case c.IsArchived:
			archived = c.ID
		case c.IsPrivate && !c.botMember:
			foreign = c.ID
		case !c.IsPrivate && !c.botMember:
			public = c.ID
		}
	}
	tests := []struct {
		name, method, token string
		form                url.Values
		want                string
	}{
		{"no token", "auth.test", "", nil, "not_authed"},
		{"garbage token", "auth.test", "xoxb-123", nil, "invalid_auth"},
		{"unknown token", "auth.test", "xoxb-" + strings.Repeat("ab", 20), nil, "invalid_auth"},
		{"bot token dressed as user token", "auth.test", "xoxp-" + strings.TrimPrefix(b.token, "xoxb-"), nil, "invalid_auth"},
		{"no channel", "chat.postMessage", b.token, url.Values{"text": {"hi"}}, "channel_not_found"},
		{"unknown channel", "chat.postMessage", b.token, url.Values{"channel": {"C0NOPE"}, "text": {"hi"}}, "channel_not_found"},
		{"private channel of others", "chat.postMessage", b.token, url.Values{"channel": {foreign}, "text": {"hi"}}, "channel_not_found"},
		{"archived channel", "chat.postMessage", b.token, url.Values{"channel": {archived}, "text": {"hi"}}, "is_archived"},
		{"public channel, bot not in it", "chat.postMessage", b.token, url.Values{"channel": {public}, "text": {"hi"}}, "not_in_channel"},
		{"no text", "chat.postMessage", b.token, url.Values{"channel": {"#general"}}, "no_text"},
		{"bad blocks", "chat.postMessage", b.token, url.Values{"channel": {"#general"}, "blocks": {`{"type":"section"}`}}, "invalid_blocks"},
		{"text too long", "chat.postMessage", b.token, url.Values{"channel": {"#general"}, "text": {strings.Repeat("x", 40001)}}, "msg_too_long"},
		{"bad cursor", "users.list", b.token, url.Values{"cursor": {"!!"}}, "invalid_cursor"},
		{"bad types", "conversations.list", b.token, url.Values{"types": {"public_channel,dm"}}, "invalid_types"},
		{"unknown user", "users.info", b.token, url.Values{"user": {"U0NOPE"}}, "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantError(t, b.call(t, tt.method, tt.token, tt.form), tt.want)
		})
	}

	res := b.call(t, "no.such.method", b.token, nil)
	if m := fields(t, res); res.Status != http.StatusNotFound || m["error"] != "unknown_method" {
		t.Errorf("unknown method: %d %s", res.Status, res.Body)
	}
}

func TestMissingScope(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	tok := b.issue(kindBot, "chat:write", "channels:read")
	tests := []struct {
		method       string
		form         url.Values
		wantNeeded   string
		wantAccepted string
	}{
		{"users.list", nil, "users:read", "users:read"},
		{"conversations.list", url.Values{"types": {"public_channel,private_channel,im"}}, "groups:read,im:read", "channels:read,groups:read,mpim:read,im:read"},
		{"chat.postMessage", url.Values{"channel": {"#general"}, "text": {"hi"}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			res := b.call(t, tt.method, tok, tt.form)
			if tt.wantNeeded == "" {
				wantOK(t, res)
				return
			}
			m := wantError(t, res, "missing_scope")
			if m["needed"] != tt.wantNeeded || m["provided"] != "chat:write,channels:read" {
				t.Errorf("needed/provided = %v/%v", m["needed"], m["provided"])
			}
			if got := res.Header.Get("X-OAuth-Scopes"); got != "chat:write,channels:read" {
				t.Errorf("X-OAuth-Scopes = %q", got)
			}
			if got := res.Header.Get("X-Accepted-OAuth-Scopes"); got != tt.wantAccepted {
				t.Errorf("X-Accepted-OAuth-Scopes = %q, want %q", got, tt.wantAccepted)
			}
		})
	}
	wantError(t, b.call(t, "chat.postMessage", b.issue(kindBot, "users:read"), url.Values{"channel": {"#general"}, "text": {"x"}}), "missing_scope")

	// A token the shared control API mints without scopes may call anything.
	res := b.s.Call(t, http.MethodPost, "/_control/tokens", map[string]string{"provider": name, "subject": b.ws.id})
	var minted struct {
		AccessToken string `json:"access_token"`
	}
	res.Decode(t, &minted)
	wantOK(t, b.call(t, "users.list", minted.AccessToken, url.Values{"limit": {"2"}}))
}

// TestTokenTransports sends the token and arguments every way Slack
// accepts them.
func TestTokenTransports(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{})
	base := b.s.BaseURL() + "/slack/api/"
	tests := []struct {
		name string
		req  func() *http.Request
		want string // "" for ok
	}{
		{"GET query token", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+"users.info?user="+b.ws.ownerID+"&token="+b.token, nil)
			return r
		}, ""},
		{"POST form token", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base+"users.info", strings.NewReader(url.Values{"token": {b.token}, "user": {b.ws.ownerID}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, ""},
		{"POST JSON with bearer", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base+"users.info", strings.NewReader(`{"user":"`+b.ws.ownerID+`"}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+b.token)
			return r
		}, ""},
		{"token in a JSON body is not read", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base+"users.info", strings.NewReader(`{"token":"`+b.token+`","user":"`+b.ws.ownerID+`"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, "not_authed"},
		{"malformed JSON", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, base+"users.info", strings.NewReader(`{"user":`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+b.token)
			return r
		}, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := simtest.Do(t, tt.req())
			if tt.want != "" {
				wantError(t, res, tt.want)
				return
			}
			m := wantOK(t, res)
			if u := m["user"].(map[string]any); u["id"] != b.ws.ownerID {
				t.Errorf("user = %v", u["id"])
			}
		})
	}

	// Blocks as a JSON array in a JSON body.
	m := wantOK(t, b.callJSON(t, "chat.postMessage", b.token, map[string]any{
		"channel": "#general", "blocks": []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "*hi*"}}}}))
	if msg := m["message"].(map[string]any); msg["blocks"] == nil || msg["bot_id"] != b.ws.botID {
		t.Errorf("message = %v", msg)
	}
}

type usersPage struct {
	OK               bool             `json:"ok"`
	Members          []user           `json:"members"`
	CacheTS          int64            `json:"cache_ts"`
	ResponseMetadata *json.RawMessage `json:"response_metadata"`
}

// walkUsers pages through users.list and returns every member, checking
// that each page carries response_metadata.next_cursor.
func (b *bundle) walkUsers(t testing.TB, token string, limit int) ([]user, int) {
	t.Helper()
	var all []user
	cursor, pages := "", 0
	for {
		form := url.Values{}
		if limit > 0 {
			form.Set("limit", strconv.Itoa(limit))
		}
		if cursor != "" {
			form.Set("cursor", cursor)
		}
		res := b.call(t, "users.list", token, form)
		var page usersPage
		res.Decode(t, &page)
		if !page.OK || page.ResponseMetadata == nil {
			t.Fatalf("page %d: %s", pages, res.Body)
		}
		var meta map[string]*string
		if err := json.Unmarshal(*page.ResponseMetadata, &meta); err != nil || meta["next_cursor"] == nil {
			t.Fatalf("page %d lacks response_metadata.next_cursor: %s", pages, *page.ResponseMetadata)
		}
		pages++
		all = append(all, page.Members...)
		if cursor = *meta["next_cursor"]; cursor == "" {
			return all, pages
		}
		if limit > 0 && len(page.Members) != limit {
			t.Fatalf("page %d has %d members before the end, want %d", pages, len(page.Members), limit)
		}
	}
}

func TestUsersListPagination(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{})
	tests := []struct {
		limit, wantPages int
	}{
		{0, 1}, {1, 120}, {7, 18}, {50, 3}, {120, 1}, {200, 1}, {5000, 1},
	}
	for _, tt := range tests {
		t.Run("limit="+strconv.Itoa(tt.limit), func(t *testing.T) {
			t.Parallel()
			all, pages := b.walkUsers(t, b.token, tt.limit)
			if pages != tt.wantPages {
				t.Errorf("%d pages, want %d", pages, tt.wantPages)
			}
			seen := map[string]int{}
			for _, u := range all {
				seen[u.ID]++
			}
			if len(all) != 120 || len(seen) != 120 {
				t.Fatalf("%d members, %d distinct; want 120 each", len(all), len(seen))
			}
		})
	}

	all, _ := b.walkUsers(t, b.token, 0)
	var bots, deleted, slackbot int
	for _, u := range all {
		if u.IsBot {
			bots++
		}
		if u.Deleted {
			deleted++
		}
		if u.ID == "USLACKBOT" && !u.IsBot {
			slackbot++
		}
	}
	if bots < 1 || deleted < 1 || slackbot != 1 {
		t.Errorf("bots=%d deleted=%d slackbot=%d; want a bot, a deleted user and Slackbot (is_bot false)", bots, deleted, slackbot)
	}
}

func TestUsersListLimitRequired(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{Users: 1500})
	wantError(t, b.call(t, "users.list", b.token, nil), "limit_required")
	all, pages := b.walkUsers(t, b.token, 1000)
	if len(all) != 1500 || pages != 2 {
		t.Errorf("%d users in %d pages", len(all), pages)
	}
}

func TestEmailNeedsScope(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{})
	tests := []struct {
		scopes    []string
		wantEmail bool
	}{
		{[]string{"users:read"}, false},
		{[]string{"users:read", "users:read.email"}, true},
	}
	for _, tt := range tests {
		m := wantOK(t, b.call(t, "users.info", b.issue(kindBot, tt.scopes...), url.Values{"user": {b.ws.ownerID}}))
		email, _ := m["user"].(map[string]any)["profile"].(map[string]any)["email"].(string)
		if (email != "") != tt.wantEmail {
			t.Errorf("scopes %v: email %q", tt.scopes, email)
		}
	}
}

type channelsPage struct {
	OK               bool      `json:"ok"`
	Channels         []channel `json:"channels"`
	ResponseMetadata struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

func TestConversationsList(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{DisableRateLimits: true}, Options{})
	userToken := b.issue(kindUser, "channels:read", "groups:read")
	count := func(pred func(c *channel) bool) int {
		n := 0
		for i := range b.ws.channels {
			if pred(&b.ws.channels[i]) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name, token, types string
		excludeArchived    bool
		limit              int
		want               int
		wantShortPage      bool
	}{
		{"public default", b.token, "", false, 5, count(func(c *channel) bool { return !c.IsPrivate }), false},
		{"public and private as bot", b.token, "public_channel,private_channel", false, 7,
			count(func(c *channel) bool { return !c.IsPrivate || c.botMember }), false},
		{"private as user", userToken, "private_channel", false, 3, count(func(c *channel) bool { return c.IsPrivate && c.ownerMember }), false},
		{"exclude archived filters after paging", b.token, "public_channel", true, 4,
			count(func(c *channel) bool { return !c.IsPrivate && !c.IsArchived }), true},
		{"default limit", b.token, "public_channel,private_channel", false, 0,
			count(func(c *channel) bool { return !c.IsPrivate || c.botMember }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]bool{}
			short := false
			cursor := ""
			for range 1000 {
				form := url.Values{"types": {tt.types}, "cursor": {cursor}}
				if tt.limit > 0 {
					form.Set("limit", strconv.Itoa(tt.limit))
				}
				if tt.excludeArchived {
					form.Set("exclude_archived", "true")
				}
				var page channelsPage
				b.call(t, "conversations.list", tt.token, form).Decode(t, &page)
				if !page.OK {
					t.Fatal("not ok")
				}
				for _, c := range page.Channels {
					if seen[c.ID] {
						t.Fatalf("channel %s listed twice", c.ID)
					}
					seen[c.ID] = true
					if tt.excludeArchived && c.IsArchived {
						t.Errorf("archived %s listed", c.ID)
					}
				}
				cursor = page.ResponseMetadata.NextCursor
				if cursor == "" {
					break
				}
				short = short || len(page.Channels) < tt.limit
			}
			if len(seen) != tt.want {
				t.Errorf("%d channels, want %d", len(seen), tt.want)
			}
			if short != tt.wantShortPage {
				t.Errorf("short page before the end = %v, want %v", short, tt.wantShortPage)
			}
		})
	}
}

// TestRateLimits exhausts a Tier 2 method and chat.postMessage's
// per-channel limit, then moves the clock by Retry-After.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	// Start at the beginning of a minute, so the window cannot roll over
	// during the test.
	now := b.s.Clock.Now()
	b.s.Clock.Advance(now.Truncate(time.Minute).Add(time.Minute).Sub(now))

	for i := range 20 {
		if res := b.call(t, "users.list", b.token, url.Values{"limit": {"1"}}); res.Status != http.StatusOK {
			t.Fatalf("call %d: %d", i, res.Status)
		}
	}
	res := b.call(t, "users.list", b.token, url.Values{"limit": {"1"}})
	m := fields(t, res)
	if res.Status != http.StatusTooManyRequests || m["ok"] != false || m["error"] != "ratelimited" {
		t.Fatalf("21st call: %d %s", res.Status, res.Body)
	}
	if logged := b.s.Requests(sim.RequestFilter{Provider: name, Note: "error=ratelimited"}); len(logged) != 1 || logged[0].Status != http.StatusTooManyRequests {
		t.Errorf("request log notes: %+v", logged)
	}
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Fatalf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	// Other methods have their own budgets.
	wantOK(t, b.call(t, "auth.test", b.token, nil))
	b.s.Clock.Advance(time.Duration(secs) * time.Second)
	wantOK(t, b.call(t, "users.list", b.token, url.Values{"limit": {"1"}}))

	// Same for the per-second window of chat.postMessage.
	now = b.s.Clock.Now()
	b.s.Clock.Advance(now.Truncate(time.Second).Add(time.Second).Sub(now))
	post := url.Values{"channel": {"#general"}, "text": {"one"}}
	wantOK(t, b.call(t, "chat.postMessage", b.token, post))
	res = b.call(t, "chat.postMessage", b.token, post)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("second post within a second: %d %v %s", res.Status, res.Header, res.Body)
	}
	other := ""
	for _, c := range b.ws.channels {
		if c.botMember && !c.IsGeneral && !c.IsArchived {
			other = c.ID
		}
	}
	wantOK(t, b.call(t, "chat.postMessage", b.token, url.Values{"channel": {other}, "text": {"other channel"}}))
	b.s.Clock.Advance(time.Second)
	wantOK(t, b.call(t, "chat.postMessage", b.token, post))

	// Limits off: no 429.
	off := setup(t, sim.Options{DisableRateLimits: true}, Options{Tier2PerMinute: 1})
	for range 5 {
		wantOK(t, off.call(t, "users.list", off.token, url.Values{"limit": {"1"}}))
	}
}

func TestTokenRevoked(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	tests := []struct {
		name   string
		revoke func(t testing.TB, token string)
	}{
		{"auth.revoke", func(t testing.TB, token string) {
			m := wantOK(t, b.call(t, "auth.revoke", token, url.Values{"test": {"true"}}))
			if m["revoked"] != false {
				t.Fatalf("test=true revoked: %v", m)
			}
			wantOK(t, b.call(t, "auth.test", token, nil))
			if m := wantOK(t, b.call(t, "auth.revoke", token, nil)); m["revoked"] != true {
				t.Fatalf("auth.revoke: %v", m)
			}
		}},
		{"uninstall", func(t testing.TB, token string) {
			if res := b.s.Call(t, http.MethodPost, "/_control/slack/uninstall", map[string]string{"team_id": "T0REVOKE2"}); res.Status != http.StatusOK {
				t.Fatalf("uninstall: %d %s", res.Status, res.Body)
			}
		}},
		{"shared control by subject", func(t testing.TB, token string) {
			if res := b.s.Call(t, http.MethodPost, "/_control/revoke", map[string]string{"provider": name, "subject": "T0REVOKE3"}); res.Status != http.StatusOK {
				t.Fatalf("revoke: %d %s", res.Status, res.Body)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			team := "T0REVOKE" + strconv.Itoa(i+1)
			ws := b.p.workspaces.Get(team)
			g := b.s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: team,
				Scopes: []string{"users:read"}, Extra: map[string]string{"kind": kindBot, "user_id": ws.botUserID}}, 0, false)
			token := externalAccess(g)
			wantOK(t, b.call(t, "auth.test", token, nil))
			tt.revoke(t, token)
			wantError(t, b.call(t, "auth.test", token, nil), "token_revoked")
			wantError(t, b.call(t, "users.list", token, nil), "token_revoked")
		})
	}
}

// TestDeterminism compares two simulators with the same seed, page by
// page, and one with another seed.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	pages := func(seed int64) []byte {
		b := setup(t, sim.Options{Seed: seed, DisableRateLimits: true}, Options{})
		var out bytes.Buffer
		for _, method := range []string{"users.list", "conversations.list"} {
			cursor := ""
			for {
				res := b.call(t, method, b.token, url.Values{"limit": {"25"}, "cursor": {cursor}, "types": {"public_channel,private_channel"}})
				var page map[string]json.RawMessage
				res.Decode(t, &page)
				delete(page, "cache_ts") // the one field that follows the clock
				buf, _ := json.Marshal(page)
				out.Write(buf)
				var meta responseMetadata
				_ = json.Unmarshal(page["response_metadata"], &meta)
				if cursor = meta.NextCursor; cursor == "" {
					break
				}
			}
		}
		return out.Bytes()
	}
	a, again, other := pages(7), pages(7), pages(8)
	if !bytes.Equal(a, again) {
		t.Error("same seed gave different pages")
	}
	if bytes.Equal(a, other) {
		t.Error("different seeds gave the same pages")
	}
}

func TestControlWorkspace(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	res := simtest.Do(t, mustRequest(t, http.MethodGet, b.s.BaseURL()+"/_control/slack/workspaces/"+b.ws.id, ""))
	m := fields(t, res)
	if m["bot_user_id"] != b.ws.botUserID || m["owner_id"] != b.ws.ownerID || m["users"] != float64(120) || m["channels"] != float64(40) {
		t.Errorf("workspace = %v", m)
	}
}
