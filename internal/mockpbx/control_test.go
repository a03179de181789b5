package mockpbx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// control calls the control API and decodes a JSON reply into out (when not nil).
func control(t *testing.T, ts *httptest.Server, method, path, body string, out any) int {
	t.Helper()
	r := send(t, method, ts.URL+"/_mock/"+path, body, "Content-Type: application/json")
	if out != nil && len(r.body) > 0 {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: %q: %v", method, path, r.body, err)
		}
	}
	return r.status
}

func TestControlDisabled(t *testing.T) {
	_, ts := newMock(t, Config{Control: false})
	for _, path := range []string{"users", "requests", "reset"} {
		if status := control(t, ts, http.MethodGet, path, "", nil); status != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", path, status)
		}
	}
}

func TestControlUsers(t *testing.T) {
	_, ts := newMock(t, Config{Control: true})
	id := addUser(t, ts, map[string]any{"name": "A", "number": "300", "secret": "pw", "forward_policy": map[string]any{"Busy": "1", "All": "2"}})
	addUser(t, ts, map[string]any{"name": "B", "number": "30", "secret": "pw2"})

	var users []map[string]any
	if status := control(t, ts, http.MethodGet, "users", "", &users); status != 200 || len(users) != 2 ||
		users[0]["number"] != "30" || users[1]["secret"] != "pw" || users[1]["trunk"] != "no" {
		t.Fatalf("GET users: HTTP %d %v", status, users)
	}

	var rec map[string]any
	if status := control(t, ts, http.MethodPatch, "users/"+id, `{"name":"Changed","forward_policy":{"Busy":"123"},"port":5062}`, &rec); status != 200 {
		t.Fatalf("PATCH: HTTP %d %v", status, rec)
	}
	fp := asMap(rec["forward_policy"])
	if rec["name"] != "Changed" || rec["port"] != "5062" || fp["Busy"] != "123" || fp["All"] != "2" {
		t.Errorf("PATCH result %v", rec)
	}
	found := searchUsers(t, ts, map[string]any{"conditions": map[string]any{"number": "300"}})
	if len(found) != 1 || found[0]["name"] != "Changed" {
		t.Errorf("search after PATCH: %v", found)
	}
	for _, body := range []string{`{"name":true}`, `{"colour":"red"}`, `{"forward_policy":{"Never":"1"}}`, `{"_id":"603b41443e14270c550bf15a"}`, `[1]`} {
		if status := control(t, ts, http.MethodPatch, "users/"+id, body, nil); status != http.StatusBadRequest {
			t.Errorf("PATCH %s: HTTP %d, want 400", body, status)
		}
	}
	if status := control(t, ts, http.MethodPatch, "users/603b41443e14270c550bf15a", `{"name":"x"}`, nil); status != 404 {
		t.Errorf("PATCH unknown: HTTP %d", status)
	}
	if status := control(t, ts, http.MethodPatch, "users/number:300", `{"name":"By number"}`, &rec); status != 200 || rec["_id"] != id || rec["name"] != "By number" {
		t.Errorf("PATCH users/number:300: HTTP %d %v", status, rec)
	}
	if status := control(t, ts, http.MethodPatch, "users/number:999", `{"name":"x"}`, nil); status != 404 {
		t.Errorf("PATCH users/number:999: HTTP %d, want 404", status)
	}
	if status := control(t, ts, http.MethodDelete, "users/"+id, "", nil); status != http.StatusNoContent {
		t.Errorf("DELETE: HTTP %d", status)
	}
	if status := control(t, ts, http.MethodDelete, "users/"+id, "", nil); status != http.StatusNotFound {
		t.Errorf("second DELETE: HTTP %d", status)
	}
	if status := control(t, ts, http.MethodPut, "users", "", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT users: HTTP %d", status)
	}
	if status := control(t, ts, http.MethodGet, "nothing/here", "", nil); status != http.StatusNotFound {
		t.Errorf("unknown route: HTTP %d", status)
	}
}

