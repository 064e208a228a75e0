// Package logos holds the providers' logos that Patchbay serves at
// /images/template-logos/{provider}.svg and shows in the Connect UI.
//
// They are generated from the simple-icons npm package (CC0; the marks
// stay their owners' trademarks) for the catalog's providers that
// simple-icons has: go generate ./internal/logos reads the package (it
// runs npm pack itself, or takes -simple-icons DIR), draws each glyph in
// its brand colour on a tile that reads on light and dark pages, and
// writes icons/ and icons.go. Providers without a logo here get a
// monogram from the server instead.
package logos
