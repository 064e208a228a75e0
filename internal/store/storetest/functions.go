package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// deployment returns an undeployed action of integrationKey.
func deployment(envID, integrationKey, name string) *store.Deployment {
	return &store.Deployment{
		EnvironmentID: envID, IntegrationKey: integrationKey, Name: name, Type: "action", Version: "1.0.0",
		SourceHash: strings.Repeat("ab", 32), Bundle: "(function(){ /* " + name + " */ })();",
		Definition: json.RawMessage(`{"description":"` + name + `","input":{"type":"object"}}`),
	}
}

func (b *bundle) deploy(t *testing.T, ds ...*store.Deployment) {
	t.Helper()
	if err := b.store.Deployments().Put(b.ctx, ds); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func deploymentNames(ds []*store.Deployment) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.IntegrationKey+"/"+d.Name)
	}
	return strings.Join(out, ",")
}

func testDeployments(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("PutGetList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		b.integration(t, dev.ID, "github")
		b.integration(t, dev.ID, "slack")
		b.integration(t, prod.ID, "github")
		want := deployment(dev.ID, "github", "fetch-issues")
		b.deploy(t, deployment(dev.ID, "slack", "post"), want, deployment(dev.ID, "github", "create-issue"))
		b.deploy(t, deployment(prod.ID, "github", "fetch-issues"))
		if want.ID == "" || want.CreatedAt.IsZero() || !want.UpdatedAt.Equal(want.CreatedAt) {
			t.Fatalf("Put did not fill in id and timestamps: %+v", want)
		}

		deps := b.store.Deployments()
		got, err := deps.Get(b.ctx, dev.ID, "github", "action", "fetch-issues")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.EnvironmentID != dev.ID || got.IntegrationKey != "github" || got.Name != want.Name ||
			got.Type != want.Type || got.Version != want.Version || got.SourceHash != want.SourceHash || got.Bundle != want.Bundle ||
			!sameJSON(t, got.Definition, want.Definition) ||
			got.CreatedAt.Sub(want.CreatedAt).Abs() > time.Microsecond || got.UpdatedAt.Sub(want.UpdatedAt).Abs() > time.Microsecond {
			t.Fatalf("Get =\n %+v\nwant %+v", got, want)
		}
		for _, c := range []struct{ env, key, name string }{
			{dev.ID, "github", "missing"}, {dev.ID, "missing", "fetch-issues"}, {prod.ID, "github", "create-issue"},
			{uuid.NewString(), "github", "fetch-issues"}, {"dev", "github", "fetch-issues"},
		} {
			if _, err := deps.Get(b.ctx, c.env, c.key, "action", c.name); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get(%s, %s, %s) error = %v, want ErrNotFound", c.env, c.key, c.name, err)
			}
		}

		for _, c := range []struct{ env, key, want string }{
			{dev.ID, "", "github/create-issue,github/fetch-issues,slack/post"},
			{dev.ID, "github", "github/create-issue,github/fetch-issues"},
			{dev.ID, "missing", ""},
			{prod.ID, "", "github/fetch-issues"},
			{uuid.NewString(), "", ""},
			{"dev", "", ""},
		} {
			list, err := deps.List(b.ctx, c.env, c.key)
			if err != nil || list == nil || deploymentNames(list) != c.want {
				t.Fatalf("List(%s, %q) = %q (nil: %t), %v; want %q", c.env, c.key, deploymentNames(list), list == nil, err, c.want)
			}
		}
		list, _ := deps.List(b.ctx, dev.ID, "github")
		if !sameJSON(t, list[1], got) {
			t.Fatalf("List holds\n %+v\nGet returns %+v", list[1], got)
		}
	})
	t.Run("PutReplaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")
		first := deployment(dev.ID, "github", "fetch-issues")
		b.deploy(t, first)
		time.Sleep(2 * time.Millisecond)

		next := deployment(dev.ID, "github", "fetch-issues")
		next.Version, next.SourceHash, next.Bundle, next.Definition = "2.0.0", strings.Repeat("cd", 32), "/* v2 */", nil
		b.deploy(t, next)
		if next.ID != first.ID || next.CreatedAt.Sub(first.CreatedAt).Abs() > time.Microsecond || !next.UpdatedAt.After(first.UpdatedAt) {
			t.Fatalf("replacement = %+v; want id %s, creation time %v and a later update time", next, first.ID, first.CreatedAt)
		}
		got, err := b.store.Deployments().Get(b.ctx, dev.ID, "github", "action", "fetch-issues")
		if err != nil || got.ID != first.ID || got.Type != "action" || got.Version != "2.0.0" || got.SourceHash != next.SourceHash ||
			got.Bundle != "/* v2 */" || got.Definition != nil ||
			got.CreatedAt.Sub(first.CreatedAt).Abs() > time.Microsecond || got.UpdatedAt.Sub(next.UpdatedAt).Abs() > time.Microsecond {
			t.Fatalf("after replacement, Get = %+v, %v", got, err)
		}
		if list, err := b.store.Deployments().List(b.ctx, dev.ID, ""); err != nil || len(list) != 1 {
			t.Fatalf("after replacement, List = %v, %v; want one deployment", deploymentNames(list), err)
		}
	})
	t.Run("SourceMap", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")
		const sourceMap = `{"version":3,"sources":["patchbay-source:github/actions/a.ts"],"mappings":"AAAA;AACA"}`
		mapped := deployment(dev.ID, "github", "mapped")
		mapped.SourceMap = sourceMap
		b.deploy(t, mapped, deployment(dev.ID, "github", "unmapped"), deployment(dev.ID, "github", "old"))
		// A row deployed before the column existed holds NULL.
		b.db.Exec(t, `UPDATE deployments SET source_map = NULL WHERE name = 'old'`)
		deps := b.store.Deployments()
		for name, want := range map[string]string{"mapped": sourceMap, "unmapped": "", "old": ""} {
			got, err := deps.Get(b.ctx, dev.ID, "github", "action", name)
			if err != nil || got.SourceMap != want || got.Bundle == "" {
				t.Fatalf("Get(%s) = %+v, %v; want source map %q", name, got, err, want)
			}
		}
		list, err := deps.List(b.ctx, dev.ID, "github")
		if err != nil || deploymentNames(list) != "github/mapped,github/old,github/unmapped" || list[0].SourceMap != sourceMap || list[1].SourceMap != "" {
			t.Fatalf("List = %s, %v", deploymentNames(list), err)
		}
		// A redeploy without a map drops the old one: it belonged to the
		// old bundle.
		b.deploy(t, deployment(dev.ID, "github", "mapped"))
		if got, err := deps.Get(b.ctx, dev.ID, "github", "action", "mapped"); err != nil || got.SourceMap != "" {
			t.Fatalf("after a redeploy without a map, Get = %+v, %v", got, err)
		}
	})
	t.Run("PutIsAllOrNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")
		old := deployment(dev.ID, "github", "fetch-issues")
		b.deploy(t, old)
		deps := b.store.Deployments()

		replaced := deployment(dev.ID, "github", "fetch-issues")
		replaced.Version = "2.0.0"
		added := deployment(dev.ID, "github", "create-issue")
		err := deps.Put(b.ctx, []*store.Deployment{replaced, added, deployment(dev.ID, "hubspot", "sync-contacts")})
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "hubspot") {
			t.Fatalf("Put with an unknown integration: error = %v, want ErrNotFound naming hubspot", err)
		}
		if replaced.ID != "" || added.ID != "" {
			t.Fatalf("a failed Put filled in ids: %q, %q", replaced.ID, added.ID)
		}
		if got, err := deps.Get(b.ctx, dev.ID, "github", "action", "fetch-issues"); err != nil || got.Version != "1.0.0" {
			t.Fatalf("a failed Put replaced a deployment: %+v, %v", got, err)
		}
		if _, err := deps.Get(b.ctx, dev.ID, "github", "action", "create-issue"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed Put added a deployment: %v", err)
		}
		for _, env := range []string{uuid.NewString(), "dev"} {
			if err := deps.Put(b.ctx, []*store.Deployment{deployment(env, "github", "x")}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Put in environment %s: error = %v, want ErrNotFound", env, err)
			}
		}
		bad := deployment(dev.ID, "github", "bad")
		bad.Definition = json.RawMessage(`{"description":`)
		if err := deps.Put(b.ctx, []*store.Deployment{bad}); err == nil {
			t.Fatal("Put accepted a definition that is not JSON")
		}
		if err := deps.Put(b.ctx, nil); err != nil {
			t.Fatalf("Put(nil): %v", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		b.integration(t, dev.ID, "github")
		b.integration(t, prod.ID, "github")
		b.deploy(t, deployment(dev.ID, "github", "fetch-issues"), deployment(dev.ID, "github", "create-issue"),
			deployment(prod.ID, "github", "fetch-issues"))
		deps := b.store.Deployments()
		if err := deps.Delete(b.ctx, dev.ID, "github", "action", "fetch-issues"); err != nil {
			t.Fatal(err)
		}
		if _, err := deps.Get(b.ctx, dev.ID, "github", "action", "fetch-issues"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get after Delete: error = %v, want ErrNotFound", err)
		}
		for _, c := range []struct{ env, key, name string }{
			{dev.ID, "github", "fetch-issues"}, {dev.ID, "missing", "create-issue"}, {"dev", "github", "create-issue"},
		} {
			if err := deps.Delete(b.ctx, c.env, c.key, "action", c.name); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Delete(%s, %s, %s) error = %v, want ErrNotFound", c.env, c.key, c.name, err)
			}
		}
		if list, err := deps.List(b.ctx, dev.ID, ""); err != nil || deploymentNames(list) != "github/create-issue" {
			t.Fatalf("after Delete, List(dev) = %q, %v", deploymentNames(list), err)
		}
		if _, err := deps.Get(b.ctx, prod.ID, "github", "action", "fetch-issues"); err != nil {
			t.Fatalf("Delete reached another environment: %v", err)
		}
	})
	t.Run("KeyedByTypeAndName", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "calendar")
		action, sync := deployment(dev.ID, "calendar", "settings"), deployment(dev.ID, "calendar", "settings")
		sync.Type, sync.Bundle = "sync", "/* the sync */"
		b.deploy(t, action, sync)
		if action.ID == sync.ID {
			t.Fatalf("an action and a sync of one name share the row %s", action.ID)
		}
		deps := b.store.Deployments()
		for _, c := range []struct{ typ, wantID, wantErr string }{
			{"action", action.ID, ""}, {"sync", sync.ID, ""}, {"on-event", "", "not found"},
		} {
			got, err := deps.Get(b.ctx, dev.ID, "calendar", c.typ, "settings")
			switch {
			case c.wantErr != "" && !errors.Is(err, store.ErrNotFound):
				t.Fatalf("Get(%s) error = %v, want ErrNotFound", c.typ, err)
			case c.wantErr == "" && (err != nil || got.ID != c.wantID || got.Type != c.typ):
				t.Fatalf("Get(%s) = %+v, %v; want row %s", c.typ, got, err, c.wantID)
			}
		}
		// Redeploying one replaces that one only.
		again := deployment(dev.ID, "calendar", "settings")
		again.Type, again.Version = "sync", "2.0.0"
		b.deploy(t, again)
		if again.ID != sync.ID {
			t.Fatalf("redeploying the sync made row %s, want %s", again.ID, sync.ID)
		}
		if got, err := deps.Get(b.ctx, dev.ID, "calendar", "action", "settings"); err != nil || got.Version != "1.0.0" {
			t.Fatalf("redeploying the sync changed the action: %+v, %v", got, err)
		}
		list, err := deps.List(b.ctx, dev.ID, "calendar")
		if err != nil || len(list) != 2 || list[0].Type != "action" || list[1].Type != "sync" {
			t.Fatalf("List = %s, %v; want the action then the sync", deploymentNames(list), err)
		}
		// Deleting one leaves the other.
		if err := deps.Delete(b.ctx, dev.ID, "calendar", "sync", "settings"); err != nil {
			t.Fatal(err)
		}
		if err := deps.Delete(b.ctx, dev.ID, "calendar", "sync", "settings"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Delete of the sync: error = %v, want ErrNotFound", err)
		}
		if got, err := deps.Get(b.ctx, dev.ID, "calendar", "action", "settings"); err != nil || got.ID != action.ID {
			t.Fatalf("deleting the sync took the action: %+v, %v", got, err)
		}
	})
	t.Run("MigrationKeepsRows", func(t *testing.T) {
		t.Parallel()
		// Rows deployed before functions were keyed by type (migration 8)
		// are read, replaced and deleted as before, and a function of
		// another type may then take the same name.
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "calendar")
		old, oldSync := deployment(dev.ID, "calendar", "settings"), deployment(dev.ID, "calendar", "events")
		old.SourceMap = `{"version":3,"mappings":"AAAA"}`
		oldSync.Type = "sync"
		b.deploy(t, old, oldSync)
		if err := b.store.Close(); err != nil {
			t.Fatal(err)
		}
		b.db.MigrateTo(t, 7)
		// Under the old schema a name is unique in an integration.
		dump := b.db.Dump(t, "SELECT name, type FROM deployments ORDER BY name")
		if dump != "events\tsync\t\nsettings\taction\t\n" {
			t.Fatalf("after migrating down, the rows are %q", dump)
		}
		s, err := b.db.Open(t, b.vault)
		if err != nil {
			t.Fatalf("reopen (migrating up): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		deps := s.Deployments()
		got, err := deps.Get(b.ctx, dev.ID, "calendar", "action", "settings")
		if err != nil || got.ID != old.ID || got.Bundle != old.Bundle || got.SourceMap != old.SourceMap ||
			!sameJSON(t, got.Definition, old.Definition) || got.CreatedAt.Sub(old.CreatedAt).Abs() > time.Microsecond {
			t.Fatalf("after the migration, Get = %+v, %v; want %+v", got, err, old)
		}
		if got, err := deps.Get(b.ctx, dev.ID, "calendar", "sync", "events"); err != nil || got.ID != oldSync.ID {
			t.Fatalf("after the migration, Get(sync events) = %+v, %v", got, err)
		}
		same := deployment(dev.ID, "calendar", "settings")
		same.Type = "sync"
		replaced := deployment(dev.ID, "calendar", "settings")
		replaced.Version = "2.0.0"
		if err := deps.Put(b.ctx, []*store.Deployment{same, replaced}); err != nil {
			t.Fatal(err)
		}
		if replaced.ID != old.ID || same.ID == old.ID {
			t.Fatalf("after the migration, a redeploy made rows %s and %s; want %s kept and a new one", replaced.ID, same.ID, old.ID)
		}
		if list, err := deps.List(b.ctx, dev.ID, ""); err != nil || len(list) != 3 {
			t.Fatalf("after the migration, List = %s, %v", deploymentNames(list), err)
		}
		if err := deps.Delete(b.ctx, dev.ID, "calendar", "action", "settings"); err != nil {
			t.Fatal(err)
		}
		if _, err := deps.Get(b.ctx, dev.ID, "calendar", "sync", "settings"); err != nil {
			t.Fatalf("deleting the migrated action took the sync: %v", err)
		}
	})
	t.Run("FollowTheIntegration", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		b.integration(t, dev.ID, "github")
		b.integration(t, dev.ID, "slack")
		b.deploy(t, deployment(dev.ID, "github", "fetch-issues"), deployment(dev.ID, "slack", "post"))
		deps := b.store.Deployments()

		if _, err := b.store.Integrations().Update(b.ctx, dev.ID, "github", func(in *store.Integration) error {
			in.UniqueKey = "github-renamed"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := deps.Get(b.ctx, dev.ID, "github-renamed", "action", "fetch-issues"); err != nil || got.IntegrationKey != "github-renamed" {
			t.Fatalf("after a rename, Get = %+v, %v", got, err)
		}
		if err := b.store.Integrations().Delete(b.ctx, dev.ID, "github-renamed"); err != nil {
			t.Fatal(err)
		}
		if list, err := deps.List(b.ctx, dev.ID, ""); err != nil || deploymentNames(list) != "slack/post" {
			t.Fatalf("after deleting the integration, List = %q, %v", deploymentNames(list), err)
		}
		if dump := b.db.Dump(t, "SELECT name FROM deployments"); strings.Contains(dump, "fetch-issues") {
			t.Fatalf("the deleted integration's deployment is still stored: %q", dump)
		}
	})
}

// actionRun returns a run of dev's github/create-issue action.
func actionRun(envID, idempotencyKey string) *store.ActionRun {
	return &store.ActionRun{
		EnvironmentID: envID, IntegrationKey: "github", ConnectionID: "conn-1", ActionName: "create-issue",
		IdempotencyKey: idempotencyKey, RequestHash: "hash-" + idempotencyKey,
		Input: json.RawMessage(`{"title":"Bug","labels":["p1"]}`), Status: store.ActionPending,
		Async: true, MaxRetries: 3, ExpiresAt: time.Now().Add(time.Hour).UTC(),
	}
}

func (b *bundle) actionRun(t *testing.T, run *store.ActionRun) *store.ActionRun {
	t.Helper()
	got, created, err := b.store.ActionRuns().Create(b.ctx, run)
	if err != nil || !created {
		t.Fatalf("Create = %+v, %t, %v; want a new run", got, created, err)
	}
	return got
}

// sameRun reports whether got is want as stored: timestamps to the
// microsecond, JSON as values.
func sameRun(t *testing.T, got, want *store.ActionRun) bool {
	t.Helper()
	return got.ID == want.ID && got.EnvironmentID == want.EnvironmentID && got.IntegrationKey == want.IntegrationKey &&
		got.ConnectionID == want.ConnectionID && got.ActionName == want.ActionName && got.IdempotencyKey == want.IdempotencyKey &&
		got.RequestHash == want.RequestHash && got.Status == want.Status && got.Async == want.Async &&
		got.Attempts == want.Attempts && got.MaxRetries == want.MaxRetries &&
		(got.Input == nil) == (want.Input == nil) && (got.Output == nil) == (want.Output == nil) && (got.Error == nil) == (want.Error == nil) &&
		sameJSON(t, got.Input, want.Input) && sameJSON(t, got.Output, want.Output) && sameJSON(t, got.Error, want.Error) &&
		got.CreatedAt.Sub(want.CreatedAt).Abs() <= time.Microsecond && got.UpdatedAt.Sub(want.UpdatedAt).Abs() <= time.Microsecond &&
		got.ExpiresAt.Sub(want.ExpiresAt).Abs() <= time.Microsecond
}

func testActionRuns(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("CreateGetUpdate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		runs := b.store.ActionRuns()
		want := actionRun(dev.ID, "")
		if got := b.actionRun(t, want); got != want {
			t.Fatal("Create did not return the run it was given")
		}
		if want.ID == "" || want.CreatedAt.IsZero() || !want.UpdatedAt.Equal(want.CreatedAt) {
			t.Fatalf("Create did not fill in id and timestamps: %+v", want)
		}
		got, err := runs.Get(b.ctx, dev.ID, want.ID)
		if err != nil || !sameRun(t, got, want) {
			t.Fatalf("Get =\n %+v, %v\nwant %+v", got, err, want)
		}
		for _, c := range []struct{ env, id string }{{prod.ID, want.ID}, {dev.ID, uuid.NewString()}, {dev.ID, "not-a-uuid"}, {"dev", want.ID}} {
			if _, err := runs.Get(b.ctx, c.env, c.id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get(%s, %s) error = %v, want ErrNotFound", c.env, c.id, err)
			}
		}
		// Runs without a key never collide.
		if other := b.actionRun(t, actionRun(dev.ID, "")); other.ID == want.ID {
			t.Fatal("two runs got one id")
		}
		noInput := actionRun(dev.ID, "")
		noInput.Input = nil
		b.actionRun(t, noInput)
		if got, err := runs.Get(b.ctx, dev.ID, noInput.ID); err != nil || got.Input != nil {
			t.Fatalf("run without input: Get = %+v, %v", got, err)
		}

		time.Sleep(2 * time.Millisecond)
		expires := time.Now().Add(24 * time.Hour).UTC()
		updated, err := runs.Update(b.ctx, dev.ID, want.ID, func(r *store.ActionRun) error {
			if !sameRun(t, r, want) {
				t.Errorf("Update's change got %+v, want %+v", r, want)
			}
			r.Status, r.Output, r.Attempts, r.ExpiresAt, r.Async = store.ActionSucceeded, json.RawMessage(`{"id":42}`), 1, expires, false
			// Not the change's to rewrite:
			r.ID, r.EnvironmentID, r.IdempotencyKey, r.Input, r.ActionName = uuid.NewString(), prod.ID, "sneaky", json.RawMessage(`{}`), "other"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		next := *want
		next.Status, next.Output, next.Attempts, next.ExpiresAt, next.Async, next.UpdatedAt = store.ActionSucceeded, json.RawMessage(`{"id":42}`), 1, expires, false, updated.UpdatedAt
		if !updated.UpdatedAt.After(want.UpdatedAt) || !sameRun(t, updated, &next) {
			t.Fatalf("Update =\n %+v\nwant %+v", updated, &next)
		}
		if got, err := runs.Get(b.ctx, dev.ID, want.ID); err != nil || !sameRun(t, got, &next) {
			t.Fatalf("after Update, Get =\n %+v, %v\nwant %+v", got, err, &next)
		}

		failed, err := runs.Update(b.ctx, dev.ID, want.ID, func(r *store.ActionRun) error {
			r.Status, r.Output, r.Error = store.ActionFailed, nil, json.RawMessage(`{"type":"action_script_failure","message":"boom"}`)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := runs.Get(b.ctx, dev.ID, want.ID); err != nil || !sameRun(t, got, failed) || got.Output != nil || got.Status != store.ActionFailed {
			t.Fatalf("after failing, Get =\n %+v, %v\nwant %+v", got, err, failed)
		}

		errRefused := errors.New("refused")
		if _, err := runs.Update(b.ctx, dev.ID, want.ID, func(r *store.ActionRun) error {
			r.Status = store.ActionRunning
			return errRefused
		}); !errors.Is(err, errRefused) {
			t.Fatalf("Update error = %v, want the change's error", err)
		}
		if got, _ := runs.Get(b.ctx, dev.ID, want.ID); got.Status != store.ActionFailed {
			t.Fatalf("a failed Update saved a change: %+v", got)
		}
		for _, c := range []struct{ env, id string }{{prod.ID, want.ID}, {dev.ID, uuid.NewString()}, {dev.ID, "not-a-uuid"}} {
			if _, err := runs.Update(b.ctx, c.env, c.id, func(*store.ActionRun) error { return nil }); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Update(%s, %s) error = %v, want ErrNotFound", c.env, c.id, err)
			}
		}
		for _, env := range []string{uuid.NewString(), "dev"} {
			if _, _, err := runs.Create(b.ctx, actionRun(env, "")); err == nil {
				t.Fatalf("Create in environment %s succeeded", env)
			}
		}
		noExpiry := actionRun(dev.ID, "")
		noExpiry.ExpiresAt = time.Time{}
		if _, _, err := runs.Create(b.ctx, noExpiry); err == nil {
			t.Fatal("Create without an expiry succeeded")
		}
	})
	t.Run("IdempotencyKeyReturnsTheHolder", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		runs := b.store.ActionRuns()
		first := b.actionRun(t, actionRun(dev.ID, "key-1"))

		retry := actionRun(dev.ID, "key-1")
		retry.Input, retry.RequestHash = json.RawMessage(`{"title":"Other"}`), "other-hash"
		got, created, err := runs.Create(b.ctx, retry)
		if err != nil || created || !sameRun(t, got, first) {
			t.Fatalf("Create with a held key = %+v, %t, %v; want the holder %+v and false", got, created, err, first)
		}
		if retry.ID != "" {
			t.Fatalf("Create that inserted nothing filled in the caller's run: %+v", retry)
		}
		if other := b.actionRun(t, actionRun(dev.ID, "key-2")); other.ID == first.ID {
			t.Fatal("another key returned the holder")
		}
		if other := b.actionRun(t, actionRun(prod.ID, "key-1")); other.ID == first.ID {
			t.Fatal("the key of another environment returned the holder")
		}
		// A finished run still holds its key until it expires.
		if _, err := runs.Update(b.ctx, dev.ID, first.ID, func(r *store.ActionRun) error {
			r.Status, r.Output = store.ActionSucceeded, json.RawMessage(`{"ok":true}`)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, created, err := runs.Create(b.ctx, actionRun(dev.ID, "key-1")); err != nil || created || got.ID != first.ID || got.Status != store.ActionSucceeded {
			t.Fatalf("Create with the key of a finished run = %+v, %t, %v", got, created, err)
		}
	})
	t.Run("ExpiredHolderIsReplaced", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		runs := b.store.ActionRuns()
		stale := actionRun(dev.ID, "key-1")
		stale.ExpiresAt = time.Now().Add(-time.Minute)
		b.actionRun(t, stale)
		fresh := b.actionRun(t, actionRun(dev.ID, "key-1"))
		if fresh.ID == stale.ID {
			t.Fatal("the expired holder was returned")
		}
		if _, err := runs.Get(b.ctx, dev.ID, stale.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the expired holder is still stored: %v", err)
		}
		if got, created, err := runs.Create(b.ctx, actionRun(dev.ID, "key-1")); err != nil || created || got.ID != fresh.ID {
			t.Fatalf("Create after the replacement = %+v, %t, %v; want the new holder", got, created, err)
		}
	})
	t.Run("ConcurrentCreatesWithOneKey", func(t *testing.T) {
		t.Parallel()
		for _, expiredHolder := range []bool{false, true} {
			t.Run(fmt.Sprintf("ExpiredHolder=%t", expiredHolder), func(t *testing.T) {
				t.Parallel()
				b := setup(t, newDB)
				dev := b.environment(t, "dev")
				if expiredHolder {
					stale := actionRun(dev.ID, "key-1")
					stale.ExpiresAt = time.Now().Add(-time.Minute)
					b.actionRun(t, stale)
				}
				const n = 16
				var wg sync.WaitGroup
				got := make([]*store.ActionRun, n)
				created := make([]bool, n)
				errs := make([]error, n)
				start := make(chan struct{})
				for i := range n {
					wg.Go(func() {
						<-start
						got[i], created[i], errs[i] = b.store.ActionRuns().Create(b.ctx, actionRun(dev.ID, "key-1"))
					})
				}
				close(start)
				wg.Wait()
				winners := 0
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("Create error = %v", errs[i])
					}
					if created[i] {
						winners++
					}
					if got[i].ID != got[0].ID {
						t.Fatalf("concurrent Creates returned runs %s and %s", got[0].ID, got[i].ID)
					}
				}
				if winners != 1 {
					t.Fatalf("%d of %d concurrent Creates inserted a run, want 1", winners, n)
				}
			})
		}
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		runs := b.store.ActionRuns()
		now := time.Now()
		var live *store.ActionRun
		for i, d := range []time.Duration{-time.Hour, -time.Minute, time.Minute} {
			r := actionRun(dev.ID, fmt.Sprint("key-", i))
			r.ExpiresAt = now.Add(d)
			live = b.actionRun(t, r)
		}
		if n, err := runs.DeleteExpired(b.ctx, now); err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		if _, err := runs.Get(b.ctx, dev.ID, live.ID); err != nil {
			t.Fatalf("the live run was deleted: %v", err)
		}
		if n, err := runs.DeleteExpired(b.ctx, now); err != nil || n != 0 {
			t.Fatalf("second DeleteExpired = %d, %v; want 0", n, err)
		}
	})
	t.Run("HeartbeatsAndStale", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		runs := b.store.ActionRuns()
		now := time.Now().UTC()
		beat := func(r *store.ActionRun, status, owner string, at *time.Time) *store.ActionRun {
			t.Helper()
			got, err := runs.Update(b.ctx, dev.ID, r.ID, func(r *store.ActionRun) error {
				r.Status, r.Owner, r.HeartbeatAt = status, owner, at
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
		dead := beat(b.actionRun(t, actionRun(dev.ID, "dead")), store.ActionRunning, "node-a/1", ago(10*time.Minute))
		older := beat(b.actionRun(t, actionRun(dev.ID, "older")), store.ActionRunning, "node-b/2", ago(time.Hour))
		beat(b.actionRun(t, actionRun(dev.ID, "alive")), store.ActionRunning, "node-c/3", ago(time.Second))
		beat(b.actionRun(t, actionRun(dev.ID, "done")), store.ActionSucceeded, "", ago(time.Hour))
		b.actionRun(t, actionRun(dev.ID, "no-heartbeat")) // pending, never beat
		if got, err := runs.Get(b.ctx, dev.ID, dead.ID); err != nil || got.Owner != "node-a/1" || got.HeartbeatAt == nil ||
			got.HeartbeatAt.Sub(*dead.HeartbeatAt).Abs() > time.Microsecond {
			t.Fatalf("Get = %+v, %v; want the owner and heartbeat saved", got, err)
		}
		stale, err := runs.Stale(b.ctx, now.Add(-time.Minute), 10)
		if err != nil || len(stale) != 2 || stale[0].ID != older.ID || stale[1].ID != dead.ID {
			t.Fatalf("Stale = %+v, %v; want the two silent running runs, oldest first", stale, err)
		}
		if stale, err := runs.Stale(b.ctx, now.Add(-time.Minute), 1); err != nil || len(stale) != 1 || stale[0].ID != older.ID {
			t.Fatalf("Stale limit 1 = %+v, %v", stale, err)
		}
		// Settled, a run is not stale whatever its heartbeat.
		beat(dead, store.ActionFailed, "", dead.HeartbeatAt)
		if stale, err := runs.Stale(b.ctx, now.Add(-time.Minute), 10); err != nil || len(stale) != 1 {
			t.Fatalf("Stale after settling one = %+v, %v", stale, err)
		}
	})
	t.Run("DeletingTheEnvironmentDeletesThem", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		run := b.actionRun(t, actionRun(dev.ID, "key-1"))
		b.db.Exec(t, "DELETE FROM environments WHERE name = 'dev'")
		if _, err := b.store.ActionRuns().Get(b.ctx, dev.ID, run.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("run of a deleted environment: error = %v, want ErrNotFound", err)
		}
	})
	t.Run("CiphertextsAreBoundToTheirRow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev := b.environment(t, "dev")
		victim := b.actionRun(t, actionRun(dev.ID, "victim"))
		attacker := actionRun(dev.ID, "attacker")
		attacker.Output = json.RawMessage(`{"forged":true}`)
		b.actionRun(t, attacker)
		b.db.Exec(t, `UPDATE action_runs SET output = (SELECT output FROM action_runs WHERE idempotency_key = 'attacker') WHERE idempotency_key = 'victim'`)
		if got, err := b.store.ActionRuns().Get(b.ctx, dev.ID, victim.ID); err == nil {
			t.Fatalf("a ciphertext moved from another row opened: %s", got.Output)
		}
		if _, err := b.store.ActionRuns().Get(b.ctx, dev.ID, attacker.ID); err != nil {
			t.Fatalf("the untouched row: %v", err)
		}
	})
}

func testFunctionLocks(t *testing.T, newDB func(t *testing.T) Database) {
	const scope = "env-1:conn-1"
	// tryAcquire fails t unless TryAcquire reports want.
	tryAcquire := func(t *testing.T, l store.FunctionLocks, key, owner string, ttl time.Duration, want bool) {
		t.Helper()
		if got, err := l.TryAcquire(t.Context(), scope, key, owner, ttl); err != nil || got != want {
			t.Fatalf("TryAcquire(%s, %s) = %t, %v; want %t", key, owner, got, err, want)
		}
	}
	release := func(t *testing.T, l store.FunctionLocks, key, owner string, want bool) {
		t.Helper()
		if got, err := l.Release(t.Context(), scope, key, owner); err != nil || got != want {
			t.Fatalf("Release(%s, %s) = %t, %v; want %t", key, owner, got, err, want)
		}
	}
	t.Run("AcquireContendRelease", func(t *testing.T) {
		t.Parallel()
		l := setup(t, newDB).store.FunctionLocks()
		tryAcquire(t, l, "k", "a", time.Minute, true)
		tryAcquire(t, l, "k", "b", time.Minute, false)
		tryAcquire(t, l, "k", "a", time.Minute, true) // its own: extended
		if got, err := l.TryAcquire(t.Context(), "other-scope", "k", "b", time.Minute); err != nil || !got {
			t.Fatalf("the same key in another scope: TryAcquire = %t, %v", got, err)
		}
		tryAcquire(t, l, "other-key", "b", time.Minute, true)
		release(t, l, "k", "b", false)
		tryAcquire(t, l, "k", "b", time.Minute, false)
		release(t, l, "k", "a", true)
		release(t, l, "k", "a", false)
		tryAcquire(t, l, "k", "b", time.Minute, true)
		tryAcquire(t, l, "k", "a", time.Minute, false)
	})
	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		l := setup(t, newDB).store.FunctionLocks()
		tryAcquire(t, l, "expires", "a", time.Millisecond, true)
		tryAcquire(t, l, "extended", "a", time.Millisecond, true)
		tryAcquire(t, l, "extended", "a", time.Minute, true)
		time.Sleep(20 * time.Millisecond)
		tryAcquire(t, l, "expires", "b", time.Minute, true)
		tryAcquire(t, l, "extended", "b", time.Minute, false)
		// a's lock was taken over: a no longer holds it.
		release(t, l, "expires", "a", false)
		tryAcquire(t, l, "expires", "a", time.Minute, false)
	})
	t.Run("ReleaseAll", func(t *testing.T) {
		t.Parallel()
		l := setup(t, newDB).store.FunctionLocks()
		tryAcquire(t, l, "k1", "a", time.Minute, true)
		tryAcquire(t, l, "k2", "a", time.Minute, true)
		tryAcquire(t, l, "k3", "b", time.Minute, true)
		if err := l.ReleaseAll(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		tryAcquire(t, l, "k1", "c", time.Minute, true)
		tryAcquire(t, l, "k2", "c", time.Minute, true)
		tryAcquire(t, l, "k3", "c", time.Minute, false)
		release(t, l, "k1", "a", false)
		if err := l.ReleaseAll(t.Context(), "nobody"); err != nil {
			t.Fatalf("ReleaseAll without locks: %v", err)
		}
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		t.Parallel()
		l := setup(t, newDB).store.FunctionLocks()
		tryAcquire(t, l, "old", "a", time.Millisecond, true)
		tryAcquire(t, l, "live", "a", time.Hour, true)
		time.Sleep(20 * time.Millisecond)
		if n, err := l.DeleteExpired(t.Context(), time.Now()); err != nil || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
		}
		tryAcquire(t, l, "live", "b", time.Minute, false)
	})
	t.Run("ConcurrentAcquires", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		l := b.store.FunctionLocks()
		// Half the contenders race for a free lock, half for an expired one.
		tryAcquire(t, l, "expired", "old", time.Millisecond, true)
		time.Sleep(20 * time.Millisecond)
		for _, key := range []string{"free", "expired"} {
			const n = 16
			var wg sync.WaitGroup
			got := make([]bool, n)
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					got[i], errs[i] = l.TryAcquire(b.ctx, scope, key, fmt.Sprint("owner-", i), time.Minute)
				})
			}
			close(start)
			wg.Wait()
			winners := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("TryAcquire(%s) error = %v", key, errs[i])
				}
				if got[i] {
					winners++
				}
			}
			if winners != 1 {
				t.Fatalf("%d of %d concurrent TryAcquires of %s took the lock, want 1", winners, n, key)
			}
		}
	})
}

