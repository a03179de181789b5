package pbxapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// reset renumbers the directory in a new series as a reset does: keep
// retains the live entries (timestamps 1..n in their old order, tombstones
// gone), otherwise it is wiped.
func (d *fakeDir) reset(series string, keep bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	live := make([]map[string]any, 0, len(d.entries))
	for _, e := range d.entries {
		live = append(live, e)
	}
	slices.SortFunc(live, func(a, b map[string]any) int { return int(entryTS(a) - entryTS(b)) })
	d.series, d.ts = series, 0
	d.entries, d.deleted = map[string]map[string]any{}, map[string]int64{}
	if !keep {
		return
	}
	for _, e := range live {
		d.ts++
		e["timestamp"] = d.ts
		d.entries[strings.ToUpper(fmt.Sprint(e["uuid"]))] = e
	}
}

// queryReadings are the device readings of dir/query a client must work
// with (design/api/README.md, rules 13 and 17-18).
var queryReadings = []struct {
	name  string
	apply func(*fakeDir)
}{
	{"documented: foreign series lists nothing", func(*fakeDir) {}},
	{"old contract: foreign series lists everything", func(d *fakeDir) { d.foreignAll = true }},
	{"inclusive iterator (>=)", func(d *fakeDir) { d.iteratorGE = true }},
	{"empty reply without users", func(d *fakeDir) { d.emptyShape = "timestamp" }},
	{"reply without timestamp", func(d *fakeDir) { d.emptyShape = "users" }},
}

// TestQueryEntriesReadings: whatever the reading, a query lists each change
// after the iterator once, nothing at or before it, and a series other than
// the one asked for is followed by a read of the whole directory in the new
// series from iterator 0.
func TestQueryEntriesReadings(t *testing.T) {
	type want struct {
		series    string
		resync    bool
		entries   []string // uuid@timestamp, "-" suffix for deleted
		iterators []int64
		timestamp int64 // when the reading carries it
	}
	for _, r := range queryReadings {
		for _, tt := range []struct {
			name   string
			series string
			since  int64
			want   want
		}{
			{"changes after 2", "7", 2, want{"7", false, []string{uuidB + "@4-", uuidC + "@8"}, []int64{2}, 8}},
			{"changes after 4", "7", 4, want{"7", false, []string{uuidC + "@8"}, []int64{4}, 8}},
			{"nothing after 8", "7", 8, want{"7", false, nil, []int64{8}, 8}},
			{"no series named: the device's", "", 0, want{"7", false, []string{uuidA + "@2", uuidB + "@4-", uuidC + "@8"}, []int64{0}, 8}},
			{"another series: read again from 0", "6", 100, want{"7", true, []string{uuidA + "@2", uuidB + "@4-", uuidC + "@8"}, []int64{100, 0}, 8}},
		} {
			t.Run(r.name+"/"+tt.name, func(t *testing.T) {
				d := syncDir(t)
				r.apply(d)
				res, err := d.client(t).QueryEntries(testCtx(t), tt.series, tt.since, []string{})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range res.Entries {
					s := fmt.Sprintf("%s@%d", e.UUID, e.Timestamp)
					if e.Deleted {
						s += "-"
					}
					got = append(got, s)
				}
				wantTS := tt.want.timestamp
				if d.emptyShape == "users" {
					wantTS = 0
				}
				if res.Series != tt.want.series || res.Resync != tt.want.resync || !slices.Equal(got, tt.want.entries) || res.Timestamp != wantTS {
					t.Errorf("series %s resync %t entries %v timestamp %d, want %s %t %v %d", res.Series, res.Resync, got, res.Timestamp,
						tt.want.series, tt.want.resync, tt.want.entries, wantTS)
				}
				if its, gets := d.iterators(); !slices.Equal(its, tt.want.iterators) || gets != 0 {
					t.Errorf("queries from %v and %d gets, want exactly %v and none", its, gets, tt.want.iterators)
				}
			})
		}
	}
}

