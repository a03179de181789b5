package mockpbx

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestUsersUpdateSeedPage replays the curl example of the seed page (body and headers) and
// expects the page's reply byte for byte (modulo whitespace).
func TestUsersUpdateSeedPage(t *testing.T) {
	s, ts := newMock(t, Config{Users: []map[string]any{{
		"_id": "603f4ea7fcff3269187a3da3", "name": "Old name", "number": "908", "secret": "old",
		"nat": "force_rport,comedia", "description": "lobby",
	}}})
	body := readTestdata(t, "simotel-users-update.request.json")
	r := send(t, http.MethodPost, ts.URL+"/api/v4/pbx/users/update", body, simotelHeaders...)
	if r.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
	want := readTestdata(t, "simotel-users-update.response.json")
	if string(r.body) != `{"success":1,"message":"Requested operation is done successfully","data":""}` {
		t.Fatalf("reply %s, want the seed's %s", r.body, want)
	}
	if !jsonEqual(t, string(r.body), want) {
		t.Fatalf("reply %s is not the seed's %s", r.body, want)
	}

	var sent map[string]any
	if err := json.Unmarshal([]byte(body), &sent); err != nil {
		t.Fatal(err)
	}
	u, _ := s.UserByNumber(fmt.Sprint(sent["number"]))
	if u["_id"] != "603f4ea7fcff3269187a3da3" {
		t.Fatalf("the updated user is %v", u)
	}
	for k, v := range sent {
		if k == "forward_policy" {
			if !maps.Equal(toStringMap(u[k]), toStringMap(v)) {
				t.Errorf("forward_policy = %v, want %v", u[k], v)
			}
			continue
		}
		if u[k] != v {
			t.Errorf("%s = %v, want %v", k, u[k], v)
		}
	}
	if u["description"] != "lobby" {
		t.Errorf("description = %v, want it kept", u["description"])
	}
}

func toStringMap(v any) map[string]string {
	out := map[string]string{}
	for k, x := range asMap(v) {
		out[k] = asString(x)
	}
	return out
}

var jalaliPattern = regexp.MustCompile(`^1[34]\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$`)

