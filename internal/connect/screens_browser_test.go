package connect

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserScreens walks the Connect UI's screens in Chromium as an end
// user sees them, checks what each says, and saves a screenshot of each
// under the test's temporary directory (or PATCHBAY_SCREENSHOTS, to keep
// them) for a person to look at.
func TestBrowserScreens(t *testing.T) {
	t.Parallel()
	b := setupBrowser(t)
	dir := os.Getenv("PATCHBAY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.EmulateViewport(480, 720))

	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil || img.Bounds().Dx() < 400 {
			t.Fatalf("screenshot %s: not a page-sized PNG (%v)", name, err)
		}
		file := filepath.Join(dir, name+".png")
		if err := os.WriteFile(file, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	}
	// visible is the text of what the page shows, as a person reads it.
	visible := func() string {
		t.Helper()
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	wait := func(what, predicate string) {
		t.Helper()
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](predicate)); err != nil {
			t.Fatalf("waiting for %s: %v\npage: %s", what, err, visible())
		}
	}

	// The server's root, opened directly: a landing page, no spinner.
	b.do(t, chromedp.Navigate(b.api.URL+"/"))
	wait("the landing page", `!document.getElementById('pb-landing').hidden && document.getElementById('pb-wait').hidden`)
	if text := visible(); !strings.Contains(text, "This server runs Patchbay") || strings.Contains(text, "Loading") {
		t.Errorf("landing page says:\n%s", text)
	}
	shot("landing")

	// The list: display names, no auth variants, the brands' logos, and
	// an initial where a logo does not load.
	b.do(t, chromedp.Navigate(b.api.URL+"/connect?session_token="+shotsToken))
	wait("the list", `!document.getElementById('pb-list').hidden`)
	wait("the logos", `(function () {
  var imgs = document.querySelectorAll('#pb-list img.pb-logo');
  var mono = document.querySelector('#pb-list button[data-key="acme"] .pb-monogram');
  return imgs.length === 2 && Array.prototype.every.call(imgs, function (i) { return i.complete && i.naturalWidth > 0; }) &&
    mono !== null && mono.textContent === 'A';
})()`)
	if text := visible(); !strings.Contains(text, "GitHub") || !strings.Contains(text, "Stripe") || strings.Contains(text, "(") {
		t.Errorf("the list says:\n%s", text)
	}
	shot("list")
	// White-labelled and dark: the logos' tiles keep black marks visible.
	b.do(t, chromedp.Navigate(b.api.URL+"/connect?session_token="+darkShotToken))
	wait("the dark list", `document.documentElement.dataset.theme === 'dark' &&
  Array.prototype.every.call(document.querySelectorAll('#pb-list img.pb-logo'), function (i) { return i.complete && i.naturalWidth > 0; })`)
	shot("list-dark")
	b.do(t, chromedp.Navigate(b.api.URL+"/connect?session_token="+shotsToken))
	wait("the list", `!document.getElementById('pb-list').hidden`)

	// The connecting card: one sentence about the sign-in window.
	b.do(t, chromedp.Click(chromedp.CSS(`button[data-key="slow"]`)))
	wait("the connecting card", `(function () {
  var s = document.querySelector('section[data-key="slow"]');
  return !s.hidden && s.querySelector('[aria-disabled="true"]') !== null;
})()`)
	text := visible()
	if !strings.Contains(text, "Finish signing in to GitHub in the window that opened.") || strings.Count(text, "window") != 1 {
		t.Errorf("the connecting card says:\n%s", text)
	}
	shot("connecting")
	// Back to the list, which closes the popup; then the form.
	b.do(t,
		chromedp.Click(chromedp.CSS(`section[data-key="slow"] [data-action="back"]`)),
		chromedp.Click(chromedp.CSS(`button[data-key="stripe"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section[data-key="stripe"] input[name="apiKey"]`)),
	)
	if text := visible(); !strings.Contains(text, "Connect Stripe") || strings.Contains(text, "API key)") {
		t.Errorf("the form says:\n%s", text)
	}
	shot("form")
	b.waitPopupsGone(t)

	// Links that do not open the page, each saying why.
	for _, tt := range []struct{ name, token, want string }{
		{"link-cut-short", "nango_connect_session_0123", "This is not a complete connect link"},
		{"link-gone", "nango_connect_session_" + strings.Repeat("0f", 32), "This link has expired or was cancelled."},
	} {
		b.do(t, chromedp.Navigate(b.api.URL+"/connect?session_token="+tt.token))
		wait(tt.name, `document.querySelector('[data-error-type]') !== null`)
		if text := visible(); !strings.Contains(text, tt.want) || strings.Contains(text, "any more") {
			t.Errorf("%s: the page says:\n%s", tt.name, text)
		}
		shot(tt.name)
	}
}
