package pbxapi_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// syncDir is the contract fake (fakeDir) in series 7 holding Alice (ts 2),
// Bob (deleted at ts 4) and Carol (ts 8).
func syncDir(t *testing.T) *fakeDir {
	d := newFakeDir(t)
	d.series = "7"
	d.seed(uuidA, "Alice", 2, false)
	d.seed(uuidB, "Bob", 4, true)
	d.seed(uuidC, "Carol", 8, false)
	return d
}

// seed stores an entry as it stands at timestamp ts (deleted: its tombstone).
func (d *fakeDir) seed(uuid, name string, ts int64, deleted bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if deleted {
		d.deleted[uuid] = ts
	} else {
		e, _ := merge(dirTemplate(), map[string]any{"name": name}).(map[string]any)
		e["uuid"], e["timestamp"] = uuid, ts
		d.entries[uuid] = e
	}
	d.ts = max(d.ts, ts)
}

// iterators lists the iterator.timestamp of every dir/query, and how many
// dir/get requests there were.
func (d *fakeDir) iterators() ([]int64, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int64
	for _, b := range d.bodies["query"] {
		it, _ := b["iterator"].(map[string]any)
		ts, _ := it["timestamp"].(float64)
		out = append(out, int64(ts))
	}
	return out, d.hits["get"]
}

const (
	uuidA = "0000000A-0000-4000-8000-000000000001"
	uuidB = "0000000B-0000-4000-8000-000000000002"
	uuidC = "0000000C-0000-4000-8000-000000000003"
)

func TestRefreshEntry(t *testing.T) {
	type call struct {
		uuid, series string
		since        int64
		// want
		changed, deleted bool
		name             string
		watermark        int64
	}
	tests := []struct {
		name          string
		calls         []call
		wantIterators []int64
		wantGets      int
	}{
		{"nothing moved: one query, nothing changed", []call{
			{uuid: uuidA, series: "7", since: 9, watermark: 9},
			{uuid: uuidB, series: "7", since: 9, watermark: 9},
		}, []int64{9}, 0},
		{"an entry moved after the recorded point", []call{
			{uuid: uuidC, series: "7", since: 5, changed: true, name: "Carol", watermark: 8},
			{uuid: uuidA, series: "7", since: 5, watermark: 8},
		}, []int64{5}, 0},
		{"a later point is answered by the earlier query", []call{
			{uuid: uuidA, series: "7", since: 3, watermark: 8},
			{uuid: uuidB, series: "7", since: 6, watermark: 8},
		}, []int64{3}, 0},
		{"an earlier point needs a query from there", []call{
			{uuid: uuidA, series: "7", since: 6, watermark: 8},
			{uuid: uuidC, series: "7", since: 2, changed: true, name: "Carol", watermark: 8},
		}, []int64{6, 2}, 0},
		{"a deleted entry", []call{
			{uuid: uuidB, series: "7", since: 1, changed: true, deleted: true},
		}, []int64{1}, 0},
		{"uuids match case-insensitively", []call{
			{uuid: "0000000c-0000-4000-8000-000000000003", series: "7", since: 5, changed: true, name: "Carol", watermark: 8},
		}, []int64{5}, 0},
		{"another series resyncs every entry", []call{
			{uuid: uuidA, series: "6", since: 100, changed: true, name: "Alice", watermark: 8},
			{uuid: uuidB, series: "6", since: 100, changed: true, deleted: true},
			{uuid: uuidC, series: "7", since: 8, watermark: 8},
		}, []int64{100, 0}, 0},
		{"nothing recorded: dir/get, with the run's watermark", []call{
			{uuid: uuidA, changed: true, name: "Alice", watermark: 8},
			{uuid: uuidB, changed: true, deleted: true},
			{uuid: uuidC, changed: true, name: "Carol", watermark: 8},
		}, []int64{1 << 53}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := syncDir(t)
			c := dir.client(t)
			for i, cl := range tt.calls {
				ch, err := c.RefreshEntry(testCtx(t), cl.uuid, cl.series, cl.since)
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				name := ""
				if ch.Entry != nil && ch.Entry.Has("name") {
					name = ch.Entry.Name
				}
				if ch.Changed != cl.changed || ch.Deleted != cl.deleted || name != cl.name || ch.Watermark != cl.watermark || ch.Series != "7" {
					t.Errorf("call %d: changed=%t deleted=%t name=%q watermark=%d series=%s, want %t %t %q %d 7",
						i, ch.Changed, ch.Deleted, name, ch.Watermark, ch.Series, cl.changed, cl.deleted, cl.name, cl.watermark)
				}
			}
			if iterators, gets := dir.iterators(); !slices.Equal(iterators, tt.wantIterators) || gets != tt.wantGets {
				t.Errorf("queries from %v and %d gets, want %v and %d", iterators, gets, tt.wantIterators, tt.wantGets)
			}
		})
	}
}

