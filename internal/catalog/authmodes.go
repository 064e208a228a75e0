package catalog

import (
	"fmt"

	"github.com/patchbay/patchbay/internal/authmode"
)

// AuthModeSupported reports whether Patchbay implements the named auth mode
// (internal/authmode registers it, in full), so callers outside the catalog
// (the connect flow, the API) can reject an unsupported mode before they
// look a provider up.
func AuthModeSupported(mode string) bool {
	m, ok := authmode.Lookup(mode)
	return ok && !m.Partial
}

// unsupportedReason returns why an entry with this mode cannot be used yet,
// or "" when it can.
func unsupportedReason(mode string) string {
	if AuthModeSupported(mode) {
		return ""
	}
	return fmt.Sprintf("auth mode %q is not supported yet", mode)
}
