package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/connect"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/postgres"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/vault"
)

var sessionTokenPattern = regexp.MustCompile(`^nango_connect_session_[0-9a-f]{64}$`)

// startConnectServer is startConnServer with a connection "known" on the
// stripe (API_KEY) integration, owned by end user u-known.
func startConnectServer(t *testing.T, backend apptest.Backend) *connServer {
	t.Helper()
	srv := startConnServer(t, backend)
	importKey(t, srv.Server, "known", `,"end_user":{"id":"u-known","email":"known@example.com"}`)
	return srv
}

// dataOf returns the "data" object of a response, checking it is the only
// member.
func dataOf(t *testing.T, res response) map[string]any {
	t.Helper()
	top := jsonObject(t, res)
	data, ok := top["data"].(map[string]any)
	if !ok || len(top) != 1 {
		t.Fatalf("status %d, body %s: want {\"data\":{…}}", res.status, res.body)
	}
	return data
}

// newSession creates a connect session with key and returns its token,
// checking the answer's shape.
func newSession(t *testing.T, s *apptest.Server, key, body string) string {
	t.Helper()
	return createSessionAt(t, s, key, "/connect/sessions", body)
}

func createSessionAt(t *testing.T, s *apptest.Server, key, path, body string) string {
	t.Helper()
	res := do(t, s, "POST", path, key, []byte(body))
	if res.status != 201 {
		t.Fatalf("POST %s %s: %d %s", path, body, res.status, res.body)
	}
	data := dataOf(t, res)
	token, _ := data["token"].(string)
	if !sessionTokenPattern.MatchString(token) {
		t.Fatalf("token %q is not nango_connect_session_ + 64 hex digits", token)
	}
	return token
}

// sameJSON reports whether got, once encoded, is the JSON value want,
// whatever the order of members.
func sameJSON(t *testing.T, got any, want string) bool {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

func errorCode(t *testing.T, res response) string {
	t.Helper()
	return res.errorBody(t).Error.Code
}

func TestConnectSessionLifecycle(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnectServer(t, backend)
			s := srv.Server

			body := `{
				"end_user": {"id": "u-1", "email": "jane@example.com", "display_name": "Jane Doe", "tags": {"plan": "pro"}},
				"organization": {"id": "org-1", "display_name": "Acme"},
				"allowed_integrations": ["stripe", "github"],
				"integrations_config_defaults": {
					"github": {"user_scopes": "repo,user", "authorization_params": {"prompt": "consent"}, "connection_config": {"team": "core", "n": 2}},
					"jira": {"connection_config": {"subdomain": "acme"}}
				}
			}`
			before := time.Now()
			res := do(t, s, "POST", "/connect/sessions", apptest.DevKey, []byte(body))
			after := time.Now()
			if res.status != 201 {
				t.Fatalf("create: %d %s", res.status, res.body)
			}
			created := dataOf(t, res)
			if got := sortedKeys(created); !slices.Equal(got, []string{"connect_link", "expires_at", "token"}) {
				t.Fatalf("members = %v", got)
			}
			token, _ := created["token"].(string)
			if !sessionTokenPattern.MatchString(token) {
				t.Fatalf("token = %q", token)
			}
			if created["connect_link"] != apptest.ServerURL+"/connect?session_token="+token {
				t.Fatalf("connect_link = %v", created["connect_link"])
			}
			expiresRaw, _ := created["expires_at"].(string)
			expires, err := time.Parse(time.RFC3339Nano, expiresRaw)
			// Expiries are stored to the second, rounded down.
			if err != nil || expires.Before(before.Add(30*time.Minute-time.Second)) || expires.After(after.Add(30*time.Minute)) {
				t.Fatalf("expires_at = %q (%v), want 30 minutes after %v", expiresRaw, err, before)
			}
			if bytes.Contains(res.body, []byte(apptest.DevKey)) {
				t.Fatal("the answer echoes the secret key")
			}

			// GET /connect/session, with the session's own token.
			want := `{
				"end_user": {"id": "u-1", "email": "jane@example.com", "display_name": "Jane Doe", "tags": {"plan": "pro"}},
				"organization": {"id": "org-1", "display_name": "Acme"},
				"allowed_integrations": ["stripe", "github"],
				"integrations_config_defaults": {
					"github": {"user_scopes": "repo,user", "authorization_params": {"prompt": "consent"}, "connection_config": {"team": "core", "n": 2}},
					"jira": {"connection_config": {"subdomain": "acme"}}
				},
				"expires_at": "` + expiresRaw + `"
			}`
			res = do(t, s, "GET", "/connect/session", token, nil)
			if res.status != 200 {
				t.Fatalf("get: %d %s", res.status, res.body)
			}
			if got := dataOf(t, res); !sameJSON(t, got, want) {
				t.Fatalf("session = %s, want %s", res.body, want)
			}
			if res.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("GET /connect/session is not CORS-open: %v", res.header)
			}
			// The frontend SDK sends the token in the query instead.
			if res := do(t, s, "GET", "/connect/session?connect_session_token="+token, "", nil); res.status != 200 || !sameJSON(t, dataOf(t, res), want) {
				t.Fatalf("get with the query token: %d %s", res.status, res.body)
			}
			// A session token is no secret key.
			res = do(t, s, "GET", "/integrations", token, nil)
			if res.status != 401 || errorCode(t, res) != "unknown_account" || bytes.Contains(res.body, []byte(token)) {
				t.Fatalf("session token as secret key: %d %s", res.status, res.body)
			}

			// The least a session can be: everything allowed, no end user.
			bare := newSession(t, s, apptest.DevKey, `{}`)
			if bare == token {
				t.Fatal("two sessions share a token")
			}
			res = do(t, s, "GET", "/connect/session", bare, nil)
			got := dataOf(t, res)
			if res.status != 200 || !slices.Equal(sortedKeys(got), []string{"allowed_integrations", "end_user", "expires_at", "organization"}) ||
				got["end_user"] != nil || got["organization"] != nil || fmt.Sprint(got["allowed_integrations"]) != "[]" {
				t.Fatalf("bare session = %d %s", res.status, res.body)
			}

			// Top-level tags are the session's own (for the connections it
			// creates), apart from the end user's; keys lowercased as stored.
			tagged := newSession(t, s, apptest.DevKey, `{"end_user":{"id":"u-2","tags":{"Plan":"free"}},"tags":{"Team":"core"}}`)
			res = do(t, s, "GET", "/connect/session", tagged, nil)
			if eu := dataOf(t, res)["end_user"]; !sameJSON(t, eu, `{"id":"u-2","email":null,"display_name":null,"tags":{"plan":"free"}}`) {
				t.Fatalf("tagged end user = %s", res.body)
			}
			if tags := dataOf(t, res)["tags"]; !sameJSON(t, tags, `{"team":"core"}`) {
				t.Fatalf("session tags = %s", res.body)
			}

			// A reconnect session is bound to one connection, and keeps its end
			// user unless told otherwise.
			reconnect := createSessionAt(t, s, apptest.DevKey, "/connect/sessions/reconnect", `{"connection_id":"known","integration_id":"stripe"}`)
			res = do(t, s, "GET", "/connect/session", reconnect, nil)
			got = dataOf(t, res)
			if got["connection_id"] != "known" || fmt.Sprint(got["allowed_integrations"]) != "[stripe]" ||
				!sameJSON(t, got["end_user"], `{"id":"u-known","email":"known@example.com","display_name":null,"tags":null}`) {
				t.Fatalf("reconnect session = %s", res.body)
			}
			other := createSessionAt(t, s, apptest.DevKey, "/connect/sessions/reconnect",
				`{"connection_id":"known","integration_id":"stripe","end_user":{"id":"u-new"},"organization":{"id":"org-2"},"integrations_config_defaults":{"stripe":{"connection_config":{"k":"v"}}}}`)
			res = do(t, s, "GET", "/connect/session", other, nil)
			got = dataOf(t, res)
			if got["connection_id"] != "known" || !sameJSON(t, got["organization"], `{"id":"org-2"}`) ||
				!sameJSON(t, got["end_user"], `{"id":"u-new","email":null,"display_name":null,"tags":null}`) ||
				!sameJSON(t, got["integrations_config_defaults"], `{"stripe":{"connection_config":{"k":"v"}}}`) {
				t.Fatalf("reconnect session with end user = %s", res.body)
			}
			// It may not authorise another integration.
			res = do(t, s, "POST", "/api-auth/basic/jira?connect_session_token="+reconnect, "", []byte(`{"username":"u","password":"p"}`))
			if res.status != 403 || errorCode(t, res) != "integration_not_allowed" {
				t.Fatalf("reconnect session on another integration: %d %s", res.status, res.body)
			}

			// DELETE ends the session at once, and only that one.
			res = do(t, s, "DELETE", "/connect/session", token, nil)
			if res.status != 204 || len(res.body) != 0 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			for _, r := range []struct{ method, path, key string }{
				{"GET", "/connect/session", token},
				{"DELETE", "/connect/session", token},
				{"GET", "/connect/session?connect_session_token=" + token, ""},
				{"POST", "/api-auth/api-key/stripe?connect_session_token=" + token, ""},
			} {
				var body []byte
				if r.method == "POST" {
					body = []byte(`{"apiKey":"sk_test_after_delete"}`)
				}
				res := do(t, s, r.method, r.path, r.key, body)
				if res.status != 401 || errorCode(t, res) != "invalid_connect_session_token" || bytes.Contains(res.body, []byte(token)) {
					t.Fatalf("%s %s after delete: %d %s", r.method, r.path, res.status, res.body)
				}
			}
			if res := do(t, s, "GET", "/connect/session", bare, nil); res.status != 200 {
				t.Fatalf("another session after delete: %d %s", res.status, res.body)
			}

			// Sessions belong to the environment whose key made them.
			prod := newSession(t, s, apptest.ProdKey, `{"end_user":{"id":"p-1"}}`)
			if res := do(t, s, "GET", "/connect/session", prod, nil); res.status != 200 || !sameJSON(t, dataOf(t, res)["end_user"], `{"id":"p-1","email":null,"display_name":null,"tags":null}`) {
				t.Fatalf("prod session: %d %s", res.status, res.body)
			}
			res = do(t, s, "POST", "/connect/sessions", apptest.ProdKey, []byte(`{"allowed_integrations":["stripe"]}`))
			if res.status != 400 || errorCode(t, res) != "invalid_body" {
				t.Fatalf("prod session allowing a dev integration: %d %s", res.status, res.body)
			}
			res = do(t, s, "POST", "/connect/sessions/reconnect", apptest.ProdKey, []byte(`{"connection_id":"known","integration_id":"stripe"}`))
			if res.status != 400 || errorCode(t, res) != "unknown_connection" {
				t.Fatalf("prod reconnect of a dev connection: %d %s", res.status, res.body)
			}
			res = do(t, s, "POST", "/api-auth/api-key/stripe?connect_session_token="+prod, "", []byte(`{"apiKey":"sk_test_cross_env"}`))
			if res.status != 404 || errorCode(t, res) != "unknown_provider_config" {
				t.Fatalf("prod session on a dev integration: %d %s", res.status, res.body)
			}

			for _, secret := range []string{token, bare, reconnect, prod} {
				if strings.Contains(srv.logs.String(), secret) {
					t.Fatal("a session token reached the logs")
				}
			}
		})
	}
}

