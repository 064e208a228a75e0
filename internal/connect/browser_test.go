package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/patchbay/patchbay/internal/logos"
	"github.com/patchbay/patchbay/internal/store"
)

// The browser tests run the real page, script and websocket in Chromium
// against a fake Patchbay backend, with the Connect UI embedded in a
// customer page on another origin.

const (
	browserToken  = "nango_connect_session_browser"
	failuresToken = "nango_connect_session_failures"
	shotsToken    = "nango_connect_session_shots"
	darkShotToken = "nango_connect_session_shots_dark"
)

type browserBundle struct {
	api      *httptest.Server // Patchbay: UI, hub and fake auth routes
	customer *httptest.Server // the customer's page, another origin
	hub      *Hub
	tab      context.Context
	ctx      context.Context // the tab, with the test's deadline

	mu       sync.Mutex
	notified []bool // Hub.Notify results of the fake OAuth callback
}

func setupBrowser(t *testing.T) *browserBundle {
	t.Helper()
	b := &browserBundle{hub: NewHub(slog.New(slog.DiscardHandler))}

	b.api = httptest.NewServer(b.fakePatchbay())
	t.Cleanup(b.api.Close)
	t.Cleanup(b.hub.Close)
	b.customer = httptest.NewServer(b.customerPages())
	t.Cleanup(b.customer.Close)

	b.tab = StartChromium(t)
	// The steps share a deadline; the tab outlives it, so that when they
	// time out the browser is still there to say what it shows.
	ctx, cancel := context.WithTimeout(b.tab, 20*time.Second)
	t.Cleanup(cancel)
	b.ctx = ctx
	return b
}

func (b *browserBundle) fakePatchbay() http.Handler {
	source := func(_ context.Context, token string) (*PageData, error) {
		switch token {
		case browserToken:
			return &PageData{
				SessionToken: token,
				APIURL:       b.api.URL,
				Integrations: []PageIntegration{
					{Key: "github", Provider: "github", DisplayName: "GitHub", AuthMode: "OAUTH2"},
					{Key: "stripe", Provider: "stripe", DisplayName: "Stripe", AuthMode: "API_KEY",
						CredentialFields: []PageField{{Name: "apiKey", Title: "Secret key", Example: "sk_live_…", Secret: true}}},
				},
			}, nil
		case shotsToken, darkShotToken:
			// Catalog names as they come, with the auth variant; "slow"
			// keeps its popup open, so the connecting card stays.
			var settings store.ConnectUISettings
			if token == darkShotToken {
				settings = store.ConnectUISettings{Name: "Acme", PrimaryColor: "#0a7d5a", DarkMode: true}
			}
			return &PageData{
				SessionToken: token,
				APIURL:       b.api.URL,
				Settings:     settings,
				Integrations: []PageIntegration{
					{Key: "slow", Provider: "github", DisplayName: "GitHub (User OAuth)", AuthMode: "OAUTH2",
						LogoURL: b.api.URL + "/images/template-logos/github.svg"},
					{Key: "stripe", Provider: "stripe", DisplayName: "Stripe (API key)", AuthMode: "API_KEY",
						LogoURL:          b.api.URL + "/images/template-logos/stripe.svg",
						CredentialFields: []PageField{{Name: "apiKey", Title: "Secret key", Example: "sk_live_…", Secret: true}}},
					// A logo that fails to load falls back to the initial.
					{Key: "acme", Provider: "acme", DisplayName: "Acme Tickets", AuthMode: "API_KEY",
						LogoURL:          b.api.URL + "/images/template-logos/acme.svg",
						CredentialFields: []PageField{{Name: "apiKey", Secret: true}}},
				},
			}, nil
		case failuresToken:
			// White-labelled too, so the CSP check covers the nonce style.
			return &PageData{
				SessionToken: token,
				APIURL:       b.api.URL,
				Settings:     store.ConnectUISettings{Name: "Acme", PrimaryColor: "#0a7d5a", DarkMode: true},
				Integrations: []PageIntegration{
					{Key: "declines", Provider: "declines", DisplayName: "Declines", AuthMode: "OAUTH2"},
					{Key: "closer", Provider: "closer", DisplayName: "Closer", AuthMode: "OAUTH2"},
				},
			}, nil
		}
		return nil, ErrInvalidSession
	}
	ui := NewUI(source, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	mux.Handle("GET /connect", ui)
	mux.Handle("GET /connect/{$}", ui)
	mux.Handle("GET /connect/assets/{file}", ui)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			b.hub.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	// The shipped logos, as the API serves them.
	mux.HandleFunc("GET /images/template-logos/{provider}", func(w http.ResponseWriter, r *http.Request) {
		svg, ok := logos.SVG(strings.TrimSuffix(r.PathValue("provider"), ".svg"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write(svg)
	})

	// The popup's start URL: a stand-in provider page that sends the
	// browser on to the callback, as a consent screen would.
	mux.HandleFunc("GET /oauth/connect/{key}", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if tok := q.Get("connect_session_token"); (tok != browserToken && tok != failuresToken && tok != shotsToken) || q.Get("ws_client_id") == "" {
			http.Error(w, "bad start URL: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		cb := url.Values{"key": {r.PathValue("key")}, "ws": {q.Get("ws_client_id")}}
		switch r.PathValue("key") {
		case "declines":
			cb.Set("error", "access_denied")
		case "slow":
			// The user takes their time on the provider's page.
			fmt.Fprint(w, `<!doctype html><p>Fake provider, waiting</p>`)
			return
		case "closer":
			// The user shuts the window instead of answering.
			fmt.Fprint(w, `<!doctype html><p>Fake provider</p><script>window.close()</script>`)
			return
		}
		next := "/oauth/callback?" + cb.Encode()
		fmt.Fprintf(w, `<!doctype html><meta http-equiv="refresh" content="0;url=%s"><p>Fake provider</p>`, html.EscapeString(next))
	})
	mux.HandleFunc("GET /oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		res := CallbackResult{ProviderConfigKey: r.URL.Query().Get("key"), ConnectionID: "conn-oauth", ErrorType: r.URL.Query().Get("error")}
		ok := b.hub.Notify(r.Context(), r.URL.Query().Get("ws"), res.Message())
		b.mu.Lock()
		b.notified = append(b.notified, ok)
		b.mu.Unlock()
		RenderCallback(w, res)
	})
	mux.HandleFunc("POST /api-auth/api-key/{key}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			APIKey string `json:"apiKey"`
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("connect_session_token") != browserToken {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"invalid_connect_session_token","message":"unknown session"}}`)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.APIKey != "sk_good" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"code":"connection_test_failed","message":"provider returned 401"}}`)
			return
		}
		fmt.Fprintf(w, `{"providerConfigKey":%q,"connectionId":"conn-apikey"}`, r.PathValue("key"))
	})
	return mux
}

