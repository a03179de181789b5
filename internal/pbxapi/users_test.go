package pbxapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

func TestSearchUsersRequestBody(t *testing.T) {
	tests := []struct {
		q    pbxapi.SearchQuery
		want string
	}{
		{pbxapi.SearchQuery{}, `{"status":"all","alike":false,"conditions":{"name":"","number":"","mapped":""}}`},
		{pbxapi.SearchQuery{Number: "101"}, `{"status":"all","alike":false,"conditions":{"name":"","number":"101","mapped":""}}`},
		{pbxapi.SearchQuery{Status: "mapped", Alike: true, Name: "Ali", Mapped: "210"}, `{"status":"mapped","alike":true,"conditions":{"name":"Ali","number":"","mapped":"210"}}`},
	}
	for _, tt := range tests {
		fake := newFakePBX(t)
		if _, err := newClient(t, fastConfig(fake.srv.URL)).SearchUsers(testCtx(t), tt.q); err != nil {
			t.Fatal(err)
		}
		body := fake.lastBody("search")
		assertJSONEqual(t, body, []byte(tt.want))
		// alike is a JSON boolean, not a string or number.
		if m := decodeMap(t, body); m["alike"] != tt.q.Alike {
			t.Errorf("alike is %#v", m["alike"])
		}
	}
}

