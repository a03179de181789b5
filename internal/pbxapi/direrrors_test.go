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
