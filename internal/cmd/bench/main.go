// Command bench is `make bench`: it measures the provider through Terraform against the
// mock PBX and writes BENCHMARKS.md. It needs only Go and Terraform.
//
//  1. build the provider, the plugin floor (internal/bench/floor: the same schemas, no
//     I/O) and the mock (internal/cmd/pbxmock) into a temporary directory;
//  2. start the mock on 127.0.0.1 with its control API;
//  3. for each N, generate a configuration of N pbx_user (half linked to seeded directory
//     entries) plus one pbx_directory_entries over the N entries, and run `terraform
//     apply` and then a no-change `terraform plan` with -parallelism=10: against the
//     provider at each latency injected into the mock, against the bare floor and (with
//     -baselines) the schema floor and the same users as Terraform's terraform_data;
//  4. plan N/2 singular pbx_directory_entry against one pbx_directory_entries over the
//     same N/2 uuids, and one pbx_directory_entries over whole directories (-entries);
//  5. for the big sites (-sites), seed the mock with N users and entries, write the
//     state an apply would have left (statefile.go) and run a no-change plan, against
//     the provider and the bare floor, then (-site-apply-n) an apply renaming 10 users;
//  6. write the tables (wall time, ratio to the floor, requests per endpoint from the
//     mock's counters, the provider's peak RSS) and the targets to BENCHMARKS.md.
//
// The mock and every Terraform process are stopped on exit, on error and on Ctrl-C; the
// temporary directory is removed unless -keep is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const modulePath = "github.com/pbx-iac/terraform-provider-pbx"