func TestUsersAddSearchRemove(t *testing.T) {
	_, ts := newMock(t, Config{})
	id := addUser(t, ts, map[string]any{"name": "Reception", "number": "101", "secret": "s3cret"})

	got := searchUsers(t, ts, map[string]any{"alike": false, "conditions": map[string]any{"number": "101"}})
	if len(got) != 1 {
		t.Fatalf("search found %d users, want 1", len(got))
	}
	rec := got[0]
	want := map[string]any{
		"_id": id, "user_type": "SIP", "active": "yes", "call_record": "no", "push_notification": "no",
		"name": "Reception", "number": "101", "cid_number": "", "secret": "******",
		"deny": "0.0.0.0/0.0.0.0", "permit": "0.0.0.0/0.0.0.0", "dtmfmode": "rfc2833",
		"context": "main_routing", "host": "dynamic", "type": "user", "port": "5060", "qualify": "no",
		"email": "", "more_options": "", "canreinvite": "no", "directmedia": "no", "nat": "no",
		"callgroup": "1", "pickupgroup": "1", "callcounter": "no", "faxdetect": "no", "call_limit": "",
		"description": "",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	if !maps.Equal(toStringMap(rec["forward_policy"]), map[string]string{"Busy": "", "No Answer": "", "UnAvailable": "", "All": ""}) {
		t.Errorf("forward_policy = %v", rec["forward_policy"])
	}
	if q, ok := rec["queues"].([]any); !ok || len(q) != 0 {
		t.Errorf("queues = %v, want []", rec["queues"])
	}
	if !jalaliPattern.MatchString(asString(rec["date"])) {
		t.Errorf("date %q is not a Jalali YYYY-MM-DD HH:MM:SS", rec["date"])
	}
	for _, k := range []string{"trunk", "transfer", "mapped"} {
		if _, present := rec[k]; present {
			t.Errorf("SIP record carries %s", k)
		}
	}
	if len(rec) != len(want)+3 {
		t.Errorf("record has %d keys, want %d: %v", len(rec), len(want)+3, rec)
	}

	reply := mustSimotel(t, ts, "pbx/users/remove", map[string]any{"_id": id})
	if reply.Message != msgDone || string(reply.Data) != `""` {
		t.Errorf("remove reply %+v", reply)
	}
	status, raw := simotel(t, ts, "pbx/users/search", map[string]any{"alike": false})
	if status != http.StatusOK || raw.Success != 1 || raw.Message != "" || string(raw.Data) != "[]" {
		t.Errorf("empty search: HTTP %d %+v %s", status, raw, raw.Data)
	}
	if _, reply := simotel(t, ts, "pbx/users/remove", map[string]any{"_id": id}); reply.Success != 0 || reply.Message != msgFailed {
		t.Errorf("second remove: %+v", reply)
	}
}

func TestUsersUpdateIsFullReplace(t *testing.T) {
	s, ts := newMock(t, Config{})
	id := addUser(t, ts, map[string]any{
		"name": "A", "number": "200", "secret": "x", "nat": "force_rport,comedia", "email": "a@example.com",
		"forward_policy": map[string]any{"Busy": "300", "All": "0912"}, "call_limit": "2",
	})
	addUser(t, ts, map[string]any{"name": "B", "number": "201", "secret": "y"})

	mustSimotel(t, ts, "pbx/users/update", map[string]any{"_id": id, "name": "A2", "number": "210", "secret": "z"})
	u, _ := s.UserByNumber("210")
	for k, v := range map[string]string{"_id": id, "name": "A2", "number": "210", "secret": "z", "nat": "no", "email": "", "call_limit": ""} {
		if u[k] != v {
			t.Errorf("after update %s = %v, want %v", k, u[k], v)
		}
	}
	if fp := toStringMap(u["forward_policy"]); fp["Busy"] != "" || fp["All"] != "" {
		t.Errorf("forward_policy not reset: %v", fp)
	}

	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"duplicate number", map[string]any{"_id": id, "name": "A", "number": "201", "secret": "x"}, msgDuplicate},
		{"secret omitted", map[string]any{"_id": id, "name": "A", "number": "210"}, "Field 'secret':value is missing"},
		{"name empty", map[string]any{"_id": id, "name": "", "number": "210", "secret": "x"}, "Field 'name':value is missing"},
		{"_id missing", map[string]any{"name": "A", "number": "210", "secret": "x"}, "Field '_id':value is missing"},
		{"_id malformed", map[string]any{"_id": "xyz", "name": "A", "number": "210", "secret": "x"}, msgFailed},
		{"_id not a string", map[string]any{"_id": 12, "name": "A", "number": "210", "secret": "x"}, msgFailed},
		{"_id unknown", map[string]any{"_id": "603b41443e14270c550bf15a", "name": "A", "number": "210", "secret": "x"}, msgFailed},
		{"invalid value", map[string]any{"_id": id, "name": "A", "number": "210", "secret": "x", "qualify": "maybe"}, "Field 'qualify':value 'maybe' is invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := simotel(t, ts, "pbx/users/update", tc.body)
			if status != http.StatusOK || reply.Success != 0 || reply.Message != tc.want {
				t.Errorf("HTTP %d %+v, want success 0 %q", status, reply, tc.want)
			}
		})
	}
	if u2, _ := s.UserByNumber("210"); u2["_id"] != id || u2["name"] != "A2" {
		t.Errorf("failed updates changed the user: %v", u2)
	}
	mustSimotel(t, ts, "pbx/users/update", map[string]any{"_id": strings.ToUpper(id), "name": "A3", "number": "210", "secret": "z"})
	if u3, _ := s.UserByNumber("210"); u3["name"] != "A3" {
		t.Errorf("update with an uppercase _id did not apply: %v", u3)
	}
	if _, reply := simotel(t, ts, "pbx/users/remove", map[string]any{}); reply.Message != "Field '_id':value is missing" {
		t.Errorf("remove without _id: %+v", reply)
	}
	if _, reply := simotel(t, ts, "pbx/users/remove", map[string]any{"_id": "nope"}); reply.Message != msgFailed {
		t.Errorf("remove malformed _id: %+v", reply)
	}
}

