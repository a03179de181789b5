package pbxapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

type envelopeCase struct {
	name        string
	status      int
	contentType string
	body        string
	wantMsg     string // substring of APIError.Message
	wantCode    string // 2N only
	wantAuth    bool   // APIError.IsAuth
}

func fixedServer(t *testing.T, status int, contentType, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, status, contentType, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	html404 = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"
	html502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)

var simotelEnvelopeCases = []envelopeCase{
	{"success 0 business error", 200, "application/json", `{"success":0,"message":"This number already exists","data":""}`, "This number already exists", "", false},
	{"success false", 200, "application/json", `{"success":false,"message":"Field 'name':value is missing","data":null}`, "Field 'name':value is missing", "", false},
	{"success 0 without message", 200, "application/json", `{"success":0}`, "without a message", "", false},
	{"success as string", 200, "application/json", `{"success":"1","message":"","data":[]}`, `invalid "success"`, "", false},
	{"success as object", 200, "application/json", `{"success":{"ok":1},"message":"","data":[]}`, `invalid "success"`, "", false},
	{"success null", 200, "application/json", `{"success":null,"data":[]}`, `invalid "success"`, "", false},
	{"success 2", 200, "application/json", `{"success":2,"data":[]}`, `invalid "success"`, "", false},
	{"missing success", 200, "application/json", `{"message":"","data":[]}`, `invalid "success"`, "", false},
	{"JSON array", 200, "application/json", `[1,2,3]`, "not the Simotel JSON envelope", "", false},
	{"HTML 404", 404, "text/html", html404, "Not Found", "", false},
	{"HTML 502", 502, "text/html", html502, "Bad Gateway", "", false},
	{"HTML 200", 200, "text/html; charset=utf-8", html404, "not the Simotel JSON envelope", "", false},
	{"truncated JSON", 200, "application/json", `{"success":1,"message":"","data":[{"_id":"64b5`, "not the Simotel JSON envelope", "", false},
	{"empty body", 200, "", "", "(empty body)", "", false},
	{"empty body 500", 500, "", "", "Internal Server Error", "", false},
	{"binary garbage", 200, "application/octet-stream", "\x00\xff\xfe{", "not the Simotel JSON envelope", "", false},
	{"401 missing", 401, "application/json", `{"success":0,"message":"BasicAuth or ApiKey is missing","data":null}`, "BasicAuth or ApiKey is missing", "", true},
	{"401 invalid", 401, "application/json", `{"success":0,"message":"BasicAuth or ApiKey is invalid","data":null}`, "BasicAuth or ApiKey is invalid", "", true},
	{"403 access denied", 403, "application/json", `{"success":0,"message":"\"/pbx/users/add\";Access denied","data":null}`, `"/pbx/users/add";Access denied`, "", true},
	{"403 ip", 403, "application/json", `{"success":0,"message":"IP is not permitted","data":null}`, "IP is not permitted", "", true},
	{"400 parse", 400, "application/json", `{"success":0,"message":"Unable to parse content","data":null}`, "Unable to parse content", "", false},
	{"405", 405, "application/json", `{"success":0,"message":"Method not allowed","data":null}`, "Method not allowed", "", false},
	{"405 no body", 405, "", "", "Method Not Allowed", "", false},
	{"415", 415, "application/json", `{"success":0,"message":"Unsupported Media Type","data":null}`, "Unsupported Media Type", "", false},
	{"501", 501, "application/json", `{"success":0,"message":"Requested service does not exist","data":null}`, "Requested service does not exist", "", false},
	{"error status with success 1", 500, "application/json", `{"success":1,"message":"","data":""}`, "Internal Server Error", "", false},
	{"long HTML is cut", 500, "text/html", "<html>" + strings.Repeat("x", 5000) + "</html>", "…", "", false},
}

