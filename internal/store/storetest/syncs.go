package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// syncInstance ensures a new instance of syncName on c, after edit has had
// its say.
func (b *bundle) syncInstance(t *testing.T, c *store.Connection, syncName, variant string, edit ...func(*store.SyncInstance)) *store.SyncInstance {
	t.Helper()
	in := &store.SyncInstance{EnvironmentID: c.EnvironmentID, IntegrationID: c.IntegrationID, ConnectionRef: c.ID,
		SyncName: syncName, Variant: variant}
	for _, e := range edit {
		e(in)
	}
	got, inserted, err := b.store.SyncInstances().Ensure(b.ctx, in)
	if err != nil || !inserted {
		t.Fatalf("ensure sync instance %s: %v, inserted %v", syncName, err, inserted)
	}
	return got
}

func instanceNames(ins []*store.SyncInstance) string {
	var out []string
	for _, in := range ins {
		out = append(out, in.ConnectionID+"/"+in.SyncName+"/"+in.Variant)
	}
	return strings.Join(out, ",")
}

// due makes an instance enabled and due at t.
func due(t time.Time) func(*store.SyncInstance) {
	return func(in *store.SyncInstance) { in.Enabled, in.Started, in.NextRunAt = true, true, &t }
}

// syncTime is a fixed instant: the schedule's tests never read the clock.
var syncTime = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

