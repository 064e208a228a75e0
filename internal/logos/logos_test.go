package logos

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
)

// TestEveryProviderConsidered fails when the catalog gained a provider
// since the logos were generated: run go generate ./internal/logos.
func TestEveryProviderConsidered(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cat.All() {
		_, has := byProvider[p.Name]
		if has == slices.Contains(withoutLogo, p.Name) {
			t.Errorf("provider %q: in both or neither of byProvider and withoutLogo; run go generate ./internal/logos", p.Name)
		}
	}
}

// TestLogosAreInertSVG: what the server sends as image/svg+xml is a
// well-formed SVG with a title, and no script, link or foreign content.
func TestLogosAreInertSVG(t *testing.T) {
	t.Parallel()
	for provider := range byProvider {
		svg, ok := SVG(provider)
		if !ok || len(svg) == 0 {
			t.Errorf("%s: no logo", provider)
			continue
		}
		if len(svg) > 8<<10 {
			t.Errorf("%s: %d bytes, want a small icon", provider, len(svg))
		}
		d := xml.NewDecoder(bytes.NewReader(svg))
		var elems []string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: not well-formed: %v", provider, err)
				break
			}
			if se, ok := tok.(xml.StartElement); ok {
				elems = append(elems, se.Name.Local)
				for _, a := range se.Attr {
					if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || a.Name.Local == "href" {
						t.Errorf("%s: attribute %s", provider, a.Name.Local)
					}
				}
			}
		}
		if want := []string{"svg", "title", "rect", "path"}; !slices.Equal(elems, want) {
			t.Errorf("%s: elements %v, want %v", provider, elems, want)
		}
	}
	if _, ok := SVG("no-such-provider"); ok {
		t.Error("a logo for an unknown provider")
	}
}
