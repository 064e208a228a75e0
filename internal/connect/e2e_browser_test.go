package connect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/connect"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
)

// These tests run the Connect UI in Chromium against a real Patchbay
// (SQLite) whose catalog points at the provider simulator: the page, the
// popup, the simulated provider's consent screen, the callback and the
// API-key check all happen for real, with the UI embedded in a customer's
// page on another origin.

// e2eWorld is a Patchbay server, the simulator it talks to, a customer's
// page and a browser.
type e2eWorld struct {
	t        *testing.T
	sim      *providersim.Simulator
	pb       *apptest.Server
	customer *httptest.Server
	tab      context.Context // the browser's first tab, for the test's whole life
	ctx      context.Context // the tab with the steps' deadline

}

func startE2EWorld(t *testing.T) *e2eWorld {
	t.Helper()
	w := &e2eWorld{t: t}
	opts := providersim.Options{}
	opts.Interactive = true
	w.sim = providersim.Start(t, opts)
	catalogFile := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(catalogFile, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	w.pb = apptest.Start(t, apptest.Options{RealURL: true, Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": catalogFile}})

	// The customer's app: /embed puts a connect link in an iframe and
	// records every message it receives in window.events.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /favicon.ico", func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /embed", func(rw http.ResponseWriter, r *http.Request) {
		src := w.pb.URL + "/connect?session_token=" + url.QueryEscape(r.URL.Query().Get("token"))
		fmt.Fprintf(rw, `<!doctype html><title>Customer app</title><script>
window.events = [];
window.addEventListener('message', function (e) { window.events.push({ origin: e.origin, data: e.data }); });
</script><iframe id="connect" src="%s" width="480" height="720"></iframe>`, html.EscapeString(src))
	})
	w.customer = httptest.NewServer(mux)
	t.Cleanup(w.customer.Close)

	w.tab = connect.StartChromium(t)
	// The steps share one deadline; the tab outlives it, so that a step
	// that timed out can still be explained by what the page shows.
	ctx, cancel := context.WithTimeout(w.tab, 25*time.Second)
	t.Cleanup(cancel)
	w.ctx = ctx
	return w
}

// checkConsole fails on script errors and CSP violations in the page or
// the Connect UI.
// call sends a JSON request with the dev secret key, checks the status and
// decodes the answer into out.
func (w *e2eWorld) call(method, path string, body any, want int, out any) {
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
	req.Header.Set("Authorization", "Bearer "+apptest.DevKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		w.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

func (w *e2eWorld) createIntegrations() {
	w.t.Helper()
	w.call("POST", "/integrations", map[string]any{
		"unique_key": "github", "provider": "github",
		"credentials": map[string]any{"type": "OAUTH2", "client_id": "github-client-id", "client_secret": "github-client-secret"},
	}, http.StatusOK, nil)
	w.call("POST", "/integrations", map[string]any{"unique_key": "stripe-api-key", "provider": "stripe-api-key"}, http.StatusOK, nil)
}

func (w *e2eWorld) session() string {
	w.t.Helper()
	var out struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	w.call("POST", "/connect/sessions", map[string]any{"end_user": map[string]any{"id": "u1"}}, http.StatusCreated, &out)
	if out.Data.Token == "" {
		w.t.Fatal("no connect session token")
	}
	return out.Data.Token
}

// connections lists the ids of an integration's connections.
func (w *e2eWorld) connections(key string) []string {
	w.t.Helper()
	var list struct {
		Connections []struct {
			ConnectionID string `json:"connection_id"`
		} `json:"connections"`
	}
	w.call("GET", "/connections?integrationId="+url.QueryEscape(key), nil, http.StatusOK, &list)
	var ids []string
	for _, c := range list.Connections {
		ids = append(ids, c.ConnectionID)
	}
	return ids
}

type e2eConnection struct {
	EndUser struct {
		ID string `json:"id"`
	} `json:"end_user"`
	Credentials struct {
		Type        string `json:"type"`
		AccessToken string `json:"access_token"`
		APIKey      string `json:"apiKey"`
	} `json:"credentials"`
}

func (w *e2eWorld) connection(key, id string) e2eConnection {
	w.t.Helper()
	var c e2eConnection
	w.call("GET", "/connections/"+url.PathEscape(id)+"?provider_config_key="+url.QueryEscape(key), nil, http.StatusOK, &c)
	return c
}

// do runs browser steps in the tab, and on failure says what the customer
// page heard and what the Connect UI shows.
func (w *e2eWorld) do(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		w.fatalf("%s: %v", what, err)
	}
}

func (w *e2eWorld) fatalf(format string, args ...any) {
	w.t.Helper()
	w.t.Fatalf(format+"\nevents heard by the customer page: %s\nConnect UI shows: %s", append(args, w.events(), w.frameText())...)
}

func (w *e2eWorld) errorf(format string, args ...any) {
	w.t.Helper()
	w.t.Errorf(format+"\nevents heard by the customer page: %s\nConnect UI shows: %s", append(args, w.events(), w.frameText())...)
}

// events returns the customer page's recorded messages as JSON.
func (w *e2eWorld) events() string {
	ctx, cancel := context.WithTimeout(w.tab, 2*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.events)`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return raw
}

// frameText returns the Connect UI's visible text and the values of its
// visible inputs.
func (w *e2eWorld) frameText() string {
	ctx, cancel := context.WithTimeout(w.tab, 2*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#connect")))
	if err != nil || len(nodes) == 0 {
		return fmt.Sprintf("(no iframe: %v)", err)
	}
	s, err := chromedp.Run(ctx, chromedp.Poll[string](`JSON.stringify({
  url: location.pathname,
  text: document.body ? document.body.innerText : '',
  inputs: Array.prototype.filter.call(document.querySelectorAll('input'), function (i) { return i.offsetParent !== null; })
    .map(function (i) { return i.name + '=' + i.value; })
})`, chromedp.WithPollingInFrame(nodes[0])))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// openEmbed loads the customer page with the connect link, waits for the
// Connect UI's ready event and returns the iframe.
func (w *e2eWorld) openEmbed(token string) *chromedp.Node {
	w.t.Helper()
	w.do(w.ctx, "load the customer page", chromedp.Navigate(w.customer.URL+"/embed?token="+url.QueryEscape(token)))
	w.waitEvent(`e.type === 'ready'`)
	nodes, err := chromedp.Run(w.ctx, chromedp.Nodes(chromedp.CSS("#connect")))
	if err != nil {
		w.fatalf("find the iframe: %v", err)
	}
	return nodes[0]
}

// waitEvent waits until the customer page has received, from Patchbay's
// origin, a message whose data e matches the JavaScript predicate.
func (w *e2eWorld) waitEvent(predicate string) {
	w.t.Helper()
	expr := fmt.Sprintf(`window.events && window.events.some(function (m) { var e = m.data; return m.origin === %q && e && (%s); })`, w.pb.URL, predicate)
	if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		w.fatalf("waiting for the event %s: %v", predicate, err)
	}
}

// eventField returns a string from the first event that matches predicate.
func (w *e2eWorld) eventField(predicate, field string) string {
	w.t.Helper()
	expr := fmt.Sprintf(`(function () { var m = window.events.filter(function (m) { var e = m.data; return e && (%s); })[0]; return m ? String(m.data.%s) : ''; })()`, predicate, field)
	v, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		w.fatalf("read %s: %v", field, err)
	}
	return v
}

func (w *e2eWorld) countEvents(predicate string) int {
	w.t.Helper()
	expr := fmt.Sprintf(`window.events.filter(function (m) { var e = m.data; return e && (%s); }).length`, predicate)
	n, err := chromedp.Run(w.ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		w.fatalf("count events: %v", err)
	}
	return n
}

// waitInFrame polls a JavaScript predicate inside the Connect UI.
func (w *e2eWorld) waitInFrame(frame *chromedp.Node, what, predicate string) {
	w.t.Helper()
	if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](predicate,
		chromedp.WithPollingInFrame(frame), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		w.fatalf("waiting in the Connect UI for %s: %v", what, err)
	}
}

// visibleText is the Connect UI's visible text, as a person reads it.
const visibleText = `document.body.innerText`

// waitPopup waits for the browser to show a page whose URL starts with
// prefix, and attaches to it.
func (w *e2eWorld) waitPopup(prefix string) context.Context {
	w.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		infos, err := chromedp.Targets(w.ctx)
		if err != nil {
			w.fatalf("list targets: %v", err)
		}
		var seen []string
		for _, info := range infos {
			if info.Type == "page" && strings.HasPrefix(info.URL, prefix) {
				// Detach only: the page closes itself after the callback.
				popup, cancel := chromedp.NewContext(w.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				w.t.Cleanup(cancel)
				return popup
			}
			seen = append(seen, info.Type+" "+info.URL)
		}
		select {
		case <-w.ctx.Done():
			w.fatalf("no popup on %s; pages: %v", prefix, seen)
		case <-tick.C:
		}
	}
}

// waitPopupsGone waits until the tab is the browser's only page.
func (w *e2eWorld) waitPopupsGone() {
	w.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		infos, err := chromedp.Targets(w.ctx)
		if err != nil {
			w.fatalf("list targets: %v", err)
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
		case <-w.ctx.Done():
			w.fatalf("the popup is still open: %v", w.ctx.Err())
		case <-tick.C:
		}
	}
}

func TestBrowserConnectEndToEnd(t *testing.T) {
	t.Parallel()
	w := startE2EWorld(t)
	w.createIntegrations()
	token := w.session()
	frame := w.openEmbed(token)

	// GitHub: the popup goes through Patchbay's start URL to the simulated
	// consent screen; approving there lands on Patchbay's callback, which
	// tells the Connect UI, which tells the customer page.
	w.waitInFrame(frame, "the integrations' logos", `(function () {
  var imgs = document.querySelectorAll('#pb-list img');
  return imgs.length === 2 && Array.prototype.every.call(imgs, function (i) { return i.complete && i.naturalWidth > 0; });
})()`)
	w.do(w.ctx, "pick GitHub",
		chromedp.WaitVisible(chromedp.CSS(`#pb-list button[data-key="github"]`), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`#pb-list button[data-key="github"]`), chromedp.FromNode(frame)),
	)
	popup := w.waitPopup(w.sim.URL() + "/github/login/oauth/authorize?")
	approve := chromedp.CSS(`button[name="decision"][value="approve"]`)
	w.do(popup, "approve on the consent screen", chromedp.WaitVisible(approve), chromedp.Click(approve))
	const githubConnect = `e.type === 'connect' && e.payload && e.payload.providerConfigKey === 'github' && e.payload.connectionId`
	w.waitEvent(githubConnect)
	connectionID := w.eventField(githubConnect, "payload.connectionId")
	w.waitInFrame(frame, "the success screen", `!document.getElementById('pb-success').hidden &&
  document.getElementById('pb-success').innerText.indexOf('You connected') >= 0`)
	// The result comes over the websocket and from the callback page; once
	// the popup is gone nothing more can arrive, and it counted once.
	w.waitPopupsGone()
	if n := w.countEvents(`e.type === 'connect'`); n != 1 {
		w.errorf("%d connect events after GitHub, want 1", n)
	}
	if ids := w.connections("github"); len(ids) != 1 || ids[0] != connectionID {
		w.fatalf("github connections %v, want just %q from the connect event", ids, connectionID)
	}
	if c := w.connection("github", connectionID); c.Credentials.Type != "OAUTH2" || c.Credentials.AccessToken == "" || c.EndUser.ID != "u1" {
		t.Errorf("github connection = %+v, want OAUTH2 credentials with an access token, for end user u1", c)
	}

	// Stripe: the customer opens the Connect UI again with the same
	// session; the success screen has no way back to the list, as in
	// Nango's.
	frame = w.openEmbed(token)
	input := chromedp.CSS(`section[data-key="stripe-api-key"] input[name="apiKey"]`)
	submit := chromedp.CSS(`section[data-key="stripe-api-key"] button[type="submit"]`)
	w.do(w.ctx, "pick Stripe",
		chromedp.Click(chromedp.CSS(`#pb-list button[data-key="stripe-api-key"]`), chromedp.FromNode(frame)),
		chromedp.WaitVisible(input, chromedp.FromNode(frame)),
	)
	// The label is the catalog's title for the field.
	w.waitInFrame(frame, "the catalog's field title", `(function () {
  var i = document.querySelector('section[data-key="stripe-api-key"] input[name="apiKey"]');
  return document.querySelector('label[for="' + i.id + '"]').innerText.trim() === 'Secret or restricted key';
})()`)

	const wrongKey = "sk_test_wrongkey123"
	w.do(w.ctx, "submit a wrong key",
		chromedp.SendKeys(input, wrongKey, chromedp.FromNode(frame)),
		chromedp.Click(submit, chromedp.FromNode(frame)),
	)
	w.waitEvent(`e.type === 'error' && e.payload.errorType === 'connection_test_failed'`)
	// Said in words, on screen: not an error code or an HTTP status.
	w.waitInFrame(frame, "the refusal in words", `(function () {
  var s = document.querySelector('section[data-key="stripe-api-key"]');
  return !s.hidden && s.innerText.indexOf('did not accept these credentials. Check them and try again.') >= 0 &&
    s.innerText.indexOf('connection_test_failed') < 0 && s.innerText.indexOf('401') < 0;
})()`)
	if v, err := chromedp.Run(w.ctx, chromedp.Value(input, chromedp.FromNode(frame))); err != nil || v != wrongKey {
		w.errorf("key after the refusal = %q (%v), want it kept as typed", v, err)
	}
	if ids := w.connections("stripe-api-key"); len(ids) != 0 {
		w.fatalf("a refused key made connections %v", ids)
	}

	// As a user would: select what is in the field and type over it.
	w.waitInFrame(frame, "the key selected", `(function () {
  var i = document.querySelector('section[data-key="stripe-api-key"] input[name="apiKey"]');
  i.focus(); i.select();
  return i.selectionStart === 0 && i.selectionEnd === i.value.length;
})()`)
	w.do(w.ctx, "submit the right key",
		chromedp.SendKeys(input, stripe.DefaultKey, chromedp.FromNode(frame)),
	)
	if v, err := chromedp.Run(w.ctx, chromedp.Value(input, chromedp.FromNode(frame))); err != nil || v != stripe.DefaultKey {
		w.fatalf("key typed over the old one = %q (%v), want %q", v, err, stripe.DefaultKey)
	}
	w.do(w.ctx, "submit the right key", chromedp.Click(submit, chromedp.FromNode(frame)))
	const stripeConnect = `e.type === 'connect' && e.payload && e.payload.providerConfigKey === 'stripe-api-key' && e.payload.connectionId`
	w.waitEvent(stripeConnect)
	stripeID := w.eventField(stripeConnect, "payload.connectionId")
	w.waitInFrame(frame, "the success screen", `!document.getElementById('pb-success').hidden`)
	if ids := w.connections("stripe-api-key"); len(ids) != 1 || ids[0] != stripeID {
		w.fatalf("stripe-api-key connections %v, want just %q from the connect event", ids, stripeID)
	}
	if c := w.connection("stripe-api-key", stripeID); c.Credentials.Type != "API_KEY" || c.Credentials.APIKey != stripe.DefaultKey || c.EndUser.ID != "u1" {
		t.Errorf("stripe-api-key connection = %+v, want API_KEY credentials with the key typed, for end user u1", c)
	}
	// Patchbay checked both keys with the simulated Stripe.
	if n := len(w.sim.Requests(sim.RequestFilter{Provider: "stripe", Path: "/stripe/v1/balance"})); n != 2 {
		t.Errorf("the simulated Stripe got %d balance requests, want 2 (one check per key)", n)
	}
}

func TestBrowserConnectWhiteLabel(t *testing.T) {
	t.Parallel()
	w := startE2EWorld(t)
	w.createIntegrations()
	w.call("PUT", "/environment/connect-ui", map[string]any{"name": "Acme", "primary_color": "#ff0066", "dark_mode": true}, http.StatusOK, nil)
	token := w.session()

	// Loaded directly, as a connect link opened in its own tab.
	w.do(w.ctx, "open the connect link",
		chromedp.Navigate(w.pb.URL+"/connect?session_token="+url.QueryEscape(token)),
		chromedp.WaitVisible(chromedp.CSS(`#pb-list button[data-key="github"]`)),
	)
	title, err := chromedp.Run(w.ctx, chromedp.Title())
	if err != nil || title != "Acme" {
		t.Errorf("document title = %q (%v), want Acme", title, err)
	}
	if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](`(function () {
  var root = document.documentElement;
  return document.querySelector('.pb-title').innerText.trim() === 'Acme' &&
    root.dataset.theme === 'dark' &&
    getComputedStyle(root).getPropertyValue('--pb-primary').trim() === '#ff0066';
})()`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("name, dark theme and colour not applied: %v", err)
	}
	// No trace of Patchbay a person could see: not on the list, and not on
	// the screens behind it.
	for _, screen := range []string{"", "stripe-api-key"} {
		if screen != "" {
			w.do(w.ctx, "open "+screen,
				chromedp.Click(chromedp.CSS(`#pb-list button[data-key="`+screen+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`section[data-key="`+screen+`"] input`)),
			)
		}
		text, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](visibleText))
		if err != nil {
			t.Fatal(err)
		}
		// The simulator's catalog names its default key in the field's
		// help; that is the catalog's text, not the product's brand.
		text = strings.ReplaceAll(text, stripe.DefaultKey, "")
		if strings.Contains(strings.ToLower(text), "patchbay") {
			t.Errorf("screen %q shows Patchbay in a white-labelled Connect UI:\n%s", screen, text)
		}
	}
}
