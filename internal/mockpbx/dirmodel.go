package mockpbx

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Per-entry directory error codes.
const (
	edirDoesNotExist  = "EDIR_UUID_DOES_NOT_EXIST"
	edirInvalidFormat = "EDIR_UUID_INVALID_FORMAT"
	edirAlreadyExists = "EDIR_UUID_ALREADY_EXISTS"
	edirIsMissing     = "EDIR_UUID_IS_MISSING"
	edirNameUnknown   = "EDIR_FIELD_NAME_UNKNOWN"
	edirValueError    = "EDIR_FIELD_VALUE_ERROR"
)

type kind uint8

const (
	kindString   kind = iota
	kindBool          // stored as bool; "true"/"false" accepted on write
	kindUnixTime      // stored as a decimal string; a non-negative integer or numeric string on write
	kindCounter       // the int64 timestamp
	kindObject
	kindArray // fixed length
)

// node describes one value of the directory entry model ("verso" in api/dir/template).
// Entries are stored as generic JSON trees (map[string]any, []any, string, bool, int64)
// shaped by entrySchema, so a stored value always has its node's type.
type node struct {
	kind     kind
	def      any               // leaves
	valid    func(string) bool // kindString: extra value check
	readOnly bool              // ignored on write (uuid, deleted, timestamp)
	fields   []field           // kindObject
	elem     *node             // kindArray
	length   int               // kindArray
}

type field struct {
	name string
	node *node
}

func str(def string, valid func(string) bool) *node {
	return &node{kind: kindString, def: def, valid: valid}
}
func boolean(def bool) *node         { return &node{kind: kindBool, def: def} }
func unixTime() *node                { return &node{kind: kindUnixTime, def: "0"} }
func obj(fields ...field) *node      { return &node{kind: kindObject, fields: fields} }
func array(n int, elem *node) *node  { return &node{kind: kindArray, elem: elem, length: n} }
func fld(name string, n *node) field { return field{name: name, node: n} }

// entrySchema is the 2N "verso" directory entry, keys in the order api/dir/template returns them.
var entrySchema = obj(
	fld("uuid", &node{kind: kindString, def: "", readOnly: true}),
	fld("deleted", &node{kind: kindBool, def: false, readOnly: true}),
	fld("owner", str("", nil)),
	fld("name", str("", func(s string) bool { return !strings.ContainsAny(s, "<>/") })),
	fld("photo", str("", nil)),
	fld("email", str("", nil)),
	fld("treepath", str("/", func(s string) bool { return !strings.ContainsAny(s, "<>") })),
	fld("virtNumber", str("", nil)),
	fld("deputy", str("", nil)),
	fld("buttons", str("", nil)),
	fld("callPos", array(3, obj(
		fld("peer", str("", nil)),
		fld("profiles", str("", nil)),
		fld("grouped", boolean(false)),
		fld("ipEye", str("", nil)),
	))),
	fld("access", obj(
		fld("validFrom", unixTime()),
		fld("validTo", unixTime()),
		fld("accessPoints", array(2, obj(
			fld("enabled", boolean(true)),
			fld("profiles", str("", nil)),
		))),
		fld("pairingExpired", boolean(false)),
		fld("virtCard", str("", nil)),
		fld("card", array(2, str("", nil))),
		fld("mobkey", str("", nil)),
		fld("fpt", str("", nil)),
		fld("pin", str("", isSwitchCode)),
		fld("accessException", boolean(false)),
		fld("code", array(4, str("", isSwitchCode))),
		fld("licensePlates", str("", nil)),
		fld("liftFloors", str("", nil)),
	)),
	fld("timestamp", &node{kind: kindCounter, def: int64(0), readOnly: true}),
)

// isSwitchCode accepts an empty PIN/code or 2 to 15 digits.
func isSwitchCode(s string) bool {
	return s == "" || (len(s) >= 2 && len(s) <= 15 && isDigits(s))
}

func (n *node) child(name string) *node {
	for _, f := range n.fields {
		if f.name == name {
			return f.node
		}
	}
	return nil
}

