package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// secretModel is seedUser as the state holds it after an import: no secret.
func secretModel(t *testing.T) userResourceModel {
	t.Helper()
	var m userResourceModel
	if diags := m.fromAPI(&seedUser); diags.HasError() {
		t.Fatal(diags)
	}
	return m
}

// TestCheckSecret pins the plan-time rule: a plan that writes the extension
// needs a secret from the configuration, a plan that writes nothing does not.
func TestCheckSecret(t *testing.T) {
	str := types.StringValue
	tests := []struct {
		name      string
		create    bool
		plan      func(m *userResourceModel) // from the imported state
		config    func(m *userResourceModel) // secret arguments of the configuration
		wantError []string                   // nil: no error
		wantWrite bool
	}{
		{name: "imported, unchanged, no secret", plan: func(*userResourceModel) {}, config: func(*userResourceModel) {}},
		{
			name: "imported, renamed, no secret", plan: func(m *userResourceModel) { m.Name = str("Renamed") }, config: func(*userResourceModel) {},
			wantError: []string{"PBX user number 909 (603f4ea7fcff3269187a3da3) has no secret", "This plan changes PBX user number 909 (603f4ea7fcff3269187a3da3) (name)",
				"Set secret, or secret_wo with secret_wo_version"},
			wantWrite: true,
		},
		{
			name: "imported, renumbered and more, no secret",
			plan: func(m *userResourceModel) {
				m.Number, m.Port, m.Email = str("910"), types.Int64Value(5080), types.StringUnknown()
			},
			config:    func(*userResourceModel) {},
			wantError: []string{"PBX user number 910 (603f4ea7fcff3269187a3da3), number 909 on the PBX has no secret", "(number, port, email)"},
			wantWrite: true,
		},
		{
			name: "imported, renamed, secret", plan: func(m *userResourceModel) { m.Name, m.Secret = str("Renamed"), str("s") },
			config: func(m *userResourceModel) { m.Secret = str("s") }, wantWrite: true,
		},
		{
			name: "imported, renamed, secret known only at apply", plan: func(m *userResourceModel) { m.Name, m.Secret = str("Renamed"), types.StringUnknown() },
			config: func(m *userResourceModel) { m.Secret = types.StringUnknown() }, wantWrite: true,
		},
		{
			name: "imported, renamed, secret_wo", plan: func(m *userResourceModel) { m.Name, m.SecretWOVersion = str("Renamed"), types.Int64Value(1) },
			config: func(m *userResourceModel) { m.SecretWO, m.SecretWOVersion = str("wo"), types.Int64Value(1) }, wantWrite: true,
		},
		{
			name: "imported, a secret appears: sent", plan: func(m *userResourceModel) { m.Secret = str("s") },
			config: func(m *userResourceModel) { m.Secret = str("s") }, wantWrite: true,
		},
		{
			name: "imported, secret_wo appears: sent", plan: func(m *userResourceModel) { m.SecretWOVersion = types.Int64Value(1) },
			config: func(m *userResourceModel) { m.SecretWO, m.SecretWOVersion = str("wo"), types.Int64Value(1) }, wantWrite: true,
		},
		{name: "create without secret", create: true, plan: func(*userResourceModel) {}, config: func(*userResourceModel) {},
			wantError: []string{"PBX user number 909 has no secret", "Creating PBX user number 909 needs its SIP/IAX2 password"}},
		{name: "create with secret_wo", create: true, plan: func(*userResourceModel) {},
			config: func(m *userResourceModel) { m.SecretWO, m.SecretWOVersion = str("wo"), types.Int64Value(1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, plan, config := secretModel(t), secretModel(t), secretModel(t)
			tt.plan(&plan)
			config.Secret = types.StringNull()
			tt.config(&config)
			var st *userResourceModel
			if !tt.create {
				st = &state
			}
			diags := checkSecret(&plan, &config, st)
			if tt.wantError == nil && diags.HasError() {
				t.Fatalf("unexpected error: %v", diags)
			}
			if tt.wantError != nil {
				if !diags.HasError() {
					t.Fatal("no error")
				}
				text := diags.Errors()[0].Summary() + "\n" + diags.Errors()[0].Detail()
				for _, w := range tt.wantError {
					if !strings.Contains(text, w) {
						t.Errorf("error does not say %q:\n%s", w, text)
					}
				}
			}
			if !tt.create {
				if got := writesUser(&plan, &state, &config); got != tt.wantWrite {
					t.Errorf("writesUser = %v, want %v", got, tt.wantWrite)
				}
			}
		})
	}
}

// TestWritesUserSecretChanges: which secret changes reach the PBX.
func TestWritesUserSecretChanges(t *testing.T) {
	str, ver := types.StringValue, types.Int64Value
	tests := []struct {
		name                      string
		stateSecret, planSecret   types.String
		stateVersion, planVersion types.Int64
		configSecret, configSecWO types.String
		configVersion             types.Int64
		want                      bool
	}{
		{"same secret", str("a"), str("a"), types.Int64Null(), types.Int64Null(), str("a"), types.StringNull(), types.Int64Null(), false},
		{"changed secret", str("a"), str("b"), types.Int64Null(), types.Int64Null(), str("b"), types.StringNull(), types.Int64Null(), true},
		{"secret removed: state only", str("a"), types.StringNull(), types.Int64Null(), types.Int64Null(), types.StringNull(), types.StringNull(), types.Int64Null(), false},
		{"secret to secret_wo", str("a"), types.StringNull(), types.Int64Null(), ver(1), types.StringNull(), str("w"), ver(1), true},
		{"same version", types.StringNull(), types.StringNull(), ver(1), ver(1), types.StringNull(), str("w2"), ver(1), false},
		{"new version", types.StringNull(), types.StringNull(), ver(1), ver(2), types.StringNull(), str("w2"), ver(2), true},
		{"secret_wo removed: state only", types.StringNull(), types.StringNull(), ver(1), types.Int64Null(), types.StringNull(), types.StringNull(), types.Int64Null(), false},
		{"secret_wo to secret", types.StringNull(), str("a"), ver(1), types.Int64Null(), str("a"), types.StringNull(), types.Int64Null(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, plan, config := secretModel(t), secretModel(t), secretModel(t)
			state.Secret, state.SecretWOVersion = tt.stateSecret, tt.stateVersion
			plan.Secret, plan.SecretWOVersion = tt.planSecret, tt.planVersion
			config.Secret, config.SecretWO, config.SecretWOVersion = tt.configSecret, tt.configSecWO, tt.configVersion
			if got := writesUser(&plan, &state, &config); got != tt.want {
				t.Errorf("writesUser = %v, want %v", got, tt.want)
			}
			if diags := checkSecret(&plan, &config, &state); diags.HasError() {
				t.Errorf("a plan that changes no field needs no secret: %v", diags)
			}
		})
	}
}

// The user seeded on the mock with a secret nobody knows.
const (
	adoptedID     = "65a0c0ffee0000000000c201"
	adoptedSecret = "panel-secret-nobody-knows"
)

func withAdoptedUser(c *mockpbx.Config) {
	c.Users = []map[string]any{{"_id": adoptedID, "name": "Alice", "number": "201", "secret": adoptedSecret, "nat": "yes", "call_record": "yes"}}
}

// adoptedConfig is pbx_user.test for the seeded user, with extra arguments.
func adoptedConfig(p *testPBX, name string, extra ...string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "test" {
  number      = "201"
  name        = %q
  nat         = "yes"
  call_record = true
  %s
}
`, name, strings.Join(extra, "\n  "))
}

// TestAccUserResource_adoptedWithoutSecret: a user imported without a secret
// plans clean and stays clean; an update without a secret fails at plan with
// an error naming the user; with a secret it applies and the PBX gets it;
// removing the secret again writes nothing.
func TestAccUserResource_adoptedWithoutSecret(t *testing.T) {
	p := newTestPBX(t, withAdoptedUser)
	writes := func(want int) tfresource.TestCheckFunc {
		return func(*terraform.State) error {
			got := p.requests(t)
			if n := got["users/update"] + got["users/add"]; n != want {
				return fmt.Errorf("%d writes to the PBX (%v), want %d", n, got, want)
			}
			return nil
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			// Adopted with an import block and no secret: nothing to change.
			{
				PreConfig: func() { p.resetRequests(t) },
				Config:    adoptedConfig(p, "Alice") + "\nimport {\n  to = pbx_user.test\n  id = \"number:201\"\n}\n",
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("id"), knownvalue.StringExact(adoptedID)),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("secret"), knownvalue.Null()),
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(writes(0), p.checkStored("201", map[string]any{"secret": adoptedSecret})),
			},
			// Stays clean without the import block.
			{
				Config:           adoptedConfig(p, "Alice"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            writes(0),
			},
			// An update without a secret: the named error, at plan time.
			{
				Config: adoptedConfig(p, "Alice Renamed"),
				ExpectError: errorLike("PBX user number 201 ("+adoptedID+") has no secret",
					"This plan changes PBX user number 201 ("+adoptedID+") (name)",
					"Set secret, or secret_wo with secret_wo_version", "undo the change"),
			},
			// With a secret it applies, and the PBX gets the secret.
			{
				PreConfig: func() { p.resetRequests(t) },
				Config:    adoptedConfig(p, "Alice Renamed", `secret = "configured-1"`),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(writes(1),
					p.checkStored("201", map[string]any{"_id": adoptedID, "name": "Alice Renamed", "secret": "configured-1", "nat": "yes"})),
			},
			// Removing the secret from the configuration only drops it from
			// the state: nothing is written, and the PBX keeps its secret
			// (here one changed in the panel meanwhile).
			{
				PreConfig: func() {
					must(t)(p.mock.PatchUser(adoptedID, map[string]any{"secret": "changed-in-panel"}))
					p.resetRequests(t)
				},
				Config: adoptedConfig(p, "Alice Renamed"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{onlyChanges(userAddr, "secret")},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("secret"), knownvalue.Null())},
				Check:             tfresource.ComposeAggregateTestCheckFunc(writes(0), p.checkStored("201", map[string]any{"secret": "changed-in-panel"})),
			},
			// A secret that appears without any other change is sent.
			{
				PreConfig: func() { p.resetRequests(t) },
				Config:    adoptedConfig(p, "Alice Renamed", `secret = "configured-2"`),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{onlyChanges(userAddr, "secret")},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(writes(1), p.checkStored("201", map[string]any{"secret": "configured-2"})),
			},
		},
	})
}

// TestAccUserResource_secretWriteOnly: secret_wo is sent with every write
// and never stored; a new secret_wo_version alone sends the new value.
func TestAccUserResource_secretWriteOnly(t *testing.T) {
	p := newTestPBX(t)
	config := func(name, secret string, version int) string {
		return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "test" {
  number            = "530"
  name              = %q
  secret_wo         = %q
  secret_wo_version = %d
}
`, name, secret, version)
	}
	noSecretInState := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("secret_wo"), knownvalue.Null()),
		statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("secret"), knownvalue.Null()),
	}
	update := tfresource.ConfigPlanChecks{
		PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate)},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   needsTerraform111,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config:           config("WO", "wo-secret-1", 1),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: append(noSecretInState,
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("secret_wo_version"), knownvalue.Int64Exact(1))),
				Check: p.checkStored("530", map[string]any{"name": "WO", "secret": "wo-secret-1"}),
			},
			// A new value without a new version is invisible to Terraform.
			{
				Config:           config("WO", "wo-secret-2", 1),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            p.checkStored("530", map[string]any{"secret": "wo-secret-1"}),
			},
			// The version alone sends it.
			{
				Config:            config("WO", "wo-secret-2", 2),
				ConfigPlanChecks:  update,
				ConfigStateChecks: noSecretInState,
				Check:             p.checkStored("530", map[string]any{"name": "WO", "secret": "wo-secret-2"}),
			},
			// Any other write sends the configured value too.
			{
				Config:            config("WO renamed", "wo-secret-3", 2),
				ConfigPlanChecks:  update,
				ConfigStateChecks: noSecretInState,
				Check:             p.checkStored("530", map[string]any{"name": "WO renamed", "secret": "wo-secret-3"}),
			},
			// From secret_wo to secret and back: each sends its value.
			{
				Config:           minimalUserConfig(p, "530", "WO renamed", "plain-secret"),
				ConfigPlanChecks: update,
				Check:            p.checkStored("530", map[string]any{"secret": "plain-secret"}),
			},
			{
				Config:            config("WO renamed", "wo-secret-4", 1),
				ConfigPlanChecks:  update,
				ConfigStateChecks: noSecretInState,
				Check:             p.checkStored("530", map[string]any{"secret": "wo-secret-4"}),
			},
		},
	})
}

