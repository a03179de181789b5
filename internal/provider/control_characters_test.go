package provider

import (
	"fmt"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// One rule for every value that reaches a device (pbxapi.ControlChar), on
// every path: configuration, refresh (values a linked user follows), a link
// resolved at apply, import and adoption. A rejected value fails before
// anything is written, naming the object, the field and the character.

// userConfig is pbx_user 301 with extra arguments.
func userConfig(p *testPBX, extra string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "alice" {
  number = "301"
  secret = "a"
  %s
}
`, extra)
}

// frontEntryConfig is a pbx_directory_entry with extra arguments.
func frontEntryConfig(p *testPBX, extra string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_directory_entry" "front" {
  name = "Front Desk"
  %s
}
`, extra)
}

// deviceWrites counts the writes the devices received since resetRequests.
func (p *testPBX) deviceWrites() int {
	n := 0
	for endpoint, c := range p.mock.RequestCounts() {
		switch endpoint {
		case "users/add", "users/update", "dir/create", "dir/update":
			n += c
		}
	}
	return n
}

// noControlStored checks that no value the devices hold has a control
// character, other than those the test put there.
func (p *testPBX) noControlStored(seeded ...string) tfresource.TestCheckFunc {
	return func(*terraform.State) error {
		var records []map[string]any
		records = append(records, p.mock.Users()...)
		records = append(records, p.mock.DirectoryEntries()...)
		for _, rec := range records {
			s := fmt.Sprint(rec)
			if _, _, ok := pbxapi.ControlChar(s); !ok {
				continue
			}
			known := false
			for _, v := range seeded {
				known = known || strings.Contains(s, v)
			}
			if !known {
				return fmt.Errorf("a device holds a control character: %q", s)
			}
		}
		return nil
	}
}

