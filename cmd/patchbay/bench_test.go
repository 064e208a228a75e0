package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchProxy runs a short `patchbay bench proxy` and checks the shape
// of what it prints: every run present, numbers that parse, no errors. It
// never judges the speed.
func TestBenchProxy(t *testing.T) {
	t.Parallel()
	out, err := run(t, nil, "bench", "proxy", "--duration", "200ms", "--concurrency", "1,4")
	if err != nil {
		t.Fatalf("bench proxy: %v\n%s", err, out)
	}

	runs := map[string]bool{}
	ratios := map[int]bool{}
	for _, line := range strings.Split(out, "\n") {
		// tabwriter pads columns with at least two spaces; cells hold at
		// most one ("≤ 60µs ✓").
		f := benchColumns.Split(strings.TrimSpace(line), -1)
		switch {
		case f[0] == "direct" || f[0] == "proxied":
			// MODE CONCURRENCY REQUESTS REQ/S P50 P99 ERRORS
			if len(f) != 7 {
				t.Fatalf("run row %q: want 7 columns", line)
			}
			benchAtoi(t, line, f[1])
			if n := benchAtoi(t, line, f[2]); n < 1 {
				t.Errorf("row %q: no requests", line)
			}
			if _, err := strconv.ParseFloat(f[3], 64); err != nil {
				t.Errorf("row %q: req/s: %v", line, err)
			}
			p50, p99 := benchDuration(t, line, f[4]), benchDuration(t, line, f[5])
			if p50 <= 0 || p99 < p50 {
				t.Errorf("row %q: p50 %s, p99 %s", line, p50, p99)
			}
			if e := benchAtoi(t, line, f[6]); e != 0 {
				t.Errorf("row %q: %d errors\n%s", line, e, out)
			}
			runs[f[0]+" "+f[1]] = true
		case len(f) == 7 && (f[0] == "1" || f[0] == "4"):
			// CONCURRENCY THROUGH/DIRECT TARGET ADDED-P50 TARGET CPU/CALL TARGET
			if _, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64); err != nil || !strings.HasSuffix(f[1], "%") {
				t.Errorf("ratio row %q: throughput %q is not a percentage", line, f[1])
			}
			benchDuration(t, line, f[3])
			// CPU is the whole process's, which the package's other
			// parallel tests share: on a loaded machine the proxied run's
			// share can come out below the direct run's, which the bench
			// prints as n/a without a target rather than a negative cost.
			if f[5] == "n/a" {
				if f[6] != "-" {
					t.Errorf("ratio row %q: CPU n/a with target %q", line, f[6])
				}
			} else {
				benchDuration(t, line, f[5])
				if !strings.HasPrefix(f[6], "≤ 60µs") {
					t.Errorf("ratio row %q: CPU target %q", line, f[6])
				}
			}
			ratios[benchAtoi(t, line, f[0])] = true
		}
	}
	for _, want := range []string{"direct 1", "proxied 1", "direct 4", "proxied 4"} {
		if !runs[want] {
			t.Errorf("no %q row in\n%s", want, out)
		}
	}
	if !ratios[1] || !ratios[4] {
		t.Errorf("ratio rows for concurrency 1 and 4 missing in\n%s", out)
	}
	if !strings.Contains(out, "Targets are for a 2-core machine") {
		t.Errorf("targets not printed:\n%s", out)
	}
}

func TestBenchProxyFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--concurrency", "1,0"}, "--concurrency"},
		{[]string{"--endpoint", "user"}, "--endpoint"},
		{[]string{"--endpoint", "//evil.example/user"}, "--endpoint"},
	}
	for _, tt := range tests {
		_, err := run(t, nil, append([]string{"bench", "proxy"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one naming %s", tt.args, err, tt.want)
		}
	}
}

var benchColumns = regexp.MustCompile(`\s{2,}`)

func benchAtoi(t *testing.T, line, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("row %q: %q is not a number", line, s)
	}
	return n
}

func benchDuration(t *testing.T, line, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("row %q: %q is not a duration", line, s)
	}
	return d
}
