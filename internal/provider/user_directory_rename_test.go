package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// frontConfig: a managed entry and a phone that follows it, linked as the
// documentation says.
func frontConfig(p *testPBX, name, email string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_directory_entry" "front" {
  name  = %q
  email = %q
}
resource "pbx_user" "front_phone" {
  number         = "100"
  secret         = "s"
  directory_uuid = pbx_directory_entry.front.uuid
}
`, name, email)
}

// frontUUID is the uuid of the entry the provider created.
func (p *testPBX) frontUUID(t *testing.T) string {
	t.Helper()
	for _, e := range p.mock.DirectoryEntries() {
		if e["owner"] == nil || fmt.Sprint(e["owner"]) == "" {
			if uuid, ok := e["uuid"].(string); ok {
				return uuid
			}
		}
	}
	t.Fatal("the directory holds no entry")
	return ""
}

// checkEntryName checks the entry's name on the intercom.
func (p *testPBX) checkEntryName(t *testing.T, want string) tfresource.TestCheckFunc {
	return func(*terraform.State) error {
		e, ok := p.mock.DirectoryEntry(p.frontUUID(t))
		if !ok {
			return fmt.Errorf("the entry is gone")
		}
		if got, ok := e["name"].(string); !ok || got != want {
			return fmt.Errorf("the intercom holds the entry's name %v, want %q", e["name"], want)
		}
		return nil
	}
}

// TestAccUserResource_linkedEntryRepairedInOneApply: a managed entry that
// changes in this run (renamed in the panel and restored, or renamed in the
// configuration) takes its linked user along in the same apply: one apply,
// then an empty plan.
func TestAccUserResource_linkedEntryRepairedInOneApply(t *testing.T) {
	p := newTestPBX(t)
	update := plancheck.ResourceActionUpdate
	var writes map[string]int
	countWrites := func() { p.resetRequests(t) }
	checkWrites := func(userUpdates, entryUpdates int) tfresource.TestCheckFunc {
		return func(*terraform.State) error {
			writes = p.requests(t)
			if writes["users/update"] != userUpdates || writes["dir/update"] != entryUpdates || writes["users/add"] != 0 || writes["dir/create"] != 0 {
				return fmt.Errorf("the apply sent %d users/update and %d dir/update (and %d users/add, %d dir/create), want %d and %d (and none)",
					writes["users/update"], writes["dir/update"], writes["users/add"], writes["dir/create"], userUpdates, entryUpdates)
			}
			return nil
		}
	}
	empty := tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config:           frontConfig(p, "Front Desk", "front@example.com"),
				ConfigPlanChecks: empty,
				Check:            p.checkStored("100", map[string]any{"name": "Front Desk", "email": "front@example.com"}),
			},
			// Renamed in the panel: the apply restores the entry, and the
			// phone, which the PBX still holds as "Front Desk", keeps it.
			{
				PreConfig: func() {
					must(t)(p.mock.PutDirectoryEntry(p.frontUUID(t), map[string]any{"name": "Front Desk (renamed)"}))
					countWrites()
				},
				Config: frontConfig(p, "Front Desk", "front@example.com"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("pbx_directory_entry.front", update),
						plancheck.ExpectKnownValue("pbx_directory_entry.front", tfjsonpath.New("name"), knownvalue.StringExact("Front Desk")),
						plancheck.ExpectUnknownValue("pbx_user.front_phone", tfjsonpath.New("name")),
					},
					PostApplyPostRefresh: empty.PostApplyPostRefresh,
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkEntryName(t, "Front Desk"),
					p.checkStored("100", map[string]any{"name": "Front Desk", "email": "front@example.com"}),
					checkWrites(0, 1),
				),
			},
			// Renamed in the configuration: the phone follows in the same apply.
			{
				PreConfig: countWrites,
				Config:    frontConfig(p, "Reception", "reception@example.com"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("pbx_directory_entry.front", update),
						plancheck.ExpectResourceAction("pbx_user.front_phone", update),
					},
					PostApplyPostRefresh: empty.PostApplyPostRefresh,
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkEntryName(t, "Reception"),
					p.checkStored("100", map[string]any{"name": "Reception", "email": "reception@example.com"}),
					checkWrites(1, 1),
				),
			},
			// A change of the entry that users do not follow leaves the
			// link known: nothing is planned for the phone.
			{
				PreConfig: func() {
					must(t)(p.mock.PutDirectoryEntry(p.frontUUID(t), map[string]any{"treepath": "/Moved"}))
					countWrites()
				},
				Config: frontConfig(p, "Reception", "reception@example.com"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("pbx_directory_entry.front", update),
						plancheck.ExpectResourceAction("pbx_user.front_phone", plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: empty.PostApplyPostRefresh,
				},
				Check: checkWrites(0, 1),
			},
		},
	})
}
