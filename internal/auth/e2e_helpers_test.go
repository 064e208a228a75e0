package auth_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
)

// world is a Patchbay server whose catalog points at a provider simulator.
type world struct {
	t   *testing.T
	sim *providersim.Simulator
	pb  *apptest.Server
	// hooks receives the environment's outbound webhooks.
	hooks *hookRecorder
}

type worldOptions struct {
	backend apptest.Backend
	env     map[string]string
	sim     providersim.Options
	// logs receives the server's debug logs.
	logs io.Writer
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	w := &world{t: t, sim: providersim.Start(t, o.sim), hooks: startHookRecorder(t)}
	catalogFile := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(catalogFile, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PATCHBAY_PROVIDERS_FILE": catalogFile,
		// The customer's webhook endpoint (hooks) is on loopback, where
		// webhooks go only when the operator allows it.
		"PATCHBAY_PROXY_ALLOWED_NETWORKS": "127.0.0.0/8",
	}
	for k, v := range o.env {
		env[k] = v
	}
	w.pb = apptest.Start(t, apptest.Options{Backend: o.backend, RealURL: true, Env: env, Logs: o.logs})
	w.call("PUT", "/environment/webhooks", map[string]any{"webhook_url": w.hooks.url}, http.StatusOK, nil)
	return w
}

// call sends a JSON request with the dev secret key and checks the status.
func (w *world) call(method, path string, body any, want int, out any) {
	w.t.Helper()
	w.callAs(apptest.DevKey, method, path, body, want, out)
}

func (w *world) callAs(token, method, path string, body any, want int, out any) {
	w.t.Helper()
	status, raw := w.do(token, method, path, body)
	if status != want {
		w.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

func (w *world) do(token, method, path string, body any) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.pb.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (w *world) createIntegration(body map[string]any) {
	w.t.Helper()
	w.call("POST", "/integrations", body, http.StatusOK, nil)
}

// session creates a connect session and returns its token.
func (w *world) session(body map[string]any) string {
	w.t.Helper()
	if body == nil {
		body = map[string]any{"end_user": map[string]any{"id": "user-1", "email": "jane@example.com"}}
	}
	var out struct {
		Data struct {
			Token       string `json:"token"`
			ConnectLink string `json:"connect_link"`
		} `json:"data"`
	}
	w.call("POST", "/connect/sessions", body, http.StatusCreated, &out)
	if !strings.HasPrefix(out.Data.Token, "nango_connect_session_") {
		w.t.Fatalf("token %q lacks the prefix", out.Data.Token)
	}
	return out.Data.Token
}

// browser follows redirects like a browser popup would and returns the
// final page.
func (w *world) browser(path string) (int, string) {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(w.pb.URL + path)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// startURL returns where Patchbay sends the popup, without following it.
func (w *world) startURL(path string) *url.URL {
	w.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(w.pb.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		w.t.Fatalf("GET %s: status %d, want 302", path, resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

type connectionJSON struct {
	ConnectionID      string         `json:"connection_id"`
	ProviderConfigKey string         `json:"provider_config_key"`
	Provider          string         `json:"provider"`
	ConnectionConfig  map[string]any `json:"connection_config"`
	Errors            []struct {
		Type string `json:"type"`
	} `json:"errors"`
	EndUser     map[string]any    `json:"end_user"`
	Tags        map[string]string `json:"tags"`
	Credentials struct {
		Type             string          `json:"type"`
		AccessToken      string          `json:"access_token"`
		RefreshToken     string          `json:"refresh_token"`
		ExpiresAt        string          `json:"expires_at"`
		Token            string          `json:"token"`
		APIKey           string          `json:"apiKey"`
		Username         string          `json:"username"`
		Password         string          `json:"password"`
		OAuthToken       string          `json:"oauth_token"`
		OAuthTokenSecret string          `json:"oauth_token_secret"`
		Raw              json.RawMessage `json:"raw"`
	} `json:"credentials"`
}

// onlyConnection returns the single connection of an integration.
func (w *world) onlyConnection(key string) connectionJSON {
	w.t.Helper()
	var list struct {
		Connections []struct {
			ConnectionID string `json:"connection_id"`
		} `json:"connections"`
	}
	w.call("GET", "/connections?integrationId="+url.QueryEscape(key), nil, http.StatusOK, &list)
	if len(list.Connections) != 1 {
		w.t.Fatalf("integration %s has %d connections, want 1", key, len(list.Connections))
	}
	return w.connection(key, list.Connections[0].ConnectionID)
}

func (w *world) connection(key, id string) connectionJSON {
	w.t.Helper()
	var c connectionJSON
	w.call("GET", fmt.Sprintf("/connections/%s?provider_config_key=%s&refresh_token=true", url.PathEscape(id), url.QueryEscape(key)), nil, http.StatusOK, &c)
	return c
}

// hookRecorder is the customer's webhook endpoint.
type hookRecorder struct {
	url  string
	mu   sync.Mutex
	got  []map[string]any
	sigs []string
	raws [][]byte
}

func startHookRecorder(t *testing.T) *hookRecorder {
	h := &hookRecorder{}
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		h.mu.Lock()
		h.got = append(h.got, m)
		h.sigs = append(h.sigs, r.Header.Get("X-Nango-Hmac-Sha256"))
		h.raws = append(h.raws, raw)
		h.mu.Unlock()
	}))
	h.url = srv
	return h
}

// verify checks every delivery's signature under key and that its keys
// are sorted (a re-encoding of the parsed body gives the same bytes).
func (h *hookRecorder) verify(t *testing.T, key string) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, raw := range h.raws {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(raw)
		if want := hex.EncodeToString(mac.Sum(nil)); h.sigs[i] != want {
			t.Errorf("webhook %d: signature %q, want %q", i, h.sigs[i], want)
		}
		again, _ := json.Marshal(h.got[i])
		if !bytes.Equal(again, raw) {
			t.Errorf("webhook %d: keys not sorted: %s", i, raw)
		}
	}
}

func (h *hookRecorder) matching(match func(map[string]any) bool) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, m := range h.got {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
