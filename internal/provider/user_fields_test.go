package provider

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// A pbx_user field is written in several places: pbxapi.User (and its decoding table), the
// resource model and schema, toAPI/fromAPI, pbxValues (what decides whether an update writes),
// and the mock's own table (kept apart by design). The tests below tie them together: a field
// added to the client's User and forgotten in any other place fails one of them, naming the place.

// userWireKeys returns the JSON keys pbxapi.User sends, _id aside.
func userWireKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	typ := reflect.TypeOf(pbxapi.User{})
	for i := 0; i < typ.NumField(); i++ {
		key := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		if key == "" || key == "-" || key == "_id" {
			continue
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// modelField returns the userResourceModel field whose tfsdk tag is name.
func modelField(m *userResourceModel, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("tfsdk") == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func TestUserFieldsAgreeAcrossClientModelSchemaAndMock(t *testing.T) {
	keys := userWireKeys(t)

	var sresp resource.SchemaResponse
	(&userResource{}).Schema(context.Background(), resource.SchemaRequest{}, &sresp)
	var m userResourceModel
	var sent []string
	for _, v := range m.pbxValues() {
		sent = append(sent, v.name)
	}
	for _, key := range keys {
		if _, ok := sresp.Schema.Attributes[key]; !ok {
			t.Errorf("pbxapi.User sends %q, but the pbx_user schema has no attribute %q (user_resource_schema.go Schema)", key, key)
		}
		if _, ok := modelField(&m, key); !ok {
			t.Errorf("pbxapi.User sends %q, but userResourceModel has no field tagged tfsdk:%q (user_model.go)", key, key)
		}
		if key != "secret" && !slices.Contains(sent, key) {
			t.Errorf("pbxapi.User sends %q, but pbxValues does not list it (user_secret.go): an update changing only %q would not be written", key, key)
		}
	}
	for _, name := range sent {
		if !slices.Contains(keys, name) {
			t.Errorf("pbxValues lists %q, which pbxapi.User does not send", name)
		}
	}

	// Attributes of the resource's own, never sent as a PBX field.
	own := []string{"id", "secret_wo", "secret_wo_version", "directory_uuid", "directory_timestamp", "directory_series"}
	for name := range sresp.Schema.Attributes {
		if !slices.Contains(keys, name) && !slices.Contains(own, name) {
			t.Errorf("the pbx_user schema has %q, which pbxapi.User does not send (users.go); if it is the resource's own, list it in this test", name)
		}
	}

	mock := mockpbx.UserFieldNames()
	sort.Strings(mock)
	if !slices.Equal(mock, keys) {
		t.Errorf("the mock's user fields (mockpbx userFields) differ from pbxapi.User's:\n mock:   %v\n client: %v", mock, keys)
	}
}

// distinctUser returns a user whose every field holds a value different from the schema
// defaults, so that a field dropped on the way through fromAPI and toAPI shows.
func distinctUser(t *testing.T) pbxapi.User {
	t.Helper()
	var m userResourceModel
	u := pbxapi.User{ID: "0123456789abcdef01234567"}
	uv := reflect.ValueOf(&u).Elem()
	for i := 0; i < uv.NumField(); i++ {
		f := uv.Type().Field(i)
		key := strings.Split(f.Tag.Get("json"), ",")[0]
		if key == "" || key == "-" || key == "_id" || f.Type.Kind() != reflect.String {
			continue
		}
		mf, ok := modelField(&m, key)
		if !ok {
			continue // reported by TestUserFieldsAgreeAcrossClientModelSchemaAndMock
		}
		switch mf.Interface().(type) {
		case types.Bool:
			uv.Field(i).SetString("yes")
		case types.Int64:
			uv.Field(i).SetString("7")
		default:
			uv.Field(i).SetString("v-" + key)
		}
	}
	u.ForwardPolicy = pbxapi.ForwardPolicy{Busy: "1", NoAnswer: "2", UnAvailable: "3", All: "4"}
	return u
}

// TestUserFieldsRoundTrip passes a user through fromAPI and toAPI: a field either conversion
// forgets comes back different.
func TestUserFieldsRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := distinctUser(t)
	var m userResourceModel
	m.ForwardPolicy = types.ObjectNull(forwardPolicyAttrTypes)
	m.Secret = types.StringValue(want.Secret)
	if diags := m.fromAPI(&want); diags.HasError() {
		t.Fatalf("fromAPI: %v", diags)
	}
	got, diags := m.toAPI(ctx)
	if diags.HasError() {
		t.Fatalf("toAPI: %v", diags)
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < wv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("pbxapi.User.%s: sent %q after reading %q; fromAPI or toAPI (user_model.go) drops it",
				wv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

// TestEveryUserFieldTriggersAWrite changes one attribute at a time and checks that the update
// sees it (changedFields, through pbxValues), so the apply writes the PBX.
func TestEveryUserFieldTriggersAWrite(t *testing.T) {
	u := distinctUser(t)
	var state userResourceModel
	state.ForwardPolicy = types.ObjectNull(forwardPolicyAttrTypes)
	if diags := state.fromAPI(&u); diags.HasError() {
		t.Fatalf("fromAPI: %v", diags)
	}
	for _, key := range userWireKeys(t) {
		if key == "secret" {
			continue // sent on its own terms: sendsNewSecret
		}
		t.Run(key, func(t *testing.T) {
			plan := state
			f, ok := modelField(&plan, key)
			if !ok {
				t.Skip("reported by TestUserFieldsAgreeAcrossClientModelSchemaAndMock")
			}
			var changed attr.Value
			switch v := f.Interface().(type) {
			case types.Bool:
				changed = types.BoolValue(!v.ValueBool())
			case types.Int64:
				changed = types.Int64Value(v.ValueInt64() + 1)
			case types.String:
				changed = types.StringValue(v.ValueString() + "x")
			case types.Object:
				changed = types.ObjectValueMust(forwardPolicyAttrTypes, map[string]attr.Value{
					"busy": types.StringValue("9"), "no_answer": types.StringValue("2"),
					"unavailable": types.StringValue("3"), "all": types.StringValue("4"),
				})
			default:
				t.Fatalf("no way to change a %T; extend this test", v)
			}
			f.Set(reflect.ValueOf(changed))
			if got := changedFields(&plan, &state); !slices.Contains(got, key) {
				t.Errorf("changing %s alone gives changedFields %v: the update would not write it", key, got)
			}
		})
	}
}

// TestUserStringArgumentsAreValidated: every string argument of pbx_user (and
// of its forward_policy) reaches the PBX, so each has validators in
// userStringValidators (user_validate.go), whose ValidateConfig runs them: the
// control-character rule (noControl) or a format that excludes control
// characters. A new string field without them fails here, naming it.
func TestUserStringArgumentsAreValidated(t *testing.T) {
	var sresp resource.SchemaResponse
	(&userResource{}).Schema(context.Background(), resource.SchemaRequest{}, &sresp)
	checked := 0
	for name, a := range sresp.Schema.Attributes {
		keys := map[string]bool{}
		switch a := a.(type) {
		case rschema.StringAttribute:
			if a.IsOptional() || a.IsRequired() {
				keys[name] = true
			}
		case rschema.SingleNestedAttribute:
			for nested, na := range a.Attributes {
				if _, ok := na.(rschema.StringAttribute); ok {
					keys[name+"."+nested] = true
				}
			}
		}
		for key := range keys {
			checked++
			if len(userStringValidators[key]) == 0 {
				t.Errorf("pbx_user's string argument %s has no validators in userStringValidators (user_validate.go): "+
					"give it noControl() or a format that excludes control characters", key)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d string arguments found: the check itself is broken", checked)
	}
}
