package provider

import (
	"context"
	"testing"

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
