// Package e2e runs the built provider binary through the Terraform CLI
// (dev_overrides, no registry) against the in-process mock: what a user's
// terraform run does, including flags the acceptance-test framework cannot
// set (-parallelism, TF_LOG). The tests need Terraform and run with TF_ACC=1,
// as `make test` does.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// Paths set up once by TestMain.
var (
	repoRoot    string
	binDir      string
	terraform   string
	skipMessage string
)

func TestMain(m *testing.M) {
	code := func() int {
		if os.Getenv("TF_ACC") == "" {
			if os.Getenv("CI") != "" {
				fmt.Fprintln(os.Stderr, "TF_ACC is not set: the end-to-end tests would be skipped. Run `make test`.")
				return 1
			}
			skipMessage = "needs Terraform: set TF_ACC=1 (make test does)"
			return m.Run()
		}
		terraform = os.Getenv("TF_ACC_TERRAFORM_PATH")
		if terraform == "" {
			var err error
			if terraform, err = exec.LookPath("terraform"); err != nil {
				fmt.Fprintln(os.Stderr, "terraform not found on PATH and TF_ACC_TERRAFORM_PATH unset")
				return 1
			}
		}
		var err error
		if repoRoot, err = filepath.Abs("../.."); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dir, err := os.MkdirTemp("", "pbx-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		build := exec.Command("go", "build", "-o", binDir+string(os.PathSeparator), ".")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// Credentials of the mock account used by these tests; the log test checks
// that none of them is ever printed.
const (
	e2eUser     = "e2e-admin"
	e2ePassword = "e2e-password-5c1f"
	e2eAPIKey   = "e2e-api-key-77ab"
)

// stack is one mock plus a Terraform working directory wired to it.
type stack struct {
	t    *testing.T
	mock *mockpbx.Server
	dir  string   // Terraform configuration directory
	env  []string // environment for terraform and scripts
}

func newStack(t *testing.T, cfg mockpbx.Config, tf string) *stack {
	t.Helper()
	if skipMessage != "" {
		t.Skip(skipMessage)
	}
	cfg.Accounts = []mockpbx.Account{{Username: e2eUser, Password: e2ePassword, APIKey: e2eAPIKey, Mode: "both"}}
	cfg.DirAuth, cfg.DirUsername, cfg.DirPassword = "digest", e2eUser, e2ePassword
	cfg.Control = true
	m, err := mockpbx.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)

	work := t.TempDir()
	rc := filepath.Join(work, "terraformrc")
	writeFile(t, rc, devOverrides(binDir))
	s := &stack{t: t, mock: m, dir: filepath.Join(work, "config")}
	s.writeConfig(tf)
	s.env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"PBX_ENDPOINT="+srv.URL,
		"PBX_USERNAME="+e2eUser,
		"PBX_PASSWORD="+e2ePassword,
		"PBX_API_KEY="+e2eAPIKey,
		"PATH="+filepath.Dir(terraform)+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	return s
}

// devOverrides is a Terraform CLI configuration that loads pbx-iac/pbx from
// the binary in dir, so no terraform init (and no registry) is needed.
func devOverrides(dir string) string {
	return fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"pbx-iac/pbx\" = %q\n  }\n  direct {}\n}\n", dir)
}

const providerBlock = `
terraform {
  required_providers {
    pbx = { source = "pbx-iac/pbx" }
  }
}
`

// writeConfig replaces the configuration (main.tf) of the stack.
func (s *stack) writeConfig(tf string) {
	writeFile(s.t, filepath.Join(s.dir, "main.tf"), providerBlock+tf)
}

// run executes a command in the stack's environment and returns its
// combined output and exit code.
func (s *stack) run(env []string, name string, args ...string) (string, int) {
	s.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(append([]string{}, s.env...), env...)
	cmd.Dir = filepath.Dir(s.dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), exit.ExitCode()
	}
	if err != nil {
		s.t.Fatalf("%s: %v", name, err)
	}
	return out.String(), 0
}

// terraform runs terraform in the configuration directory.
func (s *stack) terraform(env []string, args ...string) (string, int) {
	s.t.Helper()
	return s.run(env, terraform, append([]string{"-chdir=" + s.dir}, args...)...)
}

// mustApply applies and fails the test unless terraform succeeds.
func (s *stack) mustApply(args ...string) string {
	s.t.Helper()
	out, code := s.terraform(nil, append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, args...)...)
	if code != 0 {
		s.t.Fatalf("terraform apply exited %d:\n%s", code, out)
	}
	return out
}

// planExit runs plan -detailed-exitcode and returns its output and code.
func (s *stack) planExit(args ...string) (string, int) {
	s.t.Helper()
	return s.terraform(nil, append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, args...)...)
}

// must fails the test when a call to the mock's Go API failed:
// s.must(s.mock.PatchUser(id, fields)), s.must(nil, s.mock.SetFaults(rules)).
func (s *stack) must(_ any, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// users returns the stored users, secrets in clear.
func (s *stack) users() []map[string]any { return s.mock.Users() }

// userID returns the _id of the stored user with this number.
func (s *stack) userID(number string) string {
	s.t.Helper()
	u, ok := s.mock.UserByNumber(number)
	if !ok {
		s.t.Fatalf("no user %s on the mock", number)
	}
	return fmt.Sprint(u["_id"])
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

// serve starts an extra mock and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
