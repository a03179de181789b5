package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestGitOpsDriftCheck runs examples/gitops/drift-check.sh end to end: the
// provider binary through dev_overrides, against the mock: exit 0 without
// drift, exit 2 with a report naming the user, the fields and the directory
// entry after edits made "in the web panel".
func TestGitOpsDriftCheck(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("needs Terraform: set TF_ACC=1 (make test does)")
	}
	tfPath := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tfPath == "" {
		var err error
		if tfPath, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("terraform not found")
		}
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), ".", "./internal/cmd/driftreport")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	const uuid = "A11CE000-0000-4000-8000-000000000001"
	mock, err := mockpbx.New(mockpbx.Config{
		Accounts:    []mockpbx.Account{{Username: "gitops", Password: "gitops-pass", APIKey: "gitops-key", Mode: "both"}},
		DirAuth:     "digest",
		DirUsername: "gitops",
		DirPassword: "gitops-pass",
		Control:     true,
		Directory:   []map[string]any{{"uuid": uuid, "name": "Alice", "email": "alice@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mock)
	defer srv.Close()

	work := t.TempDir()
	rc := filepath.Join(work, "terraformrc")
	writeFile(t, rc, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"pbx-iac/pbx\" = %q\n  }\n  direct {}\n}\n", bin))
	cfgDir := filepath.Join(work, "config")
	writeFile(t, filepath.Join(cfgDir, "main.tf"), fmt.Sprintf(`
terraform {
  required_providers {
    pbx = { source = "pbx-iac/pbx" }
  }
}
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
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc,
		"CHECKPOINT_DISABLE=1",
		"PBX_ENDPOINT="+srv.URL,
		"PBX_USERNAME=gitops",
		"PBX_PASSWORD=gitops-pass",
		"PBX_API_KEY=gitops-key",
		"DRIFTREPORT="+filepath.Join(bin, "driftreport"),
		"PATH="+filepath.Dir(tfPath)+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	run := func(name string, args ...string) (string, int) {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		cmd.Dir = work
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return out.String(), exit.ExitCode()
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out.String(), 0
	}
	script := filepath.Join(root, "examples", "gitops", "drift-check.sh")

	if out, code := run(tfPath, "-chdir="+cfgDir, "apply", "-auto-approve", "-input=false", "-no-color"); code != 0 {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	if out, code := run("bash", script, cfgDir); code != 0 || !strings.Contains(out, "No drift") {
		t.Fatalf("drift check without drift exited %d:\n%s", code, out)
	}

	// Someone edits Bob in the web panel and renames Alice's directory entry.
	var users []map[string]any
	control(t, srv.URL, http.MethodGet, "users", nil, &users)
	for _, u := range users {
		if u["number"] == "202" {
			control(t, srv.URL, http.MethodPatch, "users/"+fmt.Sprint(u["_id"]), map[string]any{"name": "Bob (panel)", "call_record": "yes"}, nil)
		}
	}
	control(t, srv.URL, http.MethodPut, "directory/"+uuid, map[string]any{"name": "Alice Smith"}, nil)

	out, code := run("bash", script, cfgDir)
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
	for _, secret := range []string{"alice-sip-secret", "bob-sip-secret", "gitops-pass", "gitops-key"} {
		if strings.Contains(out, secret) {
			t.Errorf("report leaks %q", secret)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func control(t *testing.T, base, method, route string, body, out any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, base+"/_mock/"+route, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("control %s %s: HTTP %d", method, route, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}
