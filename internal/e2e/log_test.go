package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestSecretsNeverLogged runs create, refresh, update, a failing request,
// retries and destroy at TF_LOG=trace, with a separate directory password,
// and checks that neither the log, nor terraform's output, nor the plan
// contains any secret value (or the Basic-auth header that encodes them).
func TestSecretsNeverLogged(t *testing.T) {
	const (
		dirPassword = "dir-password-0e93"
		sipSecret   = "sip-secret-6d2a"
		sipSecret2  = "sip-secret-rotated-44f0"
		uuid        = "A11CE000-0000-4000-8000-000000000001"
	)
	s := newStack(t, mockpbx.Config{
		Directory: []map[string]any{{"uuid": uuid, "name": "Alice", "email": "alice@example.com", "access": map[string]any{"pin": "8642"}}},
	}, "")
	// The directory gets its own password: the stack's mock uses the PBX one,
	// so point the provider at a second mock that only knows dirPassword.
	dirMock, err := mockpbx.New(mockpbx.Config{
		Accounts:    []mockpbx.Account{{Username: e2eUser, Password: "unused", APIKey: "unused", Mode: "both"}},
		DirAuth:     "digest",
		DirUsername: e2eUser,
		DirPassword: dirPassword,
		Directory:   []map[string]any{{"uuid": uuid, "name": "Alice", "email": "alice@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dirURL := serve(t, dirMock)
	config := func(secret, name string) string {
		return fmt.Sprintf(`
provider "pbx" {
  max_retries    = 3
  retry_max_wait = "50ms"
  directory = {
    endpoint = %q
    password = %q
  }
}
resource "pbx_user" "alice" {
  number         = "201"
  name           = %q
  secret         = %q
  directory_uuid = %q
}
data "pbx_directory_entry" "alice" {
  uuid = %q
}
`, dirURL, dirPassword, name, secret, uuid, uuid)
	}
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	env := []string{"TF_LOG=trace", "TF_LOG_PATH=" + logFile}
	var outputs []string
	step := func(args ...string) {
		t.Helper()
		out, code := s.terraform(env, args...)
		outputs = append(outputs, out)
		if code != 0 && code != 2 {
			t.Fatalf("terraform %v exited %d:\n%s", args, code, tail(out, 40))
		}
	}

	s.writeConfig(config(sipSecret, "Alice"))
	// Retries are logged too: the first two users calls get 503 (deterministic:
	// max_retries = 3 always gets through).
	s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{{Endpoint: "users/*", Status: 503, Rate: 1, Count: 2, RetryAfter: "0"}}))
	step("apply", "-auto-approve", "-input=false", "-no-color")
	step("plan", "-input=false", "-no-color")
	s.writeConfig(config(sipSecret2, "Alice A."))
	step("plan", "-input=false", "-no-color", "-out=plan.tfplan")
	step("show", "-no-color", "plan.tfplan")
	step("apply", "-auto-approve", "-input=false", "-no-color")
	// A request that fails for good: every retry gets 503.
	s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{{Endpoint: "users/search", Status: 503, Rate: 1}}))
	out, code := s.terraform(env, "plan", "-input=false", "-no-color")
	outputs = append(outputs, out)
	if code != 1 || !strings.Contains(out, "HTTP 503") {
		t.Fatalf("plan against a failing PBX exited %d, want 1 with the 503 reported:\n%s", code, tail(out, 30))
	}
	s.mock.ClearFaults()
	step("destroy", "-auto-approve", "-input=false", "-no-color")

	logBytes, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(logBytes)
	if !strings.Contains(log, "PBX API retry") || !strings.Contains(log, "users/add") {
		t.Fatalf("the trace log lacks the provider's request and retry lines; is TF_LOG reaching the provider?\n%s", tail(log, 20))
	}
	secrets := map[string]string{
		"PBX password":           e2ePassword,
		"API key":                e2eAPIKey,
		"directory password":     dirPassword,
		"SIP secret":             sipSecret,
		"rotated SIP secret":     sipSecret2,
		"Basic auth header":      base64.StdEncoding.EncodeToString([]byte(e2eUser + ":" + e2ePassword)),
		"directory Basic header": base64.StdEncoding.EncodeToString([]byte(e2eUser + ":" + dirPassword)),
	}
	for what, secret := range secrets {
		if i := strings.Index(log, secret); i >= 0 {
			t.Errorf("the TF_LOG=trace log contains the %s: …%s…", what, log[max(0, i-200):min(len(log), i+50)])
		}
		for _, out := range outputs {
			if strings.Contains(out, secret) {
				t.Errorf("terraform's output contains the %s", what)
			}
		}
	}
}
