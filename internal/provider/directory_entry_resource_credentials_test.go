package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// doorUUID is an entry the installer set up in the intercom's web page, with
// a PIN and a switch code.
const doorUUID = "D0012345-0000-4000-8000-000000000012"

func withDoorEntry(c *mockpbx.Config) {
	c.Directory = []map[string]any{{
		"uuid": doorUUID, "name": "Flat 12", "treepath": "/Flats",
		"access": map[string]any{"pin": "97531", "code": []any{"2580"}, "card": []any{"CARD1234"}},
	}}
}

// doorStored is what the intercom holds for the door entry.
var doorStored = map[string]string{"name": "Flat 12", "access.pin": "97531", "access.code": "[2580   ]", "access.card": "[CARD1234 ]"}

// checkNoWrite checks that no directory write was sent since the recorder's
// last reset.
func checkNoWrite(rec *dirRecorder) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, fn := range []string{"dir/create", "dir/update", "dir/delete"} {
			if sent := rec.sent(fn); len(sent) != 0 {
				return fmt.Errorf("%d %s requests, want none: %s", len(sent), fn, sent[0])
			}
		}
		return nil
	}
}

// TestAccDirectoryEntryResource_importKeepsCredentials: an entry with a PIN,
// a switch code and a card, imported (import block) with a configuration
// that does not mention them: no change is planned, nothing is written, the
// intercom keeps all three and the state holds none. Naming one later
// manages that one only; removing it again leaves it on the intercom.
func TestAccDirectoryEntryResource_importKeepsCredentials(t *testing.T) {
	p, rec := newRecordedPBX(t, withDoorEntry)
	body := "name     = \"Flat 12\"\n  treepath = \"/Flats\"\n"
	importBlock := fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", managedEntryAddr, doorUUID)
	noCredentials := statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("access"), knownvalue.ObjectExact(map[string]knownvalue.Check{
		"valid_from": knownvalue.Null(), "valid_to": knownvalue.Null(), "pin": knownvalue.Null(), "codes": knownvalue.Null(), "cards": knownvalue.Null(),
	}))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: managedEntryConfig(p, body) + importBlock,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{noCredentials},
				Check:             resource.ComposeAggregateTestCheckFunc(checkNoWrite(rec), p.checkEntryStored(managedEntryAddr, doorStored)),
			},
			// Renamed in the configuration: only the name travels.
			{
				PreConfig: rec.reset,
				Config:    managedEntryConfig(p, strings.Replace(body, "Flat 12", "Flat 12A", 1)),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{"name": "Flat 12A"}),
					p.checkEntryStored(managedEntryAddr, doorStored, map[string]string{"name": "Flat 12A"}),
				),
			},
			// The PIN is named: it alone becomes managed (and is written,
			// since the state did not know it); the code and card stay.
			{
				PreConfig: rec.reset,
				Config:    managedEntryConfig(p, strings.Replace(body, "Flat 12", "Flat 12A", 1)+"  access = { pin = \"97531\" }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{onlyChanges(managedEntryAddr, "access", "timestamp", "series")},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{"access": map[string]any{"pin": "97531"}}),
					p.checkEntryStored(managedEntryAddr, doorStored, map[string]string{"name": "Flat 12A"}),
				),
			},
			// Someone changes the PIN and the code in the panel: the managed
			// PIN is restored, the code is not Terraform's.
			{
				PreConfig: func() {
					if _, err := p.mock.PutDirectoryEntry(doorUUID, map[string]any{"access": map[string]any{"pin": "1111", "code": []any{"3690"}}}); err != nil {
						t.Fatal(err)
					}
					rec.reset()
				},
				Config: managedEntryConfig(p, strings.Replace(body, "Flat 12", "Flat 12A", 1)+"  access = { pin = \"97531\" }\n"),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{"access": map[string]any{"pin": "97531"}}),
					p.checkEntryStored(managedEntryAddr, doorStored, map[string]string{"name": "Flat 12A", "access.code": "[3690   ]"}),
				),
			},
			// Newly managed codes are written over every position the entry
			// holds: one apply, then an empty plan.
			{
				PreConfig: func() {
					if _, err := p.mock.PutDirectoryEntry(doorUUID, map[string]any{"access": map[string]any{"code": []any{"3690", "", "4444"}}}); err != nil {
						t.Fatal(err)
					}
					rec.reset()
				},
				Config: managedEntryConfig(p, strings.Replace(body, "Flat 12", "Flat 12A", 1)+"  access = { pin = \"97531\", codes = [\"2580\"] }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{"access": map[string]any{"code": []any{"2580", "", ""}}}),
					p.checkEntryStored(managedEntryAddr, doorStored, map[string]string{"name": "Flat 12A"}),
				),
			},
			// No longer named: left as they are, and out of the state.
			{
				PreConfig: rec.reset,
				Config:    managedEntryConfig(p, strings.Replace(body, "Flat 12", "Flat 12A", 1)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{noCredentials},
				Check:             resource.ComposeAggregateTestCheckFunc(checkNoWrite(rec), p.checkEntryStored(managedEntryAddr, doorStored, map[string]string{"name": "Flat 12A"})),
			},
		},
	})
}
