package connect

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The callback page opened from a customer's page (as @nangohq/frontend's
// auth() opens it) must close itself without a postMessage the browser
// refuses: Chromium reports a target origin that is not the opener's in
// the opener's console, the customer's.
func TestBrowserCallbackFromOtherOrigin(t *testing.T) {
	t.Parallel()
	b := setupBrowser(t)
	console := RecordConsole(b.tab)
	b.do(t,
		chromedp.Navigate(b.customer.URL+"/opener"),
		chromedp.Click(chromedp.CSS(`#open`)),
	)
	b.waitPopupsGone(t)
	// A refused postMessage is reported as the popup runs its script,
	// before it closes; a moment more for the event to reach us.
	time.Sleep(200 * time.Millisecond)
	for _, m := range console() {
		if strings.Contains(m, "postMessage") {
			t.Errorf("browser console: %s", m)
		}
	}
}
