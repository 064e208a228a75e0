// Command gen writes the logos of package logos from the simple-icons npm
// package: for every provider of the built-in catalog that simple-icons
// has, one SVG tile in icons/ (shared by providers of the same brand) and
// the provider-to-file table in icons.go.
//
//	go generate ./internal/logos                         # runs npm pack simple-icons@version
//	go run ./internal/logos/gen -out internal/logos -simple-icons DIR  # an unpacked package
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"html"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/catalog"
)

// simpleIconsVersion is the release the committed logos come from; bump
// it and run go generate to refresh them.
const simpleIconsVersion = "16.37.0"

// overrides name the simple-icons slug where neither the provider's name
// nor its display name leads there.
var overrides = map[string]string{
	"twitter": "x",
	"outlook": "microsoftoutlook",
}

type icon struct {
	Title   string `json:"title"`
	Slug    string `json:"slug"`
	Hex     string `json:"hex"`
	Source  string `json:"source"`
	License *struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"license"`
	Aliases struct {
		Aka []string `json:"aka"`
	} `json:"aliases"`
}

func main() {
	out := flag.String("out", ".", "package logos' directory")
	dir := flag.String("simple-icons", "", "an unpacked simple-icons package (default: npm pack simple-icons@"+simpleIconsVersion+")")
	flag.Parse()
	if err := run(*out, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "simple-icons-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if dir, err = fetch(tmp); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "data", "simple-icons.json"))
	if err != nil {
		return fmt.Errorf("read the simple-icons data (is %s an unpacked simple-icons package?): %w", dir, err)
	}
	var icons []icon
	if err := json.Unmarshal(raw, &icons); err != nil {
		return fmt.Errorf("simple-icons.json: %w", err)
	}
	index := make(map[string]*icon)
	for i := range icons {
		ic := &icons[i]
		if ic.Slug == "" {
			ic.Slug = slug(ic.Title)
		}
		for _, k := range append([]string{ic.Slug, slug(ic.Title)}, ic.Aliases.Aka...) {
			if _, taken := index[slug(k)]; !taken {
				index[slug(k)] = ic
			}
		}
	}

	cat, err := catalog.Builtin()
	if err != nil {
		return err
	}
	iconDir := filepath.Join(out, "icons")
	if err := os.RemoveAll(iconDir); err != nil {
		return err
	}
	if err := os.MkdirAll(iconDir, 0o755); err != nil {
		return err
	}
	byProvider := make(map[string]string)
	used := make(map[string]*icon)
	var without []string
	for _, p := range cat.All() {
		ic := find(index, p)
		if ic == nil {
			without = append(without, p.Name)
			continue
		}
		file := ic.Slug + ".svg"
		if used[file] == nil {
			svg, err := os.ReadFile(filepath.Join(dir, "icons", file))
			if err != nil {
				return err
			}
			tile, err := drawTile(ic, svg)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			if err := os.WriteFile(filepath.Join(iconDir, file), tile, 0o644); err != nil {
				return err
			}
			used[file] = ic
		}
		byProvider[p.Name] = file
	}
	if err := writeTable(filepath.Join(out, "icons.go"), byProvider, without); err != nil {
		return err
	}
	return writeNotice(filepath.Join(iconDir, "NOTICE.md"), used)
}

// fetch unpacks simple-icons@simpleIconsVersion from the npm registry
// into tmp and returns the package's directory.
func fetch(tmp string) (string, error) {
	cmd := exec.Command("npm", "pack", "--silent", "simple-icons@"+simpleIconsVersion)
	cmd.Dir = tmp
	cmd.Stderr = os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack simple-icons@%s: %w", simpleIconsVersion, err)
	}
	f, err := os.Open(filepath.Join(tmp, strings.TrimSpace(string(name))))
	if err != nil {
		return "", err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		// Only what we read; the package holds thousands of icons.
		if h.Typeflag != tar.TypeReg || !(h.Name == "package/data/simple-icons.json" || strings.HasPrefix(h.Name, "package/icons/")) {
			continue
		}
		dst := filepath.Join(tmp, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(dst, filepath.Join(tmp, "package")+string(filepath.Separator)) {
			return "", fmt.Errorf("unexpected path %q in the package", h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(tmp, "package"), nil
}

// find looks the provider up by, in order: an override, its name, its
// display name without a parenthesis, and its name without trailing
// "-variant" parts ("github-app-oauth" → "github").
func find(index map[string]*icon, p *catalog.Provider) *icon {
	var keys []string
	if o, ok := overrides[p.Name]; ok {
		keys = append(keys, o)
	}
	display, _, _ := strings.Cut(p.DisplayName, "(")
	keys = append(keys, p.Name, display)
	parts := strings.Split(p.Name, "-")
	for i := len(parts) - 1; i > 0; i-- {
		keys = append(keys, strings.Join(parts[:i], ""))
	}
	for _, k := range keys {
		if ic, ok := index[slug(k)]; ok && slug(k) != "" {
			return ic
		}
	}
	return nil
}

var slugReplacer = strings.NewReplacer("+", "plus", ".", "dot", "&", "and", "đ", "d", "ħ", "h", "ı", "i", "ĸ", "k", "ŀ", "l", "ł", "l", "ß", "ss", "ŧ", "t")

// slug is simple-icons' title-to-slug rule, less its removal of accents
// (which needs Unicode normalisation): an accented title's own slug is in
// the data, and the catalog's names are ASCII.
func slug(title string) string {
	s := slugReplacer.Replace(strings.ToLower(title))
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var pathData = regexp.MustCompile(`<path d="([^"]+)"\s*/>`)

