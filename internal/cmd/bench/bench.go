package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Targets of one measurement.
const (
	targetPBX   = "pbx"            // the provider under test, against the mock
	targetFloor = "floor"          // internal/bench/floor: the same schemas, no I/O
	targetBare  = "bare floor"     // the same attribute shape without validators, plan modifiers, defaults
	targetData  = "terraform_data" // Terraform's built-in resource
)

// result is one Terraform command.
type result struct {
	N         int // users, or data sources for kindSingular/kindPlural
	Target    string
	LatencyMS int // targetPBX only
	Kind      configKind
	Phase     string // "apply" or "plan"

	Wall          time.Duration   // the median of Walls when the measurement was repeated
	CPU           time.Duration   // user + system time of Terraform and the providers it waited for (a median too)
	Walls, CPUs   []time.Duration // every run's, when repeated (-repeat)
	Requests      map[string]int  // targetPBX only
	Challenges    int             // requests answered 401 (Digest challenges), not counted in Requests
	ProviderKB    int64           // peak VmHWM of the provider processes
	ProviderProcs int
	TerraformKB   int64
	Changes       bool   // the plan was not empty (exit code 2 with -detailed-exitcode)
	Err           string // empty when the command succeeded
	CutOff        bool   // stopped at the bench's time limit (not a failure of the provider)
}

type bench struct {
	opts options
	tmp  string
	bins binaries
	mock *mockProcess
	tf   string

	cliProvider, cliFloor, cliBare, cliNone string
	hardDeadline                            time.Time // running commands are stopped here

	// The big sites' Terraform (-site-terraform, else tf), its version (written into
	// their states) and whether it stores resource identities (1.12 and later).
	siteTF        string
	siteTFVersion string
	siteIdentity  bool
	userSchemas   userSchemas

	plural     bool
	pluralNote string
	overBudget bool // a job was left out for lack of time
	results    []result
	notes      []string
}

func (b *bench) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Println("NOTE:", msg)
	b.notes = append(b.notes, msg)
}

// writeCLIConfigs writes one Terraform CLI configuration per target: dev_overrides of
// pbx-iac/pbx to the provider or to the floor, and none for terraform_data. No
// `terraform init` is needed with dev_overrides.
func (b *bench) writeCLIConfigs() error {
	b.cliProvider = filepath.Join(b.tmp, "provider.tfrc")
	b.cliFloor = filepath.Join(b.tmp, "floor.tfrc")
	b.cliBare = filepath.Join(b.tmp, "bare.tfrc")
	b.cliNone = filepath.Join(b.tmp, "none.tfrc")
	for file, dir := range map[string]string{b.cliProvider: b.bins.providerDir, b.cliFloor: b.bins.floorDir, b.cliBare: b.bins.bareDir} {
		cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"pbx-iac/pbx\" = %q\n  }\n  direct {}\n}\n", filepath.ToSlash(dir))
		if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(b.cliNone, []byte("# terraform_data needs no provider.\n"), 0o644)
}

// detectPlural reads the built provider's schema (terraform providers schema -json)
// and reports whether pbx_directory_entries exists with the uuids and entries the
// generated configurations use.
func (b *bench) detectPlural(ctx context.Context) (bool, string, error) {
	dir := filepath.Join(b.tmp, "work", "schema")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, "", err
	}
	cfg := "terraform {\n  required_providers {\n    pbx = { source = \"pbx-iac/pbx\" }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o644); err != nil {
		return false, "", err
	}
	cmd := exec.CommandContext(ctx, b.tf, "providers", "schema", "-json")
	cmd.Dir = dir
	cmd.Env = b.env(b.cliProvider)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return false, "", fmt.Errorf("terraform providers schema -json: %w: %s", err, stderr.String())
	}
	return pluralFromSchema(out)
}

