package functions

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
	// The sandbox's Intl resolves IANA time zones here; the embedded
	// database keeps that working on hosts without /usr/share/zoneinfo
	// (distroless images).
	_ "time/tzdata"
)

// zones caches loaded locations: LoadLocation reads and parses the zone
// file each time, and a sync formats dates by the thousand.
var zones sync.Map // name → *time.Location

// opTimeZone is Intl's view of a time zone at an instant: the offset from
// UTC in minutes and the zone's abbreviation then. An error is an
// unknown zone, which intl.js throws as Intl's RangeError.
func opTimeZone(_ *execution, raw json.RawMessage) (any, error) {
	var args struct {
		Zone string  `json:"zone"`
		Ms   float64 `json:"ms"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, err
	}
	loc, ok := zones.Load(args.Zone)
	if !ok {
		l, err := time.LoadLocation(args.Zone)
		if err != nil || args.Zone == "" || args.Zone == "Local" {
			return nil, fmt.Errorf("unknown time zone %q", args.Zone)
		}
		loc, _ = zones.LoadOrStore(args.Zone, l)
	}
	t := time.UnixMilli(int64(args.Ms)).In(loc.(*time.Location))
	name, offset := t.Zone()
	return map[string]any{"offset": offset / 60, "name": name}, nil
}
