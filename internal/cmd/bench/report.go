package main

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The targets are stated for N = 1000 users at 20 ms.
const (
	targetN         = 1000
	targetLatencyMS = 20
	targetRSSN      = 5000
	maxPlanRequests = 3
	maxApplyReads   = 10 // "O(1) reads": requests other than users/add, at every N
	maxPlanRatio    = 1.10
	maxApplyRatio   = 1.15
	maxPluralRatio  = 0.10
	maxRSSMB        = 100.0 // at targetRSSN
	bigRSSN         = 10000
	maxBigRSSMB     = 150.0 // at bigRSSN
	maxDSCostRatio  = 1.10  // the users' apply with the plural data source over the one without, at targetN
	scanTargetN     = 10000 // a whole directory
	scanBaseN       = 1000
	maxScanSeconds  = 10.0
	maxScanGrowth   = 1.25 // t(10000)/t(1000) at most 1.25 times 10: linear, with room for noise
)

// byHand is the part of BENCHMARKS.md that make bench cannot measure within its budget
// (profiles, A/B comparisons of candidate shapes): written by hand with the commands that
// reproduce it, and appended to every report unchanged.
//
//go:embed byhand.md
var byHand string

// endpointOrder is the mock's endpoint list, in the order the tables show them.
var endpointOrder = []string{
	"users/add", "users/search", "users/update", "users/remove",
	"dir/get", "dir/query", "dir/create", "dir/update", "dir/delete", "dir/template",
}

type report struct {
	Env        environment
	Opts       options
	Results    []result
	Notes      []string
	Plural     bool
	OverBudget bool
}

func label(r result) string {
	t := r.Target
	if r.Target == targetPBX {
		t = fmt.Sprintf("pbx %d ms", r.LatencyMS)
	}
	what := map[configKind]string{
		kindUsers: "users", kindUsersData: "users", kindSingular: "singular data sources", kindPlural: "plural data source",
		kindScan: "directory scan", kindUsersNoDS: "users without data source", kindSite: "big site",
		kindUsersEntries: "users with the data source's entries",
	}[r.Kind]
	return fmt.Sprintf("%s, %s N=%d, %s", t, what, r.N, r.Phase)
}

// mb formats kB (KiB, as /proc reports them) as MB (10^6 bytes), the targets' unit.
func mb(kb int64) string {
	if kb <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MB", kbToMB(kb))
}

func kbToMB(kb int64) float64 { return float64(kb) * 1024 / 1e6 }

// formatRequests lists the non-zero counts in endpoint order, then any endpoint the
// mock added since, sorted; "none" when there were none, "n/a" without counts.
func formatRequests(counts map[string]int) string {
	if counts == nil {
		return "n/a"
	}
	var parts []string
	seen := map[string]bool{}
	for _, e := range endpointOrder {
		seen[e] = true
		if c := counts[e]; c > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", e, c))
		}
	}
	var extra []string
	for e, c := range counts {
		if !seen[e] && c > 0 {
			extra = append(extra, fmt.Sprintf("%s %d", e, c))
		}
	}
	slices.Sort(extra)
	parts = append(parts, extra...)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func totalRequests(counts map[string]int) int {
	t := 0
	for _, c := range counts {
		t += c
	}
	return t
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// ratio formats a/b, "n/a" when either is missing.
func ratio(a, b *result) string {
	if v, ok := ratioValue(a, b); ok {
		return fmt.Sprintf("%.2fx", v)
	}
	return "n/a"
}

func ratioValue(a, b *result) (float64, bool) {
	if a == nil || b == nil || a.Err != "" || b.Err != "" || b.Wall <= 0 {
		return 0, false
	}
	return a.Wall.Seconds() / b.Wall.Seconds(), true
}

func (rep report) find(target string, kind configKind, n, lat int, phase string) *result {
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Target == target && r.Kind == kind && r.N == n && r.Phase == phase && (target != targetPBX || r.LatencyMS == lat) {
			return r
		}
	}
	return nil
}

