package pbxapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// TestDirectoryGenericErrors: the 2N generic error codes come as HTTP 200
// with an error body; the client reports the code and description and says
// what to do about the ones the intercom's settings cause.
func TestDirectoryGenericErrors(t *testing.T) {
	for _, tt := range []struct {
		code        int
		description string
		want        string
		auth        bool
	}{
		{1, "function is not supported", "does not have this directory function", false},
		{4, "function is disabled", "enable it under Services > HTTP API", false},
		{7, "invalid connection type", "use an https:// directory endpoint", false},
		{10, "insufficient user privileges", "System - Control", true},
		{11, "missing mandatory parameter", "missing mandatory parameter (parameter users)", false},
		{12, "invalid parameter value", "invalid parameter value (parameter users)", false},
		{13, "parameter data too big", "parameter data too big (parameter users)", false},
	} {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeRaw(w, http.StatusOK, "application/json",
					fmt.Sprintf(`{"success":false,"error":{"code":%d,"param":"users","description":%q}}`, tt.code, tt.description))
			}))
			t.Cleanup(srv.Close)
			_, err := newClient(t, fastConfig(srv.URL)).GetEntries(testCtx(t), []string{uuidA}, nil)
			var ae *pbxapi.APIError
			if !errors.As(err, &ae) || ae.Code != fmt.Sprint(tt.code) || ae.StatusCode != 200 || !strings.Contains(ae.Message, tt.want) || !strings.Contains(ae.Message, tt.description) {
				t.Fatalf("error %v, want code %d with %q", err, tt.code, tt.want)
			}
			if ae.IsAuth() != tt.auth || pbxapi.IsAmbiguous(err) {
				t.Errorf("IsAuth %t ambiguous %t, want %t false", ae.IsAuth(), pbxapi.IsAmbiguous(err), tt.auth)
			}
		})
	}
}

// TestGroupedReadings: callPos[].grouped is a boolean in 2N's own template
// and the string "true"/"false" on the seed page (design/api/README.md,
// rule 16); both read the same, on get and query alike.
func TestGroupedReadings(t *testing.T) {
	for _, tt := range []struct {
		name             string
		grouped, ungroup string
	}{
		{"boolean (harness template)", `true`, `false`},
		{"string (seed page)", `"true"`, `"false"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entry := `{"uuid":"` + uuidA + `","name":"A","callPos":[{"peer":"1","grouped":` + tt.ungroup + `},{"peer":"2","grouped":` + tt.grouped + `},{}],"timestamp":3}`
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeRaw(w, http.StatusOK, "application/json", `{"success":true,"result":{"series":"7","timestamp":3,"users":[`+entry+`]}}`)
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, fastConfig(srv.URL))
			got, err := c.GetEntries(testCtx(t), []string{uuidA}, []string{})
			if err != nil {
				t.Fatal(err)
			}
			q, err := c.QueryEntries(testCtx(t), "", 0, []string{})
			if err != nil || len(q.Entries) != 1 {
				t.Fatalf("query: %+v %v", q, err)
			}
			for what, r := range map[string]*pbxapi.Entry{"get": &got.Entries[0], "query": &q.Entries[0]} {
				f, err := r.Fields()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if f.CallPos[0].Grouped || !f.CallPos[1].Grouped || f.CallPos[2].Grouped {
					t.Errorf("%s: grouped %v, want false true false", what, f.CallPos)
				}
				if cp := r.CallPos; len(cp) < 2 || !r.Has("callPos[1].grouped") || !cp[1].Grouped {
					t.Errorf("%s: typed grouped %+v", what, cp)
				}
			}
		})
	}
}
