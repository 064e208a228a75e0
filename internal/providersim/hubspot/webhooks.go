package hubspot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
)

// Webhook subscription types the simulator sends.
const (
	subCreation       = "contact.creation"
	subDeletion       = "contact.deletion"
	subPropertyChange = "contact.propertyChange"
)

// subscriptionIDs stand for the app's webhook subscriptions, one per type.
var subscriptionIDs = map[string]int64{subCreation: 2100001, subDeletion: 2100002, subPropertyChange: 2100003}

// maxEventsPerRequest is how many events HubSpot batches into one POST.
const maxEventsPerRequest = 100

// event is one entry of a webhook payload.
type event struct {
	EventID          int64   `json:"eventId"`
	SubscriptionID   int64   `json:"subscriptionId"`
	PortalID         int64   `json:"portalId"`
	AppID            int64   `json:"appId"`
	OccurredAt       int64   `json:"occurredAt"`
	SubscriptionType string  `json:"subscriptionType"`
	AttemptNumber    int     `json:"attemptNumber"`
	ObjectID         int64   `json:"objectId"`
	PropertyName     string  `json:"propertyName,omitempty"`
	PropertyValue    *string `json:"propertyValue,omitempty"`
	ChangeSource     string  `json:"changeSource"`
}

// event numbers a new event; the caller holds p.mu for writing, which keeps
// event ids in the order of the changes.
func (p *Provider) event(portal int64, typ string, objectID int64, prop string, value *string, source string, at int64) event {
	p.eventSeq++
	return event{
		EventID:          p.eventSeq,
		SubscriptionID:   subscriptionIDs[typ],
		PortalID:         portal,
		AppID:            p.opts.AppID,
		OccurredAt:       at,
		SubscriptionType: typ,
		ObjectID:         objectID,
		PropertyName:     prop,
		PropertyValue:    value,
		ChangeSource:     source,
	}
}

// deliver posts events to the webhook URL in batches of up to 100, signed
// the way HubSpot signs them: X-HubSpot-Signature-v3 is the base64
// HMAC-SHA256, keyed with the app's client secret, of method, full URL,
// body and the X-HubSpot-Request-Timestamp value; the older v1 header
// (hex SHA-256 of secret and body) comes along as HubSpot still sends it.
func (p *Provider) deliver(events ...event) {
	uri := p.s.Webhooks().URL()
	if uri == "" || len(events) == 0 {
		return
	}
	for start := 0; start < len(events); start += maxEventsPerRequest {
		body, err := json.Marshal(events[start:min(start+maxEventsPerRequest, len(events))])
		if err != nil {
			p.s.Logger().Error("hubspot: encode webhook events", "err", err)
			return
		}
		ts := strconv.FormatInt(p.nowMillis(), 10)
		mac := hmac.New(sha256.New, []byte(p.opts.ClientSecret))
		mac.Write([]byte(http.MethodPost + uri))
		mac.Write(body)
		mac.Write([]byte(ts))
		v1 := sha256.Sum256(append([]byte(p.opts.ClientSecret), body...))
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-HubSpot-Request-Timestamp", ts)
		h.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		h.Set("X-HubSpot-Signature", hex.EncodeToString(v1[:]))
		h.Set("X-HubSpot-Signature-Version", "v1")
		p.s.Webhooks().Send(name, h, body)
	}
}
