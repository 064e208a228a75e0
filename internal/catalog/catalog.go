package catalog

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
)

//go:embed providers.yaml
var builtinYAML []byte

// builtinSource names the embedded file in error messages.
const builtinSource = "providers.yaml"

// Catalog is a loaded, validated set of providers. It is immutable, so one
// Catalog can be shared by every request and worker without locking.
type Catalog struct {
	byName map[string]*Provider
	sorted []*Provider
}

// Builtin parses the embedded catalog. It does the work on every call
// (a few milliseconds) instead of caching in a package variable, so there is
// no global state; call it once at start.
func Builtin() (*Catalog, error) {
	return Load("")
}

// Load returns the built-in catalog with, when overlayPath is not empty,
// the user's Nango-format providers file over it: an entry of the same name
// replaces the built-in one, and aliases resolve across both files. Entries
// of the user's file that lack a URL their auth mode needs are kept but
// marked unusable rather than failing the load (Nango's own file has some).
func Load(overlayPath string) (*Catalog, error) {
	raws, err := parseRaw(builtinYAML, builtinSource)
	if err != nil {
		return nil, fmt.Errorf("catalog: built-in providers: %w", err)
	}
	strictNames := make(map[string]bool, len(raws))
	for name := range raws {
		strictNames[name] = true
	}
	if overlayPath != "" {
		data, err := os.ReadFile(overlayPath)
		if err != nil {
			return nil, fmt.Errorf("catalog: read providers file %q: %w", overlayPath, err)
		}
		overlay, err := parseRaw(data, overlayPath)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err) // the error names the file
		}
		for name, r := range overlay {
			raws[name] = r
			delete(strictNames, name)
		}
	}
	providers, err := build(raws, false)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	// Our own entries must be complete; only a user's file gets leniency.
	for name := range strictNames {
		if p := providers[name]; p != nil && !p.Supported() && AuthModeSupported(p.AuthMode) {
			return nil, fmt.Errorf("catalog: built-in provider %q: %s", name, p.Unsupported)
		}
	}
	return newCatalog(providers), nil
}

func newCatalog(providers map[string]*Provider) *Catalog {
	c := &Catalog{byName: providers, sorted: make([]*Provider, 0, len(providers))}
	for _, p := range providers {
		c.sorted = append(c.sorted, p)
	}
	sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].Name < c.sorted[j].Name })
	return c
}

// Lookup returns the named provider. The result is shared: treat it as
// read-only.
func (c *Catalog) Lookup(name string) (*Provider, bool) {
	p, ok := c.byName[name]
	return p, ok
}

// All returns every provider sorted by name, for GET /providers. The slice
// is a copy; the providers are shared and read-only.
func (c *Catalog) All() []*Provider {
	return append([]*Provider(nil), c.sorted...)
}

// Len is the number of providers, supported or not.
func (c *Catalog) Len() int { return len(c.sorted) }
