package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// TestDeriveEntryUUID: the derived uuid is a version-8 uuid that never
// changes for the same arguments (a golden value: a change would make every
// entry an interrupted apply left behind a twin in the next one), differs
// for any other argument, and ignores the credentials.
func TestDeriveEntryUUID(t *testing.T) {
	base := pbxapi.EntryFields{Name: "Flat 7", Treepath: "/"}
	const golden = "43C1ACBB-F037-868A-B6F2-CDCCDBC484BB"
	got := deriveEntryUUID(&base)
	if !derivedUUID.MatchString(got) {
		t.Fatalf("derived uuid %s is not an upper-case version-8 uuid", got)
	}
	if got != golden {
		t.Errorf("derived uuid of %+v is %s, was %s: derived uuids must never change", base, got, golden)
	}
	variants := map[string]func(f *pbxapi.EntryFields){
		"name":          func(f *pbxapi.EntryFields) { f.Name = "Flat 8" },
		"name case":     func(f *pbxapi.EntryFields) { f.Name = "flat 7" },
		"email":         func(f *pbxapi.EntryFields) { f.Email = "a@example.com" },
		"treepath":      func(f *pbxapi.EntryFields) { f.Treepath = "/Flats" },
		"virt_number":   func(f *pbxapi.EntryFields) { f.VirtNumber = "7" },
		"owner":         func(f *pbxapi.EntryFields) { f.Owner = "team-a" },
		"deputy":        func(f *pbxapi.EntryFields) { f.Deputy = "76543210-68FF-18CA-3210-FEDCBA987654" },
		"peer 0":        func(f *pbxapi.EntryFields) { f.CallPos[0].Peer = "207" },
		"peer 1":        func(f *pbxapi.EntryFields) { f.CallPos[1].Peer = "207" },
		"grouped":       func(f *pbxapi.EntryFields) { f.CallPos[1].Grouped = true },
		"profiles":      func(f *pbxapi.EntryFields) { f.CallPos[2].Profiles = "1" },
		"valid_from":    func(f *pbxapi.EntryFields) { f.Access.ValidFrom = 1767225600 },
		"valid_to":      func(f *pbxapi.EntryFields) { f.Access.ValidTo = 1767225600 },
		"name and peer": func(f *pbxapi.EntryFields) { f.Name, f.CallPos[0].Peer = "Flat 7207", "" },
	}
	seen := map[string]string{got: "base"}
	for name, change := range variants {
		f := base
		change(&f)
		u := deriveEntryUUID(&f)
		if other, dup := seen[u]; dup {
			t.Errorf("%s derives %s, the same uuid as %s", name, u, other)
		}
		seen[u] = name
		if again := deriveEntryUUID(&f); again != u {
			t.Errorf("%s derives %s, then %s", name, u, again)
		}
	}
	withCredentials := base
	withCredentials.Access = pbxapi.AccessFields{PIN: "97531", Codes: []string{"2580"}, Cards: []string{"CARD1234"}}
	if u := deriveEntryUUID(&withCredentials); u != golden {
		t.Errorf("the credentials change the derived uuid (%s, want %s): a uuid must not depend on a secret", u, golden)
	}
}

const orphanBody = `
  name           = "Flat 7"
  call_positions = [{ peer = "207" }, {}, {}]
`

// forget is a configuration that removes the entry from the state and
// leaves it on the intercom, as an apply killed before it recorded the
// create does.
func forget(p *testPBX) string {
	return p.providerConfig() + `
removed {
  from = pbx_directory_entry.test
  lifecycle {
    destroy = false
  }
}
`
}

// TestAccDirectoryEntryResource_adoptsOrphan: an entry the state does not
// know, under the uuid the configuration derives, is adopted when it holds
// every configured value (its unmanaged credentials as they are), and
// refused, naming the uuid and the field, when it does not.
func TestAccDirectoryEntryResource_adoptsOrphan(t *testing.T) {
	p, rec := newRecordedPBX(t)
	var orphan string
	sameUUID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			{
				Config:            managedEntryConfig(p, orphanBody),
				ConfigStateChecks: []statecheck.StateCheck{sameUUID.AddStateValue(managedEntryAddr, tfjsonpath.New("uuid"))},
				Check: func(s *terraform.State) error {
					var err error
					orphan, err = stateUUID(s, managedEntryAddr)
					return err
				},
			},
			{
				Config: forget(p),
				Check:  func(*terraform.State) error { return p.checkLiveEntries(1) },
			},
			// Someone sets a PIN in the panel meanwhile; the configuration
			// does not manage it.
			{
				PreConfig: func() {
					if _, err := p.mock.PutDirectoryEntry(orphan, map[string]any{"access": map[string]any{"pin": "1357"}}); err != nil {
						t.Fatal(err)
					}
					p.mock.ResetRequestCounts()
					rec.reset()
				},
				Config: managedEntryConfig(p, orphanBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue(managedEntryAddr, tfjsonpath.New("uuid")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("uuid"), knownvalue.StringFunc(func(s string) error {
						if s != orphan {
							return fmt.Errorf("created uuid %s, want the one the same arguments derived before, %s", s, orphan)
						}
						return nil
					})),
					sameUUID.AddStateValue(managedEntryAddr, tfjsonpath.New("uuid")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error {
						if n, u := p.mock.RequestCounts()["dir/create"], len(rec.sent("dir/update")); n != 1 || u != 0 {
							return fmt.Errorf("%d dir/create and %d dir/update, want the one create that met the entry, and no update", n, u)
						}
						return p.checkLiveEntries(1)
					},
					p.checkEntryStored(managedEntryAddr, map[string]string{"name": "Flat 7", "callPos.0.peer": "207", "access.pin": "1357"}),
				),
			},
			{Config: forget(p)},
			// Renamed in the panel after the interruption: not the
			// configured entry any more, so not adopted.
			{
				PreConfig: func() {
					if _, err := p.mock.PutDirectoryEntry(orphan, map[string]any{"name": "Flat 7 (panel)"}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      managedEntryConfig(p, orphanBody),
				ExpectError: regexp.MustCompile(`(?s)Directory entry uuid [0-9A-F-]{36} is already taken.*differs from\s+the\s+configuration\s+in\s+name,.*import\s+it`),
			},
			// Imported as the error says, one apply restores it.
			{
				Config:             managedEntryConfig(p, orphanBody),
				ResourceName:       managedEntryAddr,
				ImportState:        true,
				ImportStatePersist: true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return orphan, nil },
			},
			{
				Config: managedEntryConfig(p, orphanBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionUpdate),
						onlyChanges(managedEntryAddr, "name", "uuid", "timestamp", "series"),
						expectChange(managedEntryAddr, "name", "Flat 7 (panel)", "Flat 7"),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					p.checkEntryStored(managedEntryAddr, map[string]string{"name": "Flat 7", "access.pin": "1357"}),
					func(*terraform.State) error { return p.checkLiveEntries(1) },
				),
			},
		},
	})
}

