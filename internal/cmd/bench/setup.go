package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// environment is the machine and the versions, for the report header.
type environment struct {
	Date             time.Time
	CPUs             int
	CPU              string
	MemoryMB         int64
	LoadAvg          string // /proc/loadavg at the start: other work on the machine
	LoadAvgEnd       string // and at the end
	GoVersion        string
	TerraformVersion string
	TerraformSemver  string // e.g. 1.11.4
	// SiteTerraformVersion and SiteTerraformSemver are those of -site-terraform, the
	// Terraform of the big sites (empty when it is the same binary).
	SiteTerraformVersion string
	SiteTerraformSemver  string
	Commit               string // short commit, "-dirty" when the working tree has changes
	ProviderVersion      string
	Duration             time.Duration // of the whole run
}

func describeEnvironment(ctx context.Context, root, terraform string) (environment, error) {
	env := environment{Date: time.Now().UTC(), CPUs: runtime.NumCPU(), CPU: "unknown CPU"}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if v, ok := procField(data, "model name"); ok {
			env.CPU = v
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, ok := procKB(data, "MemTotal"); ok {
			env.MemoryMB = kb / 1024
		}
	}
	env.LoadAvg = loadAvg()
	out, err := exec.CommandContext(ctx, "go", "version").Output()
	if err != nil {
		return env, fmt.Errorf("go version: %w", err)
	}
	env.GoVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	if env.TerraformVersion, env.TerraformSemver, err = terraformVersion(ctx, terraform); err != nil {
		return env, err
	}
	env.Commit = "unknown"
	if out, err := gitOutput(ctx, root, "rev-parse", "--short", "HEAD"); err == nil {
		env.Commit = out
		if status, err := gitOutput(ctx, root, "status", "--porcelain", "--untracked-files=no"); err == nil && status != "" {
			env.Commit += "-dirty"
		}
	}
	return env, nil
}

// terraformVersion is a Terraform binary's version, as shown ("Terraform 1.11.4
// linux_amd64") and as a number ("1.11.4").
func terraformVersion(ctx context.Context, terraform string) (string, string, error) {
	out, err := exec.CommandContext(ctx, terraform, "version", "-json").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s version: %w", terraform, err)
	}
	var tv struct {
		Version  string `json:"terraform_version"`
		Platform string `json:"platform"`
	}
	if err := json.Unmarshal(out, &tv); err != nil {
		return "", "", fmt.Errorf("%s version -json: %w", terraform, err)
	}
	return "Terraform " + tv.Version + " " + tv.Platform, tv.Version, nil
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// binaries are the programs the bench built. Each provider sits alone in its directory
// as terraform-provider-pbx, the name dev_overrides looks for.
type binaries struct {
	providerDir, provider string
	floorDir, floor       string
	bareDir, bare         string
	mock                  string
}

func build(ctx context.Context, root, tmp, version string) (binaries, error) {
	b := binaries{
		providerDir: filepath.Join(tmp, "bin", "provider"),
		floorDir:    filepath.Join(tmp, "bin", "floor"),
		bareDir:     filepath.Join(tmp, "bin", "bare"),
		mock:        filepath.Join(tmp, "bin", "pbxmock"),
	}
	b.provider = filepath.Join(b.providerDir, "terraform-provider-pbx")
	b.floor = filepath.Join(b.floorDir, "terraform-provider-pbx")
	b.bare = filepath.Join(b.bareDir, "terraform-provider-pbx")
	for _, t := range []struct{ out, pkg, ldflags string }{
		{b.provider, ".", "-X main.version=" + version},
		{b.floor, "./internal/bench/floor", "-X main.version=" + version + "-floor"},
		{b.bare, "./internal/bench/floor", "-X main.version=" + version + "-bare -X main.bare=true"},
		{b.mock, "./internal/cmd/pbxmock", ""},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", t.ldflags, "-o", t.out, t.pkg)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("go build %s: %w", t.pkg, err)
		}
	}
	return b, nil
}

// mockProcess is the running mock PBX.
type mockProcess struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	logFile *os.File
	done    chan struct{}
}

