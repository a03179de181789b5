package pbxapi

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound matches (with errors.Is) every error meaning that the user or
// directory entry addressed by a call does not exist on the device.
var ErrNotFound = errors.New("not found")

// ErrInvalidUUID matches directory errors for a malformed uuid.
var ErrInvalidUUID = errors.New("invalid uuid format")

// ErrNumberExists matches the PBX's refusal of a number another extension
// already has.
var ErrNumberExists = errors.New("number already exists")

// Directory per-entry error codes (2N api/dir/*).
const (
	CodeUUIDDoesNotExist   = "EDIR_UUID_DOES_NOT_EXIST"
	CodeUUIDInvalidFormat  = "EDIR_UUID_INVALID_FORMAT"
	CodeUUIDAlreadyExists  = "EDIR_UUID_ALREADY_EXISTS"
	CodeUUIDIsMissing      = "EDIR_UUID_IS_MISSING"
	CodeFieldNameUnknown   = "EDIR_FIELD_NAME_UNKNOWN"
	CodeFieldNotAvailable  = "EDIR_FIELD_NOT_AVAILABLE"
	CodeFieldValueError    = "EDIR_FIELD_VALUE_ERROR"
	simotelOperationFailed = "Requested operation failed"
	simotelNumberExists    = "This number already exists"
)

// APIError is a failure reported by the device (an error envelope, an error
// HTTP status, or a response that could not be understood).
type APIError struct {
	// Operation is the API action, e.g. "users/add" or "dir/get".
	Operation string
	// Endpoint is the URL called, without credentials.
	Endpoint string
	// StatusCode is the HTTP status of the response (0 if none was read).
	StatusCode int
	// Code is the device's error code when it gives one: the 2N numeric
	// code ("9", "13", …) or a per-entry code (EDIR_…). Empty for Simotel,
	// which reports errors only through Message.
	Code string
	// Message is the device's error text, or a description of the malformed
	// response. It never contains credentials.
	Message string

	notFound bool
	// undecodable: an HTTP 200 whose body could not be understood; the
	// device may have processed the request.
	undecodable bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): ", e.Operation, e.Endpoint)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		if e.StatusCode != 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "error code %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// Is reports whether the error means "not found" (ErrNotFound) or "number
// already exists" (ErrNumberExists).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.notFound
	case ErrNumberExists:
		return strings.HasPrefix(e.Operation, "users/") && e.Message == simotelNumberExists
	}
	return false
}

// IsAuth reports whether the device rejected the credentials or the account's
// permissions (HTTP 401/403, or 2N codes 8, 9 and 10).
func (e *APIError) IsAuth() bool {
	switch {
	case e.StatusCode == 401 || e.StatusCode == 403:
		return true
	case e.Code == "8" || e.Code == "9" || e.Code == "10":
		return true
	}
	return false
}

// EntryError is a per-entry failure of a directory call: the device answered
// the request, but not for this uuid.
type EntryError struct {
	UUID  string
	Codes []string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("directory entry %q: %s", e.UUID, strings.Join(e.Codes, ", "))
}

// Is maps EDIR_UUID_DOES_NOT_EXIST to ErrNotFound and EDIR_UUID_INVALID_FORMAT
// to ErrInvalidUUID.
func (e *EntryError) Is(target error) bool {
	for _, c := range e.Codes {
		if (target == ErrNotFound && c == CodeUUIDDoesNotExist) || (target == ErrInvalidUUID && c == CodeUUIDInvalidFormat) {
			return true
		}
	}
	return false
}
