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

// Client calls the control API (/_mock/) of a mock that runs in another process, such as
// the pbxmock command. Code that holds the Server calls its methods instead.
type Client struct {
	URL  string       // the mock's base URL, e.g. http://127.0.0.1:41234
	HTTP *http.Client // nil: a client with a 30 s timeout
}

// Call sends method /_mock/route with body as JSON (when not nil) and decodes the JSON reply
// into out (when not nil). A reply other than 2xx is an error with the mock's message.
func (c Client) Call(ctx context.Context, method, route string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	what := method + " /_mock/" + strings.TrimPrefix(route, "/")
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+"/_mock/"+strings.TrimPrefix(route, "/"), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
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
