package mockpbx

// CreateUser stores a new user as if it had been created in the Simotel web panel: validated
// like users/add (the same required fields and defaults), with the given _id when fields has
// one, else a new one. It returns the stored record (secret in clear).
func (s *Server) CreateUser(fields map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.seedUser(fields)
	if err != nil {
		return nil, err
	}
	return u.snapshot(), nil
}
