package functions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MinFrequency is the shortest interval a sync may run at.
const MinFrequency = 30 * time.Second

// frequencyUnits are the units a sync's frequency may name, in the forms
// Nango's templates write them ("every 5 minutes", "every hour", "1h",
// "30m", "every half hour").
var frequencyUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseFrequency reads a sync's frequency: "every hour", "every 5
// minutes", "every half hour", "every day", "1h", "30m", "every 1.5 hours"…
// It refuses an unknown form and anything under MinFrequency.
func ParseFrequency(s string) (time.Duration, error) {
	f := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if f == "" {
		return 0, fmt.Errorf("a sync needs a frequency, such as \"every hour\" or \"30m\"")
	}
	f = strings.TrimPrefix(f, "every ")
	var d time.Duration
	switch f {
	case "half hour", "half an hour", "30 minutes":
		d = 30 * time.Minute
	case "quarter hour", "quarter of an hour":
		d = 15 * time.Minute
	default:
		num, unit := splitFrequency(f)
		per, ok := frequencyUnits[unit]
		if !ok {
			return 0, fmt.Errorf("frequency %q: the unit must be seconds, minutes, hours, days or weeks", s)
		}
		n := 1.0
		if num != "" {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v <= 0 || v > 1e6 {
				return 0, fmt.Errorf("frequency %q: %q is not a positive number", s, num)
			}
			n = v
		}
		d = time.Duration(n * float64(per))
	}
	if d < MinFrequency {
		return 0, fmt.Errorf("frequency %q is shorter than the minimum of %s", s, MinFrequency)
	}
	return d, nil
}

// splitFrequency splits "5 minutes", "5minutes" or "hour" into its
// number ("" when none) and unit.
func splitFrequency(f string) (string, string) {
	i := 0
	for i < len(f) && (f[i] >= '0' && f[i] <= '9' || f[i] == '.') {
		i++
	}
	return f[:i], strings.TrimSpace(f[i:])
}