// customerPages are a customer's app: /embed embeds a connect link in an
// iframe; /handshake does what @nangohq/frontend's openConnectUI does
// with baseURL …/connect (it appends the slash).
// Both record every message they receive in window.events.
func (b *browserBundle) customerPages() http.Handler {
	const recorder = `<script>
window.events = [];
window.addEventListener('message', function (e) { window.events.push({ origin: e.origin, data: e.data }); });
</script>`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /embed", func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if token == "" {
			token = browserToken
		}
		src := b.api.URL + "/connect?session_token=" + url.QueryEscape(token)
		fmt.Fprintf(w, `<!doctype html><title>Customer</title>%s<iframe id="connect" src="%s" width="480" height="720"></iframe>`,
			recorder, html.EscapeString(src))
	})
	// /opener opens Patchbay's callback page in a popup as
	// @nangohq/frontend's auth() does: from the customer's origin.
	mux.HandleFunc("GET /opener", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Customer</title>%s<button id="open" type="button">Connect</button><script>
document.getElementById('open').addEventListener('click', function () { window.open(%q, 'auth', 'popup'); });
</script>`, recorder, b.api.URL+"/oauth/callback?key=github&ws=none")
	})
	mux.HandleFunc("GET /handshake", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Customer</title>%s<script>
var base = %q;
window.addEventListener('message', function (e) {
  if (e.origin !== base || !e.data || e.data.type !== 'ready') return;
  document.getElementById('connect').contentWindow.postMessage({ type: 'session_token', sessionToken: %q }, '*');
});
</script><iframe id="connect" src="%s/connect/?apiURL=%s" width="480" height="720"></iframe>`,
			recorder, b.api.URL, browserToken, b.api.URL, url.QueryEscape(b.api.URL))
	})
	return mux
}

func (b *browserBundle) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("%v\nevents: %s\nframe: %s", err, b.events(t), b.frameState(t))
	}
}

