package auth_test

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/store/storetest"
)

func TestNormalizeTags(t *testing.T) {
	t.Parallel()
	eleven := map[string]string{}
	for i := range 11 {
		eleven["k"+strings.Repeat("x", i)] = "v"
	}
	tests := []struct {
		name  string
		tags  map[string]string
		want  map[string]string
		field string // dotted Field of the error; "" when valid
	}{
		{"empty", map[string]string{}, map[string]string{}, ""},
		{"lowercased", map[string]string{"Env": "Prod", "team_1": "a", "a.b/c-d": "x"}, map[string]string{"env": "Prod", "team_1": "a", "a.b/c-d": "x"}, ""},
		{"64-char key", map[string]string{"k" + strings.Repeat("a", 63): "v"}, map[string]string{"k" + strings.Repeat("a", 63): "v"}, ""},
		{"255-char value", map[string]string{"k": strings.Repeat("v", 255)}, map[string]string{"k": strings.Repeat("v", 255)}, ""},
		{"email tag", map[string]string{"end_user_email": "jane@example.com"}, map[string]string{"end_user_email": "jane@example.com"}, ""},
		{"too many", eleven, nil, "tags"},
		{"key starts with digit", map[string]string{"1abc": "v"}, nil, "tags.1abc"},
		{"key with space", map[string]string{"a b": "v"}, nil, "tags.a b"},
		{"65-char key", map[string]string{"k" + strings.Repeat("a", 64): "v"}, nil, "tags.k" + strings.Repeat("a", 64)},
		{"empty value", map[string]string{"k": ""}, nil, "tags.k"},
		{"long value", map[string]string{"k": strings.Repeat("v", 256)}, nil, "tags.k"},
		{"case duplicate", map[string]string{"ENV": "a", "env": "b"}, nil, "tags.env"},
		{"bad email tag", map[string]string{"END_USER_EMAIL": "not-an-email"}, nil, "tags.END_USER_EMAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.NormalizeTags(tt.tags)
			if tt.field == "" {
				if err != nil || !maps.Equal(got, tt.want) {
					t.Fatalf("NormalizeTags = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			assertInvalid(t, err, tt.field)
			for _, v := range tt.tags {
				if len(v) > 3 && strings.Contains(err.Error(), v) {
					t.Fatalf("error quotes a tag value: %v", err)
				}
			}
		})
	}
}

func TestNormalizeEndUser(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 256)
	tests := []struct {
		name  string
		user  store.EndUser
		field string
	}{
		{"minimal", store.EndUser{ID: "u1"}, ""},
		{"full", store.EndUser{ID: "u1", Email: "a@b.co", DisplayName: "A", Tags: map[string]string{"Plan": "pro"}, Organization: &store.Organization{ID: "o1", DisplayName: "Org"}}, ""},
		{"no id", store.EndUser{Email: "a@b.co"}, "end_user.id"},
		{"long id", store.EndUser{ID: long}, "end_user.id"},
		{"bad email", store.EndUser{ID: "u1", Email: "nope"}, "end_user.email"},
		{"email with name", store.EndUser{ID: "u1", Email: "Jane <jane@example.com>"}, "end_user.email"},
		{"long display name", store.EndUser{ID: "u1", DisplayName: long}, "end_user.display_name"},
		{"bad tag", store.EndUser{ID: "u1", Tags: map[string]string{"-x": "y"}}, "end_user.tags.-x"},
		{"organization without id", store.EndUser{ID: "u1", Organization: &store.Organization{DisplayName: "Org"}}, "end_user.organization.id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.NormalizeEndUser(&tt.user)
			if tt.field != "" {
				assertInvalid(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == &tt.user || got.ID != tt.user.ID {
				t.Fatalf("NormalizeEndUser = %+v, want a copy of %+v", got, tt.user)
			}
			if tt.user.Tags != nil && got.Tags["plan"] != "pro" {
				t.Fatalf("tags not normalized: %v", got.Tags)
			}
		})
	}
}

func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ae *auth.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *auth.Error", err)
	}
	if httperr.Status(ae.Kind) != http.StatusBadRequest || httperr.Code(ae.Kind, ae.Code) != "invalid_body" || strings.Join(ae.Field, ".") != field {
		t.Fatalf("err = %d %s %v (%s), want 400 invalid_body at %s", httperr.Status(ae.Kind), ae.Code, ae.Field, ae.Message, field)
	}
}

