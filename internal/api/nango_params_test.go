package api_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// nangoParamsServer is a server with what the parameter tests address: a
// GitHub integration with a connection, a GitHub App integration with an
// installation, and the echo action (sdk_node_test.go) deployed.
type nangoParamsServer struct {
	srv    *apptest.Server
	appKey string // the app's private key, PEM
}

func startNangoParamsServer(t *testing.T) *nangoParamsServer {
	t.Helper()
	s := &nangoParamsServer{srv: apptest.Start(t, apptest.Options{}), appKey: rsaPEM(t)}
	for _, c := range []struct{ path, body string }{
		{"/integrations", `{"unique_key":"github","provider":"github","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s"}}`},
		{"/integrations", `{"unique_key":"zoom","provider":"zoom-cc"}`},
		{"/connections", `{"provider_config_key":"github","connection_id":"c1","credentials":{"type":"OAUTH2","access_token":"gho_token"}}`},
		{"/integrations", mustJSON(t, map[string]any{"unique_key": "gh-app", "provider": "github-app",
			"credentials": map[string]any{"type": "APP", "app_id": "4242", "app_link": "https://github.com/apps/patchbay-test", "private_key": s.appKey}})},
		{"/connections", `{"provider_config_key":"gh-app","connection_id":"app1","credentials":{"type":"APP","access_token":"ghs_token","installation_id":"7","expires_at":"` +
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}}`},
		{"/functions/deploy", mustJSON(t, map[string]any{"files": map[string]string{"github/actions/echo.ts": sdkEcho}})},
	} {
		if res := do(t, s.srv, "POST", c.path, apptest.DevKey, []byte(c.body)); res.status >= 300 {
			t.Fatalf("POST %s: %d %s", c.path, res.status, res.body)
		}
	}
	return s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNangoParams: every route shared with Nango takes the query
// parameters and body members Nango's API and SDK send. Those Patchbay has
// no feature for are accepted and named in X-Patchbay-Ignored; those of
// the wrong kind, and any Nango does not know, are refused naming them.
func TestNangoParams(t *testing.T) {
	t.Parallel()
	s := startNangoParamsServer(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		ignored                  string // X-Patchbay-Ignored; "" for none
		absent                   string // not in the answer
		code, wantPath           string // for errors
	}{
		// GET /connections/{id}: what getConnection, getToken and
		// getMetadata send, all honoured.
		{name: "get connection as the SDK sends it", method: "GET", status: 200,
			path: "/connections/c1?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"},
		{name: "app jwt on an oauth connection", method: "GET", path: "/connections/c1?provider_config_key=github&refresh_github_app_jwt_token=true", status: 200},
		{name: "booleans as zod's stringbool reads them", method: "GET", path: "/connections/c1?provider_config_key=github&force_refresh=0&refresh_token=no&refresh_github_app_jwt_token=1", status: 200},
		{name: "app jwt not a boolean", method: "GET", path: "/connections/c1?provider_config_key=github&refresh_github_app_jwt_token=maybe",
			status: 400, code: "invalid_query_params", wantPath: "refresh_github_app_jwt_token"},
		{name: "unknown connection parameter", method: "GET", path: "/connections/c1?provider_config_key=github&include=all",
			status: 400, code: "invalid_query_params", wantPath: "include"},

		// POST /connections: Nango's per-connection OAuth client.
		{name: "import with a config override", method: "POST", path: "/connections",
			body:   `{"provider_config_key":"github","connection_id":"c2","credentials":{"type":"OAUTH2","access_token":"gho_2","config_override":{"client_id":"own","client_secret":"own-secret"}}}`,
			status: 201, ignored: "credentials.config_override", absent: "own-secret"},
		{name: "import with a client certificate", method: "POST", path: "/connections",
			body:   `{"provider_config_key":"zoom","connection_id":"cc1","credentials":{"type":"OAUTH2_CC","token":"t","client_id":"i","client_secret":"s","client_certificate":"CERT","client_private_key":"PRIVATE"}}`,
			status: 201, ignored: "credentials.client_certificate, credentials.client_private_key", absent: "PRIVATE"},
		{name: "config override not an object", method: "POST", path: "/connections",
			body:   `{"provider_config_key":"github","connection_id":"c3","credentials":{"type":"OAUTH2","access_token":"gho_3","config_override":"x"}}`,
			status: 400, code: "invalid_body", wantPath: "credentials.config_override"},

		// GET /connections.
		{name: "list by end user organization", method: "GET", path: "/connections?endUserOrganizationId=org-1&endUserId=u", status: 200},
		{name: "list by several integrations", method: "GET", path: "/connections?integrationId=github,gh-app", status: 200},
		{name: "list unknown parameter", method: "GET", path: "/connections?provider=x", status: 400, code: "invalid_query_params", wantPath: "provider"},

		// PATCH /connections/{id}.
		{name: "patch with a webhook override", method: "PATCH", path: "/connections/c1?provider_config_key=github",
			body: `{"tags":{"plan":"pro"},"webhook_url_override":"https://example.com/hook"}`, status: 200, ignored: "webhook_url_override"},
		{name: "patch webhook override not a string", method: "PATCH", path: "/connections/c1?provider_config_key=github",
			body: `{"webhook_url_override":1}`, status: 400, code: "invalid_body", wantPath: "webhook_url_override"},

		// Integrations.
		{name: "create forwarding webhooks", method: "POST", path: "/integrations",
			body: `{"unique_key":"fw","provider":"github","forward_webhooks":true,"integration_config":{"region":"eu"}}`, status: 200, ignored: "forward_webhooks, integration_config"},
		{name: "update forwarding webhooks", method: "PATCH", path: "/integrations/github", body: `{"forward_webhooks":false}`, status: 200, ignored: "forward_webhooks"},
		{name: "null scopes and webhook secret", method: "POST", path: "/integrations",
			body: `{"unique_key":"nulls","provider":"github","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s","scopes":null,"webhook_secret":null}}`, status: 200},
		{name: "scopes not a string", method: "POST", path: "/integrations",
			body:   `{"unique_key":"nulls2","provider":"github","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s","scopes":["repo"]}}`,
			status: 400, code: "invalid_body", wantPath: "credentials.scopes"},
		{name: "forward webhooks not a boolean", method: "POST", path: "/integrations",
			body: `{"unique_key":"fw2","provider":"github","forward_webhooks":"yes"}`, status: 400, code: "invalid_body", wantPath: "forward_webhooks"},
		{name: "integration config not an object", method: "PATCH", path: "/integrations/github",
			body: `{"integration_config":"x"}`, status: 400, code: "invalid_body", wantPath: "integration_config"},

		// Connect sessions.
		{name: "session with overrides", method: "POST", path: "/connect/sessions",
			body:   `{"end_user":{"id":"u1"},"overrides":{"github":{"docs_connect":"https://example.com"}},"webhook_url_override":"https://example.com/hook"}`,
			status: 201, ignored: "overrides, webhook_url_override"},
		{name: "reconnect with overrides", method: "POST", path: "/connect/sessions/reconnect",
			body: `{"connection_id":"c1","integration_id":"github","end_user":{"id":"u1"},"overrides":{}}`, status: 201, ignored: "overrides"},
		{name: "session overrides not an object", method: "POST", path: "/connect/sessions",
			body: `{"overrides":[]}`, status: 400, code: "invalid_body", wantPath: "overrides"},

		// Providers: listProviders sends connect_session_token as the
		// frontend does.
		{name: "providers with a session token", method: "GET", path: "/providers?search=github&connect_session_token=t", status: 200, ignored: "connect_session_token"},

		// Scripts config.
		{name: "scripts config in nango format", method: "GET", path: "/scripts/config?format=nango", status: 200},
		{name: "scripts config in openai format", method: "GET", path: "/scripts/config?format=openai", status: 200},
		{name: "scripts config in another format", method: "GET", path: "/scripts/config?format=yaml", status: 400, code: "invalid_query_params", wantPath: "format"},
		{name: "scripts config in two formats", method: "GET", path: "/scripts/config?format=nango,openai", status: 400, code: "invalid_query_params", wantPath: "format"},

		// Records where the SDK asks for them, with a trailing slash:
		// routed (the model is unknown, not the path).
		{name: "records with a trailing slash", method: "GET", path: "/records/?model=Nothing", status: 400, code: "unknown_model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			res := do(t, s.srv, tt.method, tt.path, apptest.DevKey, body, "Provider-Config-Key", "github", "Connection-Id", "c1")
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if got := res.header.Get("X-Patchbay-Ignored"); tt.status < 300 && got != tt.ignored {
				t.Errorf("X-Patchbay-Ignored = %q, want %q", got, tt.ignored)
			}
			if tt.absent != "" && strings.Contains(string(res.body), tt.absent) {
				t.Errorf("%q in the answer: %s", tt.absent, res.body)
			}
			if tt.code == "" {
				return
			}
			e := res.errorBody(t)
			if e.Error.Code != tt.code {
				t.Errorf("code %q, want %q", e.Error.Code, tt.code)
			}
			if tt.wantPath == "" {
				return
			}
			var paths []string
			for _, fe := range e.Error.Errors {
				if len(fe.Path) > 0 {
					paths = append(paths, pathOf(fe.Path))
				}
			}
			if !slices.Contains(paths, tt.wantPath) {
				t.Errorf("error paths %q, want %q: %s", paths, tt.wantPath, res.body)
			}
		})
	}
}

func pathOf(p []any) string {
	parts := make([]string, len(p))
	for i, v := range p {
		b, _ := json.Marshal(v)
		parts[i] = strings.Trim(string(b), `"`)
	}
	return strings.Join(parts, ".")
}