// waitEvent waits until the customer page has received an event that
// matches the JavaScript predicate on e (the message data), from
// Patchbay's origin.
func (b *browserBundle) waitEvent(t *testing.T, predicate string) {
	t.Helper()
	expr := fmt.Sprintf(`window.events && window.events.some(function (m) { var e = m.data; return m.origin === %q && e && (%s); })`, b.api.URL, predicate)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting for event %s: %v\nevents: %s\nframe: %s", predicate, err, b.events(t), b.frameState(t))
	}
}

func (b *browserBundle) events(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, 2*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.events)`))
	if err != nil {
		return err.Error()
	}
	return raw
}

// frame returns the iframe element; queries from it run in its document.
func (b *browserBundle) frame(t *testing.T) *chromedp.Node {
	t.Helper()
	nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSS("#connect")))
	if err != nil {
		t.Fatal(err)
	}
	return nodes[0]
}

// frameState describes the Connect UI's visible screen, for failures.
func (b *browserBundle) frameState(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, 2*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#connect")))
	if err != nil {
		return err.Error()
	}
	frame := nodes[0]
	s, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var s = document.querySelector('.pb-screen:not([hidden])');
  var inputs = Array.prototype.map.call(document.querySelectorAll('.pb-screen:not([hidden]) input'), function (i) { return i.name + '=' + i.value; });
  return JSON.stringify({ screen: s && s.id, text: s && s.innerText, inputs: inputs });
})()`, chromedp.WithPollingInFrame(frame)))
	if err != nil {
		return err.Error()
	}
	return s
}

// waitInFrame polls a JavaScript predicate inside the Connect UI.
func (b *browserBundle) waitInFrame(t *testing.T, frame *chromedp.Node, predicate string) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](predicate,
		chromedp.WithPollingInFrame(frame), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting in the frame for %s: %v\nevents: %s", predicate, err, b.events(t))
	}
}

func TestBrowserConnectFlows(t *testing.T) {
	t.Parallel()
	b := setupBrowser(t)

	// OAuth: the popup runs the fake provider and the callback; the
	// customer page hears "connect".
	b.do(t, chromedp.Navigate(b.customer.URL+"/embed"))
	b.waitEvent(t, `e.type === 'ready'`)
	frame := b.frame(t)
	b.do(t,
		chromedp.WaitVisible(chromedp.CSS(`#pb-list`), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`button[data-key="github"]`), chromedp.FromNode(frame)),
	)
	b.waitEvent(t, `e.type === 'connect' && e.payload.providerConfigKey === 'github' && e.payload.connectionId === 'conn-oauth'`)
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`#pb-success`), chromedp.FromNode(frame)))
	b.mu.Lock()
	notified := append([]bool(nil), b.notified...)
	b.mu.Unlock()
	if len(notified) != 1 || !notified[0] {
		t.Errorf("callback's Hub.Notify results %v, want [true]: the page's websocket was not waiting", notified)
	}
	// Once the popup is gone nothing more can arrive from it, and the
	// socket is closed: the result came over both, and counted once.
	b.waitPopupsGone(t)
	raw := b.events(t)
	if n := strings.Count(raw, `"type":"connect"`); n != 1 {
		t.Errorf("%d connect events, want 1 (websocket and postMessage both arrive; one must be ignored): %s", n, raw)
	}

	// API key: a refused key keeps the form as typed and says why; the
	// right key connects.
	b.do(t, chromedp.Navigate(b.customer.URL+"/embed"))
	b.waitEvent(t, `e.type === 'ready'`)
	frame = b.frame(t)
	input := chromedp.CSS(`section[data-key="stripe"] input[name="apiKey"]`)
	submit := chromedp.CSS(`section[data-key="stripe"] button[type="submit"]`)
	b.do(t,
		chromedp.Click(chromedp.CSS(`button[data-key="stripe"]`), chromedp.FromNode(frame)),
		chromedp.WaitVisible(input, chromedp.FromNode(frame)),
		chromedp.SendKeys(input, "sk_bad", chromedp.FromNode(frame)),
		chromedp.Click(submit, chromedp.FromNode(frame)),
	)
	b.waitInFrame(t, frame, `document.querySelector('section[data-key="stripe"] [role="alert"]').textContent === 'Stripe did not accept these credentials. Check them and try again.'`)
	b.waitEvent(t, `e.type === 'error' && e.payload.errorType === 'connection_test_failed'`)
	if v, err := chromedp.Run(b.ctx, chromedp.Value(input, chromedp.FromNode(frame))); err != nil || v != "sk_bad" {
		t.Errorf("key after the error = %q (%v), want it kept", v, err)
	}

	// As a user selecting the text and typing over it. (chromedp.Clear
	// resets the value attribute only, not what was typed.)
	b.waitInFrame(t, frame, `(function () { var i = document.querySelector('section[data-key="stripe"] input[name="apiKey"]'); i.select(); i.value = ''; return true; })()`)
	b.do(t,
		chromedp.SendKeys(input, "sk_good", chromedp.FromNode(frame)),
		chromedp.Click(submit, chromedp.FromNode(frame)),
	)
	b.waitEvent(t, `e.type === 'connect' && e.payload.providerConfigKey === 'stripe' && e.payload.connectionId === 'conn-apikey'`)
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`#pb-success`), chromedp.FromNode(frame)))
}

