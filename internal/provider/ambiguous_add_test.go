package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestAccUserResource_ambiguousAdd: a users/add whose outcome is unknown is
// resolved by looking the number up: the device holds the user exactly once,
// with the state's id, however the connection dropped.
func TestAccUserResource_ambiguousAdd(t *testing.T) {
	cases := []struct {
		name  string
		fault mockpbx.FaultRule
		adds  int // users/add requests the device sees
	}{
		// The device creates the user, then the connection drops: the lookup
		// finds it and adopts it; no second add.
		{"processed then dropped", mockpbx.FaultRule{Endpoint: "users/add", DropAfterRate: 1, Count: 1}, 1},
		// The connection drops before the device processes the add: the
		// lookup finds nothing, and the add is sent again.
		{"dropped before processing", mockpbx.FaultRule{Endpoint: "users/add", DropRate: 1, Count: 1}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newTestPBX(t)
			// max_retries = 2: add, lookup and a second add fit in the budget.
			config := p.providerConfig("max_retries = 2", `retry_max_wait = "50ms"`) + userBlock("test", "530", "Ambiguous", "amb-s3cret")
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             p.checkUserCount(0),
				Steps: []tfresource.TestStep{{
					PreConfig: func() {
						p.setFaults(t, c.fault)
						p.resetRequests(t)
					},
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("id"), knownvalue.StringFunc(func(id string) error {
							u, ok := p.mock.UserByNumber("530")
							if !ok {
								return fmt.Errorf("no stored user with number 530")
							}
							if stored := fmt.Sprint(u["_id"]); id != stored {
								return fmt.Errorf("state id %s, but the device's user 530 has _id %s", id, stored)
							}
							return nil
						})),
					},
					ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					Check: tfresource.ComposeAggregateTestCheckFunc(
						p.checkNumberCount("530", 1),
						p.checkUserCount(1),
						p.checkStored("530", map[string]any{"name": "Ambiguous", "secret": "amb-s3cret"}),
						func(*terraform.State) error {
							if n := p.mock.RequestCounts()["users/add"]; n != c.adds {
								return fmt.Errorf("users/add was called %d times, want %d", n, c.adds)
							}
							if left := p.mock.Faults(); len(left) != 0 {
								return fmt.Errorf("the fault was not triggered: %+v", left)
							}
							return nil
						},
					),
				}},
			})
		})
	}
}
