package pbxapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// batchingDirectory answers api/dir/get after a delay, echoing each uuid as
// an entry named after it, or EDIR_UUID_DOES_NOT_EXIST for uuids starting
// with F. It records how many uuids each request carried.
type batchingDirectory struct {
	delay   time.Duration
	mu      sync.Mutex
	batches []int
	fields  []string
}

func (d *batchingDirectory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Fields json.RawMessage     `json:"fields"`
		Users  []map[string]string `json:"users"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	d.batches = append(d.batches, len(req.Users))
	d.fields = append(d.fields, string(req.Fields))
	d.mu.Unlock()
	time.Sleep(d.delay)
	users := make([]map[string]any, len(req.Users))
	for i, u := range req.Users {
		if strings.HasPrefix(u["uuid"], "F") {
			users[i] = map[string]any{"uuid": u["uuid"], "errors": []any{map[string]any{"code": "EDIR_UUID_DOES_NOT_EXIST"}}}
			continue
		}
		users[i] = map[string]any{"uuid": u["uuid"], "name": "entry " + u["uuid"], "timestamp": i + 1}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "result": map[string]any{"series": "77", "users": users}})
}

func (d *batchingDirectory) stats() ([]int, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]int(nil), d.batches...), append([]string(nil), d.fields...)
}

func newBatchingClient(t testing.TB, d *batchingDirectory) *pbxapi.Client {
	t.Helper()
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	c, err := pbxapi.New(pbxapi.Config{Endpoint: srv.URL, AuthMode: pbxapi.AuthToken, APIKey: "k",
		Directory: pbxapi.DirectoryConfig{Auth: pbxapi.DirectoryAuthNone}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetEntryCoalescesConcurrentCalls(t *testing.T) {
	d := &batchingDirectory{delay: 100 * time.Millisecond}
	c := newBatchingClient(t, d)
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
			case res.UUID != uuid || res.Entry.Name == nil || *res.Entry.Name != "entry "+uuid || series != "77":
				t.Errorf("%s: got uuid %s name %v series %s: another caller's answer", uuid, res.UUID, res.Entry.Name, series)
				failures.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	batches, _ := d.stats()
	total := 0
	for _, b := range batches {
		total += b
	}
	if total != n {
		t.Errorf("the requests carried %d uuids in all, want %d", total, n)
	}
	if len(batches) > 3 {
		t.Errorf("%d concurrent calls took %d requests (%v), want them coalesced into at most 3", n, len(batches), batches)
	}
}

func TestGetEntryKeepsFieldListsApart(t *testing.T) {
	d := &batchingDirectory{delay: 50 * time.Millisecond}
	c := newBatchingClient(t, d)
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
	_, fields := d.stats()
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

func TestGetEntryCallerCancellation(t *testing.T) {
	d := &batchingDirectory{delay: 300 * time.Millisecond}
	c := newBatchingClient(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := c.GetEntry(context.Background(), "01234567-89AB-CDEF-0123-456789ABCDE0", nil)
		done <- err
	}()
	if _, _, err := c.GetEntry(ctx, "01234567-89AB-CDEF-0123-456789ABCDEF", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled caller got %v, want its context's error", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the other caller of the batch failed: %v", err)
	}
}

// shuffledDirectory answers api/dir/get with the entries in reverse order
// and the uuids in lower case, and records how many uuids each request
// carried.
type shuffledDirectory struct {
	mu      sync.Mutex
	batches []int
}

func (d *shuffledDirectory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Users []map[string]string `json:"users"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	d.batches = append(d.batches, len(req.Users))
	d.mu.Unlock()
	users := make([]map[string]any, 0, len(req.Users))
	for i := len(req.Users) - 1; i >= 0; i-- {
		id := strings.ToLower(req.Users[i]["uuid"])
		users = append(users, map[string]any{"uuid": id, "name": "entry " + id, "timestamp": i + 1})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "result": map[string]any{"series": "77", "users": users}})
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
			dir := &shuffledDirectory{}
			srv := httptest.NewServer(dir)
			t.Cleanup(srv.Close)
			set, err := newClient(t, fastConfig(srv.URL)).ReadEntries(testCtx(t), tt.uuids, []string{})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range tt.uuids {
				r, ok := set.Lookup(u)
				if !ok || r.Entry == nil || *r.Entry.Name != "entry "+strings.ToLower(u) {
					t.Fatalf("uuid %s: got %+v (found %t)", u, r, ok)
				}
			}
			if fmt.Sprint(dir.batches) != fmt.Sprint(tt.wantBatches) {
				t.Errorf("requests carried %v uuids, want %v", dir.batches, tt.wantBatches)
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