func TestBrowserOAuthFailures(t *testing.T) {
	t.Parallel()
	b := setupBrowser(t)
	b.do(t, chromedp.Navigate(b.customer.URL+"/embed?token="+failuresToken))
	b.waitEvent(t, `e.type === 'ready'`)
	frame := b.frame(t)

	b.do(t, chromedp.Click(chromedp.CSS(`button[data-key="declines"]`), chromedp.FromNode(frame)))
	b.waitEvent(t, `e.type === 'error' && e.payload.errorType === 'access_denied'`)
	b.waitInFrame(t, frame, `document.querySelector('section[data-key="declines"] [role="alert"]').textContent ===
  'You declined access, so nothing was connected. You can try again whenever you like.'`)
	b.waitPopupsGone(t)
	if raw := b.events(t); strings.Count(raw, `"type":"error"`) != 1 {
		t.Errorf("want one error event: %s", raw)
	}

	b.do(t,
		chromedp.Click(chromedp.CSS(`section[data-key="declines"] [data-action="back"]`), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`button[data-key="closer"]`), chromedp.FromNode(frame)),
	)
	b.waitEvent(t, `e.type === 'error' && e.payload.errorType === 'windowClosed'`)
	b.waitInFrame(t, frame, `document.querySelector('section[data-key="closer"] [role="alert"]').textContent ===
  'You closed the window before finishing.' &&
  !document.querySelector('section[data-key="closer"] button[type="submit"]').hasAttribute('aria-disabled')`)
}

// waitPopupsGone waits until the tab is the browser's only page.
func (b *browserBundle) waitPopupsGone(t *testing.T) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages := 0
		for _, info := range infos {
			if info.Type == "page" {
				pages++
			}
		}
		if pages == 1 {
			return
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("popup still open: %v", b.ctx.Err())
		case <-tick.C:
		}
	}
}

func TestBrowserRequiredFieldStaysClientSide(t *testing.T) {
	t.Parallel()
	b := setupBrowser(t)
	b.do(t, chromedp.Navigate(b.customer.URL+"/embed"))
	b.waitEvent(t, `e.type === 'ready'`)
	frame := b.frame(t)
	b.do(t,
		chromedp.Click(chromedp.CSS(`button[data-key="stripe"]`), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`section[data-key="stripe"] button[type="submit"]`), chromedp.FromNode(frame)),
	)
	b.waitInFrame(t, frame, `(function () {
  var input = document.querySelector('section[data-key="stripe"] input[name="apiKey"]');
  return document.activeElement === input && input.getAttribute('aria-invalid') === 'true' &&
    document.getElementById(input.id + '-error').textContent === 'Secret key is required.';
})()`)
	// Escape asks the embedding page to close the UI.
	b.do(t, chromedp.KeyEvent("\x1b"))
	b.waitEvent(t, `e.type === 'close'`)
}

func TestBrowserOpenConnectUIHandshake(t *testing.T) {
	t.Parallel()
	b := setupBrowser(t)
	b.do(t, chromedp.Navigate(b.customer.URL+"/handshake"))
	// The shell says ready, receives the token and loads the page with it,
	// which says ready again (the parent answers again, and is ignored).
	b.waitEvent(t, `e.type === 'ready'`)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](
		`window.events.filter(function (m) { return m.data && m.data.type === 'ready'; }).length >= 2`,
		chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("second ready: %v\nevents: %s", err, b.events(t))
	}
	frame := b.frame(t)
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`button[data-key="github"]`), chromedp.FromNode(frame)))
	b.waitInFrame(t, frame, `location.pathname === '/connect' && new URLSearchParams(location.search).get('session_token') === '`+browserToken+`'`)
}