// failures counts the commands that failed or whose no-change plan was not empty;
// commands cut off at the time limit are not failures of the provider.
func (rep report) failures() int {
	n := 0
	for _, r := range rep.Results {
		if (r.Err != "" && !r.CutOff) || r.Changes {
			n++
		}
	}
	return n
}

// wallCell is a wall time, or why there is none.
func wallCell(r *result) string {
	switch {
	case r == nil:
		return "not run"
	case r.CutOff:
		return "cut off"
	case r.Err != "":
		return "FAILED"
	}
	if len(r.Walls) > 1 {
		runs := make([]string, len(r.Walls))
		for i, w := range r.Walls {
			runs[i] = fmt.Sprintf("%.1f", w.Seconds())
		}
		return fmt.Sprintf("%s (median of %s s)", seconds(r.Wall), strings.Join(runs, ", "))
	}
	return seconds(r.Wall)
}

func planCell(r *result) string {
	switch {
	case r == nil:
		return "not run"
	case r.CutOff:
		return "cut off"
	case r.Err != "":
		return "FAILED"
	case r.Changes:
		return "**no: changes**"
	}
	return "yes"
}

func rssCell(rs ...*result) string {
	var cells []string
	for _, r := range rs {
		if r == nil {
			cells = append(cells, "-")
			continue
		}
		cells = append(cells, mb(r.ProviderKB))
	}
	return strings.Join(cells, " / ")
}

func requestsCell(r *result) string {
	if r == nil {
		return "-"
	}
	if r.Requests == nil {
		return "n/a"
	}
	cell := fmt.Sprintf("%d: %s", totalRequests(r.Requests), formatRequests(r.Requests))
	if r.Challenges > 0 {
		cell += fmt.Sprintf(" (%d × 401)", r.Challenges)
	}
	return cell
}

// rows are the targets in table order: pbx at each latency, the floor, terraform_data.
type row struct {
	target string
	lat    int
}

func (rep report) rows(kinds ...configKind) []row {
	var out []row
	for _, lat := range rep.Opts.latencies {
		out = append(out, row{targetPBX, lat})
	}
	if slices.Contains(kinds, kindUsers) {
		out = append(out, row{targetBare, 0})
	}
	out = append(out, row{targetFloor, 0})
	if slices.Contains(kinds, kindUsersData) {
		out = append(out, row{targetData, 0})
	}
	return out
}

func (rw row) name() string {
	switch rw.target {
	case targetPBX:
		return fmt.Sprintf("pbx, %d ms", rw.lat)
	case targetFloor:
		return "schema floor"
	case targetBare:
		return "bare floor"
	}
	return "`terraform_data`"
}

func (rep report) usersTable() string {
	var b strings.Builder
	b.WriteString("| N | target | apply | apply / bare floor | no-change plan | plan / bare floor | plan empty | requests, apply | requests, plan | provider peak RSS, apply / plan |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---|---|---|---:|\n")
	for _, n := range rep.Opts.ns {
		floorApply := rep.find(targetBare, kindUsers, n, 0, "apply")
		floorPlan := rep.find(targetBare, kindUsers, n, 0, "plan")
		for _, rw := range rep.rows(kindUsers, kindUsersData) {
			kind := kindUsers
			if rw.target == targetData {
				kind = kindUsersData
			}
			apply := rep.find(rw.target, kind, n, rw.lat, "apply")
			plan := rep.find(rw.target, kind, n, rw.lat, "plan")
			if apply == nil && plan == nil {
				continue
			}
			rss := "n/a"
			if rw.target != targetData {
				rss = rssCell(apply, plan)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, rw.name(),
				wallCell(apply), ratio(apply, floorApply), wallCell(plan), ratio(plan, floorPlan), planCell(plan),
				requestsCell(apply), requestsCell(plan), rss)
		}
	}
	return b.String()
}

