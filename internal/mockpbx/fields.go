package mockpbx

// UserFieldNames returns the wire names of the writable Simotel user fields the mock stores, in the
// order users/search returns them. Tests outside the package compare it with the client's and the
// provider's field lists, so a field added to one of them and forgotten in another fails a test.
func UserFieldNames() []string {
	names := make([]string, len(userFields))
	for i, f := range userFields {
		names[i] = f.name
	}
	return names
}
