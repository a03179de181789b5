package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// job is one group of measurements: N users applied then planned, or the N/2 singular
// and plural data sources planned, for one target (and latency).
type job struct {
	n           int
	target      string
	lat         int
	dataSources bool
	scan        bool // one plural data source over a whole directory of n entries
	noDS        bool // the users' apply without the plural data source
	entriesDS   bool // the users' apply with a plural data source keeping every entry's attributes
	site        bool // a big site: written state, no-change plan
	siteApply   bool // the big site's apply renaming a few users (after its plan, at -site-apply-n)
	rep, reps   int  // a users job at targetN: run rep+1 of reps (-repeat)
}

func (j job) String() string {
	t := j.target
	if j.target == targetPBX {
		t = fmt.Sprintf("pbx at %d ms", j.lat)
	}
	if j.dataSources {
		return fmt.Sprintf("%d singular vs plural data sources, %s", j.n/2, t)
	}
	if j.scan {
		return fmt.Sprintf("directory scan of %d entries, %s", j.n, t)
	}
	run := ""
	if j.rep > 0 {
		run = fmt.Sprintf(", run %d of %d", j.rep+1, j.reps)
	}
	if j.noDS {
		return fmt.Sprintf("N=%d users without the plural data source, %s%s", j.n, t, run)
	}
	if j.entriesDS {
		return fmt.Sprintf("N=%d users with the plural data source's entries, %s", j.n, t)
	}
	if j.site {
		return fmt.Sprintf("big site of N=%d users (written state), %s", j.n, t)
	}
	if j.siteApply {
		return fmt.Sprintf("big site of N=%d users, apply renaming %d, %s", j.n, renamedUsers, t)
	}
	return fmt.Sprintf("N=%d users, %s%s", j.n, t, run)
}

// usersKind is the configuration of a users job: with the plural data source as a drift
// check, without it, or with its entries.
func (j job) usersKind() configKind {
	switch {
	case j.target == targetData:
		return kindUsersData
	case j.noDS:
		return kindUsersNoDS
	case j.entriesDS:
		return kindUsersEntries
	}
	return kindUsers
}

// kinds and phases are the results a job produces.
func (j job) parts(singularMaxN int) []result {
	if j.scan {
		return []result{{N: j.n, Target: j.target, LatencyMS: j.lat, Kind: kindScan, Phase: "plan"}}
	}
	if j.noDS || j.entriesDS {
		return []result{{N: j.n, Target: j.target, LatencyMS: j.lat, Kind: j.usersKind(), Phase: "apply"}}
	}
	if j.site {
		return []result{{N: j.n, Target: j.target, LatencyMS: j.lat, Kind: kindSite, Phase: "plan"}}
	}
	if j.siteApply {
		return []result{{N: j.n, Target: j.target, LatencyMS: j.lat, Kind: kindSite, Phase: "apply"}}
	}
	if j.dataSources {
		var out []result
		for _, k := range dataSourceKinds(j.n, singularMaxN) {
			out = append(out, result{N: j.n / 2, Target: j.target, LatencyMS: j.lat, Kind: k, Phase: "plan"})
		}
		return out
	}
	kind := kindUsers
	if j.target == targetData {
		kind = kindUsersData
	}
	return []result{
		{N: j.n, Target: j.target, LatencyMS: j.lat, Kind: kind, Phase: "apply"},
		{N: j.n, Target: j.target, LatencyMS: j.lat, Kind: kind, Phase: "plan"},
	}
}

// dataSourceKinds: the singular data sources only up to singularMaxN users, because
// Terraform's own cost for data sources grows faster than N.
func dataSourceKinds(n, singularMaxN int) []configKind {
	if n <= singularMaxN {
		return []configKind{kindSingular, kindPlural}
	}
	return []configKind{kindPlural}
}

