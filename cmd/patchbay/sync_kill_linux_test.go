package main

import "syscall"

// killSysProcAttr puts the server child in its own process group, so that
// a kill reaches anything it starts, and has the kernel kill it if the
// test process dies first (a panic, go test's -timeout): a server left
// running would hold its port and data dir.
func killSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