func TestUsersTransportErrors(t *testing.T) {
	_, ts := newMock(t, Config{Accounts: []Account{
		{Username: testUser, Password: testPass, APIKey: testKey, Mode: "both"},
		{Username: "reader", Password: "r", Mode: "basic", Allowed: []string{"/pbx/users/search"}},
	}})
	const ct = "Content-Type: application/json"
	basic := "Authorization: Basic dGVzdDpBYTEyMzQ1Ng=="
	key := "X-APIKEY: " + testKey
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		message string
	}{
		{"no credentials", "POST", "pbx/users/search", "{}", []string{ct}, 401, msgAuthMissing},
		{"wrong key", "POST", "pbx/users/search", "{}", []string{ct, basic, "X-APIKEY: nope"}, 401, msgAuthInvalid},
		{"wrong password", "POST", "pbx/users/search", "{}", []string{ct, key, "Authorization: Basic dGVzdDp4"}, 401, msgAuthInvalid},
		{"basic only on a both account", "POST", "pbx/users/search", "{}", []string{ct, basic}, 401, msgAuthInvalid},
		{"key only on a both account", "POST", "pbx/users/search", "{}", []string{ct, key}, 401, msgAuthInvalid},
		{"malformed basic", "POST", "pbx/users/search", "{}", []string{ct, key, "Authorization: Basic !!!"}, 401, msgAuthInvalid},
		{"unknown action", "POST", "pbx/users/get", "{}", []string{ct, basic, key}, 501, msgNoService},
		{"unknown action without credentials", "POST", "pbx/users/get", "{}", []string{ct}, 401, msgAuthMissing},
		{"GET", "GET", "pbx/users/search", "", []string{ct, basic, key}, 405, msgBadMethod},
		{"PUT", "PUT", "pbx/users/update", "{}", []string{ct, basic, key}, 405, msgBadMethod},
		{"not granted", "POST", "pbx/users/add", "{}", []string{ct, "Authorization: Basic cmVhZGVyOnI="}, 403, `"/pbx/users/add";Access denied`},
		{"granted", "POST", "pbx/users/search", "{}", []string{ct, "Authorization: Basic cmVhZGVyOnI="}, 200, ""},
		{"text/plain", "POST", "pbx/users/search", "{}", []string{"Content-Type: text/plain", basic, key}, 415, msgBadMediaType},
		{"no content type", "POST", "pbx/users/search", "{}", []string{basic, key}, 415, msgBadMediaType},
		{"json with charset", "POST", "pbx/users/search", "{}", []string{"Content-Type: application/json; charset=utf-8", basic, key}, 200, ""},
		{"broken JSON", "POST", "pbx/users/search", `{"alike":`, []string{ct, basic, key}, 400, msgUnparsable},
		{"JSON array", "POST", "pbx/users/search", `[]`, []string{ct, basic, key}, 400, msgUnparsable},
		{"trailing garbage", "POST", "pbx/users/search", `{} x`, []string{ct, basic, key}, 400, msgUnparsable},
		{"empty body", "POST", "pbx/users/search", ``, []string{ct, basic, key}, 400, msgUnparsable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, tc.method, ts.URL+"/api/v4/"+tc.path, tc.body, tc.headers...)
			var reply simotelReply
			if err := json.Unmarshal(r.body, &reply); err != nil {
				t.Fatalf("HTTP %d body %q: %v", r.status, r.body, err)
			}
			wantSuccess := 0
			if tc.status == 200 {
				wantSuccess = 1
			}
			if r.status != tc.status || reply.Message != tc.message || reply.Success != wantSuccess {
				t.Errorf("HTTP %d %+v, want %d %q", r.status, reply, tc.status, tc.message)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	for _, path := range []string{"/", "/index.php", "/apix", "/_mock/users"} {
		r := send(t, http.MethodGet, ts.URL+path, "")
		if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "<title>404 Not Found</title>") ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: HTTP %d %q", path, r.status, r.body)
		}
	}
}

func TestUsersAuthModes(t *testing.T) {
	_, ts := newMock(t, Config{Accounts: []Account{
		{Username: "b", Password: "bp", Mode: "basic"},
		{APIKey: "tok", Mode: "token"},
		{Username: "both", Password: "p", APIKey: "both-key", Mode: "both"},
	}})
	basicB := "Authorization: Basic YjpicA=="         // b:bp
	basicBoth := "Authorization: Basic Ym90aDpw"      // both:p
	basicWrong := "Authorization: Basic Yjp3cm9uZw==" // b:wrong
	tests := []struct {
		name    string
		headers []string
		status  int
	}{
		{"basic account with basic", []string{basicB}, 200},
		{"basic account with basic and any key", []string{basicB, "X-APIKEY: whatever"}, 200},
		{"basic account wrong password", []string{basicWrong}, 401},
		{"token account", []string{"X-APIKEY: tok"}, 200},
		{"token account wrong key", []string{"X-APIKEY: tok2"}, 401},
		{"both account with both", []string{basicBoth, "X-APIKEY: both-key"}, 200},
		{"both account without key", []string{basicBoth}, 401},
		{"both account without basic", []string{"X-APIKEY: both-key"}, 401},
		{"both account with wrong key", []string{basicBoth, "X-APIKEY: tok3"}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, http.MethodPost, ts.URL+"/api/v4/pbx/users/search", "{}", append(tc.headers, "Content-Type: application/json")...)
			if r.status != tc.status {
				t.Errorf("HTTP %d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.status == 401 && !strings.Contains(string(r.body), msgAuthInvalid) {
				t.Errorf("body %s, want %q", r.body, msgAuthInvalid)
			}
		})
	}
}

