package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

var (
	raceBinOnce sync.Once
	raceBinDir  string
	raceBinErr  error
)

// useRaceProvider points the stack at a provider built with -race when the
// tests run with -race (the provider's concurrency is then checked in the
// process Terraform starts), and leaves it alone otherwise.
func (s *stack) useRaceProvider() {
	s.t.Helper()
	if !raceEnabled {
		return
	}
	raceBinOnce.Do(func() {
		raceBinDir = filepath.Join(binDir, "race")
		build := exec.Command("go", "build", "-race", "-o", raceBinDir+string(os.PathSeparator), ".")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			raceBinErr = fmt.Errorf("go build -race: %v\n%s", err, out)
		}
	})
	if raceBinErr != nil {
		s.t.Fatal(raceBinErr)
	}
	for _, kv := range s.env {
		if rc, ok := strings.CutPrefix(kv, "TF_CLI_CONFIG_FILE="); ok {
			writeFile(s.t, rc, devOverrides(raceBinDir))
			return
		}
	}
	s.t.Fatal("the stack has no TF_CLI_CONFIG_FILE")
}

// counts returns the mock's request counts (401 challenges not included) and
// resets them.
func (s *stack) counts() map[string]int {
	s.t.Helper()
	counts, _ := s.countsAndChallenges()
	return counts
}

// countsAndChallenges returns the mock's request counts and, apart, the
// directory's 401 challenges (all endpoints together), and resets them.
func (s *stack) countsAndChallenges() (map[string]int, int) {
	s.t.Helper()
	counts, challenges := s.mock.RequestCounts(), 0
	for _, n := range s.mock.ChallengeCounts() {
		challenges += n
	}
	s.mock.ResetRequestCounts()
	return counts, challenges
}

func person(i int) string { return fmt.Sprintf("%08X-0000-4000-8000-%012X", 0xE0000000+i, i) }

// bulkConfig: users users 4000.., every other one linked to an entry (users 0
// and 1 to the same one), and one pbx_directory_entries over the linked
// uuids, duplicates included.
func bulkConfig(users int) string {
	var b strings.Builder
	b.WriteString("locals {\n  users = {\n")
	for i := range users {
		uuid := ""
		switch {
		case i <= 1:
			uuid = person(0)
		case i%2 == 0:
			uuid = person(i / 2)
		}
		fmt.Fprintf(&b, "    %q = %q\n", fmt.Sprint(4000+i), uuid)
	}
	b.WriteString(`  }
}

resource "pbx_user" "u" {
  for_each       = local.users
  number         = each.key
  secret         = "bulk-${each.key}"
  name           = each.value == "" ? "User ${each.key}" : null
  directory_uuid = each.value == "" ? null : each.value
}

data "pbx_directory_entries" "linked" {
  uuids = [for uuid in local.users : uuid if uuid != ""]
}

output "linked_names" {
  value = { for k, u in pbx_user.u : k => u.name if u.directory_uuid != null }
}
`)
	return b.String()
}

// TestRefreshBulkReads: a refresh of N users, half of them linked, plus the
// plural data source costs one users/search, one dir/query and one dir/get,
// whatever N, at -parallelism=50, with changes on both devices or without.
func TestRefreshBulkReads(t *testing.T) {
	const users = 80
	var entries []map[string]any
	for i := range users / 2 {
		entries = append(entries, map[string]any{"uuid": person(i), "name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d@example.com", i)})
	}
	s := newStack(t, mockpbx.Config{RandSeed: 7, Directory: entries}, bulkConfig(users))
	s.useRaceProvider()
	s.mustApply("-parallelism=50")
	// Creating them: one users/add each, and a few directory requests for
	// all the linked ones, not one per linked user: the data source's
	// dir/get at plan, then at apply the run's watermark (dir/query), the
	// first entry alone (dir/get) and one read of the whole directory for
	// the rest (dir/query); each walk pays one Digest challenge.
	got, challenges := s.countsAndChallenges()
	if got["users/add"] != users || got["dir/get"] != 2 || got["dir/query"] != 2 || challenges != 2 {
		t.Errorf("apply: requests %v and %d challenges, want %d users/add, 2 dir/get, 2 dir/query and 2 challenges", got, challenges, users)
	}

	// One users/search, one dir/query (the linked users), one dir/get (the
	// data source), and the Digest challenge that opens the run's first
	// directory request (counted apart): whatever the number of users.
	check := func(step string) {
		t.Helper()
		got, challenges := s.countsAndChallenges()
		for endpoint, n := range got {
			switch endpoint {
			case "users/search", "dir/get", "dir/query":
				if n < 1 {
					t.Errorf("%s: no %s request: %v", step, endpoint, got)
				}
			default:
				if n != 0 {
					t.Errorf("%s: %d %s requests, want none: %v", step, n, endpoint, got)
				}
			}
		}
		if got["users/search"] != 1 || got["dir/get"] != 1 || got["dir/query"] != 1 || challenges != 1 {
			t.Errorf("%s: requests %v and %d challenges, want 1 users/search, 1 dir/get, 1 dir/query and 1 Digest challenge", step, got, challenges)
		}
	}
	if out, code := s.planExit("-parallelism=50"); code != 0 {
		t.Fatalf("plan after apply exited %d, want 0:\n%s", code, tail(out, 40))
	}
	check("no-change plan")

	// The entry two users follow is renamed and an unlinked user is edited
	// in the panel: the plan shows both, for the same three requests.
	s.must(s.mock.PutDirectoryEntry(person(0), map[string]any{"name": "Person Zero"}))
	s.must(s.mock.PatchUser(s.userID("4001"), map[string]any{"cid_number": "999"}))
	s.counts()
	out, code := s.planExit("-parallelism=50")
	if code != 2 {
		t.Fatalf("plan after the edits exited %d, want 2:\n%s", code, tail(out, 40))
	}
	for _, want := range []string{`pbx_user.u["4000"] will be updated in-place`, `pbx_user.u["4001"] will be updated in-place`, `"Person Zero"`, `"999" -> ""`} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not show %s:\n%s", want, tail(out, 60))
		}
	}
	if n := strings.Count(out, "will be updated in-place"); n != 2 {
		t.Errorf("%d users planned for update, want 2 (4000, 4001):\n%s", n, tail(out, 60))
	}
	check("plan with drift")

	s.mustApply("-parallelism=50")
	s.counts()
	if out, code := s.planExit("-parallelism=50"); code != 0 {
		t.Fatalf("plan after repair exited %d, want 0:\n%s", code, tail(out, 40))
	}
	check("plan after repair")
}

