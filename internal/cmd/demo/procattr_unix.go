//go:build unix

package main

import "syscall"

// detachedProcAttr puts a child in its own process group, so that Ctrl-C in the
// terminal reaches only the demo, which then stops Terraform and the mock in order.
func detachedProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