func testSyncInstances(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("EnsureIsIdempotent", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		first := b.syncInstance(t, b.conn, "contacts", "", due(syncTime))
		if first.ID == "" || first.Variant != store.DefaultVariant || first.IntegrationKey != "hubspot" || first.ConnectionID != "conn-1" ||
			!first.Enabled || first.NextRunAt == nil || !first.NextRunAt.Equal(syncTime) || first.CreatedAt.IsZero() {
			t.Fatalf("Ensure = %+v", first)
		}
		again, inserted, err := b.store.SyncInstances().Ensure(b.ctx, &store.SyncInstance{EnvironmentID: b.env.ID,
			IntegrationID: b.in.ID, ConnectionRef: b.conn.ID, SyncName: "contacts", Variant: store.DefaultVariant})
		if err != nil || inserted || again.ID != first.ID || !again.Enabled {
			t.Fatalf("second Ensure = %+v, %v, %v", again, inserted, err)
		}
		other := b.integration(t, b.env.ID, "github")
		prod := b.environment(t, "prod")
		for name, in := range map[string]*store.SyncInstance{
			"unknown connection":        {EnvironmentID: b.env.ID, IntegrationID: b.in.ID, ConnectionRef: uuid.NewString(), SyncName: "s"},
			"another integration's":     {EnvironmentID: b.env.ID, IntegrationID: other.ID, ConnectionRef: b.conn.ID, SyncName: "s"},
			"another environment's":     {EnvironmentID: prod.ID, IntegrationID: b.in.ID, ConnectionRef: b.conn.ID, SyncName: "s"},
			"a connection id not a ref": {EnvironmentID: b.env.ID, IntegrationID: b.in.ID, ConnectionRef: "conn-1", SyncName: "s"},
		} {
			if _, _, err := b.store.SyncInstances().Ensure(b.ctx, in); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Ensure on %s: error = %v, want ErrNotFound", name, err)
			}
		}
		// Concurrent first starts of several nodes agree on one instance.
		var wg sync.WaitGroup
		ids := make([]string, 6)
		var insertedN sync.Map
		for i := range ids {
			wg.Go(func() {
				got, ins, err := b.store.SyncInstances().Ensure(b.ctx, &store.SyncInstance{EnvironmentID: b.env.ID,
					IntegrationID: b.in.ID, ConnectionRef: b.conn.ID, SyncName: "deals"})
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = got.ID
				if ins {
					insertedN.Store(i, true)
				}
			})
		}
		wg.Wait()
		n := 0
		insertedN.Range(func(any, any) bool { n++; return true })
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent Ensure returned %v", ids)
			}
		}
		if n != 1 {
			t.Fatalf("%d concurrent Ensure inserted, want 1", n)
		}
	})
	t.Run("GetAndList", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		c2 := b.connection(t, b.in, "conn-0")
		gh := b.integration(t, b.env.ID, "github")
		ghc := b.connection(t, gh, "conn-9")
		x := b.syncInstance(t, b.conn, "contacts", "")
		b.syncInstance(t, b.conn, "contacts", "eu")
		b.syncInstance(t, b.conn, "companies", "")
		b.syncInstance(t, c2, "contacts", "")
		b.syncInstance(t, ghc, "issues", "")
		prod := b.environment(t, "prod")
		pin := b.integration(t, prod.ID, "hubspot")
		b.syncInstance(t, b.connection(t, pin, "conn-1"), "contacts", "")

		if got, err := b.store.SyncInstances().Get(b.ctx, b.env.ID, x.ID); err != nil || got.ID != x.ID || got.ConnectionID != "conn-1" {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		for _, env := range []string{prod.ID, "nope"} {
			if _, err := b.store.SyncInstances().Get(b.ctx, env, x.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get from environment %s: error = %v, want ErrNotFound", env, err)
			}
		}
		for _, c := range []struct {
			f    store.SyncInstanceFilter
			want string
		}{
			{store.SyncInstanceFilter{}, "conn-9/issues/base,conn-0/contacts/base,conn-1/companies/base,conn-1/contacts/base,conn-1/contacts/eu"},
			{store.SyncInstanceFilter{IntegrationKey: "hubspot", ConnectionID: "conn-1"}, "conn-1/companies/base,conn-1/contacts/base,conn-1/contacts/eu"},
			{store.SyncInstanceFilter{SyncNames: []string{"contacts", "issues"}, Variant: store.DefaultVariant}, "conn-9/issues/base,conn-0/contacts/base,conn-1/contacts/base"},
			{store.SyncInstanceFilter{IntegrationKey: "github"}, "conn-9/issues/base"},
			{store.SyncInstanceFilter{SyncNames: []string{"nothing"}}, ""},
		} {
			c.f.EnvironmentID = b.env.ID
			got, err := b.store.SyncInstances().List(b.ctx, c.f)
			if err != nil || instanceNames(got) != c.want {
				t.Errorf("List(%+v) = %s, %v; want %s", c.f, instanceNames(got), err, c.want)
			}
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		in := b.syncInstance(t, b.conn, "contacts", "")
		lease := syncTime.Add(2 * time.Minute)
		started := syncTime.Add(-time.Minute)
		want := store.SyncInstance{
			Enabled: true, Started: true, Frequency: 90 * time.Minute, NextRunAt: nil,
			QueueToken: uuid.NewString(), QueuedAt: &syncTime, RunOptions: json.RawMessage(`{"reset":true}`),
			LeaseOwner: "node-1", LeaseUntil: &lease, Generation: 7, RunID: uuid.NewString(), RunType: store.SyncIncremental,
			RunStartedAt: &started, RunResult: map[string]store.RecordCounts{"Contact": {Added: 1, Updated: 2, Deleted: 3}},
			// Deal has invalid records only: no counts.
			RunInvalid: map[string]int{"Contact": 2, "Deal": 1},
			LastStatus: store.SyncError, LastError: json.RawMessage(`{"type":"script","message":"boom"}`), FinishedAt: &started,
			LastSuccessAt: &started, Failures: 2, LatestResult: map[string]store.RecordCounts{"Contact": {Added: 4}},
			LatestInvalid: map[string]int{"Contact": 3},
		}
		got, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, in.ID, func(s *store.SyncInstance) error {
			id := s.ID
			*s = want
			s.ID, s.SyncName = "hijacked", "other" // identity is not the change's to rewrite
			_ = id
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		read, err := b.store.SyncInstances().Get(b.ctx, b.env.ID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []*store.SyncInstance{got, read} {
			if g.ID != in.ID || g.SyncName != "contacts" || g.ConnectionID != "conn-1" || g.IntegrationKey != "hubspot" ||
				!g.CreatedAt.Equal(in.CreatedAt) || g.UpdatedAt.Before(in.UpdatedAt) {
				t.Fatalf("Update changed the identity: %+v", g)
			}
			cmp := *g
			cmp.ID, cmp.EnvironmentID, cmp.IntegrationID, cmp.IntegrationKey, cmp.ConnectionRef, cmp.ConnectionID = "", "", "", "", "", ""
			cmp.SyncName, cmp.Variant, cmp.CreatedAt, cmp.UpdatedAt = "", "", time.Time{}, time.Time{}
			if !sameJSON(t, cmp, want) {
				t.Fatalf("after Update:\n%+v\nwant\n%+v", cmp, want)
			}
		}
		errRefused := errors.New("refused")
		if _, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, in.ID, func(s *store.SyncInstance) error {
			s.Failures = 99
			return errRefused
		}); !errors.Is(err, errRefused) {
			t.Fatalf("Update error = %v, want the change's", err)
		}
		skipped, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, in.ID, func(s *store.SyncInstance) error {
			s.Failures = 99
			return store.ErrSkip
		})
		if !errors.Is(err, store.ErrSkip) || skipped == nil || skipped.Failures != 2 {
			t.Fatalf("skipped Update = %+v, %v; want the row as it is and ErrSkip", skipped, err)
		}
		if got, _ := b.store.SyncInstances().Get(b.ctx, b.env.ID, in.ID); got.Failures != 2 {
			t.Fatalf("a refused or skipped Update saved: failures %d", got.Failures)
		}
		if _, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, uuid.NewString(), func(*store.SyncInstance) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Update(unknown) error = %v, want ErrNotFound", err)
		}
		// The row is locked for the change: concurrent increments all land.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, in.ID, func(s *store.SyncInstance) error {
					s.Generation++
					return nil
				}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got, _ := b.store.SyncInstances().Get(b.ctx, b.env.ID, in.ID); got.Generation != 15 {
			t.Fatalf("after 8 concurrent increments of 7, generation = %d", got.Generation)
		}
		if _, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, in.ID, func(s *store.SyncInstance) error {
			s.LastError = json.RawMessage(`{not json`)
			return nil
		}); err == nil {
			t.Fatal("an invalid last error was saved")
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		c2 := b.connection(t, b.in, "conn-2")
		c3 := b.connection(t, b.in, "conn-3")
		for _, c := range []*store.Connection{b.conn, c2, c3} {
			b.syncInstance(t, c, "contacts", "")
			b.syncInstance(t, c, "contacts", "eu")
			b.syncInstance(t, c, "companies", "")
		}
		del := func(connectionRef, syncName, variant string) string {
			t.Helper()
			got, err := b.store.SyncInstances().Delete(b.ctx, b.env.ID, b.in.ID, connectionRef, syncName, variant)
			if err != nil {
				t.Fatal(err)
			}
			names := strings.Split(instanceNames(got), ",")
			sort.Strings(names)
			return strings.Join(names, ",")
		}
		if got := del(b.conn.ID, "contacts", "eu"); got != "conn-1/contacts/eu" {
			t.Fatalf("delete one variant = %s", got)
		}
		if got := del(b.conn.ID, "", ""); got != "conn-1/companies/base,conn-1/contacts/base" {
			t.Fatalf("delete a connection's = %s", got)
		}
		if got := del("", "contacts", ""); got != "conn-2/contacts/base,conn-2/contacts/eu,conn-3/contacts/base,conn-3/contacts/eu" {
			t.Fatalf("delete a sync's = %s", got)
		}
		if got := del("", "contacts", ""); got != "" {
			t.Fatalf("second delete = %s", got)
		}
		// Deleting a connection takes its instances along.
		if err := b.store.Connections().Delete(b.ctx, b.env.ID, "hubspot", "conn-2"); err != nil {
			t.Fatal(err)
		}
		left, err := b.store.SyncInstances().List(b.ctx, store.SyncInstanceFilter{EnvironmentID: b.env.ID})
		if err != nil || instanceNames(left) != "conn-3/companies/base" {
			t.Fatalf("left = %s, %v", instanceNames(left), err)
		}
	})
	t.Run("ClaimDue", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		early := b.syncInstance(t, b.conn, "early", "", due(syncTime.Add(-time.Hour)))
		now := b.syncInstance(t, b.conn, "now", "", due(syncTime))
		b.syncInstance(t, b.conn, "later", "", due(syncTime.Add(time.Second)))
		b.syncInstance(t, b.conn, "paused", "", due(syncTime.Add(-time.Hour)), func(in *store.SyncInstance) { in.Enabled = false })
		b.syncInstance(t, b.conn, "unscheduled", "", func(in *store.SyncInstance) { in.Enabled = true })
		b.syncInstance(t, b.conn, "running", "", due(syncTime.Add(-time.Hour)), func(in *store.SyncInstance) { in.QueueToken = "t0" })
		if _, err := b.store.SyncInstances().Update(b.ctx, b.env.ID, now.ID, func(in *store.SyncInstance) error {
			in.RunOptions = json.RawMessage(`{"reset":true}`)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := b.store.SyncInstances().ClaimDue(b.ctx, syncTime, 10)
		if err != nil {
			t.Fatal(err)
		}
		if instanceNames(got) != "conn-1/early/base,conn-1/now/base" {
			t.Fatalf("ClaimDue = %s", instanceNames(got))
		}
		for i, in := range got {
			if in.QueueToken == "" || in.QueuedAt == nil || !in.QueuedAt.Equal(syncTime) || in.NextRunAt != nil || in.RunOptions != nil {
				t.Fatalf("claimed instance = %+v", in)
			}
			read, err := b.store.SyncInstances().Get(b.ctx, b.env.ID, in.ID)
			if err != nil || read.QueueToken != in.QueueToken || read.NextRunAt != nil {
				t.Fatalf("claimed instance as stored = %+v, %v", read, err)
			}
			if i == 1 && in.QueueToken == got[0].QueueToken {
				t.Fatal("two claims share a queue token")
			}
		}
		_ = early
		if again, err := b.store.SyncInstances().ClaimDue(b.ctx, syncTime, 10); err != nil || len(again) != 0 {
			t.Fatalf("claimed twice: %s, %v", instanceNames(again), err)
		}
		if got, err := b.store.SyncInstances().ClaimDue(b.ctx, syncTime.Add(time.Hour), 10); err != nil || instanceNames(got) != "conn-1/later/base" {
			t.Fatalf("ClaimDue later = %s, %v", instanceNames(got), err)
		}
	})
	t.Run("ClaimDueIsFairAcrossEnvironments", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		for i := range 50 {
			b.syncInstance(t, b.conn, fmt.Sprintf("busy-%02d", i), "", due(syncTime.Add(-time.Duration(100-i)*time.Minute)))
		}
		small := b.environment(t, "small")
		sc := b.connection(t, b.integration(t, small.ID, "hubspot"), "small-conn")
		b.syncInstance(t, sc, "a", "", due(syncTime.Add(-time.Minute)))
		b.syncInstance(t, sc, "b", "", due(syncTime))
		got, err := b.store.SyncInstances().ClaimDue(b.ctx, syncTime, 4)
		if err != nil {
			t.Fatal(err)
		}
		names := instanceNames(got)
		if len(got) != 4 || !strings.Contains(names, "small-conn/a/base") || !strings.Contains(names, "small-conn/b/base") ||
			!strings.Contains(names, "conn-1/busy-00/base") || !strings.Contains(names, "conn-1/busy-01/base") {
			t.Fatalf("ClaimDue(4) = %s; want both of the small environment's and the busy one's two soonest", names)
		}
	})
	t.Run("ConcurrentClaimsNeverShareAnInstance", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		const n = 40
		for i := range n {
			b.syncInstance(t, b.conn, fmt.Sprintf("s%02d", i), "", due(syncTime.Add(-time.Duration(i)*time.Second)))
		}
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					got, err := b.store.SyncInstances().ClaimDue(b.ctx, syncTime, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, in := range got {
						claimed[in.ID]++
					}
					total := len(claimed)
					mu.Unlock()
					if len(got) == 0 && total == n {
						return
					}
					if len(got) == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		if len(claimed) != n {
			t.Fatalf("%d instances claimed, want %d", len(claimed), n)
		}
		for id, k := range claimed {
			if k != 1 {
				t.Fatalf("instance %s claimed %d times", id, k)
			}
		}
	})
	t.Run("Stale", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		at := func(d time.Duration) *time.Time { v := syncTime.Add(d); return &v }
		b.syncInstance(t, b.conn, "expired-lease", "", func(in *store.SyncInstance) {
			in.QueueToken, in.QueuedAt, in.LeaseOwner, in.LeaseUntil = "t1", at(-time.Hour), "node-1", at(-time.Second)
		})
		b.syncInstance(t, b.conn, "live-lease", "", func(in *store.SyncInstance) {
			in.QueueToken, in.QueuedAt, in.LeaseOwner, in.LeaseUntil = "t2", at(-time.Hour), "node-1", at(time.Minute)
		})
		b.syncInstance(t, b.conn, "queued-long-ago", "", func(in *store.SyncInstance) {
			in.QueueToken, in.QueuedAt = "t3", at(-time.Hour)
		})
		b.syncInstance(t, b.conn, "queued-just-now", "", func(in *store.SyncInstance) {
			in.QueueToken, in.QueuedAt = "t4", at(-time.Second)
		})
		b.syncInstance(t, b.conn, "idle", "", due(syncTime))
		got, err := b.store.SyncInstances().Stale(b.ctx, syncTime, syncTime.Add(-time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		names := strings.Split(instanceNames(got), ",")
		sort.Strings(names)
		if fmt.Sprint(names) != "[conn-1/expired-lease/base conn-1/queued-long-ago/base]" {
			t.Fatalf("Stale = %v", names)
		}
		if got, err := b.store.SyncInstances().Stale(b.ctx, syncTime, syncTime.Add(-time.Minute), 1); err != nil || len(got) != 1 {
			t.Fatalf("Stale(limit 1) = %s, %v", instanceNames(got), err)
		}
	})
	t.Run("Checkpoint", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		in := b.syncInstance(t, b.conn, "contacts", "")
		si := b.store.SyncInstances()
		if cp, err := si.Checkpoint(b.ctx, in.ID); err != nil || cp != nil {
			t.Fatalf("new instance's checkpoint = %s, %v", cp, err)
		}
		if err := si.SetCheckpoint(b.ctx, in.ID, []byte(`{"after":"abc"}`)); err != nil {
			t.Fatal(err)
		}
		if cp, err := si.Checkpoint(b.ctx, in.ID); err != nil || string(cp) != `{"after":"abc"}` {
			t.Fatalf("Checkpoint = %s, %v", cp, err)
		}
		if err := si.SetCheckpoint(b.ctx, in.ID, nil); err != nil {
			t.Fatal(err)
		}
		if cp, err := si.Checkpoint(b.ctx, in.ID); err != nil || cp != nil {
			t.Fatalf("cleared checkpoint = %s, %v", cp, err)
		}
		for _, id := range []string{uuid.NewString(), "nope"} {
			if _, err := si.Checkpoint(b.ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Checkpoint(%s) error = %v, want ErrNotFound", id, err)
			}
			if err := si.SetCheckpoint(b.ctx, id, []byte(`{}`)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("SetCheckpoint(%s) error = %v, want ErrNotFound", id, err)
			}
		}
		// Bound to its instance: moved to another, it does not open.
		other := b.syncInstance(t, b.conn, "companies", "")
		if err := si.SetCheckpoint(b.ctx, in.ID, []byte(`{"secret":1}`)); err != nil {
			t.Fatal(err)
		}
		if err := si.SetCheckpoint(b.ctx, other.ID, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		b.db.Exec(t, `UPDATE sync_instances SET checkpoint = (SELECT checkpoint FROM sync_instances WHERE sync_name = 'contacts') WHERE sync_name = 'companies'`)
		if cp, err := si.Checkpoint(b.ctx, other.ID); err == nil {
			t.Fatalf("a checkpoint moved from another instance opened: %s", cp)
		}
	})
	t.Run("Runs", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		in := b.syncInstance(t, b.conn, "contacts", "")
		si := b.store.SyncInstances()
		var runs []*store.SyncRun
		for i := range 4 {
			r := &store.SyncRun{InstanceID: in.ID, Generation: int64(i + 1), Node: "node-1"}
			if err := si.StartRun(b.ctx, r); err != nil {
				t.Fatal(err)
			}
			if r.ID == "" || r.StartedAt.IsZero() || r.Status != "running" {
				t.Fatalf("StartRun = %+v", r)
			}
			runs = append(runs, r)
		}
		result := map[string]store.RecordCounts{"Contact": {Added: 5}}
		invalid := map[string]int{"Contact": 2, "Deal": 7}
		if err := si.FinishRun(b.ctx, runs[0].ID, store.SyncSuccess, result, invalid, nil, syncTime); err != nil {
			t.Fatal(err)
		}
		if err := si.FinishRun(b.ctx, runs[1].ID, store.SyncError, nil, nil, json.RawMessage(`{"message":"boom"}`), syncTime.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := si.FinishRun(b.ctx, uuid.NewString(), store.SyncSuccess, nil, nil, nil, syncTime); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FinishRun(unknown) error = %v, want ErrNotFound", err)
		}
		got, err := si.Runs(b.ctx, in.ID, 10)
		if err != nil || len(got) != 4 {
			t.Fatalf("Runs = %d, %v", len(got), err)
		}
		for i, r := range got {
			if r.ID != runs[i].ID || r.Generation != int64(i+1) || r.Node != "node-1" {
				t.Fatalf("run %d = %+v, want %+v", i, r, runs[i])
			}
		}
		if g := got[0]; g.Status != store.SyncSuccess || g.EndedAt == nil || !g.EndedAt.Equal(syncTime) || !reflect.DeepEqual(g.Result, result) ||
			!reflect.DeepEqual(g.Invalid, invalid) {
			t.Fatalf("finished run = %+v", g)
		}
		if g := got[1]; g.Status != store.SyncError || !sameJSON(t, g.Error, json.RawMessage(`{"message":"boom"}`)) || g.Invalid != nil {
			t.Fatalf("failed run = %+v", g)
		}
		if g := got[3]; g.Status != "running" || g.EndedAt != nil {
			t.Fatalf("running run = %+v", g)
		}
		newest, err := si.Runs(b.ctx, in.ID, 2)
		if err != nil || len(newest) != 2 || newest[0].ID != runs[2].ID || newest[1].ID != runs[3].ID {
			t.Fatalf("Runs(2) = %+v, %v", newest, err)
		}
		n, err := si.DeleteRunsBefore(b.ctx, syncTime.Add(time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("DeleteRunsBefore = %d, %v; want 1", n, err)
		}
		if got, _ := si.Runs(b.ctx, in.ID, 10); len(got) != 3 || got[0].ID != runs[1].ID {
			t.Fatalf("after DeleteRunsBefore, Runs = %+v", got)
		}
		if err := si.StartRun(b.ctx, &store.SyncRun{InstanceID: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("StartRun(unknown) error = %v, want ErrNotFound", err)
		}
	})
}
