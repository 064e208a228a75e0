package sqlstore

import (
	"strings"
	"testing"
)

func TestParseQueries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		want    map[string]string
		wantErr string
	}{
		{name: "two", src: "-- file comment\n\n-- name: A\nSELECT 1;\n\n-- name: B\n-- why B\nSELECT\n  2;\n",
			want: map[string]string{"A": "SELECT 1;", "B": "SELECT\n  2;"}},
		{name: "empty file", src: "", want: map[string]string{}},
		{name: "statement before name", src: "SELECT 1;\n-- name: A\nSELECT 2;", wantErr: "before the first"},
		{name: "empty query", src: "-- name: A\n-- name: B\nSELECT 1;", wantErr: "query A is empty"},
		{name: "duplicate", src: "-- name: A\nSELECT 1;\n-- name: A\nSELECT 2;", wantErr: "defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseQueries(tt.src)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d queries, want %d: %q", len(got), len(tt.want), got)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("query %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