func (rep report) dataSourceTable() string {
	var b strings.Builder
	b.WriteString("| entries | target | N/2 × `pbx_directory_entry` | 1 × `pbx_directory_entries` | plural / singular | requests, singular | requests, plural | provider peak RSS, singular / plural |\n")
	b.WriteString("|---:|---|---:|---:|---:|---|---|---:|\n")
	for _, n := range rep.Opts.ns {
		half := n / 2
		for _, rw := range rep.rows(kindSingular) {
			s := rep.find(rw.target, kindSingular, half, rw.lat, "plan")
			p := rep.find(rw.target, kindPlural, half, rw.lat, "plan")
			if s == nil && p == nil {
				continue
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", half, rw.name(),
				wallCell(s), wallCell(p), ratio(p, s), requestsCell(s), requestsCell(p), rssCell(s, p))
		}
	}
	return b.String()
}

// scanTable: one plural data source over a whole directory, by its size.
func (rep report) scanTable() string {
	var b strings.Builder
	b.WriteString("| entries | target | plan | per 1000 entries | / bare floor | requests | provider peak RSS |\n")
	b.WriteString("|---:|---|---:|---:|---:|---|---:|\n")
	for _, n := range rep.Opts.scans {
		bare := rep.find(targetBare, kindScan, n, 0, "plan")
		for _, rw := range []row{{targetPBX, targetLatencyMS}, {targetBare, 0}} {
			r := rep.find(rw.target, kindScan, n, rw.lat, "plan")
			if r == nil {
				continue
			}
			per := "n/a"
			if r.Err == "" {
				per = fmt.Sprintf("%.2f s", r.Wall.Seconds()*1000/float64(n))
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", n, rw.name(), wallCell(r), per, ratio(r, bare), requestsCell(r), rssCell(r))
		}
	}
	return b.String()
}

func (rep report) markdown() string {
	e := rep.Env
	var b strings.Builder
	fmt.Fprintf(&b, `# Benchmarks

Written by `+"`make bench`"+` (internal/cmd/bench) on %s; the whole run took %s.
Do not edit by hand: run `+"`make bench`"+` again.

| | |
|---|---|
| machine | %d CPUs (%s), %d MB memory; load average %s at the start, %s at the end |
| Go | %s |
| Terraform | %s |
| provider | %s, built from the working tree by the bench |

The machine's 2 cores were shared with other work during the run (see the load average), so wall
times are noisy: ratios within one run are more telling than the absolute seconds, and a ratio
near a threshold should be measured again before anything is concluded from it.

## Targets

%s
## Users: apply, then a no-change plan

%s
## Data sources: N/2 singular against one plural (plan)

`, e.Date.Format("2006-01-02 15:04 MST"), e.Duration.Round(time.Second), e.CPUs, e.CPU, e.MemoryMB, e.LoadAvg, e.LoadAvgEnd,
		e.GoVersion, e.terraformCell(), e.ProviderVersion, rep.targetsTable(), rep.usersTable())
	if rep.Plural {
		b.WriteString(rep.dataSourceTable())
		b.WriteString("\n## A whole directory in one plan\n\n")
		b.WriteString(rep.scanTable())
	} else {
		b.WriteString("Not measured: the provider has no `pbx_directory_entries` data source yet.\n")
	}
	b.WriteString(rep.siteSections())
	fmt.Fprintf(&b, `
## What is measured

- **Configurations.** N `+"`pbx_user`"+` created with `+"`for_each`"+` over a literal local map: the odd ones with
  a name, the even ones (half) linked with `+"`directory_uuid`"+` to a directory entry seeded in the mock and
  named after it. When the provider has it, one `+"`pbx_directory_entries`"+` reads all N seeded entries (a
  superset of the linked ones, as the issue's first target states it). The data-source comparison plans
  N/2 `+"`pbx_directory_entry`"+` (`+"`for_each`"+`) against one `+"`pbx_directory_entries`"+` over the same N/2 uuids,
  with no state. The directory scan plans one `+"`pbx_directory_entries`"+` over every entry of a directory
  seeded with that many entries (pbx at %d ms, and the bare floor), with no state.
%s- **Targets.** *pbx*: the provider built from this tree, against the mock PBX (internal/cmd/pbxmock)
  on 127.0.0.1, with the latency added to every API request through the mock's fault API
  (`+"`PUT /_mock/faults`"+`, endpoint `+"`*`"+`). *schema floor* (internal/bench/floor): a terraform-plugin-framework
  provider with the real provider's resources, data sources and schemas (their own Metadata and Schema
  methods) whose CRUD only copies the plan to the state and fills computed values, with no I/O.
  *bare floor*: the same binary built with `+"`-X main.bare=true`"+`: the same attribute names, types and flags
  with every validator, plan modifier and default removed, and no `+"`ModifyPlan`"+`; it is the least
  Terraform and the framework can cost for this attribute shape, and the ratios are to it. The schema
  floor's own ratio shows what the schemas' logic costs. *`+"`terraform_data`"+`*: the same users as
  Terraform's built-in resource (`+"`input = each.value`"+`), with no plugin process at all. The floor and
  `+"`terraform_data`"+` do no I/O, so they run once per N and serve as the baseline for every latency.
  No target needs the schema floor's users, `+"`terraform_data`"+` or a latency other than %d ms, so by
  default they are not run (-baselines, -latency 2,20 add them), to keep the budget for the big sites.
- **Commands.** `+"`terraform apply -auto-approve`"+` into an empty state (the mock is wiped and re-seeded
  first), then `+"`terraform plan -detailed-exitcode`"+`, which must exit 0 ("plan empty"); all with
  `+"`-input=false -parallelism=%d`"+`, through a CLI configuration whose `+"`dev_overrides`"+` points at the
  built provider or the floor (no `+"`terraform init`"+`). Wall time is from the start of the Terraform
  process to its exit. At N=%d, whose ratios are targets, the provider's users, its apply without the data
  source and the floor's users run %d times (-repeat), in turn, and the tables show the median
  (each run's time in brackets): one run of each, on this machine, is good to about 20 %%.
- **Requests** are the mock's counters per endpoint (`+"`GET /_mock/requests`"+`), reset
  (`+"`DELETE /_mock/requests`"+`) right before each command; the total comes first. The requests the
  directory answered with 401 to send its Digest challenge are counted apart (`+"`GET /_mock/challenges`"+`)
  and not in the total; "(k × 401)" says how many there were (from the mock's request log).
- **Peak RSS.** While Terraform runs, every 50 ms the bench lists /proc, picks every process whose
  executable (`+"`/proc/<pid>/exe`"+`) is the built provider binary (Terraform may start it more than once per
  command) and reads `+"`VmHWM`"+` (the kernel's high-water mark of the resident set) from
  `+"`/proc/<pid>/status`"+`. The table shows the largest value of any provider process. VmHWM never
  decreases, so polling misses only growth in a process's last 50 ms. MB are 10^6 bytes.
`, targetLatencyMS, rep.siteMeasured(), targetLatencyMS, rep.Opts.parallelism, targetN, rep.Opts.repeats)
	if byHand != "" {
		b.WriteString("\n" + strings.TrimSpace(byHand) + "\n")
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n## Left out or failed, and why\n\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		if rep.OverBudget {
			b.WriteString("\nWhat the budget left out can be measured on its own, with more time and into another file, e.g.\n" +
				"`make bench BENCHFLAGS='-n 100 -entries 1000 -sites 5000,10000 -budget 2h -timeout 1h -out /tmp/bench-big.md'`\n" +
				"(each Terraform command is stopped after -timeout, 10 minutes by default).\n")
		}
	}
	return b.String()
}

// summary is the targets table for the terminal.
func (rep report) summary() string {
	var b strings.Builder
	for _, t := range rep.targets() {
		fmt.Fprintf(&b, "%-13s %s\n              %s\n", t.met, t.what, t.measured)
	}
	return b.String()
}

// terraformCell names the Terraform of the run, and that of the big sites when it differs.
func (e environment) terraformCell() string {
	if e.SiteTerraformVersion == "" {
		return e.TerraformVersion
	}
	return e.TerraformVersion + "; the big sites: " + e.SiteTerraformVersion + " (-site-terraform)"
}
