//go:build race

package functions

// raceEnabled tells tests whose cost scales with the engine's work that
// the race detector multiplies it (about 20 times for QuickJS).
const raceEnabled = true
