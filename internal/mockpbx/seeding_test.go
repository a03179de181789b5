package mockpbx

import (
	"fmt"
	"testing"
)

// scanLive counts the live entries the slow way, to check the counter liveCount keeps.
func scanLive(d *directory) int {
	n := 0
	for _, e := range d.entries {
		if !entryDeleted(e) {
			n++
		}
	}
	return n
}

// TestLiveCount checks that the live-entry counter (which keeps seeding linear) follows
// every way an entry is stored, revived, deleted, purged or reset, and that the capacity
// check still refuses a new entry in a full directory.
func TestLiveCount(t *testing.T) {
	s, _ := newMock(t, Config{Capacity: 5})
	uuid := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
	steps := []struct {
		name string
		do   func() error
		want int
	}{
		{"create 1", func() error { _, err := s.PutDirectoryEntry(uuid(1), map[string]any{"name": "a"}); return err }, 1},
		{"create 2", func() error { _, err := s.PutDirectoryEntry(uuid(2), nil); return err }, 2},
		{"edit 1", func() error { _, err := s.PutDirectoryEntry(uuid(1), map[string]any{"name": "b"}); return err }, 2},
		{"touch 2", func() error { _, err := s.TouchDirectoryEntry(uuid(2)); return err }, 2},
		{"delete 1", func() error { _, err := s.DeleteDirectoryEntry(uuid(1)); return err }, 1},
		{"revive 1", func() error { _, err := s.PutDirectoryEntry(uuid(1), nil); return err }, 2},
		{"delete 2", func() error { _, err := s.DeleteDirectoryEntry(uuid(2)); return err }, 1},
		{"create 3", func() error { _, err := s.PutDirectoryEntry(uuid(3), nil); return err }, 2},
		{"create 4", func() error { _, err := s.PutDirectoryEntry(uuid(4), nil); return err }, 3},
		{"create 5 (full: 2 is a deleted slot)", func() error { _, err := s.PutDirectoryEntry(uuid(5), nil); return err }, 4},
		{"create 6 purges deleted 2", func() error { _, err := s.PutDirectoryEntry(uuid(6), nil); return err }, 5},
		{"backup restore keeps the live", func() error { s.ResetDirectory(true); return nil }, 5},
		{"factory reset", func() error { s.ResetDirectory(false); return nil }, 0},
		{"create after reset", func() error { _, err := s.PutDirectoryEntry(uuid(7), nil); return err }, 1},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		s.mu.Lock()
		got, scanned := s.dir.liveCount(), scanLive(&s.dir)
		s.mu.Unlock()
		if got != st.want || scanned != st.want {
			t.Fatalf("%s: liveCount %d, entries scanned %d; want %d", st.name, got, scanned, st.want)
		}
	}

	full, _ := newMock(t, Config{Capacity: 2})
	for i := range 2 {
		if _, err := full.PutDirectoryEntry(uuid(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := full.PutDirectoryEntry(uuid(9), nil); err == nil {
		t.Error("a third entry in a directory of capacity 2 was accepted")
	}
}

// TestNumberIndex checks the users-per-number index that numberTaken reads (it keeps
// seeding linear) against a scan, after every way a user is created, changed or removed,
// and that duplicates are still refused.
func TestNumberIndex(t *testing.T) {
	s, ts := newMock(t, Config{})
	check := func(step string) {
		t.Helper()
		s.mu.Lock()
		defer s.mu.Unlock()
		scan := map[string]int{}
		for _, u := range s.users {
			scan[u.values["number"]]++
		}
		if fmt.Sprint(scan) != fmt.Sprint(s.numbers) {
			t.Fatalf("%s: index %v, scan %v", step, s.numbers, scan)
		}
	}
	a, err := s.CreateUser(map[string]any{"number": "100", "name": "a", "secret": "s"})
	if err != nil {
		t.Fatal(err)
	}
	check("seed 100")
	if _, err := s.CreateUser(map[string]any{"number": "100", "name": "b", "secret": "s"}); err == nil {
		t.Fatal("a second user with number 100 was seeded")
	}
	b := addUser(t, ts, map[string]any{"number": "101", "name": "b", "secret": "s"})
	check("users/add 101")
	if _, r := simotel(t, ts, "pbx/users/add", map[string]any{"number": "101", "name": "c", "secret": "s"}); r.Success != 0 {
		t.Fatal("users/add accepted a duplicate number")
	}
	aID, _ := a["_id"].(string)
	if r := mustSimotel(t, ts, "pbx/users/update", map[string]any{"_id": aID, "number": "102", "name": "a", "secret": "s"}); r.Success != 1 {
		t.Fatalf("users/update: %+v", r)
	}
	check("users/update 100 -> 102")
	if _, r := simotel(t, ts, "pbx/users/update", map[string]any{"_id": aID, "number": "101", "name": "a", "secret": "s"}); r.Success != 0 {
		t.Fatal("users/update took another user's number")
	}
	if _, err := s.PatchUser(b, map[string]any{"number": "102"}); err != nil { // a panel edit: no uniqueness check
		t.Fatal(err)
	}
	check("panel edit 101 -> 102 (a duplicate)")
	if _, err := s.CreateUser(map[string]any{"number": "101", "name": "d", "secret": "s"}); err != nil {
		t.Fatalf("number 101 is free again: %v", err)
	}
	check("seed 101 again")
	if r := mustSimotel(t, ts, "pbx/users/remove", map[string]any{"_id": b}); r.Success != 1 {
		t.Fatalf("users/remove: %+v", r)
	}
	check("users/remove")
	if err := s.DeleteUser(aID); err != nil {
		t.Fatal(err)
	}
	check("panel delete")
	s.Reset()
	check("reset")
}
