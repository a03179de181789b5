package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// followLiveHeap keeps the soft memory limit above the live heap. A fixed
// limit below the live heap makes the collector run back to back: a plan
// reading 10,000 directory entries at once keeps about 150 MB live, and under
// the 96 MB limit the provider spent 20 s of CPU on it instead of 5 s
// (BENCHMARKS.md). After every collection the limit becomes the larger of
// floor and twice the live heap: a large heap is then collected as GOGC=100
// would (a limit of 1.5 times the live heap, less the runtime's own memory,
// still cost 15 s instead of 6 s), and a small one stays under floor.
func followLiveHeap(floor int64) {
	onGC(func(live int64) {
		debug.SetMemoryLimit(max(floor, 2*live))
	})
}

// onGC calls fn with the live heap after every garbage collection (from the
// finalizer goroutine: fn must be quick) until the returned function is
// called.
func onGC(fn func(live int64)) (stop func()) {
	var stopped atomic.Bool
	// Finalizers run one at a time, and each collection re-arms one
	// sentinel: sample is never read concurrently.
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var rearm func(*gcSentinel)
	rearm = func(s *gcSentinel) {
		if stopped.Load() {
			return
		}
		metrics.Read(sample)
		if v := sample[0].Value; v.Kind() == metrics.KindUint64 {
			fn(int64(v.Uint64()))
		}
		runtime.SetFinalizer(s, rearm) // runs again after the next collection
	}
	runtime.SetFinalizer(&gcSentinel{}, rearm)
	return func() { stopped.Store(true) }
}

// gcSentinel is an unreachable object whose finalizer runs once per garbage
// collection and re-arms itself.
type gcSentinel struct{ _ [32]byte }
