package catalog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date placeholders: ${now}, ${now:FORMAT}, ${now+1:minutes:FORMAT}.
// FORMAT uses dayjs tokens because that is what Nango's file is written in
// (e.g. "ddd, DD MMM YYYY HH:mm:ss ZZ" for Cisco Duo, "YYYYMMDDTHHmmss[Z]"
// for AWS, "X" for epoch seconds).

func isNow(name string) bool {
	return name == "now" || strings.HasPrefix(name, "now:") ||
		strings.HasPrefix(name, "now+") || strings.HasPrefix(name, "now-")
}

type nowShift struct {
	n    int
	unit string
}

func parseNow(name string) (shift nowShift, layout string, err error) {
	rest := name[len("now"):]
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) < 2 {
			return shift, "", fmt.Errorf("invalid date placeholder ${%s}: want now±N:unit", truncate(name))
		}
		n, convErr := strconv.Atoi(parts[0])
		if convErr != nil {
			return shift, "", fmt.Errorf("invalid date placeholder ${%s}: bad offset", truncate(name))
		}
		unit := strings.TrimSuffix(parts[1], "s")
		switch unit {
		case "second", "minute", "hour", "day", "week", "month", "year":
		default:
			return shift, "", fmt.Errorf("invalid date placeholder ${%s}: unknown unit %q", truncate(name), parts[1])
		}
		shift = nowShift{n: n, unit: unit}
		rest = ""
		if len(parts) == 3 {
			rest = ":" + parts[2]
		}
	}
	switch {
	case rest == "":
		return shift, "", nil
	case rest[0] == ':':
		return shift, rest[1:], nil
	}
	return shift, "", fmt.Errorf("invalid date placeholder ${%s}", truncate(name))
}

func formatNow(name string, v Values) (string, error) {
	shift, layout, err := parseNow(name)
	if err != nil {
		return "", err
	}
	raw, ok := v["now"]
	if !ok {
		return "", &MissingValueError{Name: "now"}
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return "", fmt.Errorf("value for ${now} is not an RFC 3339 time")
	}
	t = t.UTC()
	switch shift.unit {
	case "second":
		t = t.Add(time.Duration(shift.n) * time.Second)
	case "minute":
		t = t.Add(time.Duration(shift.n) * time.Minute)
	case "hour":
		t = t.Add(time.Duration(shift.n) * time.Hour)
	case "day":
		t = t.AddDate(0, 0, shift.n)
	case "week":
		t = t.AddDate(0, 0, 7*shift.n)
	case "month":
		t = t.AddDate(0, shift.n, 0)
	case "year":
		t = t.AddDate(shift.n, 0, 0)
	}
	if layout == "" {
		return t.Format("2006-01-02T15:04:05.000Z07:00"), nil
	}
	return formatDayjs(t, layout), nil
}

// dayjsTokens are tried longest first at each position.
var dayjsTokens = []string{
	"YYYY", "YY", "MMMM", "MMM", "MM", "M", "DD", "D", "dddd", "ddd", "dd", "d",
	"HH", "H", "hh", "h", "mm", "m", "ss", "s", "SSS", "ZZ", "Z", "A", "a", "X", "x",
}

func formatDayjs(t time.Time, layout string) string {
	var b strings.Builder
	for i := 0; i < len(layout); {
		if layout[i] == '[' {
			if end := strings.IndexByte(layout[i:], ']'); end > 0 {
				b.WriteString(layout[i+1 : i+end])
				i += end + 1
				continue
			}
		}
		matched := false
		for _, tok := range dayjsTokens {
			if strings.HasPrefix(layout[i:], tok) {
				b.WriteString(dayjsToken(t, tok))
				i += len(tok)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(layout[i])
			i++
		}
	}
	return b.String()
}

func dayjsToken(t time.Time, tok string) string {
	switch tok {
	case "YYYY":
		return fmt.Sprintf("%04d", t.Year())
	case "YY":
		return fmt.Sprintf("%02d", t.Year()%100)
	case "MMMM":
		return t.Month().String()
	case "MMM":
		return t.Month().String()[:3]
	case "MM":
		return fmt.Sprintf("%02d", int(t.Month()))
	case "M":
		return strconv.Itoa(int(t.Month()))
	case "DD":
		return fmt.Sprintf("%02d", t.Day())
	case "D":
		return strconv.Itoa(t.Day())
	case "dddd":
		return t.Weekday().String()
	case "ddd":
		return t.Weekday().String()[:3]
	case "dd":
		return t.Weekday().String()[:2]
	case "d":
		return strconv.Itoa(int(t.Weekday()))
	case "HH":
		return fmt.Sprintf("%02d", t.Hour())
	case "H":
		return strconv.Itoa(t.Hour())
	case "hh":
		return fmt.Sprintf("%02d", hour12(t))
	case "h":
		return strconv.Itoa(hour12(t))
	case "mm":
		return fmt.Sprintf("%02d", t.Minute())
	case "m":
		return strconv.Itoa(t.Minute())
	case "ss":
		return fmt.Sprintf("%02d", t.Second())
	case "s":
		return strconv.Itoa(t.Second())
	case "SSS":
		return fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
	case "ZZ":
		return t.Format("-0700")
	case "Z":
		return t.Format("-07:00")
	case "A":
		return t.Format("PM")
	case "a":
		return t.Format("pm")
	case "X":
		return strconv.FormatInt(t.Unix(), 10)
	case "x":
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return tok
}

func hour12(t time.Time) int {
	h := t.Hour() % 12
	if h == 0 {
		return 12
	}
	return h
}
