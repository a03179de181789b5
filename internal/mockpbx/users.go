package mockpbx

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Simotel reply messages.
const (
	msgDone      = "Requested operation is done successfully"
	msgFailed    = "Requested operation failed"
	msgDuplicate = "This number already exists"
	maskedSecret = "******"
)

func msgMissing(field string) string { return fmt.Sprintf("Field '%s':value is missing", field) }

func msgInvalid(field, value string) string {
	return fmt.Sprintf("Field '%s':value '%s' is invalid", field, value)
}

// userField describes one writable field of a Simotel user record.
type userField struct {
	name     string
	def      string
	required bool              // "**" in the documentation: no default, must be a non-empty string
	valid    func(string) bool // nil: any string
	forward  bool              // the forward_policy object, not a string
	iax2Only bool              // omitted from SIP users' records
}

// userFields lists the writable fields in the order users/search returns them. Defaults are the
// documented sample values, forward_policy destinations empty.
var userFields = []userField{
	{name: "user_type", def: "SIP", valid: oneOf("SIP", "IAX2")},
	{name: "active", def: "yes", valid: yesNo},
	{name: "call_record", def: "no", valid: yesNo},
	{name: "push_notification", def: "no", valid: yesNo},
	{name: "name", required: true},
	{name: "number", required: true, valid: isDigits},
	{name: "cid_number"},
	{name: "secret", required: true},
	{name: "deny", def: "0.0.0.0/0.0.0.0", valid: isIPMask},
	{name: "permit", def: "0.0.0.0/0.0.0.0", valid: isIPMask},
	{name: "dtmfmode", def: "rfc2833", valid: oneOf("rfc2833", "info", "shortinfo", "inband", "auto")},
	{name: "context", def: "main_routing"},
	{name: "host", def: "dynamic"},
	{name: "type", def: "user", valid: oneOf("user", "peer", "friend")},
	{name: "port", def: "5060", valid: isPort},
	{name: "qualify", def: "no", valid: yesNo},
	{name: "email"},
	{name: "forward_policy", forward: true},
	{name: "more_options"},
	{name: "canreinvite", def: "no", valid: yesNo},
	{name: "directmedia", def: "no", valid: yesNo},
	{name: "nat", def: "no", valid: oneOf("yes", "no", "force_rport,comedia", "force_rport", "comedia")},
	{name: "callgroup", def: "1"},
	{name: "pickupgroup", def: "1"},
	{name: "callcounter", def: "no", valid: yesNo},
	{name: "faxdetect", def: "no", valid: yesNo},
	{name: "call_limit", valid: func(s string) bool { return s == "" || isDigits(s) }},
	{name: "trunk", def: "no", valid: yesNo, iax2Only: true},
	{name: "transfer", def: "no", valid: yesNo, iax2Only: true},
}

// forwardKeys are the exact forward_policy keys, in the documented order.
var forwardKeys = []string{"Busy", "No Answer", "UnAvailable", "All"}

// Read-only (or panel-only) string fields stored next to the writable ones.
const (
	fieldDescription = "description"
	fieldDate        = "date"
	fieldMapped      = "mapped" // the operator logged in on the extension; only seeds and the control API set it
)

// user is one stored extension.
type user struct {
	id      string
	values  map[string]string // every non-forward userField, description, date and (when set) mapped
	forward map[string]string // the four forwardKeys
	queues  []any
}

func oneOf(allowed ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(allowed, s) }
}

