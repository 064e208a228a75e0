package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

type authorization struct {
	EnterpriseID        *string `json:"enterprise_id"`
	TeamID              string  `json:"team_id"`
	UserID              string  `json:"user_id"`
	IsBot               bool    `json:"is_bot"`
	IsEnterpriseInstall bool    `json:"is_enterprise_install"`
}

// envelope is an Events API event_callback delivery.
type envelope struct {
	Token               string          `json:"token"`
	TeamID              string          `json:"team_id"`
	ContextTeamID       string          `json:"context_team_id"`
	ContextEnterpriseID *string         `json:"context_enterprise_id"`
	APIAppID            string          `json:"api_app_id"`
	Event               json.RawMessage `json:"event"`
	Type                string          `json:"type"`
	EventID             string          `json:"event_id"`
	EventTime           int64           `json:"event_time"`
	Authorizations      []authorization `json:"authorizations"`
	IsExtSharedChannel  bool            `json:"is_ext_shared_channel"`
	EventContext        string          `json:"event_context"`
}

// Signature computes Slack's request signature: "v0=" and the hex
// HMAC-SHA256, keyed with the signing secret, of "v0:<timestamp>:<body>".
func Signature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// signedHeader is the header of a request Slack sends an app, signed on
// the simulated clock.
func (p *Provider) signedHeader(body []byte, secret string) http.Header {
	ts := strconv.FormatInt(p.s.Clock.Now().Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", Signature(secret, ts, body))
	return h
}

// emit wraps event in an event_callback envelope for ws, signs it and
// hands it to the webhook sender (which drops it when no URL is set). It
// returns the event id.
func (p *Provider) emit(ws *workspace, event any) string {
	raw, err := json.Marshal(event)
	if err != nil {
		// Events are built from our own types and decoded JSON.
		p.s.Logger().Error("slack: encode event", "err", err)
		return ""
	}
	p.mu.Lock()
	seq := p.eventSeq
	p.eventSeq++
	secret := p.secret
	p.mu.Unlock()

	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &head)
	ctx, _ := json.Marshal(map[string]string{"et": head.Type, "tid": ws.id, "aid": p.opts.AppID})
	env := envelope{
		Token: p.opts.VerificationToken, TeamID: ws.id, ContextTeamID: ws.id, APIAppID: p.opts.AppID,
		Event: raw, Type: "event_callback", EventID: p.eventID(seq), EventTime: p.s.Clock.Now().Unix(),
		Authorizations: []authorization{{TeamID: ws.id, UserID: ws.botUserID, IsBot: true}},
		EventContext:   "4-" + base64.RawURLEncoding.EncodeToString(ctx),
	}
	body, err := json.Marshal(env)
	if err != nil {
		p.s.Logger().Error("slack: encode envelope", "err", err)
		return ""
	}
	p.s.Webhooks().Send(name, p.signedHeader(body, secret), body)
	return env.EventID
}

// eventID is the seq-th event id ("Ev" and 9 characters), the same for a
// seed whatever the timing.
func (p *Provider) eventID(seq int) string {
	rng := p.s.ItemRand("slack/events", seq)
	b := []byte("Ev0")
	for range 8 {
		b = append(b, idChars[rng.IntN(len(idChars))])
	}
	return string(b)
}

