package functions

import (
	"context"
	"encoding/json"

	"github.com/patchbay/patchbay/internal/fault"
)

// RecordLister is a Host that can list a sync's stored records, for
// nango.listRecords. It is apart from Host because only the server stores
// records: a host without it (a dry run, `patchbay test`) has none to
// list, and the function sees an empty list, as under Nango's test mock.
type RecordLister interface {
	// ListRecords returns a page of model's stored records after cursor
	// ("" for the first), each as GET /records shows it (with
	// _nango_metadata), and the cursor of the next page ("" when none).
	ListRecords(ctx context.Context, model, cursor string) (*RecordsPage, error)
}

// RecordsPage is one page of nango.listRecords.
type RecordsPage struct {
	Records    []json.RawMessage `json:"records"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

func opListRecords(x *execution, raw json.RawMessage) (func(ctx context.Context) (any, error), error) {
	var args struct {
		Model  string `json:"model"`
		Cursor string `json:"cursor,omitempty"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	if args.Model == "" {
		return nil, &HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "listRecords: the model name is required"}
	}
	h := x.host
	return func(ctx context.Context) (any, error) {
		l, ok := h.(RecordLister)
		if !ok {
			return &RecordsPage{Records: []json.RawMessage{}}, nil
		}
		page, err := l.ListRecords(ctx, args.Model, args.Cursor)
		if err != nil {
			return nil, err
		}
		if page.Records == nil {
			page.Records = []json.RawMessage{}
		}
		return page, nil
	}, nil
}
