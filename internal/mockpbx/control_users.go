package mockpbx

// CreateUser stores a new user as if it had been created in the Simotel web panel: validated
// like users/add (the same required fields and defaults), with the given _id when fields has
// one, else a new one. It returns the stored record (secret in clear).
func (s *Server) CreateUser(fields map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := make(map[string]bool, len(s.users))
	for id := range s.users {
		before[id] = true
	}
	if err := s.seedUser(fields); err != nil {
		return nil, err
	}
	for id, u := range s.users {
		if !before[id] {
			return u.snapshot(), nil
		}
	}
	return nil, nil // not reached: seedUser stored one
}