// TestGitHubAppJWT: refresh_github_app_jwt_token=true adds jwtToken, the
// app's own JWT signed with the integration's key (issuer: the app id, a
// few minutes of life), to an installation's credentials, and nothing to
// other connections'.
func TestGitHubAppJWT(t *testing.T) {
	t.Parallel()
	s := startNangoParamsServer(t)
	credentials := func(path string) map[string]any {
		t.Helper()
		res := do(t, s.srv, "GET", path, apptest.DevKey, nil)
		var c struct {
			Credentials map[string]any `json:"credentials"`
		}
		if res.status != http.StatusOK || json.Unmarshal(res.body, &c) != nil {
			t.Fatalf("GET %s: %d %s", path, res.status, res.body)
		}
		return c.Credentials
	}
	app := credentials("/connections/app1?provider_config_key=gh-app&refresh_github_app_jwt_token=true")
	if app["access_token"] != "ghs_token" {
		t.Errorf("the installation token changed: %v", app)
	}
	token, _ := app["jwtToken"].(string)
	block, _ := pem.Decode([]byte(s.appKey))
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.RegisteredClaims
	if _, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("4242"), jwt.WithExpirationRequired()); err != nil {
		t.Fatalf("jwtToken %q: %v", token, err)
	}
	if life := time.Until(claims.ExpiresAt.Time); life <= 0 || life > 10*time.Minute {
		t.Errorf("the JWT expires in %v; GitHub takes at most 10 minutes", life)
	}
	for _, path := range []string{"/connections/app1?provider_config_key=gh-app", "/connections/c1?provider_config_key=github&refresh_github_app_jwt_token=true"} {
		if c := credentials(path); c["jwtToken"] != nil {
			t.Errorf("GET %s: jwtToken in %v", path, c)
		}
	}
}

