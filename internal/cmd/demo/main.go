// Command demo runs examples/demo through Terraform against the mock PBX
// (`make demo`). It needs only Go and Terraform:
//
//  1. build the provider and the mock into .demo/bin;
//  2. start the mock with examples/demo/seed.json;
//  3. point Terraform at the fresh provider with a dev_overrides CLI config;
//  4. apply, then check that a second plan is empty;
//  5. edit a user and the directory entry through the mock's control API, as
//     someone in the web panel would;
//  6. check that plan detects the drift, apply to repair it, and check that the
//     plan is empty again.
//
// Everything it writes goes to .demo/ in the repository root; the mock is
// stopped at the end, on failure and on Ctrl-C.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

const (
	modulePath = "github.com/pbx-iac/terraform-provider-pbx"

	// The demo credentials; the mock is started with its defaults, which are these.
	demoUsername = "admin"
	demoPassword = "admin"
	demoAPIKey   = "demo-api-key"

	// The user and directory entry the "web panel" edits. They must match
	// examples/demo/main.tf and examples/demo/seed.json (see main_test.go).
	editedUserNumber = "201"
	editedUserName   = "Alice (edited in web panel)"
	demoEntryUUID    = "01234567-89AB-CDEF-0123-456789ABCDEF"
	renamedEntryName = "Reception (renamed)"

	addrFileTimeout = 30 * time.Second
	mockStopTimeout = 5 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo FAILED: %v\n", err)
		os.Exit(1)
	}
}

// paths are the files and directories the demo uses, all under the repository root.
type paths struct {
	root      string // repository root (the directory holding this module's go.mod)
	demo      string // .demo
	bin       string // .demo/bin: the provider and the mock
	work      string // .demo/work: Terraform's working directory
	addrFile  string // .demo/mock.addr: written by the mock once it listens
	mockLog   string // .demo/mock.log: the mock's output
	cliConfig string // .demo/terraformrc: dev_overrides for the provider
	examples  string // examples/demo
}

func newPaths(root string) paths {
	demo := filepath.Join(root, ".demo")
	return paths{
		root:      root,
		demo:      demo,
		bin:       filepath.Join(demo, "bin"),
		work:      filepath.Join(demo, "work"),
		addrFile:  filepath.Join(demo, "mock.addr"),
		mockLog:   filepath.Join(demo, "mock.log"),
		cliConfig: filepath.Join(demo, "terraformrc"),
		examples:  filepath.Join(root, "examples", "demo"),
	}
}

