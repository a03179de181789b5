package provider

// Device faults surfaced as diagnostics: every failure names the operation,
// the endpoint, the user or uuid and the device's answer; never a panic.

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestAccUserResource_faults: each fault on a mock of its own, with
// max_retries = 1 and retry_max_wait = 50ms. The run under the fault fails
// with the diagnostic (or, for a transient fault, succeeds), sending exactly
// the requests the retry policy allows; once the fault is gone, the next
// apply converges and the plan after it is empty.
func TestAccUserResource_faults(t *testing.T) {
	user := func(p *testPBX) string {
		return p.fastRetryConfig() + userBlock("test", "530", "Fault Test", "f4ult-s3cret")
	}
	withEntry := func(p *testPBX) string {
		return user(p) + fmt.Sprintf("\ndata \"pbx_directory_entry\" \"test\" {\n  uuid = %q\n}\n", entryUUID)
	}
	usersURL := func(p *testPBX, action string) string {
		return "users/" + action + " (" + p.URL + "/api/v4/pbx/users/" + action + ")"
	}
	cases := []struct {
		name    string
		config  func(p *testPBX) string
		created bool           // the configuration is applied before the fault
		edit    map[string]any // then user 530 is edited in the panel
		fault   mockpbx.FaultRule
		err     func(p *testPBX) *regexp.Regexp // the run under the fault fails with it; nil: it succeeds
		sent    map[string]int                  // requests of that run
		// limit bounds how long that run takes (0: not checked).
		limit time.Duration
	}{
		// 502 is ambiguous for a create, so the client never resends it
		// blindly: it looks the number up and would add again only when the
		// user is not there. Add and lookup share one budget of
		// max_retries + 1 requests.
		{name: "users/add answers a proxy's HTML 502", config: user,
			fault: mockpbx.FaultRule{Endpoint: "users/add", HTMLRate: 1},
			err: func(p *testPBX) *regexp.Regexp {
				return diagLike("Unable to create PBX user Fault Test (number 530)", "users/add", "number 530",
					usersURL(p, "add"), "HTTP 502", "502 Bad Gateway")
			},
			sent: map[string]int{"users/add": 1, "users/search": 1}},
		{name: "users/search answers truncated JSON during the refresh", config: user, created: true,
			fault: mockpbx.FaultRule{Endpoint: "users/search", MalformedRate: 1},
			err: func(p *testPBX) *regexp.Regexp {
				return diagLike("Unable to read PBX user", anyID, "(number 530)", usersURL(p, "search"), "HTTP 200",
					"response is not the Simotel JSON envelope", `{"success":1,"message":"Requested operation is do`)
			}},
		// Retry-After: 3600 is capped by retry_max_wait: a run that honoured
		// it would take an hour, a capped one takes moments, so five minutes
		// is a margin no loaded machine reaches.
		{name: "users/update answers 503 with a long Retry-After", config: user, created: true,
			edit:  map[string]any{"name": "Edited in the panel"},
			fault: mockpbx.FaultRule{Endpoint: "users/update", Rate: 1, Status: 503, RetryAfter: "3600"},
			err: func(p *testPBX) *regexp.Regexp {
				return diagLike("Unable to update PBX user", anyID, "(number 530)", usersURL(p, "update"),
					"HTTP 503", "Service Unavailable", "retries were exhausted")
			},
			sent: map[string]int{"users/update": 2}, limit: 5 * time.Minute},
		{name: "users/add answers 503 once", config: user,
			fault: mockpbx.FaultRule{Endpoint: "users/add", Rate: 1, Count: 1},
			sent:  map[string]int{"users/add": 2}},
		// The directory reports its own errors with HTTP 200; a 503 is the
		// HTTP layer's (a proxy, a busy web server), without a directory error.
		{name: "dir/get answers 503 (a transport fault, no directory error)", config: withEntry, created: true,
			fault: mockpbx.FaultRule{Endpoint: "dir/get", Rate: 1, Status: 503},
			err: func(p *testPBX) *regexp.Regexp {
				return diagLike("Unable to read directory entry "+entryUUID, "dir/get ("+p.URL+"/api/dir/get)",
					"HTTP 503", "Service Unavailable", "retries were exhausted")
			},
			sent: map[string]int{"dir/get": 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newTestPBX(t, withSeedEntry)
			config := c.config(p)
			var steps []tfresource.TestStep
			if c.created {
				steps = append(steps, tfresource.TestStep{Config: config})
			}
			var started time.Time
			faulty := tfresource.TestStep{
				PreConfig: func() {
					if c.edit != nil {
						p.editUser(t, "530", c.edit)
					}
					p.setFaults(t, c.fault)
					p.resetRequests(t)
					started = time.Now()
				},
				Config: config,
			}
			if c.err != nil {
				faulty.ExpectError = c.err(p)
			}
			steps = append(steps, faulty, tfresource.TestStep{
				PreConfig: func() {
					if d := time.Since(started); c.limit > 0 && d > c.limit {
						t.Errorf("the run under the fault took %v, more than %v", d, c.limit)
					}
					p.checkRequests(t, c.sent)
					if users := p.mock.Users(); !c.created && c.err != nil && len(users) != 0 {
						t.Errorf("the failed add left users on the device: %v", users)
					}
					if left := p.mock.Faults(); c.fault.Count > 0 && len(left) != 0 {
						t.Errorf("the transient fault was not consumed: %+v", left)
					}
					p.mock.ClearFaults()
				},
				Config:           config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("name"), knownvalue.StringExact("Fault Test")),
				},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkNumberCount("530", 1),
					p.checkUserCount(1),
					p.checkStored("530", map[string]any{"name": "Fault Test", "secret": "f4ult-s3cret"}),
				),
			})
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             p.checkUserCount(0),
				Steps:                    steps,
			})
		})
	}
}

// TestAccProvider_requestTimeout: request_timeout bounds each attempt, and a
// users/add that times out is looked up instead of repeated blindly. The
// mock holds the add for 20 s (it lets go as soon as the client hangs up), a
// wide margin on both sides: request_timeout = "5s" fails it, the default of
// 30 s would let it succeed. The lookup meets no fault, so no request of the
// test depends on how busy the machine is. Once the device is fast again,
// the run converges.
func TestAccProvider_requestTimeout(t *testing.T) {
	p := newTestPBX(t)
	user := userBlock("test", "530", "Slow", "sl0w-s3cret")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				PreConfig: func() {
					p.setFaults(t, mockpbx.FaultRule{Endpoint: "users/add", LatencyMS: 20000})
				},
				Config: p.providerConfig(`request_timeout = "5s"`, "max_retries = 1") + user,
				// Go reports the client's timeout as "Client.Timeout exceeded"
				// or "context deadline exceeded", depending on which timer
				// fires first.
				ExpectError: regexp.MustCompile(errorLike("Unable to create PBX user Slow (number 530)",
					"users/add for number 530: giving up after 2 requests (max_retries 1)").String() +
					`.*(Client\.Timeout\s+exceeded|context\s+deadline\s+exceeded)`),
			},
			{
				PreConfig: func() {
					p.checkRequests(t, map[string]int{"users/add": 1, "users/search": 1})
					p.mock.ClearFaults()
				},
				Config: p.providerConfig() + user,
				Check:  tfresource.ComposeAggregateTestCheckFunc(p.checkUserCount(1), p.checkStored("530", map[string]any{"name": "Slow"})),
			},
		},
	})
}