// connBundle is a Service over a fresh SQLite store with one environment
// and one API-key integration.
type connBundle struct {
	svc   *auth.Service
	store store.Store
	env   string
}

func newConnBundle(t *testing.T) *connBundle {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir(), storetest.NewVault(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Load("")
	if err != nil {
		t.Fatal(err)
	}
	env := &store.Environment{Name: "dev", SecretKey: uuid.NewString()}
	if err := st.Environments().Create(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	if err := st.Integrations().Create(t.Context(), &store.Integration{EnvironmentID: env.ID, UniqueKey: "stripe", Provider: "stripe-api-key", DisplayName: "Stripe"}); err != nil {
		t.Fatal(err)
	}
	return &connBundle{svc: auth.New(auth.Options{Connections: st.Connections(), Integrations: st.Integrations(), OAuthSessions: st.OAuthSessions(),
		ConnectSessions: st.ConnectSessions(), Locker: st.Locker(), Catalog: cat}), store: st, env: env.ID}
}

func (b *connBundle) importKey(t *testing.T, id string, metadata map[string]any) {
	t.Helper()
	_, _, err := b.svc.Import(t.Context(), auth.ImportInput{EnvironmentID: b.env, IntegrationKey: "stripe", ConnectionID: &id,
		Credentials: store.Credentials{Type: "API_KEY", APIKey: "sk_test_" + id}, Metadata: metadata})
	if err != nil {
		t.Fatal(err)
	}
}

func (b *connBundle) metadata(t *testing.T, id string) map[string]any {
	t.Helper()
	c, err := b.store.Connections().Get(t.Context(), b.env, "stripe", id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Metadata
}

func assertStatus(t *testing.T, err error, status int, code, mentions string) {
	t.Helper()
	var ae *auth.Error
	if !errors.As(err, &ae) || httperr.Status(ae.Kind) != status || ae.Code != code || !strings.Contains(ae.Message, mentions) {
		t.Fatalf("err = %v, want %d %s mentioning %q", err, status, code, mentions)
	}
}

func TestSetMetadata(t *testing.T) {
	t.Parallel()
	b := newConnBundle(t)
	ctx := t.Context()
	b.importKey(t, "a", map[string]any{"keep": "a", "nested": map[string]any{"x": 1.0}})
	b.importKey(t, "b", nil)

	// Merge is shallow: top-level keys are replaced whole.
	if _, err := b.svc.SetMetadata(ctx, b.env, "stripe", []string{"a", "b"}, map[string]any{"nested": map[string]any{"y": 2.0}}, true); err != nil {
		t.Fatal(err)
	}
	if got, want := b.metadata(t, "a"), map[string]any{"keep": "a", "nested": map[string]any{"y": 2.0}}; !equalJSON(got, want) {
		t.Fatalf("merged a = %v, want %v", got, want)
	}
	if got, want := b.metadata(t, "b"), map[string]any{"nested": map[string]any{"y": 2.0}}; !equalJSON(got, want) {
		t.Fatalf("merged b = %v, want %v", got, want)
	}

	// Replace drops what is not given.
	updated, err := b.svc.SetMetadata(ctx, b.env, "stripe", []string{"a"}, map[string]any{"only": true}, false)
	if err != nil || len(updated) != 1 || updated[0].ConnectionID != "a" {
		t.Fatalf("replace = %v, %v", updated, err)
	}
	if got := b.metadata(t, "a"); !equalJSON(got, map[string]any{"only": true}) {
		t.Fatalf("replaced a = %v", got)
	}

	// One unknown id fails the call before anything changes, naming it.
	_, err = b.svc.SetMetadata(ctx, b.env, "stripe", []string{"b", "ghost", "a"}, map[string]any{"x": 1}, false)
	assertStatus(t, err, http.StatusNotFound, "unknown_connection", `"ghost"`)
	if got := b.metadata(t, "b"); !equalJSON(got, map[string]any{"nested": map[string]any{"y": 2.0}}) {
		t.Fatalf("b changed by a failed call: %v", got)
	}
	// Another integration's connection ids do not count.
	_, err = b.svc.SetMetadata(ctx, b.env, "github", []string{"a"}, map[string]any{}, false)
	assertStatus(t, err, http.StatusNotFound, "unknown_connection", `"a"`)

	_, err = b.svc.SetMetadata(ctx, b.env, "stripe", nil, map[string]any{}, false)
	assertInvalid(t, err, "connection_id")
}

func TestPatchAndDelete(t *testing.T) {
	t.Parallel()
	b := newConnBundle(t)
	ctx := t.Context()
	b.importKey(t, "a", nil)

	c, err := b.svc.Patch(ctx, b.env, "stripe", "a", auth.PatchInput{Tags: map[string]string{"Env": "prod"}})
	if err != nil || c.Tags["env"] != "prod" || c.EndUser != nil {
		t.Fatalf("patch tags = %+v, %v", c, err)
	}
	c, err = b.svc.Patch(ctx, b.env, "stripe", "a", auth.PatchInput{EndUser: &store.EndUser{ID: "u1", Email: "u1@example.com"}})
	if err != nil || c.Tags["env"] != "prod" || c.EndUser == nil || c.EndUser.Email != "u1@example.com" {
		t.Fatalf("patch end user kept tags? %+v, %v", c, err)
	}
	c, err = b.svc.Patch(ctx, b.env, "stripe", "a", auth.PatchInput{Tags: map[string]string{}})
	if err != nil || len(c.Tags) != 0 || c.EndUser == nil {
		t.Fatalf("clearing tags = %+v, %v", c, err)
	}
	_, err = b.svc.Patch(ctx, b.env, "stripe", "a", auth.PatchInput{Tags: map[string]string{"9": "x"}})
	assertInvalid(t, err, "tags.9")
	_, err = b.svc.Patch(ctx, b.env, "stripe", "nope", auth.PatchInput{})
	assertStatus(t, err, http.StatusNotFound, "unknown_connection", `"nope"`)

	if err := b.svc.Delete(ctx, b.env, "stripe", "a"); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, b.svc.Delete(ctx, b.env, "stripe", "a"), http.StatusNotFound, "unknown_connection", `"a"`)
}

func TestList(t *testing.T) {
	t.Parallel()
	b := newConnBundle(t)
	ctx := t.Context()
	for _, id := range []string{"c1", "c2", "c3"} {
		b.importKey(t, id, nil)
		time.Sleep(2 * time.Millisecond) // distinct creation times, for the order
	}
	if _, err := b.svc.Patch(ctx, b.env, "stripe", "c2", auth.PatchInput{Tags: map[string]string{"team": "Blue"}}); err != nil {
		t.Fatal(err)
	}
	ids := func(list []*store.Connection) []string {
		var out []string
		for _, c := range list {
			out = append(out, c.ConnectionID)
		}
		return out
	}
	all, err := b.svc.List(ctx, store.ConnectionFilter{EnvironmentID: b.env})
	if err != nil || !slices.Equal(ids(all), []string{"c3", "c2", "c1"}) {
		t.Fatalf("list = %v, %v", ids(all), err)
	}
	// Tag filters match whatever case the key is given in.
	tagged, err := b.svc.List(ctx, store.ConnectionFilter{EnvironmentID: b.env, Tags: map[string]string{"TEAM": "Blue"}})
	if err != nil || !slices.Equal(ids(tagged), []string{"c2"}) {
		t.Fatalf("by tag = %v, %v", ids(tagged), err)
	}
	page, err := b.svc.List(ctx, store.ConnectionFilter{EnvironmentID: b.env, Limit: 2, Page: 1})
	if err != nil || !slices.Equal(ids(page), []string{"c1"}) {
		t.Fatalf("page 1 = %v, %v", ids(page), err)
	}
	for _, f := range []store.ConnectionFilter{{Limit: -1}, {Limit: 1001}, {Page: -1}} {
		f.EnvironmentID = b.env
		var ae *auth.Error
		if _, err := b.svc.List(ctx, f); !errors.As(err, &ae) || httperr.Status(ae.Kind) != http.StatusBadRequest {
			t.Fatalf("List(%+v) = %v, want a 400", f, err)
		}
	}
}

// equalJSON compares decoded JSON values.
func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if !equalJSON(v, b[k]) {
				return false
			}
		}
		return true
	case float64:
		switch b := b.(type) {
		case float64:
			return a == b
		case int:
			return a == float64(b)
		}
		return false
	default:
		return a == b
	}
}