// TestAccUserResource_secretArguments: the secret arguments' plan-time rules.
func TestAccUserResource_secretArguments(t *testing.T) {
	p := newTestPBX(t)
	block := func(args string) string {
		return p.providerConfig() + "resource \"pbx_user\" \"test\" {\n  number = \"530\"\n  name = \"Rules\"\n  " + args + "\n}\n"
	}
	t.Run("a create needs a secret", func(t *testing.T) {
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             p.checkUserCount(0),
			Steps: []tfresource.TestStep{{
				Config:      block(""),
				PlanOnly:    true,
				ExpectError: errorLike("PBX user number 530 has no secret", "Creating PBX user number 530 needs its SIP/IAX2 password", "Set secret, or secret_wo"),
			}},
		})
	})
	cases := []struct {
		args string
		err  []string
	}{
		{"secret = \"a\"\n  secret_wo = \"b\"\n  secret_wo_version = 1", []string{`Attribute "secret_wo" cannot be specified when "secret" is specified`}},
		{`secret_wo = "b"`, []string{`Attribute "secret_wo_version" must be specified when "secret_wo" is specified`}},
		{"secret = \"a\"\n  secret_wo_version = 1", []string{`Attribute "secret_wo" must be specified when "secret_wo_version" is specified`}},
		{"secret_wo = \"\"\n  secret_wo_version = 1", []string{`secret_wo string length must be between 1 and 128`}},
		{"secret_wo = \"a\\nb\"\n  secret_wo_version = 1", []string{`must not contain line breaks`}},
	}
	steps := make([]tfresource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, tfresource.TestStep{Config: block(c.args), PlanOnly: true, ExpectError: errorLike(c.err...)})
	}
	t.Run("write-only rules", func(t *testing.T) {
		tfresource.ParallelTest(t, tfresource.TestCase{
			TerraformVersionChecks:   needsTerraform111,
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps:                    steps,
		})
	})
}

