package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestAccDirectoryEntriesDataSource_owner: owner reads the live entries
// of one owner (deleted ones and other owners' left out), with one
// dir/query; it conflicts with uuids.
func TestAccDirectoryEntriesDataSource_owner(t *testing.T) {
	const gone = "D0D00000-0000-4000-8000-000000000004"
	p := newTestPBX(t, func(c *mockpbx.Config) {
		c.Directory = []map[string]any{
			{"uuid": aliceUUID, "name": "Alice", "owner": "pbx-team"},
			{"uuid": bobUUID, "name": "Bob", "owner": "My2N"},
			{"uuid": gone, "name": "Gone", "owner": "pbx-team"},
			{"uuid": entryUUID, "name": "No owner"},
		}
	})
	must(t)(p.mock.DeleteDirectoryEntry(gone))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      entriesConfig(p, `owner = "pbx-team"`+"\n"+`uuids = []`),
				PlanOnly:    true,
				ExpectError: errorLike("Exactly one of these attributes must be configured: [uuids,changed_since,owner]"),
			},
			{
				PreConfig: func() { p.resetRequests(t) },
				Config:    entriesConfig(p, `owner = "pbx-team"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries"), knownvalue.MapExact(map[string]knownvalue.Check{
						aliceUUID: knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Alice"), "owner": knownvalue.StringExact("pbx-team")}),
					})),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("resync"), knownvalue.Bool(false)),
				},
			},
		},
	})
	if n := p.requestCount(t, "dir/get"); n != 0 {
		t.Errorf("owner sent %d dir/get", n)
	}
}
