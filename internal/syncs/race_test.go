//go:build race

package syncs_test

// raceEnabled tells tests whose cost scales with the sandbox's work that
// the race detector multiplies it.
const raceEnabled = true
