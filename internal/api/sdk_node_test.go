package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// nodeSDKCases are the cases testdata/nango_node_sdk.mjs runs, one per
// method of @nangohq/node that DESIGN.md's compatibility table covers (and
// a few forms of them); listed here so a case the script skips or loses
// fails the test.
var nodeSDKCases = []string{
	"listProviders", "getProvider",
	"listIntegrations", "getIntegration", "createIntegration", "updateIntegration", "deleteIntegration",
	"listConnections", "listConnections(params)", "listConnections(legacy queries)",
	"getConnection", "getConnection(refreshToken)", "getConnection(refreshGithubAppJwtToken)",
	"getToken", "getToken(forceRefresh)", "getToken(app)", "getRawTokenResponse",
	"setMetadata", "updateMetadata", "getMetadata", "patchConnection", "waitForConnection",
	"createConnectSession", "createReconnectSession",
	"get (proxy)", "post (proxy)", "patch (proxy)", "proxy (params)",
	"triggerAction", "triggerActionAsync",
	"getScriptsConfig", "getScriptsConfig(openai)",
	"syncStatus", "listRecords", "triggerSync", "triggerSync(legacy syncMode)", "pauseSync", "startSync",
	"updateSyncConnectionFrequency", "createSyncVariant", "deleteSyncVariant", "pruneRecords",
	"deleteConnection",
}

// sdkEcho is the action the SDK triggers; its description's "- name:
// text" line is what format=openai turns into the parameter's
// description.
const sdkEcho = `import { createAction } from 'nango';
import * as z from 'zod';

export default createAction({
  description: 'Echoes its input.\n- text: The text to echo',
  version: '1.0.0',
  input: z.object({ text: z.string() }),
  output: z.object({ echoed: z.string() }),
  exec: async (nango, input) => ({ echoed: input.text }),
});
`

// sdkItems is the sync whose records the SDK lists: 25 of them.
const sdkItems = `import { createSync } from 'nango';
import * as z from 'zod';

const SdkItem = z.object({ id: z.string(), n: z.number() });

export default createSync({
  description: 'Items for the SDK', version: '1.0.0', frequency: 'every hour', autoStart: true,
  models: { SdkItem },
  exec: async (nango) => {
    const page = [];
    for (let i = 0; i < 25; i++) page.push({ id: 'item-' + i, n: i });
    await nango.batchSave(page, 'SdkItem');
  },
});
`

// TestNangoNodeSDK runs @nangohq/node, unchanged, against a real Patchbay
// on loopback with the simulated providers: a table of SDK calls in
// testdata/nango_node_sdk.mjs, each asserting on its result, over an
// OAuth 2 GitHub connection with a sync and an action deployed, and a
// GitHub App installation. The SDK is not part of this repository: point
// PATCHBAY_NANGO_NODE at a directory holding node_modules/@nangohq/node
// (npm install --prefix <dir> @nangohq/node@0.71.10, as .ci/run does),
// or the test skips.
func TestNangoNodeSDK(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("PATCHBAY_NANGO_NODE")
	if dir == "" {
		t.Skip("PATCHBAY_NANGO_NODE is not set to a directory holding node_modules/@nangohq/node")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@nangohq", "node", "package.json")); err != nil {
		t.Fatalf("PATCHBAY_NANGO_NODE: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("PATCHBAY_NANGO_NODE is set but node is not installed: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "nango_node_sdk.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			fixture := sdkFixture(t, backend)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, script)
			cmd.Env = append(os.Environ(), "PATCHBAY_NANGO_NODE="+dir, "PATCHBAY_SDK_FIXTURE="+string(fixture))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v\nstderr: %s\nstdout: %s", err, stderr.Bytes(), out)
			}
			type result struct {
				Case  string `json:"case"`
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			results := map[string]result{}
			var order []string
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var r result
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("a line of the script's output is not a result: %q", sc.Text())
				}
				results[r.Case] = r
				order = append(order, r.Case)
			}
			if !slices.Equal(order, nodeSDKCases) {
				t.Errorf("the script ran %q, want %q", order, nodeSDKCases)
			}
			for _, name := range nodeSDKCases {
				t.Run(name, func(t *testing.T) {
					r, ran := results[name]
					switch {
					case !ran:
						t.Fatal("the script did not run this case")
					case !r.OK:
						t.Fatal(r.Error)
					}
				})
			}
		})
	}
}

// sdkFixture starts a simulator and a Patchbay, creates what the script
// works on and returns its description as JSON.
func sdkFixture(t *testing.T, backend apptest.Backend) []byte {
	t.Helper()
	simulator := providersim.Start(t, providersim.Options{})
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(simulator.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	pb := apptest.Start(t, apptest.Options{Backend: backend, Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file}})
	call := func(method, path string, body any, want int) {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if res := do(t, pb, method, path, apptest.DevKey, b); res.status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, res.status, res.body, want)
		}
	}
	call("POST", "/integrations", map[string]any{"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"}}, http.StatusOK)
	call("POST", "/functions/deploy", map[string]any{"files": map[string]string{
		"github/actions/echo.ts": sdkEcho, "github/syncs/sdk-items.ts": sdkItems}}, http.StatusOK)
	g := simulator.OAuth.Issue(sim.Grant{Provider: "github", ClientID: "github-client-id", Subject: "octocat", Scopes: []string{"repo"}}, 8*time.Hour, true)
	call("POST", "/connections", map[string]any{"provider_config_key": "github", "connection_id": "sdk-conn",
		"credentials": map[string]any{"type": "OAUTH2", "access_token": g.AccessToken, "refresh_token": g.RefreshToken}}, http.StatusCreated)

	// A GitHub App installation, imported with an installation token that
	// is still valid: the app's JWT is signed on demand, without GitHub.
	call("POST", "/integrations", map[string]any{"unique_key": "gh-app", "provider": "github-app",
		"credentials": map[string]any{"type": "APP", "app_id": "4242", "app_link": simulator.URL() + "/github/apps/patchbay-sdk", "private_key": rsaPEM(t)}}, http.StatusOK)
	call("POST", "/connections", map[string]any{"provider_config_key": "gh-app", "connection_id": "sdk-app",
		"credentials": map[string]any{"type": "APP", "access_token": "ghs_sdkinstallationtoken", "installation_id": "41",
			"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}, http.StatusCreated)

	fixture, err := json.Marshal(map[string]string{
		"host": pb.URL, "secretKey": apptest.DevKey,
		"integration": "github", "connection": "sdk-conn", "action": "echo", "sync": "sdk-items", "model": "SdkItem",
		"appIntegration": "gh-app", "appConnection": "sdk-app", "appId": "4242", "appAccessToken": "ghs_sdkinstallationtoken",
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture
}
