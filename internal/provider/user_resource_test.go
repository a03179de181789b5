package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

const userAddr = "pbx_user.test"

func minimalUserConfig(p *testPBX, number, name, secret string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "test" {
  number = %q
  name   = %q
  secret = %q
}
`, number, name, secret)
}

// fullUserConfig sets every argument away from its default.
func fullUserConfig(p *testPBX, number string) string {
	return p.providerConfig() + fmt.Sprintf(`
resource "pbx_user" "test" {
  number            = %q
  name              = "Reception Desk"
  secret            = "n3w-s3cret"
  user_type         = "SIP"
  active            = false
  cid_number        = "2100"
  call_record       = true
  push_notification = true
  deny              = "10.0.0.0/255.0.0.0"
  permit            = "192.168.10.0/255.255.255.0"
  dtmfmode          = "info"
  canreinvite       = true
  directmedia       = true
  context           = "internal_only"
  host              = "192.168.10.20"
  type              = "friend"
  nat               = "force_rport,comedia"
  port              = 5080
  qualify           = true
  callgroup         = "2,4-6"
  pickupgroup       = "3"
  callcounter       = true
  faxdetect         = true
  call_limit        = 4
  email             = "reception@example.com"
  forward_policy = {
    busy        = "571"
    no_answer   = "09158315762"
    unavailable = "570"
    all         = "2121"
  }
  more_options = "fromuser=reception\nlanguage=en"
}
`, number)
}

// defaultsStored is what the device holds for a minimal configuration.
var defaultsStored = map[string]any{
	"user_type": "SIP", "active": "yes", "cid_number": "", "call_record": "no", "push_notification": "no",
	"deny": "0.0.0.0/0.0.0.0", "permit": "0.0.0.0/0.0.0.0", "dtmfmode": "rfc2833", "canreinvite": "no",
	"directmedia": "no", "context": "main_routing", "host": "dynamic", "type": "user", "nat": "no", "port": "5060",
	"qualify": "no", "callgroup": "1", "pickupgroup": "1", "callcounter": "no", "faxdetect": "no", "call_limit": "",
	"trunk": "no", "transfer": "no", "email": "", "more_options": "",
	"forward_policy": map[string]any{"Busy": "", "No Answer": "", "UnAvailable": "", "All": ""},
}

func withFields(base map[string]any, extra map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestAccUserResource_lifecycle(t *testing.T) {
	p := newTestPBX(t)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []resource.TestStep{
			// Create from the minimal configuration: every default lands on the device.
			{
				Config: minimalUserConfig(p, "530", "Test User", "s3cret-530"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{24}$`))),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("port"), knownvalue.Int64Exact(5060)),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("active"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("call_limit"), knownvalue.Null()),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("forward_policy"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"busy": knownvalue.StringExact(""), "no_answer": knownvalue.StringExact(""),
						"unavailable": knownvalue.StringExact(""), "all": knownvalue.StringExact(""),
					})),
					statecheck.ExpectSensitiveValue(userAddr, tfjsonpath.New("secret")),
					sameID.AddStateValue(userAddr, tfjsonpath.New("id")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: p.checkStored("530", withFields(defaultsStored, map[string]any{"name": "Test User", "secret": "s3cret-530"})),
			},
			// Import by _id: everything but the write-only-in-practice secret matches.
			{
				ResourceName:            userAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret"},
			},
			// Import by number.
			{
				ResourceName:            userAddr,
				ImportState:             true,
				ImportStateId:           "number:530",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret"},
			},
			// Plannable import (an import block): the only planned change is
			// the secret, which the device never returns.
			{
				ResourceName:       userAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ImportStateId:      "number:530",
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{onlyChanges(userAddr, "secret")},
				},
			},
			// Every argument changed in place; the whole user lands on the device.
			{
				Config: fullUserConfig(p, "530"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(userAddr, tfjsonpath.New("id"))},
				Check: p.checkStored("530", map[string]any{
					"name": "Reception Desk", "secret": "n3w-s3cret", "user_type": "SIP", "active": "no", "cid_number": "2100",
					"call_record": "yes", "push_notification": "yes", "deny": "10.0.0.0/255.0.0.0", "permit": "192.168.10.0/255.255.255.0",
					"dtmfmode": "info", "canreinvite": "yes", "directmedia": "yes", "context": "internal_only", "host": "192.168.10.20",
					"type": "friend", "nat": "force_rport,comedia", "port": "5080", "qualify": "yes", "callgroup": "2,4-6",
					"pickupgroup": "3", "callcounter": "yes", "faxdetect": "yes", "call_limit": "4", "trunk": "no", "transfer": "no",
					"email": "reception@example.com", "more_options": "fromuser=reception\nlanguage=en",
					"forward_policy": map[string]any{"Busy": "571", "No Answer": "09158315762", "UnAvailable": "570", "All": "2121"},
				}),
			},
			// Import of the full user is complete too.
			{
				ResourceName:            userAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret"},
			},
			// The number changes in place: same _id.
			{
				Config: fullUserConfig(p, "531"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(userAddr, tfjsonpath.New("id"))},
				Check: resource.ComposeAggregateTestCheckFunc(
					p.checkStored("531", map[string]any{"name": "Reception Desk"}),
					p.checkUserCount(1),
				),
			},
			// Back to the minimal configuration: the full replace restores every default.
			{
				Config: minimalUserConfig(p, "531", "Test User", "s3cret-530"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(userAddr, tfjsonpath.New("id"))},
				Check:             p.checkStored("531", withFields(defaultsStored, map[string]any{"name": "Test User", "secret": "s3cret-530"})),
			},
		},
	})
}

