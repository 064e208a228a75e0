package api_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/sqlite"
)

// execSQL runs raw SQL on a running test server's database, to leave a
// row as an older version (or a hand in the database) could have.
func execSQL(t *testing.T, srv *apptest.Server, backend apptest.Backend, query string) {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(srv.DataDir, sqlite.FileName)+"?_pragma=busy_timeout(10000)"
	if backend == apptest.Postgres {
		driver, dsn = "pgx", srv.Env["PATCHBAY_DATABASE_URL"]
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func importAPIKeyConnection(t *testing.T, srv *apptest.Server, id, extra string) {
	t.Helper()
	body := `{"provider_config_key":"stripe","connection_id":"` + id + `","credentials":{"type":"API_KEY","apiKey":"sk_` + id + `"}` + extra + `}`
	if res := do(t, srv, "POST", "/connections", apptest.DevKey, []byte(body)); res.status != 201 {
		t.Fatalf("import %s: %d %s", id, res.status, res.body)
	}
}

// TestUnrepresentableDocumentsAreRefused sends, to every endpoint that
// takes a JSON document, a number no reader can hold (or a character the
// database cannot keep), and checks for a 400 naming the member and that
// nothing was stored.
func TestUnrepresentableDocumentsAreRefused(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnServer(t, backend)
			importAPIKeyConnection(t, srv.Server, "c1", `,"metadata":{"keep":1},"tags":{"team":"core"},"end_user":{"id":"u1"}`)
			trigger := []string{"Connection-Id", "c1", "Provider-Config-Key", "stripe"}
			for _, tt := range []struct {
				name, method, path, body string
				header                   []string
				code                     string
				want                     []any
			}{
				{name: "metadata, a number beyond float64", method: "POST", path: "/connections/metadata",
					body: `{"connection_id":"c1","provider_config_key":"stripe","metadata":{"a":1e999999}}`, code: "invalid_number", want: []any{"metadata", "a"}},
				{name: "metadata merge", method: "PATCH", path: "/connections/metadata",
					body: `{"connection_id":["c1"],"provider_config_key":"stripe","metadata":{"a":[1,-1e309]}}`, code: "invalid_number", want: []any{"metadata", "a", 1.0}},
				{name: "metadata, singular path", method: "POST", path: "/connection/metadata",
					body: `{"connection_id":"c1","provider_config_key":"stripe","metadata":{"a":{"b":2e308}}}`, code: "invalid_number", want: []any{"metadata", "a", "b"}},
				{name: "per-connection metadata", method: "POST", path: "/connections/c1/metadata?provider_config_key=stripe",
					body: `{"a":1e999999}`, code: "invalid_number", want: []any{"a"}},
				{name: "per-connection metadata merge", method: "PATCH", path: "/connection/c1/metadata", header: []string{"Provider-Config-Key", "stripe"},
					body: `{"a":-1e309}`, code: "invalid_number", want: []any{"a"}},
				{name: "NUL in metadata", method: "POST", path: "/connections/metadata",
					body: `{"connection_id":"c1","provider_config_key":"stripe","metadata":{"a":"x\u0000"}}`, code: "invalid_string", want: []any{"metadata", "a"}},
				{name: "import metadata", method: "POST", path: "/connections",
					body: `{"provider_config_key":"stripe","connection_id":"c2","credentials":{"type":"API_KEY","apiKey":"k"},"metadata":{"a":1e999999}}`, code: "invalid_number", want: []any{"metadata", "a"}},
				{name: "import connection_config", method: "POST", path: "/connections",
					body: `{"provider_config_key":"stripe","connection_id":"c2","credentials":{"type":"API_KEY","apiKey":"k"},"connection_config":{"x":-1e309}}`, code: "invalid_number", want: []any{"connection_config", "x"}},
				{name: "import tags", method: "POST", path: "/connections",
					body: `{"provider_config_key":"stripe","connection_id":"c2","credentials":{"type":"API_KEY","apiKey":"k"},"tags":{"a":1e999999}}`, code: "invalid_type", want: []any{"tags", "a"}},
				{name: "import end_user", method: "POST", path: "/connections",
					body: `{"provider_config_key":"stripe","connection_id":"c2","credentials":{"type":"API_KEY","apiKey":"k"},"end_user":{"id":"u","display_name":"a\u0000"}}`, code: "invalid_string", want: []any{"end_user", "display_name"}},
				{name: "patch tags", method: "PATCH", path: "/connections/c1?provider_config_key=stripe",
					body: `{"tags":{"team":1e999999}}`, code: "invalid_type", want: []any{"tags", "team"}},
				{name: "patch end_user", method: "PATCH", path: "/connections/c1?provider_config_key=stripe",
					body: `{"end_user":{"id":-1e309}}`, code: "invalid_type", want: []any{"end_user", "id"}},
				{name: "connect session config defaults", method: "POST", path: "/connect/sessions",
					body: `{"end_user":{"id":"u"},"integrations_config_defaults":{"stripe":{"connection_config":{"n":1e999999}}}}`, code: "invalid_number", want: []any{"integrations_config_defaults", "stripe", "connection_config", "n"}},
				{name: "connect session tags", method: "POST", path: "/connect/sessions",
					body: `{"end_user":{"id":"u"},"tags":{"team":"a\u0000"}}`, code: "invalid_string", want: []any{"tags", "team"}},
				{name: "integration settings", method: "PATCH", path: "/integrations/stripe",
					body: `{"settings":{"rate_limit":{"requests":1e999999,"interval":"1s"}}}`, code: "invalid_type", want: []any{"settings", "rate_limit", "requests"}},
				{name: "connect UI settings", method: "PUT", path: "/environment/connect-ui",
					body: `{"name":"Acme\u0000"}`, code: "invalid_string", want: []any{"name"}},
				{name: "environment variables", method: "PUT", path: "/environment/variables",
					body: `{"variables":[{"name":"A","value":1e999999}]}`, code: "invalid_type", want: []any{"variables", 0.0, "value"}},
				{name: "action input", method: "POST", path: "/action/trigger", header: trigger,
					body: `{"action_name":"create-issue","input":{"n":1e999999}}`, code: "invalid_number", want: []any{"input", "n"}},
				{name: "dry-run metadata", method: "POST", path: "/functions/dryrun",
					body: `{"files":{},"function":"f","connection_id":"c1","metadata":{"a":-1e309}}`, code: "invalid_number", want: []any{"metadata", "a"}},
			} {
				res := do(t, srv.Server, tt.method, tt.path, apptest.DevKey, []byte(tt.body), tt.header...)
				if res.status != 400 {
					t.Errorf("%s: %d %s, want 400", tt.name, res.status, res.body)
					continue
				}
				e := res.errorBody(t)
				if e.Error.Code != "invalid_body" || len(e.Error.Errors) != 1 || e.Error.Errors[0].Code != tt.code || !reflect.DeepEqual(e.Error.Errors[0].Path, tt.want) {
					t.Errorf("%s: error %s, want invalid_body with one %s error at %v", tt.name, res.body, tt.code, tt.want)
				}
			}

			// Nothing was stored: c1 is as imported, c2 does not exist, the
			// settings and variables are untouched.
			res := do(t, srv.Server, "GET", "/connections/c1?provider_config_key=stripe", apptest.DevKey, nil)
			c1 := jsonObject(t, res)
			if fmt.Sprintf("%v %v %v", c1["metadata"], c1["tags"], c1["end_user"].(map[string]any)["id"]) != "map[keep:1] map[team:core] u1" {
				t.Errorf("c1 after the refused writes: %s", res.body)
			}
			if res := do(t, srv.Server, "GET", "/connections/c2?provider_config_key=stripe", apptest.DevKey, nil); res.status != 404 {
				t.Errorf("a refused import stored c2: %d %s", res.status, res.body)
			}
			if res := do(t, srv.Server, "GET", "/environment/connect-ui", apptest.DevKey, nil); !strings.Contains(string(res.body), `"name":""`) {
				t.Errorf("connect UI after a refused write: %s", res.body)
			}
			if res := do(t, srv.Server, "GET", "/environment/variables", apptest.DevKey, nil); string(res.body) != "{\"variables\":[]}\n" {
				t.Errorf("variables after a refused write: %s", res.body)
			}
			if res := do(t, srv.Server, "GET", "/integrations/stripe", apptest.DevKey, nil); strings.Contains(string(res.body), "rate_limit") {
				t.Errorf("integration after a refused write: %s", res.body)
			}
		})
	}
}

