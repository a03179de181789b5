package pbxapi_test

// Shared test scaffolding: small httptest servers that speak just enough of
// the Simotel users API and the 2N directory API to pin the client against
// the contract in design/api (not against internal/mockpbx).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// Credentials of the seed page: "Basic dGVzdDpBYTEyMzQ1Ng==" is test:Aa123456.
const (
	testUser   = "test"
	testPass   = "Aa123456"
	testKey    = "vZKtIKWsld0egNlkzHo8i5LVBqLNBSWARCQsPOSgDjFmAHM3tG"
	goldenAuth = "Basic dGVzdDpBYTEyMzQ1Ng=="

	// Distinctive values for the "never leaks" assertions.
	leakPass   = "Pw-7rQz!leakcheck"
	leakKey    = "KEY-9d8c7b6a5f4e3d2c1b0a-leakcheck"
	leakSecret = "Sip-S3cret-leakcheck"

	usersPrefix = "/api/v4/pbx/users/"
	dirGetPath  = "/api/dir/get"
)

// fastConfig is a client configuration with millisecond retries. The
// directory API uses no authentication unless a test sets it.
func fastConfig(endpoint string) pbxapi.Config {
	return pbxapi.Config{
		Endpoint:       endpoint,
		AuthMode:       pbxapi.AuthBoth,
		Username:       testUser,
		Password:       testPass,
		APIKey:         testKey,
		Directory:      pbxapi.DirectoryConfig{Auth: pbxapi.DirectoryAuthNone},
		MaxRetries:     3,
		RetryWaitMin:   time.Millisecond,
		RetryMaxWait:   5 * time.Millisecond,
		RequestTimeout: 10 * time.Second,
	}
}

func newClient(t testing.TB, cfg pbxapi.Config) *pbxapi.Client {
	t.Helper()
	c, err := pbxapi.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// testCtx is the context of a call under test. Its deadline (the watchdog)
// only stops a call that hangs; no loaded machine makes a call last that long.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	t.Cleanup(cancel)
	return ctx
}

// readGolden returns a golden file of internal/testdata: the bodies of the
// original product pages, shared with the mock's tests by path (neither
// package imports the other).
func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return m
}

func assertJSONEqual(t testing.TB, got, want []byte) {
	t.Helper()
	g, w := decodeMap(t, got), decodeMap(t, want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON body differs\n got: %s\nwant: %s", got, want)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// dropConn closes the connection without any response.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.Close()
}

// holdUntilHangUp keeps the connection open without a reply until the client
// closes it (a request that times out, decided by the client's timer alone).
func holdUntilHangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, conn)
	_ = conn.Close()
}

func simotelOK(data any) map[string]any {
	return map[string]any{"success": 1, "message": "Requested operation is done successfully", "data": data}
}

func simotelFail(msg string) map[string]any {
	return map[string]any{"success": 0, "message": msg, "data": ""}
}

// sampleUser is a full user with the seed page's sample values.
func sampleUser(name, number, secret string) pbxapi.User {
	return pbxapi.User{
		UserType: "SIP", Active: "yes", Name: name, Number: number, CIDNumber: number, Secret: secret,
		CallRecord: "no", PushNotification: "no", Deny: "0.0.0.0/0.0.0.0", Permit: "0.0.0.0/0.0.0.0",
		DTMFMode: "rfc2833", CanReinvite: "no", DirectMedia: "no", Context: "main_routing", Host: "dynamic",
		Type: "user", NAT: "no", Port: "5060", Qualify: "no", CallGroup: "1", PickupGroup: "1",
		CallCounter: "no", FaxDetect: "no", CallLimit: "", Trunk: "no", Transfer: "no", Email: "",
		ForwardPolicy: pbxapi.ForwardPolicy{Busy: "571", NoAnswer: "09158315762", UnAvailable: "570", All: "2121"},
	}
}

// ---------------------------------------------------------------------------
// fakePBX: a tiny stateful Simotel users API.

type fakeFault func(action string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool

type fakePBX struct {
	srv *httptest.Server

	// Set by options before the server starts; read-only afterwards.
	fault    fakeFault                     // called before and after an action runs; true: it answered
	addReply func(id string) any           // data of a successful add; default {"_id": id}
	hits     map[string]*atomic.Int64      // per action
	search   func(body map[string]any) any // optional override of search data
	// The readings where the sources disagree (design/api/README.md):
	// methods, per action, the one HTTP method accepted (nil: POST; a
	// refused method gets 405 with Allow); addEnvelope, the whole reply of
	// a successful add (nil: the envelope with addReply's data); reveal,
	// search returns secrets in clear instead of masked.
	methods     map[string]string
	addEnvelope func(id string, rec map[string]any) map[string]any
	reveal      bool

	mu     sync.Mutex
	users  []map[string]any
	seq    []string
	bodies map[string][][]byte
	nextID int
}

type fakeOpt func(*fakePBX)

func withFault(f fakeFault) fakeOpt                 { return func(p *fakePBX) { p.fault = f } }
func withAddReply(f func(id string) any) fakeOpt    { return func(p *fakePBX) { p.addReply = f } }
func withUsers(us ...pbxapi.User) fakeOpt           { return func(p *fakePBX) { p.putUsers(us...) } }
func withSearch(f func(map[string]any) any) fakeOpt { return func(p *fakePBX) { p.search = f } }

func newFakePBX(t testing.TB, opts ...fakeOpt) *fakePBX {
	f := &fakePBX{hits: map[string]*atomic.Int64{}, bodies: map[string][][]byte{}}
	for _, a := range []string{"add", "search", "update", "remove"} {
		f.hits[a] = new(atomic.Int64)
	}
	for _, o := range opts {
		o(f)
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePBX) putUsers(us ...pbxapi.User) {
	for _, u := range us {
		b, _ := json.Marshal(u)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["_id"] == nil {
			m["_id"] = f.newID()
		}
		f.users = append(f.users, m)
	}
}

func (f *fakePBX) newID() string {
	f.nextID++
	return fmt.Sprintf("64b5582%017x", f.nextID)
}

func (f *fakePBX) count(action string) int64 { return f.hits[action].Load() }

func (f *fakePBX) sequence() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seq)
}

