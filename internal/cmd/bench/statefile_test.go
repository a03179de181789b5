package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

// testInstance and testState decode a state file for the tests.
type testInstance struct {
	IndexKey              string         `json:"index_key"`
	SchemaVersion         int            `json:"schema_version"`
	Attributes            map[string]any `json:"attributes"`
	SensitiveAttributes   []any          `json:"sensitive_attributes"`
	Private               string         `json:"private"`
	Identity              map[string]any `json:"identity"`
	IdentitySchemaVersion *int           `json:"identity_schema_version"`
}

type testState struct {
	Version          int    `json:"version"`
	TerraformVersion string `json:"terraform_version"`
	Resources        []struct {
		Mode, Type, Name, Provider string
		Instances                  []testInstance
	} `json:"resources"`
}

// readState decodes a state file, its instances by index key.
func readState(t *testing.T, data []byte) (testState, map[string]testInstance) {
	t.Helper()
	var s testState
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]testInstance{}
	for _, r := range s.Resources {
		if r.Mode != "managed" || r.Type != userResourceType || r.Name != "user" || r.Provider != stateProvider {
			t.Fatalf("unexpected resource %v %v.%v (%v)", r.Mode, r.Type, r.Name, r.Provider)
		}
		for _, i := range r.Instances {
			byKey[i.IndexKey] = i
		}
	}
	return s, byKey
}

// sensitivePaths is sensitive_attributes as a sorted list (Terraform writes it in any order).
func sensitivePaths(paths []any) []string {
	var out []string
	for _, p := range paths {
		b, _ := json.Marshal(p)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// decodePrivate opens the framework's private state: a JSON object of base64 JSON values.
func decodePrivate(t *testing.T, v string) map[string]any {
	t.Helper()
	if v == "" {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string][]byte
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for k, b := range keys {
		var x any
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatal(err)
		}
		out[k] = x
	}
	return out
}

func asString(v any) string { s, _ := v.(string); return s }

// TestUserStateMatchesApply writes the state of the 4 users of the bench's configuration
// and compares it with the state Terraform 1.11.4 left after `terraform apply` of the same
// configuration against the mock (testdata/applied-4-users-state.json, from `make bench
// BENCHFLAGS='-n 4 -keep'`), and for the bare floor (applied-4-users-bare-state.json): the same
// attributes, values, sensitive paths and private state. The _ids, the directory series and
// the timestamps are taken from the applied state (the mock chose them); the watermark is the
// directory's highest timestamp, 4 after seeding 4 entries.
func TestUserStateMatchesApply(t *testing.T) {
	ctx := context.Background()
	schemas, err := loadUserSchemas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file  string
		floor bool
	}{
		{"testdata/applied-4-users-state.json", false},
		{"testdata/applied-4-users-bare-state.json", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			applied, want := readState(t, data)
			var users []siteUser
			series := ""
			for i := range 4 {
				u := siteUserFor(i)
				a := want[u.key].Attributes
				u.id = asString(a["id"])
				if ts, ok := a["directory_timestamp"].(float64); ok && u.dirUUID != "" {
					u.dirTimestamp = int64(ts)
					series = asString(a["directory_series"])
				}
				users = append(users, u)
			}
			out, err := userState(ctx, schemas, users, stateOptions{terraformVersion: "1.11.4", floor: tc.floor, series: series, watermark: 4})
			if err != nil {
				t.Fatal(err)
			}
			written, got := readState(t, out)
			if written.Version != applied.Version || written.TerraformVersion != applied.TerraformVersion {
				t.Errorf("version %v, terraform_version %v; want %v, %v", written.Version, written.TerraformVersion, applied.Version, applied.TerraformVersion)
			}
			if len(got) != len(want) {
				t.Fatalf("%d instances, want %d", len(got), len(want))
			}
			for key, w := range want {
				g, ok := got[key]
				if !ok {
					t.Fatalf("no instance %s", key)
				}
				if !reflect.DeepEqual(g.Attributes, w.Attributes) {
					for name, wv := range w.Attributes {
						if gv := g.Attributes[name]; !reflect.DeepEqual(gv, wv) {
							t.Errorf("%s.%s = %#v, want %#v", key, name, gv, wv)
						}
					}
					t.Errorf("%s: attributes differ:\n got %v\nwant %v", key, g.Attributes, w.Attributes)
				}
				if gs, ws := sensitivePaths(g.SensitiveAttributes), sensitivePaths(w.SensitiveAttributes); !slices.Equal(gs, ws) {
					t.Errorf("%s: sensitive_attributes %v, want %v", key, gs, ws)
				}
				if gp, wp := decodePrivate(t, g.Private), decodePrivate(t, w.Private); !reflect.DeepEqual(gp, wp) {
					t.Errorf("%s: private %v, want %v", key, gp, wp)
				}
				if g.SchemaVersion != w.SchemaVersion || g.Identity != nil {
					t.Errorf("%s: schema_version %v (want %v), identity %v (Terraform 1.11 stores none)", key, g.SchemaVersion, w.SchemaVersion, g.Identity)
				}
			}
		})
	}
}

// TestUserStateIdentity: for Terraform 1.12 and later each provider instance carries its
// identity (the _id), the floor's none (its resources have no identity schema).
func TestUserStateIdentity(t *testing.T) {
	ctx := context.Background()
	schemas, err := loadUserSchemas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if schemas.identity == nil {
		t.Fatal("pbx_user has no identity schema")
	}
	users := []siteUser{siteUserFor(0), siteUserFor(1)}
	for _, floor := range []bool{false, true} {
		out, err := userState(ctx, schemas, users, stateOptions{terraformVersion: "1.14.8", identity: true, floor: floor, series: "1", watermark: 2})
		if err != nil {
			t.Fatal(err)
		}
		_, got := readState(t, out)
		for _, u := range users {
			i := got[u.key]
			want := map[string]any{"id": u.id}
			if floor {
				want = nil
			}
			if !reflect.DeepEqual(i.Identity, want) || (want != nil && (i.IdentitySchemaVersion == nil || *i.IdentitySchemaVersion != 0)) {
				t.Errorf("floor %v, %s: identity %v (version %v), want %v", floor, u.key, i.Identity, i.IdentitySchemaVersion, want)
			}
		}
	}
}
