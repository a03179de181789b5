package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// envRequireTerraform holds a Terraform version (major.minor at least), set
// by `make test` (1.11) and `make test-tf114` (1.14.8): a test gated at or
// below it fails on an older Terraform instead of skipping. The provider
// package's TestVersionGatedTestsCannotSkipSilently checks that a make
// target enforces every gate of this package too.
const envRequireTerraform = "PBX_TEST_REQUIRE_TERRAFORM"

var terraformVersion = sync.OnceValues(func() (string, error) {
	out, err := exec.Command(terraform, "version", "-json").Output()
	if err != nil {
		return "", fmt.Errorf("%s version -json: %w", terraform, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return "", fmt.Errorf("%s version -json: %w", terraform, err)
	}
	return v.Version, nil
})

// majorMinor reads the major and minor numbers of a version such as 1.11 or
// 1.14.8.
func majorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// needsTerraform skips the test, with the reason, when the Terraform under
// test is older than major.minor; when envRequireTerraform is major.minor or
// later it fails instead.
func needsTerraform(t *testing.T, major, minor int, feature string) { //nolint:unparam // every gate is 1.x today
	t.Helper()
	if skipMessage != "" {
		t.Skip(skipMessage)
	}
	v, err := terraformVersion()
	if err != nil {
		t.Fatal(err)
	}
	maj, mnr, ok := majorMinor(v)
	if !ok {
		t.Fatalf("cannot read the Terraform version %q", v)
	}
	if maj > major || (maj == major && mnr >= minor) {
		return
	}
	msg := fmt.Sprintf("Terraform %s (%s) is older than %d.%d, which %s needs", v, terraform, major, minor, feature)
	if required := os.Getenv(envRequireTerraform); required != "" {
		rMaj, rMin, ok := majorMinor(required)
		if !ok {
			t.Fatalf("%s=%q is not a Terraform version such as 1.11", envRequireTerraform, required)
		}
		if rMaj > major || (rMaj == major && rMin >= minor) {
			t.Fatalf("%s, and %s=%s requires it", msg, envRequireTerraform, required)
		}
	}
	if major == 1 && minor <= 11 {
		t.Skip(msg + "; `make test` refuses a Terraform older than 1.11 and runs this test")
	}
	t.Skip(msg + "; `make test-tf114` runs this test with Terraform 1.14")
}
