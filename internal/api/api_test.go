package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/app/apptest"
)

// errorBody is Nango's error shape.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Path    []any  `json:"path"`
		} `json:"errors"`
	} `json:"error"`
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorBody(t *testing.T) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("status %d, body %q is not a Nango error (%v)", r.status, r.body, err)
	}
	return e
}

// do sends a raw request, so tests control every byte and header.
func do(t *testing.T, srv *apptest.Server, method, path, key string, body []byte, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func rsaPEM(t testing.TB) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func ecPEM(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestHealth(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Options{})
	res := do(t, srv, "GET", "/health", "", nil)
	if res.status != 200 || strings.TrimSpace(string(res.body)) != `{"result":"ok"}` {
		t.Fatalf("GET /health = %d %s", res.status, res.body)
	}
	if err := client.New(srv.URL, "").Health(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Options{})
	tests := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{"missing", "", 401, "missing_auth_header"},
		{"unknown key", "Bearer 0d4c6f1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f", 401, "unknown_account"},
		{"not a uuid", "Bearer hello", 401, "unknown_account"},
		{"wrong scheme", "Basic " + apptest.DevKey, 401, "malformed_auth_header"},
		{"empty bearer", "Bearer ", 401, "malformed_auth_header"},
		{"dev key", "Bearer " + apptest.DevKey, 200, ""},
		{"prod key, lowercase scheme", "bearer " + apptest.ProdKey, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := do(t, srv, "GET", "/integrations", "", nil, "Authorization", tt.header)
			if res.status != tt.status {
				t.Fatalf("status = %d, want %d (%s)", res.status, tt.status, res.body)
			}
			if tt.code != "" {
				if e := res.errorBody(t); e.Error.Code != tt.code {
					t.Fatalf("code = %q, want %q", e.Error.Code, tt.code)
				}
			}
		})
	}
}

