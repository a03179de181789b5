package mockpbx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client calls the control API (/_mock/) of a mock in another process, such as the pbxmock
// command; code that holds the Server calls its methods instead. URL is the mock's base URL.
type Client struct{ URL string }

var clientHTTP = &http.Client{Timeout: 30 * time.Second}

// Call sends method /_mock/route with body as JSON (when not nil) and decodes the JSON reply
// into out (when not nil). A reply other than 2xx is an error with the mock's message.
func (c Client) Call(ctx context.Context, method, route string, body, out any) error {
	var payload io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		payload = bytes.NewReader(b)
	}
	what := method + " /_mock/" + strings.TrimPrefix(route, "/")
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+what[len(method)+1:], payload)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := clientHTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	data, err := readLimited(resp.Body, controlBodyLimit)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s: HTTP %d: %s", what, resp.StatusCode, bytes.TrimSpace(data))
	case out != nil && len(data) > 0:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: reply %q: %w", what, data, err)
		}
	}
	return nil
}
