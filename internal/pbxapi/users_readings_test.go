package pbxapi_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// TestAddReplyReadings: every documented shape of a successful users/add
// reply (design/api/README.md, rule 3) gives the user's _id, read from the
// reply when it has one and looked up by number when it has none.
func TestAddReplyReadings(t *testing.T) {
	tests := []struct {
		name    string
		reply   func(id string, rec map[string]any) map[string]any
		wantSeq []string
	}{
		{"(c) data._id, the other v4 add endpoints", func(id string, _ map[string]any) map[string]any {
			return simotelOK(map[string]any{"_id": id})
		}, []string{"add"}},
		{"(a) data is the whole record, 2021 docs", func(id string, rec map[string]any) map[string]any {
			rec["_id"], rec["date"] = id, "1399-12-10 07:07:48"
			return simotelOK(rec)
		}, []string{"add"}},
		{"(a) with a MongoDB extended-JSON _id", func(id string, rec map[string]any) map[string]any {
			rec["_id"] = map[string]any{"$oid": id}
			return simotelOK(rec)
		}, []string{"add"}},
		{"(b) status and user_id (the number), current docs", func(_ string, rec map[string]any) map[string]any {
			return map[string]any{"status": "success", "message": "User created successfully", "user_id": rec["number"]}
		}, []string{"add", "search"}},
		{"(b) status and user_id (an _id)", func(id string, _ map[string]any) map[string]any {
			return map[string]any{"status": "success", "message": "User created successfully", "user_id": id}
		}, []string{"add"}},
		{"data._id null, as blacklist add shows", func(string, map[string]any) map[string]any {
			return simotelOK(map[string]any{"_id": nil})
		}, []string{"add", "search"}},
		{"no data", func(string, map[string]any) map[string]any {
			return map[string]any{"success": 1, "message": "Requested operation is done successfully", "data": ""}
		}, []string{"add", "search"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePBX(t, func(p *fakePBX) { p.addEnvelope = tt.reply })
			res, err := newClient(t, fastConfig(f.srv.URL)).AddUser(testCtx(t), sampleUser("A", "501", "s"))
			if err != nil {
				t.Fatal(err)
			}
			if want := f.users[0]["_id"]; res.ID != want || res.Adopted {
				t.Errorf("AddUser = %+v, want _id %v, not adopted", res, want)
			}
			if seq := f.sequence(); !slices.Equal(seq, tt.wantSeq) {
				t.Errorf("requests %v, want exactly %v", seq, tt.wantSeq)
			}
		})
	}

	// The status shape reporting a failure is the device's error.
	f := newFakePBX(t, func(p *fakePBX) {
		p.addEnvelope = func(string, map[string]any) map[string]any {
			return map[string]any{"status": "error", "message": "Number is not valid"}
		}
	})
	_, err := newClient(t, fastConfig(f.srv.URL)).AddUser(testCtx(t), sampleUser("A", "501", "s"))
	var ae *pbxapi.APIError
	if !errors.As(err, &ae) || ae.Message != "Number is not valid" || pbxapi.IsAmbiguous(err) {
		t.Errorf("error %v, want the device's message, not ambiguous", err)
	}
}

// TestUserMethodReadings: v4 documents POST for every action, the 2021
// client used the v3 verbs (design/api/README.md, rule 2). Against a PBX
// that accepts only the v3 verbs, each action is refused once (405 with
// Allow, nothing done), sent again with the allowed method, and from then on
// sent with it.
func TestUserMethodReadings(t *testing.T) {
	v3 := map[string]string{"add": http.MethodPost, "search": http.MethodGet, "update": http.MethodPut, "remove": http.MethodDelete}
	for _, tt := range []struct {
		name    string
		methods map[string]string
		wantSeq []string
	}{
		{"POST for every action (v4 docs)", nil, []string{"add", "search", "update", "remove", "search", "update"}},
		{"v3 verbs (2021 client)", v3, []string{"add", "search", "search", "update", "update", "remove", "remove", "search", "update"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePBX(t, func(p *fakePBX) { p.methods = tt.methods })
			c := newClient(t, fastConfig(f.srv.URL))
			ctx := testCtx(t)
			res, err := c.AddUser(ctx, sampleUser("A", "501", "s"))
			if err != nil {
				t.Fatal(err)
			}
			u, err := c.FindUserByNumber(ctx, "501")
			if err != nil || u.ID != res.ID {
				t.Fatalf("FindUserByNumber = %+v, %v", u, err)
			}
			u.Secret, u.Name = "s", "B"
			if err := c.UpdateUser(ctx, *u); err != nil {
				t.Fatal(err)
			}
			if err := c.RemoveUser(ctx, res.ID); err != nil {
				t.Fatal(err)
			}
			// Learnt: no second refusal.
			if _, err := c.SearchUsers(ctx, pbxapi.SearchQuery{}); err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateUser(ctx, *u); !errors.Is(err, pbxapi.ErrNotFound) {
				t.Fatalf("update of the removed user: %v, want not found", err)
			}
			want := tt.wantSeq
			// The not-found update looks the _id up once more.
			want = append(slices.Clone(want), "search")
			if seq := f.sequence(); !slices.Equal(seq, want) {
				t.Errorf("requests %v, want exactly %v", seq, want)
			}
		})
	}

	// A 405 that allows nothing else is an error, not a loop.
	f := newFakePBX(t, func(p *fakePBX) { p.methods = map[string]string{"search": http.MethodPost} })
	_, err := newClient(t, fastConfig(f.srv.URL)).AddUser(testCtx(t), sampleUser("A", "501", "s"))
	if err == nil || !strings.Contains(err.Error(), "405") || f.count("add") != 1 {
		t.Errorf("error %v after %d adds, want the 405 after one", err, f.count("add"))
	}
}

// TestSecretReadings: search returns the secret masked (2023 capture) or in
// clear (2021 docs, old firmware). A number taken before the add is adopted
// when the user matches; the secret is compared only when it is readable.
func TestSecretReadings(t *testing.T) {
	for _, tt := range []struct {
		name       string
		reveal     bool
		stored     string
		wantAdopt  bool
		wantInDiff string
	}{
		{"masked, same secret", false, "s", true, ""},
		{"masked, other secret: cannot tell, adopted (the update sends it)", false, "other", true, ""},
		{"clear, same secret", true, "s", true, ""},
		{"clear, other secret", true, "other", false, "secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePBX(t, func(p *fakePBX) { p.reveal = tt.reveal }, withUsers(sampleUser("A", "501", tt.stored)))
			c := newClient(t, fastConfig(f.srv.URL))
			users, err := c.SearchUsers(testCtx(t), pbxapi.SearchQuery{Number: "501"})
			if err != nil || len(users) != 1 {
				t.Fatalf("search: %v %v", users, err)
			}
			if wantSecret := map[bool]string{false: pbxapi.SecretMask, true: tt.stored}[tt.reveal]; users[0].Secret != wantSecret {
				t.Errorf("searched secret %q, want %q", users[0].Secret, wantSecret)
			}
			res, err := c.AddUser(testCtx(t), sampleUser("A", "501", "s"))
			switch {
			case tt.wantAdopt && (err != nil || !res.Adopted):
				t.Errorf("AddUser = %+v, %v; want adopted", res, err)
			case !tt.wantAdopt && (err == nil || !strings.Contains(err.Error(), tt.wantInDiff) || !errors.Is(err, pbxapi.ErrNumberExists)):
				t.Errorf("AddUser error %v, want number exists, differing in %s", err, tt.wantInDiff)
			}
		})
	}
}
