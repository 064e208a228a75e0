package github

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"strconv"

	"github.com/google/uuid"
)

// hookEvent is a delivery built under the lock and sent after it.
type hookEvent struct {
	event      string
	body       []byte
	secret     string
	targetType string // repository or integration
	targetID   int64
}

// eventLocked builds a webhook payload about rp: action, the objects in
// extra, repository, sender and, when the change came through an
// installation or the repository belongs to one, installation. p.mu must
// be held. Nothing is built while no webhook URL is set.
func (p *Provider) eventLocked(event, action string, rp *repo, c *caller, base string, extra map[string]any) hookEvent {
	if p.s.Webhooks().URL() == "" {
		return hookEvent{}
	}
	payload := map[string]any{
		"action":     action,
		"repository": renderRepo(base, rp, false),
		"sender":     renderAccount(base, c.actor),
	}
	maps.Copy(payload, extra)
	var inst *installation
	if c.inst != nil {
		inst = c.inst
	} else {
		for _, in := range p.sortedInstallationsLocked() {
			if in.covers(rp) {
				inst = in
				break
			}
		}
	}
	ev := hookEvent{event: event, secret: p.secret, targetType: "repository", targetID: rp.id}
	if inst != nil {
		payload["installation"] = map[string]any{"id": inst.id, "node_id": nodeID("IntegrationInstallation", inst.id)}
		ev.targetType, ev.targetID = "integration", inst.appID
	}
	ev.body = mustJSON(payload)
	return ev
}

// send signs and posts ev the way GitHub does: HMAC-SHA256 of the raw body
// in X-Hub-Signature-256 (and the legacy SHA-1 one), a fresh delivery
// UUID per delivery.
func (p *Provider) send(ev hookEvent) {
	if ev.body == nil {
		return
	}
	mac256 := hmac.New(sha256.New, []byte(ev.secret))
	mac256.Write(ev.body)
	mac1 := hmac.New(sha1.New, []byte(ev.secret))
	mac1.Write(ev.body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/sim")
	h.Set("X-GitHub-Event", ev.event)
	h.Set("X-GitHub-Delivery", uuid.NewString())
	h.Set("X-GitHub-Hook-ID", "1")
	h.Set("X-GitHub-Hook-Installation-Target-Type", ev.targetType)
	h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(ev.targetID, 10))
	h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac256.Sum(nil)))
	h.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac1.Sum(nil)))
	p.s.Webhooks().Send(name, h, ev.body)
}
