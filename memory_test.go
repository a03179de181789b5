package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestFollowLiveHeap: after collections, the soft limit is at least twice the live
// heap, and never below the floor.
func TestFollowLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	const floor = 8 << 20
	debug.SetMemoryLimit(floor)
	followLiveHeap(floor)
	live := make([][]byte, 0, 64)
	for range 64 {
		live = append(live, make([]byte, 1<<20)) // 64 MB live, far above the floor
	}
	var limit int64
	for range 200 { // the finalizer runs in its own goroutine after a collection
		runtime.GC()
		runtime.Gosched()
		if limit = debug.SetMemoryLimit(-1); limit >= 2*(64<<20) {
			break
		}
	}
	if limit < 2*(64<<20) {
		t.Errorf("limit %d with 64 MB live, want at least twice that", limit)
	}
	runtime.KeepAlive(live) // the last use: from here on the 64 MB are garbage
	for range 200 {
		runtime.GC()
		runtime.Gosched()
		if limit = debug.SetMemoryLimit(-1); limit == floor {
			break
		}
	}
	if limit != floor {
		t.Errorf("limit %d once the heap is small again, want the floor %d", limit, floor)
	}
}