// zero returns a new value holding every default.
func (n *node) zero() any {
	switch n.kind {
	case kindObject:
		m := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			m[f.name] = f.node.zero()
		}
		return m
	case kindArray:
		a := make([]any, n.length)
		for i := range a {
			a[i] = n.elem.zero()
		}
		return a
	}
	return n.def
}

// codeSet collects distinct error codes in the order they were found.
type codeSet []string

func (c *codeSet) add(code string) {
	if !slices.Contains(*c, code) {
		*c = append(*c, code)
	}
}

// merge writes patch into cur (which it may modify) and returns the new value. Objects merge
// key by key (unknown keys: EDIR_FIELD_NAME_UNKNOWN; read-only keys ignored), arrays update
// only the indexes given (null leaves an element unchanged), leaves are replaced after type and
// value checks (EDIR_FIELD_VALUE_ERROR). Callers discard cur when errs is not empty.
func (n *node) merge(cur, patch any, errs *codeSet) any {
	switch n.kind {
	case kindObject:
		p, ok := patch.(map[string]any)
		if !ok {
			errs.add(edirValueError)
			return cur
		}
		m, _ := cur.(map[string]any)
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			c := n.child(k)
			switch {
			case c == nil:
				errs.add(edirNameUnknown)
			case !c.readOnly:
				m[k] = c.merge(m[k], p[k], errs)
			}
		}
		return m
	case kindArray:
		p, ok := patch.([]any)
		if !ok || len(p) > n.length {
			errs.add(edirValueError)
			return cur
		}
		a, _ := cur.([]any)
		for i, v := range p {
			if v != nil {
				a[i] = n.elem.merge(a[i], v, errs)
			}
		}
		return a
	}
	v, ok := n.leaf(patch)
	if !ok {
		errs.add(edirValueError)
		return cur
	}
	return v
}

// leaf converts a written leaf value to its stored form.
func (n *node) leaf(v any) (any, bool) {
	switch n.kind {
	case kindString:
		s, ok := v.(string)
		return s, ok && (n.valid == nil || n.valid(s))
	case kindBool:
		switch v {
		case true, "true":
			return true, true
		case false, "false":
			return false, true
		}
	case kindUnixTime:
		return unixSeconds(v)
	}
	return nil, false
}

// unixSeconds accepts a non-negative integer as a JSON number or decimal string.
func unixSeconds(v any) (string, bool) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	case int:
		s = strconv.Itoa(t)
	case int64:
		s = strconv.FormatInt(t, 10)
	case float64:
		if t != math.Trunc(t) || t < 0 || t > math.MaxInt64 {
			return "", false
		}
		s = strconv.FormatFloat(t, 'f', 0, 64)
	default:
		return "", false
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatUint(u, 10), true
}

// export returns v as an ordered JSON tree (objects keep the schema order).
func (n *node) export(v any) any {
	switch n.kind {
	case kindObject:
		m, _ := v.(map[string]any)
		o := make(object, 0, len(n.fields))
		for _, f := range n.fields {
			o = append(o, member{f.name, f.node.export(m[f.name])})
		}
		return o
	case kindArray:
		a, _ := v.([]any)
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = n.elem.export(x)
		}
		return out
	}
	return v
}

// nonDefault returns only the parts of v that differ from the defaults. Arrays of objects keep
// every position (all-default elements become {}); arrays of scalars are returned whole.
func (n *node) nonDefault(v any) (any, bool) {
	switch n.kind {
	case kindObject:
		m, _ := v.(map[string]any)
		var o object
		for _, f := range n.fields {
			if x, ok := f.node.nonDefault(m[f.name]); ok {
				o = append(o, member{f.name, x})
			}
		}
		return o, len(o) > 0
	case kindArray:
		a, _ := v.([]any)
		out := make([]any, len(a))
		changed := false
		for i, x := range a {
			d, ok := n.elem.nonDefault(x)
			changed = changed || ok
			switch {
			case n.elem.kind != kindObject:
				out[i] = x
			case ok:
				out[i] = d
			default:
				out[i] = object{}
			}
		}
		return out, changed
	}
	return v, v != n.def
}