// openStoreOf opens a running test server's database a second time, for
// what no API does: a test may write rows the server then reads.
func openStoreOf(t *testing.T, srv *apptest.Server, backend apptest.Backend) store.Store {
	t.Helper()
	var st store.Store
	switch backend {
	case apptest.Postgres:
		key, err := vault.ParseKey(srv.Env["PATCHBAY_ENCRYPTION_KEY"])
		if err != nil {
			t.Fatal(err)
		}
		v, err := vault.New(key)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := postgres.Open(t.Context(), srv.Env["PATCHBAY_DATABASE_URL"], v, nil)
		if err != nil {
			t.Fatal(err)
		}
		st = pg
	default:
		encoded, err := os.ReadFile(filepath.Join(srv.DataDir, app.KeyFileName))
		if err != nil {
			t.Fatal(err)
		}
		key, err := vault.ParseKey(strings.TrimSpace(string(encoded)))
		if err != nil {
			t.Fatal(err)
		}
		v, err := vault.New(key)
		if err != nil {
			t.Fatal(err)
		}
		lite, err := sqlite.Open(t.Context(), srv.DataDir, v)
		if err != nil {
			t.Fatal(err)
		}
		st = lite
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// An expired session is told apart from an unknown one. Sessions last 30
// minutes, so the test writes an already expired row straight into the
// server's database.
func TestConnectSessionExpired(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnectServer(t, backend)
			s := srv.Server
			st := openStoreOf(t, s, backend)
			env, err := st.Environments().BySecretKey(t.Context(), apptest.DevKey)
			if err != nil {
				t.Fatal(err)
			}
			expired := func() string {
				t.Helper()
				raw := make([]byte, 32)
				_, _ = rand.Read(raw)
				token := connect.TokenPrefix + hex.EncodeToString(raw)
				now := time.Now().UTC()
				if err := st.ConnectSessions().Create(context.WithoutCancel(t.Context()), &store.ConnectSession{
					EnvironmentID: env.ID, TokenHash: connect.HashToken(token), EndUser: &store.EndUser{ID: "u-late"},
					CreatedAt: now.Add(-31 * time.Minute), ExpiresAt: now.Add(-time.Minute).Truncate(time.Second),
				}); err != nil {
					t.Fatal(err)
				}
				return token
			}
			checks := []struct{ method, path string }{
				{"GET", "/connect/session"},
				{"DELETE", "/connect/session"},
				{"POST", "/api-auth/api-key/stripe"},
				{"POST", "/api-auth/basic/jira"},
				{"POST", "/auth/jwt/ghost"},
				{"POST", "/oauth2/auth/zoom"},
			}
			// The server drops expired sessions when it starts and every minute
			// after. Should its first sweep fall between the insert and the
			// requests, the token reads as unknown; a second round then runs
			// well before the next sweep.
			for attempt := 1; ; attempt++ {
				token := expired()
				var swept bool
				for _, c := range checks {
					var body []byte
					if c.method == "POST" {
						body = []byte(`{}`)
					}
					res := do(t, s, c.method, c.path, token, body)
					code := errorCode(t, res)
					if code == "invalid_connect_session_token" && attempt == 1 {
						swept = true
						break
					}
					if res.status != 401 || code != "expired_connect_session_token" || bytes.Contains(res.body, []byte(token)) {
						t.Fatalf("%s %s with an expired session: %d %s", c.method, c.path, res.status, res.body)
					}
					if res.header.Get("Access-Control-Allow-Origin") != "*" {
						t.Errorf("%s %s: the error is not readable cross-origin", c.method, c.path)
					}
				}
				if !swept {
					break
				}
				t.Logf("the server's sweep removed the expired session of attempt %d; again", attempt)
			}
		})
	}
}

