package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// recordsBundle is a store with one connection and a scope of it.
type recordsBundle struct {
	*bundle
	env   *store.Environment
	in    *store.Integration
	conn  *store.Connection
	scope store.RecordScope
}

func setupRecords(t *testing.T, newDB func(t *testing.T) Database) *recordsBundle {
	t.Helper()
	b := setup(t, newDB)
	env := b.environment(t, "dev")
	in := b.integration(t, env.ID, "hubspot")
	conn := b.connection(t, in, "conn-1")
	return &recordsBundle{bundle: b, env: env, in: in, conn: conn, scope: b.scopeOf(conn, "Contact", store.DefaultVariant)}
}

func (b *bundle) scopeOf(c *store.Connection, model, variant string) store.RecordScope {
	return store.RecordScope{EnvironmentID: c.EnvironmentID, ConnectionRef: c.ID, Model: model, Variant: variant}
}

// rec is a record write.
func rec(id, payload string) store.RecordWrite {
	return store.RecordWrite{ID: id, Payload: []byte(payload)}
}

func (b *bundle) upsert(t *testing.T, scope store.RecordScope, generation int64, recs ...store.RecordWrite) store.RecordCounts {
	t.Helper()
	var counts store.RecordCounts
	err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
		var err error
		counts, err = tx.Upsert(b.ctx, scope, recs, generation)
		return err
	})
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	return counts
}

func (b *bundle) records(t *testing.T, q store.RecordQuery) []*store.Record {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 10000
	}
	recs, err := b.store.Records().List(b.ctx, q)
	if err != nil {
		t.Fatalf("list records: %v", err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Cursor <= recs[i-1].Cursor {
			t.Fatalf("List is not in cursor order: %d after %d", recs[i].Cursor, recs[i-1].Cursor)
		}
	}
	return recs
}

func recordsByID(recs []*store.Record) map[string]*store.Record {
	out := map[string]*store.Record{}
	for _, r := range recs {
		out[r.ID] = r
	}
	return out
}

func recordIDs(recs []*store.Record) string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func maxCursor(recs []*store.Record) int64 {
	var m int64
	for _, r := range recs {
		m = max(m, r.Cursor)
	}
	return m
}