func TestProviders(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Options{})
	c := srv.Client()

	all, err := c.ListProviders(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 60 {
		t.Fatalf("GET /providers returned %d providers, want at least 60", len(all))
	}
	names := map[string]client.Provider{}
	for _, p := range all {
		names[p.Name] = p
	}
	for _, want := range []string{"github", "github-app", "github-app-oauth", "hubspot", "google-sheet", "slack", "salesforce"} {
		if _, ok := names[want]; !ok {
			t.Errorf("GET /providers lacks %s", want)
		}
	}
	gh := names["github"]
	if gh.AuthMode != "OAUTH2" || gh.LogoURL != apptest.ServerURL+"/images/template-logos/github.svg" || gh.DisplayName == "" {
		t.Errorf("github = %+v", gh)
	}

	found, err := c.ListProviders(t.Context(), "HubS")
	if err != nil || len(found) != 1 || found[0].Name != "hubspot" {
		t.Fatalf("search HubS = %v, %v", found, err)
	}

	hubspot, err := c.GetProvider(t.Context(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	if hubspot.AuthMode != "OAUTH2" || hubspot.Proxy == nil || hubspot.Proxy.BaseURL != "https://api.hubapi.com" ||
		!strings.HasPrefix(hubspot.AuthorizationURL, "https://") {
		t.Fatalf("hubspot = %+v", hubspot)
	}

	if _, err := c.GetProvider(t.Context(), "no-such-provider"); !client.IsNotFound(err) {
		t.Fatalf("unknown provider: %v, want 404", err)
	}
	res := do(t, srv, "GET", "/providers?q=x", apptest.DevKey, nil)
	if e := res.errorBody(t); res.status != 400 || e.Error.Code != "invalid_query_params" {
		t.Fatalf("unknown query param: %d %s", res.status, res.body)
	}

	logo := do(t, srv, "GET", "/images/template-logos/github.svg", "", nil)
	if logo.status != 200 || logo.header.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(logo.body, []byte("<svg")) {
		t.Fatalf("logo: %d %s", logo.status, logo.header.Get("Content-Type"))
	}
	// GitHub's own mark, not initials; a provider simple-icons lacks
	// still gets a monogram.
	if !bytes.Contains(logo.body, []byte("<title>GitHub</title>")) || bytes.Contains(logo.body, []byte("<text")) {
		t.Errorf("GitHub's logo is not GitHub's mark: %s", logo.body)
	}
	if mono := do(t, srv, "GET", "/images/template-logos/unauthenticated.svg", "", nil); mono.status != 200 || !bytes.Contains(mono.body, []byte("<text")) {
		t.Errorf("logo without a mark: %d %s, want a monogram", mono.status, mono.body)
	}
	if res := do(t, srv, "GET", "/images/template-logos/nope.svg", "", nil); res.status != 404 {
		t.Fatalf("unknown logo: %d", res.status)
	}
}

func TestIntegrationsCRUD(t *testing.T) {
	t.Parallel()
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			srv := apptest.Start(t, apptest.Options{Backend: backend})
			c := srv.Client()
			ctx := t.Context()

			created, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{
				UniqueKey: "github-dev", Provider: "github",
				Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "Iv1.abc", ClientSecret: "gh-secret", Scopes: "repo,user", WebhookSecret: "wh-secret"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if created.UniqueKey != "github-dev" || created.Provider != "github" || created.DisplayName != "GitHub (User OAuth)" ||
				created.Logo != apptest.ServerURL+"/images/template-logos/github.svg" || created.CreatedAt.IsZero() || created.Credentials != nil {
				t.Fatalf("created = %+v", created)
			}

			got, err := c.GetIntegration(ctx, "github-dev", "credentials", "webhook")
			if err != nil {
				t.Fatal(err)
			}
			wantCreds := client.IntegrationCredentials{Type: "OAUTH2", ClientID: "Iv1.abc", ClientSecret: "gh-secret", Scopes: "repo,user", WebhookSecret: "wh-secret"}
			if got.Credentials == nil || *got.Credentials != wantCreds {
				t.Fatalf("credentials = %+v, want %+v", got.Credentials, wantCreds)
			}
			if !strings.HasPrefix(got.WebhookURL, apptest.ServerURL+"/webhook/") || !strings.HasSuffix(got.WebhookURL, "/github-dev") {
				t.Fatalf("webhook_url = %q", got.WebhookURL)
			}
			plain, err := c.GetIntegration(ctx, "github-dev")
			if err != nil || plain.Credentials != nil || plain.WebhookURL != "" {
				t.Fatalf("without include: %+v, %v", plain, err)
			}
			// ?include=credentials,webhook (comma form) means the same.
			res := do(t, srv, "GET", "/integrations/github-dev?include=credentials,webhook", apptest.DevKey, nil)
			if res.status != 200 || !bytes.Contains(res.body, []byte(`"client_secret":"gh-secret"`)) || !bytes.Contains(res.body, []byte(`"webhook_url"`)) {
				t.Fatalf("comma include: %d %s", res.status, res.body)
			}

			// An integration without credentials (API key provider) reports them as null.
			if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{UniqueKey: "stripe", Provider: "stripe-api-key", DisplayName: "Payments"}); err != nil {
				t.Fatal(err)
			}
			res = do(t, srv, "GET", "/integrations/stripe?include=credentials", apptest.DevKey, nil)
			if res.status != 200 || !bytes.Contains(res.body, []byte(`"credentials":null`)) || !bytes.Contains(res.body, []byte(`"display_name":"Payments"`)) {
				t.Fatalf("stripe: %d %s", res.status, res.body)
			}

			appKey := rsaPEM(t)
			if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{
				UniqueKey: "gh-app", Provider: "github-app",
				Credentials: &client.IntegrationCredentials{Type: "APP", AppID: "12345", AppLink: "https://github.com/apps/patchbay-test", PrivateKey: appKey},
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateIntegration(ctx, client.CreateIntegrationRequest{
				UniqueKey: "gh-app-oauth", Provider: "github-app-oauth",
				Credentials: &client.IntegrationCredentials{Type: "CUSTOM", ClientID: "Iv1.x", ClientSecret: "s", AppID: "1", AppLink: "https://github.com/apps/x", PrivateKey: appKey},
			}); err != nil {
				t.Fatal(err)
			}
			if got, err := c.GetIntegration(ctx, "gh-app", "credentials"); err != nil || got.Credentials.PrivateKey != appKey {
				t.Fatalf("APP credentials did not round-trip: %v", err)
			}

			list, err := c.ListIntegrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, in := range list {
				keys = append(keys, in.UniqueKey)
				if in.Credentials != nil {
					t.Errorf("list leaks credentials of %s", in.UniqueKey)
				}
			}
			if !slices.Equal(keys, []string{"gh-app", "gh-app-oauth", "github-dev", "stripe"}) {
				t.Fatalf("list = %v", keys)
			}
			// Environments are isolated.
			if prod, err := client.New(srv.URL, apptest.ProdKey).ListIntegrations(ctx); err != nil || len(prod) != 0 {
				t.Fatalf("prod sees %v, %v", prod, err)
			}

			newKey, newName := "github-main", "GitHub (main)"
			updated, err := c.UpdateIntegration(ctx, "github-dev", client.UpdateIntegrationRequest{
				UniqueKey: &newKey, DisplayName: &newName,
				Credentials: &client.IntegrationCredentials{Type: "OAUTH2", ClientID: "Iv1.new", ClientSecret: "rotated"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if updated.UniqueKey != newKey || updated.DisplayName != newName || !updated.UpdatedAt.After(updated.CreatedAt) && !updated.UpdatedAt.Equal(updated.CreatedAt) {
				t.Fatalf("updated = %+v", updated)
			}
			if got, err := c.GetIntegration(ctx, newKey, "credentials"); err != nil || got.Credentials.ClientSecret != "rotated" || got.Credentials.WebhookSecret != "" {
				t.Fatalf("after update: %+v, %v", got, err)
			}
			if _, err := c.GetIntegration(ctx, "github-dev"); !client.IsNotFound(err) {
				t.Fatalf("old key after rename: %v", err)
			}

			if err := c.DeleteIntegration(ctx, newKey); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetIntegration(ctx, newKey); !client.IsNotFound(err) {
				t.Fatalf("after delete: %v", err)
			}
		})
	}
}

func TestIntegrationBadInput(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Options{})
	const secret = "super-secret-value-123"
	seed := `{"unique_key":"taken","provider":"github","credentials":{"type":"OAUTH2","client_id":"id","client_secret":"` + secret + `"}}`
	if res := do(t, srv, "POST", "/integrations", apptest.DevKey, []byte(seed)); res.status != 200 {
		t.Fatalf("seed: %d %s", res.status, res.body)
	}
	if res := do(t, srv, "POST", "/integrations", apptest.DevKey, []byte(`{"unique_key":"other","provider":"github"}`)); res.status != 200 {
		t.Fatalf("seed: %d %s", res.status, res.body)
	}
	ec := ecPEM(t)
	ecJSON, _ := json.Marshal(ec)

	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		header   []string
		status   int
		code     string
		wantPath string // dotted path of the first field error, "" for none expected
	}{
		{name: "malformed json", method: "POST", path: "/integrations", body: `{"unique_key":`, status: 400, code: "invalid_body"},
		{name: "empty body", method: "POST", path: "/integrations", body: ``, status: 400, code: "invalid_body"},
		{name: "array body", method: "POST", path: "/integrations", body: `[]`, status: 400, code: "invalid_body"},
		{name: "trailing data", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github"} {}`, status: 400, code: "invalid_body"},
		{name: "wrong type", method: "POST", path: "/integrations", body: `{"unique_key":5,"provider":"github"}`, status: 400, code: "invalid_body", wantPath: "unique_key"},
		{name: "null field", method: "POST", path: "/integrations", body: `{"unique_key":null,"provider":"github"}`, status: 400, code: "invalid_body", wantPath: "unique_key"},
		{name: "nested wrong type", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":{"type":"OAUTH2","client_id":5,"client_secret":"x"}}`, status: 400, code: "invalid_body", wantPath: "credentials.client_id"},
		{name: "credentials not an object", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":"x"}`, status: 400, code: "invalid_body", wantPath: "credentials"},
		{name: "unknown field", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","colour":"red"}`, status: 400, code: "invalid_body", wantPath: "colour"},
		{name: "unknown nested field", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s","clientSecret":"s"}}`, status: 400, code: "invalid_body", wantPath: "credentials.clientSecret"},
		{name: "missing unique_key", method: "POST", path: "/integrations", body: `{"provider":"github"}`, status: 400, code: "invalid_body", wantPath: "unique_key"},
		{name: "missing provider", method: "POST", path: "/integrations", body: `{"unique_key":"a"}`, status: 400, code: "invalid_body", wantPath: "provider"},
		{name: "bad unique_key", method: "POST", path: "/integrations", body: `{"unique_key":"has space/slash","provider":"github"}`, status: 400, code: "invalid_body", wantPath: "unique_key"},
		{name: "long unique_key", method: "POST", path: "/integrations", body: `{"unique_key":"` + strings.Repeat("a", 256) + `","provider":"github"}`, status: 400, code: "invalid_body", wantPath: "unique_key"},
		{name: "unknown provider", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"nope"}`, status: 400, code: "invalid_body", wantPath: "provider"},
		{name: "missing credentials type", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":{"client_id":"i","client_secret":"s"}}`, status: 400, code: "invalid_body", wantPath: "credentials.type"},
		{name: "credentials type mismatch", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":{"type":"APP","app_id":"1","app_link":"https://x","private_key":"k"}}`, status: 400, code: "invalid_body", wantPath: "credentials.type"},
		{name: "credentials for api key provider", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"stripe-api-key","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s"}}`, status: 400, code: "invalid_body", wantPath: "credentials"},
		{name: "missing client secret", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":{"type":"OAUTH2","client_id":"i"}}`, status: 400, code: "invalid_body", wantPath: "credentials.client_secret"},
		{name: "field foreign to type", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s","private_key":"k"}}`, status: 400, code: "invalid_body", wantPath: "credentials.private_key"},
		{name: "private key not pem", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github-app","credentials":{"type":"APP","app_id":"1","app_link":"https://github.com/apps/x","private_key":"` + secret + `"}}`, status: 400, code: "invalid_body", wantPath: "credentials.private_key"},
		{name: "private key not rsa", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github-app","credentials":{"type":"APP","app_id":"1","app_link":"https://github.com/apps/x","private_key":` + string(ecJSON) + `}}`, status: 400, code: "invalid_body", wantPath: "credentials.private_key"},
		{name: "app link not a url", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github-app","credentials":{"type":"APP","app_id":"1","app_link":"github","private_key":` + string(ecJSON) + `}}`, status: 400, code: "invalid_body", wantPath: "credentials.app_link"},
		{name: "duplicate", method: "POST", path: "/integrations", body: `{"unique_key":"taken","provider":"gitlab"}`, status: 409, code: "conflict", wantPath: "unique_key"},
		{name: "too large", method: "POST", path: "/integrations", body: `{"unique_key":"a","provider":"github","display_name":"` + strings.Repeat("x", 1<<20) + `"}`, status: 413, code: "payload_too_large"},
		{name: "wrong content type", method: "POST", path: "/integrations", body: `unique_key=a`, header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415, code: "unsupported_media_type"},
		{name: "unknown query param on create", method: "POST", path: "/integrations?force=1", body: `{"unique_key":"a","provider":"github"}`, status: 400, code: "invalid_query_params", wantPath: "force"},
		{name: "unknown query param on list", method: "GET", path: "/integrations?limit=5", status: 400, code: "invalid_query_params", wantPath: "limit"},
		{name: "bad include", method: "GET", path: "/integrations/taken?include=secrets", status: 400, code: "invalid_query_params", wantPath: "include"},
		{name: "get unknown", method: "GET", path: "/integrations/missing", status: 404, code: "not_found"},
		{name: "patch unknown", method: "PATCH", path: "/integrations/missing", body: `{"display_name":"x"}`, status: 404, code: "not_found"},
		{name: "patch rename onto taken", method: "PATCH", path: "/integrations/other", body: `{"unique_key":"taken"}`, status: 409, code: "conflict", wantPath: "unique_key"},
		{name: "patch wrong type", method: "PATCH", path: "/integrations/taken", body: `{"display_name":["x"]}`, status: 400, code: "invalid_body", wantPath: "display_name"},
		{name: "patch provider not allowed", method: "PATCH", path: "/integrations/taken", body: `{"provider":"gitlab"}`, status: 400, code: "invalid_body", wantPath: "provider"},
		{name: "patch bad credentials", method: "PATCH", path: "/integrations/taken", body: `{"credentials":{"type":"OAUTH2","client_id":"i"}}`, status: 400, code: "invalid_body", wantPath: "credentials.client_secret"},
		{name: "delete unknown", method: "DELETE", path: "/integrations/missing", status: 404, code: "not_found"},
		{name: "unknown route", method: "GET", path: "/nothing-here", status: 404, code: "not_found"},
		{name: "wrong method", method: "PUT", path: "/integrations/taken", body: `{}`, status: 405, code: "method_not_allowed"},
		{name: "wrong method on a collection", method: "DELETE", path: "/integrations", status: 405, code: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body []byte
			if tt.method != "GET" && tt.method != "DELETE" {
				body = []byte(tt.body)
			}
			res := do(t, srv, tt.method, tt.path, apptest.DevKey, body, tt.header...)
			if res.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", res.status, tt.status, res.body)
			}
			e := res.errorBody(t)
			if e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("error = %+v, want code %q with a message", e.Error, tt.code)
			}
			if tt.wantPath != "" {
				var paths []string
				for _, fe := range e.Error.Errors {
					paths = append(paths, strings.Trim(strings.ReplaceAll(fmt.Sprint(fe.Path), " ", "."), "[]"))
				}
				if !slices.Contains(paths, tt.wantPath) {
					t.Fatalf("error paths = %v, want %q in them (%s)", paths, tt.wantPath, res.body)
				}
			}
			if bytes.Contains(res.body, []byte(secret)) || bytes.Contains(res.body, []byte(ec[40:80])) {
				t.Fatalf("error body echoes a secret: %s", res.body)
			}
		})
	}

	// Nothing above changed the stored integration.
	got, err := srv.Client().GetIntegration(t.Context(), "taken", "credentials")
	if err != nil || got.Provider != "github" || got.Credentials.ClientSecret != secret || got.DisplayName != "GitHub (User OAuth)" {
		t.Fatalf("after bad requests: %+v, %v", got, err)
	}
}
