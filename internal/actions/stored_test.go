package actions

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// storedFailureJSON is a failed run's error as every stored run holds it:
// changing it is a data migration, whatever the wire type does.
const storedFailureJSON = `{"type":"action_error","message":"boom","payload":{"a":1}}`

func TestStoredFailureEncoding(t *testing.T) {
	t.Parallel()
	f := &functions.Failure{Type: "action_error", Message: "boom", Payload: json.RawMessage(`{"a":1}`)}
	if got := string(mustJSON(toStoredFailure(f))); got != storedFailureJSON {
		t.Fatalf("a failure is stored as %s, want %s", got, storedFailureJSON)
	}
	e := FailureOf(&store.ActionRun{Error: json.RawMessage(storedFailureJSON)})
	if e.Failure == nil || !reflect.DeepEqual(*e.Failure, *f) {
		t.Fatalf("FailureOf(%s).Failure = %+v, want %+v", storedFailureJSON, e.Failure, f)
	}
}