func testRecords(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("UpsertAddsUpdatesAndKeepsUnchanged", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		counts := b.upsert(t, b.scope, 1, rec("a", `{"v":1}`), rec("b", `{"v":1}`), rec("c", `{"v":1}`))
		if counts != (store.RecordCounts{Added: 3}) {
			t.Fatalf("first save counts = %+v", counts)
		}
		first := b.records(t, store.RecordQuery{Scope: b.scope})
		if recordIDs(first) != "a,b,c" {
			t.Fatalf("List = %s", recordIDs(first))
		}
		for _, r := range first {
			if r.LastAction != store.RecordAdded || r.DeletedAt != nil || string(r.Payload) != `{"v":1}` ||
				r.FirstSeenAt.IsZero() || !r.FirstSeenAt.Equal(r.LastModifiedAt) || r.Cursor <= 0 {
				t.Fatalf("new record = %+v", r)
			}
		}
		before := recordsByID(first)

		counts = b.upsert(t, b.scope, 2, rec("a", `{"v":1}`), rec("b", `{"v":2}`), rec("d", `{"v":1}`))
		if counts != (store.RecordCounts{Added: 1, Updated: 1}) {
			t.Fatalf("second save counts = %+v", counts)
		}
		after := recordsByID(b.records(t, store.RecordQuery{Scope: b.scope}))
		if a := after["a"]; a.Cursor != before["a"].Cursor || a.LastAction != store.RecordAdded || !a.LastModifiedAt.Equal(before["a"].LastModifiedAt) {
			t.Fatalf("unchanged record moved: %+v, was %+v", a, before["a"])
		}
		bb := after["b"]
		if bb.LastAction != store.RecordUpdated || string(bb.Payload) != `{"v":2}` || bb.Cursor <= maxCursor(first) ||
			!bb.FirstSeenAt.Equal(before["b"].FirstSeenAt) || bb.LastModifiedAt.Before(before["b"].LastModifiedAt) {
			t.Fatalf("updated record = %+v, was %+v", bb, before["b"])
		}
		if d := after["d"]; d.LastAction != store.RecordAdded || d.Cursor <= maxCursor(first) || d.Cursor == bb.Cursor {
			t.Fatalf("added record = %+v", d)
		}

		// a was seen at generation 2 (unchanged still counts as seen): only
		// c is unseen.
		var deleted int
		err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) (err error) {
			deleted, err = tx.DeleteUnseen(b.ctx, b.scope, 2)
			return err
		})
		if err != nil || deleted != 1 {
			t.Fatalf("DeleteUnseen = %d, %v; want 1", deleted, err)
		}
		all := b.records(t, store.RecordQuery{Scope: b.scope})
		c := recordsByID(all)["c"]
		if c.LastAction != store.RecordDeleted || c.DeletedAt == nil || c.Cursor != maxCursor(all) || string(c.Payload) != `{"v":1}` {
			t.Fatalf("unseen record = %+v", c)
		}

		// Saved again, a deleted record comes back as UPDATED, even unchanged.
		counts = b.upsert(t, b.scope, 3, rec("c", `{"v":1}`))
		if counts != (store.RecordCounts{Updated: 1}) {
			t.Fatalf("undelete counts = %+v", counts)
		}
		again := b.records(t, store.RecordQuery{Scope: b.scope})
		c2 := recordsByID(again)["c"]
		if c2.LastAction != store.RecordUpdated || c2.DeletedAt != nil || c2.Cursor != maxCursor(again) || c2.Cursor <= c.Cursor ||
			!c2.FirstSeenAt.Equal(c.FirstSeenAt) {
			t.Fatalf("undeleted record = %+v", c2)
		}
		if counts, err := b.store.Records().Counts(b.ctx, b.conn.ID, store.DefaultVariant); err != nil || counts["Contact"] != 4 {
			t.Fatalf("Counts = %v, %v; want 4 contacts", counts, err)
		}
	})
	t.Run("UpsertRefusesDuplicateIDs", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			_, err := tx.Upsert(b.ctx, b.scope, []store.RecordWrite{rec("a", `{}`), rec("a", `{"x":1}`)}, 1)
			return err
		})
		if err == nil {
			t.Fatal("a batch with an id twice was saved")
		}
		if recs := b.records(t, store.RecordQuery{Scope: b.scope}); len(recs) != 0 {
			t.Fatalf("after a refused batch, List = %s", recordIDs(recs))
		}
	})
	t.Run("DeleteAndPayloads", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		b.upsert(t, b.scope, 1, rec("a", `{"n":"a"}`), rec("b", `{"n":"b"}`), rec("c", `{"n":"c"}`))
		other := b.scope
		other.Model = "Company"
		b.upsert(t, other, 1, rec("a", `{"company":true}`))
		err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			n, err := tx.Delete(b.ctx, b.scope, []string{"a", "missing", "a"}, 2)
			if err != nil || n != 1 {
				return fmt.Errorf("tx.Delete = %d, %v; want 1", n, err)
			}
			if n, err := tx.Delete(b.ctx, b.scope, []string{"a"}, 2); err != nil || n != 0 {
				return fmt.Errorf("tx.Delete of a deleted record = %d, %v; want 0", n, err)
			}
			got, err := tx.Payloads(b.ctx, b.scope, []string{"a", "b", "c", "missing"})
			if err != nil {
				return err
			}
			if len(got) != 2 || string(got["b"]) != `{"n":"b"}` || string(got["c"]) != `{"n":"c"}` {
				return fmt.Errorf("tx.Payloads = %q", got)
			}
			if got, err := tx.Payloads(b.ctx, other, []string{"a"}); err != nil || string(got["a"]) != `{"company":true}` {
				return fmt.Errorf("tx.Payloads of another model = %q, %v", got, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		all := b.records(t, store.RecordQuery{Scope: b.scope})
		a := recordsByID(all)["a"]
		if a.LastAction != store.RecordDeleted || a.DeletedAt == nil || a.Cursor != maxCursor(all) || string(a.Payload) != `{"n":"a"}` {
			t.Fatalf("deleted record = %+v", a)
		}
		counts, err := b.store.Records().Counts(b.ctx, b.conn.ID, store.DefaultVariant)
		if err != nil || counts["Contact"] != 2 || counts["Company"] != 1 {
			t.Fatalf("Counts = %v, %v", counts, err)
		}
	})
	t.Run("ListFilters", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		var writes []store.RecordWrite
		for i := range 10 {
			writes = append(writes, rec(fmt.Sprintf("r%02d", i), fmt.Sprintf(`{"i":%d}`, i)))
		}
		b.upsert(t, b.scope, 1, writes...)
		b.upsert(t, b.scope, 2, rec("r03", `{"i":"changed"}`), rec("r10", `{"i":10}`))
		if err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			_, err := tx.Delete(b.ctx, b.scope, []string{"r05"}, 2)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		all := b.records(t, store.RecordQuery{Scope: b.scope})
		if len(all) != 11 {
			t.Fatalf("List = %s", recordIDs(all))
		}
		// Paging with After and Limit walks every record once, in order.
		var paged []*store.Record
		var after int64
		for {
			page := b.records(t, store.RecordQuery{Scope: b.scope, After: after, Limit: 4})
			paged = append(paged, page...)
			if len(page) < 4 {
				break
			}
			after = page[len(page)-1].Cursor
		}
		if recordIDs(paged) != recordIDs(all) {
			t.Fatalf("pages = %s, want %s", recordIDs(paged), recordIDs(all))
		}
		if got := recordIDs(b.records(t, store.RecordQuery{Scope: b.scope, Actions: []string{store.RecordUpdated, store.RecordDeleted}})); got != "r03,r05" {
			t.Fatalf("updated and deleted = %s", got)
		}
		if got := recordIDs(b.records(t, store.RecordQuery{Scope: b.scope, Actions: []string{store.RecordAdded}, IDs: []string{"r01", "r03", "r10", "nope"}})); got != "r01,r10" {
			t.Fatalf("added among ids = %s", got)
		}
		mid := recordsByID(all)["r03"].LastModifiedAt
		var want []string
		for _, r := range all {
			if !r.LastModifiedAt.Before(mid) {
				want = append(want, r.ID)
			}
		}
		if got := recordIDs(b.records(t, store.RecordQuery{Scope: b.scope, ModifiedAfter: &mid})); got != strings.Join(want, ",") || !strings.Contains(got, "r03") {
			t.Fatalf("modified after %v = %s, want %s", mid, got, want)
		}
		// Another variant, model or connection is another scope.
		for _, s := range []store.RecordScope{
			{EnvironmentID: b.env.ID, ConnectionRef: b.conn.ID, Model: "Contact", Variant: "eu"},
			{EnvironmentID: b.env.ID, ConnectionRef: b.conn.ID, Model: "Company", Variant: store.DefaultVariant},
			{EnvironmentID: b.env.ID, ConnectionRef: uuid.NewString(), Model: "Contact", Variant: store.DefaultVariant},
			{EnvironmentID: b.env.ID, ConnectionRef: "not-a-uuid", Model: "Contact", Variant: store.DefaultVariant},
		} {
			if got := b.records(t, store.RecordQuery{Scope: s}); len(got) != 0 {
				t.Fatalf("List(%+v) = %s", s, recordIDs(got))
			}
		}
	})
	t.Run("Prune", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		b.upsert(t, b.scope, 1, rec("a", `{"n":1}`), rec("b", `{"n":2}`), rec("c", `{"n":3}`))
		recs := b.records(t, store.RecordQuery{Scope: b.scope})
		// A limit of 1 prunes the oldest first, then the next.
		n, err := b.store.Records().Prune(b.ctx, b.scope, recs[1].Cursor, 1)
		if err != nil || n != 1 {
			t.Fatalf("Prune limit 1 = %d, %v; want 1", n, err)
		}
		if got := b.records(t, store.RecordQuery{Scope: b.scope}); got[0].Payload != nil || got[1].Payload == nil {
			t.Fatalf("limit 1 pruned %s and %s", got[0].Payload, got[1].Payload)
		}
		n, err = b.store.Records().Prune(b.ctx, b.scope, recs[1].Cursor, 10)
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1", n, err)
		}
		if n, err := b.store.Records().Prune(b.ctx, b.scope, recs[1].Cursor, 10); err != nil || n != 0 {
			t.Fatalf("second Prune = %d, %v; want 0", n, err)
		}
		pruned := b.records(t, store.RecordQuery{Scope: b.scope})
		for i, r := range pruned {
			want := recs[i]
			if r.ID != want.ID || r.Cursor != want.Cursor || r.LastAction != want.LastAction || !r.FirstSeenAt.Equal(want.FirstSeenAt) {
				t.Fatalf("pruned record's metadata changed: %+v, was %+v", r, want)
			}
			if (r.Payload == nil) != (i < 2) {
				t.Fatalf("record %s payload = %s after pruning up to %d", r.ID, r.Payload, recs[1].Cursor)
			}
		}
		err = b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			got, err := tx.Payloads(b.ctx, b.scope, []string{"a", "b", "c"})
			if err == nil && (len(got) != 1 || got["c"] == nil) {
				err = fmt.Errorf("tx.Payloads after pruning = %q", got)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Purge", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		keep := b.connection(t, b.in, "conn-keep")
		gone := b.connection(t, b.in, "conn-gone")
		fill := func(s store.RecordScope, n int) {
			var ws []store.RecordWrite
			for i := range n {
				ws = append(ws, rec(fmt.Sprintf("%s-%d", s.Model, i), `{}`))
			}
			b.upsert(t, s, 1, ws...)
		}
		contacts, companies := b.scope, b.scope
		companies.Model = "Company"
		eu := b.scope
		eu.Variant = "eu"
		fill(contacts, 7)
		fill(companies, 3)
		fill(eu, 2)
		fill(b.scopeOf(keep, "Contact", store.DefaultVariant), 4)
		fill(b.scopeOf(gone, "Contact", store.DefaultVariant), 5)
		fill(b.scopeOf(gone, "Company", "eu"), 1)
		purge := func(p store.RecordPurge, limit int) int {
			t.Helper()
			n, err := b.store.Records().Purge(b.ctx, p, limit)
			if err != nil {
				t.Fatalf("Purge(%+v): %v", p, err)
			}
			return n
		}
		count := func(s store.RecordScope) int { return len(b.records(t, store.RecordQuery{Scope: s})) }

		// One model of one variant, in chunks.
		narrow := store.RecordPurge{ConnectionRef: b.conn.ID, Model: "Contact", Variant: store.DefaultVariant}
		if n := purge(narrow, 3); n != 3 {
			t.Fatalf("first chunk = %d", n)
		}
		if c, err := b.store.Records().Counts(b.ctx, b.conn.ID, store.DefaultVariant); err != nil || c["Contact"] != 4 {
			t.Fatalf("Counts after a chunk = %v, %v", c, err)
		}
		for purge(narrow, 3) == 3 {
		}
		if count(contacts) != 0 || count(companies) != 3 || count(eu) != 2 {
			t.Fatalf("after purging contacts: %d contacts, %d companies, %d eu", count(contacts), count(companies), count(eu))
		}
		// A live connection keeps its cursors: records saved again go on
		// above what a client already read.
		fill(contacts, 1)
		if got := b.records(t, store.RecordQuery{Scope: contacts}); len(got) != 1 || got[0].Cursor <= 7 {
			t.Fatalf("after a purge, a new record's cursor = %+v", got)
		}

		// Retention, narrowed to one model (PurgeUntouched has the rest).
		recs := b.records(t, store.RecordQuery{Scope: companies})
		cut := recs[len(recs)-1].LastModifiedAt.Add(time.Microsecond)
		if n := purge(store.RecordPurge{ConnectionRef: b.conn.ID, Model: "Company", UntouchedBefore: &cut}, 100); n != 3 {
			t.Fatalf("untouched purge = %d, want 3", n)
		}

		// A whole connection, every model and variant.
		if n := purge(store.RecordPurge{ConnectionRef: b.conn.ID}, 100); n != 3 {
			t.Fatalf("connection purge = %d, want 3", n)
		}
		if count(contacts)+count(companies)+count(eu) != 0 {
			t.Fatal("records left after purging the connection")
		}

		// Orphans: records of a connection deleted since.
		if err := b.store.Connections().Delete(b.ctx, b.env.ID, "hubspot", "conn-gone"); err != nil {
			t.Fatal(err)
		}
		orphans := store.RecordPurge{OrphansOf: b.env.ID}
		if n := purge(orphans, 4); n != 4 {
			t.Fatalf("orphan chunk = %d, want 4", n)
		}
		if n := purge(orphans, 4); n != 2 {
			t.Fatalf("last orphan chunk = %d, want 2", n)
		}
		if n := purge(orphans, 4); n != 0 {
			t.Fatalf("orphans after purging = %d", n)
		}
		if count(b.scopeOf(keep, "Contact", store.DefaultVariant)) != 4 {
			t.Fatal("an orphan purge reached a live connection")
		}
		if c, err := b.store.Records().Counts(b.ctx, gone.ID, "eu"); err != nil || len(c) != 0 {
			t.Fatalf("the deleted connection's scopes = %v, %v", c, err)
		}
		if _, err := b.store.Records().Purge(b.ctx, store.RecordPurge{}, 10); err == nil {
			t.Fatal("a purge that selects nothing was accepted")
		}
	})
	t.Run("PurgeUntouched", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		companies := b.scopeOf(b.conn, "Company", store.DefaultVariant)
		write := func(fn func(tx store.RecordTx) error) {
			t.Helper()
			if err := b.store.Records().Write(b.ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		b.upsert(t, b.scope, 1, rec("a", `{"v":1}`), rec("b", `{"v":1}`), rec("c", `{"v":1}`), rec("d", `{"v":1}`), rec("e", `{"v":1}`))
		b.upsert(t, companies, 1, rec("x", `{}`), rec("y", `{}`))
		write(func(tx store.RecordTx) error { _, err := tx.Delete(b.ctx, b.scope, []string{"e"}, 1); return err })
		before := recordsByID(b.records(t, store.RecordQuery{Scope: b.scope}))
		// The store stamps writes with its own clock: the pauses keep the
		// cut strictly between the two rounds, at any timestamp precision.
		time.Sleep(5 * time.Millisecond)
		cut := time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
		// After the cut: a saved unchanged (a full resync), b changed, c
		// deleted, y saved unchanged and x deleted by delete detection.
		// Untouched since: d, and e's tombstone.
		if got := b.upsert(t, b.scope, 2, rec("a", `{"v":1}`), rec("b", `{"v":2}`)); got != (store.RecordCounts{Updated: 1}) {
			t.Fatalf("second round = %+v", got)
		}
		write(func(tx store.RecordTx) error { _, err := tx.Delete(b.ctx, b.scope, []string{"c"}, 2); return err })
		b.upsert(t, companies, 2, rec("y", `{}`))
		write(func(tx store.RecordTx) error { _, err := tx.DeleteUnseen(b.ctx, companies, 2); return err })
		if c, err := b.store.Records().Counts(b.ctx, b.conn.ID, store.DefaultVariant); err != nil || c["Contact"] != 3 || c["Company"] != 1 {
			t.Fatalf("Counts before the purge = %v, %v", c, err)
		}

		p := store.RecordPurge{ConnectionRef: b.conn.ID, UntouchedBefore: &cut}
		for i, want := range []int{1, 1, 0} {
			n, err := b.store.Records().Purge(b.ctx, p, 1)
			if err != nil || n != want {
				t.Fatalf("purge chunk %d = %d, %v; want %d", i, n, err, want)
			}
		}
		got := recordsByID(b.records(t, store.RecordQuery{Scope: b.scope}))
		if len(got) != 3 || got["a"] == nil || got["b"] == nil || got["c"] == nil {
			t.Fatalf("contacts after the purge = %s, want a,b,c", recordIDs(b.records(t, store.RecordQuery{Scope: b.scope})))
		}
		if a := got["a"]; a.Cursor != before["a"].Cursor || !a.LastModifiedAt.Equal(before["a"].LastModifiedAt) {
			t.Fatalf("an unchanged save modified a: %+v, was %+v", a, before["a"])
		}
		if cs := b.records(t, store.RecordQuery{Scope: companies}); recordIDs(cs) != "y,x" && recordIDs(cs) != "x,y" {
			t.Fatalf("companies after the purge = %s, want x (a recent tombstone) and y", recordIDs(cs))
		}
		// The live counts lost d, not e (already deleted): they still match
		// what List holds.
		if c, err := b.store.Records().Counts(b.ctx, b.conn.ID, store.DefaultVariant); err != nil || c["Contact"] != 2 || c["Company"] != 1 {
			t.Fatalf("Counts after the purge = %v, %v; want Contact 2 (a, b), Company 1 (y)", c, err)
		}
		// A purged id saved again is new, above what a client already read.
		if got := b.upsert(t, b.scope, 3, rec("d", `{"v":1}`)); got.Added != 1 {
			t.Fatalf("d saved again = %+v, want added", got)
		}
		if c, err := b.store.Records().Counts(b.ctx, b.conn.ID, store.DefaultVariant); err != nil || c["Contact"] != 3 {
			t.Fatalf("Counts after d came back = %v, %v", c, err)
		}
	})
	t.Run("CheckpointCommitsWithRecords", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		inst := b.syncInstance(t, b.conn, "contacts", "")
		boom := errors.New("boom")
		err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			if _, err := tx.Upsert(b.ctx, b.scope, []store.RecordWrite{rec("a", `{}`)}, 1); err != nil {
				return err
			}
			if err := tx.SetCheckpoint(b.ctx, inst.ID, []byte(`{"page":2}`)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Write error = %v, want fn's", err)
		}
		if recs := b.records(t, store.RecordQuery{Scope: b.scope}); len(recs) != 0 {
			t.Fatalf("a failed write saved records: %s", recordIDs(recs))
		}
		if cp, err := b.store.SyncInstances().Checkpoint(b.ctx, inst.ID); err != nil || cp != nil {
			t.Fatalf("a failed write saved a checkpoint: %s, %v", cp, err)
		}
		err = b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			if _, err := tx.Upsert(b.ctx, b.scope, []store.RecordWrite{rec("a", `{}`)}, 1); err != nil {
				return err
			}
			return tx.SetCheckpoint(b.ctx, inst.ID, []byte(`{"page":2}`))
		})
		if err != nil {
			t.Fatal(err)
		}
		if cp, err := b.store.SyncInstances().Checkpoint(b.ctx, inst.ID); err != nil || string(cp) != `{"page":2}` {
			t.Fatalf("Checkpoint = %s, %v", cp, err)
		}
		err = b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			return tx.SetCheckpoint(b.ctx, uuid.NewString(), []byte(`{}`))
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("checkpoint of an unknown instance: error = %v, want ErrNotFound", err)
		}
	})
	t.Run("HoldFencesALostLease", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		inst := b.syncInstance(t, b.conn, "contacts", "", func(in *store.SyncInstance) { in.LeaseOwner = "run-1" })
		write := func(owner string) error {
			return b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
				if err := tx.Hold(b.ctx, inst.ID, owner, time.Now().Add(time.Minute)); err != nil {
					return err
				}
				if _, err := tx.Upsert(b.ctx, b.scope, []store.RecordWrite{rec(owner, `{}`)}, 1); err != nil {
					return err
				}
				return tx.SetCheckpoint(b.ctx, inst.ID, []byte(`{"by":"`+owner+`"}`))
			})
		}
		if err := write("run-1"); err != nil {
			t.Fatalf("the lease holder's write: %v", err)
		}
		if err := write("run-0"); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("another owner's write: error = %v, want ErrLeaseLost", err)
		}
		err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			return tx.Hold(b.ctx, uuid.NewString(), "run-1", time.Now().Add(time.Minute))
		})
		if !errors.Is(err, store.ErrLeaseLost) && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Hold of an unknown instance: error = %v", err)
		}
		if got := recordIDs(b.records(t, store.RecordQuery{Scope: b.scope})); got != "run-1" {
			t.Fatalf("records = %s, want only the lease holder's", got)
		}
		if got, err := b.store.SyncInstances().Get(b.ctx, inst.EnvironmentID, inst.ID); err != nil || got.LeaseUntil == nil || got.LeaseUntil.Before(time.Now().Add(30*time.Second)) {
			t.Fatalf("the holder's write did not extend its lease: %+v, %v", got, err)
		}
		if cp, err := b.store.SyncInstances().Checkpoint(b.ctx, inst.ID); err != nil || string(cp) != `{"by":"run-1"}` {
			t.Fatalf("checkpoint = %s, %v", cp, err)
		}
	})
	t.Run("ConcurrentWritersNeverSkipAReader", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		// Two writers save versions of the same ids while a reader pages
		// with After. A cursor that became visible after a higher one
		// would be behind the reader's position, and its change lost to
		// it: so the reader's view must end equal to the final state.
		const writers, rounds, ids = 2, 15, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers+1)
		done := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				for r := range rounds {
					var ws []store.RecordWrite
					for i := range ids {
						ws = append(ws, rec(fmt.Sprintf("id-%d", i), fmt.Sprintf(`{"w":%d,"r":%d}`, w, r)))
					}
					err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
						if _, err := tx.Upsert(b.ctx, b.scope, ws, int64(r)); err != nil {
							return err
						}
						// Hold the transaction open a moment after taking
						// cursors, as a slow batch would.
						time.Sleep(time.Millisecond)
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		seen := map[string]string{}
		var after int64
		read := func() error {
			for {
				page, err := b.store.Records().List(b.ctx, store.RecordQuery{Scope: b.scope, After: after, Limit: 7})
				if err != nil {
					return err
				}
				for _, r := range page {
					if r.Cursor <= after {
						return fmt.Errorf("cursor %d after %d", r.Cursor, after)
					}
					after = r.Cursor
					seen[r.ID] = string(r.Payload)
				}
				if len(page) < 7 {
					return nil
				}
			}
		}
		writersDone := make(chan struct{})
		go func() { wg.Wait(); close(writersDone) }()
		go func() {
			defer close(done)
			for {
				if err := read(); err != nil {
					errs <- err
					return
				}
				select {
				case <-writersDone:
					return
				default:
				}
			}
		}()
		<-done
		<-writersDone
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := read(); err != nil {
			t.Fatal(err)
		}
		final := b.records(t, store.RecordQuery{Scope: b.scope})
		if len(final) != ids {
			t.Fatalf("%d records, want %d", len(final), ids)
		}
		for _, r := range final {
			if seen[r.ID] != string(r.Payload) {
				t.Fatalf("the paging reader last saw %s as %s; it is %s: a change was skipped", r.ID, seen[r.ID], r.Payload)
			}
		}
	})
	t.Run("PayloadsAreBoundToTheirRecord", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		b.upsert(t, b.scope, 1, rec("victim", `{"n":"victim"}`), rec("attacker", `{"n":"attacker"}`))
		before := b.store.UnreadableRows()
		b.db.Exec(t, `UPDATE records SET payload = (SELECT payload FROM records WHERE external_id = 'attacker') WHERE external_id = 'victim'`)
		got := b.records(t, store.RecordQuery{Scope: b.scope})
		if recordIDs(got) != "attacker" || string(got[0].Payload) != `{"n":"attacker"}` {
			t.Fatalf("after swapping a payload, List = %s", recordIDs(got))
		}
		if n := b.store.UnreadableRows() - before; n != 1 {
			t.Fatalf("UnreadableRows grew by %d, want 1", n)
		}
	})
	t.Run("UnreadableInALargePage", func(t *testing.T) {
		// Large pages open their payloads beside the reading: the page
		// keeps its order and leaves out only what does not open.
		t.Parallel()
		b := setupRecords(t, newDB)
		const n = 700
		recs := make([]store.RecordWrite, n)
		for i := range recs {
			recs[i] = rec(fmt.Sprintf("r%04d", i), fmt.Sprintf(`{"n":%d}`, i))
		}
		b.upsert(t, b.scope, 1, recs...)
		before := b.store.UnreadableRows()
		b.db.Exec(t, `UPDATE records SET payload = (SELECT payload FROM records WHERE external_id = 'r0001') WHERE external_id = 'r0500'`)
		got := b.records(t, store.RecordQuery{Scope: b.scope, Limit: 1000})
		if len(got) != n-1 {
			t.Fatalf("%d records, want %d", len(got), n-1)
		}
		for i, j := 0, 0; i < n; i++ {
			if i == 500 {
				continue
			}
			if r := got[j]; r.ID != fmt.Sprintf("r%04d", i) || string(r.Payload) != fmt.Sprintf(`{"n":%d}`, i) || (j > 0 && r.Cursor <= got[j-1].Cursor) {
				t.Fatalf("record %d = %s %s (cursor %d)", j, r.ID, r.Payload, r.Cursor)
			}
			j++
		}
		if d := b.store.UnreadableRows() - before; d != 1 {
			t.Fatalf("UnreadableRows grew by %d, want 1", d)
		}
	})
	t.Run("NoPlaintextInTheDatabase", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		const recordCanary, checkpointCanary = "record-canary-3f9a1c", "checkpoint-canary-8d2e7b"
		inst := b.syncInstance(t, b.conn, "contacts", "")
		err := b.store.Records().Write(b.ctx, func(tx store.RecordTx) error {
			if _, err := tx.Upsert(b.ctx, b.scope, []store.RecordWrite{rec("a", `{"email":"`+recordCanary+`"}`)}, 1); err != nil {
				return err
			}
			return tx.SetCheckpoint(b.ctx, inst.ID, []byte(`{"after":"`+checkpointCanary+`"}`))
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"records", "sync_instances"} {
			dump := b.db.Dump(t, "SELECT * FROM "+table)
			if dump == "" {
				t.Fatalf("%s is empty", table)
			}
			for _, canary := range []string{recordCanary, checkpointCanary} {
				if strings.Contains(dump, canary) {
					t.Errorf("%s holds %s in plaintext", table, canary)
				}
			}
		}
	})
	t.Run("DigestsAreKeyed", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		const payload = `{"email":"ada@example.com"}`
		sum := sha256.Sum256([]byte(payload))
		plain := hex.EncodeToString(sum[:])
		hashOf := func() string {
			t.Helper()
			return string(b.column(t, "SELECT hash FROM records WHERE external_id = 'a'"))
		}
		b.upsert(t, b.scope, 1, rec("a", payload))
		keyed := hashOf()
		if len(keyed) != 64 || keyed == plain {
			t.Fatalf("stored digest %q: want a keyed one, not the payload's SHA-256", keyed)
		}
		cursor := b.records(t, store.RecordQuery{Scope: b.scope})[0].Cursor
		// A row saved before digests were keyed holds the plain SHA-256:
		// saved unchanged, it is unchanged, and gets the keyed digest.
		b.db.Exec(t, "UPDATE records SET hash = '"+plain+"' WHERE external_id = 'a'")
		if counts := b.upsert(t, b.scope, 2, rec("a", payload)); counts != (store.RecordCounts{}) {
			t.Fatalf("an unchanged record with a plain digest counted %+v", counts)
		}
		if got := hashOf(); got != keyed {
			t.Fatalf("digest after the save %q, want the keyed %q", got, keyed)
		}
		if got := b.records(t, store.RecordQuery{Scope: b.scope})[0]; got.Cursor != cursor || got.LastAction != store.RecordAdded {
			t.Fatalf("the rehashed record moved: %+v", got)
		}
		// Changed, it is changed whatever digest it had.
		b.db.Exec(t, "UPDATE records SET hash = '"+plain+"' WHERE external_id = 'a'")
		if counts := b.upsert(t, b.scope, 3, rec("a", `{"email":"bob@example.com"}`)); counts != (store.RecordCounts{Updated: 1}) {
			t.Fatalf("a changed record counted %+v", counts)
		}
		// Rotation: digests follow the key, and unchanged stays unchanged.
		b.upsert(t, b.scope, 4, rec("a", payload))
		if err := b.store.RotateEncryption(b.ctx, NewVault(t)); err != nil {
			t.Fatal(err)
		}
		if got := hashOf(); got == keyed || len(got) != 64 {
			t.Fatalf("digest after the rotation %q, was %q: want one under the new key", got, keyed)
		}
		if counts := b.upsert(t, b.scope, 5, rec("a", payload)); counts != (store.RecordCounts{}) {
			t.Fatalf("an unchanged record after the rotation counted %+v", counts)
		}
	})
	t.Run("RotateEncryption", func(t *testing.T) {
		t.Parallel()
		b := setupRecords(t, newDB)
		inst := b.syncInstance(t, b.conn, "contacts", "")
		var ws []store.RecordWrite
		for i := range 2500 { // more than one page of the rotation
			ws = append(ws, rec(fmt.Sprintf("r%04d", i), fmt.Sprintf(`{"i":%d}`, i)))
		}
		b.upsert(t, b.scope, 1, ws...)
		other := b.scope
		other.Variant = "eu"
		b.upsert(t, other, 1, rec("x", `{"eu":true}`))
		if _, err := b.store.Records().Prune(b.ctx, b.scope, 1, 10); err != nil { // a NULL payload stays NULL
			t.Fatal(err)
		}
		if err := b.store.SyncInstances().SetCheckpoint(b.ctx, inst.ID, []byte(`{"page":9}`)); err != nil {
			t.Fatal(err)
		}
		next := NewVault(t)
		if err := b.store.RotateEncryption(b.ctx, next); err != nil {
			t.Fatal(err)
		}
		b.store.Close()
		s, err := b.db.Open(t, next)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		before := s.UnreadableRows()
		got, err := s.Records().List(b.ctx, store.RecordQuery{Scope: b.scope, Limit: 10000})
		if err != nil || len(got) != len(ws) {
			t.Fatalf("after rotation, List = %d records, %v", len(got), err)
		}
		if got[0].Payload != nil || string(got[2499].Payload) != `{"i":2499}` {
			t.Fatalf("after rotation: first %s, last %s", got[0].Payload, got[2499].Payload)
		}
		if got, err := s.Records().List(b.ctx, store.RecordQuery{Scope: other, Limit: 10}); err != nil || len(got) != 1 || string(got[0].Payload) != `{"eu":true}` {
			t.Fatalf("after rotation, the other variant = %+v, %v", got, err)
		}
		if s.UnreadableRows() != before {
			t.Fatal("rows became unreadable in the rotation")
		}
		if cp, err := s.SyncInstances().Checkpoint(b.ctx, inst.ID); err != nil || string(cp) != `{"page":9}` {
			t.Fatalf("after rotation, Checkpoint = %s, %v", cp, err)
		}
	})
}
