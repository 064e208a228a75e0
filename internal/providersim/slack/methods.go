package slack

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Page sizes. users.list without a limit tries to send the whole
// directory, which Slack refuses for large teams (limit_required).
const (
	maxLimit             = 1000
	conversationsDefault = 100
	usersWithoutLimitMax = 1000
)

// Message limits of chat.postMessage.
const (
	maxMessageTextRunes = 40000
	maxBlocksInAMessage = 50
)

// Cursor prefixes, as Slack's own cursors decode.
const (
	userCursorPrefix    = "user:"
	channelCursorPrefix = "team:"
)

// responseMetadata carries the next cursor; Slack sends it on every page,
// with "" on the last.
type responseMetadata struct {
	NextCursor string `json:"next_cursor"`
}

func (p *Provider) apiTest(w http.ResponseWriter, c *call) {
	echo := map[string]string{}
	for k := range c.args.form {
		echo[k] = c.args.form.Get(k)
	}
	for k := range c.args.json {
		echo[k] = c.args.get(k)
	}
	if e := echo["error"]; e != "" {
		sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e, "args": echo})
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "args": echo})
}

type authTestResponse struct {
	OK                  bool   `json:"ok"`
	URL                 string `json:"url"`
	Team                string `json:"team"`
	User                string `json:"user"`
	TeamID              string `json:"team_id"`
	UserID              string `json:"user_id"`
	BotID               string `json:"bot_id,omitempty"`
	IsEnterpriseInstall bool   `json:"is_enterprise_install"`
}

func (p *Provider) authTest(w http.ResponseWriter, c *call) {
	resp := authTestResponse{OK: true, URL: "https://" + c.ws.domain + ".slack.com/", Team: c.ws.name,
		TeamID: c.ws.id, UserID: c.userID}
	if i, ok := c.ws.userIdx[c.userID]; ok {
		resp.User = c.ws.users[i].Name
	}
	if c.kind == kindBot {
		resp.BotID = c.ws.botID
	}
	sim.WriteJSON(w, http.StatusOK, resp)
}

// authRevoke revokes the calling token (test=true only pretends) and, like
// Slack, tells the app through a tokens_revoked event.
func (p *Provider) authRevoke(w http.ResponseWriter, c *call) {
	if t := c.args.get("test"); t == "true" || t == "1" {
		sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "revoked": false})
		return
	}
	p.s.OAuth.Revoke(name, c.grant.AccessToken)
	tokens := map[string][]string{}
	if c.kind == kindUser {
		tokens["oauth"] = []string{c.userID}
	} else {
		tokens["bot"] = []string{c.userID}
	}
	p.emit(c.ws, map[string]any{"type": "tokens_revoked", "tokens": tokens, "event_ts": p.nextTS(c.ws)})
	sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "revoked": true})
}

// visibleUser hides the email unless the token has users:read.email.
func visibleUser(c *call, u user) user {
	if !c.has("users:read.email") {
		u.Profile.Email = ""
	}
	return u
}

type usersListResponse struct {
	OK               bool             `json:"ok"`
	Members          []user           `json:"members"`
	CacheTS          int64            `json:"cache_ts"`
	ResponseMetadata responseMetadata `json:"response_metadata"`
}

func (p *Provider) usersList(w http.ResponseWriter, c *call) {
	users := c.ws.users
	start, ok := decodeCursor(c.args.get("cursor"), userCursorPrefix, len(users), func(id string) int {
		i, _ := slices.BinarySearchFunc(users, id, func(u user, id string) int { return strings.Compare(u.ID, id) })
		return i
	})
	if !ok {
		writeError(w, c.r, "invalid_cursor")
		return
	}
	limit := parseLimit(c.args.get("limit"))
	if limit == 0 {
		if len(users) > usersWithoutLimitMax {
			writeError(w, c.r, "limit_required")
			return
		}
		limit = len(users)
	}
	end := min(start+limit, len(users))
	resp := usersListResponse{OK: true, Members: make([]user, 0, end-start), CacheTS: p.s.Clock.Now().Unix()}
	for _, u := range users[start:end] {
		resp.Members = append(resp.Members, visibleUser(c, u))
	}
	if end < len(users) {
		resp.ResponseMetadata.NextCursor = encodeCursor(userCursorPrefix, users[end].ID)
	}
	sim.WriteJSON(w, http.StatusOK, resp)
}

func (p *Provider) usersInfo(w http.ResponseWriter, c *call) {
	i, ok := c.ws.userIdx[c.args.get("user")]
	if !ok {
		writeError(w, c.r, "user_not_found")
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "user": visibleUser(c, c.ws.users[i])})
}

