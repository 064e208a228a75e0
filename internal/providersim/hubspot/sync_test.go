package hubspot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// receiver records webhook deliveries.
type receiver struct {
	mu   sync.Mutex
	reqs []delivered
}

type delivered struct {
	method string
	header http.Header
	body   []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, delivered{r.Method, r.Header.Clone(), body})
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) take() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := rc.reqs
	rc.reqs = nil
	return out
}

// events checks each delivery's signatures, computed here from HubSpot's
// description rather than with the simulator's code, and returns the events.
func (rc *receiver) events(t *testing.T, uri, secret string) []event {
	t.Helper()
	var all []event
	for _, d := range rc.take() {
		ts := d.header.Get("X-HubSpot-Request-Timestamp")
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(d.method + uri + string(d.body) + ts))
		if got, want := d.header.Get("X-HubSpot-Signature-v3"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want || ts == "" {
			t.Fatalf("v3 signature %q, want %q (timestamp %q)", got, want, ts)
		}
		v1 := sha256.Sum256([]byte(secret + string(d.body)))
		if d.header.Get("X-HubSpot-Signature") != hex.EncodeToString(v1[:]) || d.header.Get("X-HubSpot-Signature-Version") != "v1" {
			t.Fatalf("v1 signature %q", d.header.Get("X-HubSpot-Signature"))
		}
		var evs []event
		if err := json.Unmarshal(d.body, &evs); err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	return all
}

func sortedIDs(s []string) []string {
	out := slices.Clone(s)
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i])
		b, _ := strconv.Atoi(out[j])
		return a < b
	})
	return out
}

func TestModifyThenIncrementalSync(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	hooks := httptest.NewServer(rc)
	t.Cleanup(hooks.Close)
	hookURL := hooks.URL + "/webhooks/hubspot?app=1"
	b := setup(t, sim.Options{Seed: 11, DisableRateLimits: true, WebhookURL: hookURL}, Options{DefaultContacts: 300, ClientSecret: "s3cret"})

	// Initial full sync, ordered by lastmodifieddate; the watermark is the
	// last value seen.
	body := map[string]any{"limit": 100, "sorts": []any{map[string]string{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}}}
	total, before := b.searchAll(t, body)
	if total != 300 || len(before) != 300 {
		t.Fatalf("full sync: total %d, %d results", total, len(before))
	}
	watermark := millis(t, before[len(before)-1].prop("lastmodifieddate"))
	byID := map[string]contactOut{}
	for _, c := range before {
		byID[c.ID] = c
	}

	b.s.Clock.Advance(time.Second)
	var changed struct{ Modified, Deleted, Created []string }
	b.control(t, "modify", map[string]any{"modify": 5, "delete": 3, "create": 4}, &changed)
	if len(changed.Modified) != 5 || len(changed.Deleted) != 3 || len(changed.Created) != 4 {
		t.Fatalf("modify answered %+v", changed)
	}

	inc := gtFilter("lastmodifieddate", "GT", watermark)
	inc["sorts"] = body["sorts"]
	total, after := b.searchAll(t, inc)
	want := sortedIDs(append(slices.Clone(changed.Modified), changed.Created...))
	if got := sortedIDs(ids(after)); total != 9 || !slices.Equal(got, want) {
		t.Fatalf("incremental sync saw %v (total %d), want %v", got, total, want)
	}
	for _, c := range after {
		old, wasThere := byID[c.ID]
		if millis(t, c.prop("lastmodifieddate")) <= watermark {
			t.Errorf("contact %s not after the watermark", c.ID)
		}
		if wasThere && old.prop("firstname") == c.prop("firstname") {
			t.Errorf("contact %s kept its first name", c.ID)
		}
	}

	archived := b.listAll(t, "&archived=true")
	if got := ids(archived); !slices.Equal(got, sortedIDs(changed.Deleted)) {
		t.Errorf("archived list %v, want %v", got, sortedIDs(changed.Deleted))
	}
	for _, c := range archived {
		if !c.Archived {
			t.Errorf("archived contact %s says archived=false", c.ID)
		}
	}
	live := b.listAll(t, "")
	if len(live) != 301 {
		t.Errorf("live contacts %d, want 301", len(live))
	}
	for _, c := range live {
		if slices.Contains(changed.Deleted, c.ID) {
			t.Errorf("deleted contact %s still listed", c.ID)
		}
	}

	// Webhooks: 2 property changes per modified contact, then deletions
	// and creations, in one signed batch.
	b.s.Webhooks().Wait()
	evs := rc.events(t, hookURL, "s3cret")
	counts := map[string][]string{}
	for _, e := range evs {
		counts[e.SubscriptionType] = append(counts[e.SubscriptionType], strconv.FormatInt(e.ObjectID, 10))
		if e.PortalID != b.p.opts.PortalID || e.AppID != b.p.opts.AppID || e.OccurredAt == 0 || e.EventID == 0 {
			t.Errorf("event %+v", e)
		}
	}
	if len(evs) != 17 || len(counts[subPropertyChange]) != 10 ||
		!slices.Equal(sortedIDs(counts[subDeletion]), sortedIDs(changed.Deleted)) ||
		!slices.Equal(sortedIDs(counts[subCreation]), sortedIDs(changed.Created)) {
		t.Fatalf("events by type %v", counts)
	}

	// Changes through the API send their own events.
	b.api(t, http.MethodPatch, "/hubspot/crm/v3/objects/contacts/"+changed.Created[0], map[string]any{"properties": map[string]string{"city": "Oslo"}})
	b.s.Webhooks().Wait()
	evs = rc.events(t, hookURL, "s3cret")
	if len(evs) != 1 || evs[0].SubscriptionType != subPropertyChange || evs[0].PropertyName != "city" ||
		evs[0].PropertyValue == nil || *evs[0].PropertyValue != "Oslo" || evs[0].ChangeSource != "API" {
		t.Fatalf("API change events %+v", evs)
	}
}

func TestWebhooksDefaultSecret(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	hooks := httptest.NewServer(rc)
	t.Cleanup(hooks.Close)
	b := setup(t, sim.Options{WebhookURL: hooks.URL}, Options{})
	b.control(t, "modify", map[string]any{"create": 150}, nil)
	b.s.Webhooks().Wait()
	rc.mu.Lock()
	n := len(rc.reqs)
	rc.mu.Unlock()
	if n != 2 {
		t.Fatalf("150 events came in %d requests, want 2 (100 per request)", n)
	}
	if evs := rc.events(t, hooks.URL, sim.DefaultClient("hubspot").Secret); len(evs) != 150 {
		t.Fatalf("%d events", len(evs))
	}
}
