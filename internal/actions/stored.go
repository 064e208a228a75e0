package actions

import (
	"encoding/json"

	"github.com/patchbay/patchbay/internal/functions"
)

// storedFailure is how a failed run's error is kept
// (store.ActionRun.Error, store.DocActionError): actions' own encoding,
// so that renaming a member of the wire type (wire.Failure) is never a
// data migration. Its names are those every stored run has today.
type storedFailure struct {
	Type    string          `json:"type"`
	Message string          `json:"message"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func toStoredFailure(f *functions.Failure) storedFailure {
	return storedFailure{Type: f.Type, Message: f.Message, Payload: f.Payload}
}

// decodeFailure reads a stored run's error.
func decodeFailure(b json.RawMessage) (*functions.Failure, error) {
	var s storedFailure
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &functions.Failure{Type: s.Type, Message: s.Message, Payload: s.Payload}, nil
}
