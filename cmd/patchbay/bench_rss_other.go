//go:build !linux

package main

// currentRSS is unknown outside Linux; the benchmark prints n/a.
func currentRSS() (int64, bool) { return 0, false }
