package mockpbx

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

const controlBodyLimit = 16 << 20

type controlError struct {
	Error string `json:"error"`
}

// serveControl implements the /_mock/ control API (see the package documentation).
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	route := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_mock"), "/")
	parts := strings.Split(route, "/")
	switch {
	case route == "users":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Users())
		case http.MethodPost:
			var fields map[string]any
			if decodeControl(w, r, &fields) {
				u, err := s.CreateUser(fields)
				writeControlResult(w, http.StatusCreated, u, err)
			}
		default:
			methodNotAllowed(w, http.MethodGet, http.MethodPost)
		}
	case len(parts) == 2 && parts[0] == "users":
		s.controlUser(w, r, parts[1])
	case route == "directory":
		if allow(w, r, http.MethodGet) {
			series, ts, entries := s.directorySnapshot()
			writeJSON(w, http.StatusOK, object{{"series", series}, {"timestamp", ts}, {"entries", entries}})
		}
	case route == "directory/reset":
		if !allow(w, r, http.MethodPost) {
			return
		}
		var req struct {
			KeepEntries bool `json:"keep_entries"`
		}
		if decodeControl(w, r, &req) {
			writeJSON(w, http.StatusOK, map[string]string{"series": s.ResetDirectory(req.KeepEntries)})
		}
	case len(parts) == 2 && parts[0] == "directory":
		s.controlEntry(w, r, parts[1])
	case len(parts) == 3 && parts[0] == "directory" && parts[2] == "touch":
		if allow(w, r, http.MethodPost) {
			e, err := s.TouchDirectoryEntry(parts[1])
			writeControlResult(w, http.StatusOK, e, err)
		}
	case route == "faults":
		s.controlFaults(w, r)
	case route == "requests":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.RequestCounts())
		case http.MethodDelete:
			s.ResetRequestCounts()
			w.WriteHeader(http.StatusNoContent)
		default:
			methodNotAllowed(w, http.MethodGet, http.MethodDelete)
		}
	case route == "challenges":
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, s.ChallengeCounts())
		}
	case route == "reset":
		if allow(w, r, http.MethodPost) {
			s.Reset()
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		writeJSON(w, http.StatusNotFound, controlError{"no control route " + r.URL.Path})
	}
}

// controlUser edits or deletes a user by _id, or by number as "number:NNN".
func (s *Server) controlUser(w http.ResponseWriter, r *http.Request, id string) {
	if number, ok := strings.CutPrefix(id, "number:"); ok {
		u, ok := s.UserByNumber(number)
		if !ok {
			writeJSON(w, http.StatusNotFound, controlError{"no user with number " + number})
			return
		}
		id, _ = u["_id"].(string)
	}
	switch r.Method {
	case http.MethodPatch:
		var fields map[string]any
		if decodeControl(w, r, &fields) {
			u, err := s.PatchUser(id, fields)
			writeControlResult(w, http.StatusOK, u, err)
		}
	case http.MethodDelete:
		writeControlResult(w, http.StatusNoContent, nil, s.DeleteUser(id))
	default:
		methodNotAllowed(w, http.MethodPatch, http.MethodDelete)
	}
}

func (s *Server) controlEntry(w http.ResponseWriter, r *http.Request, uuid string) {
	switch r.Method {
	case http.MethodPut:
		if _, ok := canonicalUUID(uuid); !ok {
			writeJSON(w, http.StatusBadRequest, controlError{"invalid uuid " + uuid})
			return
		}
		var fields map[string]any
		if decodeControl(w, r, &fields) {
			e, err := s.PutDirectoryEntry(uuid, fields)
			writeControlResult(w, http.StatusOK, e, err)
		}
	case http.MethodDelete:
		e, err := s.DeleteDirectoryEntry(uuid)
		writeControlResult(w, http.StatusOK, e, err)
	default:
		methodNotAllowed(w, http.MethodPut, http.MethodDelete)
	}
}

func (s *Server) controlFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		rules := s.Faults()
		if rules == nil {
			rules = []FaultRule{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"rules": rules})
	case http.MethodPut:
		var req struct {
			Rules []FaultRule `json:"rules"`
		}
		if !decodeControl(w, r, &req) {
			return
		}
		if err := s.SetFaults(req.Rules); err != nil {
			writeJSON(w, http.StatusBadRequest, controlError{err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, http.MethodGet, http.MethodPut, http.MethodDelete)
	}
}

// allow answers 405 unless r uses method.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	methodNotAllowed(w, method)
	return false
}

func methodNotAllowed(w http.ResponseWriter, methods ...string) {
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, controlError{"method not allowed"})
}

// decodeControl decodes an optional JSON body into v (an empty body leaves v as is);
// numbers stay json.Number. On error it answers 400.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := readLimited(r.Body, controlBodyLimit)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{"invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

// writeControlResult answers v with status, 404 for ErrNotFound and 400 for other errors.
func writeControlResult(w http.ResponseWriter, status int, v any, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, controlError{err.Error()})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()})
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, v)
	}
}
