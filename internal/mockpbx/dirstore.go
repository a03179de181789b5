package mockpbx

// The directory outside the device API: seeds, the control API and the Go helpers tests use.

import (
	"fmt"
	"strings"
)

// seedEntry stores a Config.Directory entry, validated like dir/create.
func (s *Server) seedEntry(m map[string]any) error {
	_, err := s.putEntry(m["uuid"], m, true)
	return err
}

// putEntry creates or merges an entry outside the device API (seeds and the control API).
// A missing or deleted entry starts from the defaults. Callers hold s.mu.
func (s *Server) putEntry(rawUUID any, fields map[string]any, seeding bool) (map[string]any, error) {
	var id string
	if rawUUID == nil || rawUUID == "" {
		id = s.unusedUUID()
	} else {
		str, _ := rawUUID.(string)
		var ok bool
		if id, ok = canonicalUUID(str); !ok {
			return nil, fmt.Errorf("uuid %v is not XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX (hex, not all zeros)", rawUUID)
		}
	}
	normalized, err := normalizeJSON(fields)
	if err != nil {
		return nil, err
	}
	e := newEntry()
	if cur := s.dir.live(id); cur != nil {
		if seeding {
			return nil, fmt.Errorf("uuid %s is used twice", id)
		}
		e = cloneMap(cur)
	} else if s.dir.liveCount() >= s.cfg.Capacity {
		return nil, fmt.Errorf("directory is full (%d entries)", s.cfg.Capacity)
	}
	var errs codeSet
	entrySchema.merge(e, normalized, &errs)
	if len(errs) > 0 {
		return nil, fmt.Errorf("entry rejected: %s", strings.Join(errs, ", "))
	}
	s.dir.store(id, e, s.cfg.Capacity)
	return cloneMap(e), nil
}

// DirectoryEntries returns a snapshot of every directory entry, deleted ones included,
// in timestamp order.
func (s *Server) DirectoryEntries() []map[string]any {
	_, _, entries := s.directorySnapshot()
	return entries
}

// directorySnapshot returns the series, the highest timestamp and a copy of every entry in
// timestamp order, all read at one instant.
func (s *Server) directorySnapshot() (series string, timestamp int64, entries []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sorted := s.dir.sorted()
	entries = make([]map[string]any, len(sorted))
	for i, e := range sorted {
		entries[i] = cloneMap(e)
	}
	return s.dir.series, s.dir.ts, entries
}

// DirectoryEntry returns a snapshot of one entry (deleted or not), matched case-insensitively.
func (s *Server) DirectoryEntry(uuid string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.dir.entries[strings.ToUpper(uuid)]
	if e == nil {
		return nil, false
	}
	return cloneMap(e), true
}

// Series returns the current directory series.
func (s *Server) Series() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.series
}

// Timestamp returns the highest timestamp issued in the current series (0 when none).
func (s *Server) Timestamp() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.ts
}

// PutDirectoryEntry merges fields (nested objects merged, arrays by index, validated like
// dir/update) into the entry, creating it (or reviving a deleted one from the defaults) when
// needed, and gives it a new timestamp: an out-of-band edit. An empty uuid creates an entry
// with a generated one. It returns the new entry.
func (s *Server) PutDirectoryEntry(uuid string, fields map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fields == nil {
		fields = map[string]any{}
	}
	return s.putEntry(uuid, fields, false)
}

// TouchDirectoryEntry gives a live entry a new timestamp without changing its fields.
func (s *Server) TouchDirectoryEntry(uuid string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.ToUpper(uuid)
	e := s.dir.live(id)
	if e == nil {
		return nil, ErrNotFound
	}
	s.dir.store(id, e, s.cfg.Capacity)
	return cloneMap(e), nil
}

// DeleteDirectoryEntry soft-deletes a live entry with a new timestamp.
func (s *Server) DeleteDirectoryEntry(uuid string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.ToUpper(uuid)
	if s.dir.live(id) == nil {
		return nil, ErrNotFound
	}
	return cloneMap(s.dir.softDelete(id)), nil
}

// ResetDirectory simulates a factory reset (keepEntries false: wiped) or a backup restore
// (keepEntries true: live entries kept, renumbered 1..n): either way a new series whose
// timestamps restart from 1. It returns the new series.
func (s *Server) ResetDirectory(keepEntries bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.reset(keepEntries, s.rng)
	return s.dir.series
}