// drawTile puts the 24×24 glyph, in its brand colour, on a 64×64 white
// tile, so black marks stay visible on a dark page; a colour too light
// for white becomes the tile, with the glyph dark on it.
func drawTile(ic *icon, svg []byte) ([]byte, error) {
	m := pathData.FindSubmatch(svg)
	if m == nil {
		return nil, errors.New("no single path in the icon")
	}
	hex := strings.ToLower(ic.Hex)
	if len(hex) != 6 {
		return nil, fmt.Errorf("colour %q is not six hex digits", ic.Hex)
	}
	tile, glyph := "#ffffff", "#"+hex
	lum, err := luminance(hex)
	if err != nil {
		return nil, err
	}
	// Contrast with white below 2:1.
	if 1.05/(lum+0.05) < 2 {
		tile, glyph = "#"+hex, "#111827"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img">`+
		`<title>%s</title><rect width="64" height="64" rx="14" fill="%s"/>`+
		`<path transform="translate(14 14) scale(1.5)" fill="%s" d="%s"/></svg>`+"\n",
		html.EscapeString(ic.Title), tile, glyph, m[1])
	return b.Bytes(), nil
}

// luminance is the WCAG relative luminance of a six-digit hex colour.
func luminance(hex string) (float64, error) {
	var lum float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		c, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0, fmt.Errorf("colour %q: %w", hex, err)
		}
		s := float64(c) / 255
		if s <= 0.03928 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		lum += weight * s
	}
	return lum, nil
}

func writeTable(file string, byProvider map[string]string, without []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./gen from simple-icons %s; DO NOT EDIT.\n\npackage logos\n\n", simpleIconsVersion)
	b.WriteString("// byProvider names each catalog provider's file in icons/.\nvar byProvider = map[string]string{\n")
	names := make([]string, 0, len(byProvider))
	for n := range byProvider {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\t%q: %q,\n", n, byProvider[n])
	}
	b.WriteString("}\n\n// withoutLogo are the catalog's providers simple-icons has no logo for;\n// they get a monogram.\nvar withoutLogo = []string{\n")
	slices.Sort(without)
	for _, n := range without {
		fmt.Fprintf(&b, "\t%q,\n", n)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(file, src, 0o644)
}

func writeNotice(file string, used map[string]*icon) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Logos\n\nGenerated by `go generate ./internal/logos` from [simple-icons](https://simpleicons.org) %s,\n", simpleIconsVersion)
	b.WriteString("released under CC0 1.0. The marks remain the trademarks of their owners; they are shown\n")
	b.WriteString("only to name the service an end user connects. Per icon, its source and, where simple-icons\nrecords one, its licence:\n\n")
	files := make([]string, 0, len(used))
	for f := range used {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		ic := used[f]
		line := fmt.Sprintf("- `%s`: %s, <%s>", f, ic.Title, ic.Source)
		if ic.License != nil {
			line += ", licence " + ic.License.Type
			if ic.License.URL != "" {
				line += " <" + ic.License.URL + ">"
			}
		}
		b.WriteString(line + "\n")
	}
	return os.WriteFile(file, b.Bytes(), 0o644)
}
