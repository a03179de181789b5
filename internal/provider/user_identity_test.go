package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var objectIDRegexp = regexp.MustCompile(`^[0-9a-f]{24}$`)

// expectPlannedIdentity checks the identity an import block plans for addr.
type expectPlannedIdentity struct {
	addr string
	id   func() string
}

func (c expectPlannedIdentity) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		identity, _ := rc.Change.AfterIdentity.(map[string]any)
		if want := c.id(); identity["id"] != want {
			resp.Error = fmt.Errorf("%s: planned identity %v, want id %s", c.addr, rc.Change.AfterIdentity, want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.addr)
}

const identityAddr = "pbx_user.adopted"

func identityUserConfig(p *testPBX, number string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "adopted" {
  number = %q
  name   = "Identity User"
  secret = "s3cret-540"
}
`, number)
}

func importBlockConfig(p *testPBX, importArg string) string {
	return identityUserConfig(p, "540") + fmt.Sprintf(`
import {
  to = pbx_user.adopted
  %s
}
`, importArg)
}

// TestAccUserResource_identity: the identity {id} is the PBX _id, set by
// create, kept by update and refresh, and import works from an import block
// with identity as well as with an ID string (_id or number:NNN).
func TestAccUserResource_identity(t *testing.T) {
	p := newTestPBX(t)
	id := func() string { return p.mustUserID(t, "540") }
	identityIsID := []statecheck.StateCheck{
		statecheck.ExpectIdentity(identityAddr, map[string]knownvalue.Check{"id": knownvalue.StringRegexp(objectIDRegexp)}),
		statecheck.ExpectIdentityValueMatchesState(identityAddr, tfjsonpath.New("id")),
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   needsTerraform112,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config:            identityUserConfig(p, "540"),
				ConfigStateChecks: identityIsID,
			},
			// An import block with identity = { id = ... }; as after any
			// import, the plan only writes the configured secret.
			{
				ResourceName:       identityAddr,
				ImportState:        true,
				ImportStateKind:    tfresource.ImportBlockWithResourceIdentity,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: tfresource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{onlyChanges(identityAddr, "secret")},
				},
			},
			// Import blocks with an ID string plan the same identity.
			{
				ResourceName:       identityAddr,
				ImportState:        true,
				ImportStateKind:    tfresource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: tfresource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{onlyChanges(identityAddr, "secret"), expectPlannedIdentity{identityAddr, id}},
				},
			},
			{
				ResourceName:       identityAddr,
				ImportState:        true,
				ImportStateKind:    tfresource.ImportBlockWithID,
				ImportStateId:      "number:540",
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: tfresource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{onlyChanges(identityAddr, "secret"), expectPlannedIdentity{identityAddr, id}},
				},
			},
			// A number change keeps the identity.
			{
				Config: identityUserConfig(p, "541"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(identityAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: append(identityIsID, statecheck.ExpectIdentityValue(identityAddr, tfjsonpath.New("id"),
					knownvalue.StringFunc(func(v string) error {
						if got := p.mustUserID(t, "541"); v != got {
							return fmt.Errorf("identity id %s, the PBX user 541 is %s", v, got)
						}
						return nil
					}))),
			},
		},
	})
}

// TestAccUserResource_importBlockIdentityErrors: an identity that is not an
// _id, or the _id of no user, fails the plan with a message that says why.
func TestAccUserResource_importBlockIdentityErrors(t *testing.T) {
	p := newTestPBX(t)
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   needsTerraform112,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config:      importBlockConfig(p, `identity = { id = "number:540" }`),
				ExpectError: errorLike(`identity.id "number:540" is not a PBX user _id`, `use id = "number:NNN"`),
			},
			{
				Config:      importBlockConfig(p, `identity = { id = "0123456789abcdef01234567" }`),
				ExpectError: regexp.MustCompile(`Cannot import non-existent remote object`),
			},
			{
				Config:      importBlockConfig(p, `identity = {}`),
				ExpectError: errorLike(`attribute "id" is required`),
			},
		},
	})
}

// TestUserResourceReadSetsIdentity: a state written before the resource had
// an identity (no identity yet) gets one on refresh, also when the user is
// gone and the refresh removes it (the framework rejects a Read that leaves
// the identity empty).
func TestUserResourceReadSetsIdentity(t *testing.T) {
	const goneID = "0123456789abcdef01234567"
	p := newTestPBX(t, func(c *mockpbx.Config) {
		c.Users = []map[string]any{{"name": "Alice", "number": "201", "secret": "alice-unknown"}}
	})
	client, err := pbxapi.New(pbxapi.Config{Endpoint: p.URL, Username: testUsername, Password: testPassword, APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &userResource{client: client}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	var ir resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)

	for name, id := range map[string]string{"present": p.mustUserID(t, "201"), "gone": goneID} {
		t.Run(name, func(t *testing.T) {
			_, raw := userStateValue(t, pbxapi.User{
				ID: id, Number: "201", Name: "Alice", UserType: "SIP", Port: "5060",
			}, "alice-configured")
			state := tfsdk.State{Schema: sr.Schema, Raw: raw}
			resp := resource.ReadResponse{
				State:    state,
				Identity: &tfsdk.ResourceIdentity{Schema: ir.IdentitySchema, Raw: tftypes.NewValue(ir.IdentitySchema.Type().TerraformType(ctx), nil)},
			}
			r.Read(ctx, resource.ReadRequest{State: state, Identity: resp.Identity}, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			var identity userIdentityModel
			if diags := resp.Identity.Get(ctx, &identity); diags.HasError() {
				t.Fatal(diags)
			}
			if !identity.ID.Equal(types.StringValue(id)) {
				t.Fatalf("identity after Read: %s, want id %s", identity.ID, id)
			}
		})
	}
}
