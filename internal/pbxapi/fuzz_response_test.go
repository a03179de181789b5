package pbxapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// cannedTransport answers every request with one status and body.
type cannedTransport struct {
	status int
	body   []byte
}

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: c.status,
		Header:     http.Header{"Content-Type": []string{"application/json"}},
		Body:       io.NopCloser(strings.NewReader(string(c.body))),
		Request:    r,
	}, nil
}

const (
	fuzzPassword = "fuzz-password-3b7e"
	fuzzAPIKey   = "fuzz-api-key-91cd"
)

func fuzzClient(t *testing.T, status int, body []byte) *pbxapi.Client {
	t.Helper()
	c, err := pbxapi.New(pbxapi.Config{
		Endpoint: "http://pbx.invalid", Username: "fuzz", Password: fuzzPassword, APIKey: fuzzAPIKey,
		MaxRetries: -1, Transport: cannedTransport{status: status, body: body},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkResponseError: a failure is an *APIError (or the not-found and
// per-entry errors) and never carries a credential.
func checkResponseError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *pbxapi.APIError
	var ee *pbxapi.EntryError
	if !errors.As(err, &ae) && !errors.As(err, &ee) {
		t.Fatalf("error %T %q is neither an APIError nor an EntryError", err, err)
	}
	for _, secret := range []string{fuzzPassword, fuzzAPIKey} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q contains a credential", err)
		}
	}
}

// FuzzSimotelResponse feeds any status and body to every users call.
func FuzzSimotelResponse(f *testing.F) {
	for _, s := range []string{
		`{"success":1,"message":"Requested operation is done successfully","data":""}`,
		`{"success":1,"message":"","data":[{"_id":"603b41443e14270c550bf15a","number":"101","secret":"******"}]}`,
		`{"success":1,"message":"Requested operation is done successfully","data":{"_id":"64b788b111294d248a477205"}}`,
		`{"success":0,"message":"This number already exists","data":""}`,
		`{"success":"1"}`, `<html>502</html>`, `{"success":1,"data":{"_id":null}}`, ``,
	} {
		f.Add(200, []byte(s))
	}
	f.Add(401, []byte(`{"success":0,"message":"BasicAuth or ApiKey is invalid","data":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		c := fuzzClient(t, status, body)
		ctx := context.Background()
		_, err := c.SearchUsers(ctx, pbxapi.SearchQuery{Number: "101"})
		checkResponseError(t, err)
		_, err = c.AddUser(ctx, pbxapi.User{Name: "n", Number: "101", Secret: "s"})
		if err != nil && !strings.Contains(err.Error(), "users/") {
			t.Fatalf("add error %q does not name the operation", err)
		}
		err = c.UpdateUser(ctx, pbxapi.User{ID: "603b41443e14270c550bf15a", Name: "n", Number: "101", Secret: "s"})
		checkResponseError(t, err)
		checkResponseError(t, c.RemoveUser(ctx, "603b41443e14270c550bf15a"))
	})
}

// FuzzDirGetResponse feeds any status and body to api/dir/get.
func FuzzDirGetResponse(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"result":{"series":"6423407687606431951","users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF","name":"ABCD","callPos":[{"peer":""},{"peer":"","grouped":"false"}],"timestamp":39}]}}`,
		`{"success":true,"result":{"series":"1","users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF","errors":[{"code":"EDIR_UUID_DOES_NOT_EXIST"}]}]}}`,
		`{"success":false,"error":{"code":9,"description":"authorization required"}}`,
		`{"success":true,"result":{"series":1,"users":[]}}`, `{"success":true}`, `[]`, ``,
	} {
		f.Add(200, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		c := fuzzClient(t, status, body)
		res, _, err := c.GetEntry(context.Background(), "01234567-89AB-CDEF-0123-456789ABCDEF", nil)
		checkResponseError(t, err)
		if err == nil && (res.Raw == nil || res.Err != nil) {
			t.Fatalf("success without an entry: %+v", res)
		}
	})
}
