package provider

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// envRequireTerraform, set by `make test-tf114` (and so by CI), turns the
// skip of a test that needs a newer Terraform into a failure: in that run the
// test must really run.
const envRequireTerraform = "PBX_TEST_REQUIRE_TERRAFORM_FEATURES"

// needsTerraform returns the version checks of a test that needs Terraform
// min: skip below it (the reason is printed with -v), or fail below it when
// envRequireTerraform is set.
func needsTerraform(skip, require tfversion.TerraformVersionCheck) []tfversion.TerraformVersionCheck {
	if os.Getenv(envRequireTerraform) != "" {
		return []tfversion.TerraformVersionCheck{require}
	}
	return []tfversion.TerraformVersionCheck{skip}
}

// Resource identity (import blocks with identity) needs Terraform 1.12;
// list resources and terraform query need 1.14.
var (
	needsTerraform112 = needsTerraform(tfversion.SkipBelow(tfversion.Version1_12_0), tfversion.RequireAbove(tfversion.Version1_12_0))
	needsTerraform114 = needsTerraform(tfversion.SkipBelow(tfversion.Version1_14_0), tfversion.RequireAbove(tfversion.Version1_14_0))
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

// TestVersionGatedTestsRunInTestTF114: every test that needs a newer
// Terraform (needsTerraform112/needsTerraform114 here, needsTerraform in
// internal/e2e) is selected by `make test-tf114` (TF114_TESTS in the
// GNUmakefile), so that CI runs it instead of only skipping it.
func TestVersionGatedTestsRunInTestTF114(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "..", "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TF114_TESTS \?= (.+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the GNUmakefile defines no TF114_TESTS")
	}
	pattern := strings.TrimSpace(string(m[1]))
	// go test splits -run at every | and / outside brackets and matches the
	// parts separately, so a regexp.MatchString here only agrees with it for
	// a pattern without them (group the alternatives).
	depth := 0
	for _, c := range pattern {
		switch c {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '|', '/':
			if depth == 0 {
				t.Fatalf("TF114_TESTS %q has a top-level %q, where go test splits it; wrap the alternatives in a group, e.g. (?i)(a|b)", pattern, c)
			}
		}
	}
	selected, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatalf("TF114_TESTS: %v", err)
	}
	gates := map[string]bool{"needsTerraform112": true, "needsTerraform114": true, "needsTerraform": true}
	var gated []string
	for _, dir := range []string{".", filepath.Join("..", "e2e")} {
		files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") {
					continue
				}
				uses := false
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					if id, ok := n.(*ast.Ident); ok && gates[id.Name] {
						uses = true
					}
					return !uses
				})
				if !uses {
					continue
				}
				gated = append(gated, fn.Name.Name)
				if !selected.MatchString(fn.Name.Name) {
					t.Errorf("%s (%s) needs a newer Terraform, but `make test-tf114` does not select it: "+
						"name it to match TF114_TESTS %q, or extend TF114_TESTS in the GNUmakefile", fn.Name.Name, file, selected)
				}
			}
		}
	}
	if len(gated) < 4 {
		t.Fatalf("found only %v gated by needsTerraform: the check itself is broken", gated)
	}
}
