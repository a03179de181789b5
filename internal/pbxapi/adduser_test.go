package pbxapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// TestAddUserAmbiguous pins how AddUser resolves a failure that leaves it
// unknown whether the PBX created the user: look the number up, adopt a
// matching user, refuse a differing one, add again only if nothing is there.
func TestAddUserAmbiguous(t *testing.T) {
	want := sampleUser("Amb User", "909", leakSecret)
	badGateway := func(w http.ResponseWriter) {
		writeRaw(w, http.StatusBadGateway, "text/html", html502)
	}
	gatewayTimeout := func(w http.ResponseWriter) {
		writeRaw(w, http.StatusGatewayTimeout, "text/html", "<html>504 Gateway Time-out</html>")
	}
	tests := []struct {
		name      string
		fault     fakeFault
		timeout   time.Duration // RequestTimeout, 0 = default
		wantSeq   []string
		wantErr   string // "" = success
		wantUsers int    // users stored on the PBX at the end
	}{
		{
			name: "processed then connection dropped: adopt",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && processed {
					dropConn(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantUsers: 1,
		},
		{
			name: "processed then 502: adopt",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && processed {
					badGateway(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantUsers: 1,
		},
		{
			name: "processed then 504: adopt",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && processed {
					gatewayTimeout(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantUsers: 1,
		},
		{
			name: "processed then an unreadable 200: adopt",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && processed {
					writeRaw(w, http.StatusOK, "application/json", `{"success":1,"message":"Requested op`)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantUsers: 1,
		},
		{
			name:    "processed then timeout: adopt",
			timeout: 100 * time.Millisecond,
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && processed {
					time.Sleep(400 * time.Millisecond) // longer than the client waits
					return false
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantUsers: 1,
		},
		{
			name: "not processed, dropped: add again once",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && !processed {
					dropConn(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search", "add"}, wantUsers: 1,
		},
		{
			name: "not processed, 502: add again once",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && n == 1 && !processed {
					badGateway(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search", "add"}, wantUsers: 1,
		},
		{
			name: "someone else took the number: refuse",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				if a == "add" && n == 1 && !processed {
					other := want
					other.Name = "Someone Else"
					f.insertRaw(other)
					dropConn(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantErr: "differs in name:", wantUsers: 1,
		},
		{
			name: "stored user differs in several fields",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				if a == "add" && n == 1 && !processed {
					other := want
					other.Context, other.ForwardPolicy.All = "other_ctx", "1"
					f.insertRaw(other)
					badGateway(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantErr: "differs in context, forward_policy:", wantUsers: 1,
		},
		{
			name: "ambiguous, then already exists: adopt",
			// The first add is processed but the search does not see it yet
			// (e.g. a replica); the second add reports the duplicate.
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				switch {
				case a == "add" && n == 1 && processed:
					badGateway(w)
					return true
				case a == "search" && n == 1:
					writeJSON(w, http.StatusOK, map[string]any{"success": 1, "message": "", "data": []any{}})
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search", "add", "search"}, wantUsers: 1,
		},
		{
			name: "ambiguous, then already exists with another user: refuse",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				switch {
				case a == "add" && n == 1 && !processed:
					badGateway(w)
					return true
				case a == "search" && n == 1 && processed:
					// Someone else adds the number between lookup and retry.
					other := want
					other.Name = "Racer"
					f.insertRaw(other)
				}
				return false
			},
			wantSeq: []string{"add", "search", "add", "search"}, wantErr: "differs in name", wantUsers: 1,
		},
		{
			name: "ambiguous, lookup fails: no second add",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				switch {
				case a == "add" && n == 1 && !processed:
					dropConn(w)
					return true
				case a == "search":
					writeJSON(w, http.StatusForbidden, simotelFail(`"/pbx/users/search";Access denied`))
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"}, wantErr: "Access denied", wantUsers: 0,
		},
		{
			name: "always ambiguous: give up after MaxRetries+1 adds",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && !processed {
					badGateway(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search", "add", "search", "add", "search", "add", "search"}, wantErr: "giving up", wantUsers: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakePBX(t, withFault(tt.fault))
			cfg := fastConfig(fake.srv.URL)
			cfg.Password, cfg.APIKey = leakPass, leakKey
			if tt.timeout > 0 {
				cfg.RequestTimeout = tt.timeout
			}
			id, err := newClient(t, cfg).AddUser(testCtx(t), want)
			if got := fake.sequence(); !slices.Equal(got, tt.wantSeq) {
				t.Errorf("requests %v, want %v", got, tt.wantSeq)
			}
			if n := fake.numUsers(); n != tt.wantUsers {
				t.Errorf("%d users on the PBX, want %d", n, tt.wantUsers)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to mention %q", err, tt.wantErr)
				}
				if id != "" {
					t.Errorf("id %q returned with an error", id)
				}
				assertNoSecrets(t, "error", err.Error(), leakPass, leakKey, leakSecret)
				return
			}
			if err != nil {
				t.Fatalf("AddUser: %v", err)
			}
			fake.mu.Lock()
			stored := fake.users[0]
			fake.mu.Unlock()
			if id == "" || id != stored["_id"] || stored["name"] != want.Name {
				t.Errorf("id %q, stored %v", id, stored)
			}
		})
	}
}

// TestAddUserAmbiguousIAX2: the IAX2-only fields the device omits on read,
// and a secret returned in clear, are compared correctly.
func TestAddUserAmbiguousIAX2(t *testing.T) {
	for _, tc := range []struct {
		name     string
		userType string
		secret   string // returned by search
		wantErr  string
	}{
		{"IAX2 user", "IAX2", "", ""},
		{"secret in clear, same", "SIP", leakSecret, ""},
		{"secret in clear, different", "SIP", "another", "differs in secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := sampleUser("X", "777", leakSecret)
			want.UserType = tc.userType
			fake := newFakePBX(t,
				withFault(func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
					if a == "add" && processed {
						dropConn(w)
						return true
					}
					return false
				}),
				withSearch(func(map[string]any) any {
					rec := map[string]any{}
					b, _ := json.Marshal(want)
					_ = json.Unmarshal(b, &rec)
					rec["_id"] = "64b558207af75f2cf3788801"
					rec["secret"] = pbxapi.SecretMask
					if tc.secret != "" {
						rec["secret"] = tc.secret
					}
					return []any{rec}
				}))
			id, err := newClient(t, fastConfig(fake.srv.URL)).AddUser(testCtx(t), want)
			if tc.wantErr == "" {
				if err != nil || id != "64b558207af75f2cf3788801" {
					t.Fatalf("AddUser = %q, %v", id, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "another") || strings.Contains(err.Error(), leakSecret) {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// TestAddUserTransportErrorKinds pins IsAmbiguous on constructed errors
// (refused connections are covered by TestConnectionRefused).
func TestAddUserTransportErrorKinds(t *testing.T) {
	dropped := &pbxapi.TransportError{Operation: "users/add", Err: errors.New("EOF")}
	if !pbxapi.IsAmbiguous(dropped) {
		t.Error("a generic transport error is ambiguous")
	}
	for _, err := range []error{nil, errors.New("plain"), &pbxapi.APIError{StatusCode: 500}, &pbxapi.APIError{StatusCode: 200, Message: "This number already exists"}} {
		if pbxapi.IsAmbiguous(err) {
			t.Errorf("IsAmbiguous(%v) = true", err)
		}
	}
	for _, code := range []int{502, 504} {
		if !pbxapi.IsAmbiguous(&pbxapi.APIError{StatusCode: code}) {
			t.Errorf("IsAmbiguous(%d) = false", code)
		}
	}
}
