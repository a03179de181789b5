package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles profiles the provider process when PBX_PROFILE names a path
// prefix (a development aid for `make bench` and issue hunting): the CPU
// profile goes to <prefix>.<pid>.cpu.pprof, and when the process ends
// normally (Terraform shuts it down) the heap and allocations profile to
// <prefix>.<pid>.heap.pprof. Read them with `go tool pprof`. The returned
// function ends the profiles.
func startProfiles(prefix string) func() {
	if prefix == "" {
		return func() {}
	}
	base := fmt.Sprintf("%s.%d", prefix, os.Getpid())
	cpu, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		fmt.Fprintln(os.Stderr, "PBX_PROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		fmt.Fprintln(os.Stderr, "PBX_PROFILE:", err)
		_ = cpu.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = cpu.Close()
		heap, err := os.Create(base + ".heap.pprof")
		if err != nil {
			fmt.Fprintln(os.Stderr, "PBX_PROFILE:", err)
			return
		}
		defer heap.Close()
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(heap, 0); err != nil {
			fmt.Fprintln(os.Stderr, "PBX_PROFILE:", err)
		}
	}
}