type dirSnapshot struct {
	Series    string           `json:"series"`
	Timestamp int64            `json:"timestamp"`
	Entries   []map[string]any `json:"entries"`
}

func TestControlDirectory(t *testing.T) {
	s, ts := newMock(t, Config{Control: true})
	var e map[string]any
	if status := control(t, ts, http.MethodPut, "directory/"+strings.ToLower(seedUUID), `{"name":"Out of band","access":{"pin":"1234"}}`, &e); status != 200 ||
		e["uuid"] != seedUUID || e["timestamp"] != float64(1) {
		t.Fatalf("PUT new: HTTP %d %v", status, e)
	}
	if status := control(t, ts, http.MethodPut, "directory/"+seedUUID, `{"access":{"validTo":"99"},"callPos":[{"peer":"5"}]}`, &e); status != 200 {
		t.Fatalf("PUT merge: HTTP %d %v", status, e)
	}
	acc := asMap(e["access"])
	if e["name"] != "Out of band" || acc["pin"] != "1234" || acc["validTo"] != "99" || e["timestamp"] != float64(2) {
		t.Errorf("nested merge: %v", e)
	}
	for _, tc := range []struct{ path, body string }{
		{"directory/" + seedUUID, `{"name":"a<b"}`},
		{"directory/" + seedUUID, `{"nickname":"x"}`},
		{"directory/not-a-uuid", `{}`},
	} {
		if status := control(t, ts, http.MethodPut, tc.path, tc.body, nil); status != http.StatusBadRequest {
			t.Errorf("PUT %s %s: HTTP %d, want 400", tc.path, tc.body, status)
		}
	}

	if status := control(t, ts, http.MethodPost, "directory/"+seedUUID+"/touch", "", &e); status != 200 || e["timestamp"] != float64(3) || e["name"] != "Out of band" {
		t.Errorf("touch: HTTP %d %v", status, e)
	}
	if status := control(t, ts, http.MethodPost, "directory/76543210-68FF-18CA-3210-FEDCBA987654/touch", "", nil); status != 404 {
		t.Errorf("touch unknown: HTTP %d", status)
	}
	if status := control(t, ts, http.MethodDelete, "directory/"+seedUUID, "", &e); status != 200 || e["deleted"] != true || e["timestamp"] != float64(4) {
		t.Errorf("DELETE: HTTP %d %v", status, e)
	}
	for _, m := range []string{http.MethodDelete, http.MethodPost} {
		path := "directory/" + seedUUID
		if m == http.MethodPost {
			path += "/touch"
		}
		if status := control(t, ts, m, path, "", nil); status != 404 {
			t.Errorf("%s %s on a deleted entry: HTTP %d, want 404", m, path, status)
		}
	}
	if status := control(t, ts, http.MethodPut, "directory/"+seedUUID, `{"email":"back@x"}`, &e); status != 200 || e["deleted"] != false || e["name"] != "" || e["email"] != "back@x" {
		t.Errorf("PUT revives from defaults: HTTP %d %v", status, e)
	}

	createEntry(t, ts, map[string]any{"name": "other"})
	mustDir(t, ts, http.MethodPut, "dir/delete", map[string]any{"users": []any{map[string]any{"uuid": seedUUID}}})
	var snap dirSnapshot
	if status := control(t, ts, http.MethodGet, "directory", "", &snap); status != 200 || snap.Series != s.Series() || snap.Timestamp != 7 ||
		len(snap.Entries) != 2 || snap.Entries[1]["deleted"] != true {
		t.Fatalf("GET directory: HTTP %d %+v", status, snap)
	}

	var reset struct{ Series string }
	old := snap.Series
	if status := control(t, ts, http.MethodPost, "directory/reset", `{"keep_entries":true}`, &reset); status != 200 || reset.Series == old || reset.Series != s.Series() {
		t.Fatalf("reset keep: HTTP %d %+v", status, reset)
	}
	control(t, ts, http.MethodGet, "directory", "", &snap)
	if snap.Timestamp != 1 || len(snap.Entries) != 1 || snap.Entries[0]["name"] != "other" || snap.Entries[0]["timestamp"] != float64(1) {
		t.Errorf("after restore: %+v", snap)
	}
	if status := control(t, ts, http.MethodPost, "directory/reset", "", &reset); status != 200 {
		t.Fatalf("reset: HTTP %d", status)
	}
	control(t, ts, http.MethodGet, "directory", "", &snap)
	if snap.Timestamp != 0 || len(snap.Entries) != 0 || snap.Series != reset.Series {
		t.Errorf("after wipe: %+v", snap)
	}
}

