package mockpbx

// The users outside the device API: seeds, the Go helpers tests use and the control API's panel edits.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// seedUser stores a Config.Users entry: validated like users/add, with its own _id, description,
// date, queues and mapped kept when given.
func (s *Server) seedUser(raw map[string]any) (*user, error) {
	normalized, err := normalizeJSON(raw)
	if err != nil {
		return nil, err
	}
	m, _ := normalized.(map[string]any)
	values, forward, msg := parseUser(m)
	if msg != "" {
		return nil, errors.New(msg)
	}
	if s.numberTaken(values["number"], "") {
		return nil, fmt.Errorf("number %q: %s", values["number"], msgDuplicate)
	}
	u := &user{values: values, forward: forward, queues: []any{}}
	now := s.now()
	switch id := m["_id"].(type) {
	case nil:
		u.id = s.oid.next(now)
	case string:
		u.id = strings.ToLower(id)
		if !isObjectID(u.id) {
			return nil, fmt.Errorf("_id %q is not 24 hex digits", id)
		}
		if s.users[u.id] != nil {
			return nil, fmt.Errorf("_id %q is used twice", id)
		}
	default:
		return nil, fmt.Errorf("_id %v is not a string", id)
	}
	values[fieldDescription] = ""
	values[fieldDate] = jalaliDateTime(now)
	if err := setPanelFields(u, m); err != nil {
		return nil, err
	}
	s.setUser(u)
	return u, nil
}

// setPanelFields copies description, date, mapped and queues from m into u when present.
func setPanelFields(u *user, m map[string]any) error {
	for _, key := range []string{fieldDescription, fieldDate, fieldMapped} {
		v, present := m[key]
		if !present {
			continue
		}
		s, ok := scalarString(v)
		if !ok {
			return fmt.Errorf("%s must be a string, not %s", key, display(v))
		}
		if key == fieldMapped && s == "" {
			delete(u.values, key)
			continue
		}
		u.values[key] = s
	}
	if v, present := m["queues"]; present {
		q, ok := v.([]any)
		if !ok {
			return fmt.Errorf("queues must be an array, not %s", display(v))
		}
		u.queues = cloneSlice(q)
	}
	return nil
}

// Users returns a snapshot of every stored user, sorted by number, with secrets in clear.
func (s *Server) Users() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	sorted := s.sortedUsers()
	out := make([]map[string]any, len(sorted))
	for i, u := range sorted {
		out[i] = u.snapshot()
	}
	return out
}

// UserByNumber returns a snapshot of the stored user with this number, with the secret in
// clear.
func (s *Server) UserByNumber(number string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.sortedUsers() {
		if u.values["number"] == number {
			return u.snapshot(), true
		}
	}
	return nil, false
}

// PatchUser merges fields into a stored user the way an edit in the Simotel web panel would:
// no validation beyond string types (forward_policy is merged per key, queues replaced).
// The date is refreshed unless fields sets it. It returns the new record.
func (s *Server) PatchUser(id string, fields map[string]any) (map[string]any, error) {
	normalized, err := normalizeJSON(fields)
	if err != nil {
		return nil, err
	}
	fields, _ = normalized.(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[strings.ToLower(id)]
	if u == nil {
		return nil, ErrNotFound
	}
	next := &user{id: u.id, values: map[string]string{}, forward: map[string]string{}, queues: u.queues}
	for k, v := range u.values {
		next.values[k] = v
	}
	for k, v := range u.forward {
		next.forward[k] = v
	}
	next.values[fieldDate] = jalaliDateTime(s.now())
	panel := map[string]any{}
	for key, v := range fields {
		switch {
		case key == "_id":
			if str, _ := v.(string); strings.ToLower(str) != u.id {
				return nil, errors.New("_id cannot be changed")
			}
		case key == "forward_policy":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("forward_policy must be an object, not %s", display(v))
			}
			for fk, fv := range m {
				str, ok := scalarString(fv)
				if !slices.Contains(forwardKeys, fk) || !ok {
					return nil, fmt.Errorf("forward_policy.%s: unknown key or not a string", fk)
				}
				next.forward[fk] = str
			}
		case key == fieldDescription || key == fieldDate || key == fieldMapped || key == "queues":
			panel[key] = v
		case slices.ContainsFunc(userFields, func(f userField) bool { return f.name == key }):
			str, ok := scalarString(v)
			if !ok {
				return nil, fmt.Errorf("%s must be a string, not %s", key, display(v))
			}
			next.values[key] = str
		default:
			return nil, fmt.Errorf("unknown user field %q", key)
		}
	}
	if err := setPanelFields(next, panel); err != nil {
		return nil, err
	}
	s.setUser(next)
	return next.snapshot(), nil
}

// DeleteUser removes a stored user as if it had been deleted in the web panel.
func (s *Server) DeleteUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id = strings.ToLower(id)
	if s.users[id] == nil {
		return ErrNotFound
	}
	s.dropUser(id)
	return nil
}
