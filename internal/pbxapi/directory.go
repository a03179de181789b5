package pbxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// MaxGetUUIDs is the most uuids one api/dir/get request may carry.
const MaxGetUUIDs = 1000

var uuidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// ValidUUID reports whether s has the directory's uuid format
// XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX (hex) and is not the reserved
// all-zero uuid.
func ValidUUID(s string) bool {
	return uuidPattern.MatchString(s) && strings.Trim(s, "0-") != ""
}

// GetResult is the reply of api/dir/get.
type GetResult struct {
	Series  string
	Entries []Entry
}

type dirEnvelope struct {
	Success *bool           `json:"success"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code        json.RawMessage `json:"code"`
		Param       json.RawMessage `json:"param"`
		Description string          `json:"description"`
	} `json:"error"`
}

// dirCodeHints says what to do about the 2N generic error codes that the
// intercom's settings cause (reference.md §2.1).
var dirCodeHints = map[string]string{
	"1":  "this intercom model does not have this directory function",
	"4":  "the HTTP API's System service is disabled on the intercom: enable it under Services > HTTP API",
	"7":  "the intercom accepts its HTTP API only over HTTPS: use an https:// directory endpoint",
	"10": "the directory account lacks the privilege System - Control: grant it to the account under Services > HTTP API",
}

// directory calls one 2N api/dir function and returns its result object.
func (c *Client) directory(ctx context.Context, fn, method string, body any, idempotent bool) (json.RawMessage, error) {
	op := "dir/" + fn
	endpoint := c.dirBase + "/dir/" + fn
	resp, err := c.do(ctx, call{client: c.dir, operation: op, method: method, url: endpoint, body: body, idempotent: idempotent})
	if err != nil {
		return nil, err
	}
	apiErr := func(code, msg string) *APIError {
		return &APIError{Operation: op, Endpoint: endpoint, StatusCode: resp.status, Code: code, Message: c.redact.scrub(msg)}
	}
	var env dirEnvelope
	if err := json.Unmarshal(resp.body, &env); err != nil || env.Success == nil {
		if resp.status >= 300 {
			return nil, apiErr("", fmt.Sprintf("%s: %s", http.StatusText(resp.status), snippet(resp)))
		}
		// A 2xx the client cannot read: the device may have done it.
		e := apiErr("", "response is not the 2N JSON envelope: "+snippet(resp))
		e.undecodable = true
		return nil, e
	}
	if !*env.Success {
		if env.Error == nil {
			return nil, apiErr("", "the device reported failure without an error object")
		}
		code, _ := scalarString(env.Error.Code)
		msg := env.Error.Description
		if param, _ := scalarString(env.Error.Param); param != "" {
			msg += " (parameter " + param + ")"
		}
		if hint := dirCodeHints[code]; hint != "" {
			msg += "; " + hint
		}
		return nil, apiErr(code, msg)
	}
	if resp.status >= 300 {
		return nil, apiErr("", http.StatusText(resp.status)+": "+snippet(resp))
	}
	return env.Result, nil
}

// GetEntries reads the entries with these uuids through api/dir/get, in
// request order. fields selects what is returned: nil omits the key (the
// device returns only fields with non-default values), an empty non-nil slice
// asks for every field. Per-entry failures are reported in Entry.Err;
// the returned error is for the request as a whole.
func (c *Client) GetEntries(ctx context.Context, uuids, fields []string) (*GetResult, error) {
	if len(uuids) > MaxGetUUIDs {
		return nil, fmt.Errorf("dir/get: %d uuids requested, the device accepts at most %d per request", len(uuids), MaxGetUUIDs)
	}
	users := make([]map[string]string, len(uuids))
	for i, u := range uuids {
		users[i] = map[string]string{"uuid": u}
	}
	body := map[string]any{"users": users}
	if fields != nil {
		body["fields"] = fields
	}
	result, err := c.directory(ctx, "get", http.MethodPost, body, true)
	if err != nil {
		return nil, err
	}
	invalid := func(format string, args ...any) *APIError {
		return &APIError{Operation: "dir/get", Endpoint: c.dirBase + "/dir/get", StatusCode: http.StatusOK, Message: fmt.Sprintf(format, args...)}
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
	if len(res.Users) != len(uuids) {
		return nil, invalid("asked for %d entries, the device answered %d", len(uuids), len(res.Users))
	}
	out := &GetResult{Series: series, Entries: make([]Entry, len(uuids))}
	for i, raw := range res.Users {
		er, err := decodeEntry(raw)
		if err != nil {
			return nil, invalid("entry %d (uuid %s): %v", i, uuids[i], err)
		}
		out.Entries[i] = er
	}
	return out, nil
}

// QueryResult is the answer of QueryEntries.
type QueryResult struct {
	// Series is the device's series. When it differs from the one asked
	// for (Resync), Entries holds every entry of the directory in it.
	Series string
	// Resync reports that the series asked for was not the device's: the
	// directory was reset, and the client read it again from the start of
	// the new series. Entries then lists the whole directory.
	Resync bool
	// Timestamp is the device's highest timestamp when the reply carries it
	// (0 otherwise: clients must not rely on it).
	Timestamp int64
	// Entries changed after the iterator, in the device's order, each uuid
	// once.
	Entries []Entry
}

// queryOnce sends one api/dir/query and decodes its reply as it is.
func (c *Client) queryOnce(ctx context.Context, series string, since int64, fields []string) (*QueryResult, error) {
	body := map[string]any{"iterator": map[string]int64{"timestamp": since}}
	if series != "" {
		body["series"] = series
	}
	if fields != nil {
		body["fields"] = fields
	}
	result, err := c.directory(ctx, "query", http.MethodPost, body, true)
	if err != nil {
		return nil, err
	}
	invalid := func(format string, args ...any) *APIError {
		return &APIError{Operation: "dir/query", Endpoint: c.dirBase + "/dir/query", StatusCode: http.StatusOK, Message: fmt.Sprintf(format, args...)}
	}
	var res struct {
		Series    json.RawMessage   `json:"series"`
		Timestamp json.RawMessage   `json:"timestamp"`
		Users     []json.RawMessage `json:"users"`
	}
	if err := json.Unmarshal(result, &res); err != nil {
		return nil, invalid("result is not an object with series and users: %s", truncate(err.Error(), 200))
	}
	out := &QueryResult{}
	if out.Series, err = scalarString(res.Series); err != nil || out.Series == "" {
		return nil, invalid("missing or invalid series")
	}
	if len(res.Timestamp) > 0 && string(res.Timestamp) != "null" {
		if out.Timestamp, err = flexInt(res.Timestamp); err != nil {
			return nil, invalid("timestamp: %v", err)
		}
	}
	for i, raw := range res.Users {
		qe, err := decodeQueryEntry(raw)
		if err != nil {
			return nil, invalid("entry %d: %v", i, err)
		}
		out.Entries = append(out.Entries, qe)
	}
	return out, nil
}

// decodeQueryEntry decodes one entry of a dir/query reply: a deleted one
// (uuid and timestamp only) or a live one, as for dir/get.
func decodeQueryEntry(raw json.RawMessage) (Entry, error) {
	var head struct {
		UUID      json.RawMessage `json:"uuid"`
		Deleted   json.RawMessage `json:"deleted"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return Entry{}, errors.New("not a JSON object")
	}
	uuid, err := scalarString(head.UUID)
	if err != nil || uuid == "" {
		return Entry{}, errors.New("missing or invalid uuid")
	}
	qe := Entry{UUID: uuid}
	if len(head.Deleted) > 0 {
		if qe.Deleted, err = flexBool(head.Deleted); err != nil {
			return qe, fmt.Errorf("uuid %s: deleted: %w", uuid, err)
		}
	}
	if len(head.Timestamp) == 0 {
		return qe, fmt.Errorf("uuid %s: no timestamp", uuid)
	}
	if qe.Timestamp, err = flexInt(head.Timestamp); err != nil {
		return qe, fmt.Errorf("uuid %s: timestamp: %w", uuid, err)
	}
	if qe.Deleted {
		return qe, nil
	}
	if qe, err = decodeEntry(raw); err != nil {
		return qe, fmt.Errorf("uuid %s: %w", uuid, err)
	}
	return qe, nil
}

