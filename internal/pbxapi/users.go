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

// User is one Simotel extension as the users API carries it. Every value is a
// string on the wire ("yes"/"no", "5060", …). Writes always send every field:
// users/update replaces the whole user.
type User struct {
	ID               string        `json:"_id,omitempty"`
	UserType         string        `json:"user_type"`
	Active           string        `json:"active"`
	Name             string        `json:"name"`
	Number           string        `json:"number"`
	CIDNumber        string        `json:"cid_number"`
	Secret           string        `json:"secret"`
	CallRecord       string        `json:"call_record"`
	PushNotification string        `json:"push_notification"`
	Deny             string        `json:"deny"`
	Permit           string        `json:"permit"`
	DTMFMode         string        `json:"dtmfmode"`
	CanReinvite      string        `json:"canreinvite"`
	DirectMedia      string        `json:"directmedia"`
	Context          string        `json:"context"`
	Host             string        `json:"host"`
	Type             string        `json:"type"`
	NAT              string        `json:"nat"`
	Port             string        `json:"port"`
	Qualify          string        `json:"qualify"`
	CallGroup        string        `json:"callgroup"`
	PickupGroup      string        `json:"pickupgroup"`
	CallCounter      string        `json:"callcounter"`
	FaxDetect        string        `json:"faxdetect"`
	CallLimit        string        `json:"call_limit"`
	Trunk            string        `json:"trunk"`
	Transfer         string        `json:"transfer"`
	Email            string        `json:"email"`
	ForwardPolicy    ForwardPolicy `json:"forward_policy"`
	MoreOptions      string        `json:"more_options"`

	// Read-only fields returned by search; never sent.
	Description string `json:"-"`
	Date        string `json:"-"`
}

// ForwardPolicy holds the forward destinations per condition. The JSON keys
// are the device's exact spelling.
type ForwardPolicy struct {
	Busy        string `json:"Busy"`
	NoAnswer    string `json:"No Answer"`
	UnAvailable string `json:"UnAvailable"`
	All         string `json:"All"`
}

// SecretMask is what the device returns instead of a user's secret.
const SecretMask = "******"

// stringFields lists every scalar field with its wire key, for decoding.
func (u *User) stringFields() map[string]*string {
	return map[string]*string{
		"_id": &u.ID, "user_type": &u.UserType, "active": &u.Active, "name": &u.Name, "number": &u.Number,
		"cid_number": &u.CIDNumber, "secret": &u.Secret, "call_record": &u.CallRecord,
		"push_notification": &u.PushNotification, "deny": &u.Deny, "permit": &u.Permit, "dtmfmode": &u.DTMFMode,
		"canreinvite": &u.CanReinvite, "directmedia": &u.DirectMedia, "context": &u.Context, "host": &u.Host,
		"type": &u.Type, "nat": &u.NAT, "port": &u.Port, "qualify": &u.Qualify, "callgroup": &u.CallGroup,
		"pickupgroup": &u.PickupGroup, "callcounter": &u.CallCounter, "faxdetect": &u.FaxDetect,
		"call_limit": &u.CallLimit, "trunk": &u.Trunk, "transfer": &u.Transfer, "email": &u.Email,
		"more_options": &u.MoreOptions, "description": &u.Description, "date": &u.Date,
	}
}

// UnmarshalJSON decodes a user record leniently: scalar values of any JSON
// type become strings (some firmware sends numbers), a MongoDB extended-JSON
// {"$oid":…} id is accepted, and unknown keys are ignored. Fields absent from
// the record (the device omits IAX2-only fields on SIP users) stay empty.
func (u *User) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("user record: %w", err)
	}
	*u = User{}
	for key, dst := range u.stringFields() {
		v, ok := raw[key]
		if !ok {
			continue
		}
		s, err := scalarString(v)
		if err != nil && key == "_id" {
			var oid struct {
				OID string `json:"$oid"`
			}
			if json.Unmarshal(v, &oid) == nil && oid.OID != "" {
				s, err = oid.OID, nil
			}
		}
		if err != nil {
			return fmt.Errorf("user field %q: %w", key, err)
		}
		*dst = s
	}
	if v, ok := raw["forward_policy"]; ok && !emptyJSON(v) {
		var fp map[string]json.RawMessage
		if err := json.Unmarshal(v, &fp); err != nil {
			return fmt.Errorf("user field \"forward_policy\": %w", err)
		}
		for key, dst := range map[string]*string{"Busy": &u.ForwardPolicy.Busy, "No Answer": &u.ForwardPolicy.NoAnswer, "UnAvailable": &u.ForwardPolicy.UnAvailable, "All": &u.ForwardPolicy.All} {
			if fv, ok := fp[key]; ok {
				s, err := scalarString(fv)
				if err != nil {
					return fmt.Errorf("user field \"forward_policy.%s\": %w", key, err)
				}
				*dst = s
			}
		}
	}
	return nil
}

// emptyJSON reports whether v is null, "" or [] (PHP encodes an empty
// associative array as []).
func emptyJSON(v json.RawMessage) bool {
	switch strings.Join(strings.Fields(string(v)), "") {
	case `""`, "[]":
		return true
	}
	return isJSONNull(v)
}

