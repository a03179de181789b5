package pbxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Sizes of the fixed arrays of the 2N "verso" entry model.
const (
	CallPositions = 3 // callPos
	AccessCodes   = 4 // access.code (switch codes)
	AccessCards   = 2 // access.card
)

// EntryFields is the part of a directory entry that the provider manages.
// Every other field of the entry (photo, buttons, callPos[].ipEye,
// access.accessPoints, …) is never sent, so writes leave it as it is.
type EntryFields struct {
	Name       string
	Email      string
	Treepath   string
	VirtNumber string
	Owner      string
	Deputy     string
	CallPos    [CallPositions]CallPositionFields
	Access     AccessFields
}

// CallPositionFields is one managed call position (callPos[i]).
type CallPositionFields struct {
	Peer     string
	Profiles string
	Grouped  bool
}

// AccessFields are the managed access credentials (access).
type AccessFields struct {
	// ValidFrom and ValidTo are Unix seconds; 0 means no limit.
	ValidFrom int64
	ValidTo   int64
	PIN       string
	// Codes are the switch codes by position ("" = none). Trailing empty
	// codes are insignificant: ["12"] and ["12","",""] are the same.
	Codes []string
	// Cards are the card ids by position, like Codes.
	Cards []string
}

// DefaultEntryFields returns what a new entry holds (api/dir/template).
func DefaultEntryFields() EntryFields {
	return EntryFields{Treepath: "/"}
}

// TrimCodes drops the trailing empty elements of a code or card list (nil
// when nothing is left).
func TrimCodes(codes []string) []string {
	n := len(codes)
	for n > 0 && codes[n-1] == "" {
		n--
	}
	if n == 0 {
		return nil
	}
	return slices.Clone(codes[:n])
}

// Differences lists, by the device's names, the managed fields in which got
// differs from f.
func (f EntryFields) Differences(got EntryFields) []string {
	_, diff := entryPatch(got, f)
	return diff
}

// entryPatch returns the dir/update object that turns prior into want: only
// the fields that differ, nested as the device expects (call positions by
// index, {} for an unchanged one before a changed one; a code or card list
// whole, padded with "" to clear codes that are no longer wanted). It also
// returns the names of the fields that differ.
func entryPatch(prior, want EntryFields) (map[string]any, []string) {
	patch := map[string]any{}
	var diff []string
	for _, s := range []struct {
		key        string
		prior, now string
	}{
		{"name", prior.Name, want.Name},
		{"email", prior.Email, want.Email},
		{"treepath", prior.Treepath, want.Treepath},
		{"virtNumber", prior.VirtNumber, want.VirtNumber},
		{"owner", prior.Owner, want.Owner},
		{"deputy", prior.Deputy, want.Deputy},
	} {
		if s.prior != s.now {
			patch[s.key] = s.now
			diff = append(diff, s.key)
		}
	}

	positions := make([]any, 0, CallPositions)
	last := -1
	for i := range CallPositions {
		p, w := prior.CallPos[i], want.CallPos[i]
		pos := map[string]any{}
		if p.Peer != w.Peer {
			pos["peer"] = w.Peer
			diff = append(diff, fmt.Sprintf("callPos[%d].peer", i))
		}
		if p.Profiles != w.Profiles {
			pos["profiles"] = w.Profiles
			diff = append(diff, fmt.Sprintf("callPos[%d].profiles", i))
		}
		if p.Grouped != w.Grouped {
			pos["grouped"] = w.Grouped
			diff = append(diff, fmt.Sprintf("callPos[%d].grouped", i))
		}
		if len(pos) > 0 {
			last = i
		}
		positions = append(positions, pos)
	}
	if last >= 0 {
		patch["callPos"] = positions[:last+1]
	}

	access := map[string]any{}
	if prior.Access.ValidFrom != want.Access.ValidFrom {
		access["validFrom"] = strconv.FormatInt(want.Access.ValidFrom, 10)
	}
	if prior.Access.ValidTo != want.Access.ValidTo {
		access["validTo"] = strconv.FormatInt(want.Access.ValidTo, 10)
	}
	if prior.Access.PIN != want.Access.PIN {
		access["pin"] = want.Access.PIN
	}
	if list, changed := listPatch(prior.Access.Codes, want.Access.Codes); changed {
		access["code"] = list
	}
	if list, changed := listPatch(prior.Access.Cards, want.Access.Cards); changed {
		access["card"] = list
	}
	if len(access) > 0 {
		patch["access"] = access
		for _, k := range []string{"validFrom", "validTo", "pin", "code", "card"} {
			if _, ok := access[k]; ok {
				diff = append(diff, "access."+k)
			}
		}
	}
	return patch, diff
}

