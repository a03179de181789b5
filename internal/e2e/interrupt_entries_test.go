package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// entriesConfig is count directory entries, each with its own name and peer.
func entriesConfig(count int) string {
	return fmt.Sprintf(`
provider "pbx" {
  max_retries    = 10
  retry_max_wait = "200ms"
}

resource "pbx_directory_entry" "e" {
  for_each       = { for i in range(%d) : format("flat%%02d", i) => i }
  name           = "Flat ${each.value}"
  call_positions = [{ peer = "${4000 + each.value}" }, {}, {}]
}
`, count)
}

// TestInterruptedEntryCreatesConverge is the killed-CI-runner test for
// directory entries: an apply of 20 entries is killed hard (SIGKILL to
// terraform and the provider) after some creates have landed on the
// intercom but before Terraform recorded them. The next apply must exit 0,
// adopting those entries (dir/create has no natural key: the uuid each
// configuration derives is the key), the directory must hold exactly the 20
// configured entries, no twin, and the plan after that must be empty.
//
// The kill is placed by the mock, not by a clock:
//   - phase A: creates are slowed down until `recorded` entries are stored;
//   - phase B: every create is processed, then its connection is dropped
//     (the reply is lost), and so is every repeat of it the client sends
//     (EDIR_UUID_ALREADY_EXISTS, also lost), and a dir/get that would read
//     the entry hangs: these entries exist only on the intercom;
//   - phase C (once `orphans` more entries are stored than the creates in
//     flight when phase B began): every dir/create hangs too;
//
// and the kill comes once each of the -parallelism operations is blocked in
// a hanging request, so Terraform is idle when it dies.
func TestInterruptedEntryCreatesConverge(t *testing.T) {
	const (
		entries     = 20
		recorded    = 5
		orphans     = 3 // fewer than parallelism: each operation makes at most one
		parallelism = 5
		hang        = 10 * 60 * 1000
	)
	s := newStack(t, mockpbx.Config{RandSeed: 12}, entriesConfig(entries))
	s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{{Endpoint: "dir/create", LatencyMS: 100}}))

	out, done, kill := startApply(t, s, parallelism)
	live := func() int {
		n := 0
		for _, e := range s.mock.DirectoryEntries() {
			if e["deleted"] != true {
				n++
			}
		}
		return n
	}

	// Wait (bounded) for the moment to kill, checking the mock's counters.
	phase := 'A'
	var getsBefore, createsBefore int // counts when dir/get, then dir/create, started to hang
	target := 0                       // entries stored when phase C begins
	deadline := time.Now().Add(3 * time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for ready := false; !ready; {
		select {
		case err := <-done:
			t.Fatalf("terraform apply ended (%v) in phase %c, before it could be interrupted:\n%s", err, phase, tail(out.String(), 40))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatalf("the apply did not reach the interruption point within 3 minutes (phase %c); requests %v, %d entries stored:\n%s",
				phase, s.mock.RequestCounts(), live(), tail(out.String(), 40))
		}
		counts := s.mock.RequestCounts()
		switch phase {
		case 'A':
			if stored := live(); stored >= recorded {
				// The creates in flight land normally and are recorded; the
				// orphans come after them.
				getsBefore, target = counts["dir/get"], counts["dir/create"]+orphans
				s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{
					{Endpoint: "dir/create", DropAfterRate: 1},
					{Endpoint: "dir/get", LatencyMS: hang},
				}))
				phase = 'B'
			}
		case 'B':
			if live() >= target {
				createsBefore = counts["dir/create"]
				s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{
					{Endpoint: "dir/create", LatencyMS: hang},
					{Endpoint: "dir/get", LatencyMS: hang},
				}))
				phase = 'C'
			}
		case 'C':
			// Every request since its hang began is still waiting in the
			// mock, each one blocking one of Terraform's operations.
			waiting := counts["dir/get"] - getsBefore + counts["dir/create"] - createsBefore
			ready = waiting >= parallelism
		}
	}
	kill()
	t.Logf("killed terraform: %v requests, %d entries stored", s.mock.RequestCounts(), live())

	s.mock.ClearFaults()
	inState := entryStateUUIDs(t, s)
	var lost []string
	for _, e := range s.mock.DirectoryEntries() {
		if uuid := fmt.Sprint(e["uuid"]); e["deleted"] != true && !inState[uuid] {
			lost = append(lost, uuid)
			// A PIN set in the panel meanwhile: the configuration does not
			// manage PINs, so the adoption must keep it.
			s.must(s.mock.PutDirectoryEntry(uuid, map[string]any{"access": map[string]any{"pin": "97531"}}))
		}
	}
	t.Logf("%d entries recorded in the state, %d only on the intercom", len(inState), len(lost))
	// Only creates sent before phase B can have been answered, so at least
	// `orphans` entries are on the intercom alone.
	if len(lost) < orphans || len(inState) == 0 {
		t.Fatalf("%d entries in the state and %d only on the intercom, want some and at least %d: the interruption did not happen where intended",
			len(inState), len(lost), orphans)
	}

	// The next apply converges.
	outAfter := s.mustApply(fmt.Sprintf("-parallelism=%d", parallelism))
	if n := strings.Count(outAfter, "Warning: Adopted existing directory entry"); n != len(lost) {
		t.Errorf("%d adoption warnings, want one for each of the %d entries the interrupted run lost:\n%s", n, len(lost), tail(outAfter, 60))
	}
	names := map[string]int{}
	for _, e := range s.mock.DirectoryEntries() {
		if e["deleted"] != true {
			names[fmt.Sprint(e["name"])]++
		}
	}
	for i := range entries {
		if n := names[fmt.Sprintf("Flat %d", i)]; n != 1 {
			t.Errorf("the directory holds %d entries named \"Flat %d\", want 1", n, i)
		}
	}
	if len(names) != entries {
		t.Errorf("the directory holds entries named %v, want exactly the %d configured", names, entries)
	}
	for _, uuid := range lost {
		e, _ := s.mock.DirectoryEntry(uuid)
		if access, _ := e["access"].(map[string]any); access["pin"] != "97531" {
			t.Errorf("adopted entry %s lost the PIN set on the intercom: %v", uuid, e["access"])
		}
	}
	if got := entryStateUUIDs(t, s); len(got) != entries {
		t.Errorf("the state holds %d entries, want %d", len(got), entries)
	}
	if out, code := s.planExit(); code != 0 {
		t.Fatalf("plan after the converging apply exited %d, want 0 (no changes):\n%s", code, tail(out, 60))
	}
}

// entryStateUUIDs returns the uuid of every pbx_directory_entry in the local
// state file (none when there is no state yet).
func entryStateUUIDs(t *testing.T, s *stack) map[string]bool {
	t.Helper()
	return stateAttribute(t, s, "pbx_directory_entry", "uuid")
}
