package pbxapi

import (
	"context"
	"fmt"
	"sync"
)

// userListing is the one users/search listing (no conditions: every user)
// that serves every GetUser of a Terraform run. The first GetUser fetches it;
// calls that arrive meanwhile wait for the same request (single-flight). The
// client's own writes (add, update, remove) drop it, and it is never shared
// between clients, so it never outlives a run.
type userListing struct {
	mu     sync.Mutex
	gen    uint64 // bumped by invalidate: a listing that started before is not kept
	flight *flight
	byID   map[string]*User // nil until fetched
}

// flight is one request under way that other callers wait for instead of
// sending their own.
type flight struct {
	done chan struct{}
	err  error
}

func newFlight() *flight { return &flight{done: make(chan struct{})} }

// wait returns the flight's error once it has landed, or ctx's.
func (f *flight) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// land records the outcome and releases the waiters (under the owner's lock).
func (f *flight) land(err error) {
	f.err = err
	close(f.done)
}

// GetUser returns the user with this _id, or an error matching ErrNotFound.
// The API has no get-by-id: every call of a run is answered from one shared
// users/search listing of all users (see userListing).
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	byID, err := c.listing(ctx)
	if err != nil {
		return nil, err
	}
	return found(byID, id, c)
}

// ListUsers returns every user (copies, in no particular order) from the
// same shared listing that answers GetUser: a run that refreshes users and
// also lists them sends one users/search.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	byID, err := c.listing(ctx)
	if err != nil {
		return nil, err
	}
	users := make([]User, 0, len(byID))
	for _, u := range byID {
		users = append(users, *u)
	}
	return users, nil
}

// listing returns the run's listing of every user by _id, fetching it on
// first use. The map is shared: callers copy what they return.
func (c *Client) listing(ctx context.Context) (map[string]*User, error) {
	l := &c.users
	l.mu.Lock()
	for l.byID == nil {
		if f := l.flight; f != nil {
			l.mu.Unlock()
			if err := f.wait(ctx); err != nil {
				return nil, err
			}
			l.mu.Lock()
			continue
		}
		f := newFlight()
		l.flight = f
		gen := l.gen
		l.mu.Unlock()
		// The listing outlives a cancelled caller (others wait for it) but
		// keeps the context's values (loggers).
		users, err := c.SearchUsers(context.WithoutCancel(ctx), SearchQuery{})
		byID := make(map[string]*User, len(users))
		for i := range users {
			byID[users[i].ID] = &users[i]
		}
		l.mu.Lock()
		l.flight = nil
		f.land(err)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		if l.gen != gen {
			// A write landed meanwhile: answer this caller, keep nothing.
			l.mu.Unlock()
			return byID, nil
		}
		l.byID = byID
	}
	byID := l.byID
	l.mu.Unlock()
	return byID, nil
}

func found(byID map[string]*User, id string, c *Client) (*User, error) {
	if u, ok := byID[id]; ok {
		cp := *u
		return &cp, nil
	}
	return nil, c.notFound("users/search", fmt.Sprintf("no user with _id %q", id))
}

// invalidateUsers drops the listing after a write by this client.
func (c *Client) invalidateUsers() {
	l := &c.users
	l.mu.Lock()
	l.gen++
	l.byID = nil
	l.mu.Unlock()
}