// listPatch compares two code lists (trailing "" insignificant) and returns
// the list to send: want, padded with "" to the length of prior so that codes
// no longer wanted are cleared.
func listPatch(prior, want []string) ([]string, bool) {
	p, w := TrimCodes(prior), TrimCodes(want)
	if slices.Equal(p, w) {
		return nil, false
	}
	out := make([]string, max(len(p), len(w)))
	copy(out, w)
	return out, true
}

// EntryWrite is the device's answer to a write of one entry.
type EntryWrite struct {
	// UUID is the entry's uuid as the device stores it.
	UUID string
	// Series is the directory's series.
	Series string
	// Timestamp is the entry's new timestamp (0 when the device gave none:
	// the entry did not change).
	Timestamp int64
	// Adopted reports that CreateEntry found the entry already created by an
	// earlier attempt whose reply was lost, and adopted it.
	Adopted bool
}

// CreateEntry creates the entry uuid (chosen by the caller)
// with api/dir/create. Only the fields that differ from the defaults are sent.
//
// dir/create is not idempotent, but with a caller-chosen uuid a repeated
// create cannot make a twin: after an ambiguous failure (dropped connection,
// timeout, 502/504, unreadable reply) the client sends it again, and if the
// device answers EDIR_UUID_ALREADY_EXISTS it reads the entry: an entry that
// matches every field sent is adopted, one that differs is an error.
func (c *Client) CreateEntry(ctx context.Context, uuid string, f EntryFields) (*EntryWrite, error) {
	if !ValidUUID(uuid) {
		return nil, fmt.Errorf("dir/create: %q is not a valid directory uuid", uuid)
	}
	item, _ := entryPatch(DefaultEntryFields(), f)
	if err := checkPatch("", item); err != nil {
		return nil, fmt.Errorf("dir/create of entry %s not sent: %w", uuid, err)
	}
	item["uuid"] = uuid
	body := map[string]any{"users": []any{item}}
	// Creates and the read that resolves an ambiguous one come out of one
	// budget: at most max_retries + 1 requests in all.
	ctx, b := c.withBudget(ctx)
	var lastErr error
	for !b.exhausted() {
		w, err := c.writeEntry(ctx, "create", uuid, body, false)
		if err == nil {
			return w, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		var we *WriteError
		existsAfterAmbiguous := lastErr != nil && errors.As(err, &we) && we.HasCode(CodeUUIDAlreadyExists)
		if existsAfterAmbiguous {
			return c.adoptCreated(ctx, uuid, f, lastErr)
		}
		if !IsAmbiguous(err) {
			return nil, err
		}
		lastErr = err
		c.log(ctx, "2N dir/create outcome unknown; creating the same uuid again", map[string]any{"uuid": uuid, "error": err.Error()})
	}
	return nil, fmt.Errorf("dir/create of entry %s: giving up: %w", uuid, lastErr)
}

// adoptCreated resolves EDIR_UUID_ALREADY_EXISTS after an ambiguous create.
func (c *Client) adoptCreated(ctx context.Context, uuid string, want EntryFields, ambiguous error) (*EntryWrite, error) {
	res, series, err := c.GetEntry(ctx, uuid, []string{})
	if err != nil {
		return nil, fmt.Errorf("dir/create of entry %s failed ambiguously (%v), the device then reported the uuid as existing, and reading it failed: %w", uuid, ambiguous, err)
	}
	got, err := res.Fields()
	if err != nil {
		return nil, fmt.Errorf("dir/create of entry %s: the existing entry cannot be read: %w", uuid, err)
	}
	if diff := want.Differences(*got); len(diff) > 0 {
		return nil, fmt.Errorf("dir/create of entry %s failed ambiguously (%v), and the directory now has an entry with that uuid that differs in %s: not adopting it; inspect it, then import it or delete it",
			uuid, ambiguous, strings.Join(diff, ", "))
	}
	return &EntryWrite{UUID: res.UUID, Series: series, Timestamp: res.Timestamp, Adopted: true}, nil
}

// UpdateEntry changes the entry uuid from prior (what the device holds) to
// want with api/dir/update, sending only the fields that differ. With nothing
// to change it sends nothing and returns nil. An entry that no longer exists
// gives an error matching ErrNotFound.
func (c *Client) UpdateEntry(ctx context.Context, uuid string, prior, want EntryFields) (*EntryWrite, error) {
	patch, diff := entryPatch(prior, want)
	if len(diff) == 0 {
		return nil, nil
	}
	if err := checkPatch("", patch); err != nil {
		return nil, fmt.Errorf("dir/update of entry %s not sent: %w", uuid, err)
	}
	patch["uuid"] = uuid
	return c.writeEntry(ctx, "update", uuid, map[string]any{"users": []any{patch}}, true)
}

// DeleteEntry deletes the entry uuid with api/dir/delete. An entry that is
// already gone counts as deleted (the result then has no Timestamp).
func (c *Client) DeleteEntry(ctx context.Context, uuid string) (*EntryWrite, error) {
	w, err := c.writeEntry(ctx, "delete", uuid, map[string]any{"users": []any{map[string]string{"uuid": uuid}}}, true)
	var we *WriteError
	if errors.As(err, &we) && errors.Is(we, ErrNotFound) {
		return &EntryWrite{UUID: uuid, Series: we.Series}, nil
	}
	return w, err
}

// writeEntry sends one create, update or delete of the entry uuid and decodes
// the device's answer for it. Every write drops the run's shared dir/query
// answer, which no longer describes the directory.
func (c *Client) writeEntry(ctx context.Context, fn, uuid string, body any, idempotent bool) (*EntryWrite, error) {
	defer c.invalidateDirectory(uuid)
	result, err := c.directory(ctx, fn, http.MethodPut, body, idempotent)
	if err != nil {
		return nil, err
	}
	op := "dir/" + fn
	invalid := func(format string, args ...any) *APIError {
		// The device answered, but not in a way that says what it did.
		return &APIError{Operation: op, Endpoint: c.dirBase + "/" + op, StatusCode: http.StatusOK,
			Message: fmt.Sprintf(format, args...), undecodable: true}
	}
	var res struct {
		Series json.RawMessage   `json:"series"`
		Users  []json.RawMessage `json:"users"`
	}
	if err := json.Unmarshal(result, &res); err != nil {
		return nil, invalid("result is not an object with series and users: %s", truncate(err.Error(), 200))
	}
	series, err := scalarString(res.Series)
	if err != nil {
		return nil, invalid("invalid series: %v", err)
	}
	if len(res.Users) != 1 {
		return nil, invalid("wrote 1 entry, the device answered for %d", len(res.Users))
	}
	var item struct {
		UUID      json.RawMessage `json:"uuid"`
		Timestamp json.RawMessage `json:"timestamp"`
		Errors    *[]struct {
			Code json.RawMessage `json:"code"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(res.Users[0], &item); err != nil {
		return nil, invalid("the answer for entry %s is not an object", uuid)
	}
	got, _ := scalarString(item.UUID)
	if got != "" && !strings.EqualFold(got, uuid) {
		return nil, invalid("wrote entry %s, the device answered for %s", uuid, truncate(got, 40))
	}
	if item.Errors != nil {
		codes := make([]json.RawMessage, len(*item.Errors))
		for i, e := range *item.Errors {
			codes[i] = e.Code
		}
		return nil, &WriteError{Operation: op, Endpoint: c.dirBase + "/" + op, Series: series, Entry: entryErrorOf(uuid, codes)}
	}
	w := &EntryWrite{UUID: uuid, Series: series}
	if got != "" {
		w.UUID = got
	}
	if len(item.Timestamp) > 0 && !isJSONNull(item.Timestamp) {
		if w.Timestamp, err = flexInt(item.Timestamp); err != nil {
			return nil, invalid("entry %s: timestamp: %v", uuid, err)
		}
	}
	return w, nil
}

// WriteError is the device's refusal of a directory write for the entry:
// the request was answered, with per-entry error codes. It unwraps to the
// *EntryError, so EDIR_UUID_DOES_NOT_EXIST matches ErrNotFound.
type WriteError struct {
	Operation string
	Endpoint  string
	// Series is the directory's series the answer came with.
	Series string
	Entry  *EntryError
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("%s (%s): %v", e.Operation, e.Endpoint, e.Entry)
}

func (e *WriteError) Unwrap() error { return e.Entry }

// HasCode reports whether the device gave this per-entry error code.
func (e *WriteError) HasCode(code string) bool { return slices.Contains(e.Entry.Codes, code) }
