//go:build unix && !linux

package main

import "syscall"

// killSysProcAttr puts the server child in its own process group, so that
// a kill reaches anything it starts. Only Linux can tie the child's life
// to the test process's.
func killSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
