package pbxapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// syncDirectory answers api/dir/query and api/dir/get as the contract says
// (query: every entry with timestamp > iterator, deleted ones as
// {uuid,deleted,timestamp}; another series: every entry) and records the
// iterators it was asked for.
type syncDirectory struct {
	mu        sync.Mutex
	series    string
	entries   map[string]syncEntry
	iterators []int64
	gets      int
	fail      bool
	noHigh    bool // query replies without the highest timestamp
}

type syncEntry struct {
	name    string
	ts      int64
	deleted bool
}

func (d *syncDirectory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Series   string `json:"series"`
		Iterator struct {
			Timestamp int64 `json:"timestamp"`
		} `json:"iterator"`
		Users []map[string]string `json:"users"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		http.Error(w, "broken", http.StatusBadRequest)
		return
	}
	view := func(id string, e syncEntry) map[string]any {
		if e.deleted {
			return map[string]any{"uuid": id, "deleted": true, "timestamp": e.ts}
		}
		return map[string]any{"uuid": id, "name": e.name, "timestamp": e.ts}
	}
	var users []map[string]any
	switch r.URL.Path {
	case "/api/dir/query":
		d.iterators = append(d.iterators, req.Iterator.Timestamp)
		after := req.Iterator.Timestamp
		if req.Series != d.series {
			after = 0
		}
		ids := make([]string, 0, len(d.entries))
		for id := range d.entries {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return int(d.entries[a].ts - d.entries[b].ts) })
		users = []map[string]any{}
		for _, id := range ids {
			if e := d.entries[id]; e.ts > after {
				users = append(users, view(id, e))
			}
		}
	case "/api/dir/get":
		d.gets++
		for _, u := range req.Users {
			e, ok := d.entries[u["uuid"]]
			if !ok || e.deleted {
				users = append(users, map[string]any{"uuid": u["uuid"], "errors": []any{map[string]any{"code": "EDIR_UUID_DOES_NOT_EXIST"}}})
				continue
			}
			users = append(users, view(u["uuid"], e))
		}
	default:
		http.NotFound(w, r)
		return
	}
	high := int64(0)
	for _, e := range d.entries {
		high = max(high, e.ts)
	}
	w.Header().Set("Content-Type", "application/json")
	result := map[string]any{"series": d.series, "timestamp": high, "users": users}
	if d.noHigh {
		delete(result, "timestamp")
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "result": result})
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
		}, []int64{100}, 0},
		{"nothing recorded: dir/get, with the run's watermark", []call{
			{uuid: uuidA, changed: true, name: "Alice", watermark: 8},
			{uuid: uuidB, changed: true, deleted: true},
			{uuid: uuidC, changed: true, name: "Carol", watermark: 8},
		}, []int64{1 << 53}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := &syncDirectory{series: "7", entries: map[string]syncEntry{
				uuidA: {name: "Alice", ts: 2},
				uuidB: {name: "Bob", ts: 4, deleted: true},
				uuidC: {name: "Carol", ts: 8},
			}}
			srv := httptest.NewServer(dir)
			t.Cleanup(srv.Close)
			c := newClient(t, fastConfig(srv.URL))
			for i, cl := range tt.calls {
				ch, err := c.RefreshEntry(testCtx(t), cl.uuid, cl.series, cl.since)
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				name := ""
				if ch.Entry != nil && ch.Entry.Entry != nil && ch.Entry.Entry.Name != nil {
					name = *ch.Entry.Entry.Name
				}
				if ch.Changed != cl.changed || ch.Deleted != cl.deleted || name != cl.name || ch.Watermark != cl.watermark || ch.Series != "7" {
					t.Errorf("call %d: changed=%t deleted=%t name=%q watermark=%d series=%s, want %t %t %q %d 7",
						i, ch.Changed, ch.Deleted, name, ch.Watermark, ch.Series, cl.changed, cl.deleted, cl.name, cl.watermark)
				}
			}
			if !slices.Equal(dir.iterators, tt.wantIterators) || dir.gets != tt.wantGets {
				t.Errorf("queries from %v and %d gets, want %v and %d", dir.iterators, dir.gets, tt.wantIterators, tt.wantGets)
			}
		})
	}
}

// Concurrent refreshes of a run share one dir/query; a failed query is
// reported to every caller waiting for it and not kept.
func TestRefreshEntryConcurrent(t *testing.T) {
	dir := &syncDirectory{series: "7", entries: map[string]syncEntry{uuidA: {name: "Alice", ts: 2}}}
	srv := httptest.NewServer(dir)
	t.Cleanup(srv.Close)
	c := newClient(t, fastConfig(srv.URL))
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if ch, err := c.RefreshEntry(testCtx(t), uuidA, "7", 2); err != nil || ch.Changed {
				t.Errorf("RefreshEntry = %+v, %v", ch, err)
			}
		})
	}
	wg.Wait()
	if len(dir.iterators) != 1 {
		t.Errorf("%d queries for 100 concurrent refreshes, want 1", len(dir.iterators))
	}

	broken := &syncDirectory{series: "7", fail: true}
	bsrv := httptest.NewServer(broken)
	t.Cleanup(bsrv.Close)
	cfg := fastConfig(bsrv.URL)
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
	dir := &syncDirectory{series: "7", noHigh: true, entries: map[string]syncEntry{uuidA: {name: "Alice", ts: 2}, uuidC: {name: "Carol", ts: 8}}}
	srv := httptest.NewServer(dir)
	t.Cleanup(srv.Close)
	ch, err := newClient(t, fastConfig(srv.URL)).RefreshEntry(testCtx(t), uuidA, "", 0)
	if err != nil || ch.Watermark != 2 {
		t.Fatalf("RefreshEntry = %+v, %v; want watermark 2", ch, err)
	}
}
