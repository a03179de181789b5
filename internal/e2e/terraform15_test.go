package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// envRequireOldTerraform, set by `make test-tf15`, turns the skip of
// TestTerraform15Lifecycle on a Terraform 1.11 or later into a failure.
const envRequireOldTerraform = "PBX_TEST_REQUIRE_OLD_TERRAFORM"

// olderThan1_11 reports whether the Terraform under test is older than 1.11
// (no write-only arguments), and its version.
func olderThan1_11(t *testing.T) (bool, string) {
	t.Helper()
	v, err := terraformVersion()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(v, ".", 3)
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := 0, error(nil)
	if len(parts) > 1 {
		minor, err2 = strconv.Atoi(parts[1])
	}
	if err1 != nil || err2 != nil || len(parts) < 2 {
		t.Fatalf("cannot read the Terraform version %q", v)
	}
	return major == 0 || (major == 1 && minor < 11), v
}

// TestTerraform15Lifecycle: on a Terraform before 1.11 (CI: 1.5.7, the last
// MPL release, through `make test-tf15`) the provider works: create users and
// a directory entry with a user that follows it, an empty plan, drift of a
// user and of the entry through a saved plan, an import block, destroy. A
// secret_wo fails the plan with the framework's message and writes nothing.
func TestTerraform15Lifecycle(t *testing.T) {
	if skipMessage != "" {
		t.Skip(skipMessage)
	}
	old, version := olderThan1_11(t)
	if !old {
		msg := fmt.Sprintf("Terraform %s is 1.11 or later: this test is for older ones; `make test-tf15` runs it with Terraform 1.5.7", version)
		if os.Getenv(envRequireOldTerraform) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Logf("Terraform %s", version)
	const uuid = "C0FFEE00-0000-4000-8000-000000000015"
	config := func(name string) string {
		return fmt.Sprintf(`
provider "pbx" {}

resource "pbx_user" "a" {
  number = "5101"
  name   = %q
  secret = "tf15-secret-a"
}

resource "pbx_user" "b" {
  number      = "5102"
  name        = "TF15 B"
  secret      = "tf15-secret-b"
  nat         = "yes"
  call_record = true
}

resource "pbx_directory_entry" "desk" {
  name  = "TF15 Desk"
  email = "desk@example.com"
  owner = "tf15"
}

resource "pbx_user" "desk" {
  number         = "5103"
  secret         = "tf15-secret-desk"
  directory_uuid = pbx_directory_entry.desk.uuid
}

resource "pbx_directory_entry" "hall" {
  name  = "TF15 Hall"
  owner = "tf15"
}

data "pbx_directory_entry" "lobby" {
  uuid = %q
}
`, name, uuid)
	}
	s := newStack(t, mockpbx.Config{Directory: []map[string]any{{"uuid": uuid, "name": "Lobby"}}}, config("TF15 A"))
	stored := func(number, field string) string {
		u, _ := s.mock.UserByNumber(number)
		return fmt.Sprint(u[field])
	}
	planEmpty := func(when string) {
		t.Helper()
		if out, code := s.planExit(); code != 0 {
			t.Fatalf("plan %s exited %d, want 0:\n%s", when, code, out)
		}
	}

	s.mustApply()
	if stored("5101", "secret") != "tf15-secret-a" || stored("5103", "name") != "TF15 Desk" {
		t.Errorf("the PBX does not hold the configuration: %v", s.users())
	}
	planEmpty("after create")

	// Drift of a user and of an entry in the panels; a saved plan puts both back.
	s.must(s.mock.PatchUser(s.userID("5102"), map[string]any{"nat": "no", "name": "B (panel)"}))
	hallUUID := ""
	for _, e := range s.mock.DirectoryEntries() {
		if e["name"] == "TF15 Hall" {
			hallUUID = fmt.Sprint(e["uuid"])
		}
	}
	if hallUUID == "" {
		t.Fatalf("the directory has no TF15 Hall entry")
	}
	s.must(s.mock.PutDirectoryEntry(hallUUID, map[string]any{"name": "Hall (panel)"}))
	s.writeConfig(config("TF15 A renamed"))
	out, code := s.planExit("-out=drift.tfplan")
	if code != 2 || !strings.Contains(out, "3 to change") {
		t.Fatalf("plan after drift and a rename exited %d, want 2 with 3 changes:\n%s", code, out)
	}
	s.mustApply("drift.tfplan")
	if stored("5101", "name") != "TF15 A renamed" || stored("5102", "nat") != "yes" || stored("5102", "name") != "TF15 B" {
		t.Errorf("the saved plan did not restore the users: %v", s.users())
	}
	if e, _ := s.mock.DirectoryEntry(hallUUID); e["name"] != "TF15 Hall" {
		t.Errorf("the saved plan did not restore the entry: %v", e)
	}
	planEmpty("after the saved plan")

	// Import block (Terraform 1.5+) without a secret: nothing to change.
	idB := s.userID("5102")
	if out, code := s.terraform(nil, "state", "rm", "pbx_user.b"); code != 0 {
		t.Fatalf("state rm: %s", out)
	}
	s.writeConfig(strings.Replace(config("TF15 A renamed"), "  secret      = \"tf15-secret-b\"\n", "", 1) + `
import {
  to = pbx_user.b
  id = "number:5102"
}
`)
	if out := s.mustApply(); !strings.Contains(out, "1 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("the import apply did more than import:\n%s", out)
	}
	if got, _ := s.terraform(nil, "state", "show", "-no-color", "pbx_user.b"); !strings.Contains(got, idB) {
		t.Errorf("the imported state is not user %s:\n%s", idB, got)
	}

	// secret_wo needs Terraform 1.11: a clear error, nothing written.
	s.mock.ResetRequestCounts()
	s.writeConfig(config("TF15 A renamed") + `
variable "wo_secret" {
  type      = string
  sensitive = true
}

resource "pbx_user" "wo" {
  number            = "5104"
  name              = "TF15 WO"
  secret_wo         = var.wo_secret
  secret_wo_version = 1
}
`)
	out, code = s.terraform([]string{"TF_VAR_wo_secret=tf15-secret-wo"}, "apply", "-auto-approve", "-input=false", "-no-color")
	if code != 1 || !strings.Contains(strings.Join(strings.Fields(out), " "), "Write-only attributes are only supported in Terraform 1.11 and later") {
		t.Errorf("secret_wo on Terraform %s: apply exited %d, want 1 with the write-only message:\n%s", version, code, out)
	}
	if counts := s.mock.RequestCounts(); counts["users/add"]+counts["users/update"]+counts["users/remove"] != 0 {
		t.Errorf("the refused secret_wo wrote to the PBX: %v", counts)
	}
	if _, ok := s.mock.UserByNumber("5104"); ok {
		t.Error("user 5104 exists on the PBX")
	}
	if strings.Contains(out, "tf15-secret-wo") {
		t.Errorf("the error shows the write-only secret:\n%s", out)
	}

	s.writeConfig(config("TF15 A renamed"))
	if out, code := s.terraform(nil, "destroy", "-auto-approve", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("destroy exited %d:\n%s", code, out)
	}
	if n := len(s.users()); n != 0 {
		t.Errorf("%d users left on the PBX after destroy", n)
	}
}