// plan lists the jobs in priority order: first the targets' latency, for each N in
// increasing order the provider (at N = targetN also its apply without the plural data
// source), the bare floor and, with -baselines, the schema floor and terraform_data; the
// directory scans; the big sites (the provider and the bare floor); then the provider at
// the other latencies, again by N.
func plan(o options, plural bool) []job {
	ns := slices.Clone(o.ns)
	slices.Sort(ns)
	atTarget := slices.Contains(o.latencies, targetLatencyMS)
	var out []job
	add := func(n int, target string, lat int) {
		out = append(out, job{n: n, target: target, lat: lat})
		if plural && target != targetData && target != targetBare {
			out = append(out, job{n: n, target: target, lat: lat, dataSources: true})
		}
	}
	for _, n := range ns {
		if atTarget {
			add(n, targetPBX, targetLatencyMS)
			if plural && n == targetN {
				out = append(out, job{n: n, target: targetPBX, lat: targetLatencyMS, noDS: true})
			}
		}
		add(n, targetBare, 0)
		if o.baselines {
			add(n, targetFloor, 0)
			add(n, targetData, 0)
		}
		// The ratio targets again, the provider and the bare floor alternately: one run
		// each is not enough on a shared machine (BENCHMARKS.md, byhand.md).
		for k := 1; atTarget && n == targetN && k < o.repeats; k++ {
			out = append(out, job{n: n, target: targetPBX, lat: targetLatencyMS, rep: k, reps: o.repeats})
			if plural {
				out = append(out, job{n: n, target: targetPBX, lat: targetLatencyMS, noDS: true, rep: k, reps: o.repeats})
			}
			out = append(out, job{n: n, target: targetBare, rep: k, reps: o.repeats})
		}
	}
	if plural && atTarget {
		scans := slices.Clone(o.scans)
		slices.Sort(scans)
		for _, n := range scans {
			out = append(out, job{n: n, target: targetPBX, lat: targetLatencyMS, scan: true}, job{n: n, target: targetBare, scan: true})
		}
	}
	if atTarget {
		sites := slices.Clone(o.sites)
		slices.Sort(sites)
		for _, n := range sites {
			out = append(out, job{n: n, target: targetPBX, lat: targetLatencyMS, site: true}, job{n: n, target: targetBare, site: true})
			if n == o.siteApplyN {
				out = append(out, job{n: n, target: targetPBX, lat: targetLatencyMS, siteApply: true})
			}
		}
		// No target needs it: the apply with a data source keeping every entry's attributes.
		if plural && slices.Contains(ns, targetN) {
			out = append(out, job{n: targetN, target: targetPBX, lat: targetLatencyMS, entriesDS: true})
		}
	}
	latencies := o.latencies
	for _, lat := range latencies {
		if lat == targetLatencyMS {
			continue
		}
		for _, n := range ns {
			add(n, targetPBX, lat)
		}
	}
	return out
}

// basisOf reports whether result r can project part p: the same kind and phase at a
// smaller N; for a big site's plan also the no-change plans of applied users; for its apply
// that renames a few users, which costs about a plan of all of them, its plan at the same N;
// for the users' apply without the data source, the apply with it at the same N.
func basisOf(r, p result) bool {
	switch {
	case p.Kind == kindSite && p.Phase == "apply":
		return r.Kind == kindSite && r.Target == p.Target && r.N == p.N && !r.Changes
	case p.Kind == kindSite:
		return (r.Kind == kindSite || r.Kind == kindUsers) && r.Phase == "plan" && r.N < p.N
	case p.Kind == kindUsersNoDS || p.Kind == kindUsersEntries:
		return (r.Kind == p.Kind || r.Kind == kindUsers) && r.Phase == p.Phase && r.N <= p.N
	}
	return r.Kind == p.Kind && r.Phase == p.Phase && r.N < p.N
}

// estimate projects a job's duration from the same measurements at smaller N:
// t(n) = t(m) * (n/m)^k, with k fitted on the two largest smaller N (clamped to 1..2),
// or 1.5 with only one (Terraform's own time grows faster than N: from N=100 to 1000 the
// exponent measured here was 1.3 to 1.5). ok is false when there is nothing to project
// from.
func estimate(results []result, j job, singularMaxN int) (time.Duration, bool) {
	var total time.Duration
	for _, p := range j.parts(singularMaxN) {
		var prev []result
		for _, r := range results {
			if r.Target == p.Target && r.LatencyMS == p.LatencyMS && basisOf(r, p) && r.Err == "" {
				prev = append(prev, r)
			}
		}
		if len(prev) == 0 {
			return 0, false
		}
		slices.SortFunc(prev, func(a, b result) int { return a.N - b.N })
		last := prev[len(prev)-1]
		k := 1.5
		if len(prev) >= 2 {
			before := prev[len(prev)-2]
			if fit := math.Log(last.Wall.Seconds()/before.Wall.Seconds()) / math.Log(float64(last.N)/float64(before.N)); !math.IsNaN(fit) {
				k = min(2, max(1, fit))
			}
		}
		if p.Kind == kindSite && p.Phase == "plan" {
			// Beyond 1000 users Terraform's time per instance grows with N: here a plan of
			// 5000 took more than 8 times one of 1000 (byhand.md), more than the smaller N
			// predict. A big site is projected with an exponent of at least 1.5.
			k = max(k, 1.5)
		}
		total += time.Duration(float64(last.Wall) * math.Pow(float64(p.N)/float64(last.N), k))
	}
	return total, true
}

