package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// A directory reset (factory reset or backup restore) against both readings
// of a dir/query that names another series: as 2N documents it (the device's
// series and highest timestamp, no entries) and as the old contract had it
// (every entry). See design/api/README.md, rule 13.

// resetReadings: the mock's two readings of a foreign series, each once
// with the other documented readings of dir/query (an inclusive iterator, a
// reply without users or without timestamp, grouped as a string).
var resetReadings = []struct {
	name string
	r    mockpbx.Readings
}{
	{"foreign_series=empty", mockpbx.Readings{ForeignSeries: "empty"}},
	{"foreign_series=all", mockpbx.Readings{ForeignSeries: "all"}},
	{"foreign_series=empty,query_iterator=ge,query_empty=timestamp,grouped=string",
		mockpbx.Readings{ForeignSeries: "empty", QueryIterator: "ge", QueryEmpty: "timestamp", Grouped: "string"}},
	{"foreign_series=all,query_iterator=ge,query_empty=users", mockpbx.Readings{ForeignSeries: "all", QueryIterator: "ge", QueryEmpty: "users"}},
}

const resetFrontUUIDAttr = "pbx_directory_entry.front"

// resetConfig: a managed entry with a user linked to it, and a user linked
// to an entry nobody manages (Alice, seeded).
func resetConfig(p *testPBX) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_directory_entry" "front" {
  name  = "Front Desk"
  email = "front@example.com"
}

resource "pbx_user" "front" {
  number         = "401"
  secret         = "front-secret"
  directory_uuid = pbx_directory_entry.front.uuid
}

