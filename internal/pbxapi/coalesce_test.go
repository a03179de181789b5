package pbxapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// echoDir is the api/dir/get of an intercom that holds whatever is asked
// for: each uuid comes back as an entry named "entry <uuid>" with its
// position as timestamp, in series 77, except uuids starting with F
// (EDIR_UUID_DOES_NOT_EXIST). shuffled: in reverse order with lower-case
// uuids. delay holds each reply; a test that needs a request held until it
// says so sets arrived (which gets the number of uuids of each request as it
// arrives) and release (each request waits until it is closed). It checks
// the request as the contract says (POST, JSON with only fields and users)
// and records every body.
type echoDir struct {
	delay    time.Duration
	shuffled bool
	arrived  chan int
	release  chan struct{}

	mu     sync.Mutex
	bodies []string
}

func (d *echoDir) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := mustRead(r)
	d.mu.Lock()
	d.bodies = append(d.bodies, string(body))
	d.mu.Unlock()
	var req struct {
		Fields json.RawMessage     `json:"fields"`
		Users  []map[string]string `json:"users"`
	}
	if r.Method != http.MethodPost || r.URL.Path != dirGetPath || r.Header.Get("Content-Type") != "application/json" {
		writeRaw(w, 200, "application/json", `{"success":false,"error":{"code":3,"description":"invalid request method"}}`)
		return
	}
	if err := jsonUnmarshalStrict(body, &req); err != nil {
		writeRaw(w, 200, "application/json", `{"success":false,"error":{"code":12,"param":"users","description":"invalid parameter value"}}`)
		return
	}
	if d.arrived != nil {
		d.arrived <- len(req.Users)
	}
	if d.release != nil {
		<-d.release
	}
	time.Sleep(d.delay)
	users := make([]map[string]any, len(req.Users))
	for i, u := range req.Users {
		id, at := u["uuid"], i
		if d.shuffled {
			id, at = strings.ToLower(id), len(users)-1-i
		}
		users[at] = map[string]any{"uuid": id, "name": "entry " + id, "timestamp": i + 1}
		if strings.HasPrefix(id, "F") {
			users[at] = map[string]any{"uuid": id, "errors": []any{map[string]any{"code": "EDIR_UUID_DOES_NOT_EXIST"}}}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "result": map[string]any{"series": "77", "users": users}})
}

// waitFor polls cond until it holds, failing the test if it does not within
// the watchdog (it should hold within milliseconds).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for limit := time.Now().Add(watchdog); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(limit) {
			t.Fatalf("%s: not after %v", what, watchdog)
		}
	}
}

// requests returns how many uuids each request carried and its fields, as
// sent ("" when omitted).
func (d *echoDir) requests() (batches []int, fields []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, b := range d.bodies {
		var req struct {
			Fields json.RawMessage `json:"fields"`
			Users  []any           `json:"users"`
		}
		_ = json.Unmarshal([]byte(b), &req)
		batches, fields = append(batches, len(req.Users)), append(fields, string(req.Fields))
	}
	return batches, fields
}

// echoClient is a client of d served over HTTP.
func echoClient(t testing.TB, d *echoDir) *pbxapi.Client {
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return newClient(t, fastConfig(srv.URL))
}

func TestGetEntryCoalescesConcurrentCalls(t *testing.T) {
	// The first request is held until every other call has queued behind it:
	// then they all go in the second request, however slowly the
	// goroutines start.
	d := &echoDir{arrived: make(chan int, 2), release: make(chan struct{})}
	c := echoClient(t, d)
	const n = 60
	var wg sync.WaitGroup
	var failures atomic.Int32
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			uuid := fmt.Sprintf("%08X-0000-4000-8000-000000000000", i+1)
			if i%10 == 0 {
				uuid = "F" + uuid[1:]
			}
			res, series, err := c.GetEntry(context.Background(), uuid, []string{"name"})
			switch {
			case strings.HasPrefix(uuid, "F"):
				if !errors.Is(err, pbxapi.ErrNotFound) {
					t.Errorf("%s: err = %v, want ErrNotFound", uuid, err)
					failures.Add(1)
				}
			case err != nil:
				t.Errorf("%s: %v", uuid, err)
				failures.Add(1)
			case res.UUID != uuid || res.Name != "entry "+uuid || series != "77":
				t.Errorf("%s: got uuid %s name %v series %s: another caller's answer", uuid, res.UUID, res.Name, series)
				failures.Add(1)
			}
		}()
	}
	close(start)
	first := <-d.arrived
	waitFor(t, "every other call queued behind the first request", func() bool { return pbxapi.QueuedEntryCalls(c) >= n-first })
	close(d.release)
	wg.Wait()
	batches, _ := d.requests()
	total := 0
	for _, b := range batches {
		total += b
	}
	if total != n {
		t.Errorf("the requests carried %d uuids in all, want %d", total, n)
	}
	want := []int{first, n - first}
	if first == n {
		want = []int{n}
	}
	if !slices.Equal(batches, want) {
		t.Errorf("%d concurrent calls took requests of %v uuids, want %v: the calls queued behind the first request were not coalesced", n, batches, want)
	}
}