func (f *fakePBX) lastBody(action string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bodies[action]
	if len(b) == 0 {
		return nil
	}
	return b[len(b)-1]
}

func (f *fakePBX) numUsers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.users)
}

// insertRaw stores a user record directly ("someone else" on the PBX).
func (f *fakePBX) insertRaw(u pbxapi.User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putUsers(u)
}

func (f *fakePBX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action, ok := strings.CutPrefix(r.URL.Path, usersPrefix)
	if !ok || f.hits[action] == nil {
		writeJSON(w, http.StatusNotImplemented, simotelFail("Requested service does not exist"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	n := f.hits[action].Add(1)
	f.mu.Lock()
	f.seq = append(f.seq, action)
	f.bodies[action] = append(f.bodies[action], body)
	f.mu.Unlock()
	allowed := http.MethodPost
	if f.methods != nil {
		allowed = f.methods[action]
	}
	if r.Method != allowed {
		w.Header().Set("Allow", allowed)
		writeJSON(w, http.StatusMethodNotAllowed, simotelFail("Method not allowed"))
		return
	}
	if f.fault != nil && f.fault(action, n, false, w, f) {
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, simotelFail("Unable to parse content"))
		return
	}
	resp := f.process(action, req)
	if f.fault != nil && f.fault(action, n, true, w, f) {
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (f *fakePBX) process(action string, req map[string]any) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	find := func(id any) int {
		return slices.IndexFunc(f.users, func(u map[string]any) bool { return u["_id"] == id })
	}
	switch action {
	case "add":
		for _, k := range []string{"name", "number", "secret"} {
			if s, _ := req[k].(string); s == "" {
				return simotelFail(fmt.Sprintf("Field '%s':value is missing", k))
			}
		}
		for _, u := range f.users {
			if u["number"] == req["number"] {
				return simotelFail("This number already exists")
			}
		}
		id := f.newID()
		rec := cloneMap(req)
		rec["_id"] = id
		f.users = append(f.users, rec)
		if f.addEnvelope != nil {
			return f.addEnvelope(id, cloneMap(rec))
		}
		if f.addReply != nil {
			return simotelOK(f.addReply(id))
		}
		return simotelOK(map[string]any{"_id": id})
	case "search":
		if f.search != nil {
			return map[string]any{"success": 1, "message": "", "data": f.search(req)}
		}
		cond, _ := req["conditions"].(map[string]any)
		alike, _ := req["alike"].(bool)
		out := []map[string]any{}
		for _, u := range f.users {
			if matches(u, cond, alike) {
				rec := cloneMap(u)
				if !f.reveal {
					rec["secret"] = pbxapi.SecretMask
				}
				rec["description"] = ""
				rec["date"] = "1402-04-26 19:32:56"
				rec["queues"] = []any{}
				if rec["user_type"] == "SIP" { // IAX2-only fields are omitted
					delete(rec, "trunk")
					delete(rec, "transfer")
				}
				out = append(out, rec)
			}
		}
		slices.SortFunc(out, func(a, b map[string]any) int {
			return strings.Compare(fmt.Sprint(a["number"]), fmt.Sprint(b["number"]))
		})
		return map[string]any{"success": 1, "message": "", "data": out}
	case "update":
		i := find(req["_id"])
		if i < 0 {
			return simotelFail("Requested operation failed")
		}
		f.users[i] = cloneMap(req)
		return simotelOK("")
	case "remove":
		i := find(req["_id"])
		if i < 0 {
			return simotelFail("Requested operation failed")
		}
		f.users = slices.Delete(f.users, i, i+1)
		return simotelOK("")
	}
	return simotelFail("Requested service does not exist")
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func matches(u map[string]any, cond map[string]any, alike bool) bool {
	for k, v := range cond {
		want, _ := v.(string)
		if want == "" {
			continue
		}
		have := fmt.Sprint(u[k])
		if alike {
			if !strings.Contains(strings.ToLower(have), strings.ToLower(want)) {
				return false
			}
		} else if have != want {
			return false
		}
	}
	return true
}

// searchedNumber returns conditions.number of a users/search body.
func searchedNumber(t testing.TB, body []byte) string {
	t.Helper()
	var req struct {
		Conditions struct {
			Number *string `json:"number"`
		} `json:"conditions"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Conditions.Number == nil {
		t.Fatalf("search body %s has no conditions.number (%v)", body, err)
	}
	return *req.Conditions.Number
}

// ---------------------------------------------------------------------------
// Misc helpers.

// logSink collects every Logger call as one line.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprint(msg, " ", fields))
}

func (l *logSink) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func (l *logSink) count(prefix string) int {
	n := 0
	for _, s := range l.all() {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// closedAddr returns a loopback address that refuses connections, reserved
// for the test so that no other listener takes it.
func closedAddr(t testing.TB) string {
	t.Helper()
	return reservePort(t).addr
}

func assertNoSecrets(t testing.TB, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s contains the secret %q: %s", what, sec, s)
		}
	}
}
