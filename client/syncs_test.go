package client_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
)

// itemsSync saves metadata.count items ({id, title, n}) in pages of 10;
// metadata.version changes their titles, metadata.track turns on delete
// detection. It calls no provider, so the connection needs no live
// credentials.
const itemsSync = `import { createSync } from 'nango';
import * as z from 'zod';

const Item = z.object({ id: z.string(), title: z.string(), n: z.number() });

export default createSync({
  description: 'Items', version: '1.0.0', frequency: 'every hour', autoStart: true,
  models: { Item },
  exec: async (nango) => {
    const md = await nango.getMetadata();
    const count = md.count ?? 10;
    const v = md.version ?? 'a';
    if (md.track) await nango.trackDeletesStart('Item');
    for (let i = 0; i < count; i += 10) {
      const page = [];
      for (let j = i; j < Math.min(i + 10, count); j++) page.push({ id: 'item-' + j, title: v + '-' + j, n: j });
      await nango.batchSave(page, 'Item');
    }
    if (md.track) await nango.trackDeletesEnd('Item');
  },
});
`

// syncsBundle is a server with itemsSync deployed for the "github"
// integration and connection c1, whose initial run has finished.
type syncsBundle struct {
	t   *testing.T
	url string
	c   *client.Client
	sel client.SyncSelection
}

func syncsSetup(t *testing.T, backend apptest.Backend, count int) *syncsBundle {
	t.Helper()
	srv := apptest.Start(t, apptest.Options{Backend: backend, Env: map[string]string{"PATCHBAY_SYNC_ATTEMPTS": "1"}})
	c := srv.Client()
	ctx := t.Context()
	if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "github", Provider: "github",
		Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "id", ClientSecret: "secret"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeployFunctions(ctx, map[string]string{"github/syncs/items.ts": itemsSync}, nil); err != nil {
		t.Fatal(err)
	}
	// Far from expiry: nothing refreshes the token (which would call GitHub).
	expires := time.Now().Add(48 * time.Hour)
	if _, err := c.ImportConnection(ctx, client.ImportConnectionRequest{ProviderConfigKey: "github", ConnectionID: "c1",
		Credentials: client.ImportCredentials{Type: "OAUTH2", AccessToken: "gho_1", ExpiresAt: &expires},
		Metadata:    map[string]any{"count": count}}); err != nil {
		t.Fatal(err)
	}
	b := &syncsBundle{t: t, url: srv.URL, c: c, sel: client.SyncSelection{IntegrationKey: "github", ConnectionID: "c1", Syncs: client.SyncNames("items")}}
	b.wait("base")
	return b
}

