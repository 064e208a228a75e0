package logos

import (
	"embed"
	"fmt"
)

//go:generate go run ./gen -out .

//go:embed icons/*.svg
var files embed.FS

// SVG returns the logo of the catalog provider named provider, and
// whether it has one.
func SVG(provider string) ([]byte, bool) {
	file, ok := byProvider[provider]
	if !ok {
		return nil, false
	}
	b, err := files.ReadFile("icons/" + file)
	if err != nil {
		// icons.go and icons/ are generated together; only a broken
		// build gets here.
		panic(fmt.Sprintf("logos: %s listed but not embedded: %v", file, err))
	}
	return b, true
}
