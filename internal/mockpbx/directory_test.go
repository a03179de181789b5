package mockpbx

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const seedUUID = "01234567-89AB-CDEF-0123-456789ABCDEF"

// TestDirGetSeedPage replays the seed page's dir/get request against a directory holding the
// page's entry as its 39th change in series 6423407687606431951, and expects the page's reply.
// The one deliberate difference: grouped is the boolean false (contract decision 16), where
// the page prints the string "false".
func TestDirGetSeedPage(t *testing.T) {
	seed := make([]map[string]any, 0, 39)
	for i := range 38 {
		seed = append(seed, map[string]any{"name": fmt.Sprintf("filler %d", i)})
	}
	seed = append(seed, map[string]any{"uuid": seedUUID, "name": "ABCD", "email": "abcd@abcd.cz"})
	_, ts := newMock(t, Config{DirAuth: "none", Series: "6423407687606431951", Directory: seed})

	r := send(t, http.MethodPost, ts.URL+"/api/dir/get", readTestdata(t, "2n-dir-get.request.json"), "Content-Type: application/json")
	want := strings.Replace(readTestdata(t, "2n-dir-get.response.json"), `"grouped": "false"`, `"grouped": false`, 1)
	if r.status != http.StatusOK || !jsonEqual(t, string(r.body), want) {
		t.Fatalf("HTTP %d\n got %s\nwant %s", r.status, r.body, want)
	}
	if !strings.HasPrefix(string(r.body), `{"success":true,"result":{"series":"6423407687606431951","users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF","name":"ABCD"`) ||
		!strings.Contains(string(r.body), `"timestamp":39}`) {
		t.Errorf("keys are not in the device's order: %s", r.body)
	}
}

