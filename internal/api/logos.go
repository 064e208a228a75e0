package api

import (
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"strings"
	"unicode"

	"github.com/patchbay/patchbay/internal/logos"
)

// logo serves each catalog provider's logo (package logos, from
// simple-icons), or a generated monogram for a provider without one, so
// the logo URLs in API responses and the Connect UI always resolve.
func (s *Server) logo(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	p, found := s.catalog.Lookup(name)
	if !ok || !found {
		s.writeError(w, r, newError(http.StatusNotFound, "not_found", "no logo for %q", r.PathValue("file")))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	// Opened on its own, an SVG is a document: it may run nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if svg, ok := logos.SVG(p.Name); ok {
		_, _ = w.Write(svg)
		return
	}
	fmt.Fprint(w, monogram(p.Name, p.DisplayName))
}

// monogram draws up to two initials on a disc whose hue is derived from the
// provider name, so each provider keeps a stable, distinct colour.
func monogram(name, displayName string) string {
	label := displayName
	if label == "" {
		label = name
	}
	var initials []rune
	for _, word := range strings.FieldsFunc(label, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		initials = append(initials, unicode.ToUpper([]rune(word)[0]))
		if len(initials) == 2 {
			break
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	hue := h.Sum32() % 360
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="%s">`+
		`<circle cx="32" cy="32" r="32" fill="hsl(%d,55%%,45%%)"/>`+
		`<text x="32" y="41" font-family="system-ui,sans-serif" font-size="24" font-weight="600" text-anchor="middle" fill="#fff">%s</text></svg>`,
		html.EscapeString(label), hue, html.EscapeString(string(initials)))
}