// TestAccUserResource_adoptOnCreate: a create that finds its number taken
// by a user with every field as configured (left by an interrupted apply)
// adopts it and writes the configured secret; a user that differs keeps the
// error and its import hint.
func TestAccUserResource_adoptOnCreate(t *testing.T) {
	t.Run("matching: adopted", func(t *testing.T) {
		p := newTestPBX(t, withAdoptedUser)
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             p.checkUserCount(0),
			Steps: []tfresource.TestStep{{
				PreConfig: func() { p.resetRequests(t) },
				Config:    adoptedConfig(p, "Alice", `secret = "configured-on-adoption"`),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("id"), knownvalue.StringExact(adoptedID))},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkUserCount(1),
					p.checkStored("201", map[string]any{"_id": adoptedID, "name": "Alice", "secret": "configured-on-adoption"}),
					func(*terraform.State) error {
						got := p.requests(t)
						if got["users/add"] != 1 || got["users/update"] != 1 {
							return fmt.Errorf("requests %v, want one add (refused) and one update (the secret)", got)
						}
						return nil
					},
				),
			}},
		})
	})
	t.Run("differing: the error and the import hint", func(t *testing.T) {
		p := newTestPBX(t, withAdoptedUser)
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []tfresource.TestStep{{
				Config: adoptedConfig(p, "Alice", `secret = "s"`, `call_limit = 2`),
				ExpectError: errorLike("Unable to create PBX user Alice (number 201)", "This number already exists",
					"the extension "+adoptedID+" that has the number differs in call_limit", "terraform import <address> number:201"),
			}},
		})
	})
}