func TestUsersValidation(t *testing.T) {
	_, ts := newMock(t, Config{})
	addUser(t, ts, map[string]any{"name": "Taken", "number": "500", "secret": "x"})
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "N", "number": "600", "secret": "s"}
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name  string
		extra map[string]any
		want  string // "" = accepted
	}{
		{"name missing", map[string]any{"name": nil}, "Field 'name':value is missing"},
		{"number missing", map[string]any{"number": nil}, "Field 'number':value is missing"},
		{"secret empty", map[string]any{"secret": ""}, "Field 'secret':value is missing"},
		{"name not a string", map[string]any{"name": true}, "Field 'name':value 'true' is invalid"},
		{"yes/no", map[string]any{"active": "true"}, "Field 'active':value 'true' is invalid"},
		{"yes/no empty", map[string]any{"call_record": ""}, "Field 'call_record':value '' is invalid"},
		{"yes/no trunk", map[string]any{"trunk": "Yes"}, "Field 'trunk':value 'Yes' is invalid"},
		{"type", map[string]any{"type": "admin"}, "Field 'type':value 'admin' is invalid"},
		{"type friend", map[string]any{"type": "friend"}, ""},
		{"user_type", map[string]any{"user_type": "sip"}, "Field 'user_type':value 'sip' is invalid"},
		{"user_type IAX2", map[string]any{"user_type": "IAX2"}, ""},
		{"nat", map[string]any{"nat": "maybe"}, "Field 'nat':value 'maybe' is invalid"},
		{"nat force_rport,comedia", map[string]any{"nat": "force_rport,comedia"}, ""},
		{"nat force_rport", map[string]any{"nat": "force_rport"}, ""},
		{"nat comedia", map[string]any{"nat": "comedia"}, ""},
		{"dtmfmode", map[string]any{"dtmfmode": "pulse"}, "Field 'dtmfmode':value 'pulse' is invalid"},
		{"dtmfmode shortinfo", map[string]any{"dtmfmode": "shortinfo"}, ""},
		{"deny without mask", map[string]any{"deny": "10.0.0.1"}, "Field 'deny':value '10.0.0.1' is invalid"},
		{"deny prefix length", map[string]any{"deny": "10.0.0.0/8"}, "Field 'deny':value '10.0.0.0/8' is invalid"},
		{"deny holey mask", map[string]any{"deny": "10.0.0.0/255.0.255.0"}, "Field 'deny':value '10.0.0.0/255.0.255.0' is invalid"},
		{"permit bad address", map[string]any{"permit": "300.1.1.1/255.255.255.0"}, "Field 'permit':value '300.1.1.1/255.255.255.0' is invalid"},
		{"permit ok", map[string]any{"permit": "192.168.1.0/255.255.255.0"}, ""},
		{"port 0", map[string]any{"port": "0"}, "Field 'port':value '0' is invalid"},
		{"port 65536", map[string]any{"port": "65536"}, "Field 'port':value '65536' is invalid"},
		{"port text", map[string]any{"port": "sip"}, "Field 'port':value 'sip' is invalid"},
		{"port 65535", map[string]any{"port": "65535"}, ""},
		{"port as JSON number", map[string]any{"port": json.Number("5061")}, ""},
		{"number letters", map[string]any{"number": "12a"}, "Field 'number':value '12a' is invalid"},
		{"number duplicate", map[string]any{"number": "500"}, msgDuplicate},
		{"number as JSON number", map[string]any{"number": 601}, ""},
		{"forward_policy unknown key", map[string]any{"forward_policy": map[string]any{"Busy": "1", "Never": "2"}}, "Field 'forward_policy':key 'Never' is invalid"},
		{"forward_policy lowercase key", map[string]any{"forward_policy": map[string]any{"busy": "1"}}, "Field 'forward_policy':key 'busy' is invalid"},
		{"forward_policy bad value", map[string]any{"forward_policy": map[string]any{"No Answer": "abc"}}, "Field 'forward_policy.No Answer':value 'abc' is invalid"},
		{"forward_policy not an object", map[string]any{"forward_policy": "571"}, "Field 'forward_policy':value '571' is invalid"},
		{"forward_policy partial", map[string]any{"forward_policy": map[string]any{"All": "+98912", "Busy": ""}}, ""},
		{"call_limit text", map[string]any{"call_limit": "two"}, "Field 'call_limit':value 'two' is invalid"},
		{"call_limit digits", map[string]any{"call_limit": "2"}, ""},
		{"unknown key ignored", map[string]any{"favourite_colour": "blue", "_id": "603b41443e14270c550bf15a"}, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := base(tc.extra)
			if tc.want == "" && tc.extra["number"] == nil {
				body["number"] = json.Number(strings.Repeat("7", i+1))
			}
			for k, v := range body {
				if v == nil {
					delete(body, k)
				}
			}
			status, reply := simotel(t, ts, "pbx/users/add", body)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d", status)
			}
			if tc.want == "" {
				if reply.Success != 1 {
					t.Errorf("rejected: %q", reply.Message)
				}
				return
			}
			if reply.Success != 0 || reply.Message != tc.want {
				t.Errorf("got success %d %q, want %q", reply.Success, reply.Message, tc.want)
			}
		})
	}

	recs := searchUsers(t, ts, map[string]any{"conditions": map[string]any{"number": "601"}})
	if len(recs) != 1 || recs[0]["number"] != "601" {
		t.Errorf("JSON number 601 not stored as the string \"601\": %v", recs)
	}
}

