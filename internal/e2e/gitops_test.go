package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// baseTools are the commands drift-check.sh needs besides terraform and jq.
var baseTools = []string{"bash", "cat", "mktemp", "rm"}

// copyDriftCheck copies examples/gitops/drift-check.sh alone into a new
// directory outside the checkout, as a user copies it into a configuration
// repository, and returns its path and a PATH directory holding only
// terraformPath (as terraform), jq and baseTools.
func copyDriftCheck(t *testing.T, terraformPath string) (script, pathDir string) {
	t.Helper()
	tools := map[string]string{"terraform": terraformPath}
	for _, name := range append([]string{"jq"}, baseTools...) {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the drift check needs %s: %v", name, err)
			}
			t.Skipf("the drift check needs %s: %v", name, err)
		}
		tools[name] = p
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "gitops", "drift-check.sh"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	script = filepath.Join(work, "repo", "drift-check.sh")
	writeFile(t, script, string(src))
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	pathDir = filepath.Join(work, "bin")
	if err := os.Mkdir(pathDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range tools {
		if err := os.Symlink(target, filepath.Join(pathDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return script, pathDir
}

// TestGitOpsDriftCheck runs drift-check.sh copied alone outside the checkout,
// with only terraform, jq and the base tools on PATH: exit 0 without drift,
// exit 2 with a report naming the users, the fields and the directory entry
// after edits made "in the web panel", never a secret.
func TestGitOpsDriftCheck(t *testing.T) {
	const uuid = "A11CE000-0000-4000-8000-000000000001"
	s := newStack(t, mockpbx.Config{
		Directory: []map[string]any{{"uuid": uuid, "name": "Alice", "email": "alice@example.com"}},
	}, fmt.Sprintf(`
provider "pbx" {}
resource "pbx_user" "alice" {
  number         = "201"
  secret         = "alice-sip-secret"
  directory_uuid = %q
}
resource "pbx_user" "bob" {
  number = "202"
  name   = "Bob"
  secret = "bob-sip-secret"
}
`, uuid))
	script, pathDir := copyDriftCheck(t, terraform)
	reportFile := filepath.Join(t.TempDir(), "drift-report.txt")
	check := func() (string, int) {
		t.Helper()
		return s.run([]string{"PATH=" + pathDir, "DRIFT_REPORT=" + reportFile}, script, s.dir)
	}

	s.mustApply()
	if out, code := check(); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("drift check without drift exited %d:\n%s", code, out)
	}

	// Someone edits Bob in the web panel and renames Alice's directory entry.
	s.must(s.mock.PatchUser(s.userID("202"), map[string]any{"name": "Bob (panel)", "call_record": "yes"}))
	s.must(s.mock.PutDirectoryEntry(uuid, map[string]any{"name": "Alice Smith"}))

	out, code := check()
	if code != 2 {
		t.Fatalf("drift check with drift exited %d, want 2:\n%s", code, out)
	}
	for _, want := range []string{
		"Drift detected: 2 resource(s)",
		"~ pbx_user.bob (update)", `name: "Bob (panel)" -> "Bob"`, "call_record: true -> false",
		"edited outside Terraform: call_record, name\n",
		"~ pbx_user.alice (update)", `name: "Alice" -> "Alice Smith"`, "directory entry " + uuid + " changed (timestamp ",
		uuid + " (linked from pbx_user.alice)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"alice-sip-secret", "bob-sip-secret", e2ePassword, e2eAPIKey} {
		if strings.Contains(out, secret) {
			t.Errorf("report leaks %q", secret)
		}
	}
	if saved, err := os.ReadFile(reportFile); err != nil || string(saved) != out {
		t.Errorf("DRIFT_REPORT file (err %v) differs from the printed report:\n%s", err, saved)
	}

	// Applying restores the device; the check is clean again.
	s.mustApply()
	if out, code := check(); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("drift check after apply exited %d:\n%s", code, out)
	}
}

// driftPlan is a JSON plan (`terraform show -json`) with every kind of change
// the report describes; the secrets in it must never be printed.
const driftPlan = `{
  "resource_drift": [
    {"address": "pbx_user.alice", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Alice", "call_record": true, "secret": "hunter2"},
       "after":  {"name": "Alice (edited in web panel)", "call_record": false, "secret": "hunter2"},
       "before_sensitive": {"secret": true}, "after_sensitive": {"secret": true}}},
    {"address": "pbx_user.gone", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["delete"], "before": {"name": "Gone", "secret": "gone-secret"}, "after": null,
       "before_sensitive": {"secret": true}}},
    {"address": "pbx_user.dana", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Dana", "directory_uuid": "D0D00000-0000-4000-8000-000000000004", "directory_timestamp": 4, "directory_series": "1"},
       "after":  {"name": "Dana", "directory_uuid": "D0D00000-0000-4000-8000-000000000004", "directory_timestamp": 9, "directory_series": "1"}}}
  ],
  "resource_changes": [
    {"address": "pbx_user.alice", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Alice (edited in web panel)", "call_record": false, "secret": "old-secret", "directory_uuid": null,
                  "forward_policy": {"busy": "300", "all": "pin-1234"}},
       "after":  {"name": "Alice", "call_record": true, "secret": "new-secret", "directory_uuid": null,
                  "forward_policy": {"busy": "301", "all": "pin-5678"}},
       "before_sensitive": {"secret": true, "forward_policy": {"all": true}},
       "after_sensitive": {"secret": true, "forward_policy": {"all": true}}, "after_unknown": {}}},
    {"address": "pbx_user.bob", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Bob", "directory_uuid": "B0B00000-0000-4000-8000-000000000002", "directory_timestamp": 3, "directory_series": "1"},
       "after":  {"name": "Bobby", "directory_uuid": "B0B00000-0000-4000-8000-000000000002", "directory_timestamp": 7, "directory_series": "1"},
       "before_sensitive": {}, "after_sensitive": {}, "after_unknown": {}}},
    {"address": "pbx_user.carol", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Carol", "directory_uuid": "C0C00000-0000-4000-8000-000000000003", "directory_timestamp": 3, "directory_series": "1"},
       "after":  {"name": "Carol", "directory_uuid": "C0C00000-0000-4000-8000-000000000003", "directory_timestamp": 1, "directory_series": "2"},
       "before_sensitive": {}, "after_sensitive": {}, "after_unknown": {}}},
    {"address": "pbx_user.dana", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Dana", "directory_uuid": "D0D00000-0000-4000-8000-000000000004", "directory_timestamp": 9, "directory_series": "1"},
       "after":  {"name": "Dana Smith", "directory_uuid": "D0D00000-0000-4000-8000-000000000004", "directory_timestamp": 9, "directory_series": "1"},
       "before_sensitive": {}, "after_sensitive": {}, "after_unknown": {}}},
    {"address": "pbx_user.gone", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["create"], "before": null, "after": {"name": "Gone", "secret": "gone-secret"},
       "after_sensitive": {"secret": true}, "after_unknown": {"id": true}}},
    {"address": "pbx_user.old", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["delete"], "before": {"name": "Old"}, "after": null}},
    {"address": "pbx_user.moved", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["delete", "create"], "before": {"id": "a1", "number": "205"}, "after": {"number": "206"},
       "after_unknown": {"id": true}}},
    {"address": "pbx_user.erin", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["no-op"], "before": {"name": "Erin"}, "after": {"name": "Erin"}}},
    {"address": "data.pbx_directory_entry.x", "mode": "data", "type": "pbx_directory_entry",
     "change": {"actions": ["read"], "before": null, "after": {"fields_json": "{\"pin\":\"dir-secret\"}"}}}
  ]
}`

// TestGitOpsDriftReport runs the copied drift-check.sh with a stand-in
// terraform that answers plan with an exit code and show with a JSON plan:
// the jq report for every kind of change, and the exit codes.
func TestGitOpsDriftReport(t *testing.T) {
	stub := filepath.Join(t.TempDir(), "terraform")
	writeFile(t, stub, "#!/usr/bin/env bash\n"+
		"# Stand-in terraform: -chdir=DIR plan|show ...\n"+
		"case $2 in\n"+
		"plan) echo \"plan output\"; exit \"$PLAN_EXIT\" ;;\n"+
		"show) cat \"$PLAN_JSON\" ;;\n"+
		"esac\n")
	if err := os.Chmod(stub, 0o755); err != nil {
		t.Fatal(err)
	}
	script, pathDir := copyDriftCheck(t, stub)

	for _, tc := range []struct {
		name     string
		planExit int
		plan     string
		wantExit int
		want     []string
		wantNot  []string
	}{
		{
			name: "clean", planExit: 0, wantExit: 0,
			want: []string{"No drift: the devices match the configuration.\n"},
		},
		{
			name: "drift", planExit: 2, plan: driftPlan, wantExit: 2,
			want: []string{
				"Drift detected: 7 resource(s) differ from the configuration.\n",
				"  ~ pbx_user.alice (update)\n      call_record: false -> true\n      forward_policy: (sensitive value)\n" +
					"      name: \"Alice (edited in web panel)\" -> \"Alice\"\n      secret: (sensitive value)\n" +
					"      edited outside Terraform: call_record, name\n",
				"  ~ pbx_user.bob (update)\n      name: \"Bob\" -> \"Bobby\"\n" +
					"      directory entry B0B00000-0000-4000-8000-000000000002 changed (timestamp 3 -> 7)\n",
				"  ~ pbx_user.carol (update)\n" +
					"      directory entry C0C00000-0000-4000-8000-000000000003 changed (directory reset: series \"1\" -> \"2\")\n",
				// The refresh recorded the entry's new timestamp; the plan follows its name.
				"  ~ pbx_user.dana (update)\n      name: \"Dana\" -> \"Dana Smith\"\n" +
					"      directory entry D0D00000-0000-4000-8000-000000000004 changed (timestamp 4 -> 9)\n  + pbx_user.gone",
				"  + pbx_user.gone (create)\n      missing on the device, will be created\n  - pbx_user.old",
				"  - pbx_user.old (delete)\n      will be deleted\n",
				"  ± pbx_user.moved (delete+create)\n      id: \"a1\" -> (known after apply)\n      number: \"205\" -> \"206\"\n",
				"\nDirectory entries that changed:\n" +
					"  B0B00000-0000-4000-8000-000000000002 (linked from pbx_user.bob)\n" +
					"  C0C00000-0000-4000-8000-000000000003 (linked from pbx_user.carol)\n" +
					"  D0D00000-0000-4000-8000-000000000004 (linked from pbx_user.dana)\n",
				"\nRun `terraform apply` to bring the devices back to the configuration",
			},
			wantNot: []string{"hunter2", "old-secret", "new-secret", "pin-1234", "pin-5678", "gone-secret", "dir-secret",
				"pbx_user.erin", "data.pbx_directory_entry", "plan output"},
		},
		{
			name: "outputs only", planExit: 2, plan: `{"resource_changes": [{"address": "pbx_user.a", "mode": "managed", "change": {"actions": ["no-op"]}}]}`,
			wantExit: 2, want: []string{"No drift in the devices, but the plan has other changes (outputs)"},
		},
		{
			name: "plan fails", planExit: 1, wantExit: 1,
			want: []string{"drift check failed: terraform plan exited 1\nplan output\n"},
		},
		{
			name: "unreadable plan", planExit: 2, plan: "<html>", wantExit: 1,
			want: []string{"drift check failed: jq could not read the JSON plan"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			planFile := filepath.Join(dir, "plan.json")
			writeFile(t, planFile, tc.plan)
			reportFile := filepath.Join(dir, "report.txt")
			cmd := exec.Command(script, "config")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + pathDir, "PLAN_EXIT=" + fmt.Sprint(tc.planExit), "PLAN_JSON=" + planFile, "DRIFT_REPORT=" + reportFile}
			out, err := cmd.CombinedOutput()
			if cmd.ProcessState == nil {
				t.Fatalf("drift-check.sh did not start: %v", err)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.wantExit {
				t.Fatalf("exit %d (%v), want %d:\n%s", code, err, tc.wantExit, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for _, leak := range tc.wantNot {
				if strings.Contains(string(out), leak) {
					t.Errorf("output contains %q:\n%s", leak, out)
				}
			}
			saved, err := os.ReadFile(reportFile)
			switch {
			case tc.wantExit == 1 && err == nil:
				t.Errorf("a failed check wrote a report:\n%s", saved)
			case tc.wantExit != 1 && string(saved) != string(out):
				t.Errorf("DRIFT_REPORT file (err %v) differs from the output:\n%s", err, saved)
			}
		})
	}
}
