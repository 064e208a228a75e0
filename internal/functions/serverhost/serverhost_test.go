package serverhost

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// TestSetMetadataKeepsTheDocumentRules: what a function hands setMetadata
// is checked before the connection is touched (no services are needed to
// refuse it), with the API's cap.
func TestSetMetadataKeepsTheDocumentRules(t *testing.T) {
	t.Parallel()
	h := New(&Deps{}, Target{EnvironmentID: "env", IntegrationKey: "github", ConnectionID: "c1"})
	for _, tt := range []struct {
		name     string
		metadata map[string]any
		code     string
		status   int
		mentions string
	}{
		{"over the cap", map[string]any{"big": strings.Repeat("x", store.DocMetadata.Max)}, "document_too_large", 413, "at most 1 MiB"},
		{"NUL", map[string]any{"a": "x\x00"}, "invalid_document", 400, "metadata.a"},
	} {
		err := h.SetMetadata(t.Context(), tt.metadata, tt.name == "NUL")
		var he *functions.HostError
		if !errors.As(err, &he) || he.Code != tt.code || httperr.Status(he.Kind) != tt.status || !strings.Contains(he.Message, tt.mentions) {
			t.Errorf("%s: SetMetadata = %#v, want a %d %s mentioning %q", tt.name, err, tt.status, tt.code, tt.mentions)
		}
	}
}

// TestHostErrorOfAStoreRefusal: a merge the store refuses (the result
// grew past the cap) reaches the function as the same clear error.
func TestHostErrorOfAStoreRefusal(t *testing.T) {
	t.Parallel()
	err := hostError(fmt.Errorf("set metadata of connection %q: %w", "c1", &store.DocumentError{Doc: "metadata", Code: "too_big", Message: "is 2000000 bytes; at most 1 MiB is allowed"}))
	var he *functions.HostError
	if !errors.As(err, &he) || he.Code != "document_too_large" || he.Message != "metadata: is 2000000 bytes; at most 1 MiB is allowed" {
		t.Fatalf("hostError = %#v", err)
	}
}
