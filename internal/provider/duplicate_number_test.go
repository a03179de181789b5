package provider

import (
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// TestAccUserResource_duplicateNumberInConfig: two resources with one number
// race to create it. Exactly one wins; the other fails with the device's
// message and the hint, and the device holds the number once.
func TestAccUserResource_duplicateNumberInConfig(t *testing.T) {
	p := newTestPBX(t)
	dup := p.providerConfig() + userBlock("first", "530", "First", "first-s3cret") +
		userBlock("second", "530", "Second", "second-s3cret")
	// Distinct numbers, neither the other's old number: the fix converges in
	// any order, whichever resource won.
	fixed := p.providerConfig() + userBlock("first", "531", "First", "first-s3cret") +
		userBlock("second", "532", "Second", "second-s3cret")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config: dup,
				ExpectError: diagLike("Unable to create PBX user", "(number 530)", "users/add", "This number already exists",
					"terraform import <address> number:530",
					"If two pbx_user resources in this configuration share the number, give each its own"),
			},
			{
				PreConfig: func() {
					if err := p.checkNumberCount("530", 1)(nil); err != nil {
						t.Fatal(err)
					}
				},
				Config:           fixed,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkUserCount(2),
					p.checkStored("531", map[string]any{"name": "First", "secret": "first-s3cret"}),
					p.checkStored("532", map[string]any{"name": "Second", "secret": "second-s3cret"}),
				),
			},
		},
	})
}
