package pbxapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Entry is one directory entry as the device returned it (api/dir/get or
// api/dir/query), decoded once by decodeEntry for every reader: the data
// sources, the ephemeral and list resources and the entry resource.
//
// A field the device did not return holds its zero value; Has says whether
// it was returned, so that "absent" (not selected, or at its default when no
// field list was given) and "empty" differ. Fields gives the managed model,
// with the defaults of a new entry where nothing was returned.
type Entry struct {
	// UUID as the device echoed it.
	UUID string
	// Err is set (an *EntryError) when the device reported errors for the
	// requested uuid; nothing else but UUID is set then.
	Err error
	// Deleted marks a deleted entry in a dir/query reply (only UUID and
	// Timestamp are set then).
	Deleted   bool
	Timestamp int64

	Name       string
	Email      string
	Treepath   string
	VirtNumber string
	Owner      string
	Deputy     string
	// CallPos are the call positions as returned, in order (any number).
	CallPos []CallPosition
	// Access are the access fields (validity and credentials).
	Access AccessFields

	// Raw is the entry object exactly as returned.
	Raw json.RawMessage

	// returned holds the dotted keys the device returned ("name",
	// "callPos", "callPos[1].grouped", "access", "access.pin", …): true with
	// a value, false with JSON null.
	returned map[string]bool
	// unfit says why the entry does not fit the managed model (Fields).
	unfit error
}

// CallPosition is one call position (callPos[i]) as returned.
type CallPosition struct {
	Peer     string
	Profiles string
	Grouped  bool
	IPEye    string
}

// Has reports whether the device returned the field key (a dotted key such
// as "name", "callPos[0].peer" or "access.pin"), even as JSON null.
func (e *Entry) Has(key string) bool {
	_, ok := e.returned[key]
	return ok
}

// Text is the string field key (as Has names it) when the device returned
// it, nil when it did not.
func (e *Entry) Text(key string) *string {
	if !e.Has(key) {
		return nil
	}
	var s string
	switch key {
	case "name":
		s = e.Name
	case "email":
		s = e.Email
	case "treepath":
		s = e.Treepath
	case "virtNumber":
		s = e.VirtNumber
	case "owner":
		s = e.Owner
	case "deputy":
		s = e.Deputy
	default:
		return nil
	}
	return &s
}

// Fields is the managed part of the entry: what the device returned, and the
// defaults of a new entry (DefaultEntryFields) for what it did not return or
// returned as null. It fails for an entry the model cannot hold (more than
// CallPositions call positions, malformed access fields).
func (e *Entry) Fields() (*EntryFields, error) {
	if e == nil || e.returned == nil {
		return nil, errors.New("no entry data")
	}
	if e.unfit != nil {
		return nil, e.unfit
	}
	f := DefaultEntryFields()
	for key, dst := range map[string]*string{
		"name": &f.Name, "email": &f.Email, "treepath": &f.Treepath, "virtNumber": &f.VirtNumber, "owner": &f.Owner, "deputy": &f.Deputy,
	} {
		if e.returned[key] {
			s := e.Text(key)
			*dst = *s
		}
	}
	for i, cp := range e.CallPos {
		pos := &f.CallPos[i]
		pos.Peer, pos.Profiles, pos.Grouped = cp.Peer, cp.Profiles, cp.Grouped
	}
	f.Access = e.Access
	return &f, nil
}

// publicAndCredentials splits Raw into everything but the credentials and
// the credentials (the access keys CredentialKeys) alone.
func (e *Entry) publicAndCredentials() (public, creds map[string]any, err error) {
	if err := json.Unmarshal(e.Raw, &public); err != nil {
		return nil, nil, fmt.Errorf("the entry is not a valid JSON object: %w", err)
	}
	creds = map[string]any{}
	if access, ok := public["access"].(map[string]any); ok {
		for _, k := range CredentialKeys {
			if val, ok := access[k]; ok {
				creds[k] = val
				delete(access, k)
			}
		}
		if len(access) == 0 {
			delete(public, "access")
		}
	}
	return public, creds, nil
}

// CredentialKeys are the keys of an entry's access object that open the
// door: PublicJSON leaves them out, CredentialsJSON holds only them.
var CredentialKeys = []string{"pin", "code", "card", "virtCard", "mobkey", "fpt"}

// PublicJSON is everything the device returned for the entry except the
// credentials, as JSON with sorted keys (stable between reads).
func (e *Entry) PublicJSON() (string, error) {
	public, _, err := e.publicAndCredentials()
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(public)
	return string(b), nil
}

// CredentialsJSON is the credentials the device returned for the entry, as
// a JSON object ("{}" when it returned none).
func (e *Entry) CredentialsJSON() (string, error) {
	_, creds, err := e.publicAndCredentials()
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(creds)
	return string(b), nil
}

// entryErrorOf is the per-entry error for the codes the device gave.
func entryErrorOf(uuid string, codes []json.RawMessage) *EntryError {
	ee := &EntryError{UUID: uuid}
	for _, c := range codes {
		code, _ := scalarString(c)
		ee.Codes = append(ee.Codes, code)
	}
	if len(ee.Codes) == 0 {
		ee.Codes = []string{"(no error code)"}
	}
	return ee
}

// DecodeEntry decodes one entry object as the device returns it in dir/get
// and dir/query replies (see decodeEntry).
func DecodeEntry(raw json.RawMessage) (Entry, error) { return decodeEntry(raw) }

// decodeEntry decodes the device's answer for one entry: a per-entry error
// (Err) or a found entry. The decoding is lenient as the contract asks
// (strings also as numbers or booleans, grouped also as "true"/"false" or
// 0/1, timestamps also as numeric strings, null as absent). It fails for
// what no reader can use (no timestamp, a name that is an object, …); what
// only the managed model cannot hold is kept for Fields to report.
func decodeEntry(raw json.RawMessage) (Entry, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return Entry{}, errors.New("not a JSON object")
	}
	var e Entry
	if v, ok := obj["uuid"]; ok {
		s, err := scalarString(v)
		if err != nil {
			return e, fmt.Errorf("uuid: %w", err)
		}
		e.UUID = s
	}
	if v, ok := obj["errors"]; ok {
		var errs []struct {
			Code json.RawMessage `json:"code"`
		}
		if err := json.Unmarshal(v, &errs); err != nil {
			return e, fmt.Errorf("errors: %w", err)
		}
		codes := make([]json.RawMessage, len(errs))
		for i, x := range errs {
			codes[i] = x.Code
		}
		e.Err = entryErrorOf(e.UUID, codes)
		return e, nil
	}
	ts, ok := obj["timestamp"]
	if !ok {
		return e, errors.New("found entry has no timestamp")
	}
	t, err := flexInt(ts)
	if err != nil {
		return e, fmt.Errorf("timestamp: %w", err)
	}
	e.Timestamp, e.Raw, e.returned = t, raw, map[string]bool{}
	if err := e.decodeStrings(obj, "", map[string]*string{
		"name": &e.Name, "email": &e.Email, "treepath": &e.Treepath, "virtNumber": &e.VirtNumber, "owner": &e.Owner,
	}); err != nil {
		return e, err
	}
	if err := e.decodeStrings(obj, "", map[string]*string{"deputy": &e.Deputy}); err != nil {
		e.unfit = err
	}
	if err := e.decodeCallPos(obj["callPos"]); err != nil {
		return e, err
	}
	if e.unfit == nil && len(e.CallPos) > CallPositions {
		e.unfit = fmt.Errorf("callPos: %d positions, the model has %d", len(e.CallPos), CallPositions)
	}
	if err := e.decodeAccess(obj["access"]); err != nil && e.unfit == nil {
		e.unfit = err
	}
	return e, nil
}

