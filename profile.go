package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
)

// startProfiles profiles the provider process when PBX_PROFILE names a path
// prefix (a development aid for `make bench` and issue hunting):
//   - the CPU profile goes to <prefix>.<pid>.cpu.pprof;
//   - the heap profile at the largest live heap goes to
//     <prefix>.<pid>.peak.heap.pprof, written again after every collection
//     that finds the live heap 4 MiB above the last one written (its
//     inuse_space is what was live at that collection: what holds the peak),
//     and the goroutines at that moment to <prefix>.<pid>.peak.goroutine.pprof;
//   - when the process ends normally (Terraform shuts it down), the heap and
//     allocations profile to <prefix>.<pid>.heap.pprof.
//
// Read them with `go tool pprof`. The returned function ends the profiles.
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
	stopPeak := profilePeaks(base+".peak", 4<<20)
	return func() {
		stopPeak()
		pprof.StopCPUProfile()
		_ = cpu.Close()
		writeProfile(base+".heap.pprof", "allocs", true)
	}
}

// profilePeaks writes the heap and goroutine profiles to path.heap.pprof and
// path.goroutine.pprof whenever a collection finds
// the live heap step bytes above the live heap of the last profile written.
// The returned function stops it.
func profilePeaks(path string, step int64) func() {
	lives := make(chan int64, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var written int64
		for {
			select {
			case live := <-lives:
				if live >= written+step {
					written = live
					writeProfile(path+".heap.pprof", "heap", false)
					writeProfile(path+".goroutine.pprof", "goroutine", false)
				}
			case <-done:
				return
			}
		}
	}()
	stopHook := onGC(func(live int64) {
		select {
		case lives <- live:
		default: // the writer is busy: the next collection will tell again
		}
	})
	return func() {
		stopHook()
		close(done)
		wg.Wait()
	}
}

// writeProfile writes the named runtime profile to path, after a collection
// when gc is set.
func writeProfile(path, name string, gc bool) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "PBX_PROFILE:", err)
		return
	}
	defer f.Close()
	if gc {
		runtime.GC()
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, "PBX_PROFILE:", err)
	}
}