func run(ctx context.Context) (err error) {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := findRepoRoot(wd)
	if err != nil {
		return err
	}
	terraform, err := exec.LookPath("terraform")
	if err != nil {
		return errors.New("terraform was not found on PATH: install Terraform (>= 1.11) and put it on PATH, or run .ci/run, which builds one")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return errors.New("go was not found on PATH")
	}
	p := newPaths(root)
	step := stepper{total: 9}

	step.header("Building the provider and the mock PBX into %s", rel(root, p.bin))
	if err := os.MkdirAll(p.bin, 0o755); err != nil {
		return err
	}
	provider := filepath.Join(p.bin, exeName("terraform-provider-pbx"))
	mockBin := filepath.Join(p.bin, exeName("pbxmock"))
	for _, b := range []struct{ out, pkg string }{{provider, "."}, {mockBin, "./internal/cmd/pbxmock"}} {
		if err := runCmd(ctx, root, nil, goBin, "build", "-o", b.out, b.pkg); err != nil {
			return fmt.Errorf("go build %s: %w", b.pkg, err)
		}
	}

	step.header("Starting the mock PBX (log: %s)", rel(root, p.mockLog))
	mock, err := startMock(ctx, p, mockBin)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := mock.stop(); stopErr != nil && err == nil {
			err = stopErr
		}
		fmt.Printf("\nMock PBX stopped (its log: %s).\n", rel(root, p.mockLog))
	}()
	fmt.Printf("Mock PBX listening on %s\n", mock.addr)

	step.header("Preparing Terraform: dev_overrides in %s, working copy of %s in %s",
		rel(root, p.cliConfig), rel(root, p.examples), rel(root, p.work))
	if err := writeCLIConfig(p.cliConfig, p.bin); err != nil {
		return err
	}
	if err := copyConfig(p.examples, p.work); err != nil {
		return err
	}
	tf := terraformRunner{
		path: terraform,
		dir:  p.work,
		env: map[string]string{
			"TF_CLI_CONFIG_FILE": p.cliConfig,
			"CHECKPOINT_DISABLE": "1",
			"PBX_ENDPOINT":       mock.addr,
			"PBX_USERNAME":       demoUsername,
			"PBX_PASSWORD":       demoPassword,
			"PBX_API_KEY":        demoAPIKey,
		},
	}

	step.header("terraform apply: create the users, read the directory entry")
	if err := tf.run(ctx, "apply", "-auto-approve", "-input=false"); err != nil {
		return err
	}
	fmt.Println("\n--- terraform plan -detailed-exitcode (expecting no changes) ---")
	if err := tf.expectPlan(ctx, planNoChanges); err != nil {
		return err
	}
	fmt.Println("\nOK: no changes: the state matches the PBX.")

	step.header("Someone edits the PBX in its web panel (mock control API)")
	control := controlClient{base: mock.addr, http: &http.Client{Timeout: 10 * time.Second}}
	before, err := control.user(ctx, editedUserNumber)
	if err != nil {
		return err
	}
	edit := map[string]any{"name": editedUserName, "call_record": "yes"}
	fmt.Printf("PATCH /_mock/users/%s  %s  (user %s, was name=%q call_record=%q)\n",
		before.ID, mustJSON(edit), editedUserNumber, before.Name, before.CallRecord)
	if err := control.send(ctx, http.MethodPatch, "/_mock/users/"+url.PathEscape(before.ID), edit); err != nil {
		return err
	}
	rename := map[string]any{"name": renamedEntryName}
	fmt.Printf("PUT   /_mock/directory/%s  %s\n", demoEntryUUID, mustJSON(rename))
	if err := control.send(ctx, http.MethodPut, "/_mock/directory/"+url.PathEscape(demoEntryUUID), rename); err != nil {
		return err
	}

	step.header("terraform plan: the drift must show up (expecting changes)")
	if err := tf.expectPlan(ctx, planChanges); err != nil {
		return err
	}
	fmt.Println("\nOK: drift detected: the plan puts the user back and follows the renamed directory entry.")

	step.header("GitOps drift check (examples/gitops/drift-check.sh): exit 2 and a short report")
	check := driftCheck{script: filepath.Join(root, "examples", "gitops", "drift-check.sh"), dir: p.work, env: tf.env}
	if err := check.expect(ctx, planChanges); err != nil {
		return err
	}

	step.header("terraform apply: repair the drift")
	if err := tf.run(ctx, "apply", "-auto-approve", "-input=false"); err != nil {
		return err
	}
	after, err := control.user(ctx, editedUserNumber)
	if err != nil {
		return err
	}
	if after.ID != before.ID || after.Name != before.Name || after.CallRecord != before.CallRecord {
		return fmt.Errorf("after the repair apply, user %s on the PBX is _id=%s name=%q call_record=%q; want _id=%s name=%q call_record=%q",
			editedUserNumber, after.ID, after.Name, after.CallRecord, before.ID, before.Name, before.CallRecord)
	}
	fmt.Printf("\nOK: user %s is back to name=%q call_record=%q (same _id %s).\n", editedUserNumber, after.Name, after.CallRecord, after.ID)
	fmt.Println("\n--- terraform plan -detailed-exitcode (expecting no changes) ---")
	if err := tf.expectPlan(ctx, planNoChanges); err != nil {
		return err
	}
	fmt.Println("\n--- examples/gitops/drift-check.sh (expecting no drift) ---")
	if err := check.expect(ctx, planNoChanges); err != nil {
		return err
	}

	step.header("Summary")
	fmt.Printf(`Demo passed:
  - apply created the users and read directory entry %s; the next plan was empty;
  - out-of-band edits (user %s renamed and call recording on, entry renamed) showed up as drift,
    in the plan and in the GitOps drift check's report (exit 2);
  - apply put the user back (same _id), the linked reception phone followed the new entry name,
    and the final plan and drift check were clean.
Files: %s (Terraform working copy and state), %s (mock log).
`, demoEntryUUID, editedUserNumber, rel(root, p.work), rel(root, p.mockLog))
	return nil
}