func yesNo(s string) bool { return s == "yes" || s == "no" }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isPort(s string) bool {
	if !isDigits(s) {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

// isIPMask accepts "a.b.c.d/m.m.m.m": a dotted IPv4 address and a contiguous dotted netmask.
func isIPMask(s string) bool {
	addr, mask, ok := strings.Cut(s, "/")
	if !ok {
		return false
	}
	ip, m := net.ParseIP(addr).To4(), net.ParseIP(mask).To4()
	if ip == nil || m == nil || strings.Count(addr, ".") != 3 || strings.Count(mask, ".") != 3 {
		return false
	}
	_, bits := net.IPMask(m).Size() // 0, 0 for a non-contiguous mask
	return bits == 32
}

// isForwardDestination accepts an empty value or a dialable string (digits, +, *, #).
func isForwardDestination(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '+' && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

// parseUser validates a users/add or users/update body and returns the full set of writable
// values with defaults for everything not sent, or the device's error message.
// Unknown keys (including _id and the read-only fields) are ignored.
func parseUser(body map[string]any) (values, forward map[string]string, msg string) {
	for _, f := range userFields {
		if !f.required {
			continue
		}
		v := body[f.name]
		if s, ok := scalarString(v); v == nil || (ok && s == "") {
			return nil, nil, msgMissing(f.name)
		}
	}
	values = map[string]string{}
	for _, f := range userFields {
		if f.forward {
			if forward, msg = parseForward(body[f.name]); msg != "" {
				return nil, nil, msg
			}
			continue
		}
		v := body[f.name]
		if v == nil {
			values[f.name] = f.def
			continue
		}
		s, ok := scalarString(v)
		if !ok || (f.valid != nil && !f.valid(s)) {
			return nil, nil, msgInvalid(f.name, display(v))
		}
		values[f.name] = s
	}
	return values, forward, ""
}

// parseForward validates forward_policy: an object with only the four known keys, each a
// dialable string (numbers are coerced); missing keys are empty.
func parseForward(v any) (map[string]string, string) {
	out := make(map[string]string, len(forwardKeys))
	for _, k := range forwardKeys {
		out[k] = ""
	}
	if v == nil {
		return out, ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, msgInvalid("forward_policy", display(v))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(forwardKeys, k) {
			return nil, fmt.Sprintf("Field 'forward_policy':key '%s' is invalid", k)
		}
		if m[k] == nil {
			continue
		}
		s, ok := scalarString(m[k])
		if !ok || !isForwardDestination(s) {
			return nil, msgInvalid("forward_policy."+k, display(m[k]))
		}
		out[k] = s
	}
	return out, ""
}

// record renders u as users/search returns it.
func (u *user) record(revealSecret bool) object {
	o := object{{"_id", u.id}}
	for _, f := range userFields {
		switch {
		case f.forward:
			fp := make(object, 0, len(forwardKeys))
			for _, k := range forwardKeys {
				fp = append(fp, member{k, u.forward[k]})
			}
			o = append(o, member{f.name, fp})
		case f.iax2Only && u.values["user_type"] == "SIP":
		case f.name == "secret" && !revealSecret:
			o = append(o, member{f.name, maskedSecret})
		default:
			o = append(o, member{f.name, u.values[f.name]})
		}
	}
	return append(o,
		member{fieldDescription, u.values[fieldDescription]},
		member{fieldDate, u.values[fieldDate]},
		member{"queues", cloneSlice(u.queues)},
	)
}

// snapshot returns the full stored user with the secret in clear.
func (u *user) snapshot() map[string]any {
	m := make(map[string]any, len(u.values)+3)
	m["_id"] = u.id
	for k, v := range u.values {
		m[k] = v
	}
	fp := make(map[string]any, len(u.forward))
	for k, v := range u.forward {
		fp[k] = v
	}
	m["forward_policy"] = fp
	m["queues"] = cloneSlice(u.queues)
	return m
}

// compareNumbers orders extension numbers numerically, then lexically ("010" before "10").
// Non-numeric numbers (only possible through the control API) sort after numeric ones.
func compareNumbers(a, b string) int {
	da, db := isDigits(a), isDigits(b)
	if da != db {
		if da {
			return -1
		}
		return 1
	}
	if da {
		ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if c := cmp.Compare(len(ta), len(tb)); c != 0 {
			return c
		}
		if c := strings.Compare(ta, tb); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b)
}

// sortedUsers returns the stored users ordered by number (then _id). Callers hold s.mu.
func (s *Server) sortedUsers() []*user {
	out := make([]*user, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *user) int {
		if c := compareNumbers(a.values["number"], b.values["number"]); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return out
}

// numberTaken reports whether another user than except has this number. Callers hold s.mu.
func (s *Server) numberTaken(number, except string) bool {
	n := s.numbers[number]
	if u := s.users[except]; except != "" && u != nil && u.values["number"] == number {
		n--
	}
	return n > 0
}

// setUser stores u under its id, replacing the user stored there, and keeps the number
// index. Every change of s.users goes through setUser or dropUser, and a change of a stored
// user's values through replaceValues. Callers hold s.mu.
func (s *Server) setUser(u *user) {
	s.dropUser(u.id)
	s.users[u.id] = u
	s.indexNumber(u.values["number"], 1)
}

// dropUser removes the user with this id, if any, and keeps the number index. Callers hold s.mu.
func (s *Server) dropUser(id string) {
	if old := s.users[id]; old != nil {
		s.indexNumber(old.values["number"], -1)
		delete(s.users, id)
	}
}

// replaceValues gives the stored user u new values and forwarding, in place. Callers hold s.mu.
func (s *Server) replaceValues(u *user, values, forward map[string]string) {
	s.indexNumber(u.values["number"], -1)
	u.values, u.forward = values, forward
	s.indexNumber(values["number"], 1)
}

func (s *Server) indexNumber(number string, delta int) {
	if s.numbers[number] += delta; s.numbers[number] <= 0 {
		delete(s.numbers, number)
	}
}

// addUser implements pbx/users/add: the failure, or the new user (its reply
// depends on Readings.AddReply). Callers hold s.mu.
func (s *Server) addUser(body map[string]any) (envelope, *user) {
	values, forward, msg := parseUser(body)
	if msg != "" {
		return failure(msg), nil
	}
	if s.numberTaken(values["number"], "") {
		return failure(msgDuplicate), nil
	}
	now := s.now()
	u := &user{id: s.oid.next(now), values: values, forward: forward, queues: []any{}}
	values[fieldDescription] = ""
	values[fieldDate] = jalaliDateTime(now)
	s.setUser(u)
	return envelope{}, u
}

// lookupUser finds the user named by body["_id"]. Callers hold s.mu.
func (s *Server) lookupUser(body map[string]any) (*user, string) {
	v := body["_id"]
	if v == nil || v == "" {
		return nil, msgMissing("_id")
	}
	id, ok := v.(string)
	if !ok {
		return nil, msgFailed
	}
	u := s.users[strings.ToLower(id)]
	if u == nil {
		return nil, msgFailed
	}
	return u, ""
}

// updateUser implements pbx/users/update as a full replace. Callers hold s.mu.
func (s *Server) updateUser(body map[string]any) envelope {
	u, msg := s.lookupUser(body)
	if msg != "" {
		return failure(msg)
	}
	values, forward, msg := parseUser(body)
	if msg != "" {
		return failure(msg)
	}
	if s.numberTaken(values["number"], u.id) {
		return failure(msgDuplicate)
	}
	values[fieldDescription] = u.values[fieldDescription]
	values[fieldDate] = jalaliDateTime(s.now())
	if mapped := u.values[fieldMapped]; mapped != "" {
		values[fieldMapped] = mapped
	}
	s.replaceValues(u, values, forward)
	return envelope{Success: 1, Message: msgDone, Data: ""}
}

// removeUser implements pbx/users/remove. Callers hold s.mu.
func (s *Server) removeUser(body map[string]any) envelope {
	u, msg := s.lookupUser(body)
	if msg != "" {
		return failure(msg)
	}
	s.dropUser(u.id)
	return envelope{Success: 1, Message: msgDone, Data: ""}
}

// searchUsers implements pbx/users/search. Callers hold s.mu.
func (s *Server) searchUsers(body map[string]any) envelope {
	status := "all"
	if v := body["status"]; v != nil {
		str, _ := v.(string)
		if str != "all" && str != "mapped" {
			return failure(msgInvalid("status", display(v)))
		}
		status = str
	}
	alike, ok := parseAlike(body["alike"])
	if !ok {
		return failure(msgInvalid("alike", display(body["alike"])))
	}
	conds := map[string]string{}
	if v := body["conditions"]; v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return failure(msgInvalid("conditions", display(v)))
		}
		for _, key := range []string{"name", "number", fieldMapped} {
			if m[key] == nil {
				continue
			}
			c, ok := scalarString(m[key])
			if !ok {
				return failure(msgInvalid("conditions."+key, display(m[key])))
			}
			if c != "" {
				conds[key] = c
			}
		}
	}
	data := []any{}
	for _, u := range s.sortedUsers() {
		if status == "mapped" && u.values[fieldMapped] == "" {
			continue
		}
		if matchesAll(u, conds, alike) {
			data = append(data, u.record(s.cfg.RevealSecrets))
		}
	}
	return envelope{Success: 1, Message: "", Data: data}
}

// parseAlike accepts true/false, 1/0 and their string forms; absent means exact matching.
func parseAlike(v any) (alike, ok bool) {
	if b, isBool := v.(bool); isBool || v == nil {
		return b, true
	}
	switch s, _ := scalarString(v); s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

func matchesAll(u *user, conds map[string]string, alike bool) bool {
	for key, want := range conds {
		have := u.values[key]
		if alike {
			if !strings.Contains(strings.ToLower(have), strings.ToLower(want)) {
				return false
			}
		} else if have != want {
			return false
		}
	}
	return true
}