func TestControlResetAndCounts(t *testing.T) {
	s, ts := newMock(t, Config{Control: true})
	addUser(t, ts, map[string]any{"name": "A", "number": "1", "secret": "x"})
	simotel(t, ts, "pbx/users/search", map[string]any{})
	simotel(t, ts, "pbx/users/get", map[string]any{})
	send(t, http.MethodPost, ts.URL+"/api/v4/pbx/users/search", "{}") // unauthenticated: a challenge
	createEntry(t, ts, map[string]any{"name": "e"})
	dir(t, ts, http.MethodGet, "dir/get", "")

	var counts map[string]int
	control(t, ts, http.MethodGet, "requests", "", &counts)
	var challenges map[string]int
	control(t, ts, http.MethodGet, "challenges", "", &challenges)
	if challenges["users/search"] != 1 || challenges["users/add"] != 0 || len(challenges) != len(endpointNames) {
		t.Errorf("challenges %v, want users/search 1, every endpoint listed", challenges)
	}
	want := map[string]int{"users/add": 1, "users/search": 1, "users/update": 0, "users/remove": 0,
		"dir/get": 1, "dir/query": 0, "dir/create": 1, "dir/update": 0, "dir/delete": 0, "dir/template": 0}
	if len(counts) != len(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s = %d, want %d", k, counts[k], v)
		}
	}
	if status := control(t, ts, http.MethodDelete, "requests", "", nil); status != http.StatusNoContent || s.RequestCounts()["users/search"] != 0 || s.ChallengeCounts()["users/search"] != 0 {
		t.Errorf("DELETE requests: HTTP %d %v", status, s.RequestCounts())
	}

	series := s.Series()
	control(t, ts, http.MethodPut, "faults", `{"rules":[{"endpoint":"*","latency_ms":1}]}`, nil)
	simotel(t, ts, "pbx/users/search", map[string]any{})
	if status := control(t, ts, http.MethodPost, "reset", "", nil); status != http.StatusNoContent {
		t.Fatalf("reset: HTTP %d", status)
	}
	if len(s.Users()) != 0 || len(s.DirectoryEntries()) != 0 || s.Series() == series || len(s.Faults()) != 0 || s.RequestCounts()["users/search"] != 0 {
		t.Errorf("reset left state: users %v entries %v faults %v counts %v", s.Users(), s.DirectoryEntries(), s.Faults(), s.RequestCounts())
	}
}

func setFaults(t *testing.T, ts *httptest.Server, rules string) {
	t.Helper()
	if status := control(t, ts, http.MethodPut, "faults", `{"rules":`+rules+`}`, nil); status != http.StatusNoContent {
		t.Fatalf("PUT faults %s: HTTP %d", rules, status)
	}
}