// TestMetadataCap: the metadata cap holds when a merge grows the stored
// metadata past it, not only for what one request carries.
func TestMetadataCap(t *testing.T) {
	t.Parallel()
	srv := startConnServer(t, apptest.SQLite)
	importAPIKeyConnection(t, srv.Server, "c1", "")
	half := strings.Repeat("x", store.DocMetadata.Max/2+1)
	for i, key := range []string{"a", "b"} {
		res := do(t, srv.Server, "PATCH", "/connections/c1/metadata?provider_config_key=stripe", apptest.DevKey, []byte(`{"`+key+`":"`+half+`"}`))
		if i == 0 && res.status != 200 {
			t.Fatalf("first half: %d %s", res.status, res.body)
		}
		if i == 1 {
			e := res.errorBody(t)
			if res.status != 400 || len(e.Error.Errors) != 1 || e.Error.Errors[0].Code != "too_big" || !reflect.DeepEqual(e.Error.Errors[0].Path, []any{"metadata"}) ||
				!strings.Contains(e.Error.Message, "1 MiB") {
				t.Fatalf("merge past the cap: %d %s", res.status, res.body)
			}
		}
	}
	c1 := jsonObject(t, do(t, srv.Server, "GET", "/connections/c1?provider_config_key=stripe", apptest.DevKey, nil))
	if md := c1["metadata"].(map[string]any); len(md) != 1 || md["a"] == nil {
		t.Errorf("metadata after the refused merge has keys %v, want only a", sortedKeys(md))
	}
}

