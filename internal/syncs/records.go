package syncs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/store"
)

// RecordTarget names whose records a request reads: the connection (from
// the Connection-Id and Provider-Config-Key headers) and the model and
// variant.
type RecordTarget struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	Model          string
	Variant        string
}

// scope checks a target: the connection exists and one of the
// integration's deployed syncs declares the model.
func (s *Service) scope(ctx context.Context, t RecordTarget, modelField string) (store.RecordScope, error) {
	var missing []string
	if t.IntegrationKey == "" {
		missing = append(missing, "Provider-Config-Key")
	}
	if t.ConnectionID == "" {
		missing = append(missing, "Connection-Id")
	}
	if len(missing) > 0 {
		return store.RecordScope{}, &Error{Kind: fault.Invalid, Code: "invalid_headers", Field: missing[0],
			Message: fmt.Sprintf("the %s header is required", strings.Join(missing, " and "))}
	}
	if t.Model == "" {
		return store.RecordScope{}, &Error{Kind: fault.Invalid, Code: "invalid_query_params", Field: modelField, Message: "model is required"}
	}
	c, err := s.o.Connections.Get(ctx, t.EnvironmentID, t.IntegrationKey, t.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return store.RecordScope{}, notFound("unknown_connection", "no connection %s for integration %s", t.ConnectionID, t.IntegrationKey)
	}
	if err != nil {
		return store.RecordScope{}, fmt.Errorf("connection %s: %w", t.ConnectionID, err)
	}
	defs, err := s.syncDefs(ctx, t.EnvironmentID, t.IntegrationKey)
	if err != nil {
		return store.RecordScope{}, err
	}
	found, known := declares(defs, t.Model)
	if !found {
		return store.RecordScope{}, &Error{Kind: fault.Invalid, Code: "unknown_model", Field: modelField,
			Message: fmt.Sprintf("no sync of integration %s declares the model %q (models: %s)", t.IntegrationKey, t.Model, strings.Join(known, ", "))}
	}
	variant := t.Variant
	if variant == "" {
		variant = store.DefaultVariant
	}
	return store.RecordScope{EnvironmentID: t.EnvironmentID, ConnectionRef: c.ID, Model: t.Model, Variant: variant}, nil
}

// ListRecords serves GET /records: q carries the query parameters as
// given; their errors name them.
func (s *Service) ListRecords(ctx context.Context, t RecordTarget, q records.Query) (*records.Page, error) {
	scope, err := s.scope(ctx, t, "model")
	if err != nil {
		return nil, err
	}
	q.Scope = scope
	parsed, err := records.Parse(q)
	if err != nil {
		return nil, err
	}
	return s.o.Records.List(ctx, parsed)
}

// PruneRecords serves PATCH /records/prune: the payloads of up to limit
// (0: the default) of the model's records up to the cursor are dropped,
// oldest first; more is whether some are left.
func (s *Service) PruneRecords(ctx context.Context, t RecordTarget, untilCursor string, limit int) (n int, more bool, err error) {
	scope, err := s.scope(ctx, t, "model")
	if err != nil {
		return 0, false, err
	}
	return s.o.Records.Prune(ctx, scope, untilCursor, limit)
}

// declares reports whether a deployed sync declares model, and else the
// models they declare.
func declares(defs map[string]*functions.Definition, model string) (bool, []string) {
	var known []string
	for _, def := range defs {
		for m := range def.Models {
			if m == model {
				return true, nil
			}
			known = append(known, m)
		}
	}
	slices.Sort(known)
	return false, slices.Compact(known)
}
