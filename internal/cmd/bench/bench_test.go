package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestProcKB(t *testing.T) {
	status := "Name:\tterraform-provi\nVmPeak:\t 1300000 kB\nVmHWM:\t   45312 kB\nVmRSS:\t   40000 kB\n"
	for _, tc := range []struct {
		name, data, key string
		want            int64
		ok              bool
	}{
		{"status VmHWM", status, "VmHWM", 45312, true},
		{"status VmRSS", status, "VmRSS", 40000, true},
		{"prefix of another key", status, "VmH", 0, false},
		{"missing", status, "VmSwap", 0, false},
		{"meminfo", "MemTotal:       24684000 kB\nMemFree: 1 kB\n", "MemTotal", 24684000, true},
		{"no unit", "VmHWM:\t45312\n", "VmHWM", 0, false},
		{"not a number", "VmHWM:\tlots kB\n", "VmHWM", 0, false},
		{"negative", "VmHWM:\t-5 kB\n", "VmHWM", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := procKB([]byte(tc.data), tc.key)
			if got != tc.want || ok != tc.ok {
				t.Errorf("procKB(%q) = %d, %v; want %d, %v", tc.key, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFormatRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts map[string]int
		want   string
	}{
		{"no counts", nil, "n/a"},
		{"all zero", map[string]int{"users/add": 0, "dir/get": 0}, "none"},
		{"endpoint order, zeros left out", map[string]int{"dir/query": 1, "users/search": 2, "users/add": 1000, "dir/get": 0}, "users/add 1000, users/search 2, dir/query 1"},
		{"unknown endpoints last, sorted", map[string]int{"x/b": 1, "x/a": 2, "dir/get": 3}, "dir/get 3, x/a 2, x/b 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatRequests(tc.counts); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPluralFromSchema(t *testing.T) {
	const head = `{"format_version":"1.0","provider_schemas":{"registry.terraform.io/pbx-iac/pbx":{"data_source_schemas":{`
	for _, tc := range []struct {
		name, json string
		want       bool
		wantErr    bool
	}{
		{"singular only", head + `"pbx_directory_entry":{"block":{"attributes":{"uuid":{}}}}}}}}`, false, false},
		{"plural", head + `"pbx_directory_entries":{"block":{"attributes":{"uuids":{},"entries":{},"series":{}}}}}}}}`, true, false},
		{"plural of another shape", head + `"pbx_directory_entries":{"block":{"attributes":{"uuid_list":{},"entries":{},"series":{}}}}}}}}`, false, false},
		{"no pbx provider", `{"provider_schemas":{}}`, false, true},
		{"not JSON", `Error: no`, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, note, err := pluralFromSchema([]byte(tc.json))
			if got != tc.want || (err != nil) != tc.wantErr || (err == nil && note == "") {
				t.Errorf("got %v, %q, %v; want %v, a note, error %v", got, note, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestGenerateConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kind     configKind
		n        int
		plural   bool
		contains []string
		absent   []string
		count    map[string]int
	}{
		{"users with plural", kindUsers, 4, true,
			[]string{`resource "pbx_user" "user"`, `data "pbx_directory_entries" "all"`, `u00003 = { number = "100003", name = "User 00003"`},
			[]string{"terraform_data"},
			map[string]int{"directory_uuid = \"BE0C": 2, "directory_uuid = null": 2, "\"BE0C": 6}},
		{"users without plural", kindUsers, 4, false,
			[]string{`resource "pbx_user" "user"`}, []string{"pbx_directory_entries", "uuids"}, nil},
		{"terraform_data", kindUsersData, 3, true,
			[]string{`resource "terraform_data" "user"`, "input = each.value"}, []string{"pbx_", "provider"}, map[string]int{"secret = ": 3}},
		{"singular", kindSingular, 3, true,
			[]string{`data "pbx_directory_entry" "entry"`, "for_each = toset(local.uuids)"}, []string{"pbx_user", "pbx_directory_entries"}, map[string]int{`"BE0C`: 3}},
		{"plural", kindPlural, 3, true,
			[]string{`data "pbx_directory_entries" "all"`}, []string{"pbx_user", "pbx_directory_entry\""}, map[string]int{`"BE0C`: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := generateConfig(tc.kind, tc.n, tc.plural)
			for _, s := range tc.contains {
				if !strings.Contains(cfg, s) {
					t.Errorf("missing %q in\n%s", s, cfg)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(cfg, s) {
					t.Errorf("unexpected %q in\n%s", s, cfg)
				}
			}
			for s, want := range tc.count {
				if got := strings.Count(cfg, s); got != want {
					t.Errorf("%d × %q, want %d in\n%s", got, s, want, cfg)
				}
			}
		})
	}
}

func TestEntryUUIDsAreDistinctAndValid(t *testing.T) {
	seen := map[string]bool{}
	for i := range 10000 {
		u := entryFor(i).uuid
		if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' || seen[u] {
			t.Fatalf("entry %d: uuid %q is malformed or repeated", i, u)
		}
		seen[u] = true
	}
}

// TestTargets evaluates the targets from results, met and missed.
func TestTargets(t *testing.T) {
	res := func(target string, kind configKind, n, lat int, phase string, secs float64, req map[string]int, kb int64) result {
		return result{N: n, Target: target, LatencyMS: lat, Kind: kind, Phase: phase,
			Wall: time.Duration(secs * float64(time.Second)), Requests: req, ProviderKB: kb}
	}
	base := []result{
		res(targetBare, kindUsers, 1000, 0, "apply", 10, nil, 50000),
		res(targetBare, kindUsers, 1000, 0, "plan", 10, nil, 50000),
		res(targetFloor, kindUsers, 1000, 0, "apply", 1, nil, 50000), // not the ratios' basis
		res(targetFloor, kindUsers, 1000, 0, "plan", 1, nil, 50000),
		res(targetPBX, kindScan, 1000, 20, "plan", 1, map[string]int{"dir/get": 2}, 40000),
		res(targetPBX, kindPlural, 500, 20, "plan", 0.5, map[string]int{"dir/query": 1}, 40000),
		res(targetPBX, kindUsers, 5000, 20, "plan", 50, map[string]int{"users/search": 1}, 90000),
		res(targetBare, kindSite, 5000, 0, "plan", 40, nil, 60000),
		res(targetBare, kindSite, 10000, 0, "plan", 100, nil, 60000),
	}
	good := append(append([]result{}, base...),
		res(targetPBX, kindUsers, 1000, 20, "apply", 11, map[string]int{"users/add": 1000, "users/search": 1}, 60000),
		res(targetPBX, kindUsers, 1000, 20, "plan", 10.5, map[string]int{"users/search": 1, "dir/query": 2}, 60000),
		res(targetPBX, kindSingular, 500, 20, "plan", 6, map[string]int{"dir/get": 500}, 60000),
		res(targetPBX, kindScan, 10000, 20, "plan", 9, map[string]int{"dir/get": 11}, 90000),
		res(targetPBX, kindUsersNoDS, 1000, 20, "apply", 10.5, map[string]int{"users/add": 1000}, 60000),
		res(targetPBX, kindSite, 5000, 20, "plan", 42, map[string]int{"users/search": 1, "dir/get": 5, "dir/query": 1}, 95000),
		res(targetPBX, kindSite, 5000, 20, "apply", 45, map[string]int{"users/update": 10}, 97000),
		res(targetPBX, kindSite, 10000, 20, "plan", 110, map[string]int{"users/search": 1, "dir/get": 10, "dir/query": 1}, 140000),
	)
	bad := append(append([]result{}, base...),
		res(targetPBX, kindUsers, 1000, 20, "apply", 12, map[string]int{"users/add": 1000, "dir/get": 11}, 60000),
		res(targetPBX, kindUsers, 1000, 20, "plan", 12, map[string]int{"users/search": 1000}, 60000),
		res(targetPBX, kindSingular, 500, 20, "plan", 4, map[string]int{"dir/get": 500}, 60000),
		res(targetPBX, kindUsers, 5000, 20, "apply", 50, map[string]int{"users/add": 5000}, 160000),
		res(targetPBX, kindScan, 10000, 20, "plan", 13, map[string]int{"dir/get": 11}, 90000),
		res(targetPBX, kindUsersNoDS, 1000, 20, "apply", 5, map[string]int{"users/add": 1000}, 60000),
		res(targetPBX, kindSite, 5000, 20, "plan", 42, map[string]int{"users/search": 1}, 95000),
		res(targetPBX, kindSite, 10000, 20, "plan", 110, map[string]int{"users/search": 1}, 160000),
	)
	bad[len(bad)-1].Changes = true
	opts := options{ns: []int{1000, 5000}, latencies: []int{20}, scans: []int{1000, 10000}, sites: []int{5000, 10000}, parallelism: 10}
	for _, tc := range []struct {
		name    string
		results []result
		want    []string
	}{
		{"all met", good, []string{"yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"}},
		{"all missed", bad, []string{"**no**", "**no**", "**no**", "**no**", "**no**", "**no**", "**no**", "**no**", "**no**", "**no**", "**no**"}},
		{"nothing run", nil, []string{"not measured", "not measured", "not measured", "not measured", "not measured", "not measured", "not measured", "not measured", "not measured", "not measured", "not measured"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := report{Opts: opts, Results: tc.results, Plural: true}
			got := rep.targets()
			if len(got) != len(tc.want) {
				t.Fatalf("%d targets, want %d", len(got), len(tc.want))
			}
			for i, tg := range got {
				if tg.met != tc.want[i] {
					t.Errorf("target %d (%s): %s (%s), want %s", i+1, tg.what, tg.met, tg.measured, tc.want[i])
				}
			}
			md := rep.markdown()
			if strings.Count(md, "\n| ") < len(got) {
				t.Errorf("the report has no targets table:\n%s", md)
			}
			if tc.results != nil {
				for _, want := range []string{"## Big sites", "| 5000 | pbx, 20 ms | 42.0 s | 1.05x | yes |", "| 10000 | bare floor | 100.0 s | 1.00x |",
					"## What the plural data source costs the users' apply", "| 1000 | pbx, 20 ms | "} {
					if !strings.Contains(md, want) {
						t.Errorf("the report lacks %q", want)
					}
				}
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-n", "100, 1000", "-latency", "20"})
	if err != nil || len(o.ns) != 2 || o.ns[1] != 1000 || len(o.latencies) != 1 || o.parallelism != 10 {
		t.Errorf("got %+v, %v", o, err)
	}
	if o.baselines || len(o.sites) != 2 || o.sites[1] != 10000 || o.siteApplyN != targetRSSN || len(o.latencies) != 1 {
		t.Errorf("defaults: baselines %v, sites %v; want false, [5000 10000]", o.baselines, o.sites)
	}
	if o, err := parseFlags([]string{"-sites", "", "-n", "10000"}); err != nil || len(o.sites) != 0 || o.ns[0] != 10000 {
		t.Errorf("-sites '' -n 10000: got %+v, %v", o, err)
	}
	for _, args := range [][]string{{"-n", "1"}, {"-n", "x"}, {"-n", "10001"}, {"-sites", "10001"}, {"-sites", "1"}, {"-entries", "10001"}, {"-entries", "0"}, {"-latency", "-2"}, {"-parallelism", "0"}, {"extra"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestPlanOrder(t *testing.T) {
	got := plan(options{ns: []int{1000, 100}, latencies: []int{2, 20}, scans: []int{5000, 1000}, sites: []int{10000, 5000}, siteApplyN: 5000, baselines: true}, true)
	var names []string
	for _, j := range got {
		names = append(names, j.String())
	}
	want := []string{
		"N=100 users, pbx at 20 ms", "50 singular vs plural data sources, pbx at 20 ms",
		"N=100 users, bare floor",
		"N=100 users, floor", "50 singular vs plural data sources, floor",
		"N=100 users, terraform_data",
		"N=1000 users, pbx at 20 ms", "500 singular vs plural data sources, pbx at 20 ms",
		"N=1000 users without the plural data source, pbx at 20 ms",
		"N=1000 users, bare floor",
		"N=1000 users, floor", "500 singular vs plural data sources, floor",
		"N=1000 users, terraform_data",
		"directory scan of 1000 entries, pbx at 20 ms", "directory scan of 1000 entries, bare floor",
		"directory scan of 5000 entries, pbx at 20 ms", "directory scan of 5000 entries, bare floor",
		"big site of N=5000 users (written state), pbx at 20 ms", "big site of N=5000 users (written state), bare floor",
		"big site of N=5000 users, apply renaming 10, pbx at 20 ms",
		"big site of N=10000 users (written state), pbx at 20 ms", "big site of N=10000 users (written state), bare floor",
		"N=1000 users with the plural data source's entries, pbx at 20 ms",
		"N=100 users, pbx at 2 ms", "50 singular vs plural data sources, pbx at 2 ms",
		"N=1000 users, pbx at 2 ms", "500 singular vs plural data sources, pbx at 2 ms",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if got := plan(options{ns: []int{100}, latencies: []int{20}, scans: []int{1000}, baselines: true}, false); len(got) != 4 {
		t.Errorf("without the plural data source: %d jobs, want 4 (pbx, bare floor, floor, terraform_data users)", len(got))
	}
	if got := plan(options{ns: []int{100, 1000}, latencies: []int{20}}, false); len(got) != 4 {
		t.Errorf("without baselines: %d jobs, want 4 (pbx and bare floor users at each N)", len(got))
	}
}

func TestEstimate(t *testing.T) {
	at := func(n int, phase string, secs float64) result {
		return result{N: n, Target: targetFloor, Kind: kindUsers, Phase: phase, Wall: time.Duration(secs * float64(time.Second))}
	}
	j := job{n: 4000, target: targetFloor}
	for _, tc := range []struct {
		name    string
		results []result
		want    time.Duration
		ok      bool
	}{
		{"nothing smaller", nil, 0, false},
		{"one phase missing", []result{at(1000, "apply", 10)}, 0, false},
		{"one N: exponent 1.5", []result{at(1000, "apply", 10), at(1000, "plan", 5)}, 120 * time.Second, true},
		{"two N: fitted exponent 1", []result{at(100, "apply", 1), at(1000, "apply", 10), at(100, "plan", 0.5), at(1000, "plan", 5)}, 60 * time.Second, true},
		{"fitted exponent capped at 2", []result{at(500, "apply", 1), at(1000, "apply", 100), at(1000, "plan", 1)}, 1608 * time.Second, true},
		{"failed runs are no basis", []result{{N: 1000, Target: targetFloor, Kind: kindUsers, Phase: "apply", Wall: time.Second, Err: "x"}, at(1000, "plan", 1)}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := estimate(tc.results, j, 1000)
			if ok != tc.ok || (got-tc.want).Abs() > time.Second {
				t.Errorf("got %s, %v; want %s, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCountChallenges(t *testing.T) {
	log := `pbxmock: 2026/11/30 07:10:01 serving http://127.0.0.1:1 (Simotel ...)
pbxmock: 2026/11/30 07:10:02 POST /api/dir/get 401 20ms
pbxmock: 2026/11/30 07:10:02 POST /api/dir/get 200 21ms
pbxmock: 2026/11/30 07:10:02 POST /api/dir/query 401 20ms
pbxmock: 2026/11/30 07:10:02 GET /_mock/requests 401 0s
pbxmock: 2026/11/30 07:10:02 POST /api/v4/pbx/users/search 200 20ms
pbxmock: 2026/11/30 07:10:03 POST /api/v4/pbx/users/search - 20ms
`
	if got := countChallenges(strings.NewReader(log)); got != 2 {
		t.Errorf("countChallenges = %d, want 2 (API requests answered 401 only)", got)
	}
}

func TestRenameUsers(t *testing.T) {
	cfg := generateConfig(kindUsers, 30, true)
	got := renameUsers(cfg, 3)
	for _, i := range []int{1, 3, 5} {
		if !strings.Contains(got, fmt.Sprintf("name = %q,", renamedName(i))) {
			t.Errorf("user %d not renamed", i)
		}
	}
	if strings.Contains(got, renamedName(7)) || strings.Count(got, "renamed") != 3 {
		t.Errorf("%d users renamed, want 3", strings.Count(got, "renamed"))
	}
	if len(strings.Split(got, "\n")) != len(strings.Split(cfg, "\n")) {
		t.Error("the renamed configuration has other lines")
	}
}

func TestIdentitySince(t *testing.T) {
	for v, want := range map[string]bool{"1.11.4": false, "1.12.0": true, "1.14.8": true, "2.0.0": true, "1.5.7": false, "": false, "x.y": false} {
		if got := identitySince(v); got != want {
			t.Errorf("identitySince(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestEstimateSite: a big site is projected from the applied users' no-change plans, and
// its apply at targetRSSN counts as one more plan.
func TestEstimateSite(t *testing.T) {
	plan1000 := result{N: 1000, Target: targetPBX, LatencyMS: 20, Kind: kindUsers, Phase: "plan", Wall: 10 * time.Second}
	apply1000 := result{N: 1000, Target: targetPBX, LatencyMS: 20, Kind: kindUsers, Phase: "apply", Wall: 100 * time.Second}
	got, ok := estimate([]result{plan1000, apply1000}, job{n: 4000, target: targetPBX, lat: 20, site: true}, 1000)
	if !ok || (got-80*time.Second).Abs() > time.Second {
		t.Errorf("N=4000: %s, %v; want 80s (10s × 4^1.5)", got, ok)
	}
	site := result{N: targetRSSN, Target: targetPBX, LatencyMS: 20, Kind: kindSite, Phase: "plan", Wall: 50 * time.Second}
	got, ok = estimate([]result{plan1000, site}, job{n: targetRSSN, target: targetPBX, lat: 20, siteApply: true}, 1000)
	if !ok || got != 50*time.Second {
		t.Errorf("apply at N=%d: %s, %v; want its plan's 50s", targetRSSN, got, ok)
	}
	if _, ok := estimate([]result{plan1000}, job{n: targetRSSN, target: targetPBX, lat: 20, siteApply: true}, 1000); ok {
		t.Error("the site's apply was projected without its plan")
	}
	got, ok = estimate([]result{apply1000}, job{n: 1000, target: targetPBX, lat: 20, noDS: true}, 1000)
	if !ok || got != 100*time.Second {
		t.Errorf("without the data source: %s, %v; want the apply with it, 100s", got, ok)
	}
}

// TestEstimateSiteExponent: a big site's plan is projected with an exponent of at least 1.5,
// even when the smaller plans grew linearly.
func TestEstimateSiteExponent(t *testing.T) {
	plans := []result{
		{N: 100, Target: targetPBX, LatencyMS: 20, Kind: kindUsers, Phase: "plan", Wall: 2 * time.Second},
		{N: 1000, Target: targetPBX, LatencyMS: 20, Kind: kindUsers, Phase: "plan", Wall: 20 * time.Second},
	}
	got, ok := estimate(plans, job{n: 4000, target: targetPBX, lat: 20, site: true}, 1000)
	if !ok || (got-160*time.Second).Abs() > time.Second {
		t.Errorf("got %s, %v; want 160s (20s × 4^1.5, not 80s for the fitted exponent 1)", got, ok)
	}
}

// TestRepeats: at N=1000 the provider's users (with and without the plural data source) and
// the bare floor's run again, alternately, right after the first round; the results merge
// into one with the medians.
func TestRepeats(t *testing.T) {
	var names []string
	for _, j := range plan(options{ns: []int{1000}, latencies: []int{20}, repeats: 3}, true) {
		names = append(names, j.String())
	}
	want := []string{
		"N=1000 users, pbx at 20 ms", "500 singular vs plural data sources, pbx at 20 ms",
		"N=1000 users without the plural data source, pbx at 20 ms", "N=1000 users, bare floor",
		"N=1000 users, pbx at 20 ms, run 2 of 3", "N=1000 users without the plural data source, pbx at 20 ms, run 2 of 3", "N=1000 users, bare floor, run 2 of 3",
		"N=1000 users, pbx at 20 ms, run 3 of 3", "N=1000 users without the plural data source, pbx at 20 ms, run 3 of 3", "N=1000 users, bare floor, run 3 of 3",
		"N=1000 users with the plural data source's entries, pbx at 20 ms",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}

	b := &bench{}
	for i, tc := range []struct {
		wall, cpu float64
		kb        int64
		err       string
	}{{3, 30, 100, ""}, {1, 10, 300, ""}, {2, 20, 200, "boom"}} {
		b.record(result{N: 1000, Target: targetPBX, LatencyMS: 20, Kind: kindUsers, Phase: "apply",
			Wall: time.Duration(tc.wall * float64(time.Second)), CPU: time.Duration(tc.cpu * float64(time.Second)), ProviderKB: tc.kb, Err: tc.err})
		if len(b.results) != 1 {
			t.Fatalf("after run %d: %d results, want the runs merged into 1", i+1, len(b.results))
		}
	}
	r := b.results[0]
	if r.Wall != 2*time.Second || r.CPU != 20*time.Second || r.ProviderKB != 300 || r.Err != "boom" || len(r.Walls) != 3 {
		t.Errorf("merged: wall %s, CPU %s, %d kB, err %q, %d walls; want the medians 2s and 20s, the largest RSS 300, the failure, 3 walls",
			r.Wall, r.CPU, r.ProviderKB, r.Err, len(r.Walls))
	}
	r.Err = ""
	if got := wallCell(&r); got != "2.0 s (median of 3.0, 1.0, 2.0 s)" {
		t.Errorf("wallCell = %q", got)
	}
}

// TestUsersConfigurations: the users' plural data source is a drift check; the variants
// measured against it keep every entry's attributes, or have no data source at all.
func TestUsersConfigurations(t *testing.T) {
	for _, tc := range []struct {
		kind                   configKind
		dataSource, timestamps bool
	}{
		{kindUsers, true, true},
		{kindUsersEntries, true, false},
		{kindUsersNoDS, false, false},
	} {
		cfg := generateConfig(tc.kind, 4, true)
		if got := strings.Count(cfg, `resource "pbx_user" "user"`); got != 1 {
			t.Errorf("kind %d: %d pbx_user blocks, want 1", tc.kind, got)
		}
		if got := strings.Contains(cfg, `data "pbx_directory_entries" "all"`); got != tc.dataSource {
			t.Errorf("kind %d: plural data source %v, want %v", tc.kind, got, tc.dataSource)
		}
		if got := strings.Contains(cfg, "include_entries = false"); got != tc.timestamps {
			t.Errorf("kind %d: include_entries = false %v, want %v", tc.kind, got, tc.timestamps)
		}
		if got := strings.Contains(cfg, "uuids = ["); got != tc.dataSource {
			t.Errorf("kind %d: a local list of uuids %v, want it only with the data source", tc.kind, got)
		}
	}
}
