package pbxapi

// The Simotel users API's transport: its envelope, its HTTP methods and the
// shapes of its replies.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

type simotelEnvelope struct {
	Success json.RawMessage `json:"success"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	// Status and UserID are the add reply of the current docs (reading b of
	// design/api/README.md, rule 3), which has no success and no data.
	Status string          `json:"status"`
	UserID json.RawMessage `json:"user_id"`
}

// statusReplyData turns the user_id of a status-shaped reply into data: an
// _id when it is one (24 hex digits), else nothing (the docs' sample
// "user_id":"999" is no ObjectId), so the caller looks the number up.
func statusReplyData(userID json.RawMessage) json.RawMessage {
	id, err := scalarString(userID)
	if err != nil || len(id) != 24 || strings.Trim(strings.ToLower(id), "0123456789abcdef") != "" {
		return nil
	}
	data, _ := json.Marshal(map[string]string{"_id": strings.ToLower(id)})
	return data
}

// userMethod is the HTTP method for a users action: POST, as v4 documents,
// unless the PBX refused it and allowed another (see simotel).
func (c *Client) userMethod(action string) string {
	if m, ok := c.userMethods.Load(action); ok {
		if method, ok := m.(string); ok {
			return method
		}
	}
	return http.MethodPost
}

// otherMethod picks the method to try after a 405 for method: the first
// other one the Allow header names (v4 documents POST for every action; the
// 2021 client used the v3 verbs, GET search, PUT update, DELETE remove,
// reference.md §1.4.6); "" when it names none. A 405 without Allow says
// nothing to go by and is an error.
func otherMethod(allow, method string) string {
	for _, m := range strings.Split(allow, ",") {
		m = strings.ToUpper(strings.TrimSpace(m))
		switch m {
		case http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete:
			if m != method {
				return m
			}
		}
	}
	return ""
}

// simotel calls one Simotel users action and decodes its envelope. A
// success:0 reply or an HTTP error is returned as *APIError.
func (c *Client) simotel(ctx context.Context, action string, body any, idempotent bool) (json.RawMessage, error) {
	op := "users/" + action
	endpoint := c.usersBase + "/pbx/users/" + action
	ctx, b := c.withBudget(ctx)
	method := c.userMethod(action)
	resp, err := c.do(ctx, call{client: c.pbx, operation: op, method: method, url: endpoint, body: body, idempotent: idempotent})
	if err == nil && resp.status == http.StatusMethodNotAllowed {
		// A PBX that refuses the method (nothing was done) is asked once
		// more with the one it allows, which the client then keeps.
		if alt := otherMethod(resp.header.Get("Allow"), method); alt != "" && !b.exhausted() {
			c.log(ctx, "PBX method not allowed; switching", map[string]any{"operation": op, "method": method, "allowed": alt})
			c.userMethods.Store(action, alt)
			resp, err = c.do(ctx, call{client: c.pbx, operation: op, method: alt, url: endpoint, body: body, idempotent: idempotent})
		}
	}
	if err != nil {
		return nil, err
	}
	var userSecret []string
	if u, ok := body.(User); ok {
		userSecret = append(userSecret, u.Secret)
	}
	apiErr := func(msg string) *APIError {
		return &APIError{Operation: op, Endpoint: endpoint, StatusCode: resp.status, Message: c.redact.scrub(msg, userSecret...)}
	}
	var env simotelEnvelope
	if err := json.Unmarshal(resp.body, &env); err == nil && len(env.Success) == 0 && resp.status < 300 && env.Status != "" {
		// The current docs' add reply: {"status":"success","message":…,
		// "user_id":…}, no success flag and no data.
		if env.Status != "success" {
			msg := env.Message
			if msg == "" {
				msg = fmt.Sprintf("the device reported status %q without a message", env.Status)
			}
			return nil, apiErr(msg)
		}
		return statusReplyData(env.UserID), nil
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		if resp.status >= 300 {
			return nil, apiErr(fmt.Sprintf("%s: %s", http.StatusText(resp.status), snippet(resp)))
		}
		e := apiErr("response is not the Simotel JSON envelope: " + snippet(resp))
		e.undecodable = true
		return nil, e
	}
	if resp.status >= 300 {
		msg := env.Message
		if msg == "" {
			msg = http.StatusText(resp.status)
		}
		return nil, apiErr(msg)
	}
	ok, err := successFlag(env.Success)
	if err != nil {
		e := apiErr(fmt.Sprintf("response has an invalid \"success\" field: %v", err))
		e.undecodable = true
		return nil, e
	}
	if !ok {
		msg := env.Message
		if msg == "" {
			msg = "the device reported failure (success:0) without a message"
		}
		return nil, apiErr(msg)
	}
	return env.Data, nil
}

// successFlag reads the envelope's success, an integer 1/0 (booleans are
// accepted, as the official client casts it).
func successFlag(v json.RawMessage) (bool, error) {
	switch strings.TrimSpace(string(v)) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	case "":
		return false, errors.New("missing")
	}
	return false, fmt.Errorf("unexpected value %s", truncate(string(v), 40))
}

// truncate shortens s to at most n bytes without cutting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
