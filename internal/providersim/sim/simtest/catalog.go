package simtest

import (
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Catalog parses the providers file p generates for baseURL, failing t
// when Patchbay's catalog rejects it.
func Catalog(t testing.TB, p sim.Provider, baseURL string) map[string]*catalog.Provider {
	t.Helper()
	entries, err := catalog.Parse([]byte(p.CatalogYAML(baseURL)), "sim")
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// Entry is the entry called name of p's providers file for baseURL,
// failing t unless it is there and Patchbay supports it.
func Entry(t testing.TB, p sim.Provider, baseURL, name string) *catalog.Provider {
	t.Helper()
	e := Catalog(t, p, baseURL)[name]
	if e == nil || !e.Supported() {
		t.Fatalf("%s entry missing or unsupported: %+v", name, e)
	}
	return e
}