func TestAccUserResource_iax2(t *testing.T) {
	p := newTestPBX(t)
	config := p.providerConfig() + `
resource "pbx_user" "test" {
  number    = "601"
  name      = "Branch trunk"
  secret    = "iax-secret"
  user_type = "IAX2"
  trunk     = true
  transfer  = true
  port      = 4569
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check:  p.checkStored("601", map[string]any{"user_type": "IAX2", "trunk": "yes", "transfer": "yes", "port": "4569"}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("trunk"), knownvalue.Bool(true)),
				},
			},
			{ResourceName: userAddr, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"secret"}},
		},
	})
}

func TestAccUserResource_outOfBand(t *testing.T) {
	p := newTestPBX(t)
	config := fullUserConfig(p, "740")
	want := map[string]any{"name": "Reception Desk", "call_record": "yes", "nat": "force_rport,comedia", "port": "5080",
		"active": "no", "cid_number": "2100", "push_notification": "yes", "deny": "10.0.0.0/255.0.0.0",
		"permit": "192.168.10.0/255.255.255.0", "dtmfmode": "info", "canreinvite": "yes", "directmedia": "yes",
		"context": "internal_only", "type": "friend", "callgroup": "2,4-6", "pickupgroup": "3", "callcounter": "yes",
		"faxdetect": "yes", "email": "reception@example.com", "user_type": "SIP", "number": "740", "qualify": "yes",
		"host": "192.168.10.20", "call_limit": "4", "more_options": "fromuser=reception\nlanguage=en",
		"forward_policy": map[string]any{"Busy": "571", "No Answer": "09158315762", "UnAvailable": "570", "All": "2121"}}
	edits := []map[string]any{
		{"name": "Edited in the panel"},
		{"call_record": "no", "qualify": "no"},
		{"nat": "no", "port": "5060", "host": "dynamic"},
		{"forward_policy": map[string]any{"Busy": "999"}},
		{"call_limit": "", "more_options": ""},
		// Every remaining field at once: each one must be noticed and restored.
		{
			"active": "yes", "cid_number": "999", "push_notification": "no", "deny": "0.0.0.0/0.0.0.0",
			"permit": "0.0.0.0/0.0.0.0", "dtmfmode": "auto", "canreinvite": "no", "directmedia": "no",
			"context": "other", "type": "peer", "callgroup": "9", "pickupgroup": "9", "callcounter": "no",
			"faxdetect": "no", "email": "someone@example.org", "user_type": "IAX2",
		},
		// The number itself: the refresh finds the user by _id and plans it back.
		{"number": "741"},
		{"secret": "changed-in-panel"},
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	steps := []resource.TestStep{{
		Config:            config,
		Check:             p.checkStored("740", want),
		ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(userAddr, tfjsonpath.New("id"))},
	}}
	for _, edit := range edits {
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				p.editUser(t, "740", edit)
			},
			ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(userAddr, tfjsonpath.New("id"))},
			Config:            config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate)},
			},
			Check: p.checkStored("740", withFields(want, map[string]any{"secret": "n3w-s3cret"})),
		})
	}
	// The secret cannot be read back, so an edit of the secret alone is not
	// visible: document it by asserting the empty plan.
	steps[len(steps)-1].ConfigPlanChecks.PreApply = []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}
	steps[len(steps)-1].Check = p.checkStored("740", map[string]any{"secret": "changed-in-panel"})
	// Deleted in the panel: the refresh drops it and apply creates it again.
	steps = append(steps, resource.TestStep{
		PreConfig: func() {
			must(t)(nil, p.mock.DeleteUser(p.mustUserID(t, "740")))
		},
		Config: config,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionCreate)},
		},
		Check: resource.ComposeAggregateTestCheckFunc(p.checkStored("740", want), p.checkUserCount(1)),
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps:                    steps,
	})
}

func TestAccUserResource_invalidConfig(t *testing.T) {
	p := newTestPBX(t)
	cases := []struct {
		args string
		err  string
	}{
		{`number = "12a"`, `must contain only digits`},
		{`number = ""`, `number string length must be between 1 and 20`},
		{`name = ""`, `name string length must be between 1 and 128`},
		{`secret = ""`, `secret string length must be between 1 and 128`},
		{`user_type = "sip"`, `value must be one of`},
		{`type = "both"`, `value must be one of`},
		{`nat = "maybe"`, `value must be one of`},
		{`dtmfmode = "tones"`, `value must be one of`},
		{`deny = "10.0.0.1"`, `has no /MASK`},
		{`permit = "300.0.0.1/255.255.255.0"`, `invalid IPv4 address`},
		{`permit = "10.0.0.0/255.0.255.0"`, `non-contiguous netmask`},
		{`port = 0`, `port value must be between 1 and 65535`},
		{`port = 70000`, `port value must be between 1 and 65535`},
		{`callgroup = "64"`, `out-of-range group`},
		{`pickupgroup = "1,,2"`, `invalid group`},
		{`host = "bad host!"`, `host "bad host!" is not valid`},
		{`email = "not-an-email"`, `must be an e-mail address`},
		{`cid_number = "12ab"`, `must contain only digits`},
		{`context = "with space"`, `must contain only letters`},
		{`call_limit = 0`, `call_limit value must be between 1 and 1000`},
		{`more_options = "novalue"`, `is not key=value`},
		{`more_options = "[general]=x"`, `is not an option name`},
		{`name = "two\nlines"`, `must not contain line breaks`},
		{`secret = "a\nb"`, `must not contain line breaks`},
		{`forward_policy = { busy = "abc" }`, `must contain only digits, *, # and +`},
		{`trunk = true`, `IAX2-only setting on a SIP user`},
		{"user_type = \"SIP\"\n  transfer = true", `transfer applies only to IAX2 extensions`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		args := c.args
		for _, base := range []string{`number = "100"`, `name = "Invalid"`, `secret = "x"`} {
			key := strings.Fields(base)[0]
			if !strings.HasPrefix(c.args, key+" ") {
				args = base + "\n  " + args
			}
		}
		steps = append(steps, resource.TestStep{
			Config:      p.providerConfig() + "resource \"pbx_user\" \"test\" {\n  " + args + "\n}\n",
			PlanOnly:    true,
			ExpectError: errorLike(c.err),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

func TestAccUserResource_deviceErrors(t *testing.T) {
	t.Run("duplicate number", func(t *testing.T) {
		p := newTestPBX(t, func(c *mockpbx.Config) {
			c.Users = []map[string]any{{"name": "Existing", "number": "530", "secret": "x"}}
		})
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      minimalUserConfig(p, "530", "Duplicate", "s"),
				ExpectError: errorLike("Unable to create PBX user Duplicate (number 530)", "This number already exists", "terraform import <address> number:530"),
			}},
		})
	})
	t.Run("wrong password", func(t *testing.T) {
		p := newTestPBX(t, func(c *mockpbx.Config) {
			c.Accounts[0].Password = "not-" + testPassword
		})
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      minimalUserConfig(p, "530", "Nobody", "s"),
				ExpectError: errorLike("users/add", "HTTP 401", "BasicAuth or ApiKey is invalid", "credentials were rejected"),
			}},
		})
	})
	t.Run("endpoint not granted", func(t *testing.T) {
		p := newTestPBX(t, func(c *mockpbx.Config) {
			c.Accounts[0].Allowed = []string{"pbx/users/search"}
		})
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      minimalUserConfig(p, "530", "Nobody", "s"),
				ExpectError: errorLike("HTTP 403", "Access denied", "lacks permission"),
			}},
		})
	})
	t.Run("unreadable value on the device", func(t *testing.T) {
		// A value set in the panel that no attribute can hold fails the
		// refresh with a diagnostic naming user and field; fixing it on the
		// device lets the next run converge.
		p := newTestPBX(t)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{Config: minimalUserConfig(p, "530", "A", "s")},
				{
					PreConfig: func() {
						p.editUser(t, "530", map[string]any{"active": "maybe"})
					},
					Config:      minimalUserConfig(p, "530", "A", "s"),
					ExpectError: errorLike(`active = "maybe" on the PBX, which is neither yes nor no`),
				},
				{
					PreConfig: func() {
						p.editUser(t, "530", map[string]any{"active": "yes"})
					},
					Config: minimalUserConfig(p, "530", "A", "s"),
				},
			},
		})
	})
}