// driftCheck runs the GitOps drift check script of examples/gitops.
type driftCheck struct {
	script, dir string
	env         map[string]string
}

// expect runs the check and fails unless it exits with want.
func (d driftCheck) expect(ctx context.Context, want int) error {
	err := runCmd(ctx, d.dir, d.env, "bash", d.script, d.dir)
	got := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		got = exit.ExitCode()
	case err != nil:
		return fmt.Errorf("drift check: %w", err)
	}
	if got != want {
		return fmt.Errorf("drift check exited %d, want %d", got, want)
	}
	return nil
}

// stepper prints numbered step headers.
type stepper struct{ n, total int }

func (s *stepper) header(format string, args ...any) {
	s.n++
	fmt.Printf("\n==> [%d/%d] %s\n", s.n, s.total, fmt.Sprintf(format, args...))
}

// findRepoRoot walks up from dir to the directory whose go.mod declares this module.
func findRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && declaresModule(data, modulePath) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod for module %s in %s or any parent directory: run the demo from inside the repository", modulePath, dir)
		}
		d = parent
	}
}

func declaresModule(goMod []byte, module string) bool {
	for _, line := range strings.Split(string(goMod), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 2 && fields[0] == "module" && strings.Trim(fields[1], `"`) == module {
			return true
		}
	}
	return false
}

// writeCLIConfig writes a Terraform CLI configuration that makes Terraform use
// the provider binary in binDir, so no `terraform init` (and no registry) is needed.
func writeCLIConfig(file, binDir string) error {
	cfg := fmt.Sprintf(`# Written by internal/cmd/demo. Terraform loads pbx-iac/pbx from the freshly built binary.
provider_installation {
  dev_overrides {
    "pbx-iac/pbx" = %q
  }
  direct {}
}
`, filepath.ToSlash(binDir))
	return os.WriteFile(file, []byte(cfg), 0o644)
}

// copyConfig replaces dst with a fresh copy of the *.tf files in src, so that
// each run starts without state and no state lands in the repository.
func copyConfig(src, dst string) error {
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.tf files in %s", src)
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// mockProcess is the running mock PBX.
type mockProcess struct {
	cmd  *exec.Cmd
	log  *os.File
	addr string
	done chan struct{} // closed when the process has exited
}

// startMock starts the mock PBX and waits until it has written its address.
func startMock(ctx context.Context, p paths, bin string) (*mockProcess, error) {
	if err := os.Remove(p.addrFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	logFile, err := os.Create(p.mockLog)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin,
		"-addr", "127.0.0.1:0",
		"-addr-file", p.addrFile,
		"-seed", filepath.Join(p.examples, "seed.json"),
		"-username", demoUsername,
		"-password", demoPassword,
		"-api-key", demoAPIKey,
		"-control=true",
	)
	cmd.Dir = p.root
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = detachedProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start mock PBX: %w", err)
	}
	m := &mockProcess{cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(m.done)
	}()

	addr, err := m.waitForAddr(ctx, p.addrFile, addrFileTimeout)
	if err != nil {
		_ = m.stop()
		return nil, fmt.Errorf("%w\n--- %s ---\n%s", err, p.mockLog, tail(p.mockLog, 20))
	}
	m.addr = addr
	return m, nil
}

// waitForAddr polls the address file until it holds a usable base URL.
func (m *mockProcess) waitForAddr(ctx context.Context, file string, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(file); err == nil {
			addr := strings.TrimRight(strings.TrimSpace(string(data)), "/")
			if u, err := url.Parse(addr); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
				return addr, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("interrupted while waiting for the mock PBX: %w", context.Cause(ctx))
		case <-m.done:
			return "", fmt.Errorf("mock PBX exited before it was ready (%v)", m.cmd.ProcessState)
		case <-deadline.C:
			return "", fmt.Errorf("mock PBX did not write %s within %s", file, timeout)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM (os.Kill where signals are unsupported), waits a little,
// then kills. It is safe to call more than once.
func (m *mockProcess) stop() error {
	defer func() { _ = m.log.Close() }()
	select {
	case <-m.done:
		return nil
	default:
	}
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = m.cmd.Process.Kill()
	}
	select {
	case <-m.done:
		return nil
	case <-time.After(mockStopTimeout):
	}
	if err := m.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill mock PBX: %w", err)
	}
	<-m.done
	return nil
}

