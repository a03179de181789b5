package pbxapi_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// fakeDir is a tiny stateful 2N directory (create, update, delete, get,
// query) written from the contract: entries are generic JSON trees holding
// every field, writes merge objects key by key and arrays by index.
type fakeDir struct {
	srv *httptest.Server
	// fault runs before (processed false) and after (true) a function; true:
	// it answered.
	fault func(fn string, n int, processed bool, w http.ResponseWriter) bool

	// The readings where the sources disagree (design/api/README.md); the
	// zero value is the contract's default. foreignAll: a query naming
	// another series lists every entry (the old contract) instead of none
	// (2N's documentation). iteratorGE: the iterator is inclusive (older
	// docs). emptyShape: "" series+timestamp+users, "timestamp" no users
	// key when nothing is listed, "users" never a timestamp.
	foreignAll bool
	iteratorGE bool
	emptyShape string

	mu      sync.Mutex
	series  string
	ts      int64
	entries map[string]map[string]any // live entries by upper-case uuid
	deleted map[string]int64
	calls   []string // "METHOD fn"
	bodies  map[string][]map[string]any
	hits    map[string]int
}

func newFakeDir(t testing.TB) *fakeDir {
	d := &fakeDir{series: "6423407687606431951", entries: map[string]map[string]any{}, deleted: map[string]int64{},
		bodies: map[string][]map[string]any{}, hits: map[string]int{}}
	d.srv = httptest.NewServer(d)
	t.Cleanup(d.srv.Close)
	return d
}

func (d *fakeDir) client(t testing.TB) *pbxapi.Client {
	return newClient(t, fastConfig(d.srv.URL))
}

func dirTemplate() map[string]any {
	pos := func() any { return map[string]any{"peer": "", "profiles": "", "grouped": false, "ipEye": ""} }
	return map[string]any{
		"owner": "", "name": "", "photo": "", "email": "", "treepath": "/", "virtNumber": "", "deputy": "", "buttons": "",
		"callPos": []any{pos(), pos(), pos()},
		"access": map[string]any{"validFrom": "0", "validTo": "0", "pin": "", "code": []any{"", "", "", ""}, "card": []any{"", ""},
			"accessPoints": []any{map[string]any{"enabled": true, "profiles": ""}, map[string]any{"enabled": true, "profiles": ""}}},
	}
}

// merge writes patch into cur: objects key by key, arrays by index (null
// keeps an element), scalars replaced.
func merge(cur, patch any) any {
	switch p := patch.(type) {
	case map[string]any:
		c, _ := cur.(map[string]any)
		for k, v := range p {
			c[k] = merge(c[k], v)
		}
		return c
	case []any:
		c, _ := cur.([]any)
		for i, v := range p {
			if v != nil && i < len(c) {
				c[i] = merge(c[i], v)
			}
		}
		return c
	}
	return patch
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func (d *fakeDir) put(uuid string, fields map[string]any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, _ := merge(dirTemplate(), deepCopy(fields)).(map[string]any)
	d.ts++
	e["uuid"], e["timestamp"] = strings.ToUpper(uuid), d.ts
	d.entries[strings.ToUpper(uuid)] = e
}

func (d *fakeDir) entry(uuid string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entries[strings.ToUpper(uuid)]
	if e == nil {
		return nil
	}
	out, _ := deepCopy(e).(map[string]any)
	return out
}

func (d *fakeDir) requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func (d *fakeDir) lastBody(fn string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.bodies[fn]
	if len(b) == 0 {
		return nil
	}
	return b[len(b)-1]
}

func (d *fakeDir) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fn := strings.TrimPrefix(r.URL.Path, "/api/dir/")
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	d.mu.Lock()
	d.calls = append(d.calls, r.Method+" "+fn)
	d.bodies[fn] = append(d.bodies[fn], body)
	d.hits[fn]++
	n := d.hits[fn]
	d.mu.Unlock()
	want := map[string]string{"create": http.MethodPut, "update": http.MethodPut, "delete": http.MethodPut, "get": http.MethodPost, "query": http.MethodPost}[fn]
	if r.Method != want {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": map[string]any{"code": 3, "description": "invalid request method"}})
		return
	}
	if d.fault != nil && d.fault(fn, n, false, w) {
		return
	}
	result := d.process(fn, body)
	if d.fault != nil && d.fault(fn, n, true, w) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "result": result})
}

