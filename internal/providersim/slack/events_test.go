package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// verifySlack checks a request the way Slack's docs tell an app to,
// written independently of Signature.
func verifySlack(t testing.TB, secret string, h http.Header, body []byte, now time.Time) {
	t.Helper()
	if err := slackSignatureError(secret, h, body, now); err != nil {
		t.Fatal(err)
	}
}

func slackSignatureError(secret string, h http.Header, body []byte, now time.Time) error {
	ts := h.Get("X-Slack-Request-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("X-Slack-Request-Timestamp = %q", ts)
	}
	if d := now.Unix() - secs; d < -5 || d > 300 {
		return fmt.Errorf("timestamp %d is %ds away from the simulated clock", secs, d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + string(body)))
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(h.Get("X-Slack-Signature"))) {
		return fmt.Errorf("X-Slack-Signature = %q, want %q", h.Get("X-Slack-Signature"), want)
	}
	return nil
}

type eventEnvelope struct {
	Token     string         `json:"token"`
	TeamID    string         `json:"team_id"`
	APIAppID  string         `json:"api_app_id"`
	Event     map[string]any `json:"event"`
	Type      string         `json:"type"`
	EventID   string         `json:"event_id"`
	EventTime int64          `json:"event_time"`
}

// withSink points the simulator's webhooks at a recording server.
func withSink(t testing.TB, b *bundle) *sink {
	t.Helper()
	rec := &sink{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	b.s.Webhooks().SetURL(srv.URL)
	return rec
}

func TestPostMessageEmitsSignedEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secret string
		setSecret    string // through the control API
	}{
		{"default secret", "slack-signing-secret", ""},
		{"options secret", "from-options", ""},
		{"control secret", "s3cr3t-rotated", "s3cr3t-rotated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := Options{}
			if tt.setSecret == "" {
				opts.SigningSecret = tt.secret
			}
			b := setup(t, sim.Options{}, opts)
			if tt.setSecret != "" {
				if res := b.s.Call(t, http.MethodPost, "/_control/slack/signing-secret", map[string]string{"signing_secret": tt.setSecret}); res.Status != http.StatusOK {
					t.Fatalf("set secret: %d %s", res.Status, res.Body)
				}
			}
			rec := withSink(t, b)
			b.s.Clock.Advance(time.Hour) // signatures follow the simulated clock
			m := wantOK(t, b.call(t, "chat.postMessage", b.token, url.Values{"channel": {"general"}, "text": {"hello <@U1>"}}))
			b.s.Webhooks().Wait()

			got := rec.all()
			if len(got) != 1 {
				t.Fatalf("%d deliveries, want 1", len(got))
			}
			verifySlack(t, tt.secret, got[0].header, got[0].body, b.s.Clock.Now())
			var env eventEnvelope
			if err := json.Unmarshal(got[0].body, &env); err != nil {
				t.Fatal(err)
			}
			ev := env.Event
			if env.Type != "event_callback" || env.TeamID != b.ws.id || env.APIAppID != "A01SIMAPP0" ||
				env.Token != "slack-verification-token" || !strings.HasPrefix(env.EventID, "Ev") || env.EventTime == 0 {
				t.Errorf("envelope = %+v", env)
			}
			if ev["type"] != "message" || ev["channel"] != m["channel"] || ev["user"] != b.ws.botUserID ||
				ev["text"] != "hello <@U1>" || ev["ts"] != m["ts"] || ev["bot_id"] != b.ws.botID || ev["channel_type"] != "channel" {
				t.Errorf("event = %v (post answered %v)", ev, m)
			}
		})
	}
}

func TestURLVerification(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	handler := func(answer func(w http.ResponseWriter, challenge string)) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := slackSignatureError("slack-signing-secret", r.Header, body, b.s.Clock.Now()); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			var req struct{ Token, Challenge, Type string }
			if json.Unmarshal(body, &req) != nil || req.Type != "url_verification" || req.Token != "slack-verification-token" {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			answer(w, req.Challenge)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, challenge string)
		want   bool
	}{
		{"plain text", func(w http.ResponseWriter, c string) { io.WriteString(w, c) }, true},
		{"json", func(w http.ResponseWriter, c string) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"challenge": c})
		}, true},
		{"form", func(w http.ResponseWriter, c string) { io.WriteString(w, url.Values{"challenge": {c}}.Encode()) }, true},
		{"wrong echo", func(w http.ResponseWriter, c string) { io.WriteString(w, "nope") }, false},
		{"right echo, 500", func(w http.ResponseWriter, c string) { http.Error(w, c, http.StatusInternalServerError) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.s.Call(t, http.MethodPost, "/_control/slack/verify-url", map[string]string{"url": handler(tt.answer)})
			m := fields(t, res)
			if res.Status != http.StatusOK || m["verified"] != tt.want || m["challenge"] == "" {
				t.Errorf("verify-url: %d %s, want verified %v", res.Status, res.Body, tt.want)
			}
		})
	}

	// The default target is the webhook URL; without one it is a 400.
	if res := b.s.Call(t, http.MethodPost, "/_control/slack/verify-url", map[string]string{}); res.Status != http.StatusBadRequest {
		t.Errorf("no URL: %d %s", res.Status, res.Body)
	}
}

func TestControlEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	rec := withSink(t, b)
	tests := []struct {
		name       string
		body       any
		wantStatus int
	}{
		{"app_mention", map[string]any{"event": map[string]any{"type": "app_mention", "user": b.ws.ownerID,
			"text": "<@" + b.ws.botUserID + "> hi", "channel": "C1", "ts": "1.000001"}}, http.StatusOK},
		{"reaction_added", map[string]any{"event": map[string]any{"type": "reaction_added", "reaction": "tada"}}, http.StatusOK},
		{"no event", map[string]any{}, http.StatusBadRequest},
		{"no type", map[string]any{"event": map[string]any{"user": "U1"}}, http.StatusBadRequest},
		{"not json", "{", http.StatusBadRequest},
	}
	for _, tt := range tests {
		var res simtest.Response
		if s, ok := tt.body.(string); ok {
			res = simtest.Do(t, mustRequest(t, http.MethodPost, b.s.BaseURL()+"/_control/slack/events", s))
		} else {
			res = b.s.Call(t, http.MethodPost, "/_control/slack/events", tt.body)
		}
		if res.Status != tt.wantStatus {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
		}
	}
	b.s.Webhooks().Wait()
	got := rec.all()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2", len(got))
	}
	ids := map[string]bool{}
	for i, want := range []string{"app_mention", "reaction_added"} {
		verifySlack(t, "slack-signing-secret", got[i].header, got[i].body, b.s.Clock.Now())
		var env eventEnvelope
		if err := json.Unmarshal(got[i].body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Event["type"] != want || env.Event["event_ts"] == nil {
			t.Errorf("delivery %d: %s", i, got[i].body)
		}
		ids[env.EventID] = true
	}
	if len(ids) != 2 {
		t.Errorf("event ids repeat: %v", ids)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	// The example from Slack's "Verifying requests" guide.
	const (
		secret = "8f742231b10e8888abcd99yyyzzz85a5"
		ts     = "1531420618"
		body   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		want   = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	if got := Signature(secret, ts, []byte(body)); got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}
