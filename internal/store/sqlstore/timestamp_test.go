package sqlstore

import (
	"testing"
	"time"
)

func TestDBTimeParsesWhatSQLiteStores(t *testing.T) {
	t.Parallel()
	for _, want := range []time.Time{
		time.Date(2026, 12, 6, 15, 4, 5, 0, time.UTC),
		time.Date(2026, 12, 6, 15, 4, 5, 500_000_000, time.UTC),
		time.Date(1999, 1, 31, 0, 0, 59, 123456789, time.UTC),
		time.Date(2030, 6, 1, 23, 59, 59, 1000, time.UTC),
	} {
		var got dbTime
		if err := got.Scan([]byte(want.Format(sqliteLayout))); err != nil || !got.Valid || !got.Time.Equal(want) {
			t.Errorf("Scan(%q) = %v, %v; want %v", want.Format(sqliteLayout), got.Time, err, want)
		}
	}
	// Another offset takes the slow path, to the same instant.
	var got dbTime
	if err := got.Scan("2026-12-06 17:04:05.25+02:00"); err != nil || !got.Time.Equal(time.Date(2026, 12, 6, 15, 4, 5, 250_000_000, time.UTC)) {
		t.Errorf("with an offset: %v, %v", got.Time, err)
	}
	if err := got.Scan(nil); err != nil || got.Valid {
		t.Errorf("Scan(nil) = %+v, %v", got, err)
	}
	if err := got.Scan("yesterday"); err == nil {
		t.Error("Scan of a non-time succeeded")
	}
}
