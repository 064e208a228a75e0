package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
)

// connServer is a test server with one integration per auth mode, keyed
// by mode: github (OAUTH2), trello (OAUTH1), stripe (API_KEY), jira
// (BASIC), zoom (OAUTH2_CC), gh-app (APP), ghost (JWT) and gh-app-oauth
// (CUSTOM). Logs collects everything the server logs, at debug level.
type connServer struct {
	*apptest.Server
	logs *apptest.LogBuffer
}

func startConnServer(t *testing.T, backend apptest.Backend) *connServer {
	t.Helper()
	logs := &apptest.LogBuffer{}
	srv := apptest.Start(t, apptest.Options{Backend: backend, Logs: logs})
	c := srv.Client()
	appKey := rsaPEM(t)
	for _, in := range []client.CreateIntegrationRequest{
		{UniqueKey: "github", Provider: "github", Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "id", ClientSecret: "secret"}},
		{UniqueKey: "trello", Provider: "trello", Credentials: &client.IntegrationCredentials{Type: "OAUTH1", ClientID: "id", ClientSecret: "secret"}},
		{UniqueKey: "stripe", Provider: "stripe-api-key"},
		{UniqueKey: "jira", Provider: "jira-basic"},
		{UniqueKey: "zoom", Provider: "zoom-cc"},
		{UniqueKey: "gh-app", Provider: "github-app", Credentials: &client.IntegrationCredentials{Type: "APP", AppID: "1", AppLink: "https://github.com/apps/pb", PrivateKey: appKey}},
		{UniqueKey: "ghost", Provider: "ghost-admin"},
		{UniqueKey: "gh-app-oauth", Provider: "github-app-oauth", Credentials: &client.IntegrationCredentials{Type: "CUSTOM", ClientID: "id", ClientSecret: "secret", AppID: "1", AppLink: "https://github.com/apps/pb", PrivateKey: appKey}},
	} {
		if _, err := c.CreateIntegration(t.Context(), in); err != nil {
			t.Fatalf("create integration %s: %v", in.UniqueKey, err)
		}
	}
	return &connServer{Server: srv, logs: logs}
}

// jsonObject decodes a response body that must be a JSON object.
func jsonObject(t *testing.T, res response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.body, &m); err != nil || m == nil {
		t.Fatalf("status %d, body %q is not a JSON object (%v)", res.status, res.body, err)
	}
	return m
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// future is an expiry far enough ahead that nothing refreshes the token
// (refreshing would call the real provider).
var future = time.Now().Add(24 * time.Hour).UTC().Truncate(time.Millisecond)

func TestConnectionCredentialShapes(t *testing.T) {
	t.Parallel()
	exp := future.Format(time.RFC3339Nano)
	wantExp := future.Format("2006-01-02T15:04:05.000Z")
	tests := []struct {
		integration string
		credentials string
		config      string
		// want are the members of the answer's credentials (raw checked apart).
		want map[string]any
		// wantRaw are members raw must have; nil when the mode has no raw.
		wantRaw    map[string]any
		wantConfig map[string]any
	}{
		{
			integration: "github",
			credentials: `{"type":"OAUTH2","access_token":"gho_at","refresh_token":"ghr_rt","expires_at":"` + exp + `"}`,
			want:        map[string]any{"type": "OAUTH2", "access_token": "gho_at", "expires_at": wantExp},
			wantRaw:     map[string]any{"type": "OAUTH2", "access_token": "gho_at", "expires_at": exp},
		},
		{
			integration: "trello",
			credentials: `{"type":"OAUTH1","oauth_token":"tok","oauth_token_secret":"toksecret"}`,
			want:        map[string]any{"type": "OAUTH1", "oauth_token": "tok", "oauth_token_secret": "toksecret"},
			wantRaw:     map[string]any{"type": "OAUTH1", "oauth_token": "tok", "oauth_token_secret": "toksecret"},
		},
		{
			integration: "stripe",
			credentials: `{"type":"API_KEY","apiKey":"sk_test_abc"}`,
			want:        map[string]any{"type": "API_KEY", "apiKey": "sk_test_abc"},
		},
		{
			integration: "jira",
			credentials: `{"type":"BASIC","username":"jane@example.com","password":"api-token"}`,
			config:      `{"subdomain":"acme"}`,
			want:        map[string]any{"type": "BASIC", "username": "jane@example.com", "password": "api-token"},
			wantConfig:  map[string]any{"subdomain": "acme"},
		},
		{
			integration: "zoom",
			credentials: `{"type":"OAUTH2_CC","token":"cc_tok","client_id":"cid","client_secret":"csecret","expires_at":"` + exp + `"}`,
			config:      `{"accountId":"acct"}`,
			want:        map[string]any{"type": "OAUTH2_CC", "token": "cc_tok", "client_id": "cid", "client_secret": "csecret", "expires_at": wantExp},
			wantRaw:     map[string]any{"token": "cc_tok"},
			wantConfig:  map[string]any{"accountId": "acct"},
		},
		{
			integration: "gh-app",
			credentials: `{"type":"APP","access_token":"ghs_inst","expires_at":"` + exp + `","app_id":"1","installation_id":"42"}`,
			want:        map[string]any{"type": "APP", "access_token": "ghs_inst", "expires_at": wantExp},
			wantRaw:     map[string]any{},
			wantConfig:  map[string]any{"app_id": "1", "installation_id": "42"},
		},
		{
			integration: "ghost",
			credentials: `{"type":"JWT","token":"jwt.tok.sig","expires_at":"` + exp + `","keyId":"kid","secret":"abcdef"}`,
			config:      `{"adminDomain":"blog.example.com"}`,
			want:        map[string]any{"type": "JWT", "token": "jwt.tok.sig", "expires_at": wantExp, "keyId": "kid", "secret": "abcdef"},
			wantConfig:  map[string]any{"adminDomain": "blog.example.com"},
		},
		{
			integration: "gh-app-oauth",
			credentials: `{"type":"CUSTOM","access_token":"ghs_custom","expires_at":"` + exp + `","installation_id":"7"}`,
			want:        map[string]any{"type": "CUSTOM", "access_token": "ghs_custom", "expires_at": wantExp},
			wantRaw:     map[string]any{},
			wantConfig:  map[string]any{"installation_id": "7"},
		},
	}
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnServer(t, backend)
			for _, tt := range tests {
				t.Run(tt.integration, func(t *testing.T) {
					t.Parallel()
					body := `{"provider_config_key":"` + tt.integration + `","connection_id":"conn-1","credentials":` + tt.credentials
					if tt.config != "" {
						body += `,"connection_config":` + tt.config
					}
					body += `}`
					res := do(t, srv.Server, "POST", "/connections", apptest.DevKey, []byte(body))
					if res.status != 201 {
						t.Fatalf("import: %d %s", res.status, res.body)
					}
					imported := jsonObject(t, res)
					checkCredentials(t, "import", imported, tt.want, tt.wantRaw)

					res = do(t, srv.Server, "GET", "/connections/conn-1?provider_config_key="+tt.integration, apptest.DevKey, nil)
					if res.status != 200 {
						t.Fatalf("get: %d %s", res.status, res.body)
					}
					got := jsonObject(t, res)
					wantMembers := []string{"connection_config", "connection_id", "created_at", "credentials", "end_user", "errors",
						"id", "last_fetched_at", "metadata", "provider", "provider_config_key", "tags", "updated_at"}
					if !slices.Equal(sortedKeys(got), wantMembers) {
						t.Fatalf("members = %v, want %v", sortedKeys(got), wantMembers)
					}
					if got["id"] != imported["id"] || got["connection_id"] != "conn-1" || got["provider_config_key"] != tt.integration ||
						got["end_user"] != nil || fmt.Sprint(got["errors"]) != "[]" || fmt.Sprint(got["tags"]) != "map[]" {
						t.Fatalf("connection = %v", got)
					}
					for _, member := range []string{"created_at", "updated_at", "last_fetched_at"} {
						if s, _ := got[member].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(s) {
							t.Errorf("%s = %v, want an ISO time with milliseconds", member, got[member])
						}
					}
					checkCredentials(t, "get", got, tt.want, tt.wantRaw)
					config, _ := got["connection_config"].(map[string]any)
					for k, v := range tt.wantConfig {
						if config[k] != v {
							t.Errorf("connection_config[%s] = %v, want %v (config %v)", k, config[k], v, config)
						}
					}

					// Importing onto the same id replaces the connection: 200.
					res = do(t, srv.Server, "POST", "/connections", apptest.DevKey, []byte(body))
					if res.status != 200 || jsonObject(t, res)["id"] != imported["id"] {
						t.Fatalf("re-import: %d %s", res.status, res.body)
					}
				})
			}
		})
	}
}