// TestSimotelEnvelope: every malformed or failed reply is an *APIError with
// operation, endpoint, status and message, for every action.
func TestSimotelEnvelope(t *testing.T) {
	ops := []struct {
		action string
		run    func(ctx context.Context, c *pbxapi.Client) error
	}{
		{"search", func(ctx context.Context, c *pbxapi.Client) error {
			_, err := c.SearchUsers(ctx, pbxapi.SearchQuery{Number: "101"})
			return err
		}},
		{"update", func(ctx context.Context, c *pbxapi.Client) error {
			u := sampleUser("x", "101", leakSecret)
			u.ID = "64b558207af75f2cf3788898"
			return c.UpdateUser(ctx, u)
		}},
		{"remove", func(ctx context.Context, c *pbxapi.Client) error {
			return c.RemoveUser(ctx, "64b558207af75f2cf3788898")
		}},
		{"add", func(ctx context.Context, c *pbxapi.Client) error {
			_, err := c.AddUser(ctx, sampleUser("x", "101", leakSecret))
			return err
		}},
	}
	for _, tc := range simotelEnvelopeCases {
		for _, op := range ops {
			if op.action == "add" && (tc.status == 502 || tc.status == 504) {
				continue // ambiguous for add: see TestAddUserAmbiguous
			}
			t.Run(tc.name+"/"+op.action, func(t *testing.T) {
				srv := fixedServer(t, tc.status, tc.contentType, tc.body)
				cfg := fastConfig(srv.URL)
				cfg.Password, cfg.APIKey, cfg.MaxRetries = leakPass, leakKey, -1
				c := newClient(t, cfg)
				var err error
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("panic: %v", p)
						}
					}()
					err = op.run(testCtx(t), c)
				}()
				var ae *pbxapi.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("error %T %v, want *APIError", err, err)
				}
				if ae.Operation != "users/"+op.action {
					t.Errorf("Operation %q", ae.Operation)
				}
				if want := srv.URL + "/api/v4/pbx/users/" + op.action; ae.Endpoint != want {
					t.Errorf("Endpoint %q, want %q", ae.Endpoint, want)
				}
				if ae.StatusCode != tc.status {
					t.Errorf("StatusCode %d, want %d", ae.StatusCode, tc.status)
				}
				if ae.Message == "" || !strings.Contains(ae.Message, tc.wantMsg) {
					t.Errorf("Message %q, want it to contain %q", ae.Message, tc.wantMsg)
				}
				if len(ae.Message) > 400 {
					t.Errorf("Message is %d bytes long: the body must be cut", len(ae.Message))
				}
				if ae.IsAuth() != tc.wantAuth {
					t.Errorf("IsAuth() = %v", ae.IsAuth())
				}
				if errors.Is(err, pbxapi.ErrNotFound) {
					t.Error("must not match ErrNotFound")
				}
				if !strings.Contains(err.Error(), ae.Message) {
					t.Errorf("Error() %q lacks the message", err)
				}
				assertNoSecrets(t, "error", err.Error(), leakPass, leakKey, leakSecret)
			})
		}
	}
}

