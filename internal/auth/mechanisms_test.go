package auth

import (
	"testing"

	"github.com/patchbay/patchbay/internal/authmode"
)

// TestEveryModesMechanismRuns: each kind of browser flow and minting a
// registered mode picks has its entry here, so a mode added with a new
// kind but no token request fails this test, not an end user's connect or
// a refresh. A mode with a form mints its first credentials only through
// a kind that can (or mints none).
func TestEveryModesMechanismRuns(t *testing.T) {
	t.Parallel()
	authmode.Each(func(m *authmode.Mode) {
		if m.Browser != authmode.BrowserNone {
			if f, ok := browserFlows[m.Browser]; !ok || f.start == nil || f.complete == nil {
				t.Errorf("%s: browser flow kind %d has no start and complete in browserFlows", m.Name, m.Browser)
			}
		}
		if m.Mint != authmode.MintNone {
			if mt, ok := minters[m.Mint]; !ok || mt.again == nil {
				t.Errorf("%s: mint kind %d has no renewal in minters", m.Name, m.Mint)
			}
			if m.Form != nil && minters[m.Mint].first == nil {
				t.Errorf("%s: its form's credentials are minted by kind %d, which cannot mint from typed credentials", m.Name, m.Mint)
			}
		}
	})
}
