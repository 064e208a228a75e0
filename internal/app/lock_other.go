//go:build !unix

package app

// lockDir is a no-op where flock is unavailable; running two processes on
// one data dir there is the operator's responsibility.
func lockDir(string) (func(), error) { return func() {}, nil }
