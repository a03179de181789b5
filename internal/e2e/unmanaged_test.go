package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// claimConfig is the check of examples/demo: the configuration claims the
// extensions 200-299 and the entries of owner pbx-team; managed lists the
// numbers of its pbx_user resources (an HCL expression).
func claimConfig(managedNumbers, managedEntries string) string {
	return fmt.Sprintf(`
data "pbx_users" "claimed" {
  number_min = "200"
  number_max = "299"
}

data "pbx_directory_entries" "claimed" {
  owner = "pbx-team"
}

locals {
  managed_numbers   = %s
  managed_entries   = %s
  unmanaged_users   = [for n, u in data.pbx_users.claimed.users : "${n} ${jsonencode(u.name)}" if !contains(local.managed_numbers, n)]
  unmanaged_entries = [for id, e in data.pbx_directory_entries.claimed.entries : "${id} ${jsonencode(e.name)}" if !contains(local.managed_entries, upper(id))]
}

check "nothing_unmanaged" {
  assert {
    condition     = length(local.unmanaged_users) == 0
    error_message = "Unmanaged extensions: ${join(", ", local.unmanaged_users)}."
  }
  assert {
    condition     = length(local.unmanaged_entries) == 0
    error_message = "Unmanaged directory entries: ${join(", ", local.unmanaged_entries)}."
  }
}
`, managedNumbers, managedEntries)
}

const branchModule = `
terraform {
  required_providers {
    pbx = { source = "pbx-iac/pbx" }
  }
}

resource "pbx_user" "desk" {
  number = "210"
  name   = "Branch desk"
  secret = "branch-sip-secret"
}

output "numbers" {
  value = [pbx_user.desk.number]
}
`

