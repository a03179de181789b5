package main

import (
	_ "embed"
	"fmt"
	"strings"
)

// target is one line of the targets table.
type target struct {
	what, measured, met string
}

func metCell(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func (rep report) targets() []target {
	var out []target
	notRun := func(what, why string) { out = append(out, target{what, why, "not measured"}) }
	suffix := ""
	if !rep.Plural {
		suffix = " (users only: the provider has no `pbx_directory_entries` yet)"
	}

	// 1. No-change plan: at most 3 requests at any N, at most 1.10x the floor.
	var counts []string
	allOK, measured := true, false
	for _, n := range rep.Opts.ns {
		if p := rep.find(targetPBX, kindUsers, n, targetLatencyMS, "plan"); p != nil && p.Err == "" {
			t := totalRequests(p.Requests)
			counts = append(counts, fmt.Sprintf("N=%d: %d", n, t))
			allOK = allOK && t <= maxPlanRequests
			measured = true
		}
	}
	what := fmt.Sprintf("No-change plan of N users + one plural data source over N uuids: at most %d requests for any N (%d ms)", maxPlanRequests, targetLatencyMS)
	if measured {
		out = append(out, target{what, strings.Join(counts, ", ") + suffix, metCell(allOK)})
	} else {
		notRun(what, "no successful plan at 20 ms")
	}
	what = fmt.Sprintf("The same plan at N=%d, %d ms: at most %.2fx the bare floor's plan", targetN, targetLatencyMS, maxPlanRatio)
	pp, fp := rep.find(targetPBX, kindUsers, targetN, targetLatencyMS, "plan"), rep.find(targetBare, kindUsers, targetN, 0, "plan")
	if v, ok := ratioValue(pp, fp); ok {
		out = append(out, target{what, fmt.Sprintf("%.2fx (%s vs %s)%s", v, seconds(pp.Wall), seconds(fp.Wall), suffix), metCell(v <= maxPlanRatio)})
	} else {
		notRun(what, "no successful pair of plans")
	}

	// 2. Apply: N users/add plus O(1) reads, at most 1.15x the floor.
	counts, allOK, measured = nil, true, false
	for _, n := range rep.Opts.ns {
		if a := rep.find(targetPBX, kindUsers, n, targetLatencyMS, "apply"); a != nil && a.Err == "" {
			adds := a.Requests["users/add"]
			other := totalRequests(a.Requests) - adds
			counts = append(counts, fmt.Sprintf("N=%d: %d users/add + %d other", n, adds, other))
			allOK = allOK && adds == n && other <= maxApplyReads
			measured = true
		}
	}
	what = fmt.Sprintf("Apply creating N users: N `users/add` plus O(1) reads (here: at most %d other requests at every N, %d ms)", maxApplyReads, targetLatencyMS)
	if measured {
		out = append(out, target{what, strings.Join(counts, ", "), metCell(allOK)})
	} else {
		notRun(what, "no successful apply at 20 ms")
	}
	what = fmt.Sprintf("The same apply at N=%d, %d ms: at most %.2fx the bare floor's apply", targetN, targetLatencyMS, maxApplyRatio)
	pa, fa := rep.find(targetPBX, kindUsers, targetN, targetLatencyMS, "apply"), rep.find(targetBare, kindUsers, targetN, 0, "apply")
	if v, ok := ratioValue(pa, fa); ok {
		out = append(out, target{what, fmt.Sprintf("%.2fx (%s vs %s)", v, seconds(pa.Wall), seconds(fa.Wall)), metCell(v <= maxApplyRatio)})
	} else {
		notRun(what, "no successful pair of applies")
	}

	// 3. Plural over N/2 entries: at most 0.1x the plan of N/2 singular data sources.
	what = fmt.Sprintf("Plan of one `pbx_directory_entries` over N/2 = %d entries: at most %.1fx the plan of %d `pbx_directory_entry` (%d ms)",
		targetN/2, maxPluralRatio, targetN/2, targetLatencyMS)
	ps, pl := rep.find(targetPBX, kindSingular, targetN/2, targetLatencyMS, "plan"), rep.find(targetPBX, kindPlural, targetN/2, targetLatencyMS, "plan")
	switch v, ok := ratioValue(pl, ps); {
	case !rep.Plural:
		notRun(what, "the provider has no `pbx_directory_entries` yet")
	case ok:
		out = append(out, target{what, fmt.Sprintf("%.3fx (%s vs %s)", v, seconds(pl.Wall), seconds(ps.Wall)), metCell(v <= maxPluralRatio)})
	default:
		notRun(what, "no successful pair of plans")
	}

	// 4. A whole directory of 10,000 entries in one plan, linear from 1000.
	what = fmt.Sprintf("One `pbx_directory_entries` reading a whole directory of %d entries: plan within %.0f s (%d ms)", scanTargetN, maxScanSeconds, targetLatencyMS)
	big, small := rep.find(targetPBX, kindScan, scanTargetN, targetLatencyMS, "plan"), rep.find(targetPBX, kindScan, scanBaseN, targetLatencyMS, "plan")
	if big != nil && big.Err == "" {
		out = append(out, target{what, seconds(big.Wall), metCell(big.Wall.Seconds() <= maxScanSeconds)})
	} else {
		notRun(what, "no successful plan")
	}
	what = fmt.Sprintf("The same plan linear from %d: at %d entries at most %.2f times %d times the plan at %d", scanBaseN, scanTargetN, maxScanGrowth, scanTargetN/scanBaseN, scanBaseN)
	if v, ok := ratioValue(big, small); ok {
		out = append(out, target{what, fmt.Sprintf("%.1fx for %dx the entries (%s vs %s)", v, scanTargetN/scanBaseN, seconds(big.Wall), seconds(small.Wall)),
			metCell(v <= maxScanGrowth*float64(scanTargetN/scanBaseN))})
	} else {
		notRun(what, "no successful pair of plans")
	}

	// 5. What the plural data source costs the users' apply.
	what = fmt.Sprintf("A plural data source over %d entries, as a drift check (their timestamps: `include_entries = false`), costs the users' apply at most %.2fx (N=%d, %d ms, the apply without it)", targetN, maxDSCostRatio, targetN, targetLatencyMS)
	with, without := rep.find(targetPBX, kindUsers, targetN, targetLatencyMS, "apply"), rep.find(targetPBX, kindUsersNoDS, targetN, targetLatencyMS, "apply")
	switch v, ok := ratioValue(with, without); {
	case !rep.Plural:
		notRun(what, "the provider has no `pbx_directory_entries` yet")
	case ok:
		out = append(out, target{what, fmt.Sprintf("%.2fx (%s vs %s)", v, seconds(with.Wall), seconds(without.Wall)), metCell(v <= maxDSCostRatio)})
	default:
		notRun(what, "no successful pair of applies")
	}

	// 6. No-change plans of the big sites against the bare floor.
	what = fmt.Sprintf("No-change plans of big sites (written state) at N=%s, %d ms, against the bare floor", joinInts(rep.Opts.sites, " and "), targetLatencyMS)
	var cells []string
	allOK, measured = true, false
	for _, n := range rep.Opts.sites {
		p, f := rep.find(targetPBX, kindSite, n, targetLatencyMS, "plan"), rep.find(targetBare, kindSite, n, 0, "plan")
		measured = measured || p != nil || f != nil
		v, ok := ratioValue(p, f)
		if !ok || p.Changes || f.Changes {
			allOK = false
			cells = append(cells, fmt.Sprintf("N=%d: %s / %s", n, planCell(p), planCell(f)))
			continue
		}
		cells = append(cells, fmt.Sprintf("N=%d: %.2fx (%s vs %s), %d requests", n, v, seconds(p.Wall), seconds(f.Wall), totalRequests(p.Requests)))
	}
	if !measured {
		notRun(what, "no big site was run (-sites)")
	} else {
		met := "yes"
		if !allOK {
			met = "**no**"
		}
		out = append(out, target{what, strings.Join(cells, "; "), met})
	}

	// 7. Provider peak RSS at N=5000 and N=10,000.
	for _, t := range []struct {
		n     int
		limit float64
	}{{targetRSSN, maxRSSMB}, {bigRSSN, maxBigRSSMB}} {
		what = fmt.Sprintf("Provider peak RSS at N=%d under %.0f MB (every run of N users at %d ms: applied or big site, plan and apply)", t.n, t.limit, targetLatencyMS)
		var peak int64
		var runs []string
		for _, r := range rep.Results {
			if r.Target == targetPBX && (r.Kind == kindUsers || r.Kind == kindSite) && r.N == t.n && r.Err == "" {
				peak = max(peak, r.ProviderKB)
				runs = append(runs, fmt.Sprintf("%s %s", map[configKind]string{kindUsers: "applied users", kindSite: "big site"}[r.Kind], r.Phase))
			}
		}
		if peak > 0 {
			out = append(out, target{what, fmt.Sprintf("%s (%s)%s", mb(peak), strings.Join(runs, ", "), suffix), metCell(kbToMB(peak) < t.limit)})
		} else {
			notRun(what, fmt.Sprintf("no successful run at N=%d", t.n))
		}
	}
	return out
}

func joinInts(ns []int, sep string) string {
	var s []string
	for _, n := range ns {
		s = append(s, fmt.Sprint(n))
	}
	return strings.Join(s, sep)
}

func (rep report) targetsTable() string {
	var b strings.Builder
	b.WriteString("| target (issues 8 and 15) | measured | met |\n|---|---|---|\n")
	for _, t := range rep.targets() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.what, t.measured, t.met)
	}
	return b.String()
}