func TestDirectoryEnvelope(t *testing.T) {
	const uuid = "01234567-89AB-CDEF-0123-456789ABCDEF"
	cases := []envelopeCase{
		{"code 9 HTTP 401", 401, "application/json", `{"success":false,"error":{"code":9,"description":"authorization required"}}`, "authorization required", "9", true},
		{"code 10", 200, "application/json", `{"success":false,"error":{"code":10,"description":"insufficient user privileges"}}`, "insufficient user privileges", "10", true},
		{"code 8", 200, "application/json", `{"success":false,"error":{"code":8,"description":"invalid authentication method"}}`, "invalid authentication method", "8", true},
		{"code 13", 200, "application/json", `{"success":false,"error":{"code":13,"description":"parameter data too big"}}`, "parameter data too big", "13", false},
		{"code 3", 200, "application/json", `{"success":false,"error":{"code":3,"description":"invalid request method"}}`, "invalid request method", "3", false},
		{"code 12 with param", 200, "application/json", `{"success":false,"error":{"code":12,"param":"users","description":"invalid parameter value"}}`, "invalid parameter value (parameter users)", "12", false},
		{"code as string", 200, "application/json", `{"success":false,"error":{"code":"14","description":"processing error"}}`, "processing error", "14", false},
		{"missing error object", 200, "application/json", `{"success":false}`, "without an error object", "", false},
		{"missing success", 200, "application/json", `{"result":{"series":"1","users":[]}}`, "not the 2N JSON envelope", "", false},
		{"success as string", 200, "application/json", `{"success":"true","result":{}}`, "not the 2N JSON envelope", "", false},
		{"non-JSON", 200, "text/plain", "OK", "not the 2N JSON envelope", "", false},
		{"empty body", 200, "", "", "(empty body)", "", false},
		{"HTML 404", 404, "text/html", html404, "Not Found", "", false},
		{"HTML 502", 502, "text/html", html502, "Bad Gateway", "", false},
		{"truncated", 200, "application/json", `{"success":true,"result":{"series":"1","us`, "not the 2N JSON envelope", "", false},
		{"success with error status", 500, "application/json", `{"success":true,"result":{"series":"1","users":[]}}`, "Internal Server Error", "", false},
		{"result not an object", 200, "application/json", `{"success":true,"result":[]}`, "not an object", "", false},
		{"no result", 200, "application/json", `{"success":true}`, "not an object", "", false},
		{"users count mismatch (0)", 200, "application/json", `{"success":true,"result":{"series":"1","users":[]}}`, "asked for 1 entries, the device answered 0", "", false},
		{"users count mismatch (2)", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":1},{"uuid":"` + uuid + `","timestamp":2}]}}`, "answered 2", "", false},
		{"series as object", 200, "application/json", `{"success":true,"result":{"series":{"a":1},"users":[{"uuid":"` + uuid + `","timestamp":1}]}}`, "invalid series", "", false},
		{"entry not an object", 200, "application/json", `{"success":true,"result":{"series":"1","users":["x"]}}`, "not a JSON object", "", false},
		{"found entry without timestamp", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","name":"A"}]}}`, "no timestamp", "", false},
		{"timestamp not a number", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":"yesterday"}]}}`, "timestamp", "", false},
		{"timestamp fractional", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":1.5}]}}`, "timestamp", "", false},
		{"grouped not a bool", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":1,"callPos":[{"grouped":"maybe"}]}]}}`, "callPos[0].grouped", "", false},
		{"callPos not an array", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":1,"callPos":{}}]}}`, "callPos", "", false},
		{"name as object", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":1,"name":{}}]}}`, "name", "", false},
		{"errors not an array", 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","errors":"EDIR"}]}}`, "errors", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fixedServer(t, tc.status, tc.contentType, tc.body)
			cfg := fastConfig(srv.URL)
			cfg.Password, cfg.APIKey, cfg.MaxRetries = leakPass, leakKey, -1
			cfg.Directory = pbxapi.DirectoryConfig{Auth: pbxapi.DirectoryAuthBasic, Username: "admin", Password: leakPass}
			c := newClient(t, cfg)
			res, err := c.GetEntries(testCtx(t), []string{uuid}, []string{})
			var ae *pbxapi.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("result %+v, error %T %v, want *APIError", res, err, err)
			}
			if ae.Operation != "dir/get" || ae.Endpoint != srv.URL+dirGetPath {
				t.Errorf("Operation %q Endpoint %q", ae.Operation, ae.Endpoint)
			}
			if ae.StatusCode != tc.status {
				t.Errorf("StatusCode %d, want %d", ae.StatusCode, tc.status)
			}
			if ae.Code != tc.wantCode {
				t.Errorf("Code %q, want %q", ae.Code, tc.wantCode)
			}
			if !strings.Contains(ae.Message, tc.wantMsg) {
				t.Errorf("Message %q, want it to contain %q", ae.Message, tc.wantMsg)
			}
			if ae.IsAuth() != tc.wantAuth {
				t.Errorf("IsAuth() = %v, want %v", ae.IsAuth(), tc.wantAuth)
			}
			if errors.Is(err, pbxapi.ErrNotFound) {
				t.Error("must not match ErrNotFound")
			}
			assertNoSecrets(t, "error", err.Error(), leakPass, leakKey)
		})
	}
}

// TestDirectoryLenientDecoding: what a device may send differently from the
// seed and must still be understood.
func TestDirectoryLenientDecoding(t *testing.T) {
	const uuid = "01234567-89ab-cdef-0123-456789abcdef"
	tests := []struct {
		name       string
		body       string
		wantSeries string
		check      func(t *testing.T, e pbxapi.Entry)
	}{
		{"timestamp as string", `{"success":true,"result":{"series":"7","users":[{"uuid":"` + uuid + `","timestamp":"39"}]}}`, "7",
			func(t *testing.T, e pbxapi.Entry) {
				if e.Err != nil || e.Timestamp != 39 {
					t.Errorf("entry %+v", e)
				}
			}},
		{"series as number", `{"success":true,"result":{"series":6423407687606431951,"users":[{"uuid":"` + uuid + `","timestamp":1}]}}`, "6423407687606431951", nil},
		{"series max uint64", `{"success":true,"result":{"series":18446744073709551615,"users":[{"uuid":"` + uuid + `","timestamp":1}]}}`, "18446744073709551615", nil},
		{"grouped variants", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","timestamp":5,"callPos":[{"grouped":true},{"grouped":"true"},{"grouped":0},{"grouped":"false"},{"grouped":false},{"grouped":1}]}]}}`, "1",
			func(t *testing.T, e pbxapi.Entry) {
				want := []bool{true, true, false, false, false, true}
				if e.Err != nil || len(e.CallPos) != len(want) {
					t.Fatalf("entry %+v", e)
				}
				for i, w := range want {
					if g := e.CallPos[i].Grouped; !e.Has(fmt.Sprintf("callPos[%d].grouped", i)) || g != w {
						t.Errorf("callPos[%d].grouped = %v, want %v", i, g, w)
					}
				}
			}},
		{"all fields", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","deleted":false,"owner":"ACOM","name":"N","photo":"","email":"e@x","treepath":"/a","virtNumber":12,"deputy":"","buttons":"","callPos":[{"peer":"sip:1@x","profiles":"1,2","grouped":false,"ipEye":"10.0.0.1"}],"access":{"pin":"1234"},"timestamp":1001}]}}`, "1",
			func(t *testing.T, e pbxapi.Entry) {
				d := e
				if d.Err != nil || d.Owner != "ACOM" || d.Treepath != "/a" || d.VirtNumber != "12" || d.Timestamp != 1001 {
					t.Fatalf("entry %+v", d)
				}
				cp := d.CallPos[0]
				if cp.Peer != "sip:1@x" || cp.Profiles != "1,2" || cp.IPEye != "10.0.0.1" || !d.Has("callPos[0].grouped") || cp.Grouped {
					t.Errorf("callPos %+v", cp)
				}
				if !strings.Contains(string(e.Raw), `"pin":"1234"`) {
					t.Errorf("Raw %s lacks the fields the typed view does not cover", e.Raw)
				}
			}},
		{"several error codes", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","errors":[{"code":"EDIR_FIELD_VALUE_ERROR"},{"code":"EDIR_UUID_DOES_NOT_EXIST"}]}]}}`, "1",
			func(t *testing.T, e pbxapi.Entry) {
				if !errors.Is(e.Err, pbxapi.ErrNotFound) || e.Raw != nil {
					t.Errorf("result %+v", e)
				}
				if !strings.Contains(e.Err.Error(), "EDIR_FIELD_VALUE_ERROR, EDIR_UUID_DOES_NOT_EXIST") {
					t.Errorf("error %q", e.Err)
				}
			}},
		{"empty errors", `{"success":true,"result":{"series":"1","users":[{"uuid":"` + uuid + `","errors":[]}]}}`, "1",
			func(t *testing.T, e pbxapi.Entry) {
				if e.Err == nil || errors.Is(e.Err, pbxapi.ErrNotFound) {
					t.Errorf("result %+v", e)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fixedServer(t, 200, "application/json", tt.body)
			res, err := newClient(t, fastConfig(srv.URL)).GetEntries(testCtx(t), []string{uuid}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Series != tt.wantSeries {
				t.Errorf("series %q, want %q", res.Series, tt.wantSeries)
			}
			if tt.check != nil {
				tt.check(t, res.Entries[0])
			}
		})
	}
}

func TestGetEntryAndLimits(t *testing.T) {
	ctx := testCtx(t)
	// GetEntry turns the per-entry error into the call's error.
	one := fixedServer(t, 200, "application/json", `{"success":true,"result":{"series":"5","users":[{"uuid":"76543210-68FF-18CA-3210-FEDCBA987654","errors":[{"code":"EDIR_UUID_DOES_NOT_EXIST"}]}]}}`)
	_, series, err := newClient(t, fastConfig(one.URL)).GetEntry(ctx, "76543210-68FF-18CA-3210-FEDCBA987654", []string{})
	if !errors.Is(err, pbxapi.ErrNotFound) || series != "5" {
		t.Errorf("GetEntry: series %q err %v, want ErrNotFound", series, err)
	}
	found := fixedServer(t, 200, "application/json", `{"success":true,"result":{"series":"5","users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF","name":"A","timestamp":3}]}}`)
	er, series, err := newClient(t, fastConfig(found.URL)).GetEntry(ctx, "01234567-89AB-CDEF-0123-456789ABCDEF", nil)
	if err != nil || series != "5" || er.Name != "A" || er.Timestamp != 3 {
		t.Errorf("GetEntry: %+v %q %v", er, series, err)
	}
	bad := fixedServer(t, 200, "text/plain", "no")
	if _, _, err := newClient(t, fastConfig(bad.URL)).GetEntry(ctx, "01234567-89AB-CDEF-0123-456789ABCDEF", nil); err == nil {
		t.Error("GetEntry: want the envelope error")
	}

	// More than MaxGetUUIDs is refused before any request.
	rec := &headerRecorder{}
	recSrv := httptest.NewServer(rec)
	defer recSrv.Close()
	many := make([]string, pbxapi.MaxGetUUIDs+1)
	for i := range many {
		many[i] = "01234567-89AB-CDEF-0123-456789ABCDEF"
	}
	if _, err := newClient(t, fastConfig(recSrv.URL)).GetEntries(ctx, many, nil); err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Errorf("GetEntries(1001 uuids): %v", err)
	}
	rec.mu.Lock()
	if len(rec.reqs) != 0 {
		t.Errorf("%d requests sent for an over-limit get", len(rec.reqs))
	}
	rec.mu.Unlock()
}

// TestGetEntriesFieldsKey: nil fields omits the key (non-default fields
// only), an empty slice sends [] (all fields).
func TestGetEntriesFieldsKey(t *testing.T) {
	for _, tt := range []struct {
		fields []string
		want   string
	}{
		{nil, `{"users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF"}]}`},
		{[]string{}, `{"fields":[],"users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF"}]}`},
		{[]string{"name"}, `{"fields":["name"],"users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF"}]}`},
	} {
		var body []byte
		done := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body = mustRead(r)
			done <- struct{}{}
			writeRaw(w, 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF","timestamp":1}]}}`)
		}))
		if _, err := newClient(t, fastConfig(srv.URL)).GetEntries(testCtx(t), []string{"01234567-89AB-CDEF-0123-456789ABCDEF"}, tt.fields); err != nil {
			t.Fatal(err)
		}
		<-done
		assertJSONEqual(t, body, []byte(tt.want))
		srv.Close()
	}
}