// parseLimit reads limit: 0 when absent or unusable, at most maxLimit.
func parseLimit(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return min(n, maxLimit)
}

// Cursors are base64 of a kind prefix and the id the next page starts at,
// the shape Slack's own cursors decode to.
func encodeCursor(prefix, id string) string {
	return base64.StdEncoding.EncodeToString([]byte(prefix + id))
}

// decodeCursor returns the index a cursor starts at (0 for none), using
// search to find its id; ok is false for a cursor Slack would reject.
func decodeCursor(cursor, prefix string, n int, search func(id string) int) (int, bool) {
	if cursor == "" {
		return 0, true
	}
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	id, ok := strings.CutPrefix(string(raw), prefix)
	if !ok || id == "" {
		return 0, false
	}
	return min(search(id), n), true
}

// member reports whether the caller is in ch: the bot user for bot
// tokens, the installing user for user tokens.
func member(c *call, ch *channel) bool {
	if c.kind == kindUser {
		return ch.ownerMember
	}
	return ch.botMember
}

// conversationTypes are conversations.list's types and the scope each
// needs.
var conversationTypes = map[string]string{
	"public_channel":  "channels:read",
	"private_channel": "groups:read",
	"mpim":            "mpim:read",
	"im":              "im:read",
}

type conversationsListResponse struct {
	OK               bool             `json:"ok"`
	Channels         []channel        `json:"channels"`
	ResponseMetadata responseMetadata `json:"response_metadata"`
}

// conversationsList pages through the channels of the requested types
// that the caller may see (private ones only when a member). Like Slack,
// it applies exclude_archived after cutting the page, so a page can come
// back short, or even empty, with a next_cursor still to follow.
func (p *Provider) conversationsList(w http.ResponseWriter, c *call) {
	typesArg := c.args.get("types")
	if typesArg == "" {
		typesArg = "public_channel"
	}
	want := map[string]bool{}
	var missing []string
	for _, t := range strings.Split(typesArg, ",") {
		t = strings.TrimSpace(t)
		scope, ok := conversationTypes[t]
		if !ok {
			writeError(w, c.r, "invalid_types")
			return
		}
		want[t] = true
		if !c.has(scope) && !slices.Contains(missing, scope) {
			missing = append(missing, scope)
		}
	}
	w.Header().Set("X-Accepted-OAuth-Scopes", "channels:read,groups:read,mpim:read,im:read")
	if len(missing) > 0 {
		missingScope(w, c, missing...)
		return
	}
	visible := make([]*channel, 0, len(c.ws.channels))
	for i := range c.ws.channels {
		ch := &c.ws.channels[i]
		if ch.IsPrivate && (!want["private_channel"] || !member(c, ch)) || !ch.IsPrivate && !want["public_channel"] {
			continue
		}
		visible = append(visible, ch)
	}
	start, ok := decodeCursor(c.args.get("cursor"), channelCursorPrefix, len(visible), func(id string) int {
		i, _ := slices.BinarySearchFunc(visible, id, func(ch *channel, id string) int { return strings.Compare(ch.ID, id) })
		return i
	})
	if !ok {
		writeError(w, c.r, "invalid_cursor")
		return
	}
	limit := parseLimit(c.args.get("limit"))
	if limit == 0 {
		limit = conversationsDefault
	}
	excludeArchived := truthy(c.args.get("exclude_archived"))
	end := min(start+limit, len(visible))
	resp := conversationsListResponse{OK: true, Channels: make([]channel, 0, end-start)}
	for _, ch := range visible[start:end] {
		if excludeArchived && ch.IsArchived {
			continue
		}
		out := *ch
		out.IsMember = member(c, ch)
		resp.Channels = append(resp.Channels, out)
	}
	if end < len(visible) {
		resp.ResponseMetadata.NextCursor = encodeCursor(channelCursorPrefix, visible[end].ID)
	}
	sim.WriteJSON(w, http.StatusOK, resp)
}

func truthy(s string) bool { return s == "true" || s == "1" }

// findChannel resolves an id or a #name to a channel the caller can see;
// private channels it is not in do not exist for it.
func findChannel(c *call, ref string) (*channel, bool) {
	i, ok := c.ws.chanIdx[ref]
	if !ok {
		i, ok = c.ws.chanByName[strings.TrimPrefix(ref, "#")]
	}
	if !ok {
		return nil, false
	}
	ch := &c.ws.channels[i]
	if ch.IsPrivate && !member(c, ch) {
		return nil, false
	}
	return ch, true
}

