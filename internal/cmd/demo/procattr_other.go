//go:build !unix

package main

import "syscall"

// detachedProcAttr keeps the default process attributes where process groups
// are not available; children then see Ctrl-C themselves.
func detachedProcAttr() *syscall.SysProcAttr {
	return nil
}