func TestFaults(t *testing.T) {
	s, ts := newMock(t, Config{Control: true})
	addURL := ts.URL + "/api/v4/pbx/users/add"
	add := func(number string) (*http.Response, []byte, error) {
		return rawPost(context.Background(), addURL, `{"name":"F","number":"`+number+`","secret":"x"}`, simotelHeaders...)
	}
	userCount := func() int { return len(s.Users()) }

	t.Run("status with Retry-After, count exhausts", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"users/add","status":429,"rate":1,"retry_after":"2","count":2}]`)
		for i := range 2 {
			resp, body, err := add("100")
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(body), `"success":0`) {
				t.Fatalf("try %d: %v %v %s", i, err, resp, body)
			}
		}
		if userCount() != 0 {
			t.Fatal("a faulted request was processed")
		}
		if resp, _, err := add("100"); err != nil || resp.StatusCode != 200 || userCount() != 1 {
			t.Fatalf("after count: %v %v", err, resp)
		}
		var rules map[string][]FaultRule
		if control(t, ts, http.MethodGet, "faults", "", &rules); len(rules["rules"]) != 0 {
			t.Errorf("spent rule still installed: %v", rules)
		}
	})

	t.Run("503 on the directory family", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"dir/*","rate":1,"retry_after":"1"}]`)
		resp, body, err := rawPost(context.Background(), ts.URL+"/api/dir/get", `{}`)
		// The directory reports its errors with HTTP 200: a 503 is the HTTP
		// layer's, with no directory error body.
		if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || strings.Contains(string(body), `"code"`) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("dir/get: %v %v %s", err, resp, body)
		}
		if _, _, err := add("101"); err != nil {
			t.Errorf("users/add hit by a dir/* rule: %v", err)
		}
	})

	t.Run("drop before processing", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"users/add","drop_rate":1}]`)
		before := userCount()
		_, _, err := add("102")
		if err == nil {
			t.Fatal("client got a reply")
		}
		if dropped := errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset"); !dropped {
			t.Errorf("client got %v, want a dropped connection", err)
		}
		if userCount() != before {
			t.Error("dropped request was processed")
		}
	})

	t.Run("drop after processing", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"users/add","drop_after_rate":1,"count":1}]`)
		before := userCount()
		if _, _, err := add("103"); err == nil {
			t.Error("client got a reply")
		}
		if userCount() != before+1 {
			t.Error("the request was not processed before the drop")
		}
		resp, body, err := add("103")
		if err != nil || !strings.Contains(string(body), msgDuplicate) {
			t.Errorf("retry after the ambiguous failure: %v %v %s", err, resp, body)
		}
	})

	t.Run("malformed JSON", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"users/search","malformed_rate":1}]`)
		resp, body, err := rawPost(context.Background(), ts.URL+"/api/v4/pbx/users/search", `{}`, simotelHeaders...)
		if err != nil || resp.StatusCode != 200 || json.Valid(body) {
			t.Errorf("got %v %v %q, want HTTP 200 with invalid JSON", err, resp, body)
		}
	})

	t.Run("HTML 502", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"*","html_rate":1}]`)
		resp, body, err := rawPost(context.Background(), ts.URL+"/api/dir/query", `{}`)
		if err != nil || resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "502 Bad Gateway") {
			t.Errorf("got %v %v %q", err, resp, body)
		}
	})

	t.Run("latency", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"users/search","latency_ms":150,"latency_jitter_ms":20}]`)
		start := time.Now()
		if resp, _, err := rawPost(context.Background(), ts.URL+"/api/v4/pbx/users/search", `{}`, simotelHeaders...); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", err, resp)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("answered after %v, want at least 150ms", d)
		}
	})

	t.Run("latency respects cancellation", func(t *testing.T) {
		// The add is held for a minute; its client hangs up once it has arrived. Closing
		// the server waits for its handlers: the held one must end at once, unprocessed.
		own := httptest.NewServer(s)
		setFaults(t, ts, `[{"endpoint":"users/add","latency_ms":60000}]`)
		s.ResetRequestCounts()
		before := userCount()
		ctx, cancel := context.WithCancel(context.Background())
		replied := make(chan error, 1)
		go func() {
			_, _, err := rawPost(ctx, own.URL+"/api/v4/pbx/users/add", `{"name":"Slow","number":"104","secret":"x"}`, simotelHeaders...)
			replied <- err
		}()
		for s.RequestCounts()["users/add"] == 0 {
			time.Sleep(time.Millisecond) // until the add has arrived
		}
		cancel()
		if err := <-replied; err == nil {
			t.Fatal("the held request got a reply")
		}
		start := time.Now()
		own.Close()
		if d := time.Since(start); d > 30*time.Second || userCount() != before {
			t.Errorf("the cancelled request held its handler for %v; users %d, want %d", d, userCount(), before)
		}
	})

	t.Run("invalid rules are refused", func(t *testing.T) {
		for _, rules := range []string{`[{"endpoint":"users/get","rate":1}]`, `[{"endpoint":"*","rate":1.5}]`, `[{"endpoint":"*","status":200,"rate":1}]`, `[{"endpoint":"*","count":-1}]`, `[{"endpoint":"*","bogus":1}]`} {
			if status := control(t, ts, http.MethodPut, "faults", `{"rules":`+rules+`}`, nil); status != http.StatusBadRequest {
				t.Errorf("%s: HTTP %d, want 400", rules, status)
			}
		}
	})

	t.Run("DELETE clears and counts include faulted requests", func(t *testing.T) {
		setFaults(t, ts, `[{"endpoint":"users/remove","rate":1,"status":500}]`)
		s.ResetRequestCounts()
		simotel(t, ts, "pbx/users/remove", map[string]any{"_id": "x"})
		if status := control(t, ts, http.MethodDelete, "faults", "", nil); status != http.StatusNoContent || len(s.Faults()) != 0 {
			t.Fatalf("DELETE faults: HTTP %d %v", status, s.Faults())
		}
		if _, reply := simotel(t, ts, "pbx/users/remove", map[string]any{"_id": "x"}); reply.Message != msgFailed {
			t.Errorf("after DELETE: %+v", reply)
		}
		if n := s.RequestCounts()["users/remove"]; n != 2 {
			t.Errorf("users/remove count %d, want 2", n)
		}
	})
}

func TestFaultRates(t *testing.T) {
	s, ts := newMock(t, Config{Control: true, RandSeed: 7})
	if err := s.SetFaults([]FaultRule{{Endpoint: "dir/template", Rate: 0.5, Status: 504}}); err != nil {
		t.Fatal(err)
	}
	faulted := 0
	for range 200 {
		if r := send(t, http.MethodGet, ts.URL+"/api/dir/template", ""); r.status == 504 {
			faulted++
		}
	}
	if faulted < 60 || faulted > 140 {
		t.Errorf("%d of 200 requests faulted at rate 0.5", faulted)
	}
	if rules := s.Faults(); len(rules) != 1 || rules[0].Status != 504 {
		t.Errorf("unlimited rule changed: %v", rules)
	}
}

// TestClient: the control API's client decodes replies and reports the mock's errors.
func TestClient(t *testing.T) {
	s, ts := newMock(t, Config{Control: true, Users: []map[string]any{{"name": "A", "number": "300", "secret": "pw"}}})
	c := Client{URL: ts.URL + "/"}
	ctx := context.Background()
	var u map[string]any
	if err := c.Call(ctx, http.MethodPatch, "users/number:300", map[string]any{"name": "B"}, &u); err != nil || u["name"] != "B" {
		t.Fatalf("PATCH: %v %v", err, u)
	}
	if got, _ := s.UserByNumber("300"); got["name"] != "B" {
		t.Errorf("stored user %v", got)
	}
	err := c.Call(ctx, http.MethodDelete, "/users/number:301", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "DELETE /_mock/users/number:301: HTTP 404") || !strings.Contains(err.Error(), "no user with number 301") {
		t.Errorf("DELETE of a missing user: %v", err)
	}
}