// EntrySet is the answer of ReadEntries: one result per distinct requested
// uuid, keyed by its upper-case form (the device matches uuids
// case-insensitively).
type EntrySet struct {
	Series  string
	Results map[string]Entry
}

// Lookup returns the result for uuid, in any letter case.
func (s *EntrySet) Lookup(uuid string) (Entry, bool) {
	r, ok := s.Results[strings.ToUpper(uuid)]
	return r, ok
}

// ReadEntries reads any number of entries with api/dir/get: uuids are
// deduplicated (case-insensitively), sent in requests of at most
// MaxGetUUIDs, and each reply is matched to its uuid by the uuid the device
// echoes, never by position. Per-entry failures are in the results' Err.
func (c *Client) ReadEntries(ctx context.Context, uuids, fields []string) (*EntrySet, error) {
	var distinct []string
	seen := make(map[string]bool, len(uuids))
	for _, u := range uuids {
		if key := strings.ToUpper(u); !seen[key] {
			seen[key] = true
			distinct = append(distinct, u)
		}
	}
	set := &EntrySet{Results: make(map[string]Entry, len(distinct))}
	for start := 0; start < len(distinct); start += MaxGetUUIDs {
		chunk := distinct[start:min(start+MaxGetUUIDs, len(distinct))]
		res, err := c.GetEntries(ctx, chunk, fields)
		if err != nil {
			return nil, err
		}
		if set.Series != "" && res.Series != set.Series {
			return nil, &APIError{Operation: "dir/get", Endpoint: c.dirBase + "/dir/get", StatusCode: http.StatusOK,
				Message: fmt.Sprintf("the directory was reset while it was being read (series %s, then %s); run terraform again", set.Series, res.Series)}
		}
		set.Series = res.Series
		for _, r := range res.Entries {
			set.Results[strings.ToUpper(r.UUID)] = r
		}
		for _, u := range chunk {
			if _, ok := set.Lookup(u); !ok {
				return nil, &APIError{Operation: "dir/get", Endpoint: c.dirBase + "/dir/get", StatusCode: http.StatusOK,
					Message: fmt.Sprintf("the reply has no entry for the requested uuid %s", u)}
			}
		}
	}
	return set, nil
}