func testEnvironmentVariables(t *testing.T, newDB func(t *testing.T) Database) {
	t.Run("SetGetReplace", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		settings := b.store.Settings()
		if got, err := settings.Variables(b.ctx, dev.ID); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("default Variables = %#v, %v; want an empty slice", got, err)
		}
		want := []store.EnvironmentVariable{{Name: "ZED", Value: "last-set-first"}, {Name: "API_TOKEN", Value: "tok-1"}, {Name: "EMPTY", Value: ""}}
		if err := settings.SetVariables(b.ctx, dev.ID, want); err != nil {
			t.Fatal(err)
		}
		if got, err := settings.Variables(b.ctx, dev.ID); err != nil || !sameJSON(t, got, want) {
			t.Fatalf("Variables = %+v, %v; want %+v in that order", got, err, want)
		}
		if got, err := settings.Variables(b.ctx, prod.ID); err != nil || len(got) != 0 {
			t.Fatalf("variables leaked into another environment: %+v, %v", got, err)
		}
		only := []store.EnvironmentVariable{{Name: "API_TOKEN", Value: "tok-2"}}
		if err := settings.SetVariables(b.ctx, dev.ID, only); err != nil {
			t.Fatal(err)
		}
		if got, err := settings.Variables(b.ctx, dev.ID); err != nil || !sameJSON(t, got, only) {
			t.Fatalf("SetVariables merged instead of replacing: %+v, %v", got, err)
		}
		if err := settings.SetVariables(b.ctx, dev.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := settings.Variables(b.ctx, dev.ID); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("after clearing, Variables = %#v, %v; want an empty slice", got, err)
		}
		// The other settings are untouched by, and do not touch, the variables.
		if err := settings.SetVariables(b.ctx, dev.ID, only); err != nil {
			t.Fatal(err)
		}
		if err := settings.SetConnectUI(b.ctx, dev.ID, store.ConnectUISettings{Name: "Acme"}); err != nil {
			t.Fatal(err)
		}
		if got, err := settings.Variables(b.ctx, dev.ID); err != nil || !sameJSON(t, got, only) {
			t.Fatalf("after SetConnectUI, Variables = %+v, %v", got, err)
		}
	})
	t.Run("UnknownEnvironment", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		settings := b.store.Settings()
		for _, id := range []string{uuid.NewString(), "dev"} {
			if _, err := settings.Variables(b.ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Variables(%s) error = %v, want ErrNotFound", id, err)
			}
			if err := settings.SetVariables(b.ctx, id, []store.EnvironmentVariable{{Name: "A", Value: "1"}}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SetVariables(%s) error = %v, want ErrNotFound", id, err)
			}
		}
	})
	t.Run("CiphertextsAreBoundToTheirRow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newDB)
		dev, prod := b.environment(t, "dev"), b.environment(t, "prod")
		if err := b.store.Settings().SetVariables(b.ctx, dev.ID, []store.EnvironmentVariable{{Name: "A", Value: "1"}}); err != nil {
			t.Fatal(err)
		}
		b.db.Exec(t, `UPDATE environments SET variables = (SELECT variables FROM environments WHERE name = 'dev') WHERE name = 'prod'`)
		if got, err := b.store.Settings().Variables(b.ctx, prod.ID); err == nil {
			t.Fatalf("a ciphertext moved from another row opened: %+v", got)
		}
		if _, err := b.store.Settings().Variables(b.ctx, dev.ID); err != nil {
			t.Fatalf("the untouched row: %v", err)
		}
	})
}