// TestConnectCredentialEndpoint connects an API key through a session
// against the simulated Stripe, then re-authorises the same connection
// through a reconnect session.
func TestConnectCredentialEndpoint(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			sim := providersim.Start(t, providersim.Options{})
			catalogFile := filepath.Join(t.TempDir(), "providers.yaml")
			if err := os.WriteFile(catalogFile, []byte(sim.CatalogYAML()), 0o600); err != nil {
				t.Fatal(err)
			}
			logs := &apptest.LogBuffer{}
			s := apptest.Start(t, apptest.Options{Backend: backend, Logs: logs, Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": catalogFile}})
			if res := do(t, s, "POST", "/integrations", apptest.DevKey, []byte(`{"unique_key":"stripe","provider":"stripe-api-key"}`)); res.status != 200 {
				t.Fatalf("create integration: %d %s", res.status, res.body)
			}
			token := newSession(t, s, apptest.DevKey, `{"end_user":{"id":"u-1","email":"jane@example.com"},"allowed_integrations":["stripe"]}`)

			key := `{"apiKey":"` + stripe.DefaultKey + `"}`
			res := do(t, s, "POST", "/api-auth/api-key/stripe?connect_session_token="+token, "", []byte(key))
			if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("connect: %d %v %s", res.status, res.header, res.body)
			}
			result := jsonObject(t, res)
			connectionID, _ := result["connectionId"].(string)
			if !slices.Equal(sortedKeys(result), []string{"connectionId", "providerConfigKey"}) || result["providerConfigKey"] != "stripe" || len(connectionID) != 36 {
				t.Fatalf("result = %s", res.body)
			}
			res = do(t, s, "GET", "/connections/"+connectionID+"?provider_config_key=stripe", apptest.DevKey, nil)
			conn := jsonObject(t, res)
			creds, _ := conn["credentials"].(map[string]any)
			if res.status != 200 || creds["apiKey"] != stripe.DefaultKey || !sameJSON(t, conn["end_user"], `{"id":"u-1","email":"jane@example.com","display_name":null,"tags":{},"organization":null}`) {
				t.Fatalf("connection = %d %s", res.status, res.body)
			}

			// A refused key saves nothing and is not echoed.
			res = do(t, s, "POST", "/api-auth/api-key/stripe", token, []byte(`{"apiKey":"sk_test_wrong_0123456789"}`))
			if res.status != 400 || errorCode(t, res) != "connection_test_failed" || bytes.Contains(res.body, []byte("sk_test_wrong_0123456789")) {
				t.Fatalf("refused key: %d %s", res.status, res.body)
			}

			// Reconnecting (Bearer token this time) writes to the same connection.
			reconnect := createSessionAt(t, s, apptest.DevKey, "/connect/sessions/reconnect", `{"connection_id":"`+connectionID+`","integration_id":"stripe"}`)
			res = do(t, s, "POST", "/api-auth/api-key/stripe", reconnect, []byte(key))
			if res.status != 200 || jsonObject(t, res)["connectionId"] != connectionID {
				t.Fatalf("reconnect: %d %s", res.status, res.body)
			}
			if ids := listIDs(t, s, ""); !slices.Equal(ids, []string{connectionID}) {
				t.Fatalf("connections = %v, want only %s", ids, connectionID)
			}
			for _, secret := range []string{stripe.DefaultKey, token, reconnect} {
				if strings.Contains(logs.String(), secret) {
					t.Fatal("a secret reached the logs")
				}
			}
		})
	}
}

// sessionBadCase is one bad request to the connect endpoints.
type sessionBadCase struct {
	name   string
	method string
	path   string
	// auth is sent as a Bearer token when non-empty.
	auth     string
	header   []string
	body     string
	status   int
	code     string
	wantPath string // dotted path of a field error, "" for none expected
	mentions string // the message must contain it
	browser  bool   // a CORS-open endpoint: errors must be readable cross-origin
}

