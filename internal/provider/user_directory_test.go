package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

const (
	aliceUUID = "A11CE000-0000-4000-8000-000000000001"
	bobUUID   = "B0B00000-0000-4000-8000-000000000002"
)

func withPeople(c *mockpbx.Config) {
	c.Directory = []map[string]any{
		{"uuid": aliceUUID, "name": "Alice", "email": "alice@example.com"},
		{"uuid": bobUUID, "name": "Bob", "email": "bob@example.com"},
	}
}

// linkedConfig: 301 follows Alice, 302 is linked to Bob with name bobName
// ("" = follow), 303 is not linked; aliceName likewise for 301.
func linkedConfig(p *testPBX, aliceName, bobName string) string {
	name := func(n string) string {
		if n == "" {
			return ""
		}
		return fmt.Sprintf("name = %q", n)
	}
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "alice" {
  number         = "301"
  secret         = "a"
  directory_uuid = %q
  %s
}
resource "pbx_user" "bob" {
  number         = "302"
  secret         = "b"
  directory_uuid = %q
  %s
}
resource "pbx_user" "carol" {
  number = "303"
  name   = "Carol"
  secret = "c"
}
`, aliceUUID, name(aliceName), bobUUID, name(bobName))
}

// actions asserts the planned action of the linked users; the unlinked
// carol is never affected by directory changes.
func actions(alice, bob plancheck.ResourceActionType) []plancheck.PlanCheck {
	return []plancheck.PlanCheck{
		plancheck.ExpectResourceAction("pbx_user.alice", alice),
		plancheck.ExpectResourceAction("pbx_user.bob", bob),
		plancheck.ExpectResourceAction("pbx_user.carol", plancheck.ResourceActionNoop),
	}
}

// isSeries checks that a recorded series is the directory's current one.
func (p *testPBX) isSeries(v string) error {
	if want := p.mock.Series(); v != want {
		return fmt.Errorf("recorded series %s, the directory's is %s", v, want)
	}
	return nil
}

// requestCount reads the mock's count of one endpoint.
func (p *testPBX) requestCount(t *testing.T, endpoint string) int {
	t.Helper()
	return p.mock.RequestCounts()[endpoint]
}

func TestAccUserResource_directoryLinked(t *testing.T) {
	p := newTestPBX(t, withPeople)
	var updatesBefore int
	noOp, update := plancheck.ResourceActionNoop, plancheck.ResourceActionUpdate
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			// Linked users take name and email from their entries; explicit config wins.
			{
				Config: linkedConfig(p, "", "Robert"),
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkStored("301", map[string]any{"name": "Alice", "email": "alice@example.com"}),
					p.checkStored("302", map[string]any{"name": "Robert", "email": "bob@example.com"}),
					p.checkStored("303", map[string]any{"name": "Carol", "email": ""}),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("directory_timestamp"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("directory_series"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("pbx_user.carol", tfjsonpath.New("directory_timestamp"), knownvalue.Null()),
				},
			},
			// The directory is reset (new series) and restored: the timestamps
			// restart and happen to equal the recorded ones, so only the series
			// tells that they are not comparable. Every linked user resyncs at
			// refresh; nothing the PBX holds changed, so nothing is planned.
			{
				PreConfig: func() {
					p.mock.ResetDirectory(true)
				},
				Config: linkedConfig(p, "", "Robert"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: actions(noOp, noOp),
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					tfresource.TestCheckResourceAttrWith("pbx_user.alice", "directory_series", p.isSeries),
					tfresource.TestCheckResourceAttrWith("pbx_user.bob", "directory_series", p.isSeries),
				),
			},
			// The entry is renamed: exactly that user updates its name.
			{
				PreConfig: func() {
					must(t)(p.mock.PutDirectoryEntry(aliceUUID, map[string]any{"name": "Alice Smith"}))
				},
				Config: linkedConfig(p, "", "Robert"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: append(actions(update, noOp),
						plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("name"), knownvalue.StringExact("Alice Smith")),
						plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("email"), knownvalue.StringExact("alice@example.com"))),
				},
				Check: p.checkStored("301", map[string]any{"name": "Alice Smith"}),
			},
			// The entry is touched without a change: refresh records the new
			// timestamp, nothing is planned and the PBX gets no call.
			{
				PreConfig: func() {
					updatesBefore = p.requestCount(t, "users/update")
					must(t)(p.mock.TouchDirectoryEntry(bobUUID))
				},
				Config: linkedConfig(p, "", "Robert"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: actions(noOp, noOp),
				},
				Check: func(*terraform.State) error {
					if n := p.requestCount(t, "users/update"); n != updatesBefore {
						return fmt.Errorf("recording a new directory timestamp sent %d users/update calls, want none", n-updatesBefore)
					}
					return nil
				},
			},
			// Removing the explicit name makes the user follow the directory again.
			{
				Config: linkedConfig(p, "", ""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: append(actions(noOp, update),
						plancheck.ExpectKnownValue("pbx_user.bob", tfjsonpath.New("name"), knownvalue.StringExact("Bob"))),
				},
				Check: p.checkStored("302", map[string]any{"name": "Bob"}),
			},
			// An explicit name beats the directory, also when the entry is renamed.
			{
				Config: linkedConfig(p, "Front desk", ""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: actions(update, noOp),
				},
				Check: p.checkStored("301", map[string]any{"name": "Front desk", "email": "alice@example.com"}),
			},
			{
				PreConfig: func() {
					must(t)(p.mock.PutDirectoryEntry(aliceUUID, map[string]any{"name": "Alice Jones", "email": "alice.jones@example.com"}))
				},
				Config: linkedConfig(p, "Front desk", ""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: append(actions(update, noOp),
						plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("name"), knownvalue.StringExact("Front desk")),
						plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("email"), knownvalue.StringExact("alice.jones@example.com"))),
				},
				Check: p.checkStored("301", map[string]any{"name": "Front desk", "email": "alice.jones@example.com"}),
			},
			// A PBX-side edit of a linked user is still drift, restored by apply.
			{
				PreConfig: func() {
					p.editUser(t, "302", map[string]any{"name": "Edited"})
				},
				Config: linkedConfig(p, "Front desk", ""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: append(actions(noOp, update),
						plancheck.ExpectKnownValue("pbx_user.bob", tfjsonpath.New("name"), knownvalue.StringExact("Bob"))),
				},
				Check: p.checkStored("302", map[string]any{"name": "Bob"}),
			},
			// The entry is deleted: the plan fails, naming the user and the uuid.
			{
				PreConfig: func() {
					must(t)(p.mock.DeleteDirectoryEntry(bobUUID))
				},
				Config:      linkedConfig(p, "Front desk", ""),
				ExpectError: errorLike("Directory entry of PBX user number 302", "linked to directory entry "+bobUUID, "EDIR_UUID_DOES_NOT_EXIST", "remove directory_uuid and set name"),
			},
		},
	})
}

func TestAccUserResource_directoryValidation(t *testing.T) {
	p := newTestPBX(t, withPeople)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      p.providerConfig() + "resource \"pbx_user\" \"x\" {\n  number = \"1\"\n  secret = \"s\"\n}\n",
				PlanOnly:    true,
				ExpectError: errorLike("Missing name", "name is required unless directory_uuid"),
			},
			{
				Config:      p.providerConfig() + "resource \"pbx_user\" \"x\" {\n  number = \"1\"\n  secret = \"s\"\n  directory_uuid = \"not-a-uuid\"\n}\n",
				PlanOnly:    true,
				ExpectError: errorLike(`directory_uuid "not-a-uuid" is not a valid directory uuid`),
			},
		},
	})
}

// An email set in the panel on a user whose configuration has none (and no
// link) is drift: the plan resets it, also on the fast path that skips
// decoding unchanged users.
func TestAccUserResource_unsetEmailDrift(t *testing.T) {
	p := newTestPBX(t, withPeople)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: linkedConfig(p, "", "")},
			{
				PreConfig: func() {
					p.editUser(t, "303", map[string]any{"email": "carol@panel.example"})
				},
				Config: linkedConfig(p, "", ""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("pbx_user.carol", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("pbx_user.carol", tfjsonpath.New("email"), knownvalue.StringExact("")),
					},
				},
				Check: p.checkStored("303", map[string]any{"email": ""}),
			},
		},
	})
}

// TestUserModifyPlan_linkedWithoutRecord: a linked user whose state has no
// recorded entry yet (written before the provider recorded entries), planned
// without a refresh, keeps what the state holds instead of planning unknown
// values, so a -refresh=false plan right after an upgrade is empty.
func TestUserModifyPlan_linkedWithoutRecord(t *testing.T) {
	ctx := context.Background()
	r := &userResource{}
	var sch resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sch)
	m := userModel("603b41443e14270c550bf15a", "301", "Alice", "a")
	m.DirectoryUUID = types.StringValue(aliceUUID)
	m.DirectoryTimestamp = types.Int64Value(7)
	m.DirectorySeries = types.StringValue("42")
	m.Email = types.StringValue("alice@example.com")
	st := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
	if diags := st.Set(ctx, &m); diags.HasError() {
		t.Fatal(diags)
	}
	cfg := m
	cfg.ID, cfg.Name, cfg.Email, cfg.DirectoryTimestamp, cfg.DirectorySeries = types.StringNull(), types.StringNull(), types.StringNull(), types.Int64Null(), types.StringNull()
	cst := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
	if diags := cst.Set(ctx, &cfg); diags.HasError() {
		t.Fatal(diags)
	}
	// The framework marks computed values unknown when anything changes;
	// take the worst case.
	planned := m
	planned.Name, planned.Email, planned.DirectoryTimestamp, planned.DirectorySeries = types.StringUnknown(), types.StringUnknown(), types.Int64Unknown(), types.StringUnknown()
	pst := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
	if diags := pst.Set(ctx, &planned); diags.HasError() {
		t.Fatal(diags)
	}
	resp := resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sch.Schema, Raw: pst.Raw}}
	r.ModifyPlan(ctx, resource.ModifyPlanRequest{
		State:  st,
		Plan:   tfsdk.Plan{Schema: sch.Schema, Raw: pst.Raw},
		Config: tfsdk.Config{Schema: sch.Schema, Raw: cst.Raw},
	}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	var got userResourceModel
	if diags := resp.Plan.Get(ctx, &got); diags.HasError() {
		t.Fatal(diags)
	}
	if got.Name.ValueString() != "Alice" || got.Email.ValueString() != "alice@example.com" || got.DirectoryTimestamp.ValueInt64() != 7 || got.DirectorySeries.ValueString() != "42" {
		t.Errorf("planned name %s, email %s, timestamp %s, series %s; want the state's", got.Name, got.Email, got.DirectoryTimestamp, got.DirectorySeries)
	}
}
