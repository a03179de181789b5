package mockpbx

import (
	"cmp"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strconv"
)

// directory is the 2N directory: entries keyed by uppercase uuid (deleted ones included),
// the series and the highest timestamp issued in it.
type directory struct {
	series  string
	ts      int64
	entries map[string]map[string]any
	// live counts the entries not deleted, kept by store, softDelete and reset so that
	// the capacity check of every insert is O(1) (seeding 10,000 entries stays linear).
	nLive int
}

func newDirectory(series string, rng *mrand.Rand) directory {
	if series == "" {
		series = newSeries(rng)
	}
	return directory{series: series, entries: map[string]map[string]any{}}
}

// newEntry returns an entry holding every default (the template).
func newEntry() map[string]any {
	e, _ := entrySchema.zero().(map[string]any)
	return e
}

// Accessors for the metadata every stored entry carries (entries are shaped by entrySchema).
func entryUUID(e map[string]any) string     { id, _ := e["uuid"].(string); return id }
func entryTimestamp(e map[string]any) int64 { ts, _ := e["timestamp"].(int64); return ts }
func entryDeleted(e map[string]any) bool    { d, _ := e["deleted"].(bool); return d }

// stamp gives e the next timestamp of the series.
func (d *directory) stamp(e map[string]any) {
	d.ts++
	e["timestamp"] = d.ts
}

// live returns the non-deleted entry with this canonical uuid, or nil.
func (d *directory) live(id string) map[string]any {
	if e := d.entries[id]; e != nil && !entryDeleted(e) {
		return e
	}
	return nil
}

func (d *directory) liveCount() int { return d.nLive }

// sorted returns every entry (deleted ones included) in timestamp order.
func (d *directory) sorted() []map[string]any {
	out := make([]map[string]any, 0, len(d.entries))
	for _, e := range d.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b map[string]any) int {
		return cmp.Compare(entryTimestamp(a), entryTimestamp(b))
	})
	return out
}

// softDelete wipes the entry's fields, marks it deleted and gives it a new timestamp.
func (d *directory) softDelete(id string) map[string]any {
	if d.live(id) != nil {
		d.nLive--
	}
	e := newEntry()
	e["uuid"] = id
	e["deleted"] = true
	d.stamp(e)
	d.entries[id] = e
	return e
}

// store saves a new version of the entry with a new timestamp. A new uuid first purges the
// oldest deleted entries while the directory is full (deleted entries occupy slots).
func (d *directory) store(id string, e map[string]any, capacity int) {
	if d.entries[id] == nil {
		for len(d.entries) >= capacity {
			var oldest map[string]any
			for _, x := range d.entries {
				if entryDeleted(x) && (oldest == nil || entryTimestamp(x) < entryTimestamp(oldest)) {
					oldest = x
				}
			}
			if oldest == nil {
				break
			}
			delete(d.entries, entryUUID(oldest))
		}
	}
	if d.live(id) != nil {
		d.nLive--
	}
	if !entryDeleted(e) {
		d.nLive++
	}
	e["uuid"] = id
	d.stamp(e)
	d.entries[id] = e
}

// reset starts a new series with timestamps from 1. keep retains the live entries, renumbered
// 1..n in their old order (a backup restore); otherwise the directory is wiped.
func (d *directory) reset(keep bool, rng *mrand.Rand) {
	old := d.sorted()
	series := newSeries(rng)
	for series == d.series {
		series = newSeries(rng)
	}
	*d = directory{series: series, entries: map[string]map[string]any{}}
	if !keep {
		return
	}
	for _, e := range old {
		if !entryDeleted(e) {
			d.stamp(e)
			d.entries[entryUUID(e)] = e
			d.nLive++
		}
	}
}

// apiError is a 2N request-level error.
type apiError struct {
	code  int
	param string
}

// entryError is one failed users[] item: {uuid?, errors:[{code}…]}.
func entryError(rawUUID any, codes ...string) object {
	var o object
	if rawUUID != nil && rawUUID != "" {
		o = append(o, member{"uuid", rawUUID})
	}
	errs := make([]any, len(codes))
	for i, c := range codes {
		errs[i] = object{{"code", c}}
	}
	return append(o, member{"errors", errs})
}

func entryDone(e map[string]any) object {
	return object{{"uuid", e["uuid"]}, {"timestamp", e["timestamp"]}}
}

// userItems returns body["users"]; absent (or null) is an error 11 only when required.
func (s *Server) userItems(body map[string]any, required bool) ([]any, *apiError) {
	v := body["users"]
	if v == nil {
		if required {
			return nil, &apiError{11, "users"}
		}
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, &apiError{12, "users"}
	}
	if len(items) > s.cfg.MaxGetUUIDs {
		return nil, &apiError{13, "users"}
	}
	return items, nil
}

