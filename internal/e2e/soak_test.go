package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// soakUsers is how many users the soak applies.
const soakUsers = 200

// soakConfig declares count users 3000.. whose name, call_record and
// forward destination depend on generation, so that a new generation updates
// every user.
//
// max_retries is the whole budget of one operation, its lookups included: at
// a 25% failure rate an ambiguous users/add and its users/search lookups
// spent all 11 requests of max_retries = 10 in one of the five soaks run on
// 2026-12-05 (in .ci/run). Each extra request makes that about four times
// rarer; what the soak proves (one apply converges, nothing duplicated) is
// the same.
func soakConfig(count, generation int) string {
	return fmt.Sprintf(`
provider "pbx" {
  max_retries    = 20
  retry_max_wait = "200ms"
}

locals {
  generation = %d
  users = { for i in range(%d) : tostring(3000 + i) => {
    name   = "Soak ${3000 + i} gen ${%d}"
    secret = "soak-secret-${3000 + i}"
  } }
}

resource "pbx_user" "u" {
  for_each    = local.users
  number      = each.key
  name        = each.value.name
  secret      = each.value.secret
  call_record = local.generation %% 2 == 1
  forward_policy = {
    busy = "9${local.generation}"
  }
}
`, generation, count, generation)
}

// faultRules is the soak's weather: 20% 503 with Retry-After, 5% dropped
// connections (3% before the device processes the request, 2% after it
// did: the ambiguous case), and up to 20 ms of latency, on every endpoint.
var faultRules = []mockpbx.FaultRule{{
	Endpoint: "*", Status: 503, Rate: 0.20, RetryAfter: "1",
	DropRate: 0.03, DropAfterRate: 0.02, LatencyJitterMS: 20,
}}

// TestFaultSoak applies 200 users at -parallelism=20 while the mock injects
// faults, then updates all of them and deletes half: every time the device
// must hold exactly the configured users with every field, and the next plan
// (faults still on) must be empty.
func TestFaultSoak(t *testing.T) {
	s := newStack(t, mockpbx.Config{RandSeed: 42}, soakConfig(soakUsers, 1))
	s.must(nil, s.mock.SetFaults(faultRules))

	phase := func(name string, count, generation int) {
		t.Helper()
		s.writeConfig(soakConfig(count, generation))
		start := time.Now()
		s.mustApply("-parallelism=20")
		t.Logf("%s: apply of %d users took %s", name, count, time.Since(start).Round(time.Millisecond))
		s.expectUsers(name, count, generation)
		if out, code := s.planExit("-parallelism=20"); code != 0 {
			t.Fatalf("%s: plan after apply exited %d, want 0 (no changes):\n%s", name, code, tail(out, 60))
		}
	}
	phase("create", soakUsers, 1)
	phase("update", soakUsers, 2)
	phase("delete", soakUsers/2, 2)

	t.Logf("requests seen by the mock (faulted ones included): %v", s.mock.RequestCounts())
}

// expectUsers checks that the device holds exactly the users of
// soakConfig(count, generation): no duplicate, none missing, no stray one,
// every field as configured.
func (s *stack) expectUsers(phase string, count, generation int) {
	s.t.Helper()
	users := s.users()
	byNumber := map[string]map[string]any{}
	var problems []string
	for _, u := range users {
		n := fmt.Sprint(u["number"])
		if _, dup := byNumber[n]; dup {
			problems = append(problems, "duplicate number "+n)
		}
		byNumber[n] = u
	}
	callRecord := map[bool]string{true: "yes", false: "no"}[generation%2 == 1]
	for i := range count {
		n := fmt.Sprint(3000 + i)
		u, ok := byNumber[n]
		if !ok {
			problems = append(problems, "missing "+n)
			continue
		}
		want := map[string]string{
			"name":        fmt.Sprintf("Soak %s gen %d", n, generation),
			"secret":      "soak-secret-" + n,
			"call_record": callRecord,
		}
		for k, w := range want {
			if got := fmt.Sprint(u[k]); got != w {
				problems = append(problems, fmt.Sprintf("%s: %s = %q, want %q", n, k, got, w))
			}
		}
		fp, _ := u["forward_policy"].(map[string]any)
		if got := fmt.Sprint(fp["Busy"]); got != fmt.Sprintf("9%d", generation) {
			problems = append(problems, fmt.Sprintf("%s: forward_policy.Busy = %q", n, got))
		}
		delete(byNumber, n)
	}
	for n := range byNumber {
		problems = append(problems, "unexpected user "+n)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		s.t.Fatalf("%s: the device does not hold exactly the configured users:\n  %s", phase, strings.Join(problems, "\n  "))
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