func TestAccControlCharacters(t *testing.T) {
	const nel, esc = "Alice\u0085", "x\u001b@example.com"
	aliceWith := func(fields map[string]any) func(*mockpbx.Config) {
		return func(c *mockpbx.Config) {
			e := map[string]any{"uuid": aliceUUID, "name": "Alice", "email": "alice@example.com"}
			for k, v := range fields {
				e[k] = v
			}
			c.Directory = []map[string]any{e}
		}
	}
	linked := func(p *testPBX) string { return userConfig(p, fmt.Sprintf("directory_uuid = %q", aliceUUID)) }
	cases := []struct {
		name  string
		seed  []func(*mockpbx.Config)
		first func(p *testPBX) string        // applied before, if set
		panel func(t *testing.T, p *testPBX) // an edit on a device before the failing step
		fail  func(p *testPBX) string        // the configuration that must fail
		want  []string
	}{
		// Configuration: plan-time validators of both resources.
		{name: "user name", fail: func(p *testPBX) string { return userConfig(p, `name = "Alice\u0085"`) },
			want: []string{"name contains the control character U+0085 (NEL) at character 6"}},
		{name: "user email", fail: func(p *testPBX) string { return userConfig(p, `name = "A"`+"\n"+`email = "x\u001b@example.com"`) },
			want: []string{"email contains the control character U+001B (ESC) at character 2"}},
		{name: "user secret", fail: func(p *testPBX) string {
			return p.providerConfig() + "resource \"pbx_user\" \"alice\" {\n number = \"301\"\n name = \"A\"\n secret = \"a\\tb\"\n}\n"
		}, want: []string{"secret contains the control character U+0009 (HT) at character 2"}},
		{name: "user more_options", fail: func(p *testPBX) string { return userConfig(p, `name = "A"`+"\n"+`more_options = "a=b\r\nc=d"`) },
			want: []string{"more_options contains the control character U+000D (CR) at character 4"}},
		{name: "entry name", fail: func(p *testPBX) string {
			return strings.Replace(frontEntryConfig(p, ""), `"Front Desk"`, `"Front\u0085Desk"`, 1)
		}, want: []string{"name contains the control character U+0085 (NEL) at character 6"}},
		{name: "entry email", fail: func(p *testPBX) string { return frontEntryConfig(p, `email = "x\u001b@example.com"`) },
			want: []string{"email contains the control character U+001B (ESC) at character 2"}},
		{name: "entry treepath", fail: func(p *testPBX) string { return frontEntryConfig(p, `treepath = "/a\u007f"`) },
			want: []string{"treepath contains the control character U+007F (DEL) at character 3"}},
		{name: "entry owner", fail: func(p *testPBX) string { return frontEntryConfig(p, `owner = "team\u0000"`) },
			want: []string{"owner contains the control character U+0000 (NUL) at character 5"}},
		{name: "entry peer", fail: func(p *testPBX) string {
			return frontEntryConfig(p, `call_positions = [{ peer = "sip:1\u001b@h" }, {}, {}]`)
		}, want: []string{"call_positions[0].peer contains the control character U+001B (ESC) at character 6"}},
		{name: "entry profiles", fail: func(p *testPBX) string {
			return frontEntryConfig(p, `call_positions = [{}, {}, { profiles = "\u009b" }]`)
		}, want: []string{"call_positions[2].profiles contains the control character U+009B (CSI) at character 1"}},
		{name: "entry card", fail: func(p *testPBX) string { return frontEntryConfig(p, `access = { cards = ["C\u007f"] }`) },
			want: []string{"access.cards[0] contains the control character U+007F (DEL) at character 2"}},

		// Refresh: the entry a user follows changes on the intercom.
		{name: "refresh name NEL", seed: []func(*mockpbx.Config){aliceWith(nil)}, first: linked,
			panel: func(t *testing.T, p *testPBX) {
				must(t)(p.mock.PutDirectoryEntry(aliceUUID, map[string]any{"name": nel}))
			},
			fail: linked,
			want: []string{"Directory entry " + aliceUUID + " has an invalid name", "PBX user number 301", "follows the name", "U+0085 (NEL) at character 6", "Nothing was written"}},
		{name: "refresh email ESC", seed: []func(*mockpbx.Config){aliceWith(nil)}, first: linked,
			panel: func(t *testing.T, p *testPBX) {
				must(t)(p.mock.PutDirectoryEntry(aliceUUID, map[string]any{"email": esc}))
			},
			fail: linked,
			want: []string{"has an invalid email", "PBX user number 301", "U+001B (ESC) at character 2"}},

		// A link resolved at apply: a new user, and a user newly linked.
		{name: "new linked user", seed: []func(*mockpbx.Config){aliceWith(map[string]any{"email": esc})}, fail: linked,
			want: []string{"has an invalid email", "PBX user number 301", "U+001B (ESC) at character 2", "Nothing was written"}},
		{name: "user newly linked", seed: []func(*mockpbx.Config){aliceWith(map[string]any{"name": nel})},
			first: func(p *testPBX) string { return userConfig(p, `name = "Alice"`) }, fail: linked,
			want: []string{"has an invalid name", "PBX user number 301", "U+0085 (NEL) at character 6"}},

		// Import: an existing extension imported with a link to an entry
		// that holds a control character.
		{name: "import", seed: []func(*mockpbx.Config){aliceWith(map[string]any{"email": esc}), func(c *mockpbx.Config) {
			c.Users = []map[string]any{{"name": "Alice", "number": "301", "secret": "a"}}
		}}, fail: func(p *testPBX) string {
			return linked(p) + "import {\n  to = pbx_user.alice\n  id = \"number:301\"\n}\n"
		}, want: []string{"has an invalid email", "PBX user number 301", "U+001B (ESC) at character 2"}},

		// Adoption: the number is taken by an orphan that matches; the
		// link's control character stops the create before any request.
		{name: "adoption", seed: []func(*mockpbx.Config){aliceWith(map[string]any{"name": nel}), func(c *mockpbx.Config) {
			c.Users = []map[string]any{{"name": "Alice", "number": "301", "secret": "a"}}
		}}, fail: linked, want: []string{"has an invalid name", "PBX user number 301", "U+0085 (NEL)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPBX(t, append([]func(*mockpbx.Config){withPeople}, tc.seed...)...)
			var steps []tfresource.TestStep
			if tc.first != nil {
				steps = append(steps, tfresource.TestStep{Config: tc.first(p)})
			}
			steps = append(steps, tfresource.TestStep{
				PreConfig: func() {
					if tc.panel != nil {
						tc.panel(t, p)
					}
					p.resetRequests(t)
				},
				Config:      tc.fail(p),
				ExpectError: errorLike(tc.want...),
			})
			tfresource.ParallelTest(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
			// Checked after the run: the destroy that ends it only removes.
			if n := p.deviceWrites(); n != 0 {
				t.Errorf("the failed step wrote %d times to the devices (%v), want none", n, p.mock.RequestCounts())
			}
			if err := p.noControlStored(nel, esc)(nil); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestAccControlCharacters_peopleNames: what the rule must not refuse.
// Persian names need the zero-width non-joiner (U+200C, category Cf), Czech
// ones their diacritics; both reach the devices unchanged.
func TestAccControlCharacters_peopleNames(t *testing.T) {
	const persian, czech = "علی\u200cرضا محمدی", "Recepce – hlavní vchod"
	p := newTestPBX(t)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "ali" {
  number = "401"
  name   = %q
  secret = "a"
}
resource "pbx_directory_entry" "reception" {
  name = %q
}
resource "pbx_user" "reception" {
  number         = "402"
  secret         = "b"
  directory_uuid = pbx_directory_entry.reception.uuid
}
`, persian, czech),
			Check: tfresource.ComposeAggregateTestCheckFunc(
				p.checkStored("401", map[string]any{"name": persian}),
				p.checkStored("402", map[string]any{"name": czech}),
				tfresource.TestCheckResourceAttr("pbx_directory_entry.reception", "name", czech),
			),
		}},
	})
}