// entryTS is the timestamp of a stored or copied entry (-1 if none).
func entryTS(x any) int64 {
	m, _ := x.(map[string]any)
	switch t := m["timestamp"].(type) {
	case int64:
		return t
	case float64:
		return int64(t)
	}
	return -1
}

func (d *fakeDir) process(fn string, body map[string]any) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	items, _ := body["users"].([]any)
	fail := func(uuid any, code string) any {
		return map[string]any{"uuid": uuid, "errors": []any{map[string]any{"code": code}}}
	}
	out := []any{}
	switch fn {
	case "query":
		for _, e := range d.entries {
			out = append(out, deepCopy(e))
		}
		for id, ts := range d.deleted {
			out = append(out, map[string]any{"uuid": id, "deleted": true, "timestamp": ts})
		}
		since := int64(0)
		if it, ok := body["iterator"].(map[string]any); ok {
			f, _ := it["timestamp"].(float64)
			since = int64(f)
		}
		listed := func(ts int64) bool { return ts > since }
		if d.iteratorGE {
			listed = func(ts int64) bool { return ts >= since }
		}
		if s, ok := body["series"].(string); ok && s != d.series {
			listed = func(int64) bool { return d.foreignAll }
		}
		out = slices.DeleteFunc(out, func(x any) bool { return !listed(entryTS(x)) })
		slices.SortFunc(out, func(a, b any) int { return cmp.Compare(entryTS(a), entryTS(b)) })
		res := map[string]any{"series": d.series, "timestamp": d.ts, "users": out}
		switch {
		case d.emptyShape == "users":
			delete(res, "timestamp")
		case d.emptyShape == "timestamp" && len(out) == 0:
			delete(res, "users")
		}
		return res
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		id := strings.ToUpper(fmt.Sprint(m["uuid"]))
		cur := d.entries[id]
		switch fn {
		case "get":
			if cur == nil {
				out = append(out, fail(m["uuid"], "EDIR_UUID_DOES_NOT_EXIST"))
				continue
			}
			out = append(out, deepCopy(cur))
		case "create":
			if cur != nil {
				out = append(out, fail(m["uuid"], "EDIR_UUID_ALREADY_EXISTS"))
				continue
			}
			if pin, _ := m["access"].(map[string]any); pin != nil && pin["pin"] == "x" {
				out = append(out, fail(m["uuid"], "EDIR_FIELD_VALUE_ERROR"))
				continue
			}
			e, _ := merge(dirTemplate(), deepCopy(m)).(map[string]any)
			d.ts++
			e["uuid"], e["timestamp"] = id, d.ts
			d.entries[id] = e
			delete(d.deleted, id)
			out = append(out, map[string]any{"uuid": id, "timestamp": d.ts})
		case "update":
			if cur == nil {
				out = append(out, fail(m["uuid"], "EDIR_UUID_DOES_NOT_EXIST"))
				continue
			}
			merge(cur, deepCopy(m))
			d.ts++
			cur["uuid"], cur["timestamp"] = id, d.ts
			out = append(out, map[string]any{"uuid": id, "timestamp": d.ts})
		case "delete":
			if cur == nil {
				out = append(out, fail(m["uuid"], "EDIR_UUID_DOES_NOT_EXIST"))
				continue
			}
			delete(d.entries, id)
			d.ts++
			d.deleted[id] = d.ts
			out = append(out, map[string]any{"uuid": id, "timestamp": d.ts})
		}
	}
	return map[string]any{"series": d.series, "users": out}
}

const entryUUID = "01234567-89AB-CDEF-0123-456789ABCDEF"

