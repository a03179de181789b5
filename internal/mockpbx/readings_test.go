package mockpbx

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestReadingsValidation: unknown readings are refused by New and by Set.
func TestReadingsValidation(t *testing.T) {
	if _, err := New(Config{Accounts: []Account{{Username: "a", Password: "b", APIKey: "k"}}, Readings: Readings{QueryIterator: ">="}}); err == nil || !strings.Contains(err.Error(), "query_iterator") {
		t.Errorf("New with query_iterator >=: %v", err)
	}
	var r Readings
	for _, bad := range []string{"grouped", "colour=red"} {
		if err := r.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if err := r.Set("grouped=string"); err != nil || r.Grouped != "string" {
		t.Errorf("Set(grouped=string): %v %+v", err, r)
	}
}

// TestReadingsQuery: each reading of dir/query (iterator, empty reply,
// foreign series) answers as its source says.
func TestReadingsQuery(t *testing.T) {
	tests := []struct {
		name     string
		readings Readings
		body     map[string]any
		want     []string // keys of result, in order
		wantLen  int      // entries listed
	}{
		{"gt: the iterator's own entry is not listed", Readings{}, map[string]any{"iterator": map[string]any{"timestamp": 2}}, []string{"series", "timestamp", "users"}, 1},
		{"ge: the iterator's own entry is listed", Readings{QueryIterator: "ge"}, map[string]any{"iterator": map[string]any{"timestamp": 2}}, []string{"series", "timestamp", "users"}, 2},
		{"both: an empty reply has timestamp and users", Readings{}, map[string]any{"iterator": map[string]any{"timestamp": 3}}, []string{"series", "timestamp", "users"}, 0},
		{"timestamp: an empty reply has no users", Readings{QueryEmpty: "timestamp"}, map[string]any{"iterator": map[string]any{"timestamp": 3}}, []string{"series", "timestamp"}, 0},
		{"timestamp: a reply with entries has users", Readings{QueryEmpty: "timestamp"}, map[string]any{"iterator": map[string]any{"timestamp": 2}}, []string{"series", "timestamp", "users"}, 1},
		{"users: never a timestamp", Readings{QueryEmpty: "users"}, map[string]any{"iterator": map[string]any{"timestamp": 3}}, []string{"series", "users"}, 0},
		{"foreign series, empty (documented)", Readings{}, map[string]any{"series": "1"}, []string{"series", "timestamp", "users"}, 0},
		{"foreign series, all (old contract)", Readings{ForeignSeries: "all"}, map[string]any{"series": "1", "iterator": map[string]any{"timestamp": 3}}, []string{"series", "timestamp", "users"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newMock(t, Config{Readings: tt.readings})
			for _, n := range []string{"a", "b", "c"} {
				createEntry(t, ts, map[string]any{"name": n})
			}
			r := send(t, http.MethodPost, ts.URL+"/api/dir/query", toJSON(t, tt.body))
			var reply struct {
				Result json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(r.body, &reply); err != nil {
				t.Fatal(err)
			}
			keys := orderedKeys(t, reply.Result)
			if !slices.Equal(keys, tt.want) {
				t.Errorf("result keys %v, want %v: %s", keys, tt.want, reply.Result)
			}
			var res struct {
				Users []any `json:"users"`
			}
			_ = json.Unmarshal(reply.Result, &res)
			if len(res.Users) != tt.wantLen {
				t.Errorf("%d entries, want %d: %s", len(res.Users), tt.wantLen, reply.Result)
			}
		})
	}
}

// orderedKeys lists the keys of a JSON object in their order.
func orderedKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var keys []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key, _ := tok.(string)
		keys = append(keys, key)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestReadingsGrouped: grouped as a boolean (the harness's template) or as a
// string (the seed page), on get and query alike.
func TestReadingsGrouped(t *testing.T) {
	for _, tt := range []struct {
		grouped string
		want    any
	}{{"", true}, {"bool", true}, {"string", "true"}} {
		t.Run(tt.grouped, func(t *testing.T) {
			_, ts := newMock(t, Config{Readings: Readings{Grouped: tt.grouped}})
			uuid, _ := createEntry(t, ts, map[string]any{"name": "g", "callPos": []any{map[string]any{}, map[string]any{"peer": "1", "grouped": true}}})
			for _, fn := range []string{"dir/get", "dir/query"} {
				res := mustDir(t, ts, http.MethodPost, fn, map[string]any{"users": []any{map[string]any{"uuid": uuid}}, "fields": []any{"callPos"}})
				pos := asSlice(resultUsers(t, res)[0]["callPos"])
				if got := asMap(pos[1])["grouped"]; !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s: grouped %#v, want %#v", fn, got, tt.want)
				}
				if got := asMap(pos[0])["grouped"]; tt.grouped == "string" && got != "false" {
					t.Errorf("%s: default grouped %#v, want \"false\"", fn, got)
				}
			}
		})
	}
}

// TestReadingsUsers: the add reply's shapes and the HTTP verbs.
func TestReadingsUsers(t *testing.T) {
	user := map[string]any{"name": "A", "number": "300", "secret": "pw"}
	for _, tt := range []struct {
		reply string
		check func(t *testing.T, body map[string]any)
	}{
		{"id", func(t *testing.T, b map[string]any) {
			if b["success"] != json.Number("1") || !isObjectID(asString(asMap(b["data"])["_id"])) || len(asMap(b["data"])) != 1 {
				t.Errorf("reply %v", b)
			}
		}},
		{"record", func(t *testing.T, b map[string]any) {
			d := asMap(b["data"])
			if b["success"] != json.Number("1") || !isObjectID(asString(d["_id"])) || d["number"] != "300" || d["secret"] != maskedSecret {
				t.Errorf("reply %v", b)
			}
		}},
		{"status", func(t *testing.T, b map[string]any) {
			if b["status"] != "success" || b["user_id"] != "300" || b["success"] != nil || b["data"] != nil {
				t.Errorf("reply %v", b)
			}
		}},
		{"null-id", func(t *testing.T, b map[string]any) {
			if d, ok := b["data"].(map[string]any); b["success"] != json.Number("1") || !ok || d["_id"] != nil {
				t.Errorf("reply %v", b)
			}
		}},
	} {
		t.Run("add_reply="+tt.reply, func(t *testing.T) {
			s, ts := newMock(t, Config{Readings: Readings{AddReply: tt.reply}})
			r := send(t, http.MethodPost, ts.URL+"/api/v4/pbx/users/add", toJSON(t, user), simotelHeaders...)
			var body map[string]any
			dec := json.NewDecoder(strings.NewReader(string(r.body)))
			dec.UseNumber()
			if r.status != http.StatusOK || dec.Decode(&body) != nil {
				t.Fatalf("HTTP %d %s", r.status, r.body)
			}
			tt.check(t, body)
			if _, ok := s.UserByNumber("300"); !ok {
				t.Error("the user was not stored")
			}
		})
	}

	for _, tt := range []struct {
		methods string
		action  string
		allowed []string
	}{
		{"post", "pbx/users/search", []string{"POST"}},
		{"v3", "pbx/users/search", []string{"GET"}},
		{"v3", "pbx/users/update", []string{"PUT"}},
		{"v3", "pbx/users/remove", []string{"DELETE"}},
		{"v3", "pbx/users/add", []string{"POST"}},
		{"any", "pbx/users/search", []string{"POST", "GET"}},
		{"any", "pbx/users/add", []string{"POST"}},
	} {
		t.Run("user_methods="+tt.methods+"/"+tt.action, func(t *testing.T) {
			_, ts := newMock(t, Config{Readings: Readings{UserMethods: tt.methods}})
			for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
				r := send(t, m, ts.URL+"/api/v4/"+tt.action, `{"_id":"0123456789abcdef01234567"}`, simotelHeaders...)
				switch {
				case slices.Contains(tt.allowed, m) && r.status == http.StatusMethodNotAllowed:
					t.Errorf("%s: 405, want it accepted", m)
				case !slices.Contains(tt.allowed, m) && (r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != strings.Join(tt.allowed, ", ")):
					t.Errorf("%s: HTTP %d Allow %q, want 405 with Allow %q", m, r.status, r.header.Get("Allow"), strings.Join(tt.allowed, ", "))
				}
			}
		})
	}
}