// controlVerifyURL serves POST /_control/slack/verify-url: it sends Slack's
// url_verification challenge to url (default: the simulator's webhook URL)
// and reports whether the answer echoed it, as plain text, as
// {"challenge":…} or as a challenge=… form, with HTTP 200.
func (p *Provider) controlVerifyURL(w http.ResponseWriter, r *http.Request) {
	var body struct {
		URL       string `json:"url"`
		Challenge string `json:"challenge"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.URL == "" {
		body.URL = p.s.Webhooks().URL()
	}
	if u, err := url.Parse(body.URL); err != nil || !u.IsAbs() {
		sim.ControlError(w, "give an absolute url, or set the webhook URL first")
		return
	}
	if body.Challenge == "" {
		body.Challenge = sim.RandomToken("")
	}
	payload, _ := json.Marshal(map[string]string{"token": p.opts.VerificationToken, "challenge": body.Challenge, "type": "url_verification"})
	out := map[string]any{"url": body.URL, "challenge": body.Challenge, "verified": false}
	status, answer, err := p.deliver(r.Context(), body.URL, payload)
	if err != nil {
		out["error"] = err.Error()
		sim.WriteJSON(w, http.StatusOK, out)
		return
	}
	out["status"], out["response"] = status, string(answer)
	out["verified"] = status == http.StatusOK && echoes(answer, body.Challenge)
	sim.WriteJSON(w, http.StatusOK, out)
}

// deliver posts a signed payload synchronously and returns the answer
// (at most 64 KiB of it).
func (p *Provider) deliver(ctx context.Context, target string, payload []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, fmt.Errorf("build url_verification request: %w", err)
	}
	req.Header = p.signedHeader(payload, p.signingSecret())
	res, err := p.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("send url_verification: %w", err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("read url_verification answer: %w", err)
	}
	return res.StatusCode, answer, nil
}

func echoes(answer []byte, challenge string) bool {
	trimmed := strings.TrimSpace(string(answer))
	if trimmed == challenge {
		return true
	}
	var obj struct {
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(answer, &obj) == nil && obj.Challenge == challenge {
		return true
	}
	form, err := url.ParseQuery(trimmed)
	return err == nil && form.Get("challenge") == challenge
}

// controlEvent serves POST /_control/slack/events {"team_id":…,
// "event":{"type":…,…}}: it delivers any event (app_mention,
// reaction_added, …) as Slack would, filling in event_ts when missing.
func (p *Provider) controlEvent(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TeamID string         `json:"team_id"`
		Event  map[string]any `json:"event"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if t, _ := body.Event["type"].(string); t == "" {
		sim.ControlError(w, `event must be an object with a "type"`)
		return
	}
	if body.TeamID == "" {
		body.TeamID = p.opts.TeamID
	}
	ws := p.workspaces.Get(body.TeamID)
	if _, ok := body.Event["event_ts"]; !ok {
		body.Event["event_ts"] = p.nextTS(ws)
	}
	id := p.emit(ws, body.Event)
	sim.WriteJSON(w, http.StatusOK, map[string]any{"event_id": id, "url": p.s.Webhooks().URL()})
}

// controlSigningSecret serves POST /_control/slack/signing-secret
// {"signing_secret":…}, as when an app's secret is regenerated.
func (p *Provider) controlSigningSecret(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SigningSecret string `json:"signing_secret"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.SigningSecret == "" {
		sim.ControlError(w, "signing_secret is required")
		return
	}
	p.mu.Lock()
	p.secret = body.SigningSecret
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, body)
}

// controlUninstall serves POST /_control/slack/uninstall {"team_id":…}: the
// workspace removes the app, every token of it is revoked and the app gets
// app_uninstalled.
func (p *Provider) controlUninstall(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TeamID string `json:"team_id"`
	}
	if !sim.DecodeControl(w, r, &body) {
		return
	}
	if body.TeamID == "" {
		body.TeamID = p.opts.TeamID
	}
	ws := p.workspaces.Get(body.TeamID)
	n := p.s.OAuth.RevokeSubject(name, ws.id)
	p.emit(ws, map[string]any{"type": "app_uninstalled", "event_ts": p.nextTS(ws)})
	sim.WriteJSON(w, http.StatusOK, map[string]int{"revoked": n})
}

// controlWorkspace serves GET /_control/slack/workspaces/{team}: the ids a
// test or demo needs to address the generated workspace.
func (p *Provider) controlWorkspace(w http.ResponseWriter, r *http.Request) {
	ws := p.workspaces.Get(r.PathValue("team"))
	general := ""
	for _, c := range ws.channels {
		if c.IsGeneral {
			general = c.ID
		}
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"team_id": ws.id, "name": ws.name, "domain": ws.domain, "owner_id": ws.ownerID,
		"bot_user_id": ws.botUserID, "bot_id": ws.botID, "general_channel_id": general,
		"users": len(ws.users), "channels": len(ws.channels),
	})
}

// incomingHook is an incoming webhook created by an install with the
// incoming-webhook scope.
type incomingHook struct {
	team, channelID string
}

func (p *Provider) newIncomingHook(ws *workspace) *incomingWebhookInfo {
	var general *channel
	for i := range ws.channels {
		if ws.channels[i].IsGeneral {
			general = &ws.channels[i]
		}
	}
	secret := sim.RandomToken("")[:24]
	p.mu.Lock()
	p.hooks[secret] = incomingHook{team: ws.id, channelID: general.ID}
	p.mu.Unlock()
	return &incomingWebhookInfo{
		Channel: "#" + general.Name, ChannelID: general.ID,
		ConfigurationURL: "https://" + ws.domain + ".slack.com/services/" + ws.botID,
		URL:              p.s.BaseURL() + "/slack/services/" + ws.id + "/" + ws.botID + "/" + secret,
	}
}

// incomingWebhook serves hooks.slack.com/services/T/B/secret: a JSON
// message posted to the hook's channel. Unlike the Web API it answers in
// plain text: "ok", or an error with a 4xx status.
func (p *Provider) incomingWebhook(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	hook, ok := p.hooks[r.PathValue("secret")]
	p.mu.Unlock()
	if !ok || hook.team != r.PathValue("team") {
		http.Error(w, "no_service", http.StatusNotFound)
		return
	}
	var body struct {
		Text        string          `json:"text"`
		Blocks      json.RawMessage `json:"blocks"`
		Attachments json.RawMessage `json:"attachments"`
	}
	if err := sim.ReadJSON(r, &body); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if body.Text == "" && len(body.Blocks) == 0 && len(body.Attachments) == 0 {
		http.Error(w, "no_text", http.StatusBadRequest)
		return
	}
	ws := p.workspaces.Get(hook.team)
	ch := &ws.channels[ws.chanIdx[hook.channelID]]
	msg := message{Type: "message", Subtype: "bot_message", Text: body.Text, Team: ws.id, BotID: ws.botID,
		TS: p.nextTS(ws), Blocks: body.Blocks, Attachments: body.Attachments}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
	p.emitMessage(ws, ch, msg)
}