func sampleFields() pbxapi.EntryFields {
	f := pbxapi.DefaultEntryFields()
	f.Name = "Reception"
	f.Email = "reception@example.com"
	f.Owner = "team-a"
	f.CallPos[0].Peer = "sip:201@pbx.example.com"
	f.CallPos[1] = pbxapi.CallPositionFields{Peer: "202", Grouped: true, Profiles: "1"}
	f.Access = pbxapi.AccessFields{ValidFrom: 1700000000, PIN: "4711", Codes: []string{"", "2580"}}
	return f
}

// TestCreateEntry: a PUT of the caller's uuid with only the non-default
// fields, and the device's timestamp and series back.
func TestCreateEntry(t *testing.T) {
	d := newFakeDir(t)
	c := d.client(t)
	w, err := c.CreateEntry(testCtx(t), entryUUID, sampleFields())
	if err != nil {
		t.Fatal(err)
	}
	if w.UUID != entryUUID || w.Series != d.series || w.Timestamp != 1 || w.Adopted {
		t.Errorf("CreateEntry = %+v, want uuid %s, series %s, timestamp 1, not adopted", w, entryUUID, d.series)
	}
	if got := d.requests(); !slices.Equal(got, []string{"PUT create"}) {
		t.Errorf("requests = %v, want one PUT create", got)
	}
	wantBody := map[string]any{"users": []any{map[string]any{
		"uuid": entryUUID, "name": "Reception", "email": "reception@example.com", "owner": "team-a",
		"callPos": []any{map[string]any{"peer": "sip:201@pbx.example.com"}, map[string]any{"peer": "202", "grouped": true, "profiles": "1"}},
		"access":  map[string]any{"validFrom": "1700000000", "pin": "4711", "code": []any{"", "2580"}},
	}}}
	if got := d.lastBody("create"); !reflect.DeepEqual(got, wantBody) {
		t.Errorf("create body\n got: %v\nwant: %v", got, wantBody)
	}
	// What the device stored reads back as exactly what was written.
	res, _, err := c.GetEntry(testCtx(t), entryUUID, []string{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := res.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if diff := sampleFields().Differences(*got); len(diff) != 0 || !reflect.DeepEqual(*got, sampleFields()) {
		t.Errorf("read back %+v, differs in %v", *got, diff)
	}
}

func TestCreateEntryRejected(t *testing.T) {
	tests := []struct {
		name     string
		existing bool
		pin      string
		wantCode string
	}{
		{name: "uuid taken without an earlier ambiguous attempt", existing: true, wantCode: pbxapi.CodeUUIDAlreadyExists},
		{name: "value refused", pin: "x", wantCode: pbxapi.CodeFieldValueError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newFakeDir(t)
			if tt.existing {
				d.put(entryUUID, map[string]any{"name": "Reception"})
			}
			f := pbxapi.DefaultEntryFields()
			f.Name, f.Access.PIN = "Reception", tt.pin
			_, err := d.client(t).CreateEntry(testCtx(t), entryUUID, f)
			var we *pbxapi.WriteError
			if !errors.As(err, &we) || !we.HasCode(tt.wantCode) {
				t.Fatalf("err = %v, want a WriteError with %s", err, tt.wantCode)
			}
			if got := d.requests(); !slices.Equal(got, []string{"PUT create"}) {
				t.Errorf("requests = %v, want exactly one create", got)
			}
		})
	}
	if _, err := newClient(t, fastConfig("http://127.0.0.1:1")).CreateEntry(testCtx(t), "not-a-uuid", pbxapi.DefaultEntryFields()); err == nil {
		t.Error("CreateEntry accepted an invalid uuid")
	}
}

// TestCreateEntryAmbiguous pins how CreateEntry resolves a create whose reply
// was lost: create the same uuid again; EDIR_UUID_ALREADY_EXISTS then means
// the first one landed, and the entry is adopted only if it matches.
func TestCreateEntryAmbiguous(t *testing.T) {
	drop := func(processed bool) func(string, int, bool, http.ResponseWriter) bool {
		return func(fn string, n int, p bool, w http.ResponseWriter) bool {
			if fn == "create" && n == 1 && p == processed {
				dropConn(w)
				return true
			}
			return false
		}
	}
	status := func(code int, body string) func(string, int, bool, http.ResponseWriter) bool {
		return func(fn string, n int, p bool, w http.ResponseWriter) bool {
			if fn == "create" && n == 1 && p {
				writeRaw(w, code, "text/html", body)
				return true
			}
			return false
		}
	}
	tests := []struct {
		name        string
		fault       func(string, int, bool, http.ResponseWriter) bool
		editBetween map[string]any // someone changes the entry before the retry
		wantReqs    []string
		wantAdopted bool
		wantErr     string
	}{
		{name: "processed, connection dropped: adopted", fault: drop(true),
			wantReqs: []string{"PUT create", "PUT create", "POST get"}, wantAdopted: true},
		{name: "processed, 502: adopted", fault: status(http.StatusBadGateway, html502),
			wantReqs: []string{"PUT create", "PUT create", "POST get"}, wantAdopted: true},
		{name: "processed, 504: adopted", fault: status(http.StatusGatewayTimeout, "<html>504</html>"),
			wantReqs: []string{"PUT create", "PUT create", "POST get"}, wantAdopted: true},
		{name: "processed, unreadable 200: adopted", fault: func(fn string, n int, p bool, w http.ResponseWriter) bool {
			if fn == "create" && n == 1 && p {
				writeRaw(w, http.StatusOK, "application/json", `{"success":true,"result":{"series":"64234`)
				return true
			}
			return false
		}, wantReqs: []string{"PUT create", "PUT create", "POST get"}, wantAdopted: true},
		{name: "not processed, connection dropped: created by the second attempt", fault: drop(false),
			wantReqs: []string{"PUT create", "PUT create"}},
		{name: "processed, then changed by someone else: not adopted", fault: drop(true),
			editBetween: map[string]any{"name": "Mallory", "access": map[string]any{"pin": "0000"}},
			wantReqs:    []string{"PUT create", "PUT create", "POST get"},
			wantErr:     "differs in name, access.pin: not adopting it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newFakeDir(t)
			var once sync.Once
			d.fault = func(fn string, n int, processed bool, w http.ResponseWriter) bool {
				if fn == "create" && n == 2 && !processed && tt.editBetween != nil {
					once.Do(func() {
						d.mu.Lock()
						merge(d.entries[entryUUID], deepCopy(tt.editBetween))
						d.mu.Unlock()
					})
				}
				return tt.fault(fn, n, processed, w)
			}
			w, err := d.client(t).CreateEntry(testCtx(t), entryUUID, sampleFields())
			if got := d.requests(); !slices.Equal(got, tt.wantReqs) {
				t.Errorf("requests = %v, want %v", got, tt.wantReqs)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Adopted != tt.wantAdopted || w.UUID != entryUUID || w.Timestamp != 1 || w.Series != d.series {
				t.Errorf("CreateEntry = %+v, want adopted=%t, timestamp 1", w, tt.wantAdopted)
			}
			if len(d.entries) != 1 {
				t.Errorf("the directory holds %d entries, want 1", len(d.entries))
			}
		})
	}
}

// TestUpdateEntrySendsOnlyChanges: dir/update carries the uuid and exactly
// the fields that differ.
func TestUpdateEntrySendsOnlyChanges(t *testing.T) {
	tests := []struct {
		name string
		edit func(*pbxapi.EntryFields)
		want map[string]any // the users[0] object; nil: no request
	}{
		{name: "nothing", edit: func(*pbxapi.EntryFields) {}},
		{name: "name", edit: func(f *pbxapi.EntryFields) { f.Name = "Front desk" },
			want: map[string]any{"name": "Front desk"}},
		{name: "treepath and deputy", edit: func(f *pbxapi.EntryFields) { f.Treepath = "/Staff"; f.Deputy = entryUUID },
			want: map[string]any{"treepath": "/Staff", "deputy": entryUUID}},
		{name: "one sub-field of the second call position",
			edit: func(f *pbxapi.EntryFields) { f.CallPos[1].Grouped = false },
			want: map[string]any{"callPos": []any{map[string]any{}, map[string]any{"grouped": false}}}},
		{name: "third call position", edit: func(f *pbxapi.EntryFields) { f.CallPos[2].Peer = "203" },
			want: map[string]any{"callPos": []any{map[string]any{}, map[string]any{}, map[string]any{"peer": "203"}}}},
		{name: "pin cleared", edit: func(f *pbxapi.EntryFields) { f.Access.PIN = "" },
			want: map[string]any{"access": map[string]any{"pin": ""}}},
		{name: "validity window", edit: func(f *pbxapi.EntryFields) { f.Access.ValidFrom = 0; f.Access.ValidTo = 1800000000 },
			want: map[string]any{"access": map[string]any{"validFrom": "0", "validTo": "1800000000"}}},
		{name: "codes shortened: the dropped code is cleared", edit: func(f *pbxapi.EntryFields) { f.Access.Codes = []string{"11"} },
			want: map[string]any{"access": map[string]any{"code": []any{"11", ""}}}},
		{name: "cards added", edit: func(f *pbxapi.EntryFields) { f.Access.Cards = []string{"", "04A2B1C3"} },
			want: map[string]any{"access": map[string]any{"card": []any{"", "04A2B1C3"}}}},
		{name: "trailing empty codes are no change", edit: func(f *pbxapi.EntryFields) { f.Access.Codes = []string{"", "2580", "", ""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newFakeDir(t)
			c := d.client(t)
			if _, err := c.CreateEntry(testCtx(t), entryUUID, sampleFields()); err != nil {
				t.Fatal(err)
			}
			want := sampleFields()
			tt.edit(&want)
			w, err := c.UpdateEntry(testCtx(t), entryUUID, sampleFields(), want)
			if err != nil {
				t.Fatal(err)
			}
			reqs := d.requests()
			if tt.want == nil {
				if w != nil || len(reqs) != 1 {
					t.Fatalf("nothing changed, but UpdateEntry = %+v and requests %v", w, reqs)
				}
				return
			}
			if !slices.Equal(reqs, []string{"PUT create", "PUT update"}) {
				t.Fatalf("requests = %v", reqs)
			}
			item, _ := deepCopy(tt.want).(map[string]any)
			item["uuid"] = entryUUID
			if got := d.lastBody("update"); !reflect.DeepEqual(got, map[string]any{"users": []any{item}}) {
				t.Errorf("update body\n got: %v\nwant: %v", got, map[string]any{"users": []any{item}})
			}
			if w.Timestamp != 2 || w.Series != d.series {
				t.Errorf("UpdateEntry = %+v, want timestamp 2", w)
			}
			res, _, err := c.GetEntry(testCtx(t), entryUUID, []string{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := res.Fields()
			if err != nil {
				t.Fatal(err)
			}
			if diff := want.Differences(*got); len(diff) > 0 {
				t.Errorf("after the update the entry differs from the wanted one in %v", diff)
			}
		})
	}
}

func TestUpdateEntryGone(t *testing.T) {
	d := newFakeDir(t)
	want := sampleFields()
	want.Name = "New"
	_, err := d.client(t).UpdateEntry(testCtx(t), entryUUID, sampleFields(), want)
	if !errors.Is(err, pbxapi.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "dir/update") || !strings.Contains(err.Error(), entryUUID) {
		t.Errorf("error %q does not name the operation and the uuid", err)
	}
}

func TestDeleteEntry(t *testing.T) {
	d := newFakeDir(t)
	c := d.client(t)
	d.put(entryUUID, map[string]any{"name": "Reception"})
	w, err := c.DeleteEntry(testCtx(t), entryUUID)
	if err != nil || w.Timestamp != 2 || d.entry(entryUUID) != nil {
		t.Fatalf("DeleteEntry = %+v, %v; entry now %v", w, err, d.entry(entryUUID))
	}
	if got := d.lastBody("delete"); !reflect.DeepEqual(got, map[string]any{"users": []any{map[string]any{"uuid": entryUUID}}}) {
		t.Errorf("delete body = %v", got)
	}
	// Already gone: deleted.
	w, err = c.DeleteEntry(testCtx(t), entryUUID)
	if err != nil || w.Timestamp != 0 || w.Series != d.series {
		t.Fatalf("second DeleteEntry = %+v, %v, want success without timestamp", w, err)
	}
	// A failure is still one.
	d.fault = func(fn string, _ int, _ bool, w http.ResponseWriter) bool {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": map[string]any{"code": 10, "description": "insufficient user privileges"}})
		return true
	}
	if _, err := c.DeleteEntry(testCtx(t), entryUUID); err == nil {
		t.Fatal("DeleteEntry ignored error code 10")
	}
}

// TestWriteEntryMalformedReplies: answers that do not say what happened to
// the entry are errors, never a silent success.
func TestWriteEntryMalformedReplies(t *testing.T) {
	for name, result := range map[string]string{
		"no users":        `{"series":"1","users":[]}`,
		"two answers":     `{"series":"1","users":[{"uuid":"` + entryUUID + `","timestamp":1},{"uuid":"` + entryUUID + `","timestamp":2}]}`,
		"other uuid":      `{"series":"1","users":[{"uuid":"76543210-68FF-18CA-3210-FEDCBA987654","timestamp":1}]}`,
		"bad timestamp":   `{"series":"1","users":[{"uuid":"` + entryUUID + `","timestamp":"soon"}]}`,
		"users not array": `{"series":"1","users":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeRaw(w, http.StatusOK, "application/json", `{"success":true,"result":`+result+`}`)
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, fastConfig(srv.URL))
			want := sampleFields()
			want.Name = "Other"
			if _, err := c.UpdateEntry(testCtx(t), entryUUID, sampleFields(), want); err == nil {
				t.Error("UpdateEntry accepted the reply")
			}
			if _, err := c.DeleteEntry(testCtx(t), entryUUID); err == nil {
				t.Error("DeleteEntry accepted the reply")
			}
		})
	}
}

// TestEntryFieldsDecoding reads the managed fields the way devices send
// them: the seed's string "false", numbers as strings or numbers, fields of
// other models absent.
func TestEntryFieldsDecoding(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    func(*pbxapi.EntryFields)
		wantErr bool
	}{
		{name: "defaults only", raw: `{"uuid":"` + entryUUID + `","timestamp":3}`, want: func(*pbxapi.EntryFields) {}},
		{name: "seed shape", raw: `{"uuid":"` + entryUUID + `","name":"ABCD","email":"abcd@abcd.cz","callPos":[{"peer":""},{"peer":"","grouped":"false"},{"peer":""}],"timestamp":39}`,
			want: func(f *pbxapi.EntryFields) { f.Name = "ABCD"; f.Email = "abcd@abcd.cz" }},
		{name: "every managed field", raw: `{"uuid":"` + entryUUID + `","name":"N","email":"e@x","treepath":"/A","virtNumber":"12","owner":"o","deputy":"d",
			"callPos":[{"peer":"1","profiles":"p","grouped":true,"ipEye":"x"},{"grouped":"true"},{}],
			"access":{"validFrom":"5","validTo":7,"pin":"1234","code":["12","","",""],"card":["","C1"],"mobkey":"m"},"timestamp":1}`,
			want: func(f *pbxapi.EntryFields) {
				*f = pbxapi.EntryFields{Name: "N", Email: "e@x", Treepath: "/A", VirtNumber: "12", Owner: "o", Deputy: "d",
					CallPos: [3]pbxapi.CallPositionFields{{Peer: "1", Profiles: "p", Grouped: true}, {Grouped: true}, {}},
					Access:  pbxapi.AccessFields{ValidFrom: 5, ValidTo: 7, PIN: "1234", Codes: []string{"12"}, Cards: []string{"", "C1"}}}
			}},
		{name: "four call positions", raw: `{"callPos":[{},{},{},{}],"timestamp":1}`, wantErr: true},
		{name: "negative validity", raw: `{"access":{"validTo":"-1"},"timestamp":1}`, wantErr: true},
		{name: "grouped not a boolean", raw: `{"callPos":[{"grouped":"maybe"}],"timestamp":1}`, wantErr: true},
		{name: "name an object", raw: `{"name":{},"timestamp":1}`, wantErr: true},
		{name: "codes not a list", raw: `{"access":{"code":"12"},"timestamp":1}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := pbxapi.DecodeEntry(json.RawMessage(tt.raw))
			var got *pbxapi.EntryFields
			if err == nil {
				got, err = r.Fields()
			}
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Fields() = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := pbxapi.DefaultEntryFields()
			tt.want(&want)
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Fields()\n got: %+v\nwant: %+v", *got, want)
			}
		})
	}
}

// TestWritesRefreshAgain: the run's shared dir/query answer is dropped by
// every write through the client, so the next RefreshEntry asks the device.
func TestWritesRefreshAgain(t *testing.T) {
	d := newFakeDir(t)
	c := d.client(t)
	w, err := c.CreateEntry(testCtx(t), entryUUID, sampleFields())
	if err != nil {
		t.Fatal(err)
	}
	queries := func() int {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.hits["query"]
	}
	for i := range 2 {
		ch, err := c.RefreshEntry(testCtx(t), entryUUID, w.Series, w.Timestamp)
		if err != nil || ch.Changed {
			t.Fatalf("refresh %d: %+v, %v; want unchanged", i, ch, err)
		}
	}
	if queries() != 1 {
		t.Fatalf("%d dir/query for two refreshes, want 1 (shared)", queries())
	}
	want := sampleFields()
	want.Name = "Renamed"
	uw, err := c.UpdateEntry(testCtx(t), entryUUID, sampleFields(), want)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.RefreshEntry(testCtx(t), entryUUID, w.Series, w.Timestamp)
	if err != nil || !ch.Changed || ch.Entry == nil || ch.Entry.Timestamp != uw.Timestamp {
		t.Fatalf("refresh after the update: %+v, %v; want the renamed entry", ch, err)
	}
	if queries() != 2 {
		t.Errorf("%d dir/query, want 2: the update must drop the shared answer", queries())
	}
	if _, err := c.DeleteEntry(testCtx(t), entryUUID); err != nil {
		t.Fatal(err)
	}
	ch, err = c.RefreshEntry(testCtx(t), entryUUID, uw.Series, uw.Timestamp)
	if err != nil || !ch.Deleted {
		t.Fatalf("refresh after the delete: %+v, %v; want deleted", ch, err)
	}
}

// TestCreateEntryBudget: creates that always fail ambiguously stop after
// max_retries + 1 requests in all, retries and re-creates together.
func TestCreateEntryBudget(t *testing.T) {
	for _, retries := range []int{-1, 1, 3} {
		t.Run(fmt.Sprint(retries), func(t *testing.T) {
			d := newFakeDir(t)
			d.fault = func(fn string, _ int, processed bool, w http.ResponseWriter) bool {
				if fn == "create" && !processed {
					dropConn(w)
					return true
				}
				return false
			}
			cfg := fastConfig(d.srv.URL)
			cfg.MaxRetries = retries
			_, err := newClient(t, cfg).CreateEntry(testCtx(t), entryUUID, sampleFields())
			if err == nil {
				t.Fatal("an always-dropped create succeeded")
			}
			want := max(retries, 0) + 1
			if got := len(d.requests()); got != want {
				t.Errorf("%d requests with max_retries %d, want %d: %v", got, retries, want, d.requests())
			}
		})
	}
}