// mark records that the device returned key (with a value, or null).
func (e *Entry) mark(key string, v json.RawMessage) bool {
	e.returned[key] = !isJSONNull(v)
	return e.returned[key]
}

func isJSONNull(v json.RawMessage) bool { return strings.TrimSpace(string(v)) == "null" }

// decodeStrings sets each *dst whose key obj has (prefixed by prefix) to that
// value as a string, and records it; null leaves it "".
func (e *Entry) decodeStrings(obj map[string]json.RawMessage, prefix string, dsts map[string]*string) error {
	for key, dst := range dsts {
		v, ok := obj[key]
		if !ok {
			continue
		}
		s, err := scalarString(v)
		if err != nil {
			return fmt.Errorf("%s%s: %w", prefix, key, err)
		}
		e.mark(prefix+key, v)
		*dst = s
	}
	return nil
}

func (e *Entry) decodeCallPos(v json.RawMessage) error {
	if v == nil {
		return nil
	}
	if !e.mark("callPos", v) {
		return nil
	}
	var cps []map[string]json.RawMessage
	if err := json.Unmarshal(v, &cps); err != nil {
		return errors.New("callPos: not a list of objects")
	}
	for i, cp := range cps {
		var pos CallPosition
		prefix := fmt.Sprintf("callPos[%d].", i)
		if err := e.decodeStrings(cp, prefix, map[string]*string{"peer": &pos.Peer, "profiles": &pos.Profiles, "ipEye": &pos.IPEye}); err != nil {
			return err
		}
		if g, ok := cp["grouped"]; ok && e.mark(prefix+"grouped", g) {
			b, err := flexBool(g)
			if err != nil {
				return fmt.Errorf("callPos[%d].grouped: %w", i, err)
			}
			pos.Grouped = b
		}
		e.CallPos = append(e.CallPos, pos)
	}
	return nil
}

