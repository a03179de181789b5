package pbxapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// EntryChange is what RefreshEntry learned about one directory entry.
type EntryChange struct {
	// Series is the directory's current series.
	Series string
	// Watermark is the directory timestamp up to which this answer is
	// complete: no change of the entry after it has happened yet. Record it
	// with Series and pass both back as series and since next time. It is 0
	// when Deleted: there is nothing to follow, so record no series, and a
	// later call reads the entry with dir/get.
	Watermark int64
	// Changed reports that the entry changed after since in series, that the
	// series differs (the directory was reset), or that nothing was recorded.
	Changed bool
	// Deleted (with Changed) reports that the entry does not exist now.
	Deleted bool
	// Entry (with Changed and not Deleted) is the entry now, every field.
	Entry *Entry
}

// dirSync shares one api/dir/query among all RefreshEntry calls of a run:
// the reply to "what changed after T in series S" answers every caller that
// recorded S and a point at or after T. It lives as long as the Client (one
// Terraform run) and is dropped by the client's own directory writes.
type dirSync struct {
	mu     sync.Mutex
	gen    uint64   // bumped by invalidate: a query that started before is not kept
	flight *flight  // the query under way, if any
	view   *dirView // the newest reply
	probe  watermarkProbe
	links  linkSnapshot
}

// dirView is one dir/query reply.
type dirView struct {
	series string
	// complete: the reply lists the whole directory (a resync after a series
	// change), so it answers any recorded point.
	complete bool
	from     int64 // the iterator: the reply lists every change after it
	high     int64 // the highest timestamp the reply shows
	entries  map[string]Entry
}

func (v *dirView) covers(series string, since int64) bool {
	return v.complete || (v.series == series && v.from <= since)
}

func (v *dirView) answer(uuid, series string, since int64) *EntryChange {
	e, listed := v.entries[strings.ToUpper(uuid)]
	ch := &EntryChange{Series: v.series, Watermark: v.high}
	switch {
	case v.series != series:
		ch.Changed = true
	case listed && e.Timestamp > since:
		ch.Changed = true
	default:
		return ch
	}
	if !listed || e.Deleted {
		ch.Deleted, ch.Watermark = true, 0
		return ch
	}
	ch.Entry = &e
	return ch
}

func newDirView(series string, since int64, res *QueryResult) *dirView {
	v := &dirView{series: res.Series, from: since, entries: make(map[string]Entry, len(res.Entries))}
	if res.Series != series {
		// A resync: the recorded point belongs to another series and says
		// nothing about this one.
		v.complete, v.from = true, 0
	}
	v.high = max(v.from, res.Timestamp)
	for _, e := range res.Entries {
		v.entries[strings.ToUpper(e.UUID)] = e
		v.high = max(v.high, e.Timestamp)
	}
	return v
}

// maxResyncs bounds how often one QueryEntries follows a new series: a
// directory reset again while it is being read again is an error.
const maxResyncs = 3

// QueryEntries runs api/dir/query: every entry whose timestamp is greater
// than since in series (deleted ones included). series "" asks for the
// device's current series. fields selects as for GetEntries.
//
// When the reply carries another series than the one asked for, the
// directory was reset: the device answers with its series and, as 2N
// documents it, no entries (some answer with all of them). Either way the
// reply says nothing about which entries exist, so the client reads the
// directory again in the new series from the beginning (iterator 0) and
// returns that, with Resync set. Only that listing is complete: an entry it
// does not list does not exist.
//
// The iterator may be exclusive (>, the current documentation) or inclusive
// (>=, older firmware): entries at or before since are dropped from the
// answer, and an entry listed twice is kept once, at its newest timestamp.
func (c *Client) QueryEntries(ctx context.Context, series string, since int64, fields []string) (*QueryResult, error) {
	asked := series
	res, err := c.queryOnce(ctx, series, since, fields)
	for resyncs := 0; err == nil && series != "" && res.Series != series; resyncs++ {
		if resyncs == maxResyncs {
			return nil, &APIError{Operation: "dir/query", Endpoint: c.dirBase + "/dir/query", StatusCode: http.StatusOK,
				Message: fmt.Sprintf("the directory was reset %d times while it was being read again (series %s, then %s); run terraform again", resyncs, series, res.Series)}
		}
		c.log(ctx, "2N directory reset: reading it again in the new series", map[string]any{"series": res.Series, "recorded_series": series})
		series, since = res.Series, 0
		res, err = c.queryOnce(ctx, series, 0, fields)
	}
	if err != nil {
		return nil, err
	}
	res.Resync = asked != "" && res.Series != asked
	res.Entries = newestOnce(res.Entries, since)
	return res, nil
}