type options struct {
	out            string
	version        string
	ns             []int
	scans          []int
	sites          []int
	latencies      []int
	baselines      bool
	siteApplyN     int
	repeats        int
	parallelism    int
	singularMaxN   int
	lowLatencyMaxN int
	budget         time.Duration
	terraform      string
	siteTerraform  string
	keep           bool
	cmdTimeout     time.Duration
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nbench FAILED:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	var ns, lat, scans, sites string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "write the report to this file (relative to the repository root)")
	fs.StringVar(&o.version, "version", "0.1.0-dev", "provider version to build (the commit is appended)")
	fs.StringVar(&ns, "n", "100,1000", "numbers of users applied through Terraform, comma-separated (the big sites are -sites)")
	fs.StringVar(&scans, "entries", "1000,2500,5000,10000", "directory sizes read whole by one pbx_directory_entries (at 20 ms), comma-separated")
	fs.StringVar(&sites, "sites", "5000,10000", "numbers of users of the big sites (state written, not applied; no-change plan at 20 ms), comma-separated; empty for none")
	fs.IntVar(&o.siteApplyN, "site-apply-n", targetRSSN, "the big site whose no-change plan is followed by an apply renaming a few users (0: none)")
	fs.IntVar(&o.repeats, "repeat", 3, "times the users at N=1000 (the ratio targets) are applied and planned, the provider and the bare floor alternately; the tables show the median")
	fs.BoolVar(&o.baselines, "baselines", false, "also run the schema floor and terraform_data for the users (no target needs them)")
	fs.StringVar(&lat, "latency", "20", "latencies injected into every mock API request, in ms, comma-separated")
	fs.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	fs.IntVar(&o.singularMaxN, "singular-max-n", 1000, "largest N whose N/2 singular data sources are planned (Terraform's cost grows faster than N)")
	fs.IntVar(&o.lowLatencyMaxN, "low-latency-max-n", 9000, "largest N run at latencies below 20 ms (the targets are at 20 ms)")
	fs.DurationVar(&o.budget, "budget", 24*time.Minute, "time budget of the whole run (builds included): a measurement projected to end later is skipped, and said so. "+
		"Two no-change plans at N=10,000 take Terraform itself about 10 minutes here, and -repeat 3 about 4 more (byhand.md)")
	fs.StringVar(&o.terraform, "terraform", "", "terraform binary (default: terraform on PATH)")
	fs.StringVar(&o.siteTerraform, "site-terraform", "", "terraform binary for the big sites (default: -terraform); make bench passes Terraform 1.14 when it is built, "+
		"because Terraform 1.11's own plan time grows faster than N there (byhand.md)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configurations, states, logs)")
	fs.DurationVar(&o.cmdTimeout, "timeout", 10*time.Minute, "timeout of each terraform command")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if o.ns, err = parseInts(ns); err != nil {
		return o, fmt.Errorf("-n: %w", err)
	}
	if o.latencies, err = parseInts(lat); err != nil {
		return o, fmt.Errorf("-latency: %w", err)
	}
	if o.scans, err = parseInts(scans); err != nil {
		return o, fmt.Errorf("-entries: %w", err)
	}
	if strings.TrimSpace(sites) != "" {
		if o.sites, err = parseInts(sites); err != nil {
			return o, fmt.Errorf("-sites: %w", err)
		}
	}
	for _, n := range o.scans {
		if n < 1 || n > 10000 {
			return o, fmt.Errorf("-entries: %d is not between 1 and 10000 (the mock holds 10000 directory entries)", n)
		}
	}
	// Every user's entry is seeded (the plural data source reads all N, the even users
	// link to theirs): at most the 10,000 entries a 2N directory holds (design/api/reference.md).
	for _, n := range o.ns {
		if n < 2 || n > 10000 {
			return o, fmt.Errorf("-n: %d is not between 2 and 10000 (the mock's directory holds 10000 entries, one per user)", n)
		}
	}
	for _, n := range o.sites {
		if n < 2 || n > 10000 {
			return o, fmt.Errorf("-sites: %d is not between 2 and 10000 (the mock's directory holds 10000 entries, one per user)", n)
		}
	}
	if o.repeats < 1 {
		return o, errors.New("-repeat must be at least 1")
	}
	if o.parallelism < 1 {
		return o, errors.New("-parallelism must be at least 1")
	}
	return o, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%q is not a non-negative integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func run(ctx context.Context, o options) (err error) {
	started := time.Now()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := findRepoRoot(wd)
	if err != nil {
		return err
	}
	if o.terraform == "" {
		if o.terraform, err = exec.LookPath("terraform"); err != nil {
			return errors.New("terraform was not found on PATH: install Terraform (>= 1.11) or pass -terraform")
		}
	}
	tmp, err := os.MkdirTemp("", "pbx-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep || err != nil {
			fmt.Printf("\nConfigurations, states and logs kept in %s\n", tmp)
			return
		}
		_ = os.RemoveAll(tmp)
	}()

	env, err := describeEnvironment(ctx, root, o.terraform)
	if err != nil {
		return err
	}
	env.ProviderVersion = o.version + "+" + env.Commit
	fmt.Printf("%s, %s, %s\n", env.CPU, env.GoVersion, env.TerraformVersion)
	siteTF, siteSemver := o.terraform, env.TerraformSemver
	if o.siteTerraform != "" && o.siteTerraform != o.terraform {
		if env.SiteTerraformVersion, env.SiteTerraformSemver, err = terraformVersion(ctx, o.siteTerraform); err != nil {
			return err
		}
		siteTF, siteSemver = o.siteTerraform, env.SiteTerraformSemver
		fmt.Printf("The big sites run on %s (%s)\n", env.SiteTerraformVersion, siteTF)
	}

	fmt.Println("==> Building the provider, the plugin floor and the mock PBX")
	bins, err := build(ctx, root, tmp, env.ProviderVersion)
	if err != nil {
		return err
	}

	fmt.Println("==> Starting the mock PBX on 127.0.0.1")
	mock, err := startMock(ctx, bins.mock, tmp)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := mock.stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	fmt.Printf("Mock PBX listening on %s (log: %s)\n", mock.url, mock.logPath)

	b := &bench{opts: o, tmp: tmp, bins: bins, mock: mock, tf: o.terraform, hardDeadline: started.Add(o.budget + time.Minute),
		siteTF: siteTF, siteTFVersion: siteSemver, siteIdentity: identitySince(siteSemver)}
	if b.userSchemas, err = loadUserSchemas(ctx); err != nil {
		return err
	}
	if err := b.writeCLIConfigs(); err != nil {
		return err
	}
	b.plural, b.pluralNote, err = b.detectPlural(ctx)
	if err != nil {
		return err
	}
	fmt.Println(b.pluralNote)

	runErr := b.runAll(ctx, started)
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: the report would be partial, so none is written
	}
	env.Duration = time.Since(started)
	env.LoadAvgEnd = loadAvg()
	rep := report{Env: env, Opts: o, Results: b.results, Notes: b.notes, Plural: b.plural, OverBudget: b.overBudget}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if writeErr := os.WriteFile(out, []byte(rep.markdown()), 0o644); writeErr != nil {
		return errors.Join(runErr, writeErr)
	}
	fmt.Printf("\n==> Wrote %s (the run took %s)\n\n", out, env.Duration.Round(time.Second))
	fmt.Print(rep.summary())
	if runErr != nil {
		return runErr
	}
	if failed := rep.failures(); failed > 0 {
		return fmt.Errorf("%d measurement(s) failed or planned changes where none were expected; see %s and the logs in %s", failed, out, tmp)
	}
	return nil
}

// findRepoRoot walks up from dir to the directory holding this module's go.mod.
func findRepoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(data), "module "+modulePath+"\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside the %s module; run make bench from the repository", dir, modulePath)
		}
	}
}
