package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// TestInterruptedApplyConverges is the killed-CI-runner test: an apply is
// killed hard (SIGKILL to terraform and the provider) after some adds have
// landed on the PBX but before Terraform recorded them. The next apply must
// exit 0 (adopting those users instead of failing with "This number already
// exists"), the PBX must hold exactly the configured users with their
// configured secrets, and the plan after that must be empty.
//
// The kill is placed by the mock, not by a clock:
//   - the first `orphans` adds are processed, then their connections are
//     dropped (the reply is lost), and every users/search (the lookup that
//     would resolve them) hangs, so these users exist only on the PBX;
//   - the other adds are slowed down until enough users are stored, and
//     then hang too;
//
// and the kill comes once every one of the -parallelism operations is
// blocked in the mock, so Terraform is idle when it dies (not half-way
// through writing its state).
func TestInterruptedApplyConverges(t *testing.T) {
	const (
		users       = 12
		orphans     = 3
		parallelism = 5
		landed      = orphans + 4 // users stored before the remaining adds hang
		hang        = 10 * 60 * 1000
	)
	s := newStack(t, mockpbx.Config{RandSeed: 11}, soakConfig(users, 1))
	s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{
		{Endpoint: "users/add", DropAfterRate: 1, Count: orphans},
		{Endpoint: "users/add", LatencyMS: 150},
		{Endpoint: "users/search", LatencyMS: hang},
	}))

	out, done, kill := startApply(t, s, parallelism)

	// Wait for the moment to kill, checking the mock's counters. The mock
	// places the moment, not a clock: the wait ends only shortly before the
	// test's own timeout, to report where the apply stood (a loaded machine
	// makes the apply slower, never wrong).
	hung := false
	deadline := time.Now().Add(10 * time.Minute)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-time.Minute)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for ready := false; !ready; {
		select {
		case err := <-done:
			t.Fatalf("terraform apply ended (%v) before it could be interrupted:\n%s", err, tail(out.String(), 40))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatalf("the apply had not reached the interruption point a minute before the test's timeout; requests %v, %d users stored:\n%s",
				s.mock.RequestCounts(), len(s.mock.Users()), tail(out.String(), 40))
		}
		counts, stored := s.mock.RequestCounts(), len(s.mock.Users())
		if !hung && stored >= landed {
			// From now on every add hangs as well.
			s.must(nil, s.mock.SetFaults([]mockpbx.FaultRule{
				{Endpoint: "users/add", LatencyMS: hang},
				{Endpoint: "users/search", LatencyMS: hang},
			}))
			hung = true
			continue
		}
		// Adds received but not stored are waiting in the mock; so is every
		// search. When they fill every slot (or nothing else is left to do),
		// Terraform is only waiting.
		waiting := counts["users/search"] + counts["users/add"] - stored
		ready = hung && counts["users/search"] >= orphans && (waiting >= parallelism || stored == users)
	}
	kill()
	t.Logf("killed terraform: %v requests, %d users stored", s.mock.RequestCounts(), len(s.mock.Users()))

	s.mock.ClearFaults()
	recorded := stateIDs(t, s)
	var lost []string
	for _, u := range s.users() {
		if id := fmt.Sprint(u["_id"]); !recorded[id] {
			lost = append(lost, id)
			// The secret of a user the run lost is unknown; make it wrong, so
			// the check below proves the adoption writes the configured one.
			s.must(s.mock.PatchUser(id, map[string]any{"secret": "not-the-configured-secret"}))
		}
	}
	if len(lost) < orphans {
		t.Fatalf("%d users are on the PBX but not in the state, want at least %d: the interruption did not happen where intended", len(lost), orphans)
	}

	// The next apply converges. (A killed local-backend apply leaves no lock
	// behind: the lock is the process's own and died with it.)
	outAfter := s.mustApply("-parallelism=5")
	if n := strings.Count(outAfter, "Adopted existing PBX user"); n != len(lost) {
		t.Errorf("%d adoption warnings, want one for each of the %d users the interrupted run lost:\n%s", n, len(lost), tail(outAfter, 60))
	}
	s.expectUsers("after the interrupted apply", users, 1)
	if out, code := s.planExit(); code != 0 {
		t.Fatalf("plan after the converging apply exited %d, want 0 (no changes):\n%s", code, tail(out, 60))
	}
}

// stateIDs returns the _id of every pbx_user in the local state file (none
// when there is no state yet).
func stateIDs(t *testing.T, s *stack) map[string]bool {
	t.Helper()
	return stateAttribute(t, s, "pbx_user", "id")
}

// stateAttribute returns the values of attribute of every resource of type
// typ in the local state file (none when there is no state yet).
func stateAttribute(t *testing.T, s *stack, typ, attribute string) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(s.dir, "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		// OpenTofu 1.10 creates the file when it takes the lock but had not
		// written it yet (Terraform writes it after every resource): the
		// killed apply leaves it empty, which both CLIs read as no state,
		// so every resource it created is lost to the next apply.
		return map[string]bool{}
	}
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatalf("the state file the killed apply left is unreadable: %v", err)
	}
	values := map[string]bool{}
	for _, r := range state.Resources {
		if r.Type != typ {
			continue
		}
		for _, in := range r.Instances {
			v, _ := in.Attributes[attribute].(string)
			values[v] = true
		}
	}
	return values
}

// startApply starts terraform apply in s's directory at the given
// parallelism. It returns the command's output, a channel that receives its
// end, and kill, which kills terraform and its provider plugin together and
// waits for the end.
func startApply(t *testing.T, s *stack, parallelism int) (*bytes.Buffer, <-chan error, func()) {
	t.Helper()
	cmd := exec.Command(terraform, "-chdir="+s.dir, "apply", "-auto-approve", "-input=false", "-no-color",
		fmt.Sprintf("-parallelism=%d", parallelism))
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // terraform and its provider plugin, killed together
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	kill := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if err := <-done; err == nil {
			t.Log("terraform exited on its own before the kill")
		}
	}
	return out, done, kill
}
