package provider

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// defaultUser is a user the PBX holds with every default.
var defaultUser = pbxapi.User{
	ID: "603f4ea7fcff3269187a3da3", UserType: "SIP", Active: "yes", Name: "Carol", Number: "1001", Secret: pbxapi.SecretMask,
	CallRecord: "no", PushNotification: "no", Deny: "0.0.0.0/0.0.0.0", Permit: "0.0.0.0/0.0.0.0", DTMFMode: "rfc2833",
	CanReinvite: "no", DirectMedia: "no", Context: "main_routing", Host: "dynamic", Type: "user", NAT: "no", Port: "5060",
	Qualify: "no", CallGroup: "1", PickupGroup: "1", CallCounter: "no", FaxDetect: "no", Trunk: "no", Transfer: "no",
}

// userStateValue is the state a refresh of u stores (secret, when given, as
// if configured), with the resource's schema.
func userStateValue(t *testing.T, u pbxapi.User, secret string) (rschema.Schema, tftypes.Value) {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	NewUserResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	var m userResourceModel
	if diags := m.fromAPI(&u); diags.HasError() {
		t.Fatal(diags)
	}
	if secret != "" {
		m.Secret = types.StringValue(secret)
	}
	state := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
	if diags := state.Set(ctx, &m); diags.HasError() {
		t.Fatal(diags)
	}
	return sr.Schema, state.Raw
}

// writtenArguments lists the top-level arguments a generated configuration
// sets (non-null), with the nested ones of an object as "object.name".
func writtenArguments(t *testing.T, config tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	out := map[string]tftypes.Value{}
	var attrs map[string]tftypes.Value
	if err := config.As(&attrs); err != nil {
		t.Fatal(err)
	}
	for name, v := range attrs {
		if v.IsNull() {
			continue
		}
		if v.Type().Is(tftypes.Object{}) {
			var nested map[string]tftypes.Value
			if err := v.As(&nested); err != nil {
				t.Fatal(err)
			}
			for n, nv := range nested {
				if !nv.IsNull() {
					out[name+"."+n] = nv
				}
			}
			continue
		}
		out[name] = v
	}
	return out
}

func TestConfigFromState(t *testing.T) {
	cases := map[string]struct {
		user   func(u *pbxapi.User)
		secret string
		want   map[string]tftypes.Value
	}{
		"every default: only what has no default": {
			user: func(*pbxapi.User) {},
			want: map[string]tftypes.Value{
				"number": tftypes.NewValue(tftypes.String, "1001"),
				"name":   tftypes.NewValue(tftypes.String, "Carol"),
			},
		},
		"a configured secret is never written": {
			user:   func(*pbxapi.User) {},
			secret: "carol-sip-secret",
			want: map[string]tftypes.Value{
				"number": tftypes.NewValue(tftypes.String, "1001"),
				"name":   tftypes.NewValue(tftypes.String, "Carol"),
			},
		},
		"values away from the defaults are written, empty ones included": {
			user: func(u *pbxapi.User) {
				u.Active, u.Type, u.NAT, u.Qualify, u.CIDNumber = "no", "friend", "force_rport,comedia", "yes", "2100"
				u.CallGroup, u.PickupGroup, u.Port, u.CallLimit, u.Email = "", "2,4-6", "5080", "4", "carol@example.com"
				u.UserType, u.Trunk = "IAX2", "yes"
				u.ForwardPolicy.Busy = "571"
			},
			want: map[string]tftypes.Value{
				"number":              tftypes.NewValue(tftypes.String, "1001"),
				"name":                tftypes.NewValue(tftypes.String, "Carol"),
				"active":              tftypes.NewValue(tftypes.Bool, false),
				"type":                tftypes.NewValue(tftypes.String, "friend"),
				"nat":                 tftypes.NewValue(tftypes.String, "force_rport,comedia"),
				"qualify":             tftypes.NewValue(tftypes.Bool, true),
				"cid_number":          tftypes.NewValue(tftypes.String, "2100"),
				"callgroup":           tftypes.NewValue(tftypes.String, ""),
				"pickupgroup":         tftypes.NewValue(tftypes.String, "2,4-6"),
				"port":                tftypes.NewValue(tftypes.Number, 5080),
				"call_limit":          tftypes.NewValue(tftypes.Number, 4),
				"email":               tftypes.NewValue(tftypes.String, "carol@example.com"),
				"user_type":           tftypes.NewValue(tftypes.String, "IAX2"),
				"trunk":               tftypes.NewValue(tftypes.Bool, true),
				"forward_policy.busy": tftypes.NewValue(tftypes.String, "571"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			u := defaultUser
			tc.user(&u)
			schema, state := userStateValue(t, u, tc.secret)
			config, diags := configFromState(ctx, schema, state)
			if diags.HasError() {
				t.Fatal(diags)
			}
			got := writtenArguments(t, config)
			if !maps.EqualFunc(got, tc.want, tftypes.Value.Equal) {
				t.Errorf("generated configuration sets %v,\nwant %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tc.want)))
				for k, w := range tc.want {
					if g, ok := got[k]; ok && !g.Equal(w) {
						t.Errorf("%s = %s, want %s", k, g, w)
					}
				}
			}
			// The configuration plans the state again: every argument left
			// out takes back the state's value from its default.
			assertConfigPlansState(t, schema, config, state)
		})
	}
}

// assertConfigPlansState checks that config, with what it leaves out taken
// from the schema's defaults (and email's computed ""), gives state back,
// secret and read-only attributes aside.
func assertConfigPlansState(t *testing.T, schema rschema.Schema, config, state tftypes.Value) {
	t.Helper()
	ctx := context.Background()
	var cfg, st map[string]tftypes.Value
	if err := config.As(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := state.As(&st); err != nil {
		t.Fatal(err)
	}
	planned := func(at path.Path, a rschema.Attribute, v tftypes.Value) tftypes.Value {
		if !v.IsNull() {
			return v
		}
		def, diags := defaultValue(ctx, at, a)
		switch {
		case diags.HasError():
			t.Fatal(diags)
		case def != nil:
			return *def
		case at.Equal(path.Root("email")):
			return tftypes.NewValue(tftypes.String, "")
		}
		return v
	}
	for name, a := range schema.Attributes {
		if a.IsSensitive() || (a.IsComputed() && !a.IsOptional()) {
			continue
		}
		got := planned(path.Root(name), a, cfg[name])
		if nested, ok := a.(rschema.SingleNestedAttribute); ok && !cfg[name].IsNull() {
			var fields map[string]tftypes.Value
			if err := cfg[name].As(&fields); err != nil {
				t.Fatal(err)
			}
			for k, v := range fields {
				fields[k] = planned(path.Root(name).AtName(k), nested.Attributes[k], v)
			}
			got = tftypes.NewValue(cfg[name].Type(), fields)
		}
		if !got.Equal(st[name]) {
			t.Errorf("%s: the generated configuration plans %s, the state holds %s", name, got, st[name])
		}
	}
}
