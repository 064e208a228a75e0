package catalog

import "fmt"

// supportedAuthModes is the registry of auth modes Patchbay implements. It is
// the one place to touch when internal/auth gains a mode: every other package
// asks Provider.Supported instead of switching on mode names.
var supportedAuthModes = map[string]struct{}{
	"OAUTH2":    {},
	"OAUTH1":    {},
	"OAUTH2_CC": {},
	"API_KEY":   {},
	"BASIC":     {},
	"JWT":       {},
	"APP":       {},
	"CUSTOM":    {},
	"NONE":      {},
}

// AuthModeSupported reports whether Patchbay implements the named auth mode,
// so callers outside the catalog (the connect flow, the API) can reject an
// unsupported mode before they look a provider up.
func AuthModeSupported(mode string) bool {
	_, ok := supportedAuthModes[mode]
	return ok
}

// unsupportedReason returns why an entry with this mode cannot be used yet,
// or "" when it can.
func unsupportedReason(mode string) string {
	if AuthModeSupported(mode) {
		return ""
	}
	return fmt.Sprintf("auth mode %q is not supported yet", mode)
}
