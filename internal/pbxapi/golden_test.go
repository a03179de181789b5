package pbxapi_test

// Golden tests: the exact request and response bodies of the two original
// product pages (internal/testdata/*.json, copied verbatim from design/seeds).

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// seedUser is the user of the seed page's curl example.
func seedUser() pbxapi.User {
	u := sampleUser("Test User2", "909", "909")
	u.ID = "603f4ea7fcff3269187a3da3"
	return u
}

func TestGoldenUsersUpdate(t *testing.T) {
	goldenReq := readGolden(t, "simotel-users-update.request.json")
	goldenResp := readGolden(t, "simotel-users-update.response.json")

	var (
		mu   sync.Mutex
		got  *http.Request
		body []byte
		hits int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = r.Clone(r.Context()), b
		hits++
		mu.Unlock()
		writeRaw(w, http.StatusOK, "application/json", string(goldenResp))
	}))
	defer srv.Close()

	c := newClient(t, fastConfig(srv.URL))
	if err := c.UpdateUser(testCtx(t), seedUser()); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 {
		t.Fatalf("server hit %d times, want 1", hits)
	}
	if got.Method != http.MethodPost {
		t.Errorf("method %s, want POST", got.Method)
	}
	if got.URL.Path != "/api/v4/pbx/users/update" {
		t.Errorf("path %s, want /api/v4/pbx/users/update", got.URL.Path)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if a := got.Header.Get("Authorization"); a != goldenAuth {
		t.Errorf("Authorization %q, want %q", a, goldenAuth)
	}
	if k := got.Header.Get("X-APIKEY"); k != testKey {
		t.Errorf("X-APIKEY %q, want %q", k, testKey)
	}

	sent, want := decodeMap(t, body), decodeMap(t, goldenReq)
	for k := range want {
		if _, ok := sent[k]; !ok {
			t.Errorf("field %q of the golden request is not sent", k)
		}
	}
	for k := range sent {
		if _, ok := want[k]; !ok {
			t.Errorf("field %q is sent but not in the golden request", k)
		}
	}
	for k, v := range sent {
		if k == "forward_policy" {
			fp, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("forward_policy is %T, want an object", v)
			}
			var keys []string
			for fk, fv := range fp {
				keys = append(keys, fk)
				if _, ok := fv.(string); !ok {
					t.Errorf("forward_policy[%q] is %T, want a string", fk, fv)
				}
			}
			slices.Sort(keys)
			if want := []string{"All", "Busy", "No Answer", "UnAvailable"}; !slices.Equal(keys, want) {
				t.Errorf("forward_policy keys %q, want exactly %q", keys, want)
			}
			continue
		}
		if _, ok := v.(string); !ok {
			t.Errorf("field %q is %T (%v), want a JSON string", k, v, v)
		}
	}
	assertJSONEqual(t, body, goldenReq)
}

var goldenUUIDs = []string{
	"01234567-89AB-CDEF-0123-456789ABCDEF",
	"76543210-68FF-18CA-3210-FEDCBA987654",
	"76543210-68FF-18-3210-FEDCBA987654",
}

var goldenFields = []string{"name", "email", "callPos.peer", "callPos[1].grouped"}

func TestGoldenDirGet(t *testing.T) {
	goldenReq := readGolden(t, "2n-dir-get.request.json")
	goldenResp := readGolden(t, "2n-dir-get.response.json")

	var (
		mu     sync.Mutex
		method string
		path   string
		ctype  string
		body   []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		method, path, ctype, body = r.Method, r.URL.Path, r.Header.Get("Content-Type"), b
		mu.Unlock()
		writeRaw(w, http.StatusOK, "application/json", string(goldenResp))
	}))
	defer srv.Close()

	c := newClient(t, fastConfig(srv.URL))
	res, err := c.GetEntries(testCtx(t), goldenUUIDs, goldenFields)
	if err != nil {
		t.Fatalf("GetEntries: %v", err)
	}
	mu.Lock()
	if method != http.MethodPost || path != dirGetPath || ctype != "application/json" {
		t.Errorf("request %s %s (%s), want POST %s (application/json)", method, path, ctype, dirGetPath)
	}
	assertJSONEqual(t, body, goldenReq)
	mu.Unlock()

	if res.Series != "6423407687606431951" {
		t.Errorf("series %q", res.Series)
	}
	if len(res.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(res.Entries))
	}
	for i, e := range res.Entries {
		if e.UUID != goldenUUIDs[i] {
			t.Errorf("entry %d uuid %q, want %q (request order)", i, e.UUID, goldenUUIDs[i])
		}
	}

	first := res.Entries[0]
	if first.Err != nil || first.Raw == nil {
		t.Fatalf("first entry: err %v, entry %+v", first.Err, first)
	}
	e := first
	if e.UUID != goldenUUIDs[0] || e.Timestamp != 39 {
		t.Errorf("first entry uuid %q timestamp %d", e.UUID, e.Timestamp)
	}
	if !e.Has("name") || e.Name != "ABCD" || !e.Has("email") || e.Email != "abcd@abcd.cz" {
		t.Errorf("first entry name %v email %v", e.Name, e.Email)
	}
	if e.Has("treepath") || e.Has("virtNumber") || e.Has("owner") {
		t.Errorf("fields that were not returned must stay absent: %+v", e)
	}
	if len(e.CallPos) != 3 {
		t.Fatalf("%d callPos, want 3", len(e.CallPos))
	}
	for i, cp := range e.CallPos {
		key := fmt.Sprintf("callPos[%d].", i)
		if !e.Has(key+"peer") || cp.Peer != "" {
			t.Errorf("callPos[%d].peer = %v, want \"\"", i, cp.Peer)
		}
		if e.Has(key+"profiles") || e.Has(key+"ipEye") {
			t.Errorf("callPos[%d] has unrequested fields", i)
		}
		if (i == 1) != e.Has(key+"grouped") {
			t.Errorf("callPos[%d].grouped = %v: only [1] was returned", i, cp.Grouped)
		}
	}
	if g := e.CallPos[1].Grouped; !e.Has("callPos[1].grouped") || g {
		t.Errorf("callPos[1].grouped = %v, want false (from the string \"false\")", g)
	}
	if len(first.Raw) == 0 {
		t.Error("first entry Raw is empty")
	}

	second, third := res.Entries[1], res.Entries[2]
	if second.Raw != nil || !errors.Is(second.Err, pbxapi.ErrNotFound) || errors.Is(second.Err, pbxapi.ErrInvalidUUID) {
		t.Errorf("second entry: %+v, want only ErrNotFound", second)
	}
	if third.Raw != nil || !errors.Is(third.Err, pbxapi.ErrInvalidUUID) || errors.Is(third.Err, pbxapi.ErrNotFound) {
		t.Errorf("third entry: %+v, want only ErrInvalidUUID", third)
	}
	var ee *pbxapi.EntryError
	if !errors.As(second.Err, &ee) || ee.UUID != goldenUUIDs[1] || !slices.Equal(ee.Codes, []string{pbxapi.CodeUUIDDoesNotExist}) {
		t.Errorf("second entry error %#v", second.Err)
	}
}

// TestGoldenUsersUpdateResponseCompact: the compact form the brief quotes
// decodes like the page's pretty-printed one.
func TestGoldenUsersUpdateResponseCompact(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, http.StatusOK, "application/json", `{"success":1,"message":"Requested operation is done successfully","data":""}`)
	}))
	defer srv.Close()
	if err := newClient(t, fastConfig(srv.URL)).UpdateUser(testCtx(t), seedUser()); err != nil {
		t.Fatal(err)
	}
}
