package main

import (
	"strconv"
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

// TestBenchSync runs `patchbay bench sync` on a small portal and checks the
// shape of its table: the sync and both reads, every contact counted, rates
// and RSS that parse. It never judges the speed.
func TestBenchSync(t *testing.T) {
	t.Parallel()
	if benchUnderRace {
		t.Skip("the race detector makes the engine's work about 20 times slower")
	}
	out, err := run(t, nil, "bench", "sync", "--contacts", "1500", "--timeout", "1m")
	if err != nil {
		t.Fatalf("bench sync: %v\n%s", err, out)
	}
	phases := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := benchColumns.Split(strings.TrimSpace(line), -1)
		if len(f) != 7 || f[0] == "PHASE" {
			continue
		}
		// PHASE RECORDS TIME RECORDS/S TARGET PEAK-RSS TARGET
		if n := benchAtoi(t, line, f[1]); n != 1500 {
			t.Errorf("row %q: %d records, want 1500", line, n)
		}
		if d := benchDuration(t, line, f[2]); d <= 0 {
			t.Errorf("row %q: time %s", line, d)
		}
		if r, err := strconv.ParseFloat(f[3], 64); err != nil || r <= 0 {
			t.Errorf("row %q: records/s %q", line, f[3])
		}
		if !strings.HasSuffix(f[5], " MB") && f[5] != "n/a" {
			t.Errorf("row %q: peak RSS %q", line, f[5])
		}
		phases[f[0]] = true
	}
	for _, want := range []string{"sync (end to end)", "read, limit 1000", "read, limit 1000 again", "read, limit 10000"} {
		if !phases[want] {
			t.Errorf("no %q row in\n%s", want, out)
		}
	}
}