// itemUUID classifies the uuid of one users[] item of get, update or delete.
func itemUUID(item any) (raw any, id string, code string) {
	m, _ := item.(map[string]any)
	raw = m["uuid"]
	if raw == nil || raw == "" {
		return nil, "", edirIsMissing
	}
	str, _ := raw.(string)
	id, ok := canonicalUUID(str)
	if !ok {
		return raw, "", edirInvalidFormat
	}
	return raw, id, ""
}

// fieldSelection reads "fields": nil means "non-default fields only".
func fieldSelection(body map[string]any) (*selection, *apiError) {
	v := body["fields"]
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &apiError{12, "fields"}
	}
	if len(list) == 0 {
		return &selection{all: true}, nil
	}
	paths := make([]string, len(list))
	for i, x := range list {
		if paths[i], ok = x.(string); !ok {
			return nil, &apiError{12, "fields"}
		}
	}
	sel := newSelection(paths)
	if !sel.all {
		if sel.fields == nil {
			sel.fields = map[string]*selection{}
		}
		sel.fields["uuid"] = &selection{all: true}
		sel.fields["timestamp"] = &selection{all: true}
	}
	return sel, nil
}

// entryView renders a live entry with the selected fields (nil: the non-default ones, which
// always include uuid and timestamp), grouped as Readings.Grouped says. Callers hold s.mu.
func (s *Server) entryView(e map[string]any, sel *selection) any {
	var v any
	if sel == nil {
		v, _ = entrySchema.nonDefault(e)
	} else {
		v = entrySchema.project(e, sel)
	}
	if s.cfg.Readings.Grouped == "string" {
		v = groupedAsStrings(v)
	}
	return v
}

// dirGet implements api/dir/get. Callers hold s.mu.
func (s *Server) dirGet(body map[string]any) (object, *apiError) {
	sel, aerr := fieldSelection(body)
	if aerr != nil {
		return nil, aerr
	}
	items, aerr := s.userItems(body, false)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		raw, id, code := itemUUID(item)
		e := s.dir.live(id)
		switch {
		case code != "":
			out = append(out, entryError(raw, code))
		case e == nil:
			out = append(out, entryError(raw, edirDoesNotExist))
		default:
			out = append(out, s.entryView(e, sel))
		}
	}
	return object{{"series", s.dir.series}, {"users", out}}, nil
}

// dirQuery implements api/dir/query. Callers hold s.mu.
func (s *Server) dirQuery(body map[string]any) (object, *apiError) {
	sel, aerr := fieldSelection(body)
	if aerr != nil {
		return nil, aerr
	}
	var after int64
	if it := body["iterator"]; it != nil {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, &apiError{12, "iterator"}
		}
		if v := m["timestamp"]; v != nil {
			ts, ok := unixSeconds(v)
			n, err := strconv.ParseInt(ts, 10, 64)
			if !ok || err != nil {
				return nil, &apiError{12, "iterator"}
			}
			after = n
		}
	}
	rd := &s.cfg.Readings
	listed := func(ts int64) bool { return ts > after }
	if rd.QueryIterator == "ge" {
		listed = func(ts int64) bool { return ts >= after }
	}
	if v := body["series"]; v != nil {
		series, ok := scalarString(v)
		if !ok {
			return nil, &apiError{12, "series"}
		}
		if series != s.dir.series {
			// Another series: as documented, the device's series and highest
			// timestamp, no entries; or (old contract) every entry.
			listed = func(int64) bool { return rd.ForeignSeries == "all" }
		}
	}
	out := []any{}
	for _, e := range s.dir.sorted() {
		switch {
		case !listed(entryTimestamp(e)):
		case entryDeleted(e):
			out = append(out, object{{"uuid", e["uuid"]}, {"deleted", true}, {"timestamp", e["timestamp"]}})
		default:
			out = append(out, s.entryView(e, sel))
		}
	}
	result := object{{"series", s.dir.series}}
	if rd.QueryEmpty != "users" {
		result = append(result, member{"timestamp", s.dir.ts})
	}
	if len(out) > 0 || rd.QueryEmpty != "timestamp" {
		result = append(result, member{"users", out})
	}
	return result, nil
}

