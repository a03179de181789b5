package pbxapi_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGetEntryParallel reads entries from concurrent goroutines (as a
// plan of many linked users does) against a directory that takes 2 ms per
// request, and reports how many dir/get requests each read cost.
func BenchmarkGetEntryParallel(b *testing.B) {
	d := &echoDir{delay: 2 * time.Millisecond}
	c := echoClient(b, d)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			uuid := fmt.Sprintf("%08X-0000-4000-8000-000000000000", i)
			if _, _, err := c.GetEntry(context.Background(), uuid, []string{"name"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	batches, _ := d.requests()
	b.ReportMetric(float64(len(batches))/float64(b.N), "requests/read")
}