// TestQueryEntriesListedTwice: an entry a reply lists twice (same or older
// timestamp) is returned once, at its newest.
func TestQueryEntriesListedTwice(t *testing.T) {
	d := syncDir(t)
	d.fault = func(fn string, _ int, _ bool, w http.ResponseWriter) bool {
		writeRaw(w, http.StatusOK, "application/json", `{"success":true,"result":{"series":"7","timestamp":9,"users":[
			{"uuid":"`+uuidA+`","name":"Alice","timestamp":3},{"uuid":"`+uuidC+`","name":"Carol","timestamp":8},
			{"uuid":"`+strings.ToLower(uuidA)+`","name":"Alicia","timestamp":9},{"uuid":"`+uuidC+`","name":"Carol","timestamp":8}]}}`)
		return true
	}
	res, err := d.client(t).QueryEntries(testCtx(t), "7", 2, []string{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 2 || res.Entries[0].Timestamp != 8 || res.Entries[1].Timestamp != 9 || res.Entries[1].Name != "Alicia" {
		t.Errorf("entries %+v, want Carol@8 and Alicia@9 once each", res.Entries)
	}
}

// TestQueryEntriesResetWhileReading: a directory that keeps changing series
// is given up after a bounded number of re-reads, with an error that says so.
func TestQueryEntriesResetWhileReading(t *testing.T) {
	d := syncDir(t)
	d.fault = func(fn string, n int, _ bool, w http.ResponseWriter) bool {
		writeRaw(w, http.StatusOK, "application/json", fmt.Sprintf(`{"success":true,"result":{"series":"%d","timestamp":0,"users":[]}}`, 100+n))
		return true
	}
	_, err := d.client(t).QueryEntries(testCtx(t), "7", 5, []string{})
	if err == nil || !strings.Contains(err.Error(), "was reset 3 times while it was being read again") {
		t.Fatalf("error %v, want the repeated reset named", err)
	}
	if its, _ := d.iterators(); !slices.Equal(its, []int64{5, 0, 0, 0}) {
		t.Errorf("queries from %v, want [5 0 0 0]", its)
	}
}

// TestRefreshEntryAfterReset: records of the old series, after a reset that
// kept every entry, one that wiped them, and one followed by a rename, under
// both readings of a foreign series. Kept entries are reported with their
// values (not deleted), wiped ones deleted, and the renamed one with its new
// name; the whole run costs the one query plus one read from 0.
func TestRefreshEntryAfterReset(t *testing.T) {
	for _, foreignAll := range []bool{false, true} {
		for _, tt := range []struct {
			name        string
			keep        bool
			rename      bool
			wantDeleted bool
			wantA       string
			wantHigh    int64
		}{
			{"reset that kept every entry", true, false, false, "Alice", 2},
			{"reset that wiped them", false, false, true, "", 0},
			{"reset then a rename", true, true, false, "Alicia", 3},
		} {
			t.Run(fmt.Sprintf("%s/foreign_all=%t", tt.name, foreignAll), func(t *testing.T) {
				d := syncDir(t)
				d.foreignAll = foreignAll
				d.reset("9", tt.keep)
				if tt.rename {
					d.put(uuidA, map[string]any{"name": "Alicia"})
				}
				c := d.client(t)
				for _, u := range []string{uuidA, uuidC} {
					ch, err := c.RefreshEntry(testCtx(t), u, "7", 8)
					if err != nil {
						t.Fatal(err)
					}
					if !ch.Changed || ch.Deleted != tt.wantDeleted || ch.Series != "9" {
						t.Errorf("%s: %+v, want changed, deleted=%t, series 9", u, ch, tt.wantDeleted)
					}
					if tt.wantDeleted {
						continue
					}
					name := ch.Entry.Name
					want := map[string]string{uuidA: tt.wantA, uuidC: "Carol"}[u]
					if name != want || ch.Watermark != tt.wantHigh {
						t.Errorf("%s: name %q watermark %d, want %q %d", u, name, ch.Watermark, want, tt.wantHigh)
					}
				}
				// The next run records the new series: nothing changed.
				if !tt.wantDeleted {
					ch, err := d.client(t).RefreshEntry(testCtx(t), uuidC, "9", tt.wantHigh)
					if err != nil || ch.Changed {
						t.Errorf("next run: %+v %v, want unchanged", ch, err)
					}
				}
				wantIts := []int64{8, 0}
				if !tt.wantDeleted {
					wantIts = append(wantIts, tt.wantHigh)
				}
				if its, gets := d.iterators(); !slices.Equal(its, wantIts) || gets != 0 {
					t.Errorf("queries from %v and %d gets, want %v and none", its, gets, wantIts)
				}
			})
		}
	}
}