func TestGetEntryKeepsFieldListsApart(t *testing.T) {
	d := &echoDir{delay: 50 * time.Millisecond}
	c := echoClient(t, d)
	var wg sync.WaitGroup
	for _, fields := range [][]string{nil, {}, {"name"}, {"name", "email"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.GetEntry(context.Background(), "01234567-89AB-CDEF-0123-456789ABCDEF", fields); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	_, fields := d.requests()
	seen := map[string]bool{}
	for _, f := range fields {
		seen[f] = true
	}
	for _, want := range []string{"", "[]", `["name"]`, `["name","email"]`} {
		if !seen[want] {
			t.Errorf("no request with fields %q (requests: %q)", want, fields)
		}
	}
}

// TestGetEntryCallerCancellation: a caller whose context ends gets its
// context's error at once; the request it shares with another caller goes
// on, and the other caller gets its answer.
func TestGetEntryCallerCancellation(t *testing.T) {
	d := &echoDir{arrived: make(chan int, 2), release: make(chan struct{})}
	c := echoClient(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan error, 1)
	go func() {
		_, _, err := c.GetEntry(ctx, "01234567-89AB-CDEF-0123-456789ABCDEF", nil)
		cancelled <- err
	}()
	done := make(chan error, 1)
	go func() {
		_, _, err := c.GetEntry(context.Background(), "01234567-89AB-CDEF-0123-456789ABCDE0", nil)
		done <- err
	}()
	// Both calls are in the held request, or one is and the other queued.
	first := <-d.arrived
	waitFor(t, "the other call queued", func() bool { return pbxapi.QueuedEntryCalls(c) >= 2-first })
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v, want its context's error", err)
	}
	close(d.release)
	if err := <-done; err != nil {
		t.Fatalf("the other caller of the batch failed: %v", err)
	}
}

// ReadEntries sends each distinct uuid once, at most MaxGetUUIDs a request,
// and matches replies by the uuid the device echoes, not by position.
func TestReadEntriesMatchesByUUID(t *testing.T) {
	tests := []struct {
		name        string
		uuids       []string
		wantBatches []int
	}{
		{"duplicates asked once", []string{"0000000A-0000-4000-8000-000000000001", "0000000a-0000-4000-8000-000000000001", "0000000B-0000-4000-8000-000000000002"}, []int{2}},
		{"more than one request", manyUUIDs(pbxapi.MaxGetUUIDs + 5), []int{pbxapi.MaxGetUUIDs, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := &echoDir{shuffled: true}
			set, err := echoClient(t, dir).ReadEntries(testCtx(t), tt.uuids, []string{})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range tt.uuids {
				r, ok := set.Lookup(u)
				if !ok || r.Err != nil || r.Name != "entry "+strings.ToLower(u) {
					t.Fatalf("uuid %s: got %+v (found %t)", u, r, ok)
				}
			}
			if batches, _ := dir.requests(); fmt.Sprint(batches) != fmt.Sprint(tt.wantBatches) {
				t.Errorf("requests carried %v uuids, want %v", batches, tt.wantBatches)
			}
		})
	}
}

func manyUUIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%08X-0000-4000-8000-000000000000", i+1)
	}
	return out
}

type callerKey struct{}

// TestGetEntryBatchUsesAWaitingCallersContext: a request is made in the
// context of a caller it answers (its log lines carry that caller's
// values), not in the context of the caller that started the batches, which
// may have returned long before (the provider releases an RPC's context
// when the RPC returns).
func TestGetEntryBatchUsesAWaitingCallersContext(t *testing.T) {
	d := &echoDir{arrived: make(chan int, 2), release: make(chan struct{})}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	cfg := fastConfig(srv.URL)
	var mu sync.Mutex
	var callers []any // the caller value of each request's log line
	cfg.Logger = func(ctx context.Context, msg string, _ map[string]any) {
		if msg == "PBX API request" {
			mu.Lock()
			callers = append(callers, ctx.Value(callerKey{}))
			mu.Unlock()
		}
	}
	c := newClient(t, cfg)

	ctxA, cancelA := context.WithCancel(context.WithValue(context.Background(), callerKey{}, "A"))
	defer cancelA()
	doneA := make(chan error, 1)
	go func() {
		_, _, err := c.GetEntry(ctxA, "0000000A-0000-4000-8000-000000000001", nil)
		doneA <- err
	}()
	if n := <-d.arrived; n != 1 {
		t.Fatalf("the first request carried %d uuids, want A's alone", n)
	}
	doneB := make(chan error, 1)
	go func() {
		ctxB := context.WithValue(context.Background(), callerKey{}, "B")
		_, _, err := c.GetEntry(ctxB, "0000000B-0000-4000-8000-000000000002", nil)
		doneB <- err
	}()
	waitFor(t, "B queued behind A's request", func() bool { return pbxapi.QueuedEntryCalls(c) >= 1 })
	cancelA() // A gives up and returns: B's request must not run in A's context
	if err := <-doneA; !errors.Is(err, context.Canceled) {
		t.Fatalf("A got %v, want its context's error", err)
	}
	close(d.release)
	if err := <-doneB; err != nil {
		t.Fatalf("B: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []any{"A", "B"}; fmt.Sprint(callers) != fmt.Sprint(want) {
		t.Errorf("the requests ran in the contexts of callers %v, want %v", callers, want)
	}
}