// storedName is the name the PBX holds for a number.
func (s *stack) storedName(number string) string {
	s.t.Helper()
	u, ok := s.mock.UserByNumber(number)
	if !ok {
		s.t.Fatalf("no user %s on the mock", number)
	}
	return fmt.Sprint(u["name"])
}

const linkedUser = `
resource "pbx_user" "reception" {
  number         = "500"
  secret         = "reception-secret"
  directory_uuid = "E0000000-0000-4000-8000-000000000000"
}
`

// TestSavedPlanAppliesReviewed: the entry changes between plan -out and apply:
// the saved plan applies the reviewed value and the next plan shows the newer
// one. A -refresh=false plan agrees with the last refresh.
func TestSavedPlanAppliesReviewed(t *testing.T) {
	s := newStack(t, mockpbx.Config{RandSeed: 3, Directory: []map[string]any{{"uuid": person(0), "name": "Alice"}}}, linkedUser)
	s.mustApply()
	rename := func(name string) {
		s.must(s.mock.PutDirectoryEntry(person(0), map[string]any{"name": name}))
	}

	rename("Alice Reviewed")
	if out, code := s.planExit("-out=reviewed.tfplan"); code != 2 || !strings.Contains(out, `"Alice" -> "Alice Reviewed"`) {
		t.Fatalf("plan -out exited %d, want 2 with the rename:\n%s", code, tail(out, 40))
	}
	rename("Alice Later")
	// The state recorded the reviewed refresh only in the plan: without a
	// refresh, the plan is what the last apply left.
	if out, code := s.planExit("-refresh=false"); code != 0 {
		t.Fatalf("plan -refresh=false exited %d, want 0:\n%s", code, tail(out, 40))
	}
	if out, code := s.terraform(nil, "apply", "-input=false", "-no-color", "reviewed.tfplan"); code != 0 {
		t.Fatalf("apply of the saved plan exited %d, want 0:\n%s", code, tail(out, 40))
	}
	if got := s.storedName("500"); got != "Alice Reviewed" {
		t.Fatalf("the PBX holds %q after the saved plan, want the reviewed %q", got, "Alice Reviewed")
	}
	if out, code := s.planExit("-refresh=false"); code != 0 {
		t.Fatalf("plan -refresh=false after apply exited %d, want 0:\n%s", code, tail(out, 40))
	}
	if out, code := s.planExit(); code != 2 || !strings.Contains(out, `"Alice Reviewed" -> "Alice Later"`) {
		t.Fatalf("plan after the saved apply exited %d, want 2 with the later rename:\n%s", code, tail(out, 40))
	}
}

// TestDirectoryValueValidated: a name with a line break arriving from the
// intercom fails the plan, naming the user, the entry and the field, and
// nothing is written to the PBX.
func TestDirectoryValueValidated(t *testing.T) {
	s := newStack(t, mockpbx.Config{RandSeed: 5, Directory: []map[string]any{{"uuid": person(0), "name": "Alice"}}}, linkedUser)
	s.mustApply()
	s.must(s.mock.PutDirectoryEntry(person(0), map[string]any{"name": "Mallory\ncontext=evil"}))
	s.counts()
	for _, args := range [][]string{{"plan", "-detailed-exitcode"}, {"apply", "-auto-approve"}} {
		out, code := s.terraform(nil, append(args, "-input=false", "-no-color")...)
		if code != 1 {
			t.Fatalf("terraform %s exited %d, want 1:\n%s", args[0], code, tail(out, 40))
		}
		flat := strings.Join(strings.Fields(out), " ")
		for _, want := range []string{"Directory entry " + person(0) + " has an invalid name", "PBX user number 500", "must not contain line breaks", "Nothing was written to the PBX"} {
			if !strings.Contains(flat, want) {
				t.Errorf("terraform %s does not say %q:\n%s", args[0], want, tail(out, 40))
			}
		}
	}
	if got := s.counts(); got["users/update"] != 0 || got["users/add"] != 0 {
		t.Errorf("writes reached the PBX: %v", got)
	}
	if got := s.storedName("500"); got != "Alice" {
		t.Errorf("the PBX holds %q, want %q", got, "Alice")
	}
	if regexp.MustCompile(`context=evil`).MatchString(fmt.Sprint(s.users())) {
		t.Error("the injected line reached the PBX")
	}
}
