package mockpbx

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
)

const dirBodyLimit = 16 << 20

// dirErrorText holds the descriptions of the 2N HTTP API error codes the mock uses.
// Codes 15 (no data available), 17 (parameter collision), 18 (request rejected) and 19 (file
// version unsupported) have no documented trigger in the directory functions: the mock never
// sends them.
var dirErrorText = map[int]string{
	1:  "function is not supported",
	2:  "invalid request path",
	3:  "invalid request method",
	4:  "function is disabled",
	7:  "invalid connection type",
	8:  "invalid authentication method",
	9:  "authorization required",
	10: "insufficient user privileges",
	11: "missing mandatory parameter",
	12: "invalid parameter value",
	13: "parameter data too big",
	14: "processing error",
}

// dirMethods lists the HTTP methods each directory function accepts.
var dirMethods = map[string][]string{
	"dir/get":      {http.MethodPost},
	"dir/query":    {http.MethodPost},
	"dir/create":   {http.MethodPut},
	"dir/update":   {http.MethodPut},
	"dir/delete":   {http.MethodPut},
	"dir/template": {http.MethodGet, http.MethodPost},
}

type dirErrorBody struct {
	Code        int    `json:"code"`
	Param       string `json:"param,omitempty"`
	Description string `json:"description"`
}

// dirReply is the 2N envelope: {"success":true,"result":{…}} or {"success":false,"error":{…}}.
type dirReply struct {
	Success bool          `json:"success"`
	Result  any           `json:"result,omitempty"`
	Error   *dirErrorBody `json:"error,omitempty"`
}

func writeDirError(w http.ResponseWriter, status, code int, param string) {
	writeJSON(w, status, dirReply{Error: &dirErrorBody{Code: code, Param: param, Description: dirErrorText[code]}})
}

// serveDir handles /api/<path> other than /api/v4/. Checks run in this order: known function
// (2), connection type (7), service enabled (4), function in this model (1), authentication
// (8, 9), privilege (10), method (3), body (11-14).
func (s *Server) serveDir(w http.ResponseWriter, r *http.Request, endpoint string) {
	if endpoint == "" {
		writeDirError(w, http.StatusOK, 2, "")
		return
	}
	if code := s.dirUnavailable(r, endpoint); code != 0 {
		writeDirError(w, http.StatusOK, code, "")
		return
	}
	if !s.dirAuthorized(w, r, endpoint) {
		return
	}
	if s.cfg.DirNoPrivilege {
		writeDirError(w, http.StatusOK, 10, "")
		return
	}
	if !slices.Contains(dirMethods[endpoint], r.Method) {
		writeDirError(w, http.StatusOK, 3, "")
		return
	}
	body, aerr := readDirBody(r)
	if aerr != nil {
		writeDirError(w, http.StatusOK, aerr.code, aerr.param)
		return
	}

	s.mu.Lock()
	var result object
	switch endpoint {
	case "dir/get":
		result, aerr = s.dirGet(body)
	case "dir/query":
		result, aerr = s.dirQuery(body)
	case "dir/create":
		result, aerr = s.dirCreate(body, r.URL.Query())
	case "dir/update":
		result, aerr = s.dirUpdate(body)
	case "dir/delete":
		result, aerr = s.dirDelete(body)
	case "dir/template":
		result = s.dirTemplate()
	}
	s.mu.Unlock()
	if aerr != nil {
		writeDirError(w, http.StatusOK, aerr.code, aerr.param)
		return
	}
	writeJSON(w, http.StatusOK, dirReply{Success: true, Result: result})
}

// dirUnavailable returns the error code of a request the device answers before
// authentication: 7 for plain HTTP when the HTTP API requires HTTPS, 4 when the service is
// disabled, 1 for a function this model does not have; 0 otherwise.
func (s *Server) dirUnavailable(r *http.Request, endpoint string) int {
	switch {
	case s.cfg.DirHTTPSOnly && r.TLS == nil:
		return 7
	case s.cfg.DirDisabled:
		return 4
	case slices.Contains(s.cfg.DirUnsupported, endpoint):
		return 1
	}
	return 0
}

// readDirBody reads the JSON request object. An empty body is an empty object.
func readDirBody(r *http.Request) (map[string]any, *apiError) {
	data, err := readLimited(r.Body, dirBodyLimit)
	switch {
	case errors.Is(err, errBodyTooBig):
		return nil, &apiError{13, ""}
	case err != nil:
		return nil, &apiError{12, ""}
	case len(bytes.TrimSpace(data)) == 0:
		return map[string]any{}, nil
	}
	decoded, err := decodeJSON(data)
	body, ok := decoded.(map[string]any)
	if err != nil || !ok {
		return nil, &apiError{12, ""}
	}
	return body, nil
}