// runAll runs the jobs in priority order while they fit in the time budget. A job
// projected to end after the budget is skipped with a note, and so are the larger N of
// the same target. Terraform failures are recorded in the results; only an error of
// the bench itself (mock, files, Ctrl-C) stops the run.
func (b *bench) runAll(ctx context.Context, started time.Time) error {
	deadline := started.Add(b.opts.budget)
	skipped := map[string]int{} // job without n -> the N at which it was first skipped
	usersRan := map[int]bool{}  // N at which the provider's users job ran
	for _, j := range plan(b.opts, b.plural) {
		key := fmt.Sprintf("%s/%d/%v/%v/%v/%v/%v/%v/%v", j.target, j.lat, j.dataSources, j.scan, j.noDS, j.entriesDS, j.site, j.siteApply, j.rep > 0)
		if from, ok := skipped[key]; ok {
			b.note("%s: not run, since N=%d was not.", j, from)
			continue
		}
		if j.target == targetData && !usersRan[j.n] {
			b.note("%s: not run, since the provider's users were not run at this N.", j)
			continue
		}
		if j.lat > 0 && j.lat < targetLatencyMS && j.n > b.opts.lowLatencyMaxN {
			b.note("%s: not run (-low-latency-max-n=%d): the targets are at %d ms.", j, b.opts.lowLatencyMaxN, targetLatencyMS)
			skipped[key] = j.n
			continue
		}
		if est, ok := estimate(b.results, j, b.opts.singularMaxN); ok && time.Now().Add(est).After(deadline) {
			b.note("%s: not run: projected to take %s from the smaller N (Terraform's time grows faster than N), "+
				"which would end the bench after its %s budget (-budget) with %s left.",
				j, est.Round(time.Second), b.opts.budget, time.Until(deadline).Round(time.Second))
			skipped[key] = j.n
			b.overBudget = true
			continue
		}
		if time.Now().After(deadline) {
			b.note("%s: not run: the %s budget (-budget) was used up.", j, b.opts.budget)
			skipped[key] = j.n
			b.overBudget = true
			continue
		}
		if j.target == targetPBX && !j.site && !j.siteApply { // a big site seeds the mock itself
			if err := b.mock.prepare(ctx, j.n, j.lat); err != nil {
				return err
			}
		}
		var err error
		switch {
		case j.scan:
			err = b.scanRun(ctx, j.target, j.n, j.lat)
		case j.dataSources:
			err = b.dataSourceRuns(ctx, j.target, j.n, j.lat)
		case j.site:
			err = b.siteRun(ctx, j.target, j.n, j.lat)
		case j.siteApply:
			err = b.siteApplyRun(ctx, j.n, j.lat)
		default:
			err = b.usersRun(ctx, j.target, j.n, j.lat, j.usersKind())
			usersRan[j.n] = usersRan[j.n] || j.target == targetPBX
		}
		if err != nil {
			return err
		}
	}
	if b.plural && slices.ContainsFunc(b.opts.ns, func(n int) bool { return n > b.opts.singularMaxN }) {
		var big []string
		for _, n := range b.opts.ns {
			if n > b.opts.singularMaxN {
				big = append(big, fmt.Sprint(n/2))
			}
		}
		b.note("The singular data sources were planned only up to N=%d (-singular-max-n), not for %s entries: Terraform's own cost for data sources "+
			"grows faster than N, so at that size the singular configuration alone would take many minutes; the plural one was planned.",
			b.opts.singularMaxN, strings.Join(big, ", "))
	}
	return nil
}
