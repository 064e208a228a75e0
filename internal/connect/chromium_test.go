package connect

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// StartChromium starts headless Chromium for a browser test, skipping the
// test when none is installed, and returns its first tab, alive for the
// whole test. When the test ends it fails on script errors and CSP
// violations in the console: a policy that blocks our own script or
// socket otherwise breaks the page silently. It is exported for the
// end-to-end tests of package connect_test.
func StartChromium(t *testing.T) context.Context {
	t.Helper()
	chromium := findChromium(t)
	// This machine has no network but loopback: no background traffic.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)

	var mu sync.Mutex
	var console []chromedp.ConsoleMessage
	// Subscribed before the browser starts, so no message is missed.
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m)
			mu.Unlock()
		}
	}()
	start, cancelStart := context.WithTimeout(tab, 15*time.Second)
	defer cancelStart()
	if err := chromedp.Do(start); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range console {
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				t.Errorf("browser console: %s %s (%s)", m.Type, m.Text, m.URL)
			}
		}
	})
	return tab
}

// RecordConsole collects the console messages and log entries of the
// browser behind tab from now on (security warnings such as a postMessage
// to the wrong origin are log entries, not exceptions), for checks beyond
// StartChromium's.
func RecordConsole(tab context.Context) func() []string {
	var mu sync.Mutex
	var lines []string
	go func() {
		for m, err := range chromedp.Console(tab) {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, string(m.Type)+" "+m.Text+" ("+m.URL+")")
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}

func findChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium binary found (chromium, chromium-browser, google-chrome)")
	return ""
}