// TestGitOpsUnmanaged: extensions created in the panel inside the claimed
// range and a directory entry of the claimed owner are reported as
// unmanaged by the check block (a warning in the plan) and by
// drift-check.sh (exit 3, with the import commands); the users managed
// with for_each and in a module, the managed entry and everything outside
// the claim are not. With drift as well, the check exits 2 and reports both.
func TestGitOpsUnmanaged(t *testing.T) {
	const visitor = "0A0B0C0D-0000-4000-8000-000000000009"
	s := newStack(t, mockpbx.Config{}, `
provider "pbx" {}

resource "pbx_user" "staff" {
  for_each = { alice = "201", bob = "202" }
  number   = each.value
  name     = each.key
  secret   = "staff-sip-secret-${each.value}"
}

module "branch" {
  source = "./branch"
}

resource "pbx_directory_entry" "lobby" {
  name  = "Lobby"
  owner = "pbx-team"
}
`+claimConfig(`concat([for u in pbx_user.staff : u.number], module.branch.numbers)`, `[upper(pbx_directory_entry.lobby.uuid)]`))
	writeFile(t, filepath.Join(s.dir, "branch", "main.tf"), branchModule)
	script, pathDir := copyDriftCheck(t, terraform)
	check := func() (string, int) {
		t.Helper()
		return s.run([]string{"PATH=" + pathDir}, script, s.dir)
	}
	if out, code := s.terraform(nil, "get", "-no-color"); code != 0 {
		t.Fatalf("terraform get (the module) exited %d:\n%s", code, out)
	}
	s.mustApply()
	if out, code := s.planExit(); code != 0 || strings.Contains(out, "Unmanaged") {
		t.Fatalf("plan before the panel edits exited %d:\n%s", code, out)
	}
	if out, code := check(); code != 0 {
		t.Fatalf("drift check before the panel edits exited %d:\n%s", code, out)
	}

	// In the panels: three extensions in the claimed range, one outside it,
	// an entry of the claimed owner and one of another.
	for _, u := range []map[string]any{
		{"name": "Fax", "number": "250", "secret": "panel-secret-250"},
		{"name": "Kiosk", "number": "260", "secret": "panel-secret-260"},
		{"name": "Spare", "number": "299", "secret": "panel-secret-299"},
		{"name": "Outside", "number": "300", "secret": "panel-secret-300"},
	} {
		s.must(s.mock.CreateUser(u))
	}
	s.must(s.mock.PutDirectoryEntry(visitor, map[string]any{"name": "Visitor", "owner": "pbx-team"}))
	s.must(s.mock.PutDirectoryEntry("0A0B0C0D-0000-4000-8000-00000000000A", map[string]any{"name": "Cloud", "owner": "My2N"}))

	out, code := s.planExit()
	flat := strings.Join(strings.Fields(out), " ")
	if code != 0 || !strings.Contains(flat, `Unmanaged extensions: 250 "Fax", 260 "Kiosk", 299 "Spare".`) ||
		!strings.Contains(flat, `Unmanaged directory entries: `+visitor+` "Visitor".`) {
		t.Fatalf("plan after the panel edits exited %d, want 0 with the check's warnings:\n%s", code, out)
	}

	out, code = check()
	if code != 3 {
		t.Fatalf("drift check with unmanaged objects exited %d, want 3:\n%s", code, out)
	}
	for _, want := range []string{
		"No drift: the devices match the configuration.\n\nUnmanaged objects: 3 extensions and 1 directory entry",
		"  ? extension 250 \"Fax\" (claimed by data.pbx_users.claimed)\n      terraform import 'pbx_user.ext_250' number:250\n",
		"  ? extension 260 \"Kiosk\"", "  ? extension 299 \"Spare\"",
		"  ? directory entry " + visitor + " \"Visitor\" (claimed by data.pbx_directory_entries.claimed)\n" +
			"      terraform import 'pbx_directory_entry.entry_0a0b0c0d_0000_4000_8000_000000000009' " + visitor + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, managed := range []string{"extension 201", "extension 202", "extension 210", "extension 300", "Lobby", "Cloud", "panel-secret"} {
		if strings.Contains(out, managed) {
			t.Errorf("report names %q:\n%s", managed, out)
		}
	}

	// Adopt the fax with the printed command: it is no longer reported.
	tf := strings.TrimPrefix(mustRead(t, filepath.Join(s.dir, "main.tf")), providerBlock)
	s.writeConfig(strings.Replace(tf, "module.branch.numbers)", "module.branch.numbers, [pbx_user.ext_250.number])", 1) + `
resource "pbx_user" "ext_250" {
  number = "250"
  name   = "Fax"
}
`)
	if out, code := s.terraform(nil, "import", "-input=false", "-no-color", "pbx_user.ext_250", "number:250"); code != 0 {
		t.Fatalf("import exited %d:\n%s", code, out)
	}
	// Drift too: exit 2, both sections.
	s.must(s.mock.PatchUser(s.userID("201"), map[string]any{"name": "Alice (panel)"}))
	out, code = check()
	if code != 2 || !strings.Contains(out, "Drift detected: 1 resource(s)") || !strings.Contains(out, "Unmanaged objects: 2 extensions and 1 directory entry") ||
		strings.Contains(out, "extension 250") {
		t.Fatalf("drift check with drift and unmanaged objects exited %d, want 2 with both sections and 250 adopted:\n%s", code, out)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGitOpsUnmanagedThousandUsers: 1000 users on the PBX, 999 managed with
// for_each and claimed by a pbx_users data source. One run of drift-check.sh
// (one terraform plan) reports the one unmanaged extension, and the plan sends
// one users/search for the 999 refreshes and the data source, and nothing else.
func TestGitOpsUnmanagedThousandUsers(t *testing.T) {
	const n = 1000
	users := make([]map[string]any, n)
	var resources []any
	for i := range n {
		number := fmt.Sprint(2000 + i)
		id := fmt.Sprintf("%024x", 0xabc000+i)
		users[i] = map[string]any{"_id": id, "name": "User " + number, "number": number, "secret": "thousand-secret"}
		if i < n-1 {
			resources = append(resources, map[string]any{"index_key": number, "schema_version": 0, "attributes": importedUserState(id, number, "User "+number)})
		} else {
			users[i]["name"] = "Not in code"
		}
	}
	s := newStack(t, mockpbx.Config{Users: users}, `
provider "pbx" {}

resource "pbx_user" "staff" {
  for_each = toset([for i in range(2000, 2999) : tostring(i)])
  number   = each.key
  name     = "User ${each.key}"
}

data "pbx_users" "claimed" {
  number_prefix = "2"
}

locals {
  managed   = toset([for u in pbx_user.staff : u.number])
  unmanaged = [for n, u in data.pbx_users.claimed.users : "${n} ${jsonencode(u.name)}" if !contains(local.managed, n)]
}

check "nothing_unmanaged" {
  assert {
    condition     = length(local.unmanaged) == 0
    error_message = "Unmanaged extensions: ${join(", ", local.unmanaged)}."
  }
}
`)
	state, err := json.Marshal(map[string]any{
		"version": 4, "terraform_version": "1.5.7", "serial": 1, "lineage": "1d9e2c43-0000-4000-8000-000000000999", "outputs": map[string]any{},
		"resources": []any{map[string]any{"mode": "managed", "type": "pbx_user", "name": "staff", "each": "map",
			"provider": `provider["registry.terraform.io/pbx-iac/pbx"]`, "instances": resources}},
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(s.dir, "terraform.tfstate"), string(state))
	script, pathDir := copyDriftCheck(t, terraform)

	s.mock.ResetRequestCounts()
	out, code := s.run([]string{"PATH=" + pathDir}, script, s.dir)
	if code != 3 || !strings.Contains(out, "No drift: the devices match the configuration.") ||
		!strings.Contains(out, "Unmanaged objects: 1 extension and 0 directory entries") ||
		!strings.Contains(out, "  ? extension 2999 \"Not in code\" (claimed by data.pbx_users.claimed)\n      terraform import 'pbx_user.ext_2999' number:2999\n") ||
		strings.Count(out, "? extension") != 1 {
		t.Fatalf("drift check exited %d, want 3 naming 2999 only:\n%s", code, out)
	}
	counts := s.mock.RequestCounts()
	if counts["users/search"] != 1 {
		t.Errorf("the plan sent %d users/search for 999 refreshes and the data source, want 1 (counts %v)", counts["users/search"], counts)
	}
	for endpoint, c := range counts {
		if endpoint != "users/search" && c != 0 {
			t.Errorf("the plan sent %d %s", c, endpoint)
		}
	}
}

// importedUserState is the state of a pbx_user imported without a secret,
// with the PBX's defaults.
func importedUserState(id, number, name string) map[string]any {
	return map[string]any{
		"id": id, "number": number, "name": name, "secret": nil, "secret_wo": nil, "secret_wo_version": nil,
		"user_type": "SIP", "active": true, "cid_number": "", "call_record": false, "push_notification": false,
		"deny": "0.0.0.0/0.0.0.0", "permit": "0.0.0.0/0.0.0.0", "dtmfmode": "rfc2833", "canreinvite": false, "directmedia": false,
		"context": "main_routing", "host": "dynamic", "type": "user", "nat": "no", "port": 5060, "qualify": false,
		"callgroup": "1", "pickupgroup": "1", "callcounter": false, "faxdetect": false, "call_limit": nil, "trunk": false,
		"transfer": false, "email": "", "forward_policy": map[string]any{"busy": "", "no_answer": "", "unavailable": "", "all": ""},
		"more_options": "", "directory_uuid": nil, "directory_timestamp": nil, "directory_series": nil,
	}
}

// TestGitOpsUnmanagedReport runs the copied drift-check.sh with a stand-in
// terraform and JSON plans: claims and managed objects found in child
// modules, at for_each addresses and in the plan only; data sources that
// claim nothing ignored; the exit codes.
func TestGitOpsUnmanagedReport(t *testing.T) {
	stub := filepath.Join(t.TempDir(), "terraform")
	writeFile(t, stub, "#!/usr/bin/env bash\ncase $2 in\nplan) exit \"$PLAN_EXIT\" ;;\nshow) cat \"$PLAN_JSON\" ;;\nesac\n")
	if err := os.Chmod(stub, 0o755); err != nil {
		t.Fatal(err)
	}
	script, pathDir := copyDriftCheck(t, stub)
	users := func(numbers ...string) string {
		var parts []string
		for _, n := range numbers {
			parts = append(parts, fmt.Sprintf(`%q: {"name": "N%s"}`, n, n))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	user := func(addr, number string) string {
		return fmt.Sprintf(`{"address": %q, "mode": "managed", "type": "pbx_user", "values": {"number": %q, "secret": "never-printed"}}`, addr, number)
	}
	plan := `{
  "prior_state": {"values": {"root_module": {
    "resources": [
      ` + user(`pbx_user.staff["a"]`, "201") + `,
      {"address": "data.pbx_users.claimed", "mode": "data", "type": "pbx_users", "values": {"users": ` + users("201", "202", "203", "250") + `}},
      {"address": "data.pbx_directory_entries.read", "mode": "data", "type": "pbx_directory_entries", "values": {"owner": null, "entries": {"AAAA0000-0000-4000-8000-000000000001": {"name": "Read only"}}}},
      {"address": "data.pbx_directory_entries.claimed", "mode": "data", "type": "pbx_directory_entries", "values": {"owner": "t", "entries": {
        "bbbb0000-0000-4000-8000-000000000002": {"name": "Managed"}, "CCCC0000-0000-4000-8000-000000000003": {"name": "Stray"}}}}
    ],
    "child_modules": [{"address": "module.a", "resources": [` + user("module.a.pbx_user.x", "202") + `],
      "child_modules": [{"address": "module.a.module.b", "resources": [
        {"address": "module.a.module.b.pbx_directory_entry.e", "mode": "managed", "type": "pbx_directory_entry", "values": {"uuid": "BBBB0000-0000-4000-8000-000000000002"}}]}]}]
  }}},
  "planned_values": {"root_module": {"resources": [` + user("pbx_user.new", "203") + `]}}
}`
	for _, tc := range []struct {
		name          string
		planExit      int
		plan          string
		wantExit      int
		want, wantNot []string
	}{
		{name: "unmanaged", plan: plan, wantExit: 3,
			want: []string{"No drift: the devices match the configuration.\n\nUnmanaged objects: 1 extension and 1 directory entry inside what the configuration claims",
				"  ? extension 250 \"N250\" (claimed by data.pbx_users.claimed)\n      terraform import 'pbx_user.ext_250' number:250\n",
				"  ? directory entry CCCC0000-0000-4000-8000-000000000003 \"Stray\" (claimed by data.pbx_directory_entries.claimed)\n"},
			wantNot: []string{"extension 201", "extension 202", "extension 203", "Managed", "Read only", "never-printed"}},
		{name: "nothing unmanaged", plan: `{"prior_state": {"values": {"root_module": {"resources": [
      {"address": "data.pbx_users.claimed", "mode": "data", "type": "pbx_users", "values": {"users": {}}}]}}}}`, wantExit: 0,
			want: []string{"No drift: the devices match the configuration.\n"}, wantNot: []string{"Unmanaged"}},
		{name: "no state yet", plan: `{}`, wantExit: 0, wantNot: []string{"Unmanaged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "plan.json"), tc.plan)
			cmd := exec.Command(script, "config")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + pathDir, "PLAN_EXIT=" + fmt.Sprint(tc.planExit), "PLAN_JSON=" + filepath.Join(dir, "plan.json")}
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tc.wantExit {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.wantExit, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for _, not := range tc.wantNot {
				if strings.Contains(string(out), not) {
					t.Errorf("output contains %q:\n%s", not, out)
				}
			}
		})
	}
}
