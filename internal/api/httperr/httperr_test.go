package httperr

import (
	"net/http"
	"testing"

	"github.com/patchbay/patchbay/internal/fault"
)

// Every kind has its own status and default code: a kind added to fault
// without a row here would answer 500.
func TestEveryKindHasARow(t *testing.T) {
	t.Parallel()
	seen := map[int]fault.Kind{}
	for k := fault.Internal; k <= fault.TooLarge; k++ {
		s := Status(k)
		if prev, dup := seen[s]; dup {
			t.Errorf("%v and %v both answer %d", prev, k, s)
		}
		seen[s] = k
		if k != fault.Internal && Code(k, "") == "server_error" {
			t.Errorf("%v has no default code", k)
		}
	}
	if Status(fault.Invalid) != http.StatusBadRequest || Code(fault.Invalid, "") != "invalid_body" || Code(fault.Invalid, "x") != "x" {
		t.Error("Invalid is not 400 invalid_body, or a domain code is not kept")
	}
}
