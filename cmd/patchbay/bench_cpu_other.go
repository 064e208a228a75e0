//go:build !unix

package main

import "time"

// processCPU cannot read process CPU time here; the bench prints n/a.
func processCPU() (time.Duration, bool) { return 0, false }