func TestConnectSessionBadInput(t *testing.T) {
	t.Parallel()
	const secret = "sk_test_VERYSECRET0123456789"
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := startConnectServer(t, backend)
			s := srv.Server
			live := newSession(t, s, apptest.DevKey, `{"end_user":{"id":"u-1"}}`)
			stripeOnly := newSession(t, s, apptest.DevKey, `{"allowed_integrations":["stripe"]}`)
			reconnect := createSessionAt(t, s, apptest.DevKey, "/connect/sessions/reconnect", `{"connection_id":"known","integration_id":"stripe"}`)
			deleted := newSession(t, s, apptest.DevKey, `{}`)
			if res := do(t, s, "DELETE", "/connect/session", deleted, nil); res.status != 204 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			unknown := connect.TokenPrefix + strings.Repeat("ab", 32)
			huge := `{"end_user":{"id":"u","display_name":"` + strings.Repeat("x", 1<<20) + `"}}`
			hugeKey := `{"apiKey":"` + strings.Repeat("k", 1<<20) + `"}`
			q := "?connect_session_token="
			secretTokens := []string{apptest.DevKey, apptest.ProdKey, secret, live, stripeOnly, reconnect, deleted, unknown}

			tests := []sessionBadCase{
				// POST /connect/sessions: the body.
				{name: "malformed json", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":`, status: 400, code: "invalid_body"},
				{name: "empty body", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: ``, status: 400, code: "invalid_body"},
				{name: "array body", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `[]`, status: 400, code: "invalid_body"},
				{name: "null body", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `null`, status: 400, code: "invalid_body"},
				{name: "two objects", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{}{}`, status: 400, code: "invalid_body"},
				{name: "unknown member", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_usr":{"id":"u"}}`, status: 400, code: "invalid_body", wantPath: "end_usr"},
				{name: "public key member", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"public_key":"` + secret + `"}`, status: 400, code: "invalid_body", wantPath: "public_key"},
				{name: "end user not an object", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":"u-1"}`, status: 400, code: "invalid_body", wantPath: "end_user"},
				{name: "end user null", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":null,"organization":{"id":"o"}}`, status: 400, code: "invalid_body", wantPath: "end_user"},
				{name: "end user id number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":42}}`, status: 400, code: "invalid_body", wantPath: "end_user.id"},
				{name: "end user id missing", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"email":"a@b.co"}}`, status: 400, code: "invalid_body", wantPath: "end_user.id"},
				{name: "end user id empty", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":""}}`, status: 400, code: "invalid_body", wantPath: "end_user.id"},
				{name: "end user id blank", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"   "}}`, status: 400, code: "invalid_body", wantPath: "end_user.id"},
				{name: "end user id too long", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"` + strings.Repeat("u", 256) + `"}}`, status: 400, code: "invalid_body", wantPath: "end_user.id"},
				{name: "end user unknown member", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","phone":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "end_user.phone"},
				{name: "end user bad email", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","email":"not-an-email"}}`, status: 400, code: "invalid_body", wantPath: "end_user.email"},
				{name: "end user email with a name", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","email":"Jane <jane@example.com>"}}`, status: 400, code: "invalid_body", wantPath: "end_user.email"},
				{name: "end user email number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","email":7}}`, status: 400, code: "invalid_body", wantPath: "end_user.email"},
				{name: "end user display name array", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","display_name":["J"]}}`, status: 400, code: "invalid_body", wantPath: "end_user.display_name"},
				{name: "end user tags not an object", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","tags":["a"]}}`, status: 400, code: "invalid_body", wantPath: "end_user.tags"},
				{name: "end user tag value number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","tags":{"plan":1}}}`, status: 400, code: "invalid_body", wantPath: "end_user.tags.plan"},
				{name: "end user tag key invalid", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","tags":{"_plan":"pro"}}}`, status: 400, code: "invalid_body", wantPath: "end_user.tags._plan"},
				{name: "end user tag value empty", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u","tags":{"plan":""}}}`, status: 400, code: "invalid_body", wantPath: "end_user.tags.plan"},
				{name: "organization without end user", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"organization":{"id":"org-1"}}`, status: 400, code: "invalid_body", wantPath: "end_user"},
				{name: "organization not an object", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"organization":"org-1"}`, status: 400, code: "invalid_body", wantPath: "organization"},
				{name: "organization id number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"organization":{"id":1}}`, status: 400, code: "invalid_body", wantPath: "organization.id"},
				{name: "organization id missing", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"organization":{"display_name":"Acme"}}`, status: 400, code: "invalid_body", wantPath: "organization.id"},
				{name: "organization id empty", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"organization":{"id":""}}`, status: 400, code: "invalid_body", wantPath: "organization.id"},
				{name: "organization unknown member", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"organization":{"id":"o","plan":"x"}}`, status: 400, code: "invalid_body", wantPath: "organization.plan"},
				{name: "allowed integrations not an array", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"allowed_integrations":"stripe"}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations"},
				{name: "allowed integrations null", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"allowed_integrations":null}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations"},
				{name: "allowed integration number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"allowed_integrations":["stripe",2]}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations"},
				{name: "allowed integration empty", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"allowed_integrations":["stripe",""]}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations.1"},
				{name: "allowed integration unknown", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"allowed_integrations":["nope"]}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations.0", mentions: "nope"},
				{name: "allowed integration unknown second", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"allowed_integrations":["stripe","nope"]}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations.1", mentions: "nope"},
				{name: "config defaults not an object", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":["github"]}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults"},
				{name: "config defaults entry not an object", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":"repo"}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github"},
				{name: "config defaults entry null", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":null}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github"},
				{name: "config defaults unknown member", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":{"scopes":"repo"}}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github.scopes"},
				{name: "config defaults user scopes array", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":{"user_scopes":["repo"]}}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github.user_scopes"},
				{name: "config defaults connection config string", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":{"connection_config":"x"}}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github.connection_config"},
				{name: "config defaults authorization params array", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":{"authorization_params":["a"]}}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github.authorization_params"},
				{name: "config defaults authorization param number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"github":{"authorization_params":{"prompt":1}}}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.github.authorization_params.prompt"},
				{name: "config defaults unknown integration", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"integrations_config_defaults":{"nope":{}}}`, status: 400, code: "invalid_body", wantPath: "integrations_config_defaults.nope", mentions: "nope"},
				{name: "tags not an object", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"tags":"x"}`, status: 400, code: "invalid_body", wantPath: "tags"},
				{name: "tag value number", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"tags":{"a":1}}`, status: 400, code: "invalid_body", wantPath: "tags.a"},
				{name: "tag key invalid", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"tags":{"1a":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "tags.1a"},
				{name: "too many session tags", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"tags":{"b1":"v","b2":"v","b3":"v","b4":"v","b5":"v","b6":"v","b7":"v","b8":"v","b9":"v","b10":"v","b11":"v"}}`, status: 400, code: "invalid_body", wantPath: "tags"},
				{name: "tags differing in case only", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":"u"},"tags":{"Plan":"a","plan":"b"}}`, status: 400, code: "invalid_body", wantPath: "tags.plan"},
				{name: "several problems at once", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: `{"end_user":{"id":1},"allowed_integrations":{},"x":1}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations"},
				// POST /connect/sessions: the request around the body.
				{name: "unknown query parameter", method: "POST", path: "/connect/sessions?x=1", auth: apptest.DevKey, body: `{}`, status: 400, code: "invalid_query_params", wantPath: "x"},
				{name: "not json", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, header: []string{"Content-Type", "text/plain"}, body: `{}`, status: 415, code: "unsupported_media_type"},
				{name: "form", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, header: []string{"Content-Type", "application/x-www-form-urlencoded"}, body: `end_user=x`, status: 415, code: "unsupported_media_type"},
				{name: "too large", method: "POST", path: "/connect/sessions", auth: apptest.DevKey, body: huge, status: 413, code: "payload_too_large"},
				{name: "no secret key", method: "POST", path: "/connect/sessions", body: `{}`, status: 401, code: "missing_auth_header"},
				{name: "unknown secret key", method: "POST", path: "/connect/sessions", auth: "0d4c6f1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f", body: `{}`, status: 401, code: "unknown_account"},
				{name: "session token as secret key", method: "POST", path: "/connect/sessions", auth: live, body: `{}`, status: 401, code: "unknown_account"},
				{name: "wrong method", method: "GET", path: "/connect/sessions", auth: apptest.DevKey, status: 405, code: "method_not_allowed"},

				// POST /connect/sessions/reconnect.
				{name: "reconnect without connection", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"integration_id":"stripe"}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
				{name: "reconnect without integration", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known"}`, status: 400, code: "invalid_body", wantPath: "integration_id"},
				{name: "reconnect empty connection", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"","integration_id":"stripe"}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
				{name: "reconnect empty integration", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known","integration_id":""}`, status: 400, code: "invalid_body", wantPath: "integration_id"},
				{name: "reconnect both empty", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"","integration_id":""}`, status: 400, code: "invalid_body", wantPath: "integration_id"},
				{name: "reconnect connection number", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":7,"integration_id":"stripe"}`, status: 400, code: "invalid_body", wantPath: "connection_id"},
				{name: "reconnect unknown connection", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"ghost-conn","integration_id":"stripe"}`, status: 400, code: "unknown_connection", wantPath: "connection_id", mentions: "ghost-conn"},
				{name: "reconnect connection of another integration", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known","integration_id":"jira"}`, status: 400, code: "unknown_connection", wantPath: "connection_id"},
				{name: "reconnect unknown integration", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known","integration_id":"nope"}`, status: 400, code: "unknown_connection", wantPath: "connection_id"},
				{name: "reconnect allowed integrations", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known","integration_id":"stripe","allowed_integrations":["jira"]}`, status: 400, code: "invalid_body", wantPath: "allowed_integrations"},
				{name: "reconnect bad end user", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known","integration_id":"stripe","end_user":{"id":"u","email":"x"}}`, status: 400, code: "invalid_body", wantPath: "end_user.email"},
				{name: "reconnect organization without end user", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, body: `{"connection_id":"known","integration_id":"stripe","organization":{"id":"o"}}`, status: 400, code: "invalid_body", wantPath: "end_user"},
				{name: "reconnect not json", method: "POST", path: "/connect/sessions/reconnect", auth: apptest.DevKey, header: []string{"Content-Type", "text/plain"}, body: `{}`, status: 415, code: "unsupported_media_type"},
				{name: "reconnect with a session token", method: "POST", path: "/connect/sessions/reconnect", auth: reconnect, body: `{"connection_id":"known","integration_id":"stripe"}`, status: 401, code: "unknown_account"},

				// GET and DELETE /connect/session.
				{name: "get without token", method: "GET", path: "/connect/session", status: 401, code: "missing_connect_session_token", browser: true},
				{name: "get with public key", method: "GET", path: "/connect/session?public_key=" + secret, status: 401, code: "public_key_not_supported", browser: true},
				{name: "get unknown token", method: "GET", path: "/connect/session", auth: unknown, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get unknown query token", method: "GET", path: "/connect/session" + q + unknown, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get token without prefix", method: "GET", path: "/connect/session", auth: strings.Repeat("ab", 32), status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get truncated token", method: "GET", path: "/connect/session", auth: live[:len(live)-1], status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get upper-case token", method: "GET", path: "/connect/session", auth: strings.ToUpper(live), status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get secret key", method: "GET", path: "/connect/session", auth: apptest.DevKey, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get deleted token", method: "GET", path: "/connect/session", auth: deleted, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "get basic scheme", method: "GET", path: "/connect/session", header: []string{"Authorization", "Basic " + live}, status: 401, code: "missing_connect_session_token", browser: true},
				{name: "get empty query token", method: "GET", path: "/connect/session" + q, status: 401, code: "missing_connect_session_token", browser: true},
				{name: "delete without token", method: "DELETE", path: "/connect/session", status: 401, code: "missing_connect_session_token", browser: true},
				{name: "delete unknown token", method: "DELETE", path: "/connect/session", auth: unknown, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "delete secret key", method: "DELETE", path: "/connect/session", auth: apptest.DevKey, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "delete deleted token", method: "DELETE", path: "/connect/session" + q + deleted, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "delete with public key", method: "DELETE", path: "/connect/session?public_key=pk", status: 401, code: "public_key_not_supported", browser: true},

				// The credential endpoints.
				{name: "api key without token", method: "POST", path: "/api-auth/api-key/stripe", body: `{"apiKey":"` + secret + `"}`, status: 401, code: "missing_connect_session_token", browser: true},
				{name: "api key with public key", method: "POST", path: "/api-auth/api-key/stripe?public_key=" + secret, body: `{"apiKey":"` + secret + `"}`, status: 401, code: "public_key_not_supported", browser: true},
				{name: "api key unknown token", method: "POST", path: "/api-auth/api-key/stripe" + q + unknown, body: `{"apiKey":"` + secret + `"}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "api key malformed token", method: "POST", path: "/api-auth/api-key/stripe" + q + "nango_connect_session_xyz", body: `{"apiKey":"` + secret + `"}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "api key secret key", method: "POST", path: "/api-auth/api-key/stripe", auth: apptest.DevKey, body: `{"apiKey":"` + secret + `"}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "api key deleted token", method: "POST", path: "/api-auth/api-key/stripe", auth: deleted, body: `{"apiKey":"` + secret + `"}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "basic without token", method: "POST", path: "/api-auth/basic/jira", body: `{"username":"u","password":"` + secret + `"}`, status: 401, code: "missing_connect_session_token", browser: true},
				{name: "basic unknown token", method: "POST", path: "/api-auth/basic/jira", auth: unknown, body: `{"username":"u","password":"` + secret + `"}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "jwt without token", method: "POST", path: "/auth/jwt/ghost", body: `{"keyId":"k","secret":"` + secret + `"}`, status: 401, code: "missing_connect_session_token", browser: true},
				{name: "jwt with public key", method: "POST", path: "/auth/jwt/ghost?public_key=pk", body: `{}`, status: 401, code: "public_key_not_supported", browser: true},
				{name: "client credentials unknown token", method: "POST", path: "/oauth2/auth/zoom" + q + unknown, body: `{"client_id":"c","client_secret":"` + secret + `"}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "client credentials secret key", method: "POST", path: "/oauth2/auth/zoom", auth: apptest.ProdKey, body: `{}`, status: 401, code: "invalid_connect_session_token", browser: true},
				{name: "api key integration not allowed", method: "POST", path: "/api-auth/basic/jira" + q + stripeOnly, body: `{"username":"u","password":"` + secret + `"}`, status: 403, code: "integration_not_allowed", mentions: "jira", browser: true},
				{name: "jwt integration not allowed", method: "POST", path: "/auth/jwt/ghost", auth: stripeOnly, body: `{"keyId":"k","secret":"` + secret + `"}`, status: 403, code: "integration_not_allowed", mentions: "ghost", browser: true},
				{name: "client credentials not allowed", method: "POST", path: "/oauth2/auth/zoom", auth: stripeOnly, body: `{}`, status: 403, code: "integration_not_allowed", browser: true},
				{name: "reconnect session on another integration", method: "POST", path: "/oauth2/auth/zoom", auth: reconnect, body: `{}`, status: 403, code: "integration_not_allowed", browser: true},
				{name: "api key to a basic integration", method: "POST", path: "/api-auth/api-key/jira", auth: live, body: `{"apiKey":"` + secret + `"}`, status: 400, code: "invalid_auth_mode", browser: true},
				{name: "basic to an api key integration", method: "POST", path: "/api-auth/basic/stripe", auth: live, body: `{"username":"u","password":"` + secret + `"}`, status: 400, code: "invalid_auth_mode", browser: true},
				{name: "api key unknown integration", method: "POST", path: "/api-auth/api-key/nope", auth: live, body: `{"apiKey":"` + secret + `"}`, status: 404, code: "unknown_provider_config", mentions: "nope", browser: true},
				{name: "api key missing", method: "POST", path: "/api-auth/api-key/stripe", auth: live, body: `{}`, status: 400, code: "invalid_body", wantPath: "apiKey", browser: true},
				{name: "api key empty", method: "POST", path: "/api-auth/api-key/stripe", auth: live, body: `{"apiKey":"  "}`, status: 400, code: "invalid_body", wantPath: "apiKey", browser: true},
				{name: "api key number", method: "POST", path: "/api-auth/api-key/stripe", auth: live, body: `{"apiKey":12345}`, status: 400, code: "invalid_body", wantPath: "apiKey", browser: true},
				{name: "api key unknown member", method: "POST", path: "/api-auth/api-key/stripe", auth: live, body: `{"apiKey":"` + secret + `","api_key":"` + secret + `"}`, status: 400, code: "invalid_body", wantPath: "api_key", browser: true},
				{name: "api key malformed json", method: "POST", path: "/api-auth/api-key/stripe", auth: live, body: `{"apiKey":"` + secret, status: 400, code: "invalid_body", browser: true},
				{name: "api key not json", method: "POST", path: "/api-auth/api-key/stripe", auth: live, header: []string{"Content-Type", "text/plain"}, body: secret, status: 415, code: "unsupported_media_type", browser: true},
				{name: "api key too large", method: "POST", path: "/api-auth/api-key/stripe", auth: live, body: hugeKey, status: 413, code: "payload_too_large", browser: true},
				{name: "basic username number", method: "POST", path: "/api-auth/basic/jira", auth: live, body: `{"username":1,"password":"` + secret + `"}`, status: 400, code: "invalid_body", wantPath: "username", browser: true},
				{name: "basic without username", method: "POST", path: "/api-auth/basic/jira", auth: live, body: `{"password":"` + secret + `"}`, status: 400, code: "invalid_body", wantPath: "username", browser: true},
				{name: "client credentials without secret", method: "POST", path: "/oauth2/auth/zoom", auth: live, body: `{"client_id":"c"}`, status: 400, code: "invalid_body", wantPath: "client_secret", browser: true},
				{name: "client credentials secret number", method: "POST", path: "/oauth2/auth/zoom", auth: live, body: `{"client_id":"c","client_secret":5}`, status: 400, code: "invalid_body", wantPath: "client_secret", browser: true},
				{name: "jwt not an object", method: "POST", path: "/auth/jwt/ghost", auth: live, body: `["` + secret + `"]`, status: 400, code: "invalid_body", browser: true},
				{name: "jwt field number", method: "POST", path: "/auth/jwt/ghost", auth: live, body: `{"keyId":1,"secret":"` + secret + `"}`, status: 400, code: "invalid_body", wantPath: "keyId", browser: true},
				{name: "jwt without its connection config", method: "POST", path: "/auth/jwt/ghost", auth: live, body: `{"keyId":"k","secret":"` + secret + `"}`, status: 400, code: "missing_connection_config", wantPath: "params.adminDomain", browser: true},
				{name: "jwt missing field", method: "POST", path: "/auth/jwt/ghost?params[adminDomain]=blog.example.com", auth: live, body: `{"keyId":"k"}`, status: 400, code: "invalid_body", browser: true},
				{name: "jwt to an api key integration", method: "POST", path: "/auth/jwt/stripe", auth: live, body: `{"keyId":"k"}`, status: 400, code: "invalid_auth_mode", browser: true},
				{name: "credential endpoint wrong method", method: "GET", path: "/api-auth/api-key/stripe", auth: live, status: 405, code: "method_not_allowed"},
			}
			t.Run("requests", func(t *testing.T) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						t.Parallel()
						checkSessionBadRequest(t, s, tt, secretTokens)
					})
				}
			})

			// Browsers preflight the credential endpoints and the session
			// routes; any origin may call them.
			t.Run("preflight", func(t *testing.T) {
				for _, path := range []string{"/api-auth/api-key/stripe", "/api-auth/basic/jira", "/auth/jwt/ghost", "/oauth2/auth/zoom", "/connect/session"} {
					res := do(t, s, "OPTIONS", path, "", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
						"Access-Control-Request-Headers", "authorization, content-type")
					h := res.header
					if res.status != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
						!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
						t.Errorf("OPTIONS %s: %d %v", path, res.status, h)
					}
				}
				// The secret-key routes are not CORS-open.
				if res := do(t, s, "POST", "/connect/sessions", apptest.DevKey, []byte(`{}`)); res.header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("POST /connect/sessions is CORS-open: %v", res.header)
				}
			})

			t.Run("nothing changed", func(t *testing.T) {
				if ids := listIDs(t, s, ""); !slices.Equal(ids, []string{"known"}) {
					t.Fatalf("connections after bad requests = %v", ids)
				}
				res := do(t, s, "GET", "/connect/session", live, nil)
				if res.status != 200 || !sameJSON(t, dataOf(t, res)["end_user"], `{"id":"u-1","email":null,"display_name":null,"tags":null}`) {
					t.Fatalf("live session after bad requests: %d %s", res.status, res.body)
				}
				for _, secret := range []string{secret, live, stripeOnly, reconnect} {
					if strings.Contains(srv.logs.String(), secret) {
						t.Fatal("a secret reached the logs")
					}
				}
			})
		})
	}
}

