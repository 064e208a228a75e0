//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
)

// currentRSS is this process's resident set size in bytes, from
// /proc/self/statm (its second field, in pages).
func currentRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	fields := bytes.Fields(b)
	if len(fields) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
