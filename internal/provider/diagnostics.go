package provider

import (
	"errors"
	"fmt"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// describe turns a client error into a diagnostic detail that says what
// happened and what to do. Client errors never contain credentials.
func describe(err error) string {
	if errors.Is(err, pbxapi.ErrControlCharacter) {
		return err.Error() + ". Nothing was sent: control characters (U+0000-U+001F, U+007F-U+009F) are never written to a device. " +
			"Remove the character from the configuration, or from the device the value was read from."
	}
	var authErr *pbxapi.DirectoryAuthError
	if errors.As(err, &authErr) {
		return err.Error() + "."
	}
	var ae *pbxapi.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("The device answered %s.", err.Error())
		switch {
		case ae.IsAuth():
			msg += "\n\nThe credentials were rejected or the API account lacks permission for this endpoint. " +
				"Check username/password/api_key (or the directory credentials) and the account's allowed requests on the device."
		case ae.StatusCode == 404 || ae.StatusCode == 501:
			msg += "\n\nThe endpoint does not exist there: check the provider's endpoint (the base URL, without /api/...)."
		case ae.StatusCode == 429 || ae.StatusCode == 502 || ae.StatusCode == 503 || ae.StatusCode == 504:
			msg += "\n\nThe device is overloaded or unavailable and retries were exhausted (max_retries). Try again later."
		case ae.StatusCode >= 500:
			msg += "\n\nThe device reported an internal error; such errors are not retried. Check the device's logs, then try again."
		}
		return msg
	}
	return fmt.Sprintf("The request failed: %v.\n\nCheck that the endpoint is reachable and, for HTTPS, trusted (ca_cert_pem).", err)
}