// TestAccDirectoryEntryResource_twinsInOneRun: two entries with the same
// arguments derive the same uuid; the second create of the run fails, naming
// the uuid and what to do, instead of adopting the first one's entry.
func TestAccDirectoryEntryResource_twinsInOneRun(t *testing.T) {
	p := newTestPBX(t, func(c *mockpbx.Config) { c.DirAuth = "none" })
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			{
				Config: p.providerConfig() + `
resource "pbx_directory_entry" "a" {
  name = "Lobby"
}
resource "pbx_directory_entry" "b" {
  name       = "Lobby"
  depends_on = [pbx_directory_entry.a] # a is the one created, b the twin
}
`,
				ExpectError: regexp.MustCompile(`(?s)Directory entry uuid [0-9A-F-]{36} is already taken.*same\s+arguments.*explicit\s+` + "`uuid`"),
			},
			// Given a uuid, the second is an entry of its own.
			{
				// (Check does not run in a step that expects an error.)
				PreConfig: func() {
					if n := p.mock.RequestCounts()["dir/create"]; n != 1 {
						t.Errorf("%d dir/create requests, want 1 (the twin sends none)", n)
					}
					if err := p.checkLiveEntries(1); err != nil {
						t.Error(err)
					}
				},
				Config: p.providerConfig() + `
resource "pbx_directory_entry" "a" {
  name = "Lobby"
}
resource "pbx_directory_entry" "b" {
  uuid       = "B0B0B0B0-0000-4000-8000-00000000000B"
  name       = "Lobby"
  depends_on = [pbx_directory_entry.a]
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("pbx_directory_entry.b", tfjsonpath.New("uuid"), knownvalue.StringExact("B0B0B0B0-0000-4000-8000-00000000000B")),
					statecheck.ExpectKnownValue("pbx_directory_entry.a", tfjsonpath.New("uuid"), knownvalue.StringRegexp(derivedUUID)),
				},
				Check: func(*terraform.State) error { return p.checkLiveEntries(2) },
			},
		},
	})
}

// TestAccDirectoryEntryResource_configuredUUID: a configured uuid is the
// entry's; changing it replaces the entry; removing it from the
// configuration changes nothing; a lower-case one is refused at plan time.
func TestAccDirectoryEntryResource_configuredUUID(t *testing.T) {
	const first, second = "C0FFEE00-1234-4ABC-8DEF-000000000001", "C0FFEE00-1234-4ABC-8DEF-000000000002"
	p := newTestPBX(t, func(c *mockpbx.Config) { c.DirAuth = "none" })
	withUUID := func(uuid string) string {
		return managedEntryConfig(p, fmt.Sprintf("uuid = %q\nname = \"Gate\"", uuid))
	}
	stored := func(uuid string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if e, ok := p.mock.DirectoryEntry(uuid); !ok || e["deleted"] == true || e["name"] != "Gate" {
				return fmt.Errorf("the directory has no live entry %s named Gate: %v", uuid, e)
			}
			return p.checkLiveEntries(1)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			{
				Config:      managedEntryConfig(p, "uuid = \"c0ffee00-1234-4abc-8def-000000000001\"\nname = \"Gate\""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`has lower-case letters \(write\s+C0FFEE00-1234-4ABC-8DEF-000000000001`),
			},
			{
				Config: withUUID(first),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("uuid"), knownvalue.StringExact(first))},
				},
				Check: stored(first),
			},
			{
				Config: withUUID(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionDestroyBeforeCreate),
						expectChange(managedEntryAddr, "uuid", first, second),
					},
				},
				Check: stored(second),
			},
			{
				Config:   managedEntryConfig(p, `name = "Gate"`),
				PlanOnly: true,
			},
		},
	})
}
