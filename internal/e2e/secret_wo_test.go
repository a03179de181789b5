package e2e

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// writeOnlyConfig takes the secret from an ephemeral variable (Terraform
// 1.10+), so that Terraform itself keeps it out of the plan file too.
const writeOnlyConfig = `
variable "sip_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "sip_secret_version" {
  type = number
}

resource "pbx_user" "wo" {
  number            = "4100"
  name              = "Write Only"
  secret_wo         = var.sip_secret
  secret_wo_version = var.sip_secret_version
}
`

// TestWriteOnlySecretNeverStored: a secret_wo value reaches the PBX but
// never the state, a saved plan file, or their JSON renderings; a new
// secret_wo_version sends a new value through a saved plan.
func TestWriteOnlySecretNeverStored(t *testing.T) {
	needsTerraform(t, 1, 11, "write-only arguments (secret_wo)")
	const first, second = "wo-first-7f3a91e2", "wo-second-c04d2eb8"
	s := newStack(t, mockpbx.Config{RandSeed: 5}, writeOnlyConfig)
	vars := func(secret string, version int) []string {
		return []string{"TF_VAR_sip_secret=" + secret, fmt.Sprintf("TF_VAR_sip_secret_version=%d", version)}
	}
	run := func(env []string, args ...string) string {
		t.Helper()
		out, code := s.terraform(env, args...)
		if code != 0 {
			t.Fatalf("terraform %s exited %d:\n%s", strings.Join(args, " "), code, out)
		}
		return out
	}
	storedSecret := func() string {
		t.Helper()
		for _, u := range s.users() {
			if fmt.Sprint(u["number"]) == "4100" {
				return fmt.Sprint(u["secret"])
			}
		}
		t.Fatal("the PBX has no user 4100")
		return ""
	}

	out := run(vars(first, 1), "apply", "-auto-approve", "-input=false", "-no-color")
	if got := storedSecret(); got != first {
		t.Fatalf("the PBX holds secret %q, want the write-only value", got)
	}
	stateJSON := run(nil, "show", "-json")
	expectAbsent(t, "apply output", out, first)
	expectAbsent(t, "terraform show -json (state)", stateJSON, first)
	if !strings.Contains(stateJSON, `"secret_wo_version":1`) {
		t.Errorf("the state does not record secret_wo_version 1:\n%s", stateJSON)
	}

	// The same version plans nothing, whatever the value.
	if out, code := s.terraform(vars(second, 1), "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("plan with the same secret_wo_version exited %d, want 0:\n%s", code, out)
	}

	// A new version, through a saved plan: the plan file holds neither value.
	planFile := filepath.Join(s.dir, "rotate.tfplan")
	out = run(vars(second, 2), "plan", "-input=false", "-no-color", "-out="+planFile)
	planJSON := run(nil, "show", "-json", planFile)
	for what, text := range map[string]string{"plan output": out, "terraform show -json (plan)": planJSON} {
		expectAbsent(t, what, text, first, second)
	}
	expectAbsentInFile(t, planFile, first, second)
	if got := storedSecret(); got != first {
		t.Fatalf("planning changed the PBX: secret %q", got)
	}

	// An ephemeral variable is given again when the saved plan is applied.
	out = run(vars(second, 2), "apply", "-input=false", "-no-color", planFile)
	expectAbsent(t, "apply output", out, first, second)
	if got := storedSecret(); got != second {
		t.Fatalf("the PBX holds secret %q after the rotation, want the new write-only value", got)
	}
	expectAbsent(t, "terraform show -json (state)", run(nil, "show", "-json"), first, second)

	// Nothing Terraform wrote in the working directory holds either value:
	// the state, its backup, the plan file.
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		expectAbsentInFile(t, path, first, second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out, code := s.terraform(vars(second, 2), "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("plan after the rotation exited %d, want 0:\n%s", code, out)
	}
}

func expectAbsent(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the write-only secret %q", what, secret)
		}
	}
}

// expectAbsentInFile searches a file for the secrets; a zip archive (a plan
// file) is searched entry by entry, uncompressed.
func expectAbsentInFile(t *testing.T, path string, secrets ...string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	expectAbsent(t, path, string(raw), secrets...)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return // not an archive
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		expectAbsent(t, path+" ("+f.Name+")", string(b), secrets...)
	}
}
