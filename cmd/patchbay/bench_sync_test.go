package main

import (
	"strings"
	"testing"
	"time"
)

func TestRecordsPage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		n    int
		next string
	}{
		{`{"records":[{"id":"1","_nango_metadata":{"cursor":"a"}},{"id":"2","_nango_metadata":{"cursor":"b"}}],"next_cursor":"b"}`, 2, "b"},
		{`{"records":[],"next_cursor":null}` + "\n", 0, ""},
		{`{"next_cursor":"c","records":[{"id":"1","_nango_metadata":{}}]}`, 1, "c"},
	} {
		n, next, err := recordsPage([]byte(tt.body))
		if err != nil || n != tt.n || next != tt.next {
			t.Errorf("recordsPage(%s) = %d, %q, %v; want %d, %q", tt.body, n, next, err, tt.n, tt.next)
		}
	}
	for _, bad := range []string{``, `[]`, `{"records":[]}`, `{"records":[],"next_cursor":5}`} {
		if _, _, err := recordsPage([]byte(bad)); err == nil {
			t.Errorf("recordsPage(%s) accepted it", bad)
		}
	}
}

func TestCheckBenchSyncFlags(t *testing.T) {
	t.Parallel()
	if err := checkBenchSyncFlags(1_000_000, "postgres://u:secret@localhost/db", time.Minute); err != nil {
		t.Fatal(err)
	}
	err := checkBenchSyncFlags(0, "mysql://u:secret@localhost/db", 0)
	if err == nil {
		t.Fatal("bad flags accepted")
	}
	for _, want := range []string{"--contacts", "--postgres", "--timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("%q echoes the password", err)
	}
}
