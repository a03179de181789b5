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