// checkSessionBadRequest sends one bad request and checks the error
// answer: status, code, field path and message, CORS where the browser
// calls, and that it echoes none of secrets.
func checkSessionBadRequest(t *testing.T, s *apptest.Server, tt sessionBadCase, secrets []string) {
	t.Helper()
	var body []byte
	if tt.method == "POST" || tt.method == "PUT" {
		body = []byte(tt.body)
	}
	res := do(t, s, tt.method, tt.path, tt.auth, body, tt.header...)
	if res.status != tt.status {
		t.Fatalf("status = %d, want %d: %s", res.status, tt.status, res.body)
	}
	e := res.errorBody(t)
	if e.Error.Code != tt.code || e.Error.Message == "" || !strings.Contains(e.Error.Message, tt.mentions) {
		t.Fatalf("error = %+v, want code %q with a message mentioning %q", e.Error, tt.code, tt.mentions)
	}
	if tt.wantPath != "" {
		var paths []string
		for _, fe := range e.Error.Errors {
			parts := make([]string, len(fe.Path))
			for i, p := range fe.Path {
				parts[i] = fmt.Sprint(p)
			}
			paths = append(paths, strings.Join(parts, "."))
		}
		if !slices.Contains(paths, tt.wantPath) {
			t.Fatalf("error paths = %v, want %q in them (%s)", paths, tt.wantPath, res.body)
		}
	}
	if tt.browser && res.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("the error is not readable cross-origin: %v", res.header)
	}
	for _, secret := range secrets {
		if bytes.Contains(res.body, []byte(secret)) {
			t.Fatalf("error body echoes a secret or token: %s", res.body)
		}
	}
}

