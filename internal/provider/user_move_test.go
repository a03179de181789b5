package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestMoveStateFromRestapi: the pbx_user state built from a restapi_object
// state, and the errors of one that is not a PBX user. (The move through
// Terraform is internal/e2e's TestMoveStateFromRestapiObject.)
func TestMoveStateFromRestapi(t *testing.T) {
	const id = "64b558207af75f2cf3788801"
	tests := []struct {
		name     string
		source   string
		provider string
		wantErr  []string
		check    func(t *testing.T, m *userResourceModel)
	}{
		{
			name:   "data as configured, id from id_attribute",
			source: `{"id":"` + id + `","path":"/api/v4/pbx/users","data":"{\"number\":\"201\",\"name\":\"Alice\",\"secret\":\"s3cret\",\"nat\":\"yes\",\"call_record\":\"yes\"}"}`,
			check: func(t *testing.T, m *userResourceModel) {
				if m.ID.ValueString() != id || m.Number.ValueString() != "201" || m.Secret.ValueString() != "s3cret" ||
					m.NAT.ValueString() != "yes" || !m.CallRecord.ValueBool() {
					t.Errorf("state %+v", m)
				}
				// Fields data leaves out get the PBX's defaults.
				if m.Port.ValueInt64() != 5060 || m.Context.ValueString() != "main_routing" || !m.Active.ValueBool() || !m.CallLimit.IsNull() {
					t.Errorf("defaults: port %v context %v active %v call_limit %v", m.Port, m.Context, m.Active, m.CallLimit)
				}
			},
		},
		{
			name:   "data read back: masked secret, _id in api_data",
			source: `{"id":"201","path":"/api/v4/pbx/users","api_data":{"_id":"` + strings.ToUpper(id) + `"},"data":"{\"number\":201,\"name\":\"Bob\",\"secret\":\"******\",\"port\":\"4569\",\"user_type\":\"IAX2\",\"trunk\":\"yes\"}"}`,
			check: func(t *testing.T, m *userResourceModel) {
				if m.ID.ValueString() != id || m.Number.ValueString() != "201" || !m.Secret.IsNull() || m.Port.ValueInt64() != 4569 || !m.Trunk.ValueBool() {
					t.Errorf("state %+v", m)
				}
			},
		},
		{
			name:   "_id only in data",
			source: `{"id":"x","data":"{\"_id\":\"` + id + `\",\"number\":\"1\",\"name\":\"C\"}"}`,
			check: func(t *testing.T, m *userResourceModel) {
				if m.ID.ValueString() != id {
					t.Errorf("id %v", m.ID)
				}
			},
		},
		{name: "not a user", source: `{"id":"q1","path":"/api/v4/pbx/queues","data":"{\"queue\":\"x\"}"}`,
			wantErr: []string{"Unable to move restapi_object (path /api/v4/pbx/queues, id q1) to pbx_user: not a PBX user", `its data has no "number"`}},
		{name: "data not an object", source: `{"id":"` + id + `","data":"[1,2]"}`, wantErr: []string{"(id " + id + ")", "not a JSON object"}},
		{name: "no data", source: `{"id":"` + id + `","data":null}`, wantErr: []string{"it has no data"}},
		{name: "number not digits", source: `{"id":"` + id + `","data":"{\"number\":\"ext-1\",\"name\":\"A\"}"}`, wantErr: []string{`number "ext-1"`}},
		{name: "no _id", source: `{"id":"201","data":"{\"number\":\"201\",\"name\":\"A\"}"}`, wantErr: []string{"hold a PBX _id"}},
		{name: "bad port", source: `{"id":"` + id + `","data":"{\"number\":\"201\",\"name\":\"A\",\"port\":\"x\"}"}`, wantErr: []string{`port = "x"`}},
		{name: "another provider's object is not taken", provider: "registry.terraform.io/example/restapi",
			source: `{"id":"` + id + `","data":"{\"number\":\"201\",\"name\":\"A\"}"}`},
	}
	ctx := context.Background()
	r := &userResource{}
	schema := userResourceSchema(ctx)
	var ir resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			provider := tt.provider
			if provider == "" {
				provider = "registry.terraform.io/Mastercard/restapi"
			}
			req := resource.MoveStateRequest{
				SourceProviderAddress: provider, SourceTypeName: "restapi_object",
				SourceRawState: &tfprotov6.RawState{JSON: []byte(tt.source)},
			}
			resp := resource.MoveStateResponse{
				TargetState:    tfsdk.State{Schema: schema, Raw: tftypes.NewValue(schema.Type().TerraformType(ctx), nil)},
				TargetIdentity: &tfsdk.ResourceIdentity{Schema: ir.IdentitySchema, Raw: tftypes.NewValue(ir.IdentitySchema.Type().TerraformType(ctx), nil)},
			}
			for _, mover := range r.MoveState(ctx) {
				mover.StateMover(ctx, req, &resp)
			}
			var msgs []string
			for _, d := range resp.Diagnostics {
				msgs = append(msgs, d.Summary()+": "+d.Detail())
			}
			all := strings.Join(msgs, "\n")
			if tt.wantErr != nil {
				for _, want := range tt.wantErr {
					if !strings.Contains(all, want) {
						t.Errorf("diagnostics lack %q:\n%s", want, all)
					}
				}
				return
			}
			if resp.Diagnostics.HasError() {
				t.Fatal(all)
			}
			if tt.check == nil {
				if !resp.TargetState.Raw.IsNull() {
					t.Errorf("moved a state it should leave alone")
				}
				return
			}
			var m userResourceModel
			if diags := resp.TargetState.Get(ctx, &m); diags.HasError() {
				t.Fatal(diags)
			}
			var identity userIdentityModel
			if diags := resp.TargetIdentity.Get(ctx, &identity); diags.HasError() || !identity.ID.Equal(m.ID) {
				t.Errorf("identity %v, want %v", identity.ID, m.ID)
			}
			tt.check(t, &m)
		})
	}
}
