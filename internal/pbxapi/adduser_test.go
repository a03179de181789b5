package pbxapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
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
	// onFirstAdd answers the first add with reply, before the PBX processes it or after.
	onFirstAdd := func(processed bool, reply func(http.ResponseWriter)) fakeFault {
		return func(a string, n int64, p bool, w http.ResponseWriter, _ *fakePBX) bool {
			if a == "add" && n == 1 && p == processed {
				reply(w)
				return true
			}
			return false
		}
	}
	unreadable := func(w http.ResponseWriter) {
		writeRaw(w, http.StatusOK, "application/json", `{"success":1,"message":"Requested op`)
	}
	tests := []struct {
		name      string
		fault     fakeFault
		timeout   time.Duration // RequestTimeout, 0 = default
		wantSeq   []string
		wantErr   string // "" = success
		wantUsers int    // users stored on the PBX at the end
	}{
		{name: "processed then connection dropped: adopt", fault: onFirstAdd(true, dropConn), wantSeq: []string{"add", "search"}, wantUsers: 1},
		{name: "processed then 502: adopt", fault: onFirstAdd(true, badGateway), wantSeq: []string{"add", "search"}, wantUsers: 1},
		{name: "processed then 504: adopt", fault: onFirstAdd(true, gatewayTimeout), wantSeq: []string{"add", "search"}, wantUsers: 1},
		{name: "processed then an unreadable 200: adopt", fault: onFirstAdd(true, unreadable), wantSeq: []string{"add", "search"}, wantUsers: 1},
		// The reply is held until the client gives up: only the client's
		// timer decides, and the lookup after it has a second of margin.
		{name: "processed then timeout: adopt", timeout: time.Second, fault: onFirstAdd(true, holdUntilHangUp),
			wantSeq: []string{"add", "search"}, wantUsers: 1},
		{name: "not processed, dropped: add again once", fault: onFirstAdd(false, dropConn), wantSeq: []string{"add", "search", "add"}, wantUsers: 1},
		{name: "not processed, 502: add again once", fault: onFirstAdd(false, badGateway), wantSeq: []string{"add", "search", "add"}, wantUsers: 1},
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
			// MaxRetries 3: four requests in all, lookups included.
			name: "always ambiguous: give up after MaxRetries+1 requests",
			fault: func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "add" && !processed {
					badGateway(w)
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search", "add", "search"}, wantErr: "giving up after 4 requests (max_retries 3)", wantUsers: 0,
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
			res, err := newClient(t, cfg).AddUser(testCtx(t), want)
			id := res.ID
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
			if res.Adopted {
				t.Error("a user this call may have created is reported as adopted")
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
			res, err := newClient(t, fastConfig(fake.srv.URL)).AddUser(testCtx(t), want)
			if tc.wantErr == "" {
				if err != nil || res.ID != "64b558207af75f2cf3788801" {
					t.Fatalf("AddUser = %+v, %v", res, err)
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

// TestAddUserNumberTaken pins how AddUser answers "This number already
// exists" to its first add (a user left by an interrupted run, or someone
// else's): a user matching every field sent is adopted and reported as such;
// anything else keeps the device's error, with what differs.
func TestAddUserNumberTaken(t *testing.T) {
	want := sampleUser("Left Over", "910", leakSecret)
	differs := want
	differs.Name, differs.Context = "Someone Else", "other_ctx"
	tests := []struct {
		name        string
		existing    pbxapi.User
		maxRetries  int
		fault       fakeFault
		wantSeq     []string
		wantAdopted bool
		wantErr     []string // all must appear; nil = success
	}{
		{
			name: "every field matches: adopted", existing: want,
			wantSeq: []string{"add", "search"}, wantAdopted: true,
		},
		{
			name: "another user: the device's error, with what differs", existing: differs,
			wantSeq: []string{"add", "search"},
			wantErr: []string{"This number already exists", "differs in context, name"},
		},
		{
			name: "the secret in clear and different: not adopted", existing: func() pbxapi.User { u := want; u.Secret = "other-secret"; return u }(),
			fault: func(a string, _ int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				if a != "search" || processed {
					return false
				}
				f.mu.Lock()
				rec := cloneMap(f.users[0])
				f.mu.Unlock()
				writeJSON(w, http.StatusOK, map[string]any{"success": 1, "message": "", "data": []any{rec}})
				return true
			},
			wantSeq: []string{"add", "search"},
			wantErr: []string{"This number already exists", "differs in secret"},
		},
		{
			name: "the lookup fails: the device's error", existing: want,
			fault: func(a string, _ int64, _ bool, w http.ResponseWriter, _ *fakePBX) bool {
				if a == "search" {
					writeJSON(w, http.StatusForbidden, simotelFail(`"/pbx/users/search";Access denied`))
					return true
				}
				return false
			},
			wantSeq: []string{"add", "search"},
			wantErr: []string{"This number already exists", "looking up the extension that has the number failed too", "Access denied"},
		},
		{
			name: "gone by the lookup: added", existing: differs,
			fault: func(a string, _ int64, processed bool, _ http.ResponseWriter, f *fakePBX) bool {
				if a == "search" && !processed {
					f.mu.Lock()
					f.users = nil
					f.mu.Unlock()
				}
				return false
			},
			wantSeq: []string{"add", "search", "add"},
		},
		{
			name: "max_retries 0: no lookup", existing: want, maxRetries: -1,
			wantSeq: []string{"add"},
			wantErr: []string{"This number already exists"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakePBX(t, withUsers(tt.existing), withFault(tt.fault))
			existingID := fake.users[0]["_id"]
			cfg := fastConfig(fake.srv.URL)
			if tt.maxRetries != 0 {
				cfg.MaxRetries = tt.maxRetries
			}
			res, err := newClient(t, cfg).AddUser(testCtx(t), want)
			if got := fake.sequence(); !slices.Equal(got, tt.wantSeq) {
				t.Errorf("requests %v, want %v", got, tt.wantSeq)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("AddUser = %+v, want an error", res)
				}
				if !errors.Is(err, pbxapi.ErrNumberExists) {
					t.Errorf("error %v does not match ErrNumberExists (the provider's import hint depends on it)", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				assertNoSecrets(t, "error", err.Error(), leakSecret, "other-secret")
				return
			}
			if err != nil {
				t.Fatalf("AddUser: %v", err)
			}
			if res.Adopted != tt.wantAdopted {
				t.Errorf("Adopted = %v, want %v", res.Adopted, tt.wantAdopted)
			}
			if tt.wantAdopted && res.ID != existingID {
				t.Errorf("adopted _id %q, want the existing user's %v", res.ID, existingID)
			}
			if n := fake.numUsers(); n != 1 {
				t.Errorf("%d users on the PBX, want 1", n)
			}
		})
	}
}

// TestAddUserBudget: max_retries bounds the requests of the whole AddUser
// call, the HTTP client's retries and the lookups together (before, each add
// and each lookup had max_retries of its own: 4 could mean 25 requests).
func TestAddUserBudget(t *testing.T) {
	dropUnprocessedAdds := func(a string, _ int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
		if a == "add" && !processed {
			dropConn(w)
			return true
		}
		return false
	}
	busy := func(action string) fakeFault {
		return func(a string, _ int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
			if a == action && !processed {
				writeJSON(w, http.StatusServiceUnavailable, simotelFail("PBX is busy"))
				return true
			}
			return false
		}
	}
	tests := []struct {
		name       string
		maxRetries int
		fault      fakeFault
		wantSeq    []string
		wantErr    string
	}{
		{"default budget, every add dropped", pbxapi.DefaultMaxRetries, dropUnprocessedAdds,
			[]string{"add", "search", "add", "search", "add"}, "giving up after 5 requests (max_retries 4), the outcome unknown"},
		{"budget 2, every add dropped", 1, dropUnprocessedAdds,
			[]string{"add", "search"}, "giving up after 2 requests (max_retries 1)"},
		{"default budget, the add dropped, the lookup busy", pbxapi.DefaultMaxRetries,
			func(a string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				if a == "add" {
					return dropUnprocessedAdds(a, n, processed, w, f)
				}
				return busy("search")(a, n, processed, w, f)
			},
			[]string{"add", "search", "search", "search", "search"}, "the lookup that would resolve it failed too"},
		{"default budget, add busy", pbxapi.DefaultMaxRetries, busy("add"),
			repeat("add", 5), "PBX is busy"},
		{"default budget, add busy twice, then created", pbxapi.DefaultMaxRetries,
			func(a string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				if a == "add" && n <= 2 {
					return busy("add")(a, n, processed, w, f)
				}
				return false
			},
			[]string{"add", "add", "add"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakePBX(t, withFault(tt.fault))
			cfg := fastConfig(fake.srv.URL)
			cfg.MaxRetries = tt.maxRetries
			_, err := newClient(t, cfg).AddUser(testCtx(t), sampleUser("Budget", "920", "s"))
			got := fake.sequence()
			if len(got) > tt.maxRetries+1 {
				t.Errorf("%d requests, more than max_retries + 1 = %d: %v", len(got), tt.maxRetries+1, got)
			}
			if !slices.Equal(got, tt.wantSeq) {
				t.Errorf("requests %v, want %v", got, tt.wantSeq)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("AddUser: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// TestUpdateRemoveBudget: the lookup that turns "Requested operation failed"
// into "not found" comes out of the call's budget.
func TestUpdateRemoveBudget(t *testing.T) {
	u := sampleUser("Gone", "930", "s")
	u.ID = "64b558207af75f2cf37880ff"
	for _, op := range []struct {
		name string
		run  func(*pbxapi.Client) error
	}{
		{"update", func(c *pbxapi.Client) error { return c.UpdateUser(testCtx(t), u) }},
		{"remove", func(c *pbxapi.Client) error { return c.RemoveUser(testCtx(t), u.ID) }},
	} {
		for _, tc := range []struct {
			maxRetries   int
			busyFirst    int // answers 503 to the first n requests of the operation
			wantSeq      []string
			wantNotFound bool
		}{
			{3, 0, []string{op.name, "search"}, true},
			{3, 3, repeat(op.name, 4), false},
			{3, 2, append(repeat(op.name, 3), "search"), true},
			{-1, 0, []string{op.name}, false},
		} {
			t.Run(fmt.Sprintf("%s/max_retries=%d/busy=%d", op.name, tc.maxRetries, tc.busyFirst), func(t *testing.T) {
				fake := newFakePBX(t, withFault(func(a string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
					if a == op.name && !processed && n <= int64(tc.busyFirst) {
						writeJSON(w, http.StatusServiceUnavailable, simotelFail("PBX is busy"))
						return true
					}
					return false
				}))
				cfg := fastConfig(fake.srv.URL)
				cfg.MaxRetries = tc.maxRetries
				err := op.run(newClient(t, cfg))
				if got := fake.sequence(); !slices.Equal(got, tc.wantSeq) {
					t.Errorf("requests %v, want %v", got, tc.wantSeq)
				}
				if err == nil || errors.Is(err, pbxapi.ErrNotFound) != tc.wantNotFound {
					t.Errorf("error %v, want not-found %v", err, tc.wantNotFound)
				}
			})
		}
	}
}
