package main

import (
	"testing"

	"github.com/patchbay/patchbay/wire"
)

func TestRunResult(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		result  map[string]wire.RecordCounts
		invalid map[string]int
		want    string
	}{
		{"nothing", nil, nil, "no records changed"},
		{"zero invalid", nil, map[string]int{"Item": 0}, "no records changed"},
		{"changes", map[string]wire.RecordCounts{"Item": {Added: 2}}, nil, "Item: 2 added, 0 updated, 0 deleted"},
		{"changes and invalid", map[string]wire.RecordCounts{"Item": {Added: 2, Updated: 1}}, map[string]int{"Item": 3, "Note": 0},
			"Item: 2 added, 1 updated, 0 deleted, 3 invalid skipped"},
		{"invalid only", map[string]wire.RecordCounts{"Item": {Deleted: 1}}, map[string]int{"Note": 4},
			"Item: 0 added, 0 updated, 1 deleted; Note: 4 invalid skipped"},
	} {
		if got := runResult(tc.result, tc.invalid); got != tc.want {
			t.Errorf("%s: runResult = %q, want %q", tc.name, got, tc.want)
		}
	}
}