// selection is the set of fields asked for with "fields" in dir/get and dir/query.
type selection struct {
	all    bool
	fields map[string]*selection // objects
	elems  []*selection          // arrays of objects, one per position
}

// pathSegment is one dotted part of a field path: a name and an optional [index].
type pathSegment struct {
	name  string
	index int // -1: no index
}

// parseFieldPath splits "callPos[1].grouped" into segments; ok is false for bad syntax.
func parseFieldPath(path string) ([]pathSegment, bool) {
	var segs []pathSegment
	for part := range strings.SplitSeq(path, ".") {
		seg := pathSegment{name: part, index: -1}
		if name, rest, found := strings.Cut(part, "["); found {
			idx, ok := strings.CutSuffix(rest, "]")
			i, err := strconv.Atoi(idx)
			if !ok || err != nil || i < 0 || !isDigits(idx) {
				return nil, false
			}
			seg = pathSegment{name: name, index: i}
		}
		if seg.name == "" {
			return nil, false
		}
		segs = append(segs, seg)
	}
	return segs, true
}

// newSelection builds a selection from field paths; unknown or malformed paths are ignored.
// An index into an array of scalars (access.code[1]) selects the whole array.
func newSelection(paths []string) *selection {
	root := &selection{}
	for _, p := range paths {
		if segs, ok := parseFieldPath(p); ok && entrySchema.resolves(segs) {
			root.mark(entrySchema, segs)
		}
	}
	return root
}

// resolves reports whether segs names an existing part of n.
func (n *node) resolves(segs []pathSegment) bool {
	if len(segs) == 0 {
		return true
	}
	if n.kind != kindObject {
		return false
	}
	c := n.child(segs[0].name)
	switch {
	case c == nil:
		return false
	case c.kind == kindArray && c.elem.kind == kindObject:
		return (segs[0].index < c.length) && c.elem.resolves(segs[1:])
	case c.kind == kindArray:
		return segs[0].index < c.length && len(segs) == 1
	}
	return segs[0].index < 0 && c.resolves(segs[1:])
}

// mark adds a resolved path to the selection s of node n.
func (s *selection) mark(n *node, segs []pathSegment) {
	if s.all {
		return
	}
	if len(segs) == 0 {
		*s = selection{all: true}
		return
	}
	if s.fields == nil {
		s.fields = map[string]*selection{}
	}
	seg := segs[0]
	c := n.child(seg.name)
	cs := s.fields[seg.name]
	if cs == nil {
		cs = &selection{}
		s.fields[seg.name] = cs
	}
	if c.kind != kindArray || c.elem.kind != kindObject {
		if c.kind == kindArray {
			segs = segs[:1] // an element of a scalar array selects the whole array
		}
		cs.mark(c, segs[1:])
		return
	}
	if cs.all {
		return
	}
	if cs.elems == nil {
		cs.elems = make([]*selection, c.length)
	}
	for i := range cs.elems {
		if seg.index >= 0 && i != seg.index {
			continue
		}
		if cs.elems[i] == nil {
			cs.elems[i] = &selection{}
		}
		cs.elems[i].mark(c.elem, segs[1:])
	}
}

// project returns the selected parts of v. Arrays of objects keep every position; positions
// not selected become {}.
func (n *node) project(v any, s *selection) any {
	if s.all {
		return n.export(v)
	}
	switch n.kind {
	case kindObject:
		m, _ := v.(map[string]any)
		var o object
		for _, f := range n.fields {
			if cs := s.fields[f.name]; cs != nil {
				o = append(o, member{f.name, f.node.project(m[f.name], cs)})
			}
		}
		return o
	case kindArray:
		a, _ := v.([]any)
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = object{}
			if i < len(s.elems) && s.elems[i] != nil {
				out[i] = n.elem.project(x, s.elems[i])
			}
		}
		return out
	}
	return v
}