func TestSearchUsersDecoding(t *testing.T) {
	tests := []struct {
		name  string
		data  string // raw "data" value
		want  []pbxapi.User
		wantE string // non-empty: an *APIError containing this
	}{
		{"empty list", `[]`, nil, ""},
		{"empty string", `""`, nil, ""},
		{"null", `null`, nil, ""},
		{"seed search record", `[{"_id":"64b558207af75f2cf37888987","user_type":"SIP","active":"yes","call_record":"no","push_notification":"no",
 "name":"101","number":"101","cid_number":"101","secret":"******","deny":"0.0.0.0/0.0.0.0","permit":"0.0.0.0/0.0.0.0",
 "dtmfmode":"rfc2833","context":"main_routing","host":"dynamic","type":"friend","port":"5060","qualify":"yes","email":"",
 "forward_policy":{"Busy":"","No Answer":"","UnAvailable":"","All":""},"more_options":"","canreinvite":"no",
 "directmedia":"no","nat":"force_rport,comedia","callgroup":"1","pickupgroup":"1","callcounter":"yes","faxdetect":"no",
 "call_limit":"","description":"","date":"1402-04-26 19:32:56","queues":[]}]`, []pbxapi.User{{
			ID: "64b558207af75f2cf37888987", UserType: "SIP", Active: "yes", CallRecord: "no", PushNotification: "no",
			Name: "101", Number: "101", CIDNumber: "101", Secret: pbxapi.SecretMask, Deny: "0.0.0.0/0.0.0.0", Permit: "0.0.0.0/0.0.0.0",
			DTMFMode: "rfc2833", Context: "main_routing", Host: "dynamic", Type: "friend", Port: "5060", Qualify: "yes",
			CanReinvite: "no", DirectMedia: "no", NAT: "force_rport,comedia", CallGroup: "1", PickupGroup: "1", CallCounter: "yes",
			FaxDetect: "no", Date: "1402-04-26 19:32:56",
		}}, ""},
		{"numbers, booleans, $oid, nulls", `[{"_id":{"$oid":"603b41443e14270c550bf15a"},"number":101,"port":5060,"callgroup":1,"active":true,"qualify":false,
 "call_limit":null,"name":"n","big":12345678901234567890,"cid_number":12345678901234567890,"forward_policy":{"Busy":571,"All":null}}]`, []pbxapi.User{{
			ID: "603b41443e14270c550bf15a", Number: "101", Port: "5060", CallGroup: "1", Active: "yes", Qualify: "no", Name: "n",
			CIDNumber: "12345678901234567890", ForwardPolicy: pbxapi.ForwardPolicy{Busy: "571"},
		}}, ""},
		{"forward_policy null or empty string", `[{"_id":"a","forward_policy":null},{"_id":"b","forward_policy":""}]`, []pbxapi.User{{ID: "a"}, {ID: "b"}}, ""},
		{"data is an object", `{"_id":"a"}`, nil, "not a list of users"},
		{"record is an array", `[["a"]]`, nil, "not a list of users"},
		{"field is an object", `[{"_id":"a","name":{"first":"x"}}]`, nil, "not a list of users"},
		{"forward_policy is a number", `[{"_id":"a","forward_policy":5}]`, nil, "not a list of users"},
		{"$oid empty", `[{"_id":{"$oid":""}}]`, nil, "not a list of users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fixedServer(t, 200, "application/json", `{"success":1,"message":"","data":`+tt.data+`}`)
			got, err := newClient(t, fastConfig(srv.URL)).SearchUsers(testCtx(t), pbxapi.SearchQuery{})
			if tt.wantE != "" {
				var ae *pbxapi.APIError
				if !errors.As(err, &ae) || !strings.Contains(ae.Message, tt.wantE) || ae.Operation != "users/search" || ae.StatusCode != 200 {
					t.Fatalf("error %v, want an APIError about %q", err, tt.wantE)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// data key missing altogether: no users.
	srv := fixedServer(t, 200, "application/json", `{"success":1,"message":""}`)
	if got, err := newClient(t, fastConfig(srv.URL)).SearchUsers(testCtx(t), pbxapi.SearchQuery{}); err != nil || got != nil {
		t.Errorf("missing data: %v %v", got, err)
	}
}

// TestSearchMissingIAX2Fields: trunk and transfer are absent on SIP users
// and stay empty.
func TestSearchMissingIAX2Fields(t *testing.T) {
	u := sampleUser("A", "101", "s")
	fake := newFakePBX(t, withUsers(u))
	got, err := newClient(t, fastConfig(fake.srv.URL)).SearchUsers(testCtx(t), pbxapi.SearchQuery{})
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	if got[0].Trunk != "" || got[0].Transfer != "" || got[0].Secret != pbxapi.SecretMask || got[0].Name != "A" || got[0].ForwardPolicy != u.ForwardPolicy {
		t.Errorf("%+v", got[0])
	}
}

func TestFindUserByNumber(t *testing.T) {
	// A device that treats the search as a substring match anyway.
	fake := newFakePBX(t,
		withUsers(sampleUser("A", "1010", "s"), sampleUser("B", "101", "s"), sampleUser("C", "2101", "s")))
	sub := newFakePBX(t, withSearch(func(map[string]any) any {
		return []map[string]any{{"_id": "1", "number": "1010"}, {"_id": "2", "number": "101"}, {"_id": "3", "number": "2101"}}
	}))
	ctx := testCtx(t)
	for _, f := range []*fakePBX{fake, sub} {
		c := newClient(t, fastConfig(f.srv.URL))
		u, err := c.FindUserByNumber(ctx, "101")
		if err != nil || u.Number != "101" {
			t.Fatalf("FindUserByNumber(101) = %+v, %v", u, err)
		}
		if m := decodeMap(t, f.lastBody("search")); m["alike"] != false || searchedNumber(t, f.lastBody("search")) != "101" {
			t.Errorf("search body %v", m)
		}
		_, err = c.FindUserByNumber(ctx, "10")
		if !errors.Is(err, pbxapi.ErrNotFound) {
			t.Errorf("FindUserByNumber(10) error %v, want ErrNotFound", err)
		}
		var ae *pbxapi.APIError
		if !errors.As(err, &ae) || !strings.Contains(ae.Message, `"10"`) {
			t.Errorf("not-found error %v", err)
		}
	}
	// Errors of the search are passed through, not turned into not-found.
	bad := fixedServer(t, 500, "text/plain", "boom")
	cfg := fastConfig(bad.URL)
	cfg.MaxRetries = -1
	if _, err := newClient(t, cfg).FindUserByNumber(ctx, "101"); err == nil || errors.Is(err, pbxapi.ErrNotFound) {
		t.Errorf("search failure: %v", err)
	}
}

// TestGetUserSharedListing pins the run's single users/search listing: every
// GetUser of a client is answered from one request, concurrent callers share
// it, the client's own writes drop it, and a failed listing is not kept.
func TestGetUserSharedListing(t *testing.T) {
	a, b := sampleUser("A", "101", "s"), sampleUser("B", "102", "s")
	a.ID, b.ID = "64b558207af75f2cf3788801", "64b558207af75f2cf3788802"
	unknown := "64b558207af75f2cf3788899"
	tests := []struct {
		name       string
		run        func(t *testing.T, c *pbxapi.Client)
		wantSearch int64
	}{
		{"50 concurrent reads, one listing", func(t *testing.T, c *pbxapi.Client) {
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					id, want := a.ID, "A"
					if i%2 == 1 {
						id, want = b.ID, "B"
					}
					if u, err := c.GetUser(testCtx(t), id); err != nil || u.Name != want {
						t.Errorf("GetUser(%s) = %+v, %v", id, u, err)
					}
				})
			}
			wg.Wait()
		}, 1},
		{"unknown id is not found from the same listing", func(t *testing.T, c *pbxapi.Client) {
			if _, err := c.GetUser(testCtx(t), a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetUser(testCtx(t), unknown); !errors.Is(err, pbxapi.ErrNotFound) {
				t.Fatalf("error %v, want ErrNotFound", err)
			}
		}, 1},
		{"a write drops the listing", func(t *testing.T, c *pbxapi.Client) {
			if _, err := c.GetUser(testCtx(t), a.ID); err != nil {
				t.Fatal(err)
			}
			moved := a
			moved.Name = "Moved"
			if err := c.UpdateUser(testCtx(t), moved); err != nil {
				t.Fatal(err)
			}
			if u, err := c.GetUser(testCtx(t), a.ID); err != nil || u.Name != "Moved" {
				t.Fatalf("after update: %+v %v", u, err)
			}
		}, 2},
		{"ListUsers and GetUser share the listing, concurrently", func(t *testing.T, c *pbxapi.Client) {
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					if i%2 == 0 {
						if _, err := c.GetUser(testCtx(t), a.ID); err != nil {
							t.Error(err)
						}
						return
					}
					users, err := c.ListUsers(testCtx(t))
					if err != nil || len(users) != 2 {
						t.Errorf("ListUsers = %+v, %v", users, err)
					}
				})
			}
			wg.Wait()
		}, 1},
		{"a listed user is a copy", func(t *testing.T, c *pbxapi.Client) {
			users, err := c.ListUsers(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			for i := range users {
				users[i].Name = "scribbled"
			}
			if again, _ := c.GetUser(testCtx(t), a.ID); again.Name != "A" {
				t.Fatalf("the listing was changed through a listed user: %q", again.Name)
			}
		}, 1},
		{"a returned user is a copy", func(t *testing.T, c *pbxapi.Client) {
			u, err := c.GetUser(testCtx(t), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			u.Name = "scribbled"
			if again, _ := c.GetUser(testCtx(t), a.ID); again.Name != "A" {
				t.Fatalf("the listing was changed through a returned user: %q", again.Name)
			}
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakePBX(t, withUsers(a, b))
			tt.run(t, newClient(t, fastConfig(fake.srv.URL)))
			if got := fake.count("search"); got != tt.wantSearch {
				t.Errorf("%d users/search requests, want %d", got, tt.wantSearch)
			}
		})
	}
	t.Run("a failed listing is not kept", func(t *testing.T) {
		bad := fixedServer(t, 400, "application/json", `{"success":0,"message":"Unable to parse content"}`)
		c := newClient(t, fastConfig(bad.URL))
		for range 2 {
			if _, err := c.GetUser(testCtx(t), a.ID); err == nil || errors.Is(err, pbxapi.ErrNotFound) {
				t.Errorf("search failure gave %v", err)
			}
		}
	})
}

func TestAddUser(t *testing.T) {
	tests := []struct {
		name       string
		reply      func(id string) any
		wantSearch int64
		wantIDFrom string // "reply" or "search"
	}{
		{"data._id", nil, 0, "reply"},
		{"data._id as $oid", func(id string) any { return map[string]any{"_id": map[string]any{"$oid": id}} }, 0, "reply"},
		{"full record with _id (2021 docs)", func(id string) any {
			return map[string]any{"_id": id, "name": "x", "date": "1399-12-10 07:07:48"}
		}, 0, "reply"},
		{"_id null", func(string) any { return map[string]any{"_id": nil} }, 1, "search"},
		{"no _id", func(string) any { return map[string]any{} }, 1, "search"},
		{"data empty string", func(string) any { return "" }, 1, "search"},
		{"data null", func(string) any { return nil }, 1, "search"},
		{"data a list", func(string) any { return []any{} }, 1, "search"},
		{"_id empty", func(string) any { return map[string]any{"_id": ""} }, 1, "search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := sampleUser("Other", "100", "x")
			fake := newFakePBX(t, withAddReply(tt.reply), withUsers(other))
			u := sampleUser("New", "101", leakSecret)
			u.ID = "must-not-be-sent"
			res, err := newClient(t, fastConfig(fake.srv.URL)).AddUser(testCtx(t), u)
			if err != nil {
				t.Fatal(err)
			}
			fake.mu.Lock()
			stored := fake.users[len(fake.users)-1]
			fake.mu.Unlock()
			if res.ID != stored["_id"] || res.Adopted {
				t.Errorf("result %+v, want _id %q, not adopted", res, stored["_id"])
			}
			if fake.count("add") != 1 || fake.count("search") != tt.wantSearch {
				t.Errorf("sequence %v", fake.sequence())
			}
			sent := decodeMap(t, fake.lastBody("add"))
			if _, ok := sent["_id"]; ok {
				t.Error("add sent an _id")
			}
			want := decodeMap(t, readGolden(t, "simotel-users-update.request.json"))
			for k := range want {
				if _, ok := sent[k]; !ok && k != "_id" {
					t.Errorf("add did not send %q", k)
				}
			}
			if sent["secret"] != leakSecret || sent["name"] != "New" {
				t.Errorf("sent %v", sent)
			}
		})
	}

	t.Run("no _id and the number is not found", func(t *testing.T) {
		fake := newFakePBX(t, withAddReply(func(string) any { return "" }), withSearch(func(map[string]any) any { return []any{} }))
		_, err := newClient(t, fastConfig(fake.srv.URL)).AddUser(testCtx(t), sampleUser("New", "101", "s"))
		if err == nil || !strings.Contains(err.Error(), "returned no _id") || !errors.Is(err, pbxapi.ErrNotFound) {
			t.Errorf("error %v", err)
		}
		if got := fake.sequence(); !slices.Equal(got, []string{"add", "search"}) {
			t.Errorf("sequence %v: the add must not be repeated", got)
		}
	})

	t.Run("business errors are returned as is", func(t *testing.T) {
		for _, tc := range []struct {
			u       pbxapi.User
			want    string
			wantSeq []string
		}{
			// A taken number is looked up (an identical user would be
			// adopted, see TestAddUserNumberTaken); this one differs.
			{sampleUser("Dup", "100", "s"), "This number already exists", []string{"add", "search"}},
			{sampleUser("", "102", "s"), "Field 'name':value is missing", []string{"add"}},
			{sampleUser("NoSecret", "103", ""), "Field 'secret':value is missing", []string{"add"}},
		} {
			fake := newFakePBX(t, withUsers(sampleUser("Other", "100", "x")))
			_, err := newClient(t, fastConfig(fake.srv.URL)).AddUser(testCtx(t), tc.u)
			var ae *pbxapi.APIError
			if !errors.As(err, &ae) || ae.Message != tc.want || ae.Operation != "users/add" || ae.StatusCode != 200 {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if got := fake.sequence(); !slices.Equal(got, tc.wantSeq) {
				t.Errorf("sequence %v, want %v: a definite failure needs no lookup", got, tc.wantSeq)
			}
		}
	})
}

func TestUpdateRemoveNotFound(t *testing.T) {
	existing := sampleUser("A", "101", "s")
	existing.ID = "64b558207af75f2cf3788801"
	const ghost = "64b558207af75f2cf3788899"

	// A PBX that fails the operation for both ids, so that the client's
	// follow-up search decides between "gone" and "failed".
	failing := func(action string, _ int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
		if (action == "update" || action == "remove") && !processed {
			writeJSON(w, http.StatusOK, simotelFail("Requested operation failed"))
			return true
		}
		return false
	}
	ops := map[string]func(c *pbxapi.Client, id string) error{
		"update": func(c *pbxapi.Client, id string) error {
			u := existing
			u.ID = id
			return c.UpdateUser(testCtx(t), u)
		},
		"remove": func(c *pbxapi.Client, id string) error { return c.RemoveUser(testCtx(t), id) },
	}
	for name, op := range ops {
		t.Run(name+"/gone", func(t *testing.T) {
			fake := newFakePBX(t, withUsers(existing), withFault(failing))
			err := op(newClient(t, fastConfig(fake.srv.URL)), ghost)
			if !errors.Is(err, pbxapi.ErrNotFound) {
				t.Fatalf("error %v, want ErrNotFound", err)
			}
			var ae *pbxapi.APIError
			if !errors.As(err, &ae) || ae.Operation != "users/"+name || ae.Message != "Requested operation failed" {
				t.Errorf("error %#v", err)
			}
			if got := fake.sequence(); !slices.Equal(got, []string{name, "search"}) {
				t.Errorf("sequence %v", got)
			}
		})
		t.Run(name+"/still exists", func(t *testing.T) {
			fake := newFakePBX(t, withUsers(existing), withFault(failing))
			err := op(newClient(t, fastConfig(fake.srv.URL)), existing.ID)
			var ae *pbxapi.APIError
			if err == nil || errors.Is(err, pbxapi.ErrNotFound) || !errors.As(err, &ae) || ae.Message != "Requested operation failed" {
				t.Fatalf("error %v, want a plain failure", err)
			}
		})
		t.Run(name+"/follow-up search fails", func(t *testing.T) {
			fake := newFakePBX(t, withUsers(existing), withFault(func(action string, n int64, processed bool, w http.ResponseWriter, f *fakePBX) bool {
				if action == "search" {
					writeJSON(w, http.StatusForbidden, simotelFail(`"/pbx/users/search";Access denied`))
					return true
				}
				return failing(action, n, processed, w, f)
			}))
			err := op(newClient(t, fastConfig(fake.srv.URL)), ghost)
			if err == nil || errors.Is(err, pbxapi.ErrNotFound) {
				t.Fatalf("error %v: an unverified failure is not not-found", err)
			}
		})
		t.Run(name+"/real fake", func(t *testing.T) {
			// Against the stateful fake: works on an existing id, then the id
			// is gone (remove) or still there (update).
			fake := newFakePBX(t, withUsers(existing))
			c := newClient(t, fastConfig(fake.srv.URL))
			if err := op(c, existing.ID); err != nil {
				t.Fatal(err)
			}
			err := op(c, ghost)
			if !errors.Is(err, pbxapi.ErrNotFound) {
				t.Errorf("ghost: %v", err)
			}
		})
	}

	t.Run("update without id", func(t *testing.T) {
		fake := newFakePBX(t)
		err := newClient(t, fastConfig(fake.srv.URL)).UpdateUser(testCtx(t), sampleUser("A", "1", "s"))
		if err == nil || len(fake.sequence()) != 0 {
			t.Errorf("error %v, requests %v", err, fake.sequence())
		}
	})
	t.Run("remove body", func(t *testing.T) {
		fake := newFakePBX(t, withUsers(existing))
		if err := newClient(t, fastConfig(fake.srv.URL)).RemoveUser(testCtx(t), existing.ID); err != nil {
			t.Fatal(err)
		}
		assertJSONEqual(t, fake.lastBody("remove"), []byte(`{"_id":"64b558207af75f2cf3788801"}`))
		if fake.numUsers() != 0 {
			t.Error("user not removed")
		}
	})
	t.Run("update is a full replace with number change", func(t *testing.T) {
		fake := newFakePBX(t, withUsers(existing))
		c := newClient(t, fastConfig(fake.srv.URL))
		u := existing
		u.Number, u.Name, u.ForwardPolicy = "202", "Moved", pbxapi.ForwardPolicy{}
		if err := c.UpdateUser(testCtx(t), u); err != nil {
			t.Fatal(err)
		}
		sent := decodeMap(t, fake.lastBody("update"))
		if sent["number"] != "202" || sent["secret"] != "s" || sent["_id"] != existing.ID {
			t.Errorf("sent %v", sent)
		}
		if fp, ok := sent["forward_policy"].(map[string]any); !ok || len(fp) != 4 || fp["No Answer"] != "" {
			t.Errorf("an empty forward_policy must still send its four keys: %v", fp)
		}
		got, err := c.GetUser(testCtx(t), existing.ID)
		if err != nil || got.Name != "Moved" {
			t.Errorf("after update: %+v %v", got, err)
		}
	})
}

// PHP encodes an empty associative array as [], so a forward_policy of []
// is an empty policy, not a decoding error.
func TestUserForwardPolicyEmptyArray(t *testing.T) {
	var u pbxapi.User
	if err := json.Unmarshal([]byte(`{"_id":"603b41443e14270c550bf15a","number":"1","forward_policy":[]}`), &u); err != nil {
		t.Fatal(err)
	}
	if u.ForwardPolicy != (pbxapi.ForwardPolicy{}) {
		t.Fatalf("forward_policy = %+v, want empty", u.ForwardPolicy)
	}
}

func TestErrNumberExists(t *testing.T) {
	dup := &pbxapi.APIError{Operation: "users/add", Message: "This number already exists"}
	if !errors.Is(dup, pbxapi.ErrNumberExists) || errors.Is(dup, pbxapi.ErrNotFound) {
		t.Fatal("a duplicate number does not match ErrNumberExists alone")
	}
	other := &pbxapi.APIError{Operation: "users/add", Message: "Requested operation failed"}
	if errors.Is(other, pbxapi.ErrNumberExists) {
		t.Fatal("another business error matches ErrNumberExists")
	}
}
