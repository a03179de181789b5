package mockpbx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentClients runs 50 goroutines that each add a user, search, and create a
// directory entry (through Digest auth, sharing one nonce) while reading the Server's
// snapshots and with latency injected on every endpoint; run it with -race.
func TestConcurrentClients(t *testing.T) {
	s, ts := newMock(t, Config{Control: true, DirAuth: "digest", DirUsername: "admin", DirPassword: "2n"})
	if err := s.SetFaults([]FaultRule{{Endpoint: "*", LatencyJitterMS: 2}}); err != nil {
		t.Fatal(err)
	}
	r := send(t, http.MethodGet, ts.URL+"/api/dir/template", "")
	ch := challengeParams(t, r.header.Get("WWW-Authenticate"))

	// call performs one request and checks the reply's success flag.
	call := func(method, path, body string, headers ...string) (json.RawMessage, error) {
		resp, data, err := do(context.Background(), &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, method, ts.URL+path, body, headers...)
		if err != nil {
			return nil, err
		}
		var reply struct {
			Success any             `json:"success"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(data, &reply); err != nil || resp.StatusCode != http.StatusOK || (reply.Success != 1.0 && reply.Success != true) {
			return nil, fmt.Errorf("%s %s: HTTP %d %s", method, path, resp.StatusCode, data)
		}
		return reply.Data, nil
	}

	const workers = 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for i := range workers {
		wg.Go(func() {
			number := fmt.Sprint(1000 + i)
			if _, err := call(http.MethodPost, "/api/v4/pbx/users/add", `{"name":"U`+number+`","number":"`+number+`","secret":"s"}`, simotelHeaders...); err != nil {
				errs <- err
			}
			data, err := call(http.MethodPost, "/api/v4/pbx/users/search", `{"alike":false,"conditions":{"number":"`+number+`"}}`, simotelHeaders...)
			var found []map[string]any
			if err != nil || json.Unmarshal(data, &found) != nil || len(found) != 1 {
				errs <- fmt.Errorf("search %s: %v %s", number, err, data)
			}
			if _, err := call(http.MethodPost, "/api/v4/pbx/users/search", `{"alike":true,"conditions":{"name":"u"}}`, simotelHeaders...); err != nil {
				errs <- err
			}
			auth := digestAuthorization("admin", "2n", http.MethodPut, "/api/dir/create", ch, i+1, "cn")
			if _, err := call(http.MethodPut, "/api/dir/create", fmt.Sprintf(`{"users":[{"name":"E%d"}]}`, i), "Authorization: "+auth); err != nil {
				errs <- err
			}
			_ = s.Users()
			_ = s.DirectoryEntries()
			_ = s.RequestCounts()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	users := s.Users()
	ids := map[any]bool{}
	for _, u := range users {
		ids[u["_id"]] = true
	}
	if len(users) != workers || len(ids) != workers {
		t.Errorf("%d users with %d distinct ids, want %d", len(users), len(ids), workers)
	}
	if n := len(s.DirectoryEntries()); n != workers || s.Timestamp() != workers {
		t.Errorf("%d entries, highest timestamp %d, want %d", n, s.Timestamp(), workers)
	}
	if c := s.RequestCounts(); c["users/add"] != workers || c["users/search"] != 2*workers || c["dir/create"] != workers {
		t.Errorf("counts %v", c)
	}
}
