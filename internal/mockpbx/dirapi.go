package mockpbx

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
)

const dirBodyLimit = 16 << 20

// dirErrorText holds the descriptions of the 2N HTTP API error codes the mock uses.
var dirErrorText = map[int]string{
	2:  "invalid request path",
	3:  "invalid request method",
	8:  "invalid authentication method",
	9:  "authorization required",
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
// (2), authentication (8, 9), method (3), body (11-14).
func (s *Server) serveDir(w http.ResponseWriter, r *http.Request, endpoint string) {
	if endpoint == "" {
		writeDirError(w, http.StatusOK, 2, "")
		return
	}
	if !s.dirAuthorized(w, r) {
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