func TestConnectUISettings(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			s := apptest.Start(t, apptest.Options{Backend: backend})
			const defaults = `{"name":"","logo_url":"","primary_color":"","dark_mode":false}`
			get := func(key string) map[string]any {
				t.Helper()
				res := do(t, s, "GET", "/environment/connect-ui", key, nil)
				if res.status != 200 {
					t.Fatalf("GET: %d %s", res.status, res.body)
				}
				return dataOf(t, res)
			}
			if got := get(apptest.DevKey); !sameJSON(t, got, defaults) {
				t.Fatalf("defaults = %v", got)
			}

			const branded = `{"name":"Acme Connect","logo_url":"https://cdn.acme.example/logo.svg","primary_color":"#1A73e8","dark_mode":true}`
			res := do(t, s, "PUT", "/environment/connect-ui", apptest.DevKey, []byte(branded))
			if res.status != 200 || !sameJSON(t, dataOf(t, res), branded) {
				t.Fatalf("PUT: %d %s", res.status, res.body)
			}
			if got := get(apptest.DevKey); !sameJSON(t, got, branded) {
				t.Fatalf("after PUT = %v", got)
			}
			// Each environment has its own.
			if got := get(apptest.ProdKey); !sameJSON(t, got, defaults) {
				t.Fatalf("prod = %v", got)
			}
			const prodBranded = `{"name":"Prod","logo_url":"","primary_color":"#000000","dark_mode":false}`
			if res := do(t, s, "PUT", "/environment/connect-ui", apptest.ProdKey, []byte(`{"name":"Prod","primary_color":"#000000"}`)); res.status != 200 {
				t.Fatalf("prod PUT: %d %s", res.status, res.body)
			}
			if got := get(apptest.ProdKey); !sameJSON(t, got, prodBranded) {
				t.Fatalf("prod after PUT = %v", got)
			}
			if got := get(apptest.DevKey); !sameJSON(t, got, branded) {
				t.Fatalf("dev after the prod PUT = %v", got)
			}

			// A name of 100 characters fits, however many bytes they take;
			// a logo on Patchbay's own (http) origin is one the UI shows.
			wide := strings.Repeat("é", 100)
			fits := `{"name":"` + wide + `","logo_url":"` + apptest.ServerURL + `/images/template-logos/github.svg","primary_color":"#abc"}`
			if res := do(t, s, "PUT", "/environment/connect-ui", apptest.ProdKey, []byte(fits)); res.status != 200 {
				t.Fatalf("100 wide characters: %d %s", res.status, res.body)
			}
			// PUT replaces everything: what is left out is cleared.
			if res := do(t, s, "PUT", "/environment/connect-ui", apptest.ProdKey, []byte(`{}`)); res.status != 200 || !sameJSON(t, dataOf(t, res), defaults) {
				t.Fatalf("PUT {}: %d %s", res.status, res.body)
			}

			put := func(name, body string) sessionBadCase {
				return sessionBadCase{name: name, method: "PUT", path: "/environment/connect-ui", auth: apptest.DevKey, body: body, status: 400, code: "invalid_body"}
			}
			tests := []sessionBadCase{
				put("colour name", `{"primary_color":"blue"}`).at("primary_color"),
				put("colour of five digits", `{"primary_color":"#12345"}`).at("primary_color"),
				put("colour too long", `{"primary_color":"#1a73e8ff00"}`).at("primary_color"),
				put("colour without #", `{"primary_color":"1a73e8"}`).at("primary_color"),
				put("colour not hex", `{"primary_color":"#gggggg"}`).at("primary_color"),
				put("colour number", `{"primary_color":1193192}`).at("primary_color"),
				put("logo ftp", `{"logo_url":"ftp://acme.example/logo.png"}`).at("logo_url"),
				put("logo script", `{"logo_url":"javascript:alert(1)"}`).at("logo_url"),
				put("logo relative", `{"logo_url":"logo.png"}`).at("logo_url"),
				put("logo without host", `{"logo_url":"https://"}`).at("logo_url"),
				put("logo over http", `{"logo_url":"http://acme.example/logo.png"}`).at("logo_url"),
				put("logo with a space", `{"logo_url":"https://acme.example/a b.png"}`).at("logo_url"),
				put("logo object", `{"logo_url":{"href":"https://acme.example"}}`).at("logo_url"),
				put("name too long", `{"name":"`+strings.Repeat("n", 101)+`"}`).at("name"),
				put("wide name too long", `{"name":"`+strings.Repeat("é", 101)+`"}`).at("name"),
				put("name number", `{"name":7}`).at("name"),
				put("name null", `{"name":null}`).at("name"),
				put("dark mode string", `{"dark_mode":"yes"}`).at("dark_mode"),
				put("dark mode number", `{"dark_mode":1}`).at("dark_mode"),
				put("dark mode null", `{"dark_mode":null}`).at("dark_mode"),
				put("unknown member", `{"theme":"dark"}`).at("theme"),
				put("two problems", `{"primary_color":"red","logo_url":"nope"}`).at("logo_url"),
				put("malformed json", `{"name":`),
				put("array body", `[]`),
				put("empty body", ``),
				put("unknown query parameter", `{}`).with(400, "invalid_query_params", "?x=1").at("x"),
				put("not json", `{}`).with(415, "unsupported_media_type", "").withHeader("Content-Type", "text/plain"),
				put("too large", `{"name":"`+strings.Repeat("x", 1<<20)+`"}`).with(413, "payload_too_large", ""),
				put("no secret key", `{}`).with(401, "missing_auth_header", "").anonymous(),
				{name: "get unknown query parameter", method: "GET", path: "/environment/connect-ui?x=1", auth: apptest.DevKey, status: 400, code: "invalid_query_params", wantPath: "x"},
				{name: "get no secret key", method: "GET", path: "/environment/connect-ui", status: 401, code: "missing_auth_header"},
				{name: "wrong method", method: "POST", path: "/environment/connect-ui", auth: apptest.DevKey, body: `{}`, status: 405, code: "method_not_allowed"},
			}
			t.Run("bad input", func(t *testing.T) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						t.Parallel()
						checkSessionBadRequest(t, s, tt, []string{apptest.DevKey, apptest.ProdKey})
					})
				}
			})
			if got := get(apptest.DevKey); !sameJSON(t, got, branded) {
				t.Fatalf("after bad PUTs = %v", got)
			}
		})
	}
}