func TestAccProvider_missingConfiguration(t *testing.T) {
	for _, env := range []string{envEndpoint, envUsername, envPassword, envAPIKey, envAuthMode} {
		t.Setenv(env, "")
	}
	p := newTestPBX(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `resource "pbx_user" "test" {` + "\n" + `number = "1"` + "\n" + `name = "a"` + "\n" + `secret = "b"` + "\n}\n",
				ExpectError: errorLike("Missing PBX endpoint", "PBX_ENDPOINT"),
			},
			{
				Config:      fmt.Sprintf("provider \"pbx\" {\n endpoint = %q\n}\n", p.URL) + `resource "pbx_user" "test" {` + "\n" + `number = "1"` + "\n" + `name = "a"` + "\n" + `secret = "b"` + "\n}\n",
				ExpectError: errorLike("Missing PBX credentials", "PBX_API_KEY"),
			},
			{
				Config:      fmt.Sprintf("provider \"pbx\" {\n endpoint = %q\n auth_mode = \"both\"\n api_key = \"k\"\n}\n", p.URL) + `resource "pbx_user" "test" {` + "\n" + `number = "1"` + "\n" + `name = "a"` + "\n" + `secret = "b"` + "\n}\n",
				ExpectError: errorLike("Missing PBX user name", "PBX_USERNAME"),
			},
		},
	})
}