// parseForce reads the create "force" flag: ?force= (last occurrence) wins over JSON "force".
func parseForce(query url.Values, body map[string]any) (bool, *apiError) {
	v := body["force"]
	if q := query["force"]; len(q) > 0 {
		v = q[len(q)-1]
	}
	if v == nil {
		return false, nil
	}
	if b, ok := v.(bool); ok {
		return b, nil
	}
	switch str, _ := scalarString(v); str {
	case "1", "true":
		return true, nil
	case "0", "false", "":
		return false, nil
	}
	return false, &apiError{12, "force"}
}

// dirCreate implements api/dir/create. Callers hold s.mu.
func (s *Server) dirCreate(body map[string]any, query url.Values) (object, *apiError) {
	force, aerr := parseForce(query, body)
	if aerr != nil {
		return nil, aerr
	}
	items, aerr := s.userItems(body, false)
	if aerr != nil {
		return nil, aerr
	}
	result := object{{"series", s.dir.series}}
	if len(items) == 0 {
		return result, nil
	}
	added := 0
	for _, item := range items {
		m, _ := item.(map[string]any)
		str, _ := m["uuid"].(string)
		if id, ok := canonicalUUID(str); !ok || s.dir.live(id) == nil {
			added++
		}
	}
	if s.dir.liveCount()+added > s.cfg.Capacity {
		return nil, &apiError{14, "users"}
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		m, isObject := item.(map[string]any)
		if !isObject {
			out = append(out, entryError(nil, edirValueError))
			continue
		}
		raw := m["uuid"]
		var id string
		if raw == nil || raw == "" {
			id = s.unusedUUID()
		} else {
			str, _ := raw.(string)
			var ok bool
			if id, ok = canonicalUUID(str); !ok {
				out = append(out, entryError(raw, edirValueError))
				continue
			}
		}
		if s.dir.live(id) != nil && !force {
			out = append(out, entryError(raw, edirAlreadyExists))
			continue
		}
		e := newEntry()
		var errs codeSet
		entrySchema.merge(e, m, &errs)
		if len(errs) > 0 {
			out = append(out, entryError(raw, errs...))
			continue
		}
		s.dir.store(id, e, s.cfg.Capacity)
		out = append(out, entryDone(e))
	}
	return append(result, member{"users", out}), nil
}

// unusedUUID generates a uuid no entry (deleted ones included) has. Callers hold s.mu.
func (s *Server) unusedUUID() string {
	for {
		if id := newUUID(s.rng); s.dir.entries[id] == nil {
			return id
		}
	}
}

// dirUpdate implements api/dir/update: a partial update, all-or-nothing per entry.
// Callers hold s.mu.
func (s *Server) dirUpdate(body map[string]any) (object, *apiError) {
	items, aerr := s.userItems(body, true)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		raw, id, code := itemUUID(item)
		if code != "" {
			out = append(out, entryError(raw, code))
			continue
		}
		cur := s.dir.live(id)
		if cur == nil {
			out = append(out, entryError(raw, edirDoesNotExist))
			continue
		}
		e := cloneMap(cur)
		var errs codeSet
		entrySchema.merge(e, item, &errs)
		if len(errs) > 0 {
			out = append(out, entryError(raw, errs...))
			continue
		}
		s.dir.store(id, e, s.cfg.Capacity)
		out = append(out, entryDone(e))
	}
	return object{{"series", s.dir.series}, {"users", out}}, nil
}

// dirDelete implements api/dir/delete: by users[] (which wins) or by owner. Callers hold s.mu.
func (s *Server) dirDelete(body map[string]any) (object, *apiError) {
	items, aerr := s.userItems(body, false)
	if aerr != nil {
		return nil, aerr
	}
	out := []any{}
	switch owner := body["owner"]; {
	case items != nil:
		for _, item := range items {
			raw, id, code := itemUUID(item)
			switch {
			case code != "":
				out = append(out, entryError(raw, code))
			case s.dir.live(id) == nil:
				out = append(out, entryError(raw, edirDoesNotExist))
			default:
				out = append(out, entryDone(s.dir.softDelete(id)))
			}
		}
	case owner != nil && owner != "":
		name, ok := owner.(string)
		if !ok {
			return nil, &apiError{12, "owner"}
		}
		for _, e := range s.dir.sorted() {
			if !entryDeleted(e) && e["owner"] == name {
				out = append(out, entryDone(s.dir.softDelete(entryUUID(e))))
			}
		}
	default:
		return nil, &apiError{11, "users"}
	}
	return object{{"series", s.dir.series}, {"users", out}}, nil
}

// dirTemplate implements api/dir/template. Callers hold s.mu.
func (s *Server) dirTemplate() object {
	return object{{"series", s.dir.series}, {"users", []any{entrySchema.export(entrySchema.zero())}}}
}