// at expects a field error at path.
func (c sessionBadCase) at(path string) sessionBadCase { c.wantPath = path; return c }

// with changes the expected status and code, and appends query to the
// path.
func (c sessionBadCase) with(status int, code, query string) sessionBadCase {
	c.status, c.code, c.path = status, code, c.path+query
	return c
}

func (c sessionBadCase) withHeader(kv ...string) sessionBadCase {
	c.header = append(slices.Clip(c.header), kv...)
	return c
}

func (c sessionBadCase) anonymous() sessionBadCase { c.auth = ""; return c }

func TestWebhookSettings(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			s := apptest.Start(t, apptest.Options{Backend: backend})
			get := func(key string) map[string]any {
				t.Helper()
				res := do(t, s, "GET", "/environment/webhooks", key, nil)
				if res.status != 200 {
					t.Fatalf("GET: %d %s", res.status, res.body)
				}
				data := dataOf(t, res)
				if k, _ := data["signing_key"].(string); len(k) < 32 {
					t.Fatalf("signing_key = %v", data["signing_key"])
				}
				return data
			}
			settingsOf := func(data map[string]any) map[string]any {
				return map[string]any{"webhook_url": data["webhook_url"], "secondary_webhook_url": data["secondary_webhook_url"], "send_auth_webhooks": data["send_auth_webhooks"]}
			}
			const defaults = `{"webhook_url":"","secondary_webhook_url":"","send_auth_webhooks":true}`
			dev := get(apptest.DevKey)
			if !sameJSON(t, settingsOf(dev), defaults) {
				t.Fatalf("defaults = %v", dev)
			}

			const set = `{"webhook_url":"https://hooks.acme.example/patchbay","secondary_webhook_url":"http://localhost:9000/hooks","send_auth_webhooks":false}`
			res := do(t, s, "PUT", "/environment/webhooks", apptest.DevKey, []byte(set))
			if res.status != 200 || !sameJSON(t, dataOf(t, res), set) {
				t.Fatalf("PUT: %d %s (the answer must not carry the signing key)", res.status, res.body)
			}
			again := get(apptest.DevKey)
			if !sameJSON(t, settingsOf(again), set) || again["signing_key"] != dev["signing_key"] {
				t.Fatalf("after PUT = %v", again)
			}
			// Each environment has its own settings and signing key.
			prod := get(apptest.ProdKey)
			if !sameJSON(t, settingsOf(prod), defaults) || prod["signing_key"] == dev["signing_key"] {
				t.Fatalf("prod = %v", prod)
			}
			// PUT replaces everything; send_auth_webhooks is back to its default.
			if res := do(t, s, "PUT", "/environment/webhooks", apptest.ProdKey, []byte(`{"webhook_url":"https://prod.example/h"}`)); res.status != 200 ||
				!sameJSON(t, dataOf(t, res), `{"webhook_url":"https://prod.example/h","secondary_webhook_url":"","send_auth_webhooks":true}`) {
				t.Fatalf("prod PUT: %d %s", res.status, res.body)
			}
			if got := get(apptest.DevKey); !sameJSON(t, settingsOf(got), set) {
				t.Fatalf("dev after the prod PUT = %v", got)
			}

			put := func(name, body string) sessionBadCase {
				return sessionBadCase{name: name, method: "PUT", path: "/environment/webhooks", auth: apptest.DevKey, body: body, status: 400, code: "invalid_body"}
			}
			tests := []sessionBadCase{
				put("url ftp", `{"webhook_url":"ftp://hooks.example/x"}`).at("webhook_url"),
				put("url without scheme", `{"webhook_url":"hooks.example/x"}`).at("webhook_url"),
				put("url without host", `{"webhook_url":"https://"}`).at("webhook_url"),
				put("url with a space", `{"webhook_url":"https://hooks.example/a b"}`).at("webhook_url"),
				put("url number", `{"webhook_url":42}`).at("webhook_url"),
				put("url null", `{"webhook_url":null}`).at("webhook_url"),
				put("secondary url mailto", `{"secondary_webhook_url":"mailto:ops@example.com"}`).at("secondary_webhook_url"),
				put("secondary url array", `{"secondary_webhook_url":["https://a.example"]}`).at("secondary_webhook_url"),
				put("two bad urls", `{"webhook_url":"x","secondary_webhook_url":"y"}`).at("secondary_webhook_url"),
				put("send auth string", `{"send_auth_webhooks":"true"}`).at("send_auth_webhooks"),
				put("send auth null", `{"send_auth_webhooks":null}`).at("send_auth_webhooks"),
				put("send auth number", `{"send_auth_webhooks":0}`).at("send_auth_webhooks"),
				put("signing key is read-only", `{"signing_key":"mine"}`).at("signing_key"),
				put("unknown member", `{"url":"https://hooks.example"}`).at("url"),
				put("malformed json", `{"webhook_url":`),
				put("string body", `"https://hooks.example"`),
				put("unknown query parameter", `{}`).with(400, "invalid_query_params", "?x=1").at("x"),
				put("not json", `{}`).with(415, "unsupported_media_type", "").withHeader("Content-Type", "text/plain"),
				put("too large", `{"webhook_url":"https://a.example/`+strings.Repeat("x", 1<<20)+`"}`).with(413, "payload_too_large", ""),
				put("no secret key", `{}`).with(401, "missing_auth_header", "").anonymous(),
				{name: "get unknown query parameter", method: "GET", path: "/environment/webhooks?x=1", auth: apptest.DevKey, status: 400, code: "invalid_query_params", wantPath: "x"},
				{name: "get unknown key", method: "GET", path: "/environment/webhooks", auth: "0d4c6f1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f", status: 401, code: "unknown_account"},
			}
			signing, _ := dev["signing_key"].(string)
			t.Run("bad input", func(t *testing.T) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						t.Parallel()
						checkSessionBadRequest(t, s, tt, []string{apptest.DevKey, apptest.ProdKey, signing})
					})
				}
			})
			if got := get(apptest.DevKey); !sameJSON(t, settingsOf(got), set) {
				t.Fatalf("after bad PUTs = %v", got)
			}
		})
	}
}
