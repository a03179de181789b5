package pbxapi

// QueuedEntryCalls returns how many GetEntry calls of c wait for a dir/get
// request to carry them (not those in a request already sent), so that a
// test can release a held request once the calls it means to coalesce have
// queued, instead of guessing how long that takes.
func QueuedEntryCalls(c *Client) int {
	c.entries.mu.Lock()
	defer c.entries.mu.Unlock()
	n := 0
	for _, q := range c.entries.pending {
		n += len(q)
	}
	return n
}