// scalarString turns a JSON string, number, boolean or null into a string.
func scalarString(v json.RawMessage) (string, error) {
	if s := strings.TrimSpace(string(v)); isJSONInteger(s) {
		// Keep an integer's digits: float64 would round a 64-bit series.
		return s, nil
	}
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return "", err
	}
	switch t := x.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case bool:
		if t {
			return "yes", nil
		}
		return "no", nil
	default:
		return "", fmt.Errorf("expected a string, got %s", strings.TrimSpace(string(v)))
	}
}

// isJSONInteger reports whether s is a JSON number without fraction or
// exponent.
func isJSONInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// SearchQuery is a users/search request. Empty conditions are ignored by the
// device; no conditions returns every user.
type SearchQuery struct {
	// Status is "all" (default) or "mapped".
	Status string
	// Alike selects case-insensitive substring matching instead of exact.
	Alike  bool
	Name   string
	Number string
	Mapped string
}

// SearchUsers runs users/search and returns the matching records (secrets
// are masked by the device).
func (c *Client) SearchUsers(ctx context.Context, q SearchQuery) ([]User, error) {
	status := q.Status
	if status == "" {
		status = "all"
	}
	body := map[string]any{
		"status": status,
		"alike":  q.Alike,
		"conditions": map[string]string{
			"name":   q.Name,
			"number": q.Number,
			"mapped": q.Mapped,
		},
	}
	data, err := c.simotel(ctx, "search", body, true)
	if err != nil {
		return nil, err
	}
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" || trimmed == "null" || trimmed == `""` {
		return nil, nil
	}
	var users []User
	if err := json.Unmarshal(data, &users); err != nil {
		return nil, &APIError{Operation: "users/search", Endpoint: c.usersBase + "/pbx/users/search", StatusCode: http.StatusOK,
			Message: "response data is not a list of users: " + truncate(err.Error(), 200)}
	}
	return users, nil
}

// FindUserByNumber returns the user with exactly this number, or an error
// matching ErrNotFound.
func (c *Client) FindUserByNumber(ctx context.Context, number string) (*User, error) {
	users, err := c.SearchUsers(ctx, SearchQuery{Number: number})
	if err != nil {
		return nil, err
	}
	if u := findUser(users, func(u *User) bool { return u.Number == number }); u != nil {
		return u, nil
	}
	return nil, c.notFound("users/search", fmt.Sprintf("no user with number %q", number))
}

func findUser(users []User, match func(*User) bool) *User {
	for i := range users {
		if match(&users[i]) {
			return &users[i]
		}
	}
	return nil
}

func (c *Client) notFound(op, msg string) *APIError {
	return &APIError{Operation: op, Endpoint: c.usersBase + "/pbx/" + op, Message: msg, notFound: true}
}

// AddResult is the outcome of AddUser.
type AddResult struct {
	// ID is the user's _id on the PBX.
	ID string
	// Adopted reports that the number was taken before this call sent
	// anything (users/add answered "This number already exists" to its first
	// request) by a user that matches every field sent. That user is returned
	// instead of an error, but its secret is unknown (the device masks it):
	// the caller sends the whole user once with UpdateUser.
	Adopted bool
}