// onlyChanges is a plan check: the resource's planned change touches only
// the named attributes.
func onlyChanges(addr string, allowed ...string) plancheck.PlanCheck {
	return onlyChangesCheck{addr: addr, allowed: allowed}
}

type onlyChangesCheck struct {
	addr    string
	allowed []string
}

// keysOf is the union of the keys of maps a and b.
func keysOf(a, b map[string]any) map[string]bool {
	keys := make(map[string]bool, len(a)+len(b))
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

func (c onlyChangesCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		before, okBefore := rc.Change.Before.(map[string]any)
		after, okAfter := rc.Change.After.(map[string]any)
		if !okBefore || !okAfter {
			// A create (no before) or a delete (no after) is not a change
			// of some attributes.
			resp.Error = fmt.Errorf("%s: planned %v, want an update of %v only", c.addr, rc.Change.Actions, c.allowed)
			return
		}
		var changed, allowed []string
		for k := range keysOf(before, after) {
			if reflect.DeepEqual(before[k], after[k]) {
				continue
			}
			if slices.Contains(c.allowed, k) {
				allowed = append(allowed, k)
			} else {
				changed = append(changed, k)
			}
		}
		switch {
		case len(changed) > 0:
			sort.Strings(changed)
			resp.Error = fmt.Errorf("%s: planned changes to %v, only %v expected", c.addr, changed, c.allowed)
		case len(allowed) == 0:
			resp.Error = fmt.Errorf("%s: no planned change to any of %v", c.addr, c.allowed)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: no planned change", c.addr)
}
