package mockpbx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The seed page's account: "Authorization: Basic dGVzdDpBYTEyMzQ1Ng==" is test:Aa123456.
const (
	testUser = "test"
	testPass = "Aa123456"
	testKey  = "vZKtIKWsld0egNlkzHo8i5LVBqLNBSWARCQsPOSgDjFmAHM3tG"
)

// newMock starts a Server on an httptest server. Without Accounts it gets the seed page's
// account in mode "both"; without DirAuth the directory needs no authentication.
func newMock(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Accounts == nil {
		cfg.Accounts = []Account{{Username: testUser, Password: testPass, APIKey: testKey, Mode: "both"}}
	}
	if cfg.DirAuth == "" {
		cfg.DirAuth = "none"
	}
	if cfg.RandSeed == 0 {
		cfg.RandSeed = 42
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// send performs one request; headers are "Name: value" strings.
func send(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	resp, data, err := do(context.Background(), http.DefaultClient, method, url, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// rawPost sends a POST on a fresh connection and returns the transport error, if any.
func rawPost(ctx context.Context, url, body string, headers ...string) (*http.Response, []byte, error) {
	return do(ctx, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, http.MethodPost, url, body, headers...)
}

// do sends one request; unlike send it reports errors instead of failing the test, so it
// can run in other goroutines.
func do(ctx context.Context, client *http.Client, method, url, body string, headers ...string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(name, strings.TrimSpace(value))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// simotelHeaders are the seed page's headers.
var simotelHeaders = []string{
	"X-APIKEY: " + testKey,
	"Authorization: Basic dGVzdDpBYTEyMzQ1Ng==",
	"Content-Type: application/json",
}

type simotelReply struct {
	Success int             `json:"success"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// simotel posts body (a string or a value to encode) to /api/v4/<action> with the seed
// page's credentials and decodes the envelope.
func simotel(t *testing.T, ts *httptest.Server, action string, body any) (int, simotelReply) {
	t.Helper()
	r := send(t, http.MethodPost, ts.URL+"/api/v4/"+action, toJSON(t, body), simotelHeaders...)
	var reply simotelReply
	if err := json.Unmarshal(r.body, &reply); err != nil {
		t.Fatalf("%s: reply %q is not a Simotel envelope: %v", action, r.body, err)
	}
	return r.status, reply
}

// mustSimotel posts and fails the test unless the reply is HTTP 200 with success 1.
func mustSimotel(t *testing.T, ts *httptest.Server, action string, body any) simotelReply {
	t.Helper()
	status, reply := simotel(t, ts, action, body)
	if status != http.StatusOK || reply.Success != 1 {
		t.Fatalf("%s: HTTP %d %+v", action, status, reply)
	}
	return reply
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// addUser adds a user with the given fields and returns its _id.
func addUser(t *testing.T, ts *httptest.Server, fields map[string]any) string {
	t.Helper()
	reply := mustSimotel(t, ts, "pbx/users/add", fields)
	var data struct {
		ID string `json:"_id"`
	}
	if err := json.Unmarshal(reply.Data, &data); err != nil || !isObjectID(data.ID) {
		t.Fatalf("add: data %s has no 24-hex _id (%v)", reply.Data, err)
	}
	return data.ID
}

// searchUsers returns the records users/search finds.
func searchUsers(t *testing.T, ts *httptest.Server, body any) []map[string]any {
	t.Helper()
	reply := mustSimotel(t, ts, "pbx/users/search", body)
	var records []map[string]any
	if err := json.Unmarshal(reply.Data, &records); err != nil {
		t.Fatalf("search: data %s is not an array: %v", reply.Data, err)
	}
	return records
}

type dirReplyT struct {
	Success bool           `json:"success"`
	Result  map[string]any `json:"result"`
	Error   *struct {
		Code        int    `json:"code"`
		Param       string `json:"param"`
		Description string `json:"description"`
	} `json:"error"`
}

// dir calls /api/<fn> without authentication (the default test DirAuth is "none").
func dir(t *testing.T, ts *httptest.Server, method, fn string, body any) (int, dirReplyT) {
	t.Helper()
	r := send(t, method, ts.URL+"/api/"+fn, toJSON(t, body), "Content-Type: application/json")
	return r.status, decodeDir(t, r.body)
}

func decodeDir(t *testing.T, body []byte) dirReplyT {
	t.Helper()
	var reply dirReplyT
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&reply); err != nil {
		t.Fatalf("reply %q is not a 2N envelope: %v", body, err)
	}
	return reply
}

// mustDir calls a directory function and fails unless it succeeded; it returns result.
func mustDir(t *testing.T, ts *httptest.Server, method, fn string, body any) map[string]any {
	t.Helper()
	status, reply := dir(t, ts, method, fn, body)
	if status != http.StatusOK || !reply.Success {
		t.Fatalf("%s %s: HTTP %d %+v", method, fn, status, reply.Error)
	}
	return reply.Result
}

// dirError calls a directory function and returns the error code (0 on success).
func dirError(t *testing.T, ts *httptest.Server, method, fn string, body any) int {
	t.Helper()
	_, reply := dir(t, ts, method, fn, body)
	if reply.Error == nil {
		return 0
	}
	return reply.Error.Code
}

// resultUsers returns result.users as a slice of objects.
func resultUsers(t *testing.T, result map[string]any) []map[string]any {
	t.Helper()
	raw, ok := result["users"].([]any)
	if !ok {
		t.Fatalf("result.users missing or not an array: %v", result)
	}
	out := make([]map[string]any, len(raw))
	for i, u := range raw {
		out[i] = asMap(u)
	}
	return out
}

// errorCodes returns the codes of one users[i] element's errors (nil if none).
func errorCodes(u map[string]any) []string {
	errs, _ := u["errors"].([]any)
	var out []string
	for _, e := range errs {
		out = append(out, asString(asMap(e)["code"]))
	}
	return out
}

// tsOf returns a reply element's timestamp.
func tsOf(t *testing.T, u map[string]any) int64 {
	t.Helper()
	n, ok := u["timestamp"].(json.Number)
	if !ok {
		t.Fatalf("no timestamp in %v", u)
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// createEntry creates one directory entry and returns its uuid and timestamp.
func createEntry(t *testing.T, ts *httptest.Server, entry map[string]any) (string, int64) {
	t.Helper()
	users := resultUsers(t, mustDir(t, ts, http.MethodPut, "dir/create", map[string]any{"users": []any{entry}}))
	if len(users) != 1 || users[0]["errors"] != nil {
		t.Fatalf("create %v: %v", entry, users)
	}
	return asString(users[0]["uuid"]), tsOf(t, users[0])
}

// asMap, asSlice and asString are checked type assertions on decoded JSON: a value of
// another type becomes the zero value, which the callers' comparisons then reject.
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asSlice(v any) []any        { a, _ := v.([]any); return a }
func asString(v any) string      { s, _ := v.(string); return s }

// readTestdata returns a golden file of internal/testdata: the bodies of the
// original product pages, shared with the client's tests by path (neither
// package imports the other).
func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonEqual reports whether two JSON documents are equal as values.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}