// TestUnreadableConnection: a row stored before
// documents were checked. The list answers with the others, the row
// itself with a clear error, and deleting it works.
func TestUnreadableConnection(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnServer(t, backend)
			importAPIKeyConnection(t, srv.Server, "good", "")
			importAPIKeyConnection(t, srv.Server, "bad", "")
			execSQL(t, srv.Server, backend, `UPDATE connections SET metadata = '{"a":-1e309}' WHERE connection_id = 'bad'`)

			res := do(t, srv.Server, "GET", "/connections", apptest.DevKey, nil)
			var list struct {
				Connections []struct {
					ConnectionID string `json:"connection_id"`
				} `json:"connections"`
			}
			if err := json.Unmarshal(res.body, &list); res.status != 200 || err != nil || len(list.Connections) != 1 || list.Connections[0].ConnectionID != "good" {
				t.Fatalf("GET /connections: %d %s; want the readable connection only", res.status, res.body)
			}
			if !strings.Contains(srv.logs.String(), "skipped a row that cannot be read") {
				t.Error("the skipped row was not logged")
			}
			res = do(t, srv.Server, "GET", "/connections/bad?provider_config_key=stripe", apptest.DevKey, nil)
			if e := res.errorBody(t); res.status != 500 || e.Error.Code != "unreadable_data" || !strings.Contains(e.Error.Message, "metadata") || strings.Contains(e.Error.Message, "1e309") {
				t.Fatalf("GET of the unreadable connection: %d %s", res.status, res.body)
			}
			if res := do(t, srv.Server, "GET", "/connections/good?provider_config_key=stripe", apptest.DevKey, nil); res.status != 200 {
				t.Fatalf("GET of its neighbour: %d %s", res.status, res.body)
			}
			if res := do(t, srv.Server, "DELETE", "/connections/bad?provider_config_key=stripe", apptest.DevKey, nil); res.status != 204 {
				t.Fatalf("DELETE of the unreadable connection: %d %s", res.status, res.body)
			}
		})
	}
}
