package catalog

import "fmt"

// supportedAuthModes are the auth modes the catalog accepts: those
// internal/authmode registers (where everything about a mode lives; other
// packages ask that registry, not mode names), less those it only knows
// the integration credentials of. authmode's tests keep the two in step.
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