func checkCredentials(t *testing.T, what string, conn, want, wantRaw map[string]any) {
	t.Helper()
	creds, _ := conn["credentials"].(map[string]any)
	got := maps.Clone(creds)
	raw, hasRaw := got["raw"].(map[string]any)
	delete(got, "raw")
	if !maps.Equal(got, want) {
		t.Fatalf("%s: credentials = %v, want %v", what, got, want)
	}
	if wantRaw == nil {
		if _, present := creds["raw"]; present {
			t.Fatalf("%s: credentials have raw: %v", what, creds)
		}
		return
	}
	if !hasRaw {
		t.Fatalf("%s: credentials.raw = %v, want an object", what, creds["raw"])
	}
	for k, v := range wantRaw {
		if raw[k] != v {
			t.Fatalf("%s: raw[%s] = %v, want %v (raw %v)", what, k, raw[k], v, raw)
		}
	}
}

func TestRefreshTokenOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	srv := startConnServer(t, apptest.SQLite)
	body := `{"provider_config_key":"github","connection_id":"u1","credentials":{"type":"OAUTH2","access_token":"at","refresh_token":"rt-secret","expires_at":"` +
		future.Format(time.RFC3339) + `"}}`
	if res := do(t, srv.Server, "POST", "/connections", apptest.DevKey, []byte(body)); res.status != 201 || bytes.Contains(res.body, []byte("rt-secret")) {
		t.Fatalf("import: %d %s", res.status, res.body)
	}
	for _, query := range []string{"", "&refresh_token=false", "&force_refresh=false"} {
		res := do(t, srv.Server, "GET", "/connections/u1?provider_config_key=github"+query, apptest.DevKey, nil)
		if res.status != 200 || bytes.Contains(res.body, []byte("rt-secret")) || bytes.Contains(res.body, []byte("refresh_token")) {
			t.Fatalf("GET%s: %d %s", query, res.status, res.body)
		}
	}
	res := do(t, srv.Server, "GET", "/connections/u1?provider_config_key=github&refresh_token=true", apptest.DevKey, nil)
	creds, _ := jsonObject(t, res)["credentials"].(map[string]any)
	raw, _ := creds["raw"].(map[string]any)
	if res.status != 200 || creds["refresh_token"] != "rt-secret" || raw["refresh_token"] != "rt-secret" || creds["access_token"] != "at" {
		t.Fatalf("refresh_token=true: %d %s", res.status, res.body)
	}
	// The deprecated singular path is the same endpoint.
	res = do(t, srv.Server, "GET", "/connection/u1?provider_config_key=github&refresh_token=true", apptest.DevKey, nil)
	if res.status != 200 || !bytes.Contains(res.body, []byte(`"refresh_token":"rt-secret"`)) {
		t.Fatalf("singular alias: %d %s", res.status, res.body)
	}
	if strings.Contains(srv.logs.String(), "rt-secret") {
		t.Fatal("the refresh token reached the logs")
	}
}

