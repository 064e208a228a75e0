//go:build !race

package syncs_test

const raceEnabled = false
