package provider

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
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
	var counts map[string]int
	p.mustControl(t, http.MethodGet, "requests", nil, &counts)
	return counts[endpoint]
}

func TestAccUserResource_directoryLinked(t *testing.T) {
	p := newTestPBX(t, withPeople)
	var updatesBefore int
	noOp, update := plancheck.ResourceActionNoop, plancheck.ResourceActionUpdate
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []resource.TestStep{
			// Linked users take name and email from their entries; explicit config wins.
			{
				Config: linkedConfig(p, "", "Robert"),
				Check: resource.ComposeAggregateTestCheckFunc(
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
					p.mustControl(t, http.MethodPost, "directory/reset", map[string]any{"keep_entries": true}, nil)
				},
				Config: linkedConfig(p, "", "Robert"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: actions(noOp, noOp),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith("pbx_user.alice", "directory_series", p.isSeries),
					resource.TestCheckResourceAttrWith("pbx_user.bob", "directory_series", p.isSeries),
				),
			},
			// The entry is renamed: exactly that user updates its name.
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodPut, "directory/"+aliceUUID, map[string]any{"name": "Alice Smith"}, nil)
				},
				Config: linkedConfig(p, "", "Robert"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
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
					p.mustControl(t, http.MethodPost, "directory/"+bobUUID+"/touch", nil, nil)
				},
				Config: linkedConfig(p, "", "Robert"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
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
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append(actions(noOp, update),
						plancheck.ExpectKnownValue("pbx_user.bob", tfjsonpath.New("name"), knownvalue.StringExact("Bob"))),
				},
				Check: p.checkStored("302", map[string]any{"name": "Bob"}),
			},
			// An explicit name beats the directory, also when the entry is renamed.
			{
				Config: linkedConfig(p, "Front desk", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: actions(update, noOp),
				},
				Check: p.checkStored("301", map[string]any{"name": "Front desk", "email": "alice@example.com"}),
			},
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodPut, "directory/"+aliceUUID, map[string]any{"name": "Alice Jones", "email": "alice.jones@example.com"}, nil)
				},
				Config: linkedConfig(p, "Front desk", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append(actions(update, noOp),
						plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("name"), knownvalue.StringExact("Front desk")),
						plancheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("email"), knownvalue.StringExact("alice.jones@example.com"))),
				},
				Check: p.checkStored("301", map[string]any{"name": "Front desk", "email": "alice.jones@example.com"}),
			},
			// A PBX-side edit of a linked user is still drift, restored by apply.
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodPatch, "users/"+p.mustUserID(t, "302"), map[string]any{"name": "Edited"}, nil)
				},
				Config: linkedConfig(p, "Front desk", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append(actions(noOp, update),
						plancheck.ExpectKnownValue("pbx_user.bob", tfjsonpath.New("name"), knownvalue.StringExact("Bob"))),
				},
				Check: p.checkStored("302", map[string]any{"name": "Bob"}),
			},
			// The entry is deleted: the plan fails, naming the user and the uuid.
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodDelete, "directory/"+bobUUID, nil, nil)
				},
				Config:      linkedConfig(p, "Front desk", ""),
				ExpectError: errorLike("Directory entry of PBX user number 302", "linked to directory entry "+bobUUID, "EDIR_UUID_DOES_NOT_EXIST", "remove directory_uuid and set name"),
			},
		},
	})
}

func TestAccUserResource_directoryValidation(t *testing.T) {
	p := newTestPBX(t, withPeople)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
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
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: linkedConfig(p, "", "")},
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodPatch, "users/"+p.mustUserID(t, "303"), map[string]any{"email": "carol@panel.example"}, nil)
				},
				Config: linkedConfig(p, "", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
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