// wait polls until the variant's instance is neither queued nor running,
// and returns its status.
func (b *syncsBundle) wait(variant string) client.SyncStatus {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := b.c.SyncStatus(b.t.Context(), b.sel)
		if err != nil {
			b.t.Fatal(err)
		}
		for _, st := range list {
			if st.Variant == variant && st.Status != "RUNNING" && st.FinishedAt != nil {
				return st
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no finished run of variant %s: %+v", variant, list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *syncsBundle) all(opts client.ListRecordsOptions) []client.Record {
	b.t.Helper()
	var out []client.Record
	for rec, err := range b.c.Records(b.t.Context(), "github", "c1", opts) {
		if err != nil {
			b.t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

func ids(recs []client.Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestSyncsClient(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := syncsSetup(t, backend, 25)
			c, ctx := b.c, t.Context()
			// One deploy for both: each takes seconds under the race detector.
			t.Run("errors", func(t *testing.T) { syncsErrors(t, c) })

			st := b.wait("base")
			if st.Name != "items" || st.ConnectionID != "c1" || st.Status != "SUCCESS" || st.Type != "INITIAL" ||
				st.LatestResult["Item"] != (client.SyncRecordCounts{Added: 25}) || st.RecordCount["Item"] != 25 || st.Frequency != "every hour" {
				t.Fatalf("after the initial run: %+v", st)
			}
			// No connection and no names: every instance of every sync.
			if list, err := c.SyncStatus(ctx, client.SyncSelection{IntegrationKey: "github"}); err != nil || len(list) != 1 || list[0].ID != st.ID {
				t.Fatalf("status of everything = %+v, %v", list, err)
			}

			// One page, then all of them through the iterator, 7 a page.
			page, err := c.ListRecords(ctx, "github", "c1", client.ListRecordsOptions{Model: "Item", Limit: 7})
			if err != nil || len(page.Records) != 7 || page.NextCursor == "" {
				t.Fatalf("first page = %+v, %v", page, err)
			}
			first := page.Records[0]
			var item struct {
				ID    string `json:"id"`
				Title string `json:"title"`
				N     int    `json:"n"`
			}
			if err := first.Decode(&item); err != nil || item.ID != first.ID || item.Title != "a-"+item.ID[len("item-"):] {
				t.Fatalf("decoded %+v from %s: %v", item, first.JSON, err)
			}
			if m := first.Metadata; m.LastAction != client.RecordAdded || m.Cursor == "" || m.FirstSeenAt.IsZero() || m.LastModifiedAt.IsZero() || m.DeletedAt != nil {
				t.Fatalf("metadata %+v", m)
			}
			all := b.all(client.ListRecordsOptions{Model: "Item", Limit: 7})
			if len(all) != 25 || !slices.Equal(ids(all[:7]), ids(page.Records)) {
				t.Fatalf("iterated %d records: %v", len(all), ids(all))
			}
			rest := b.all(client.ListRecordsOptions{Model: "Item", Limit: 10, Cursor: page.NextCursor})
			if !slices.Equal(ids(rest), ids(all[7:])) {
				t.Fatalf("from the next cursor: %v", ids(rest))
			}
			// One request a page; stopping early asks for no more.
			counted := &counting{}
			cc := client.New(b.url, apptest.DevKey, client.WithHTTPClient(&http.Client{Transport: counted}))
			for _, err := range cc.Records(ctx, "github", "c1", client.ListRecordsOptions{Model: "Item", Limit: 10}) {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := counted.n.Swap(0); got != 3 {
				t.Fatalf("25 records in pages of 10 took %d requests", got)
			}
			n := 0
			for _, err := range cc.Records(ctx, "github", "c1", client.ListRecordsOptions{Model: "Item", Limit: 2}) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == 3 {
					break
				}
			}
			if got := counted.n.Load(); got != 2 {
				t.Fatalf("stopping at the third record of pages of 2 took %d requests", got)
			}
			if h := counted.last.Load(); h == nil || h.Get("Connection-Id") != "c1" || h.Get("Provider-Config-Key") != "github" {
				t.Fatalf("records request headers %v", h)
			}
			byID, err := c.ListRecords(ctx, "github", "c1", client.ListRecordsOptions{Model: "Item", IDs: []string{"item-3", "item-20", "nope"}})
			if err != nil || !slices.Equal(ids(byID.Records), []string{"item-3", "item-20"}) || byID.NextCursor != "" {
				t.Fatalf("by id = %v, %v", ids(byID.Records), err)
			}

			// A new version updates every record, and more items add.
			if err := c.UpdateMetadata(ctx, "github", []string{"c1"}, map[string]any{"count": 30, "version": "b"}); err != nil {
				t.Fatal(err)
			}
			before := time.Now().Add(-time.Second)
			if err := c.TriggerSync(ctx, b.sel, client.TriggerSyncOptions{}); err != nil {
				t.Fatal(err)
			}
			st = b.wait("base")
			if st.Status != "SUCCESS" || st.Type != "INCREMENTAL" || st.LatestResult["Item"] != (client.SyncRecordCounts{Added: 5, Updated: 25}) {
				t.Fatalf("after the trigger: %+v", st)
			}
			if got := b.all(client.ListRecordsOptions{Model: "Item", Filter: "added"}); len(got) != 5 || got[0].Metadata.LastAction != client.RecordAdded {
				t.Fatalf("filter added: %v", ids(got))
			}
			if got := b.all(client.ListRecordsOptions{Model: "Item", ModifiedAfter: before}); len(got) != 30 {
				t.Fatalf("modified after the trigger: %d", len(got))
			}
			if got := b.all(client.ListRecordsOptions{Model: "Item", ModifiedAfter: time.Now().Add(time.Hour)}); len(got) != 0 {
				t.Fatalf("modified in the future: %d", len(got))
			}

			// reset and emptyCache: the records are dropped, then saved again.
			if err := c.UpdateMetadata(ctx, "github", []string{"c1"}, map[string]any{"count": 12, "version": "c", "track": true}); err != nil {
				t.Fatal(err)
			}
			if err := c.TriggerSync(ctx, b.sel, client.TriggerSyncOptions{Reset: true, EmptyCache: true}); err != nil {
				t.Fatal(err)
			}
			if st = b.wait("base"); st.LatestResult["Item"] != (client.SyncRecordCounts{Added: 12}) || st.RecordCount["Item"] != 12 {
				t.Fatalf("after emptyCache: %+v", st)
			}

			// Pause and start.
			if err := c.PauseSyncs(ctx, b.sel); err != nil {
				t.Fatal(err)
			}
			if st := b.wait("base"); st.Status != "PAUSED" || st.NextScheduledSyncAt != nil {
				t.Fatalf("after pause: %+v", st)
			}
			if err := c.StartSyncs(ctx, b.sel); err != nil {
				t.Fatal(err)
			}
			if st := b.wait("base"); st.Status != "SUCCESS" || st.NextScheduledSyncAt == nil {
				t.Fatalf("after start: %+v", st)
			}

			// Frequency override and revert.
			if f, err := c.UpdateSyncFrequency(ctx, "github", "c1", client.SyncRef{Name: "items"}, "every 5 minutes"); err != nil || f != "every 5m" {
				t.Fatalf("override = %q, %v", f, err)
			}
			if st := b.wait("base"); st.Frequency != "every 5m" {
				t.Fatalf("frequency %q", st.Frequency)
			}
			if f, err := c.UpdateSyncFrequency(ctx, "github", "c1", client.SyncRef{Name: "items"}, ""); err != nil || f != "every hour" {
				t.Fatalf("revert = %q, %v", f, err)
			}

			// A variant runs apart, with its own records; a ref with a
			// variant narrows the status to it.
			v, err := c.CreateSyncVariant(ctx, "github", "c1", "items", "v2")
			if err != nil || v.ID == "" || v.Name != "items" || v.Variant != "v2" {
				t.Fatalf("variant = %+v, %v", v, err)
			}
			if st := b.wait("v2"); st.Status != "SUCCESS" || st.ID != v.ID {
				t.Fatalf("variant run: %+v", st)
			}
			only, err := c.SyncStatus(ctx, client.SyncSelection{IntegrationKey: "github", ConnectionID: "c1", Syncs: []client.SyncRef{{Name: "items", Variant: "v2"}}})
			if err != nil || len(only) != 1 || only[0].Variant != "v2" {
				t.Fatalf("status of the variant = %+v, %v", only, err)
			}
			if got := b.all(client.ListRecordsOptions{Model: "Item", Variant: "v2", Limit: 5}); len(got) != 12 {
				t.Fatalf("variant records %d", len(got))
			}
			if err := c.DeleteSyncVariant(ctx, "github", "c1", "items", "v2"); err != nil {
				t.Fatal(err)
			}
			if err := c.DeleteSyncVariant(ctx, "github", "c1", "items", "v2"); !client.IsNotFound(err) {
				t.Fatalf("deleting it twice: %v", err)
			}

			// Pruning keeps the records' ids and metadata, not their fields.
			base := b.all(client.ListRecordsOptions{Model: "Item"})
			if len(base) != 12 {
				t.Fatalf("base records %d", len(base))
			}
			res, err := c.PruneRecords(ctx, "github", "c1", client.PruneRecordsRequest{Model: "Item", UntilCursor: base[4].Metadata.Cursor})
			if err != nil || res.Count != 5 || res.HasMore {
				t.Fatalf("prune = %+v, %v", res, err)
			}
			after := b.all(client.ListRecordsOptions{Model: "Item"})
			var pruned struct {
				Title *string `json:"title"`
			}
			if err := after[4].Decode(&pruned); err != nil || pruned.Title != nil || after[4].ID != base[4].ID || after[4].Metadata.Cursor == "" {
				t.Fatalf("pruned record %s", after[4].JSON)
			}
			if err := after[5].Decode(&pruned); err != nil || pruned.Title == nil {
				t.Fatalf("record after the cursor %s", after[5].JSON)
			}
		})
	}
}

// syncsErrors checks the server's refusals as the client reports them.
func syncsErrors(t *testing.T, c *client.Client) {
	ctx := t.Context()
	var apiErr *client.Error

	err := c.TriggerSync(ctx, client.SyncSelection{IntegrationKey: "github", Syncs: client.SyncNames("nope")}, client.TriggerSyncOptions{})
	if !client.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.Code != "unknown_sync" {
		t.Errorf("unknown sync: %v", err)
	}
	if _, err := c.SyncStatus(ctx, client.SyncSelection{IntegrationKey: "github", ConnectionID: "zz"}); !client.IsNotFound(err) {
		t.Errorf("status of an unknown connection: %v", err)
	}
	if _, err := c.ListRecords(ctx, "github", "c1", client.ListRecordsOptions{Model: "Nope"}); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown model: %v", err)
	}
	if _, err := c.UpdateSyncFrequency(ctx, "github", "c1", client.SyncRef{Name: "items"}, "every 2 seconds"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("too frequent: %v", err)
	}
	if _, err := c.CreateSyncVariant(ctx, "github", "c1", "items", "base"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("variant named base: %v", err)
	}
	// The iterator yields a failed page's error once, then stops.
	var errs []error
	for rec, err := range c.Records(ctx, "github", "zz", client.ListRecordsOptions{Model: "Item"}) {
		if err == nil {
			t.Fatalf("record %s of an unknown connection", rec.JSON)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 || !client.IsNotFound(errs[0]) {
		t.Errorf("records of an unknown connection: %v", errs)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range c.Records(cancelled, "github", "c1", client.ListRecordsOptions{Model: "Item"}) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("records with a cancelled context: %v", err)
		}
	}
}

func TestSyncsClientArguments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Missing arguments fail before anything is sent.
	counted := &counting{}
	offline := client.New("http://127.0.0.1:1", "key", client.WithHTTPClient(&http.Client{Transport: counted}))
	checks := map[string]error{}
	checks["trigger without integration"] = offline.TriggerSync(ctx, client.SyncSelection{}, client.TriggerSyncOptions{})
	checks["pause without syncs"] = offline.PauseSyncs(ctx, client.SyncSelection{IntegrationKey: "github"})
	checks["start with an empty name"] = offline.StartSyncs(ctx, client.SyncSelection{IntegrationKey: "github", Syncs: client.SyncNames("")})
	_, checks["status with a comma"] = offline.SyncStatus(ctx, client.SyncSelection{IntegrationKey: "github", Syncs: client.SyncNames("a,b")})
	_, checks["frequency without connection"] = offline.UpdateSyncFrequency(ctx, "github", "", client.SyncRef{Name: "items"}, "1h")
	_, checks["variant without name"] = offline.CreateSyncVariant(ctx, "github", "c1", "items", "")
	checks["delete variant without sync"] = offline.DeleteSyncVariant(ctx, "github", "c1", "", "v")
	_, checks["records without model"] = offline.ListRecords(ctx, "github", "c1", client.ListRecordsOptions{})
	_, checks["records without connection"] = offline.ListRecords(ctx, "github", "", client.ListRecordsOptions{Model: "Item"})
	_, checks["prune without cursor"] = offline.PruneRecords(ctx, "github", "c1", client.PruneRecordsRequest{Model: "Item"})
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := counted.n.Load(); n != 0 {
		t.Errorf("%d requests sent for calls missing arguments", n)
	}
}

// counting counts the requests it sends and keeps the last one's headers.
type counting struct {
	n    atomic.Int64
	last atomic.Pointer[http.Header]
}

func (c *counting) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	h := req.Header.Clone()
	c.last.Store(&h)
	return http.DefaultTransport.RoundTrip(req)
}
