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

// TestOnGC: the hook runs after collections with a positive live heap, and
// no more once stopped.
func TestOnGC(t *testing.T) {
	calls := make(chan int64, 1000)
	stop := onGC(func(live int64) { calls <- live })
	var live int64
	for range 200 {
		runtime.GC()
		runtime.Gosched()
		select {
		case live = <-calls:
		default:
		}
		if live > 0 {
			break
		}
	}
	if live <= 0 {
		t.Fatalf("no call with a positive live heap after 200 collections")
	}
	stop()
	for range 5 { // a collection may be under way: let its finalizer run
		runtime.GC()
		runtime.Gosched()
	}
	for len(calls) > 0 {
		<-calls
	}
	for range 20 {
		runtime.GC()
		runtime.Gosched()
	}
	if n := len(calls); n > 0 {
		t.Errorf("%d calls after stop", n)
	}
}
