//go:build race

package main

// benchUnderRace tells benchmark tests whose cost is the functions
// engine's work that the race detector multiplies it (about 20 times for
// QuickJS).
const benchUnderRace = true