func pluralFromSchema(schemaJSON []byte) (bool, string, error) {
	var s struct {
		ProviderSchemas map[string]struct {
			DataSourceSchemas map[string]struct {
				Block struct {
					Attributes map[string]json.RawMessage `json:"attributes"`
				} `json:"block"`
			} `json:"data_source_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return false, "", fmt.Errorf("terraform providers schema -json: %w", err)
	}
	p, ok := s.ProviderSchemas["registry.terraform.io/pbx-iac/pbx"]
	if !ok {
		return false, "", errors.New("terraform providers schema -json has no registry.terraform.io/pbx-iac/pbx")
	}
	ds, ok := p.DataSourceSchemas["pbx_directory_entries"]
	if !ok {
		return false, "The provider has no pbx_directory_entries data source yet: the configurations have no plural data source, " +
			"and the singular-vs-plural comparison is skipped.", nil
	}
	for _, a := range []string{"uuids", "entries", "series"} {
		if _, ok := ds.Block.Attributes[a]; !ok {
			return false, fmt.Sprintf("pbx_directory_entries has no %q attribute, so the generated configuration would not fit it: "+
				"the plural data source is left out and the singular-vs-plural comparison is skipped.", a), nil
		}
	}
	return true, "The provider has pbx_directory_entries (uuids, entries, series): the configurations include it.", nil
}

// env is the environment of a Terraform command: the caller's, without Terraform
// logging or CLI settings, plus the CLI configuration and the mock's address and
// credentials (the provider's defaults for the directory API are the same).
func (b *bench) env(cliConfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "PBX_") || k == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"PBX_ENDPOINT="+b.mock.url,
		"PBX_USERNAME="+mockUser,
		"PBX_PASSWORD="+mockPass,
		"PBX_API_KEY="+mockAPIKey,
	)
}

// usersRun applies N users to an empty state, then runs a plan that must show no changes.
// For kindUsersNoDS (no plural data source) and kindUsersEntries (the data source keeps
// every entry's attributes), the provider only, just the apply is measured: they show what
// the data source costs the apply.
func (b *bench) usersRun(ctx context.Context, target string, n, lat int, kind configKind) error {
	name := "users"
	switch kind {
	case kindUsersNoDS:
		name = "users-no-data-source"
	case kindUsersEntries:
		name = "users-entries"
	}
	dir, err := b.workDir(target, lat, fmt.Sprintf("%s-%d", name, n), generateConfig(kind, n, b.plural))
	if err != nil {
		return err
	}
	apply := result{N: n, Target: target, LatencyMS: lat, Kind: kind, Phase: "apply"}
	if err := b.measure(ctx, &apply, dir, "apply", "-auto-approve"); err != nil {
		return err
	}
	if apply.Err == "" && target == targetPBX {
		if got, err := b.mock.userCount(ctx); err != nil {
			return err
		} else if got != n {
			apply.Err = fmt.Sprintf("after apply the mock holds %d users, want %d", got, n)
		}
	}
	b.record(apply)
	if kind == kindUsersNoDS || kind == kindUsersEntries {
		return nil
	}
	if apply.Err != "" {
		b.note("%s: the no-change plan was not run, since the apply did not succeed.", label(apply))
		return nil
	}
	plan := result{N: n, Target: target, LatencyMS: lat, Kind: kind, Phase: "plan"}
	if err := b.measure(ctx, &plan, dir, "plan", "-detailed-exitcode"); err != nil {
		return err
	}
	b.record(plan)
	return nil
}

// dataSourceRuns plans N/2 singular data sources and one plural data source over the
// same N/2 uuids (no state: data sources are read during plan).
func (b *bench) dataSourceRuns(ctx context.Context, target string, n, lat int) error {
	half := n / 2
	for _, kind := range dataSourceKinds(n, b.opts.singularMaxN) {
		name := map[configKind]string{kindSingular: "singular", kindPlural: "plural"}[kind]
		dir, err := b.workDir(target, lat, fmt.Sprintf("%s-%d", name, half), generateConfig(kind, half, true))
		if err != nil {
			return err
		}
		r := result{N: half, Target: target, LatencyMS: lat, Kind: kind, Phase: "plan"}
		if err := b.measure(ctx, &r, dir, "plan", "-detailed-exitcode"); err != nil {
			return err
		}
		b.record(r)
	}
	return nil
}

// scanRun plans one pbx_directory_entries over all n entries of the directory (no
// state: the data source is read during plan).
func (b *bench) scanRun(ctx context.Context, target string, n, lat int) error {
	dir, err := b.workDir(target, lat, fmt.Sprintf("scan-%d", n), generateConfig(kindPlural, n, true))
	if err != nil {
		return err
	}
	r := result{N: n, Target: target, LatencyMS: lat, Kind: kindScan, Phase: "plan"}
	if err := b.measure(ctx, &r, dir, "plan", "-detailed-exitcode"); err != nil {
		return err
	}
	b.record(r)
	return nil
}

func (b *bench) record(r result) {
	status := "ok"
	switch {
	case r.Err != "":
		status = "FAILED: " + r.Err
	case r.Changes:
		status = "plan NOT empty"
	}
	fmt.Printf("    %-44s %8.1fs  CPU %6.1fs  provider peak %s  requests %s  %s\n", label(r), r.Wall.Seconds(), r.CPU.Seconds(), mb(r.ProviderKB), formatRequests(r.Requests), status)
	if r.Err != "" {
		b.notes = append(b.notes, label(r)+": "+r.Err)
	}
	if prev := (report{Results: b.results}).find(r.Target, r.Kind, r.N, r.LatencyMS, r.Phase); prev != nil {
		prev.merge(r)
		return
	}
	b.results = append(b.results, r)
}

// merge adds another run of the same measurement: wall and CPU become the medians of
// the runs, the peak RSS their largest, and a failure or a non-empty plan in any run
// stays.
func (r *result) merge(o result) {
	if len(r.Walls) == 0 {
		r.Walls, r.CPUs = []time.Duration{r.Wall}, []time.Duration{r.CPU}
	}
	r.Walls, r.CPUs = append(r.Walls, o.Wall), append(r.CPUs, o.CPU)
	r.Wall, r.CPU = median(r.Walls), median(r.CPUs)
	r.ProviderKB, r.TerraformKB = max(r.ProviderKB, o.ProviderKB), max(r.TerraformKB, o.TerraformKB)
	r.Changes = r.Changes || o.Changes
	r.CutOff = r.CutOff || o.CutOff
	if r.Err == "" {
		r.Err = o.Err
	}
}

// median of ds (the lower middle one of an even number).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func (b *bench) workDir(target string, lat int, name, config string) (string, error) {
	sub := target
	if target == targetPBX {
		sub = fmt.Sprintf("pbx-%dms", lat)
	}
	dir := filepath.Join(b.tmp, "work", sub, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Printf("==> %s, %s\n", sub, name)
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644)
}

// measure runs `terraform <command> -input=false -no-color -parallelism=P <args>` in dir
// and fills r: wall time, the mock's request counts (reset just before), and the peak
// RSS of the provider processes. A Terraform failure goes to r.Err; only a failure of
// the bench itself is returned.
func (b *bench) measure(ctx context.Context, r *result, dir, command string, args ...string) error {
	cli, exe := b.cliNone, ""
	switch r.Target {
	case targetPBX:
		cli, exe = b.cliProvider, b.bins.provider
	case targetFloor:
		cli, exe = b.cliFloor, b.bins.floor
	case targetBare:
		cli, exe = b.cliBare, b.bins.bare
	}
	var logOffset int64
	if r.Target == targetPBX {
		if err := b.mock.resetCounts(ctx); err != nil {
			return err
		}
		logOffset = b.mock.logSize()
	}
	logPath := filepath.Join(dir, command+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()

	cmdCtx, cancel := context.WithTimeout(ctx, b.opts.cmdTimeout)
	defer cancel()
	cmdCtx, cancelHard := context.WithDeadline(cmdCtx, b.hardDeadline)
	defer cancelHard()
	argv := append([]string{command, "-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", b.opts.parallelism)}, args...)
	tf := b.tf
	if r.Kind == kindSite {
		tf = b.siteTF
	}
	cmd := exec.CommandContext(cmdCtx, tf, argv...)
	cmd.Dir = dir
	cmd.Env = b.env(cli)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Terraform and the providers it starts form a process group of their own, which
	// is interrupted on timeout or Ctrl-C, killed 30 seconds later if still there, and
	// killed if the bench itself dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting terraform: %w", err)
	}
	sampler := startRSSSampler(exe, cmd.Process.Pid, 50*time.Millisecond)
	waitErr := cmd.Wait()
	r.Wall = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		// wait4's rusage of Terraform includes the provider processes it reaped.
		r.CPU = ps.UserTime() + ps.SystemTime()
	}
	r.ProviderKB, r.ProviderProcs, r.TerraformKB = sampler.finish()
	if waitErr != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftovers of an interrupted run
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	var exit *exec.ExitError
	switch {
	case waitErr == nil:
	case command == "plan" && errors.As(waitErr, &exit) && exit.ExitCode() == 2:
		r.Changes = true
	case cmdCtx.Err() != nil && !time.Now().Before(b.hardDeadline):
		r.CutOff = true
		r.Err = fmt.Sprintf("cut off after %s at the bench's time limit (-budget plus 1 minute)", r.Wall.Round(time.Second))
	case cmdCtx.Err() != nil:
		r.Err = fmt.Sprintf("timed out after %s (log: %s)", b.opts.cmdTimeout, logPath)
	default:
		r.Err = fmt.Sprintf("terraform %s: %v (log: %s)", command, waitErr, logPath)
		fmt.Printf("    terraform %s failed; the end of its output:\n%s\n", command, tail(logPath, 20))
	}
	if r.Target == targetPBX {
		if r.Requests, err = b.mock.counts(ctx); err != nil {
			return err
		}
		r.Challenges = b.mock.challengesSince(logOffset)
	}
	return nil
}

// tail returns the last n lines of a file, indented.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "      (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "      " + strings.Join(lines, "\n      ")
}