func (p *Provider) conversationsInfo(w http.ResponseWriter, c *call) {
	ch, ok := findChannel(c, c.args.get("channel"))
	if !ok {
		writeError(w, c.r, "channel_not_found")
		return
	}
	need := "channels:read"
	if ch.IsPrivate {
		need = "groups:read"
	}
	if !c.has(need) {
		missingScope(w, c, need)
		return
	}
	out := *ch
	out.IsMember = member(c, ch)
	sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": out})
}

type botProfile struct {
	ID      string `json:"id"`
	AppID   string `json:"app_id"`
	Name    string `json:"name"`
	Deleted bool   `json:"deleted"`
	TeamID  string `json:"team_id"`
	Updated int64  `json:"updated"`
}

// message is a posted message as chat.postMessage returns it.
type message struct {
	User        string          `json:"user"`
	Type        string          `json:"type"`
	Subtype     string          `json:"subtype,omitempty"`
	TS          string          `json:"ts"`
	BotID       string          `json:"bot_id,omitempty"`
	AppID       string          `json:"app_id,omitempty"`
	Text        string          `json:"text"`
	Team        string          `json:"team"`
	BotProfile  *botProfile     `json:"bot_profile,omitempty"`
	ThreadTS    string          `json:"thread_ts,omitempty"`
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	Attachments json.RawMessage `json:"attachments,omitempty"`
}

// messageEvent is the Events API message event for a posted message.
type messageEvent struct {
	message
	Channel     string `json:"channel"`
	EventTS     string `json:"event_ts"`
	ChannelType string `json:"channel_type"`
}

// chatPostMessage posts to a channel the caller can post in and emits the
// message event the app would get from the Events API.
func (p *Provider) chatPostMessage(w http.ResponseWriter, c *call) {
	ch, ok := findChannel(c, c.args.get("channel"))
	switch {
	case !ok:
		writeError(w, c.r, "channel_not_found")
		return
	case ch.IsArchived:
		writeError(w, c.r, "is_archived")
		return
	case !member(c, ch) && !(c.kind == kindBot && c.has("chat:write.public")):
		writeError(w, c.r, "not_in_channel")
		return
	}
	text := c.args.get("text")
	blocks, errCode := validJSONList(c.args.raw("blocks"), "invalid_blocks")
	if errCode != "" {
		writeError(w, c.r, errCode)
		return
	}
	attachments, errCode := validJSONList(c.args.raw("attachments"), "invalid_attachments")
	switch {
	case errCode != "":
	case text == "" && blocks == nil && attachments == nil:
		errCode = "no_text"
	case utf8.RuneCountInString(text) > maxMessageTextRunes:
		errCode = "msg_too_long"
	}
	if errCode != "" {
		writeError(w, c.r, errCode)
		return
	}
	p.post(w, c, ch, message{Text: text, Blocks: blocks, Attachments: attachments, ThreadTS: c.args.get("thread_ts")})
}

// post counts the message against the channel's per-second limit, stamps
// it, answers, and emits its event.
func (p *Provider) post(w http.ResponseWriter, c *call, ch *channel, msg message) {
	if !p.take(w, c.r, c.ws.id+"|"+c.grant.ClientID+"|chat.postMessage|"+ch.ID, p.opts.PostMessagePerSecond, time.Second) {
		return
	}
	msg.Type, msg.User, msg.Team, msg.TS = "message", c.userID, c.ws.id, p.nextTS(c.ws)
	if c.kind == kindBot {
		msg.BotID, msg.AppID = c.ws.botID, p.opts.AppID
		msg.BotProfile = &botProfile{ID: c.ws.botID, AppID: p.opts.AppID, Name: "Patchbay", TeamID: c.ws.id, Updated: epoch}
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch.ID, "ts": msg.TS, "message": msg})
	p.emitMessage(c.ws, ch, msg)
}

func (p *Provider) emitMessage(ws *workspace, ch *channel, msg message) {
	ev := messageEvent{message: msg, Channel: ch.ID, EventTS: msg.TS, ChannelType: "channel"}
	if ch.IsPrivate {
		ev.ChannelType = "group"
	}
	p.emit(ws, ev)
}

// validJSONList checks an optional blocks/attachments argument: absent is
// fine, anything but a list of at most 50 objects with a type (blocks) is
// errCode.
func validJSONList(raw []byte, errCode string) (json.RawMessage, string) {
	if len(raw) == 0 {
		return nil, ""
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil || len(items) > maxBlocksInAMessage {
		return nil, errCode
	}
	if errCode == "invalid_blocks" {
		for _, b := range items {
			if t, _ := b["type"].(string); t == "" {
				return nil, errCode
			}
		}
	}
	if len(items) == 0 {
		return nil, ""
	}
	return json.RawMessage(raw), ""
}
