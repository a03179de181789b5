package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// seedUser is the user of the seed page's users/update example.
var seedUser = pbxapi.User{
	ID: "603f4ea7fcff3269187a3da3", UserType: "SIP", Active: "yes", Name: "Test User2", Number: "909", CIDNumber: "909",
	Secret: "909", CallRecord: "no", PushNotification: "no", Deny: "0.0.0.0/0.0.0.0", Permit: "0.0.0.0/0.0.0.0",
	DTMFMode: "rfc2833", CanReinvite: "no", DirectMedia: "no", Context: "main_routing", Host: "dynamic", Type: "user",
	NAT: "no", Port: "5060", Qualify: "no", CallGroup: "1", PickupGroup: "1", CallCounter: "no", FaxDetect: "no",
	CallLimit: "", Trunk: "no", Transfer: "no", Email: "",
	ForwardPolicy: pbxapi.ForwardPolicy{Busy: "571", NoAnswer: "09158315762", UnAvailable: "570", All: "2121"},
}

func TestUserModelRoundTrip(t *testing.T) {
	ctx := context.Background()
	variants := map[string]func(u *pbxapi.User){
		"seed":       func(*pbxapi.User) {},
		"call limit": func(u *pbxapi.User) { u.CallLimit = "3" },
		"iax2":       func(u *pbxapi.User) { u.UserType, u.Trunk, u.Transfer = "IAX2", "yes", "yes" },
		"all yes": func(u *pbxapi.User) {
			u.Active, u.CallRecord, u.PushNotification, u.CanReinvite, u.DirectMedia = "yes", "yes", "yes", "yes", "yes"
			u.Qualify, u.CallCounter, u.FaxDetect = "yes", "yes", "yes"
		},
	}
	for name, mutate := range variants {
		t.Run(name, func(t *testing.T) {
			want := seedUser
			mutate(&want)
			var m userResourceModel
			if diags := m.fromAPI(&want); diags.HasError() {
				t.Fatal(diags)
			}
			m.Secret = types.StringValue(want.Secret)
			got, diags := m.toAPI(ctx)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if got != want {
				t.Fatalf("round trip changed the user:\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

func TestUserModelKeepsAbsentIAX2FieldsAndSecret(t *testing.T) {
	rec := seedUser
	rec.Secret, rec.Trunk, rec.Transfer = pbxapi.SecretMask, "", ""
	m := userResourceModel{Secret: types.StringValue("kept"), Trunk: types.BoolValue(true), Transfer: types.BoolNull()}
	if diags := m.fromAPI(&rec); diags.HasError() {
		t.Fatal(diags)
	}
	if m.Secret.ValueString() != "kept" {
		t.Errorf("secret = %q, want the configured one kept", m.Secret.ValueString())
	}
	if !m.Trunk.ValueBool() || m.Transfer.IsNull() || m.Transfer.ValueBool() {
		t.Errorf("trunk/transfer = %v/%v, want prior true and default false", m.Trunk, m.Transfer)
	}
}

func TestUserModelRejectsUnknownDeviceValues(t *testing.T) {
	for field, mutate := range map[string]func(u *pbxapi.User){
		"active":     func(u *pbxapi.User) { u.Active = "maybe" },
		"port":       func(u *pbxapi.User) { u.Port = "50x" },
		"call_limit": func(u *pbxapi.User) { u.CallLimit = "many" },
	} {
		rec := seedUser
		mutate(&rec)
		var m userResourceModel
		if diags := m.fromAPI(&rec); !diags.HasError() {
			t.Errorf("%s: a value the schema cannot hold was accepted", field)
		}
	}
}

// TestUserModelRaw: fromRaw and toRaw decode and encode every attribute
// exactly as the framework's State.Get and State.Set do (null, unknown and
// known values alike), so fields() (read from the tfsdk tags) cannot drift from what the framework does.
func TestUserModelRaw(t *testing.T) {
	ctx := context.Background()
	schema := userResourceSchema(ctx)
	full := userResourceModel{}
	if d := full.fromAPI(&pbxapi.User{
		ID: "603b41443e14270c550bf15a", Number: "301", Name: "Alice", UserType: "SIP", Active: "yes", CIDNumber: "12",
		CallRecord: "no", Deny: "0.0.0.0/0.0.0.0", Permit: "0.0.0.0/0.0.0.0", DTMFMode: "rfc2833", Context: "main_routing",
		Host: "dynamic", Type: "user", NAT: "no", Port: "5060", CallGroup: "1", PickupGroup: "1", CallLimit: "3",
		Email: "a@example.com", ForwardPolicy: pbxapi.ForwardPolicy{Busy: "1"}, MoreOptions: "a=b",
	}); d.HasError() {
		t.Fatal(d)
	}
	full.Secret = types.StringValue("s3cret")
	full.SecretWOVersion = types.Int64Value(2)
	full.DirectoryUUID = types.StringValue(aliceUUID)
	full.DirectoryTimestamp = types.Int64Value(1700000000)
	full.DirectorySeries = types.StringValue("123")
	unknown := full
	unknown.ID, unknown.Name, unknown.DirectoryTimestamp = types.StringUnknown(), types.StringUnknown(), types.Int64Unknown()
	unknown.ForwardPolicy = types.ObjectUnknown(forwardPolicyAttrTypes)
	cases := []struct {
		name  string
		model userResourceModel
	}{
		{"empty (all null)", userResourceModel{ForwardPolicy: types.ObjectNull(forwardPolicyAttrTypes)}},
		{"every attribute set", full},
		{"unknown values", unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := tfsdk.State{Schema: schema}
			if d := want.Set(ctx, &c.model); d.HasError() {
				t.Fatal(d)
			}
			m := c.model
			got, d := m.toRaw(ctx, schema.Type().TerraformType(ctx))
			if d.HasError() {
				t.Fatal(d)
			}
			if !got.Equal(want.Raw) {
				t.Errorf("toRaw:\n%s\nState.Set:\n%s", got, want.Raw)
			}
			var back, viaGet userResourceModel
			if d := back.fromRaw(ctx, want.Raw); d.HasError() {
				t.Fatal(d)
			}
			if d := want.Get(ctx, &viaGet); d.HasError() {
				t.Fatal(d)
			}
			if !reflect.DeepEqual(back, viaGet) {
				t.Errorf("fromRaw: %+v\nState.Get: %+v", back, viaGet)
			}
		})
	}
}
