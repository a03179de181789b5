package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestGitOpsDriftCheck runs examples/gitops/drift-check.sh: exit 0 without
// drift, exit 2 with a report naming the user, the fields and the directory
// entry after edits made "in the web panel".
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
	script := filepath.Join(repoRoot, "examples", "gitops", "drift-check.sh")

	s.mustApply()
	if out, code := s.run(nil, "bash", script, s.dir); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("drift check without drift exited %d:\n%s", code, out)
	}

	// Someone edits Bob in the web panel and renames Alice's directory entry.
	for _, u := range s.users() {
		if u["number"] == "202" {
			s.control(http.MethodPatch, "users/"+fmt.Sprint(u["_id"]), map[string]any{"name": "Bob (panel)", "call_record": "yes"}, nil)
		}
	}
	s.control(http.MethodPut, "directory/"+uuid, map[string]any{"name": "Alice Smith"}, nil)

	out, code := s.run(nil, "bash", script, s.dir)
	if code != 2 {
		t.Fatalf("drift check with drift exited %d, want 2:\n%s", code, out)
	}
	for _, want := range []string{
		"pbx_user.bob (update)", `name: "Bob (panel)" -> "Bob"`, "call_record: true -> false",
		"pbx_user.alice (update)", `name: "Alice" -> "Alice Smith"`, "directory entry " + uuid + " changed",
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

	// Applying restores the device; the check is clean again.
	s.mustApply()
	if out, code := s.run(nil, "bash", script, s.dir); code != 0 {
		t.Fatalf("drift check after apply exited %d:\n%s", code, out)
	}
}