// importKey imports an API-key connection through the raw API.
func importKey(t *testing.T, srv *apptest.Server, id, extra string) map[string]any {
	t.Helper()
	body := `{"provider_config_key":"stripe","connection_id":"` + id + `","credentials":{"type":"API_KEY","apiKey":"sk_test_` + id + `"}` + extra + `}`
	res := do(t, srv, "POST", "/connections", apptest.DevKey, []byte(body))
	if res.status != 201 {
		t.Fatalf("import %s: %d %s", id, res.status, res.body)
	}
	return jsonObject(t, res)
}

// listIDs calls GET /connections?query and returns the connection ids.
func listIDs(t *testing.T, srv *apptest.Server, query string) []string {
	t.Helper()
	res := do(t, srv, "GET", "/connections?"+query, apptest.DevKey, nil)
	if res.status != 200 {
		t.Fatalf("GET /connections?%s: %d %s", query, res.status, res.body)
	}
	var out struct {
		Connections []struct {
			ConnectionID string `json:"connection_id"`
		} `json:"connections"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || out.Connections == nil {
		t.Fatalf("list body %s: %v", res.body, err)
	}
	ids := []string{}
	for _, c := range out.Connections {
		ids = append(ids, c.ConnectionID)
	}
	return ids
}

func TestConnectionsLifecycle(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnServer(t, backend)
			s := srv.Server

			first := importKey(t, s, "acme", `,"end_user":{"id":"user-1","email":"Jane@Acme.test","display_name":"Jane Doe","organization":{"id":"org-1"}},"tags":{"Env":"prod","team":"blue"},"metadata":{"plan":"pro"}`)
			time.Sleep(5 * time.Millisecond)
			importKey(t, s, "globex", `,"end_user":{"id":"user-2"},"tags":{"env":"prod"}`)
			time.Sleep(5 * time.Millisecond)
			importKey(t, s, "initech", `,"tags":{"env":"dev"}`)
			time.Sleep(5 * time.Millisecond)
			if res := do(t, s, "POST", "/connections", apptest.DevKey, []byte(`{"provider_config_key":"jira","connection_id":"acme","credentials":{"type":"BASIC","username":"u","password":"p"},"connection_config":{"subdomain":"acme"}}`)); res.status != 201 {
				t.Fatalf("import jira: %d %s", res.status, res.body)
			}

			if first["provider"] != "stripe-api-key" || fmt.Sprint(first["tags"]) != "map[env:prod team:blue]" || fmt.Sprint(first["metadata"]) != "map[plan:pro]" {
				t.Fatalf("imported = %v", first)
			}
			wantEndUser := map[string]any{"id": "user-1", "email": "Jane@Acme.test", "display_name": "Jane Doe", "tags": map[string]any{},
				"organization": map[string]any{"id": "org-1", "display_name": nil}}
			if fmt.Sprint(first["end_user"]) != fmt.Sprint(wantEndUser) {
				t.Fatalf("end_user = %v, want %v", first["end_user"], wantEndUser)
			}

			// The list item shape.
			res := do(t, s, "GET", "/connections?connectionId=acme&integrationId=stripe", apptest.DevKey, nil)
			var list struct {
				Connections []map[string]any `json:"connections"`
			}
			if err := json.Unmarshal(res.body, &list); err != nil || res.status != 200 || len(list.Connections) != 1 {
				t.Fatalf("list acme: %d %s", res.status, res.body)
			}
			item := list.Connections[0]
			if want := []string{"connection_id", "created", "end_user", "errors", "id", "metadata", "provider", "provider_config_key", "tags"}; !slices.Equal(sortedKeys(item), want) {
				t.Fatalf("list item members = %v, want %v", sortedKeys(item), want)
			}
			if item["id"] != first["id"] || item["provider"] != "stripe-api-key" || item["provider_config_key"] != "stripe" ||
				fmt.Sprint(item["metadata"]) != "map[plan:pro]" || fmt.Sprint(item["errors"]) != "[]" || fmt.Sprint(item["end_user"]) != fmt.Sprint(wantEndUser) {
				t.Fatalf("list item = %v", item)
			}
			created, _ := item["created"].(string)
			if _, err := time.Parse(time.RFC3339, created); err != nil || !strings.HasSuffix(created, "+00:00") {
				t.Fatalf("created = %q (%v)", created, err)
			}
			if bytes.Contains(res.body, []byte("sk_test_")) {
				t.Fatalf("list leaks credentials: %s", res.body)
			}

			for _, tt := range []struct {
				query string
				want  []string
			}{
				{"", []string{"acme", "initech", "globex", "acme"}},
				{"integrationId=stripe", []string{"initech", "globex", "acme"}},
				{"integrationId=jira", []string{"acme"}},
				{"connectionId=globex", []string{"globex"}},
				{"connectionId=glob", []string{}},
				{"search=NITE", []string{"initech"}},
				{"search=jane%40acme", []string{"acme"}},
				{"search=doe", []string{"acme"}},
				{"endUserId=user-2", []string{"globex"}},
				{"tags%5Benv%5D=prod", []string{"globex", "acme"}},
				{"tags[ENV]=prod&tags[team]=blue", []string{"acme"}},
				{"tags[env]=staging", []string{}},
				{"integrationId=stripe&limit=2", []string{"initech", "globex"}},
				{"integrationId=stripe&limit=2&page=1", []string{"acme"}},
				{"integrationId=stripe&limit=2&page=2", []string{}},
				{"integrationId=nope", []string{}},
			} {
				if got := listIDs(t, s, tt.query); !slices.Equal(got, tt.want) {
					t.Errorf("GET /connections?%s = %v, want %v", tt.query, got, tt.want)
				}
			}
			if got := listIDs(t, s, ""); len(got) != 4 {
				t.Fatalf("list = %v", got)
			}
			// The singular alias, and environments are isolated.
			if res := do(t, s, "GET", "/connection", apptest.DevKey, nil); res.status != 200 || !bytes.Contains(res.body, []byte(`"initech"`)) {
				t.Fatalf("GET /connection: %d %s", res.status, res.body)
			}
			if res := do(t, s, "GET", "/connections", apptest.ProdKey, nil); res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"connections":[]}` {
				t.Fatalf("prod sees %d %s", res.status, res.body)
			}
			if res := do(t, s, "GET", "/connections/acme?provider_config_key=stripe", apptest.ProdKey, nil); res.status != 404 {
				t.Fatalf("prod reads a dev connection: %d %s", res.status, res.body)
			}

			// PATCH: tags replace, end user replaces, absent members stay.
			res = do(t, s, "PATCH", "/connections/globex?provider_config_key=stripe", apptest.DevKey, []byte(`{"tags":{"Env":"staging"}}`))
			patched := jsonObject(t, res)
			if res.status != 200 || fmt.Sprint(patched["tags"]) != "map[env:staging]" || patched["connection_id"] != "globex" {
				t.Fatalf("patch tags: %d %s", res.status, res.body)
			}
			if _, has := patched["credentials"]; has {
				t.Fatalf("PATCH answers with credentials: %s", res.body)
			}
			if eu, _ := patched["end_user"].(map[string]any); eu["id"] != "user-2" {
				t.Fatalf("patching tags lost the end user: %s", res.body)
			}
			res = do(t, s, "PATCH", "/connection/globex?provider_config_key=stripe", apptest.DevKey, []byte(`{"end_user":{"id":"user-9","display_name":"Nine"}}`))
			patched = jsonObject(t, res)
			if eu, _ := patched["end_user"].(map[string]any); res.status != 200 || eu["id"] != "user-9" || eu["display_name"] != "Nine" || fmt.Sprint(patched["tags"]) != "map[env:staging]" {
				t.Fatalf("patch end user: %d %s", res.status, res.body)
			}
			if got := listIDs(t, s, "endUserId=user-9"); !slices.Equal(got, []string{"globex"}) {
				t.Fatalf("after patch, by end user = %v", got)
			}
			if got := listIDs(t, s, "tags[env]=staging"); !slices.Equal(got, []string{"globex"}) {
				t.Fatalf("after patch, by tag = %v", got)
			}

			// Metadata: POST replaces, PATCH merges (shallowly).
			res = do(t, s, "POST", "/connections/metadata", apptest.DevKey, []byte(`{"connection_id":["acme","globex"],"provider_config_key":"stripe","metadata":{"a":1,"nested":{"x":1}}}`))
			if res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"connection_id":["acme","globex"],"metadata":{"a":1,"nested":{"x":1}},"provider_config_key":"stripe"}` {
				t.Fatalf("set metadata: %d %s", res.status, res.body)
			}
			res = do(t, s, "PATCH", "/connections/metadata", apptest.DevKey, []byte(`{"connection_id":"acme","provider_config_key":"stripe","metadata":{"b":2,"nested":{"y":2}}}`))
			if res.status != 200 || !bytes.Contains(res.body, []byte(`"connection_id":"acme"`)) {
				t.Fatalf("update metadata: %d %s", res.status, res.body)
			}
			metadataOf := func(id string) string {
				t.Helper()
				res := do(t, s, "GET", "/connections/"+id+"?provider_config_key=stripe", apptest.DevKey, nil)
				b, _ := json.Marshal(jsonObject(t, res)["metadata"])
				return string(b)
			}
			if got := metadataOf("acme"); got != `{"a":1,"b":2,"nested":{"y":2}}` {
				t.Fatalf("merged metadata = %s", got)
			}
			if got := metadataOf("globex"); got != `{"a":1,"nested":{"x":1}}` {
				t.Fatalf("globex metadata = %s", got)
			}
			// An unknown id anywhere in the list changes nothing and is named.
			res = do(t, s, "POST", "/connections/metadata", apptest.DevKey, []byte(`{"connection_id":["acme","ghost-co"],"provider_config_key":"stripe","metadata":{}}`))
			if e := res.errorBody(t); res.status != 404 || e.Error.Code != "unknown_connection" || !strings.Contains(e.Error.Message, "ghost-co") {
				t.Fatalf("unknown id: %d %s", res.status, res.body)
			}
			if got := metadataOf("acme"); got != `{"a":1,"b":2,"nested":{"y":2}}` {
				t.Fatalf("a failed call changed metadata: %s", got)
			}
			// The older per-connection form: body is the metadata; the key is
			// in the query or the Provider-Config-Key header.
			res = do(t, s, "POST", "/connection/globex/metadata?provider_config_key=stripe", apptest.DevKey, []byte(`{"fresh":true}`))
			if res.status != 200 || string(bytes.TrimSpace(res.body)) != `{"fresh":true}` || metadataOf("globex") != `{"fresh":true}` {
				t.Fatalf("legacy set: %d %s (now %s)", res.status, res.body, metadataOf("globex"))
			}
			res = do(t, s, "PATCH", "/connections/globex/metadata", apptest.DevKey, []byte(`{"more":1}`), "Provider-Config-Key", "stripe")
			if res.status != 200 || metadataOf("globex") != `{"fresh":true,"more":1}` {
				t.Fatalf("legacy update: %d %s (now %s)", res.status, res.body, metadataOf("globex"))
			}
			res = do(t, s, "POST", "/connection/metadata", apptest.DevKey, []byte(`{"connection_id":"initech","provider_config_key":"stripe","metadata":{"k":"v"}}`))
			if res.status != 200 || metadataOf("initech") != `{"k":"v"}` {
				t.Fatalf("singular set: %d %s", res.status, res.body)
			}

			// DELETE, then the connection is gone everywhere.
			if res := do(t, s, "DELETE", "/connections/globex?provider_config_key=stripe", apptest.DevKey, nil); res.status != 204 || len(res.body) != 0 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			res = do(t, s, "GET", "/connections/globex?provider_config_key=stripe", apptest.DevKey, nil)
			if e := res.errorBody(t); res.status != 404 || e.Error.Code != "unknown_connection" || !strings.Contains(e.Error.Message, "globex") {
				t.Fatalf("get deleted: %d %s", res.status, res.body)
			}
			if res := do(t, s, "DELETE", "/connection/globex?provider_config_key=stripe", apptest.DevKey, nil); res.status != 404 {
				t.Fatalf("delete twice: %d %s", res.status, res.body)
			}
			// Same id, other integration: untouched.
			if res := do(t, s, "DELETE", "/connection/acme?provider_config_key=stripe", apptest.DevKey, nil); res.status != 204 {
				t.Fatalf("delete acme: %d %s", res.status, res.body)
			}
			if got := listIDs(t, s, ""); !slices.Equal(got, []string{"acme", "initech"}) {
				t.Fatalf("after deletes = %v", got)
			}
			for _, secret := range []string{"sk_test_acme", "sk_test_globex", "sk_test_initech"} {
				if strings.Contains(srv.logs.String(), secret) {
					t.Fatalf("%s reached the logs", secret)
				}
			}
		})
	}
}

func TestConnectionBadInput(t *testing.T) {
	t.Parallel()
	srv := startConnServer(t, apptest.SQLite)
	s := srv.Server
	const secret = "sk_test_VERYSECRET0123456789"
	importKey(t, s, "known", "")

	cred := func(c string) string {
		return `{"provider_config_key":"stripe","connection_id":"c","credentials":` + c + `}`
	}
	withKey := func(extra string) string {
		return `{"provider_config_key":"stripe","connection_id":"c","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}` + extra + `}`
	}
	elevenTags := map[string]string{}
	for i := range 11 {
		elevenTags[fmt.Sprintf("t%d", i)] = "v"
	}
	eleven, _ := json.Marshal(elevenTags)
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		header   []string
		status   int
		code     string
		wantPath string // dotted path of a field error, "" for none expected
		mentions string // the message must contain it
	}{
		// POST /connections
		{name: "malformed json", method: "POST", path: "/connections", body: `{"provider_config_key":`, status: 400, code: "invalid_body"},
		{name: "array body", method: "POST", path: "/connections", body: `[]`, status: 400, code: "invalid_body"},
		{name: "missing integration", method: "POST", path: "/connections", body: `{"credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "provider_config_key"},
		{name: "empty integration", method: "POST", path: "/connections", body: `{"provider_config_key":"","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "provider_config_key"},
		{name: "missing credentials", method: "POST", path: "/connections", body: `{"provider_config_key":"stripe"}`, status: 400, code: "invalid_body", wantPath: "credentials"},
		{name: "credentials not an object", method: "POST", path: "/connections", body: cred(`"` + secret + `"`), status: 400, code: "invalid_body", wantPath: "credentials"},
		{name: "credentials without type", method: "POST", path: "/connections", body: cred(`{"apiKey":"` + secret + `"}`), status: 400, code: "invalid_body", wantPath: "credentials.type"},
		{name: "unknown credentials type", method: "POST", path: "/connections", body: cred(`{"type":"PASSWORD","apiKey":"` + secret + `"}`), status: 400, code: "invalid_body", wantPath: "credentials.type"},
		{name: "type of another mode", method: "POST", path: "/connections", body: `{"provider_config_key":"github","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "credentials.type"},
		{name: "missing api key", method: "POST", path: "/connections", body: cred(`{"type":"API_KEY"}`), status: 400, code: "invalid_body", wantPath: "credentials.apiKey"},
		{name: "empty api key", method: "POST", path: "/connections", body: cred(`{"type":"API_KEY","apiKey":""}`), status: 400, code: "invalid_body", wantPath: "credentials.apiKey"},
		{name: "api key not a string", method: "POST", path: "/connections", body: cred(`{"type":"API_KEY","apiKey":123}`), status: 400, code: "invalid_body", wantPath: "credentials.apiKey"},
		{name: "member of another mode", method: "POST", path: "/connections", body: cred(`{"type":"API_KEY","apiKey":"x","access_token":"` + secret + `"}`), status: 400, code: "invalid_body", wantPath: "credentials.access_token"},
		{name: "oauth2 without access token", method: "POST", path: "/connections", body: `{"provider_config_key":"github","credentials":{"type":"OAUTH2","refresh_token":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "credentials.access_token"},
		{name: "bad expiry", method: "POST", path: "/connections", body: `{"provider_config_key":"github","credentials":{"type":"OAUTH2","access_token":"` + secret + `","expires_at":"tomorrow"}}`, status: 400, code: "invalid_body", wantPath: "credentials.expires_at"},
		{name: "oauth1 without secret", method: "POST", path: "/connections", body: `{"provider_config_key":"trello","credentials":{"type":"OAUTH1","oauth_token":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "credentials.oauth_token_secret"},
		{name: "client credentials without client", method: "POST", path: "/connections", body: `{"provider_config_key":"zoom","credentials":{"type":"OAUTH2_CC","token":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "credentials.client_id"},
		{name: "jwt field not a string", method: "POST", path: "/connections", body: `{"provider_config_key":"ghost","credentials":{"type":"JWT","token":"` + secret + `","keyId":1}}`, status: 400, code: "invalid_body", wantPath: "credentials.keyId"},
		{name: "unknown integration", method: "POST", path: "/connections", body: `{"provider_config_key":"nope","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 404, code: "unknown_provider_config", mentions: "nope"},
		{name: "bad connection id", method: "POST", path: "/connections", body: `{"provider_config_key":"stripe","connection_id":"a#b","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
		{name: "long connection id", method: "POST", path: "/connections", body: `{"provider_config_key":"stripe","connection_id":"` + strings.Repeat("c", 256) + `","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
		{name: "unknown member", method: "POST", path: "/connections", body: withKey(`,"colour":"red"`), status: 400, code: "invalid_body", wantPath: "colour"},
		{name: "metadata not an object", method: "POST", path: "/connections", body: withKey(`,"metadata":[1]`), status: 400, code: "invalid_body", wantPath: "metadata"},
		{name: "connection config not an object", method: "POST", path: "/connections", body: withKey(`,"connection_config":"x"`), status: 400, code: "invalid_body", wantPath: "connection_config"},
		{name: "too many tags", method: "POST", path: "/connections", body: withKey(`,"tags":` + string(eleven)), status: 400, code: "invalid_body", wantPath: "tags"},
		{name: "tag key starts with a digit", method: "POST", path: "/connections", body: withKey(`,"tags":{"1env":"prod"}`), status: 400, code: "invalid_body", wantPath: "tags.1env"},
		{name: "tag value not a string", method: "POST", path: "/connections", body: withKey(`,"tags":{"env":1}`), status: 400, code: "invalid_body", wantPath: "tags.env"},
		{name: "tag value too long", method: "POST", path: "/connections", body: withKey(`,"tags":{"env":"` + strings.Repeat("v", 256) + `"}`), status: 400, code: "invalid_body", wantPath: "tags.env"},
		{name: "tags differing by case", method: "POST", path: "/connections", body: withKey(`,"tags":{"env":"a","ENV":"b"}`), status: 400, code: "invalid_body"},
		{name: "end user without id", method: "POST", path: "/connections", body: withKey(`,"end_user":{"email":"a@b.co"}`), status: 400, code: "invalid_body", wantPath: "end_user.id"},
		{name: "end user bad email", method: "POST", path: "/connections", body: withKey(`,"end_user":{"id":"u","email":"nope"}`), status: 400, code: "invalid_body", wantPath: "end_user.email"},
		{name: "end user unknown member", method: "POST", path: "/connections", body: withKey(`,"end_user":{"id":"u","phone":"1"}`), status: 400, code: "invalid_body", wantPath: "end_user.phone"},
		{name: "query on import", method: "POST", path: "/connections?force=1", body: withKey(""), status: 400, code: "invalid_query_params", wantPath: "force"},

		// GET /connections
		{name: "unknown list param", method: "GET", path: "/connections?provider=x", status: 400, code: "invalid_query_params", wantPath: "provider"},
		{name: "limit zero", method: "GET", path: "/connections?limit=0", status: 400, code: "invalid_query_params", wantPath: "limit"},
		{name: "limit too big", method: "GET", path: "/connections?limit=1001", status: 400, code: "invalid_query_params", wantPath: "limit"},
		{name: "limit not a number", method: "GET", path: "/connections?limit=ten", status: 400, code: "invalid_query_params", wantPath: "limit"},
		{name: "negative page", method: "GET", path: "/connections?page=-1", status: 400, code: "invalid_query_params", wantPath: "page"},
		{name: "empty search", method: "GET", path: "/connections?search=", status: 400, code: "invalid_query_params", wantPath: "search"},
		{name: "bad tag filter", method: "GET", path: "/connections?tags[1x]=y", status: 400, code: "invalid_query_params", wantPath: "tags.1x"},
		{name: "nested tag filter", method: "GET", path: "/connections?tags[a][b]=y", status: 400, code: "invalid_query_params", wantPath: "tags[a][b]"},
		{name: "no integration in the list", method: "GET", path: "/connections?integrationId=,", status: 400, code: "invalid_query_params", wantPath: "integrationId"},

		// GET /connections/{id}
		{name: "get without integration", method: "GET", path: "/connections/known", status: 400, code: "invalid_query_params", wantPath: "provider_config_key"},
		{name: "get bad force_refresh", method: "GET", path: "/connections/known?provider_config_key=stripe&force_refresh=maybe", status: 400, code: "invalid_query_params", wantPath: "force_refresh"},
		{name: "get unknown param", method: "GET", path: "/connections/known?provider_config_key=stripe&include=all", status: 400, code: "invalid_query_params", wantPath: "include"},
		{name: "get unknown", method: "GET", path: "/connections/missing-one?provider_config_key=stripe", status: 404, code: "unknown_connection", mentions: "missing-one"},
		{name: "get from another integration", method: "GET", path: "/connections/known?provider_config_key=github", status: 404, code: "unknown_connection", mentions: "known"},

		// PATCH and DELETE /connections/{id}
		{name: "patch without integration", method: "PATCH", path: "/connections/known", body: `{}`, status: 400, code: "invalid_query_params", wantPath: "provider_config_key"},
		{name: "patch unknown", method: "PATCH", path: "/connections/missing-one?provider_config_key=stripe", body: `{"tags":{}}`, status: 404, code: "unknown_connection", mentions: "missing-one"},
		{name: "patch bad tag", method: "PATCH", path: "/connections/known?provider_config_key=stripe", body: `{"tags":{"_x":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "tags._x"},
		{name: "patch credentials", method: "PATCH", path: "/connections/known?provider_config_key=stripe", body: `{"credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "credentials"},
		{name: "patch end user without id", method: "PATCH", path: "/connections/known?provider_config_key=stripe", body: `{"end_user":{"display_name":"x"}}`, status: 400, code: "invalid_body", wantPath: "end_user.id"},
		{name: "delete without integration", method: "DELETE", path: "/connections/known", status: 400, code: "invalid_query_params", wantPath: "provider_config_key"},
		{name: "delete unknown", method: "DELETE", path: "/connections/missing-one?provider_config_key=stripe", status: 404, code: "unknown_connection", mentions: "missing-one"},

		// metadata
		{name: "metadata missing", method: "POST", path: "/connections/metadata", body: `{"connection_id":"known","provider_config_key":"stripe"}`, status: 400, code: "invalid_body", wantPath: "metadata"},
		{name: "metadata not an object", method: "PATCH", path: "/connections/metadata", body: `{"connection_id":"known","provider_config_key":"stripe","metadata":"x"}`, status: 400, code: "invalid_body", wantPath: "metadata"},
		{name: "metadata id a number", method: "POST", path: "/connections/metadata", body: `{"connection_id":1,"provider_config_key":"stripe","metadata":{}}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
		{name: "metadata no ids", method: "POST", path: "/connections/metadata", body: `{"connection_id":[],"provider_config_key":"stripe","metadata":{}}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
		{name: "metadata bad id in list", method: "POST", path: "/connections/metadata", body: `{"connection_id":["known",2],"provider_config_key":"stripe","metadata":{}}`, status: 400, code: "invalid_body", wantPath: "connection_id.1"},
		{name: "metadata without integration", method: "POST", path: "/connections/metadata", body: `{"connection_id":"known","metadata":{}}`, status: 400, code: "invalid_body", wantPath: "provider_config_key"},
		{name: "metadata unknown connection", method: "POST", path: "/connections/metadata", body: `{"connection_id":"missing-one","provider_config_key":"stripe","metadata":{}}`, status: 404, code: "unknown_connection", mentions: "missing-one"},
		{name: "metadata unknown member", method: "POST", path: "/connections/metadata", body: `{"connection_id":"known","provider_config_key":"stripe","metadata":{},"merge":true}`, status: 400, code: "invalid_body", wantPath: "merge"},
		{name: "legacy metadata without integration", method: "POST", path: "/connection/known/metadata", body: `{}`, status: 400, code: "invalid_query_params", wantPath: "provider_config_key"},
		{name: "legacy metadata not an object", method: "POST", path: "/connection/known/metadata?provider_config_key=stripe", body: `["` + secret + `"]`, status: 400, code: "invalid_body"},
		{name: "legacy metadata malformed", method: "PATCH", path: "/connection/known/metadata?provider_config_key=stripe", body: `{"a":`, status: 400, code: "invalid_body"},
		{name: "legacy metadata unknown connection", method: "PATCH", path: "/connection/missing-one/metadata", header: []string{"Provider-Config-Key", "stripe"}, body: `{}`, status: 404, code: "unknown_connection", mentions: "missing-one"},

		{name: "no secret key", method: "GET", path: "/connections", status: 401, code: "missing_auth_header"},
		{name: "wrong method", method: "PUT", path: "/connections/known", body: `{}`, status: 405, code: "method_not_allowed"},
	}
	// The group returns once all its parallel subtests are done.
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				checkBadRequest(t, s, tt.method, tt.path, tt.body, tt.header, tt.status, tt.code, tt.wantPath, tt.mentions, secret)
			})
		}
	})

	t.Run("nothing changed", func(t *testing.T) {
		got := listIDs(t, s, "")
		if !slices.Equal(got, []string{"known"}) {
			t.Fatalf("connections after bad requests = %v", got)
		}
		res := do(t, s, "GET", "/connections/known?provider_config_key=stripe", apptest.DevKey, nil)
		conn := jsonObject(t, res)
		if fmt.Sprint(conn["tags"]) != "map[]" || fmt.Sprint(conn["metadata"]) != "map[]" || conn["end_user"] != nil {
			t.Fatalf("known after bad requests = %s", res.body)
		}
		if strings.Contains(srv.logs.String(), secret) {
			t.Fatal("a secret reached the logs")
		}
	})
}

// The deprecated aliases answer exactly like the plural routes.
func TestConnectionSingularAliases(t *testing.T) {
	t.Parallel()
	srv := startConnServer(t, apptest.SQLite)
	s := srv.Server
	res := do(t, s, "POST", "/connection", apptest.DevKey, []byte(`{"provider_config_key":"stripe","connection_id":"x y@z","credentials":{"type":"API_KEY","apiKey":"k"}}`))
	if res.status != 201 {
		t.Fatalf("POST /connection: %d %s", res.status, res.body)
	}
	escaped := url.PathEscape("x y@z")
	for _, base := range []string{"/connections/", "/connection/"} {
		res := do(t, s, "GET", base+escaped+"?provider_config_key=stripe", apptest.DevKey, nil)
		if conn := jsonObject(t, res); res.status != 200 || conn["connection_id"] != "x y@z" {
			t.Fatalf("GET %s: %d %s", base, res.status, res.body)
		}
	}
	// A connection id with a slash, escaped, is one path segment.
	res = do(t, s, "POST", "/connections", apptest.DevKey, []byte(`{"provider_config_key":"stripe","connection_id":"team/42","credentials":{"type":"API_KEY","apiKey":"k"}}`))
	if res.status != 201 {
		t.Fatalf("import team/42: %d %s", res.status, res.body)
	}
	res = do(t, s, "GET", "/connections/"+url.PathEscape("team/42")+"?provider_config_key=stripe", apptest.DevKey, nil)
	if conn := jsonObject(t, res); res.status != 200 || conn["connection_id"] != "team/42" {
		t.Fatalf("GET team/42: %d %s", res.status, res.body)
	}
	// Without a connection_id, the server makes one up.
	res = do(t, s, "POST", "/connections", apptest.DevKey, []byte(`{"provider_config_key":"stripe","credentials":{"type":"API_KEY","apiKey":"k"}}`))
	if id, _ := jsonObject(t, res)["connection_id"].(string); res.status != 201 || len(id) != 36 {
		t.Fatalf("generated id: %d %s", res.status, res.body)
	}
}

// checkBadRequest sends one bad request and checks the error answer: its
// status, code, field path and message, and that it echoes no secret.
func checkBadRequest(t *testing.T, s *apptest.Server, method, path, reqBody string, header []string, status int, code, wantPath, mentions, secret string) {
	t.Helper()
	var body []byte
	if method != "GET" && method != "DELETE" {
		body = []byte(reqBody)
	}
	key := apptest.DevKey
	if code == "missing_auth_header" {
		key = ""
	}
	res := do(t, s, method, path, key, body, header...)
	if res.status != status {
		t.Fatalf("status = %d, want %d: %s", res.status, status, res.body)
	}
	e := res.errorBody(t)
	if e.Error.Code != code || e.Error.Message == "" || !strings.Contains(e.Error.Message, mentions) {
		t.Fatalf("error = %+v, want code %q with a message mentioning %q", e.Error, code, mentions)
	}
	if wantPath != "" {
		var paths []string
		for _, fe := range e.Error.Errors {
			parts := make([]string, len(fe.Path))
			for i, p := range fe.Path {
				parts[i] = fmt.Sprint(p)
			}
			paths = append(paths, strings.Join(parts, "."))
		}
		if !slices.Contains(paths, wantPath) {
			t.Fatalf("error paths = %v, want %q in them (%s)", paths, wantPath, res.body)
		}
	}
	if bytes.Contains(res.body, []byte(secret)) {
		t.Fatalf("error body echoes a secret: %s", res.body)
	}
}

// BenchmarkGetConnection measures the token fetch customers make before
// every provider call: GET /connections/{id} through a real server on
// SQLite, for a connection that needs no refresh.
func BenchmarkGetConnection(b *testing.B) {
	srv := apptest.Start(b, apptest.Options{})
	c := srv.Client()
	if _, err := c.CreateIntegration(b.Context(), client.CreateIntegrationRequest{UniqueKey: "stripe", Provider: "stripe-api-key"}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.ImportConnection(b.Context(), client.ImportConnectionRequest{ProviderConfigKey: "stripe", ConnectionID: "bench",
		Credentials: client.ImportCredentials{Type: "API_KEY", APIKey: "sk_test_bench"}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetConnection(b.Context(), "stripe", "bench", client.GetConnectionOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// FuzzConnectionRequests sends arbitrary import bodies and list query
// strings to a real server: whatever comes in, the answer is a success or
// a client error in Nango's shape, never a 500, and never echoes the
// secret it was sent.
func FuzzConnectionRequests(f *testing.F) {
	const secret = "sk_test_FUZZSECRET42"
	for _, seed := range []struct{ body, query string }{
		{`{"provider_config_key":"stripe","connection_id":"a","credentials":{"type":"API_KEY","apiKey":"` + secret + `"}}`, "limit=5"},
		{`{"provider_config_key":"github","credentials":{"type":"OAUTH2","access_token":"` + secret + `","expires_at":"2030-01-01"}}`, "tags[env]=prod&page=1"},
		{`{"provider_config_key":"ghost","credentials":{"type":"JWT","token":"t","keyId":"` + secret + `"},"tags":{"A":"b"}}`, "integrationId=a,b"},
		{`{"provider_config_key":"stripe","credentials":{"type":"API_KEY","apiKey":"x"},"end_user":{"id":"u","tags":{"1":"` + secret + `"}}}`, "tags[a][b]=c"},
		{`{"credentials":null}`, "search=%00"}, {`[]`, "limit=-1"}, {`{`, "tags[]="},
	} {
		f.Add([]byte(seed.body), seed.query)
	}
	srv := apptest.Start(f, apptest.Options{})
	for _, in := range []client.CreateIntegrationRequest{
		{UniqueKey: "stripe", Provider: "stripe-api-key"},
		{UniqueKey: "ghost", Provider: "ghost-admin"},
		{UniqueKey: "github", Provider: "github", Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "id", ClientSecret: "secret"}},
	} {
		if _, err := srv.Client().CreateIntegration(f.Context(), in); err != nil {
			f.Fatal(err)
		}
	}
	check := func(t *testing.T, what string, res response, ok ...int) {
		t.Helper()
		if slices.Contains(ok, res.status) {
			return
		}
		if res.status >= 500 || res.status < 400 {
			t.Fatalf("%s: status %d: %s", what, res.status, res.body)
		}
		res.errorBody(t)
		if bytes.Contains(res.body, []byte(secret)) {
			t.Fatalf("%s: error echoes the secret: %s", what, res.body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		check(t, "import", do(t, srv, "POST", "/connections", apptest.DevKey, body), 200, 201)
		// Re-encoded: a raw space or control character would make an invalid
		// request line, which net/http refuses before any handler runs.
		if q, err := url.ParseQuery(query); err == nil {
			check(t, "list", do(t, srv, "GET", "/connections?"+q.Encode(), apptest.DevKey, nil), 200)
		}
	})
}