func TestUsersSearch(t *testing.T) {
	s, ts := newMock(t, Config{Users: []map[string]any{
		{"name": "Alice", "number": "101", "secret": "a"},
		{"name": "alice smith", "number": "102", "secret": "b"},
		{"name": "Bob", "number": "20", "secret": "c", "mapped": "210"},
		{"name": "Carol", "number": "1000", "secret": "d", "user_type": "IAX2"},
		{"name": "Zero", "number": "0100", "secret": "e"},
	}})
	names := func(recs []map[string]any) []string {
		var out []string
		for _, r := range recs {
			out = append(out, asString(r["name"]))
		}
		return out
	}
	tests := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"everything sorted by number", map[string]any{"status": "all", "alike": false}, []string{"Bob", "Zero", "Alice", "alice smith", "Carol"}},
		{"no body keys", map[string]any{}, []string{"Bob", "Zero", "Alice", "alice smith", "Carol"}},
		{"exact name", map[string]any{"alike": false, "conditions": map[string]any{"name": "Alice"}}, []string{"Alice"}},
		{"exact is case-sensitive", map[string]any{"alike": false, "conditions": map[string]any{"name": "alice"}}, nil},
		{"alike is case-insensitive substring", map[string]any{"alike": true, "conditions": map[string]any{"name": "ALIC"}}, []string{"Alice", "alice smith"}},
		{"alike as 1", map[string]any{"alike": 1, "conditions": map[string]any{"name": "smith"}}, []string{"alice smith"}},
		{"empty conditions ignored", map[string]any{"alike": false, "conditions": map[string]any{"name": "Bob", "number": "", "mapped": ""}}, []string{"Bob"}},
		{"exact number", map[string]any{"alike": false, "conditions": map[string]any{"number": "10"}}, nil},
		{"alike number", map[string]any{"alike": true, "conditions": map[string]any{"number": "10"}}, []string{"Zero", "Alice", "alice smith", "Carol"}},
		{"number as JSON number", map[string]any{"conditions": map[string]any{"number": 20}}, []string{"Bob"}},
		{"name and number", map[string]any{"alike": true, "conditions": map[string]any{"name": "alice", "number": "2"}}, []string{"alice smith"}},
		{"mapped status", map[string]any{"status": "mapped", "alike": false}, []string{"Bob"}},
		{"mapped condition", map[string]any{"alike": false, "conditions": map[string]any{"mapped": "210"}}, []string{"Bob"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(searchUsers(t, ts, tc.body)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, body := range []map[string]any{{"status": "some"}, {"alike": "maybe"}, {"conditions": "Bob"}, {"conditions": map[string]any{"name": []any{"x"}}}} {
		if _, reply := simotel(t, ts, "pbx/users/search", body); reply.Success != 0 || !strings.Contains(reply.Message, "is invalid") {
			t.Errorf("search %v: %+v, want an invalid-field error", body, reply)
		}
	}

	carol := searchUsers(t, ts, map[string]any{"conditions": map[string]any{"name": "Carol"}})[0]
	if carol["trunk"] != "no" || carol["transfer"] != "no" {
		t.Errorf("IAX2 record lacks trunk/transfer: %v", carol)
	}
	if carol["secret"] != maskedSecret {
		t.Errorf("secret %v, want masked", carol["secret"])
	}
	if users := s.Users(); users[4]["secret"] != "d" || users[0]["mapped"] != "210" {
		t.Errorf("Users() does not hold the clear secret and mapped value: %v", users)
	}
}

func TestUsersRevealSecrets(t *testing.T) {
	_, ts := newMock(t, Config{RevealSecrets: true})
	addUser(t, ts, map[string]any{"name": "A", "number": "1", "secret": "clear-text"})
	if recs := searchUsers(t, ts, map[string]any{}); recs[0]["secret"] != "clear-text" {
		t.Errorf("secret %v, want it in clear", recs[0]["secret"])
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	account := []Account{{Username: "u", Password: "p", APIKey: "k"}}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no account", Config{}},
		{"bad mode", Config{Accounts: []Account{{Username: "u", Mode: "oauth"}}}},
		{"basic without username", Config{Accounts: []Account{{APIKey: "k", Mode: "basic"}}}},
		{"token without key", Config{Accounts: []Account{{Username: "u", Mode: "token"}}}},
		{"bad dir auth", Config{Accounts: account, DirAuth: "ntlm"}},
		{"digest without username", Config{Accounts: []Account{{APIKey: "k", Mode: "token"}}}},
		{"bad series", Config{Accounts: account, Series: "abc"}},
		{"invalid seed user", Config{Accounts: account, Users: []map[string]any{{"name": "x", "number": "1"}}}},
		{"duplicate seed number", Config{Accounts: account, Users: []map[string]any{
			{"name": "x", "number": "1", "secret": "s"}, {"name": "y", "number": "1", "secret": "s"}}}},
		{"bad seed _id", Config{Accounts: account, Users: []map[string]any{{"_id": "12", "name": "x", "number": "1", "secret": "s"}}}},
		{"invalid seed entry", Config{Accounts: account, Directory: []map[string]any{{"name": "a<b"}}}},
		{"duplicate seed entry", Config{Accounts: account, Directory: []map[string]any{
			{"uuid": "01234567-89AB-CDEF-0123-456789ABCDEF"}, {"uuid": "01234567-89ab-cdef-0123-456789abcdef"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

func TestSeedsAcceptGoTypes(t *testing.T) {
	s, ts := newMock(t, Config{
		Users: []map[string]any{{
			"name": "Typed", "number": 700, "secret": "s", "port": 5070,
			"forward_policy": map[string]string{"Busy": "701"}, "queues": []string{"600"},
		}},
		Directory: []map[string]any{{
			"uuid":    seedUUID,
			"callPos": []map[string]any{{"peer": "700", "grouped": true}},
			"access":  map[string]any{"validFrom": int64(1700000000), "code": [4]string{"12"}},
		}},
	})
	u := s.Users()[0]
	if u["number"] != "700" || u["port"] != "5070" || asMap(u["forward_policy"])["Busy"] != "701" || asSlice(u["queues"])[0] != "600" {
		t.Errorf("seed user stored as %v", u)
	}
	e, _ := s.DirectoryEntry(seedUUID)
	if asMap(asSlice(e["callPos"])[0])["peer"] != "700" || asMap(e["access"])["validFrom"] != "1700000000" {
		t.Errorf("seed entry stored as %v", e)
	}
	if _, err := s.PatchUser(asString(u["_id"]), map[string]any{"forward_policy": map[string]string{"All": "9"}}); err != nil {
		t.Errorf("PatchUser with Go types: %v", err)
	}
	recs := searchUsers(t, ts, map[string]any{})
	if fp := asMap(recs[0]["forward_policy"]); fp["All"] != "9" || fp["Busy"] != "701" {
		t.Errorf("after patch: %v", fp)
	}
}
