package syncs

import (
	"testing"
	"time"
)

// TestRetentionPace: Maintain runs every minute, retention at most once
// an hour per node, and the first tick after start applies it.
func TestRetentionPace(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Minute, false}, {59 * time.Minute, false}, {time.Hour, true}, {time.Hour + time.Second, false}, {3 * time.Hour, true}} {
		if got := s.retentionDue(t0.Add(step.at)); got != step.want {
			t.Fatalf("retentionDue at +%s = %v, want %v", step.at, got, step.want)
		}
	}
}
