package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var rearm func(*gcSentinel)
	rearm = func(s *gcSentinel) {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live := int64(sample[0].Value.Uint64())
			debug.SetMemoryLimit(max(floor, 2*live))
		}
		runtime.SetFinalizer(s, rearm) // runs again after the next collection
	}
	runtime.SetFinalizer(&gcSentinel{}, rearm)
}

// gcSentinel is an unreachable object whose finalizer runs once per garbage
// collection and re-arms itself.
type gcSentinel struct{ _ [32]byte }