// AddUser creates u (its ID is ignored). If the reply carries no _id, the id
// is found by searching the number.
//
// users/add is not idempotent. After an ambiguous failure (dropped
// connection, timeout, 502/504, an unreadable reply) the client searches the
// number: a user that matches every field sent is taken as the one this call
// created; a user that differs is an error; no user means the add did not
// happen and it is tried again. A number taken before the call (a user left
// by an interrupted run, say) is looked up the same way: a user that matches
// every field is returned with Adopted set, one that differs gives the
// device's error (matching ErrNumberExists) with the fields that differ.
//
// Adds and lookups come out of one budget: the call sends at most
// max_retries + 1 requests in all.
func (c *Client) AddUser(ctx context.Context, u User) (AddResult, error) {
	if err := CheckUser(&u); err != nil {
		return AddResult{}, fmt.Errorf("users/add of number %s not sent: %w", u.Number, err)
	}
	u.ID = ""
	defer c.invalidateUsers()
	ctx, b := c.withBudget(ctx)
	var ambiguous error // the last add of this call whose outcome is unknown
	for {
		data, err := c.simotel(ctx, "add", u, false)
		if err == nil {
			if id := addedID(data); id != "" {
				return AddResult{ID: id}, nil
			}
			if b.exhausted() {
				return AddResult{}, fmt.Errorf("users/add for number %s succeeded but returned no _id, and max_retries (%d) leaves no request to look it up", u.Number, c.maxRetries)
			}
			found, ferr := c.FindUserByNumber(ctx, u.Number)
			if ferr != nil {
				return AddResult{}, fmt.Errorf("users/add succeeded but returned no _id, and looking up number %s failed: %w", u.Number, ferr)
			}
			return AddResult{ID: found.ID}, nil
		}
		if ctx.Err() != nil {
			return AddResult{}, err
		}
		taken := errors.Is(err, ErrNumberExists)
		if !taken && !IsAmbiguous(err) {
			return AddResult{}, err
		}
		if !taken {
			ambiguous = err
		}
		if b.exhausted() {
			if ambiguous == nil {
				return AddResult{}, err
			}
			return AddResult{}, fmt.Errorf("users/add for number %s: giving up after %d requests (max_retries %d), the outcome unknown: %w", u.Number, c.maxRetries+1, c.maxRetries, err)
		}
		if taken {
			c.log(ctx, "PBX users/add: number taken; looking it up", map[string]any{"number": u.Number})
		} else {
			c.log(ctx, "PBX users/add outcome unknown; looking the number up", map[string]any{"number": u.Number, "error": err.Error()})
		}
		found, ferr := c.FindUserByNumber(ctx, u.Number)
		switch {
		case ferr == nil:
			diff := u.differences(found)
			switch {
			case len(diff) == 0:
				return AddResult{ID: found.ID, Adopted: ambiguous == nil}, nil
			case ambiguous == nil:
				return AddResult{}, fmt.Errorf("%w; the extension %s that has the number differs in %s", err, found.ID, strings.Join(diff, ", "))
			}
			return AddResult{}, fmt.Errorf("users/add for number %s failed ambiguously (%v), and the PBX now has a user with that number that differs in %s: not adopting it; inspect it and import it or remove it", u.Number, ambiguous, strings.Join(diff, ", "))
		case errors.Is(ferr, ErrNotFound):
			// The add did not happen (or the user that had the number is
			// gone): add again, if the budget allows.
			if b.exhausted() {
				return AddResult{}, fmt.Errorf("users/add for number %s: giving up after %d requests (max_retries %d): %w", u.Number, c.maxRetries+1, c.maxRetries, err)
			}
		case ambiguous == nil:
			return AddResult{}, fmt.Errorf("%w (looking up the extension that has the number failed too: %v)", err, ferr)
		default:
			return AddResult{}, fmt.Errorf("users/add for number %s: the outcome is unknown, and the lookup that would resolve it failed too (%v): %w", u.Number, ferr, err)
		}
	}
}

// addedID reads data._id from an add reply; "" if absent or null.
func addedID(data json.RawMessage) string {
	var d struct {
		ID json.RawMessage `json:"_id"`
	}
	if json.Unmarshal(data, &d) != nil || len(d.ID) == 0 {
		return ""
	}
	if s, err := scalarString(d.ID); err == nil {
		return s
	}
	var oid struct {
		OID string `json:"$oid"`
	}
	if json.Unmarshal(d.ID, &oid) == nil {
		return oid.OID
	}
	return ""
}

// differences lists the fields in which the stored user got differs from u.
// The secret is compared only when the device returns it in clear; fields the
// device omits (IAX2-only ones on SIP users) are not compared.
func (u User) differences(got *User) []string {
	want, have := u.stringFields(), got.stringFields()
	var diff []string
	for key, w := range want {
		switch key {
		case "_id", "description", "date":
			continue
		}
		h := *have[key]
		if key == "secret" && h == SecretMask {
			continue
		}
		if (key == "trunk" || key == "transfer") && h == "" {
			continue
		}
		if *w != h {
			diff = append(diff, key)
		}
	}
	if u.ForwardPolicy != got.ForwardPolicy {
		diff = append(diff, "forward_policy")
	}
	slices.Sort(diff)
	return diff
}

// UpdateUser replaces the user u.ID with u: every field is sent. An unknown
// _id returns an error matching ErrNotFound.
func (c *Client) UpdateUser(ctx context.Context, u User) error {
	if u.ID == "" {
		return errors.New("users/update: the user has no _id")
	}
	if err := CheckUser(&u); err != nil {
		return fmt.Errorf("users/update of %s not sent: %w", u.ID, err)
	}
	defer c.invalidateUsers()
	ctx, _ = c.withBudget(ctx)
	_, err := c.simotel(ctx, "update", u, true)
	return c.resolveFailed(ctx, err, u.ID)
}

// RemoveUser deletes the user id. An unknown _id returns an error matching
// ErrNotFound.
func (c *Client) RemoveUser(ctx context.Context, id string) error {
	defer c.invalidateUsers()
	ctx, _ = c.withBudget(ctx)
	_, err := c.simotel(ctx, "remove", map[string]string{"_id": id}, true)
	return c.resolveFailed(ctx, err, id)
}

// resolveFailed turns the device's generic "Requested operation failed" into
// a not-found error when the _id indeed no longer exists. The lookup comes out
// of the call's budget; with none left the device's error is returned as is.
func (c *Client) resolveFailed(ctx context.Context, err error, id string) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Message != simotelOperationFailed || budgetFrom(ctx).exhausted() {
		return err
	}
	// A fresh listing, not the run's shared one: the question is whether the
	// _id exists now.
	users, serr := c.SearchUsers(ctx, SearchQuery{})
	if serr == nil && findUser(users, func(u *User) bool { return u.ID == id }) == nil {
		ae.notFound = true
	}
	return ae
}