// newestOnce keeps the entries changed after since, each uuid once (its
// newest listing), in the order of the reply.
func newestOnce(entries []Entry, since int64) []Entry {
	newest := make(map[string]int64, len(entries))
	for _, e := range entries {
		key := strings.ToUpper(e.UUID)
		if ts, ok := newest[key]; !ok || e.Timestamp > ts {
			newest[key] = e.Timestamp
		}
	}
	out := entries[:0]
	for _, e := range entries {
		key := strings.ToUpper(e.UUID)
		if e.Timestamp <= since || newest[key] != e.Timestamp {
			continue
		}
		delete(newest, key) // the same uuid and timestamp listed twice: once
		out = append(out, e)
	}
	return out
}

// RefreshEntry reports whether the entry uuid changed since the recorded
// (series, since). With series "" nothing is recorded and the entry is read
// with a (coalesced) dir/get. Otherwise every call of the run is answered from
// one dir/query from the lowest recorded point (single-flight): a refresh in
// which nothing changed transfers an empty list. A series that differs from
// the device's gets every entry back (a resync).
func (c *Client) RefreshEntry(ctx context.Context, uuid, series string, since int64) (*EntryChange, error) {
	if series == "" {
		return c.readEntry(ctx, uuid)
	}
	s := &c.dirSync
	s.mu.Lock()
	for {
		if v := s.view; v != nil && v.covers(series, since) {
			s.mu.Unlock()
			return v.answer(uuid, series, since), nil
		}
		if f := s.flight; f != nil {
			s.mu.Unlock()
			if err := f.wait(ctx); err != nil {
				return nil, err
			}
			s.mu.Lock()
			continue
		}
		break
	}
	f := newFlight()
	s.flight = f
	gen := s.gen
	s.mu.Unlock()

	// The query outlives a cancelled caller (others wait for it) but keeps
	// the context's values (loggers).
	res, err := c.QueryEntries(context.WithoutCancel(ctx), series, since, []string{})
	var v *dirView
	if err == nil {
		v = newDirView(series, since, res)
	}
	s.mu.Lock()
	s.flight = nil
	if v != nil && s.gen == gen {
		s.view = v
	}
	f.land(err)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return v.answer(uuid, series, since), nil
}

// readEntry reads an entry nothing was recorded for. Its watermark is the
// run's DirectoryWatermark when that was taken in the same series (it was
// taken before this read, so it is a valid one, and every entry read in the
// run then shares it: the next refresh is one query), else the entry's own
// timestamp.
func (c *Client) readEntry(ctx context.Context, uuid string) (*EntryChange, error) {
	wSeries, w, werr := c.DirectoryWatermark(ctx)
	r, series, err := c.GetEntry(ctx, uuid, []string{})
	switch {
	case errors.Is(err, ErrNotFound):
		return &EntryChange{Series: series, Changed: true, Deleted: true}, nil
	case err != nil:
		return nil, err
	}
	if werr != nil || wSeries != series || w <= 0 {
		w = r.Timestamp
	}
	return &EntryChange{Series: series, Watermark: w, Changed: true, Entry: r}, nil
}

// beyondLastTimestamp is an iterator past any real timestamp, exactly
// representable as a JSON number by any decoder (2^53).
const beyondLastTimestamp = 1 << 53