// decodeAccess reads the access object; its errors only make the entry
// unfit for the managed model.
func (e *Entry) decodeAccess(v json.RawMessage) error {
	if v == nil || !e.mark("access", v) {
		return nil
	}
	var acc map[string]json.RawMessage
	if err := json.Unmarshal(v, &acc); err != nil {
		return errors.New("access: not an object")
	}
	a := &e.Access
	if err := e.decodeStrings(acc, "access.", map[string]*string{"pin": &a.PIN}); err != nil {
		return err
	}
	for key, dst := range map[string]*int64{"validFrom": &a.ValidFrom, "validTo": &a.ValidTo} {
		if x, ok := acc[key]; ok && e.mark("access."+key, x) && string(x) != `""` {
			n, err := flexInt(x)
			if err != nil || n < 0 {
				return fmt.Errorf("access.%s: expected Unix seconds, got %s", key, truncate(string(x), 40))
			}
			*dst = n
		}
	}
	for key, dst := range map[string]*[]string{"code": &a.Codes, "card": &a.Cards} {
		x, ok := acc[key]
		if !ok || !e.mark("access."+key, x) {
			continue
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(x, &raws); err != nil {
			return fmt.Errorf("access.%s: not a list", key)
		}
		list := make([]string, len(raws))
		for i, r := range raws {
			s, err := scalarString(r)
			if err != nil {
				return fmt.Errorf("access.%s[%d]: %w", key, i, err)
			}
			list[i] = s
		}
		*dst = TrimCodes(list)
	}
	return nil
}

// flexBool accepts a JSON boolean or the strings "true"/"false" (the seed
// page shows "grouped":"false").
func flexBool(v json.RawMessage) (bool, error) {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return false, err
	}
	switch t := x.(type) {
	case bool:
		return t, nil
	case string:
		if b, err := strconv.ParseBool(t); err == nil {
			return b, nil
		}
	case float64:
		if t == 0 || t == 1 {
			return t == 1, nil
		}
	}
	return false, fmt.Errorf("expected a boolean, got %s", truncate(string(v), 40))
}

// flexInt accepts a JSON integer or a numeric string.
func flexInt(v json.RawMessage) (int64, error) {
	s := strings.Trim(strings.TrimSpace(string(v)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected an integer, got %s", truncate(string(v), 40))
	}
	return n, nil
}
