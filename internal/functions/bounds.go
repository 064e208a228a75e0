package functions

import "time"

// MaxActionTimeout is the longest limit an action may be given, by the
// node's setting or an integration's. The job queue's rescue of stuck runs
// waits longer than this, so a live run is never started a second time.
const MaxActionTimeout = 24 * time.Hour