// terraformRunner runs terraform in the demo working directory.
type terraformRunner struct {
	path string
	dir  string
	env  map[string]string
}

func (t terraformRunner) run(ctx context.Context, args ...string) error {
	if err := runCmd(ctx, t.dir, t.env, t.path, args...); err != nil {
		return fmt.Errorf("terraform %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Exit codes of `terraform plan -detailed-exitcode`.
const (
	planNoChanges = 0
	planChanges   = 2
)

// expectPlan runs `terraform plan -detailed-exitcode` and checks its exit code.
func (t terraformRunner) expectPlan(ctx context.Context, want int) error {
	err := runCmd(ctx, t.dir, t.env, t.path, "plan", "-detailed-exitcode", "-input=false")
	got := 0
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || ctx.Err() != nil {
			return fmt.Errorf("terraform plan: %w", err)
		}
		got = exitErr.ExitCode()
	}
	if got == want {
		return nil
	}
	switch got {
	case planNoChanges:
		return errors.New("terraform plan found no changes, but the out-of-band edits should have shown up as drift")
	case planChanges:
		return errors.New("terraform plan wants to change something, but the state should match the PBX (see the plan above)")
	default:
		return fmt.Errorf("terraform plan failed with exit code %d (see the output above)", got)
	}
}

// runCmd runs a command with its output on the terminal. extraEnv replaces
// any variable of the same name, and every PBX_* variable of the caller's
// environment is dropped so that the demo talks only to the mock.
func runCmd(ctx context.Context, dir string, extraEnv map[string]string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = detachedProcAttr()
	// On Ctrl-C, give the child one interrupt (Terraform then stops cleanly), then kill it.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if extraEnv != nil {
		cmd.Env = mergeEnv(os.Environ(), extraEnv)
	}
	return cmd.Run()
}

func mergeEnv(base []string, extra map[string]string) []string {
	env := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, replaced := extra[name]; replaced || strings.HasPrefix(name, "PBX_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// controlClient talks to the mock's control API (/_mock/...), standing in for
// a person using the PBX's web panel.
type controlClient struct {
	base string
	http *http.Client
}

// mockUser is the part of a /_mock/users record the demo looks at. The PBX
// sends every value as a string, but numbers are tolerated too.
type mockUser struct {
	ID         string
	Number     string
	Name       string
	CallRecord string
}

func (c controlClient) user(ctx context.Context, number string) (mockUser, error) {
	body, err := c.do(ctx, http.MethodGet, "/_mock/users", nil)
	if err != nil {
		return mockUser{}, err
	}
	return findUser(body, number)
}

func findUser(body []byte, number string) (mockUser, error) {
	var records []map[string]any
	if err := json.Unmarshal(body, &records); err != nil {
		return mockUser{}, fmt.Errorf("GET /_mock/users: want a JSON array of users: %w", err)
	}
	for _, r := range records {
		if str(r["number"]) == number {
			u := mockUser{ID: str(r["_id"]), Number: number, Name: str(r["name"]), CallRecord: str(r["call_record"])}
			if u.ID == "" {
				return mockUser{}, fmt.Errorf("GET /_mock/users: user %s has no _id", number)
			}
			return u, nil
		}
	}
	return mockUser{}, fmt.Errorf("GET /_mock/users: no user with number %s among %d users (did the apply create it?)", number, len(records))
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func (c controlClient) send(ctx context.Context, method, path string, payload any) error {
	_, err := c.do(ctx, method, path, payload)
	return err
}

func (c controlClient) do(ctx context.Context, method, path string, payload any) ([]byte, error) {
	var body io.Reader
	if payload != nil {
		data, err := json.Marshal(payload)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: HTTP %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	return data, nil
}

// exeName adds the executable suffix of the platform.
func exeName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// rel shows path relative to the repository root when it is inside it.
func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// tail returns the last n lines of a file, for error messages.
func tail(file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