resource "pbx_user" "alice" {
  number         = "402"
  secret         = "alice-secret"
  directory_uuid = %q
}
`, aliceUUID)
}

// resetCheck is a plan check made of a function.
type resetCheck func() error

func (f resetCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f()
}

// exactRequests checks the mock's request counts since the last reset:
// want's endpoints exactly, every other endpoint none.
func (p *testPBX) exactRequests(want map[string]int) resetCheck {
	return func() error {
		got := p.mock.RequestCounts()
		for endpoint, n := range got {
			if n != want[endpoint] {
				return fmt.Errorf("%s: %d requests, want %d (all counts %v, want %v)", endpoint, n, want[endpoint], got, want)
			}
		}
		return nil
	}
}

// liveNamed counts the live directory entries with this name.
func (p *testPBX) liveNamed(name string) int {
	n := 0
	for _, e := range p.mock.DirectoryEntries() {
		if e["deleted"] != true && e["name"] == name {
			n++
		}
	}
	return n
}

// TestAccDirectoryReset_keptEntries: after a reset that kept every entry, the
// refresh reads the directory again from the start of the new series: the
// plan is empty, no entry is created again (same uuid, no twin), the linked
// users plan nothing, and the whole refresh costs exactly one query in the
// old series and one from the beginning of the new. A rename after the reset
// is planned for the user that follows the entry.
func TestAccDirectoryReset_keptEntries(t *testing.T) {
	for _, reading := range resetReadings {
		t.Run(reading.name, func(t *testing.T) {
			p := newTestPBX(t, withPeople, func(c *mockpbx.Config) {
				// No authentication: the counts are the reads the provider chose.
				c.DirAuth = "none"
				c.Readings = reading.r
			})
			var frontUUID, series string
			config := resetConfig(p)
			keptUUID := func(s *terraform.State) error {
				rs, ok := s.RootModule().Resources[resetFrontUUIDAttr]
				if !ok {
					return fmt.Errorf("%s is not in the state", resetFrontUUIDAttr)
				}
				if got := rs.Primary.Attributes["uuid"]; got != frontUUID {
					return fmt.Errorf("entry uuid %s, want the one created first, %s", got, frontUUID)
				}
				if n := p.liveNamed("Front Desk"); n != 1 {
					return fmt.Errorf("%d live entries named Front Desk, want 1", n)
				}
				return nil
			}
			onSeries := func(v string) error {
				if v != series {
					return fmt.Errorf("series %s, want the new series %s", v, series)
				}
				return nil
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config: config,
						Check: func(s *terraform.State) error {
							frontUUID = s.RootModule().Resources[resetFrontUUIDAttr].Primary.Attributes["uuid"]
							return p.checkStored("401", map[string]any{"name": "Front Desk"})(s)
						},
					},
					// Reset, entries kept: the refresh of the plan alone.
					{
						PreConfig: func() {
							// Timestamps of the old series beyond every recorded one,
							// so a stale comparison would see nothing.
							for range 5 {
								must(t)(p.mock.PutDirectoryEntry("", map[string]any{"name": "Other"}))
							}
							series = p.mock.ResetDirectory(true)
							p.mock.ResetRequestCounts()
						},
						Config:   config,
						PlanOnly: true,
						ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
							plancheck.ExpectEmptyPlan(),
							// One users/search; dir/query in the recorded series,
							// then once from 0 in the new one: shared by all three.
							p.exactRequests(map[string]int{"users/search": 1, "dir/query": 2}),
						}},
					},
					// The apply after it changes nothing on either device and
					// records the new series.
					{
						PreConfig: p.mock.ResetRequestCounts,
						Config:    config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectEmptyPlan(),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(resetFrontUUIDAttr, tfjsonpath.New("series"), knownvalue.StringFunc(onSeries)),
							statecheck.ExpectKnownValue("pbx_user.front", tfjsonpath.New("directory_series"), knownvalue.StringFunc(onSeries)),
							statecheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("directory_series"), knownvalue.StringFunc(onSeries)),
						},
						Check: resource.ComposeAggregateTestCheckFunc(keptUUID, func(*terraform.State) error {
							c := p.mock.RequestCounts()
							if w := c["dir/create"] + c["dir/update"] + c["dir/delete"] + c["users/add"] + c["users/update"] + c["users/remove"]; w != 0 {
								return fmt.Errorf("%d writes after a reset that kept every entry, want none: %v", w, c)
							}
							return nil
						}),
					},
					// Reset again, then Alice renamed: her user plans the new
					// name; the managed entry and its user plan nothing.
					{
						PreConfig: func() {
							series = p.mock.ResetDirectory(true)
							must(t)(p.mock.PutDirectoryEntry(aliceUUID, map[string]any{"name": "Alice Smith"}))
							p.mock.ResetRequestCounts()
						},
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction("pbx_user.alice", plancheck.ResourceActionUpdate),
							plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("name"), knownvalue.StringExact("Alice Smith")),
							plancheck.ExpectResourceAction("pbx_user.front", plancheck.ResourceActionNoop),
							plancheck.ExpectResourceAction(resetFrontUUIDAttr, plancheck.ResourceActionNoop),
							p.exactRequests(map[string]int{"users/search": 1, "dir/query": 2}),
						}},
						Check: resource.ComposeAggregateTestCheckFunc(keptUUID,
							p.checkStored("402", map[string]any{"name": "Alice Smith"}),
							p.checkStored("401", map[string]any{"name": "Front Desk"})),
					},
					{Config: config, PlanOnly: true},
				},
			})
		})
	}
}

// TestAccDirectoryReset_wiped: after a reset that wiped the directory, the
// managed entry is created again (once) and the user linked to it follows
// it; the user linked to an entry nobody manages says the entry is gone.
func TestAccDirectoryReset_wiped(t *testing.T) {
	for _, reading := range resetReadings {
		t.Run(reading.name, func(t *testing.T) {
			p := newTestPBX(t, func(c *mockpbx.Config) {
				c.DirAuth = "none"
				c.Readings = reading.r
			})
			config := p.providerConfig() + `
resource "pbx_directory_entry" "front" {
  name = "Front Desk"
}

resource "pbx_user" "front" {
  number         = "401"
  secret         = "front-secret"
  directory_uuid = pbx_directory_entry.front.uuid
}
`
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{Config: config},
					{
						PreConfig: func() {
							p.mock.ResetDirectory(false)
							p.mock.ResetRequestCounts()
						},
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(resetFrontUUIDAttr, plancheck.ResourceActionCreate),
							plancheck.ExpectResourceAction("pbx_user.front", plancheck.ResourceActionUpdate),
							p.exactRequests(map[string]int{"users/search": 1, "dir/query": 2}),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(resetFrontUUIDAttr, tfjsonpath.New("timestamp"), knownvalue.Int64Exact(1)),
						},
						Check: resource.ComposeAggregateTestCheckFunc(
							func(*terraform.State) error {
								if n := p.liveNamed("Front Desk"); n != 1 || len(p.mock.DirectoryEntries()) != 1 {
									return fmt.Errorf("%d live entries named Front Desk of %d, want the one", n, len(p.mock.DirectoryEntries()))
								}
								return nil
							},
							p.checkStored("401", map[string]any{"name": "Front Desk"}),
						),
					},
					{Config: config, PlanOnly: true},
				},
			})
		})
	}
}