func TestDirGetFields(t *testing.T) {
	_, ts := newMock(t, Config{Directory: []map[string]any{{
		"uuid": seedUUID, "name": "ABCD", "email": "abcd@abcd.cz",
		"callPos": []any{nil, map[string]any{"peer": "sip:101@pbx", "grouped": "true"}},
		"access":  map[string]any{"pin": "1234", "code": []any{"", "5678"}},
	}}})
	get := func(fields any) string {
		t.Helper()
		body := map[string]any{"users": []any{map[string]any{"uuid": strings.ToLower(seedUUID)}}}
		if fields != nil {
			body["fields"] = fields
		}
		users := resultUsers(t, mustDir(t, ts, http.MethodPost, "dir/get", body))
		b, _ := json.Marshal(users[0])
		return string(b)
	}
	tests := []struct {
		name   string
		fields any
		want   string
	}{
		{"omitted: non-default fields only", nil,
			`{"uuid":"` + seedUUID + `","name":"ABCD","email":"abcd@abcd.cz","callPos":[{},{"peer":"sip:101@pbx","grouped":true},{}],"access":{"pin":"1234","code":["","5678","",""]},"timestamp":1}`},
		{"dotted", []any{"callPos.peer", "callPos[1].grouped"},
			`{"uuid":"` + seedUUID + `","callPos":[{"peer":""},{"peer":"sip:101@pbx","grouped":true},{"peer":""}],"timestamp":1}`},
		{"indexed only", []any{"callPos[2].ipEye"},
			`{"uuid":"` + seedUUID + `","callPos":[{},{},{"ipEye":""}],"timestamp":1}`},
		{"group", []any{"access.accessPoints"},
			`{"uuid":"` + seedUUID + `","access":{"accessPoints":[{"enabled":true,"profiles":""},{"enabled":true,"profiles":""}]},"timestamp":1}`},
		{"scalar array element selects the array", []any{"access.code[1]"},
			`{"uuid":"` + seedUUID + `","access":{"code":["","5678","",""]},"timestamp":1}`},
		{"unknown names ignored", []any{"albert", "name.first", "callPos[3].peer", "callPos[x]", "name[0]", ""},
			`{"uuid":"` + seedUUID + `","timestamp":1}`},
		{"default-valued field asked for", []any{"treepath", "deleted"},
			`{"uuid":"` + seedUUID + `","deleted":false,"treepath":"/","timestamp":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.fields); !jsonEqual(t, got, tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}

	t.Run("empty list: every field", func(t *testing.T) {
		var got map[string]any
		if err := json.Unmarshal([]byte(get([]any{})), &got); err != nil {
			t.Fatal(err)
		}
		var tmpl map[string]any
		if err := json.Unmarshal([]byte(templateEntry(t, ts)), &tmpl); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sortedKeys(got), sortedKeys(tmpl)) {
			t.Errorf("keys %v, want the template's %v", sortedKeys(got), sortedKeys(tmpl))
		}
		if got["treepath"] != "/" || got["deleted"] != false {
			t.Errorf("defaults missing: %v", got)
		}
	})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func templateEntry(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	users := resultUsers(t, mustDir(t, ts, http.MethodGet, "dir/template", ""))
	b, _ := json.Marshal(users[0])
	return string(b)
}

func TestDirTemplate(t *testing.T) {
	s, ts := newMock(t, Config{})
	want := `{"uuid":"","deleted":false,"owner":"","name":"","photo":"","email":"","treepath":"/","virtNumber":"","deputy":"","buttons":"",` +
		`"callPos":[{"peer":"","profiles":"","grouped":false,"ipEye":""},{"peer":"","profiles":"","grouped":false,"ipEye":""},{"peer":"","profiles":"","grouped":false,"ipEye":""}],` +
		`"access":{"validFrom":"0","validTo":"0","accessPoints":[{"enabled":true,"profiles":""},{"enabled":true,"profiles":""}],"pairingExpired":false,"virtCard":"","card":["",""],"mobkey":"","fpt":"","pin":"","accessException":false,"code":["","","",""],"licensePlates":"","liftFloors":""},` +
		`"timestamp":0}`
	r := send(t, http.MethodGet, ts.URL+"/api/dir/template", "")
	if wantBody := `{"success":true,"result":{"series":"` + s.Series() + `","users":[` + want + `]}}`; string(r.body) != wantBody {
		t.Errorf("template\n got %s\nwant %s", r.body, wantBody)
	}
	if r := send(t, http.MethodPost, ts.URL+"/api/dir/template", ""); !strings.Contains(string(r.body), want) {
		t.Errorf("POST template: %s", r.body)
	}
}

func TestDirGetUsersList(t *testing.T) {
	_, ts := newMock(t, Config{MaxGetUUIDs: 5})
	for _, body := range []any{map[string]any{}, map[string]any{"users": []any{}}, map[string]any{"users": nil}} {
		if users := resultUsers(t, mustDir(t, ts, http.MethodPost, "dir/get", body)); len(users) != 0 {
			t.Errorf("get %v: %v, want []", body, users)
		}
	}
	five := make([]any, 5)
	for i := range five {
		five[i] = map[string]any{"uuid": fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i+1)}
	}
	if users := resultUsers(t, mustDir(t, ts, http.MethodPost, "dir/get", map[string]any{"users": five})); len(users) != 5 {
		t.Errorf("5 uuids: %d results", len(users))
	}
	six := append(slices.Clone(five), five[0])
	if code := dirError(t, ts, http.MethodPost, "dir/get", map[string]any{"users": six}); code != 13 {
		t.Errorf("6 uuids with MaxGetUUIDs 5: code %d, want 13", code)
	}
	users := resultUsers(t, mustDir(t, ts, http.MethodPost, "dir/get", map[string]any{"users": []any{
		map[string]any{}, "x", map[string]any{"uuid": 7}, map[string]any{"uuid": "00000000-0000-0000-0000-000000000000"},
	}}))
	want := [][]string{{edirIsMissing}, {edirIsMissing}, {edirInvalidFormat}, {edirInvalidFormat}}
	for i, u := range users {
		if !slices.Equal(errorCodes(u), want[i]) {
			t.Errorf("item %d: %v, want %v", i, u, want[i])
		}
	}
	for _, body := range []any{map[string]any{"users": "all"}, map[string]any{"fields": "name"}, map[string]any{"fields": []any{1}}} {
		if code := dirError(t, ts, http.MethodPost, "dir/get", body); code != 12 {
			t.Errorf("get %v: code %d, want 12", body, code)
		}
	}
}

func TestDirGetDefaultLimit(t *testing.T) {
	_, ts := newMock(t, Config{})
	uuids := make([]any, 1001)
	for i := range uuids {
		uuids[i] = map[string]any{"uuid": fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1)}
	}
	if code := dirError(t, ts, http.MethodPost, "dir/get", map[string]any{"users": uuids}); code != 13 {
		t.Errorf("1001 uuids: code %d, want 13", code)
	}
	if code := dirError(t, ts, http.MethodPost, "dir/get", map[string]any{"users": uuids[:1000]}); code != 0 {
		t.Errorf("1000 uuids: code %d, want success", code)
	}
}

var upperUUID4 = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

func TestDirCreate(t *testing.T) {
	s, ts := newMock(t, Config{})
	id, _ := createEntry(t, ts, map[string]any{"name": "Generated"})
	if !upperUUID4.MatchString(id) {
		t.Errorf("generated uuid %q is not an uppercase uuid4", id)
	}
	lower := "abcdef01-2345-6789-abcd-ef0123456789"
	if got, _ := createEntry(t, ts, map[string]any{"uuid": lower, "name": "Lower"}); got != strings.ToUpper(lower) {
		t.Errorf("uuid %q, want it stored uppercase", got)
	}

	create := func(t *testing.T, query string, body map[string]any) map[string]any {
		t.Helper()
		r := send(t, http.MethodPut, ts.URL+"/api/dir/create"+query, toJSON(t, body), "Content-Type: application/json")
		reply := decodeDir(t, r.body)
		if !reply.Success {
			t.Fatalf("create: %+v", reply.Error)
		}
		return resultUsers(t, reply.Result)[0]
	}
	tests := []struct {
		name  string
		query string
		body  map[string]any
		codes []string // nil: created
	}{
		{"existing uuid", "", map[string]any{"users": []any{map[string]any{"uuid": lower}}}, []string{edirAlreadyExists}},
		{"existing uuid, other case", "", map[string]any{"users": []any{map[string]any{"uuid": strings.ToUpper(lower)}}}, []string{edirAlreadyExists}},
		{"force false", "", map[string]any{"force": false, "users": []any{map[string]any{"uuid": lower}}}, []string{edirAlreadyExists}},
		{"query force=0 wins over JSON", "?force=0", map[string]any{"force": true, "users": []any{map[string]any{"uuid": lower}}}, []string{edirAlreadyExists}},
		{"malformed uuid", "", map[string]any{"users": []any{map[string]any{"uuid": "01234567-89AB-CDEF-0123-456789ABCDE"}}}, []string{edirValueError}},
		{"all-zero uuid", "", map[string]any{"users": []any{map[string]any{"uuid": "00000000-0000-0000-0000-000000000000"}}}, []string{edirValueError}},
		{"unknown key", "", map[string]any{"users": []any{map[string]any{"albert": "einstein"}}}, []string{edirNameUnknown}},
		{"flattened key", "", map[string]any{"users": []any{map[string]any{"access.pin": "1234"}}}, []string{edirNameUnknown}},
		{"unknown nested key", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"door": "1"}}}}, []string{edirNameUnknown}},
		{"two problems", "", map[string]any{"users": []any{map[string]any{"albert": "x", "name": "a<b"}}}, []string{edirNameUnknown, edirValueError}},
		{"name with <", "", map[string]any{"users": []any{map[string]any{"name": "<b>"}}}, []string{edirValueError}},
		{"name with /", "", map[string]any{"users": []any{map[string]any{"name": "A/B"}}}, []string{edirValueError}},
		{"treepath with >", "", map[string]any{"users": []any{map[string]any{"treepath": "/a>b"}}}, []string{edirValueError}},
		{"treepath with /", "", map[string]any{"users": []any{map[string]any{"treepath": "/flats/2nd"}}}, nil},
		{"pin too short", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"pin": "1"}}}}, []string{edirValueError}},
		{"pin too long", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"pin": "1234567890123456"}}}}, []string{edirValueError}},
		{"pin letters", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"pin": "12ab"}}}}, []string{edirValueError}},
		{"pin as number", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"pin": 1234}}}}, []string{edirValueError}},
		{"code not digits", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"code": []any{"test"}}}}}, []string{edirValueError}},
		{"too many codes", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"code": []any{"", "", "", "", ""}}}}}, []string{edirValueError}},
		{"callPos not an array", "", map[string]any{"users": []any{map[string]any{"callPos": map[string]any{"peer": "1"}}}}, []string{edirValueError}},
		{"grouped not boolean", "", map[string]any{"users": []any{map[string]any{"callPos": []any{map[string]any{"grouped": "yes"}}}}}, []string{edirValueError}},
		{"validTo not numeric", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"validTo": "tomorrow"}}}}, []string{edirValueError}},
		{"validFrom negative", "", map[string]any{"users": []any{map[string]any{"access": map[string]any{"validFrom": -1}}}}, []string{edirValueError}},
		{"not an object", "", map[string]any{"users": []any{"x"}}, []string{edirValueError}},
		{"empty object", "", map[string]any{"users": []any{map[string]any{}}}, nil},
		{"uuid empty string", "", map[string]any{"users": []any{map[string]any{"uuid": "", "name": "Empty uuid"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.DirectoryEntries())
			u := create(t, tc.query, tc.body)
			codes := errorCodes(u)
			if !slices.Equal(codes, tc.codes) {
				t.Fatalf("result %v, want errors %v", u, tc.codes)
			}
			grew := len(s.DirectoryEntries()) - before
			if (tc.codes == nil) != (grew == 1) {
				t.Errorf("directory grew by %d", grew)
			}
			if tc.codes == nil && (u["timestamp"] == nil || !upperUUID4.MatchString(asString(u["uuid"]))) {
				t.Errorf("created entry reply %v lacks uuid or timestamp", u)
			}
		})
	}

	// Accepted value forms are stored in canonical types.
	id, _ = createEntry(t, ts, map[string]any{
		"callPos": []any{map[string]any{"grouped": "true"}, map[string]any{"grouped": false}},
		"access":  map[string]any{"validFrom": 1700000000, "validTo": "0042", "code": []any{"12", "123456789012345"}},
	})
	e, _ := s.DirectoryEntry(id)
	cp := asSlice(e["callPos"])
	acc := asMap(e["access"])
	if asMap(cp[0])["grouped"] != true || acc["validFrom"] != "1700000000" || acc["validTo"] != "42" {
		t.Errorf("stored forms: callPos %v access %v", cp, acc)
	}

	// force overwrites: fields not sent go back to their defaults. ?force=1 wins over JSON.
	createEntry(t, ts, map[string]any{"uuid": seedUUID, "name": "Before", "email": "x@y"})
	for _, tc := range []struct{ query, name string }{{"", "By JSON"}, {"?force=1", "By query"}} {
		body := map[string]any{"force": tc.query == "", "users": []any{map[string]any{"uuid": seedUUID, "name": tc.name}}}
		if u := create(t, tc.query, body); errorCodes(u) != nil {
			t.Fatalf("force create %q: %v", tc.query, u)
		}
		if e, _ := s.DirectoryEntry(seedUUID); e["name"] != tc.name || e["email"] != "" {
			t.Errorf("forced entry %v, want name %q and email reset", e, tc.name)
		}
	}

	// A deleted uuid may be created again without force.
	mustDir(t, ts, http.MethodPut, "dir/delete", map[string]any{"users": []any{map[string]any{"uuid": seedUUID}}})
	if u := create(t, "", map[string]any{"users": []any{map[string]any{"uuid": seedUUID, "name": "Reborn"}}}); errorCodes(u) != nil {
		t.Errorf("re-create after delete: %v", u)
	}

	for _, body := range []map[string]any{{}, {"users": []any{}}} {
		res := mustDir(t, ts, http.MethodPut, "dir/create", body)
		if _, has := res["users"]; has || res["series"] != s.Series() {
			t.Errorf("create %v: result %v, want only the series", body, res)
		}
	}
	if code := dirError(t, ts, http.MethodPut, "dir/create?force=maybe", map[string]any{"users": []any{}}); code != 12 {
		t.Errorf("force=maybe: code %d, want 12", code)
	}
}

func TestDirCreateCapacity(t *testing.T) {
	s, ts := newMock(t, Config{Capacity: 3})
	a, _ := createEntry(t, ts, map[string]any{"name": "a"})
	createEntry(t, ts, map[string]any{"name": "b"})
	three := map[string]any{"users": []any{map[string]any{"name": "c"}, map[string]any{"name": "d"}}}
	if code := dirError(t, ts, http.MethodPut, "dir/create", three); code != 14 {
		t.Fatalf("over capacity: code %d, want 14", code)
	}
	if n := len(s.DirectoryEntries()); n != 2 {
		t.Fatalf("a refused create changed the directory: %d entries", n)
	}
	createEntry(t, ts, map[string]any{"name": "c"})
	mustDir(t, ts, http.MethodPut, "dir/delete", map[string]any{"users": []any{map[string]any{"uuid": a}}})
	createEntry(t, ts, map[string]any{"name": "d"})
	if _, kept := s.DirectoryEntry(a); kept {
		t.Error("the oldest deleted entry was not purged to make room")
	}
	if n := len(s.DirectoryEntries()); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

func TestDirUpdate(t *testing.T) {
	s, ts := newMock(t, Config{})
	id, ts1 := createEntry(t, ts, map[string]any{
		"name":    "Flat 1",
		"callPos": []any{map[string]any{"peer": "101"}, map[string]any{"peer": "102"}, map[string]any{"peer": "103"}},
		"access":  map[string]any{"pin": "1111", "code": []any{"11", "22", "33", "44"}},
	})
	update := func(entry map[string]any) map[string]any {
		t.Helper()
		return resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/update", map[string]any{"users": []any{entry}}))[0]
	}

	u := update(map[string]any{"uuid": strings.ToLower(id), "email": "a@b",
		"callPos": []any{nil, map[string]any{"peer": "202", "grouped": true}},
		"access":  map[string]any{"code": []any{"99"}}})
	if errorCodes(u) != nil || u["uuid"] != id || tsOf(t, u) <= ts1 {
		t.Fatalf("partial update: %v", u)
	}
	e, _ := s.DirectoryEntry(id)
	cp := asSlice(e["callPos"])
	acc := asMap(e["access"])
	if e["name"] != "Flat 1" || e["email"] != "a@b" ||
		asMap(cp[0])["peer"] != "101" || asMap(cp[1])["peer"] != "202" || asMap(cp[1])["grouped"] != true ||
		asMap(cp[2])["peer"] != "103" || acc["pin"] != "1111" ||
		!reflect.DeepEqual(acc["code"], []any{"99", "22", "33", "44"}) {
		t.Errorf("after partial update: %v", e)
	}

	before, _ := s.DirectoryEntry(id)
	for _, tc := range []struct {
		name  string
		entry map[string]any
		code  string
	}{
		{"all or nothing", map[string]any{"uuid": id, "name": "Changed", "access": map[string]any{"pin": "x"}}, edirValueError},
		{"unknown field", map[string]any{"uuid": id, "name": "Changed", "albert": "einstein"}, edirNameUnknown},
		{"uuid missing", map[string]any{"name": "Changed"}, edirIsMissing},
		{"uuid malformed", map[string]any{"uuid": "76543210-68FF-18-3210-FEDCBA987654"}, edirInvalidFormat},
		{"uuid unknown", map[string]any{"uuid": "76543210-68FF-18CA-3210-FEDCBA987654"}, edirDoesNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if u := update(tc.entry); !slices.Equal(errorCodes(u), []string{tc.code}) || u["timestamp"] != nil {
				t.Errorf("reply %v, want only %s", u, tc.code)
			}
		})
	}
	if after, _ := s.DirectoryEntry(id); !reflect.DeepEqual(before, after) {
		t.Errorf("failed updates changed the entry:\n%v\n%v", before, after)
	}

	// deleted, timestamp and uuid in the body are ignored; an empty update still bumps the timestamp.
	u = update(map[string]any{"uuid": id, "deleted": true, "timestamp": 1})
	if errorCodes(u) != nil || tsOf(t, u) != s.Timestamp() {
		t.Errorf("no-op update: %v", u)
	}
	if e, _ := s.DirectoryEntry(id); e["deleted"] != false || e["timestamp"] != s.Timestamp() {
		t.Errorf("after no-op update: %v", e)
	}

	mustDir(t, ts, http.MethodPut, "dir/delete", map[string]any{"users": []any{map[string]any{"uuid": id}}})
	if u := update(map[string]any{"uuid": id, "name": "Zombie"}); !slices.Equal(errorCodes(u), []string{edirDoesNotExist}) {
		t.Errorf("update of a deleted entry: %v", u)
	}
	if code := dirError(t, ts, http.MethodPut, "dir/update", map[string]any{}); code != 11 {
		t.Errorf("update without users: code %d, want 11", code)
	}
}

func TestDirDelete(t *testing.T) {
	s, ts := newMock(t, Config{})
	a, _ := createEntry(t, ts, map[string]any{"name": "a", "owner": "My2N"})
	b, _ := createEntry(t, ts, map[string]any{"name": "b", "owner": "My2N"})
	c, _ := createEntry(t, ts, map[string]any{"name": "c", "owner": "ACOM"})

	del := func(body map[string]any) []map[string]any {
		t.Helper()
		return resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/delete", body))
	}
	users := del(map[string]any{"users": []any{map[string]any{"uuid": c}, map[string]any{"uuid": c}, map[string]any{"uuid": "nope"}}})
	if errorCodes(users[0]) != nil || tsOf(t, users[0]) != s.Timestamp() ||
		!slices.Equal(errorCodes(users[1]), []string{edirDoesNotExist}) ||
		!slices.Equal(errorCodes(users[2]), []string{edirInvalidFormat}) {
		t.Errorf("delete by uuid: %v", users)
	}
	e, _ := s.DirectoryEntry(c)
	if e["deleted"] != true || e["name"] != "" || e["owner"] != "" || e["uuid"] != c {
		t.Errorf("soft-deleted entry keeps its fields: %v", e)
	}
	get := resultUsers(t, mustDir(t, ts, http.MethodPost, "dir/get", map[string]any{"users": []any{map[string]any{"uuid": c}}}))
	if !slices.Equal(errorCodes(get[0]), []string{edirDoesNotExist}) {
		t.Errorf("get of a deleted entry: %v", get)
	}

	// users[] wins over owner.
	users = del(map[string]any{"owner": "My2N", "users": []any{map[string]any{"uuid": a}}})
	if len(users) != 1 || users[0]["uuid"] != a {
		t.Errorf("delete with both keys: %v", users)
	}
	if e, _ := s.DirectoryEntry(b); e["deleted"] != false {
		t.Error("owner was not ignored when users was given")
	}
	createEntry(t, ts, map[string]any{"name": "d", "owner": "My2N"})
	users = del(map[string]any{"owner": "My2N"})
	if len(users) != 2 || users[0]["uuid"] != b || tsOf(t, users[1]) <= tsOf(t, users[0]) {
		t.Errorf("delete by owner: %v", users)
	}
	if users := del(map[string]any{"owner": "nobody"}); len(users) != 0 {
		t.Errorf("unknown owner: %v", users)
	}
	for _, body := range []map[string]any{{}, {"owner": ""}, {"users": nil}} {
		if code := dirError(t, ts, http.MethodPut, "dir/delete", body); code != 11 {
			t.Errorf("delete %v: code %d, want 11", body, code)
		}
	}
	if code := dirError(t, ts, http.MethodPut, "dir/delete", map[string]any{"owner": 5}); code != 12 {
		t.Errorf("owner 5: code %d, want 12", code)
	}
}

func TestDirQuery(t *testing.T) {
	s, ts := newMock(t, Config{})
	a, tsA := createEntry(t, ts, map[string]any{"name": "a"})
	b, _ := createEntry(t, ts, map[string]any{"name": "b"})
	c, tsC := createEntry(t, ts, map[string]any{"name": "c"})
	mustDir(t, ts, http.MethodPut, "dir/update", map[string]any{"users": []any{map[string]any{"uuid": a, "email": "a@x"}}})
	mustDir(t, ts, http.MethodPut, "dir/delete", map[string]any{"users": []any{map[string]any{"uuid": b}}})
	series := s.Series()

	query := func(body map[string]any) (map[string]any, []string) {
		t.Helper()
		res := mustDir(t, ts, http.MethodPost, "dir/query", body)
		var order []string
		for _, u := range resultUsers(t, res) {
			order = append(order, asString(u["uuid"]))
		}
		return res, order
	}
	res, order := query(map[string]any{})
	if !slices.Equal(order, []string{c, a, b}) || res["series"] != series || res["timestamp"] != json.Number("5") {
		t.Fatalf("full query: order %v result %v", order, res)
	}
	users := resultUsers(t, res)
	if !reflect.DeepEqual(users[2], map[string]any{"uuid": b, "deleted": true, "timestamp": json.Number("5")}) {
		t.Errorf("deleted entry in query: %v", users[2])
	}
	if !reflect.DeepEqual(users[1], map[string]any{"uuid": a, "name": "a", "email": "a@x", "timestamp": json.Number("4")}) {
		t.Errorf("non-default fields of a: %v", users[1])
	}

	if _, order := query(map[string]any{"series": series, "iterator": map[string]any{"timestamp": tsC}}); !slices.Equal(order, []string{a, b}) {
		t.Errorf("after %d: %v, want [a b]", tsC, order)
	}
	if _, order := query(map[string]any{"series": series, "iterator": map[string]any{"timestamp": tsA}}); !slices.Equal(order, []string{c, a, b}) {
		t.Errorf("after %d: %v", tsA, order)
	}
	res, order = query(map[string]any{"series": series, "iterator": map[string]any{"timestamp": "5"}})
	if order != nil || res["timestamp"] != json.Number("5") {
		t.Errorf("nothing newer: %v %v", order, res)
	}
	// Another series: the device's series and highest timestamp, no
	// entries (2N's documentation); from iterator 0 in its own series, all.
	if res, order := query(map[string]any{"series": "1", "iterator": map[string]any{"timestamp": 0}}); order != nil || res["series"] != series || res["timestamp"] != json.Number("5") {
		t.Errorf("series mismatch: %v %v, want the series, timestamp 5 and no entries", order, res)
	}
	if _, order := query(map[string]any{"series": series, "iterator": map[string]any{"timestamp": 0}}); !slices.Equal(order, []string{c, a, b}) {
		t.Errorf("from 0: %v, want everything", order)
	}
	res, _ = query(map[string]any{"fields": []any{"email"}, "iterator": map[string]any{"timestamp": 3}})
	if users := resultUsers(t, res); !reflect.DeepEqual(users[0], map[string]any{"uuid": a, "email": "a@x", "timestamp": json.Number("4")}) {
		t.Errorf("query with fields: %v", users)
	}
	for _, body := range []map[string]any{{"iterator": 3}, {"iterator": map[string]any{"timestamp": -1}}, {"iterator": map[string]any{"timestamp": "x"}}, {"series": []any{}}} {
		if code := dirError(t, ts, http.MethodPost, "dir/query", body); code != 12 {
			t.Errorf("query %v: code %d, want 12", body, code)
		}
	}
}

func TestDirTimestampsAndSeries(t *testing.T) {
	s, ts := newMock(t, Config{Series: "6423407687606431951"})
	var last int64
	check := func(what string, got int64) {
		t.Helper()
		if got <= last {
			t.Errorf("%s: timestamp %d not above %d", what, got, last)
		}
		last = got
	}
	res := resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/create", map[string]any{"users": []any{
		map[string]any{"name": "a"}, map[string]any{"name": "b"}, map[string]any{"name": "c"},
	}}))
	for _, u := range res {
		check("create", tsOf(t, u))
	}
	a := asString(res[0]["uuid"])
	check("update", tsOf(t, resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/update", map[string]any{"users": []any{map[string]any{"uuid": a, "name": "a2"}}}))[0]))
	check("delete", tsOf(t, resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/delete", map[string]any{"users": []any{map[string]any{"uuid": a}}}))[0]))
	check("re-create", tsOf(t, resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/create", map[string]any{"users": []any{map[string]any{"uuid": a}}}))[0]))

	if got := mustDir(t, ts, http.MethodPost, "dir/get", map[string]any{})["series"]; got != "6423407687606431951" {
		t.Errorf("series %v", got)
	}
	old := s.Series()
	if series := s.ResetDirectory(false); series == old || s.Timestamp() != 0 || len(s.DirectoryEntries()) != 0 {
		t.Errorf("reset: series %s (old %s), timestamp %d, %d entries", series, old, s.Timestamp(), len(s.DirectoryEntries()))
	}
	if _, ts1 := createEntry(t, ts, map[string]any{"name": "fresh"}); ts1 != 1 {
		t.Errorf("first timestamp of a new series: %d, want 1", ts1)
	}
	res2 := mustDir(t, ts, http.MethodPost, "dir/query", map[string]any{"series": old, "iterator": map[string]any{"timestamp": 100}})
	if res2["series"] != s.Series() || res2["timestamp"] != json.Number("1") || len(resultUsers(t, res2)) != 0 {
		t.Errorf("query with the old series: %v, want the new series, timestamp 1, no entries", res2)
	}
}

func TestDirMethodsAndPaths(t *testing.T) {
	_, ts := newMock(t, Config{})
	allowed := map[string][]string{
		"dir/get": {"POST"}, "dir/query": {"POST"}, "dir/create": {"PUT"}, "dir/update": {"PUT"},
		"dir/delete": {"PUT"}, "dir/template": {"GET", "POST"},
	}
	for fn, methods := range allowed {
		for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
			code := dirError(t, ts, m, fn, `{"users":[],"owner":"x"}`)
			want := 3
			if slices.Contains(methods, m) {
				want = 0
			}
			if code != want {
				t.Errorf("%s %s: code %d, want %d", m, fn, code, want)
			}
		}
	}
	for _, path := range []string{"dir/validate", "dir", "system/info", "v3/pbx/users", "dir/get/x"} {
		status, reply := dir(t, ts, http.MethodPost, path, "{}")
		if status != http.StatusOK || reply.Error == nil || reply.Error.Code != 2 || reply.Error.Description != "invalid request path" {
			t.Errorf("%s: HTTP %d %+v", path, status, reply.Error)
		}
	}
	for _, body := range []string{`{"users":`, `[]`, `"x"`} {
		if code := dirError(t, ts, http.MethodPost, "dir/get", body); code != 12 {
			t.Errorf("body %s: code %d, want 12", body, code)
		}
	}
}
