package connect_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/patchbay/patchbay/internal/connect"
)

// TestBrowserNangoFrontendSDK runs @nangohq/frontend's own openConnectUI
// against a real Patchbay, with baseURL set both to the server's root and
// to the connect link's base (…/connect), through an OAuth connection. The
// SDK is not part of this repository (its licence is not ours to
// redistribute): point PATCHBAY_NANGO_FRONTEND at the dist directory of
// the npm package (npm pack @nangohq/frontend; tar xzf; …/package/dist),
// or the test skips.
func TestBrowserNangoFrontendSDK(t *testing.T) {
	t.Parallel()
	dist := os.Getenv("PATCHBAY_NANGO_FRONTEND")
	if dist == "" {
		t.Skip("PATCHBAY_NANGO_FRONTEND is not set to @nangohq/frontend's dist directory")
	}
	if _, err := os.Stat(dist + "/index.js"); err != nil {
		t.Fatalf("PATCHBAY_NANGO_FRONTEND: %v", err)
	}
	for name, base := range map[string]string{"root": "", "connect": "/connect"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := startE2EWorld(t)
			console := connect.RecordConsole(w.tab)
			w.createIntegrations()
			token := w.session()

			uiOrigin := w.pb.URL // the iframe is served where the API is
			mux := http.NewServeMux()
			mux.Handle("GET /sdk/", http.StripPrefix("/sdk/", http.FileServer(http.Dir(dist))))
			mux.HandleFunc("GET /favicon.ico", func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusNoContent) })
			mux.HandleFunc("GET /app", func(rw http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(rw, `<!doctype html><title>Customer app</title><script>
window.events = [];
window.addEventListener('message', function (e) { window.events.push({ origin: e.origin, data: e.data }); });
</script><script type="module">
import Nango from '/sdk/index.js';
var nango = new Nango({ host: %[1]q, connectSessionToken: %[2]q });
window.sdkEvents = [];
nango.openConnectUI({ baseURL: %[4]q + %[3]q, apiURL: %[1]q, sessionToken: %[2]q, onEvent: function (e) { window.sdkEvents.push(e); } });
</script>`, w.pb.URL, token, base, uiOrigin)
			})
			app := httptest.NewServer(mux)
			t.Cleanup(app.Close)

			w.do(w.ctx, "load the customer app", chromedp.Navigate(app.URL+"/app"))
			// Ready from the shell, which gets the token, and again from
			// the page it loads with it.
			waitEvent := func(predicate string) {
				t.Helper()
				expr := fmt.Sprintf(`window.events.some(function (m) { var e = m.data; return m.origin === %q && e && (%s); })`, uiOrigin, predicate)
				if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](expr)); err != nil {
					w.fatalf("waiting for the event %s: %v", predicate, err)
				}
			}
			waitEvent(`e.type === 'ready'`)
			if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](`window.events.filter(function (m) { return m.data && m.data.type === 'ready'; }).length >= 2`)); err != nil {
				w.fatalf("second ready: %v", err)
			}
			frame := w.waitFrame("#connect-ui")
			w.do(w.ctx, "pick GitHub",
				chromedp.WaitVisible(chromedp.CSS(`#pb-list button[data-key="github"]`), chromedp.FromNode(frame)),
				chromedp.Click(chromedp.CSS(`#pb-list button[data-key="github"]`), chromedp.FromNode(frame)),
			)
			popup := w.waitPopup(w.sim.URL() + "/github/login/oauth/authorize?")
			approve := chromedp.CSS(`button[name="decision"][value="approve"]`)
			w.do(popup, "approve on the consent screen", chromedp.WaitVisible(approve), chromedp.Click(approve))
			waitEvent(`e.type === 'connect' && e.payload.providerConfigKey === 'github'`)
			w.waitPopupsGone()
			// What the SDK hands the customer's onEvent: the same events.
			if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](`window.sdkEvents.some(function (e) { return e.type === 'connect'; })`)); err != nil {
				w.fatalf("onEvent got no connect event: %v", err)
			}
			w.do(w.ctx, "close", chromedp.Click(chromedp.CSS(`#pb-success [data-action="close"]`), chromedp.FromNode(frame)))
			if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](`document.getElementById('connect-ui') === null`)); err != nil {
				w.fatalf("the SDK did not remove its iframe on close: %v", err)
			}
			for _, m := range console() {
				if strings.Contains(m, "postMessage") || strings.Contains(m, "target origin") {
					t.Errorf("browser console: %s", m)
				}
			}
		})
	}
}

// waitFrame waits for an iframe matching sel and returns it.
func (w *e2eWorld) waitFrame(sel string) *chromedp.Node {
	w.t.Helper()
	nodes, err := chromedp.Run(w.ctx, chromedp.Nodes(chromedp.CSS(sel)))
	if err != nil || len(nodes) == 0 {
		w.fatalf("find the iframe %s: %v", sel, err)
	}
	return nodes[0]
}
