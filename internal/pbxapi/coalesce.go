package pbxapi

import (
	"context"
	"strings"
	"sync"
)

// entryCoalescer merges concurrent GetEntry calls into few api/dir/get
// requests: while one request for a field list is in flight, calls for the
// same field list queue up, and the queue is sent as one request (up to
// MaxGetUUIDs uuids) when it returns. A plan that reads N entries at
// Terraform's default parallelism thus costs a handful of requests instead
// of N, and a lone call is sent at once, with no added delay.
type entryCoalescer struct {
	mu       sync.Mutex
	inflight map[string]bool
	pending  map[string][]*entryWaiter
}

type entryWaiter struct {
	ctx   context.Context // the caller's, for its values (loggers)
	uuid  string
	reply chan entryReply // buffered: the batch never blocks on a gone caller
}

type entryReply struct {
	result Entry
	series string
	err    error
}

// GetEntry reads one entry; a per-entry failure is returned as the error
// (matching ErrNotFound or ErrInvalidUUID as appropriate). Concurrent calls
// are coalesced into shared api/dir/get requests.
func (c *Client) GetEntry(ctx context.Context, uuid string, fields []string) (*Entry, string, error) {
	key := fieldsKey(fields)
	w := &entryWaiter{ctx: ctx, uuid: uuid, reply: make(chan entryReply, 1)}
	co := &c.entries
	co.mu.Lock()
	if co.pending == nil {
		co.pending, co.inflight = map[string][]*entryWaiter{}, map[string]bool{}
	}
	co.pending[key] = append(co.pending[key], w)
	if !co.inflight[key] {
		co.inflight[key] = true
		go c.runEntryBatches(key, fields)
	}
	co.mu.Unlock()

	select {
	case r := <-w.reply:
		if r.err != nil {
			return nil, r.series, r.err
		}
		if r.result.Err != nil {
			return nil, r.series, r.result.Err
		}
		return &r.result, r.series, nil
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// runEntryBatches sends the queued calls for one field list until the queue
// is empty. Each request runs in the context of a caller it answers, with
// its values (loggers) but not its cancellation: the request outlives any
// one caller. The caller that started the loop may have returned long ago,
// and its context may no longer hold anything (see the provider's
// releasingServer).
func (c *Client) runEntryBatches(key string, fields []string) {
	co := &c.entries
	for {
		co.mu.Lock()
		batch := co.pending[key]
		if len(batch) > MaxGetUUIDs {
			batch = batch[:MaxGetUUIDs]
		}
		co.pending[key] = co.pending[key][len(batch):]
		if len(batch) == 0 {
			delete(co.pending, key)
			delete(co.inflight, key)
			co.mu.Unlock()
			return
		}
		co.mu.Unlock()

		uuids := make([]string, len(batch))
		ctx := batch[0].ctx
		for i, w := range batch {
			uuids[i] = w.uuid
			if ctx.Err() != nil && w.ctx.Err() == nil {
				ctx = w.ctx // a caller still waiting
			}
		}
		ctx = context.WithoutCancel(ctx)
		// Duplicates are asked for once; replies are matched by uuid.
		set, err := c.ReadEntries(ctx, uuids, fields)
		for _, w := range batch {
			if err != nil {
				w.reply <- entryReply{err: err}
				continue
			}
			r, _ := set.Lookup(w.uuid)
			w.reply <- entryReply{result: r, series: set.Series}
		}
	}
}

// fieldsKey identifies a field list: nil (omitted) and empty differ.
func fieldsKey(fields []string) string {
	if fields == nil {
		return "\x00nil"
	}
	return "[" + strings.Join(fields, "\x00") + "]"
}