// TestScriptsConfigOpenAI: format=openai lists each action as an OpenAI
// function whose parameters are its input's JSON Schema, described by the
// "- name: text" lines of the action's description, as Nango does.
func TestScriptsConfigOpenAI(t *testing.T) {
	t.Parallel()
	s := startNangoParamsServer(t)
	res := do(t, s.srv, "GET", "/scripts/config?format=openai", apptest.DevKey, nil)
	if res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.body)
	}
	var out struct {
		Data []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Parameters  struct {
				Type       string                    `json:"type"`
				Properties map[string]map[string]any `json:"properties"`
				Required   []string                  `json:"required"`
			} `json:"parameters"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || len(out.Data) != 1 {
		t.Fatalf("%v: %s", err, res.body)
	}
	f := out.Data[0]
	if f.Name != "echo" || f.Description != "Echoes its input.\n- text: The text to echo" || f.Parameters.Type != "object" ||
		!slices.Equal(f.Parameters.Required, []string{"text"}) ||
		f.Parameters.Properties["text"]["type"] != "string" || f.Parameters.Properties["text"]["description"] != "The text to echo" {
		t.Errorf("function = %+v", f)
	}
	// The default stays Nango's own shape.
	res = do(t, s.srv, "GET", "/scripts/config", apptest.DevKey, nil)
	var configs []map[string]any
	if err := json.Unmarshal(res.body, &configs); err != nil || len(configs) != 1 || configs[0]["providerConfigKey"] != "github" {
		t.Errorf("nango format: %v %s", err, res.body)
	}
}
