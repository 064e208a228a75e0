package sqlstore

import (
	"fmt"
	"time"
)

// dbTime scans a timestamp column read in bulk (GET /records' pages): a
// time.Time where the driver gives one (PostgreSQL), or the text SQLite
// stores (its queries select CAST(… AS TEXT)), parsed here by hand. The
// SQLite driver's own parsing tries layouts with time.Parse, which was a
// fifth of a page's cost.
type dbTime struct {
	Time  time.Time
	Valid bool
}

// sqliteLayout is how the SQLite driver writes times (_time_format=sqlite).
const sqliteLayout = "2006-01-02 15:04:05.999999999-07:00"

func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = dbTime{}
		return nil
	case time.Time:
		*t = dbTime{Time: v.UTC(), Valid: true}
		return nil
	case []byte:
		return t.parse(v)
	case string:
		return t.parse([]byte(v))
	}
	return fmt.Errorf("timestamp of type %T", src)
}

func (t *dbTime) parse(b []byte) error {
	if at, ok := parseSQLiteTime(b); ok {
		*t = dbTime{Time: at, Valid: true}
		return nil
	}
	at, err := time.Parse(sqliteLayout, string(b))
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", b, err)
	}
	*t = dbTime{Time: at.UTC(), Valid: true}
	return nil
}

// parseSQLiteTime parses sqliteLayout's UTC form, "2006-01-02
// 15:04:05[.fraction]+00:00", and reports false for anything else.
func parseSQLiteTime(b []byte) (time.Time, bool) {
	const head = len("2006-01-02 15:04:05")
	if len(b) < head+len("+00:00") || string(b[len(b)-6:]) != "+00:00" ||
		b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[head : len(b)-6]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(head+1, len(b)-6)
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}