// watermarkProbe is the run's one "what is the directory's highest
// timestamp" question.
type watermarkProbe struct {
	once   sync.Once
	series string
	high   int64
	err    error
}

// DirectoryWatermark returns the directory's series and its highest
// timestamp, asked once per client (one Terraform run) with a dir/query from
// beyond the end, which lists nothing. Anything read or written after this
// call can record it as its watermark: no change after it is missed, and
// records that share it are refreshed with one dir/query. The device may
// omit the timestamp; then watermark is 0 and callers use the entry's own.
func (c *Client) DirectoryWatermark(ctx context.Context) (series string, watermark int64, err error) {
	p := &c.dirSync.probe
	p.once.Do(func() {
		res, err := c.QueryEntries(context.WithoutCancel(ctx), "", beyondLastTimestamp, []string{"uuid"})
		if err != nil {
			p.err = err
			return
		}
		p.series, p.high = res.Series, res.Timestamp
	})
	return p.series, p.high, p.err
}

// invalidateDirectory forgets what dir/query answered: the client's own
// write of the entry uuid calls it, so a later RefreshEntry asks the device
// again, and LinkEntry reads that entry afresh.
func (c *Client) invalidateDirectory(uuid string) {
	s := &c.dirSync
	s.mu.Lock()
	s.gen++
	s.view = nil
	l := &s.links
	if l.written == nil {
		l.written = map[string]bool{}
	}
	l.written[strings.ToUpper(uuid)] = true
	s.mu.Unlock()
}

// linkSnapshot is the whole directory, read once per run for the entries
// that writes need (users linked at apply time).
type linkSnapshot struct {
	reads   int             // LinkEntry calls so far
	tried   bool            // the snapshot was asked for (once per run, even if it failed)
	flight  *flight         // the snapshot under way, if any
	view    *dirView        // the snapshot, complete
	written map[string]bool // entries this client wrote (upper-case uuids): never answered from a snapshot
}

// LinkEntry reads an entry a write needs now: a user linked to it is created
// or re-linked at apply. The first call of a run reads the entry alone
// (dir/get); from the second on, the whole directory is read once (dir/query
// from the start, every field) and later calls are answered from it, so an
// apply that links N users costs a few directory requests, not N. Entries
// this client wrote, and entries the snapshot does not have, are read with
// dir/get. Every answer is Changed, with the snapshot's or the run's
// watermark (see readEntry).
func (c *Client) LinkEntry(ctx context.Context, uuid string) (*EntryChange, error) {
	s := &c.dirSync
	key := strings.ToUpper(uuid)
	s.mu.Lock()
	l := &s.links
	l.reads++
	for l.reads > 1 && !l.written[key] {
		if v := l.view; v != nil {
			s.mu.Unlock()
			if e, ok := v.entries[key]; ok && !e.Deleted {
				return &EntryChange{Series: v.series, Watermark: v.high, Changed: true, Entry: &e}, nil
			}
			return c.readEntry(ctx, uuid) // created after the snapshot, or gone: ask
		}
		if f := l.flight; f != nil {
			s.mu.Unlock()
			if err := f.wait(ctx); err != nil {
				return c.readEntry(ctx, uuid)
			}
			s.mu.Lock()
			continue
		}
		if l.tried {
			break
		}
		f := newFlight()
		l.flight, l.tried = f, true
		s.mu.Unlock()
		// From the start of the series: every entry. No series is named, so
		// the reply is the device's own series, not a resync.
		res, err := c.QueryEntries(context.WithoutCancel(ctx), "", 0, []string{})
		s.mu.Lock()
		l.flight = nil
		if err == nil {
			// Entries written meanwhile are in written, and never
			// answered from it.
			l.view = newDirView("", 0, res) // complete: every entry
		}
		f.land(err)
	}
	s.mu.Unlock()
	return c.readEntry(ctx, uuid)
}
