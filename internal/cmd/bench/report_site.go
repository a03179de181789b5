package main

import (
	"fmt"
	"strings"
)

// siteTable: the big sites, by N, for the provider and the bare floor.
func (rep report) siteTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| N | target | no-change plan | plan / bare floor | plan empty | requests, plan | apply renaming %d | requests, apply | CPU, plan / apply | provider peak RSS, plan / apply |\n", renamedUsers)
	b.WriteString("|---:|---|---:|---:|---|---|---:|---|---:|---:|\n")
	for _, n := range rep.Opts.sites {
		barePlan := rep.find(targetBare, kindSite, n, 0, "plan")
		for _, rw := range []row{{targetPBX, targetLatencyMS}, {targetBare, 0}} {
			plan := rep.find(rw.target, kindSite, n, rw.lat, "plan")
			apply := rep.find(rw.target, kindSite, n, rw.lat, "apply")
			if plan == nil && apply == nil {
				continue
			}
			applyCell, applyReq, cpu, rss := "-", "-", cpuCell(plan), rssCell(plan)
			if n == rep.Opts.siteApplyN && rw.target == targetPBX {
				applyCell, applyReq = wallCell(apply), requestsCell(apply)
				cpu, rss = cpuCell(plan, apply), rssCell(plan, apply)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, rw.name(),
				wallCell(plan), ratio(plan, barePlan), planCell(plan), requestsCell(plan), applyCell, applyReq, cpu, rss)
		}
	}
	return b.String()
}

// cpuCell is the CPU time of each command ("-" when not run).
func cpuCell(rs ...*result) string {
	var cells []string
	for _, r := range rs {
		if r == nil || r.CPU <= 0 {
			cells = append(cells, "-")
			continue
		}
		cells = append(cells, seconds(r.CPU))
	}
	return strings.Join(cells, " / ")
}

// dataSourceCostTable: the users' apply at N = targetN with the plural data source as a
// drift check (the users configuration), with its entries, and without it.
func (rep report) dataSourceCostTable() string {
	without := rep.find(targetPBX, kindUsersNoDS, targetN, targetLatencyMS, "apply")
	rows := []struct {
		what string
		r    *result
	}{
		{"with the data source: timestamps only (`include_entries = false`)", rep.find(targetPBX, kindUsers, targetN, targetLatencyMS, "apply")},
		{"with the data source: every entry's attributes (`include_entries` unset)", rep.find(targetPBX, kindUsersEntries, targetN, targetLatencyMS, "apply")},
		{"without the data source", without},
	}
	if rows[0].r == nil && rows[1].r == nil && without == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("| N | target | configuration | apply | / without | requests | CPU | provider peak RSS |\n")
	b.WriteString("|---:|---|---|---:|---:|---|---:|---:|\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %d | pbx, %d ms | %s | %s | %s | %s | %s | %s |\n", targetN, targetLatencyMS, row.what,
			wallCell(row.r), ratio(row.r, without), requestsCell(row.r), cpuCell(row.r), rssCell(row.r))
	}
	return b.String()
}

// siteSections are the report's sections on the big sites and the data source's cost.
func (rep report) siteSections() string {
	var b strings.Builder
	if len(rep.Opts.sites) > 0 {
		b.WriteString("\n## Big sites: a written state, then a no-change plan\n\n")
		b.WriteString(rep.siteTable())
	}
	if t := rep.dataSourceCostTable(); t != "" {
		b.WriteString("\n## What the plural data source costs the users' apply\n\n")
		b.WriteString(t)
	}
	return b.String()
}

// siteMeasured is the "What is measured" text on the big sites and the data source's cost.
func (rep report) siteMeasured() string {
	return fmt.Sprintf(`- **Big sites.** Applying 5000 or 10,000 users through Terraform does not fit the budget (its
  time grows faster than N), so for each N of -sites the bench builds the state an apply would
  have left: it wipes the mock and seeds, through its control API, the N directory entries and
  the N users of the users configuration (the same configuration: the even users linked, with
  the entry's name and e-mail, the odd ones named; every user's secret, and an _id the state
  records), then writes `+"`terraform.tfstate`"+` (format version 4) itself. Its attributes come from
  `+"`pbx_user`"+`'s own schema, read from the provider package: every attribute present, defaults
  from the schema, write-only ones null, the sensitive paths, the private state the provider
  keeps for a linked user (the entry, the directory's watermark, the followed name and e-mail)
  and, with Terraform 1.12 or later, the identity. A unit test (TestUserStateMatchesApply)
  holds the writer to the state a real apply left. For the bare floor the state is the one the
  floor keeps (computed values it fills with zero values, no private state, no identity). The
  state holds the users only: the plural data source over the N entries is read by the plan
  anyway. Then `+"`terraform plan -detailed-exitcode`"+` must be empty, at %d ms. The directory is
  seeded with one entry per user, so N is at most 10,000, the most a 2N directory holds
  (design/api/reference.md), which N=10,000 fills exactly. At N=%d (-site-apply-n) the
  provider's site then gets an apply in which the configuration renames %d unlinked users:
  Terraform refreshes and plans all N and writes %d (`+"`users/update`"+`): an apply's peak RSS and
  wall time at that size.
  With -site-terraform (make bench passes Terraform 1.14 when it is built) the big sites, the
  provider's and the floor's alike, run on that Terraform: Terraform 1.11's own time for these
  plans grows faster than N (measured by hand below: a plan of 3000 users took 103 s on 1.11.4,
  41 s on 1.14.8), so N=10,000 would not fit the budget.
  *CPU* (here and in the next table) is the user and system time of Terraform and of the provider processes it started (the
  kernel's accounting of the Terraform process, which reaps them): less sensitive than wall time
  to other work on the machine.
- **What the plural data source costs the apply.** At N=%d, %d ms, the users are also applied
  without the `+"`pbx_directory_entries`"+` data source, and with one that keeps every entry's attributes
  (the same users, the mock wiped and re-seeded each time), and each apply is compared to the
  apply without. Terraform writes the whole state after every resource instance an apply
  changes (its local state manager's WriteState, called from each instance's apply), so every
  byte a data source keeps in state is written again for each of the N users.
`, targetLatencyMS, rep.Opts.siteApplyN, renamedUsers, renamedUsers, targetN, targetLatencyMS)
}