// Concurrent refreshes of a run share one dir/query; a failed query is
// reported to every caller waiting for it and not kept.
func TestRefreshEntryConcurrent(t *testing.T) {
	dir := syncDir(t)
	c := dir.client(t)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if ch, err := c.RefreshEntry(testCtx(t), uuidA, "7", 2); err != nil || ch.Changed {
				t.Errorf("RefreshEntry = %+v, %v", ch, err)
			}
		})
	}
	wg.Wait()
	if iterators, _ := dir.iterators(); len(iterators) != 1 {
		t.Errorf("%d queries for 100 concurrent refreshes, want 1", len(iterators))
	}

	broken := syncDir(t)
	broken.fault = func(_ string, _ int, _ bool, w http.ResponseWriter) bool {
		http.Error(w, "broken", http.StatusBadRequest)
		return true
	}
	cfg := fastConfig(broken.srv.URL)
	cfg.MaxRetries = -1
	bc := newClient(t, cfg)
	for range 2 {
		if _, err := bc.RefreshEntry(testCtx(t), uuidA, "7", 2); err == nil {
			t.Error("a failed query gave no error")
		}
	}
}

// A device that does not say its highest timestamp: an entry read with
// nothing recorded gets its own timestamp as watermark.
func TestRefreshEntryWithoutDeviceHigh(t *testing.T) {
	dir := syncDir(t)
	dir.fault = func(fn string, _ int, _ bool, w http.ResponseWriter) bool {
		if fn != "query" {
			return false
		}
		writeRaw(w, http.StatusOK, "application/json", `{"success":true,"result":{"series":"7","users":[]}}`)
		return true
	}
	ch, err := dir.client(t).RefreshEntry(testCtx(t), uuidA, "", 0)
	if err != nil || ch.Watermark != 2 {
		t.Fatalf("RefreshEntry = %+v, %v; want watermark 2", ch, err)
	}
}

// TestLinkEntry: entries that writes need at apply come from one read of the
// whole directory after the first, except entries the client wrote and
// entries the snapshot does not hold, which are read with dir/get.
func TestLinkEntry(t *testing.T) {
	const uuidD = "0000000D-0000-4000-8000-000000000004"
	d := syncDir(t)
	c := d.client(t)
	link := func(uuid string) string {
		t.Helper()
		ch, err := c.LinkEntry(testCtx(t), uuid)
		if err != nil {
			t.Fatalf("LinkEntry(%s): %v", uuid, err)
		}
		if ch.Deleted {
			return "(deleted)"
		}
		return ch.Entry.Name
	}
	step := func(name, uuid, want string, wantIterators []int64, wantGets int) {
		t.Helper()
		if got := link(uuid); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
		if its, gets := d.iterators(); !slices.Equal(its, wantIterators) || gets != wantGets {
			t.Errorf("%s: queries from %v and %d gets, want %v and %d", name, its, gets, wantIterators, wantGets)
		}
	}
	// The first read alone: the run's watermark, then dir/get.
	step("first", uuidA, "Alice", []int64{1 << 53}, 1)
	// Then the whole directory, once, for every later read.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if got := link(uuidC); got != "Carol" {
				t.Errorf("concurrent: %q", got)
			}
		})
	}
	wg.Wait()
	step("from the snapshot", uuidA, "Alice", []int64{1 << 53, 0}, 1)
	// An entry created after the snapshot, and a deleted one: asked.
	d.seed(uuidD, "Dave", 9, false)
	step("newer than the snapshot", uuidD, "Dave", []int64{1 << 53, 0}, 2)
	step("deleted", uuidB, "(deleted)", []int64{1 << 53, 0}, 3)
	// An entry this client wrote is never answered from the snapshot.
	if _, err := c.UpdateEntry(testCtx(t), uuidC, pbxapi.EntryFields{Name: "Carol"}, pbxapi.EntryFields{Name: "Caroline"}); err != nil {
		t.Fatal(err)
	}
	step("written", uuidC, "Caroline", []int64{1 << 53, 0}, 4)
	step("others still from the snapshot", uuidA, "Alice", []int64{1 << 53, 0}, 4)
}