const (
	mockUser   = "admin"
	mockPass   = "admin"
	mockAPIKey = "demo-api-key"
)

// startMock starts the mock on a free loopback port with its default credentials
// (the provider reads them from PBX_* variables) and the control API.
func startMock(ctx context.Context, bin, tmp string) (*mockProcess, error) {
	addrFile := filepath.Join(tmp, "mock.addr")
	logPath := filepath.Join(tmp, "mock.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-addr-file", addrFile, "-control=true",
		"-username", mockUser, "-password", mockPass, "-api-key", mockAPIKey)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group (Ctrl-C reaches only the bench, which stops it), and
	// killed by the kernel if the bench dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting the mock: %w", err)
	}
	m := &mockProcess{cmd: cmd, logPath: logPath, logFile: logFile, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.done) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(addrFile)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			m.url = strings.TrimSpace(string(data))
			return m, nil
		}
		select {
		case <-m.done:
			_ = logFile.Close()
			return nil, fmt.Errorf("the mock exited before listening; see %s", logPath)
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), m.stop())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.Join(fmt.Errorf("the mock did not write %s within 30s; see %s", addrFile, logPath), m.stop())
		}
	}
}

// stop sends SIGTERM, waits up to 10 seconds, then kills the mock.
func (m *mockProcess) stop() error {
	defer m.logFile.Close()
	select {
	case <-m.done:
		return nil
	default:
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
		return errors.New("the mock did not stop within 10s of SIGTERM and was killed")
	}
}

// control calls the mock's control API; out, when not nil, receives the JSON reply.
func (m *mockProcess) control(ctx context.Context, method, route string, body, out any) error {
	return mockpbx.Client{URL: m.url}.Call(ctx, method, route, body, out)
}

// prepare wipes the mock, seeds the directory entries of n users and sets the latency
// of every API request (not of the control API).
func (m *mockProcess) prepare(ctx context.Context, n, latencyMS int) error {
	if err := m.control(ctx, http.MethodPost, "reset", nil, nil); err != nil {
		return err
	}
	for i := range n {
		e := entryFor(i)
		fields := map[string]any{"name": e.name, "email": e.email, "treepath": "/", "virtNumber": e.virtNumber}
		if err := m.control(ctx, http.MethodPut, "directory/"+e.uuid, fields, nil); err != nil {
			return err
		}
	}
	rules := []map[string]any{}
	if latencyMS > 0 {
		rules = append(rules, map[string]any{"endpoint": "*", "latency_ms": latencyMS})
	}
	return m.control(ctx, http.MethodPut, "faults", map[string]any{"rules": rules}, nil)
}

func (m *mockProcess) resetCounts(ctx context.Context) error {
	return m.control(ctx, http.MethodDelete, "requests", nil, nil)
}

func (m *mockProcess) counts(ctx context.Context) (map[string]int, error) {
	var c map[string]int
	err := m.control(ctx, http.MethodGet, "requests", nil, &c)
	return c, err
}

func (m *mockProcess) userCount(ctx context.Context) (int, error) {
	var users []json.RawMessage
	err := m.control(ctx, http.MethodGet, "users", nil, &users)
	return len(users), err
}

// loadAvg is the 1, 5 and 15 minute load average from /proc/loadavg.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// logSize is the current length of the mock's log, to read what a command added.
func (m *mockProcess) logSize() int64 {
	fi, err := os.Stat(m.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// challengesSince counts the requests the mock answered with 401 (the Digest
// challenges) in its log from offset on. The mock logs one line per request:
// "pbxmock: DATE TIME METHOD PATH STATUS DURATION".
func (m *mockProcess) challengesSince(offset int64) int {
	f, err := os.Open(m.logPath)
	if err != nil {
		return 0
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0
	}
	return countChallenges(f)
}

func countChallenges(r io.Reader) int {
	n := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 7 && f[0] == "pbxmock:" && strings.HasPrefix(f[4], "/api/") && f[5] == "401" {
			n++
		}
	}
	return n
}

// procField returns the value of the first "key<tabs>: value" line (/proc/cpuinfo).
func procField(data []byte, key string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
