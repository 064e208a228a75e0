// Package dts ships the TypeScript declarations of the `nango` module
// that functions import, so `patchbay init` can put them in a project and
// editors and `tsc` check functions against what Patchbay's runtime has.
package dts

import _ "embed"

// NangoDTS is nango.d.ts: the types of createAction, createSync,
// createOnEvent, ActionError and the nango object their exec receives.
//
//go:embed nango.d.ts
var NangoDTS string
