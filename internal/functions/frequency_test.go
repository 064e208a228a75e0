package functions

import (
	"testing"
	"time"
)

func TestParseFrequency(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"every hour", time.Hour},
		{"every 5 minutes", 5 * time.Minute},
		{"every half hour", 30 * time.Minute},
		{"every half an hour", 30 * time.Minute},
		{"every day", 24 * time.Hour},
		{"every week", 7 * 24 * time.Hour},
		{"1h", time.Hour},
		{"30m", 30 * time.Minute},
		{"every 30 seconds", 30 * time.Second},
		{"Every  2 Hours", 2 * time.Hour},
		{"every 1.5 hours", 90 * time.Minute},
		{"every 1d", 24 * time.Hour},
		{"every 15min", 15 * time.Minute},
	}
	for _, c := range ok {
		got, err := ParseFrequency(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseFrequency(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "every", "sometimes", "every 10 seconds", "5", "every -1 hours", "every 0 minutes", "every 2 fortnights", "1e9h"} {
		if d, err := ParseFrequency(in); err == nil {
			t.Errorf("ParseFrequency(%q) = %v, want an error", in, d)
		}
	}
}
