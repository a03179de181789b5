package mockpbx

import (
	"crypto/subtle"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// Simotel transport-level messages.
const (
	msgAuthMissing   = "BasicAuth or ApiKey is missing"
	msgAuthInvalid   = "BasicAuth or ApiKey is invalid"
	msgNoService     = "Requested service does not exist"
	msgBadMethod     = "Method not allowed"
	msgBadMediaType  = "Unsupported Media Type"
	msgUnparsable    = "Unable to parse content"
	simotelBodyLimit = 1 << 20
)

// envelope is the Simotel reply: success is the integer 1 or 0.
type envelope struct {
	Success int    `json:"success"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

// failure is a business error: HTTP 200, success 0.
func failure(msg string) envelope { return envelope{Success: 0, Message: msg, Data: ""} }

// serveSimotel handles /api/v4/<action>. Checks run in this order: credentials (401), known
// service (501), method (405), account permission (403), Content-Type (415), JSON body (400).
func (s *Server) serveSimotel(w http.ResponseWriter, r *http.Request, action, endpoint string) {
	account, msg := s.simotelAccount(r)
	if account == nil {
		s.challenged(endpoint)
		writeJSON(w, http.StatusUnauthorized, failure(msg))
		return
	}
	if endpoint == "" {
		writeJSON(w, http.StatusNotImplemented, failure(msgNoService))
		return
	}
	if methods := s.cfg.Readings.userMethods(endpoint); !slices.Contains(methods, r.Method) {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, failure(msgBadMethod))
		return
	}
	if account.Allowed != nil && !slices.Contains(account.Allowed, action) {
		writeJSON(w, http.StatusForbidden, failure(`"/`+action+`";Access denied`))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, failure(msgBadMediaType))
		return
	}
	data, err := readLimited(r.Body, simotelBodyLimit)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, failure(msgUnparsable))
		return
	}
	decoded, err := decodeJSON(data)
	body, isObject := decoded.(map[string]any)
	if err != nil || !isObject {
		writeJSON(w, http.StatusBadRequest, failure(msgUnparsable))
		return
	}

	s.mu.Lock()
	var reply any
	switch endpoint {
	case "users/add":
		env, u := s.addUser(body)
		reply = env
		if u != nil {
			reply = s.cfg.Readings.addReply(u, s.cfg.RevealSecrets)
		}
	case "users/search":
		reply = s.searchUsers(body)
	case "users/update":
		reply = s.updateUser(body)
	case "users/remove":
		reply = s.removeUser(body)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, reply)
}

// simotelAccount returns the first account whose mode the request's credentials satisfy, or
// the 401 message: "missing" when neither header is present, "invalid" otherwise.
func (s *Server) simotelAccount(r *http.Request) (*Account, string) {
	key := r.Header.Get("X-APIKEY")
	if r.Header.Get("Authorization") == "" && key == "" {
		return nil, msgAuthMissing
	}
	username, password, hasBasic := r.BasicAuth()
	for i := range s.cfg.Accounts {
		a := &s.cfg.Accounts[i]
		basicOK := hasBasic && secureEqual(username, a.Username) && secureEqual(password, a.Password)
		keyOK := key != "" && secureEqual(key, a.APIKey)
		switch {
		case a.Mode == "basic" && basicOK, a.Mode == "token" && keyOK, a.Mode == "both" && basicOK && keyOK:
			return a, ""
		}
	}
	return nil, msgAuthInvalid
}

// secureEqual compares credentials in constant time.
func secureEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
