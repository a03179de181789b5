package mockpbx

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultRule injects failures into the requests of one endpoint ("users/add", "dir/get", …),
// a family ("users/*", "dir/*") or every endpoint ("*"). The control API is never faulted.
//
// For each request to a matching endpoint the rule first adds LatencyMS plus a random
// 0..LatencyJitterMS milliseconds of delay, then rolls its faults in this order, the first
// hit winning: DropRate (close the connection before processing), Rate (answer Status,
// default 503, with Retry-After on 429/503 when RetryAfter is set), MalformedRate (HTTP 200
// with truncated JSON), HTMLRate (a proxy's 502 HTML page), DropAfterRate (process the
// request, state changes included, then close the connection without a reply).
// When several rules match, their delays add up and the first rule whose fault hits decides.
//
// A rule is triggered by a request when it delays it or one of its faults hits. Count > 0
// limits the rule to its next Count triggers, after which it is removed; 0 is unlimited.
type FaultRule struct {
	Endpoint        string  `json:"endpoint"`
	Status          int     `json:"status,omitempty"`
	Rate            float64 `json:"rate,omitempty"`
	RetryAfter      string  `json:"retry_after,omitempty"`
	DropRate        float64 `json:"drop_rate,omitempty"`
	DropAfterRate   float64 `json:"drop_after_rate,omitempty"`
	MalformedRate   float64 `json:"malformed_rate,omitempty"`
	HTMLRate        float64 `json:"html_rate,omitempty"`
	LatencyMS       int     `json:"latency_ms,omitempty"`
	LatencyJitterMS int     `json:"latency_jitter_ms,omitempty"`
	Count           int     `json:"count,omitempty"`
}

type faultKind uint8

const (
	faultNone faultKind = iota
	faultDrop
	faultStatus
	faultMalformed
	faultHTML
	faultDropAfter
)

// faultPlan is what serveEndpoint does with one request.
type faultPlan struct {
	delay      time.Duration
	kind       faultKind
	status     int
	retryAfter string
}

// apiFamily selects the reply style of injected status and malformed replies.
type apiFamily uint8

const (
	familyUsers apiFamily = iota
	familyDir
)

func (r FaultRule) validate() error {
	switch {
	case r.Endpoint == "*", r.Endpoint == "users/*", r.Endpoint == "dir/*", slices.Contains(endpointNames, r.Endpoint):
	default:
		return fmt.Errorf("endpoint %q is not one of %s, users/*, dir/* or *", r.Endpoint, strings.Join(endpointNames, ", "))
	}
	for name, rate := range map[string]float64{
		"rate": r.Rate, "drop_rate": r.DropRate, "drop_after_rate": r.DropAfterRate,
		"malformed_rate": r.MalformedRate, "html_rate": r.HTMLRate,
	} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("%s %v is not between 0 and 1", name, rate)
		}
	}
	if r.Status != 0 && (r.Status < 400 || r.Status > 599) {
		return fmt.Errorf("status %d is not an HTTP error status (400-599)", r.Status)
	}
	if r.LatencyMS < 0 || r.LatencyJitterMS < 0 || r.Count < 0 {
		return fmt.Errorf("latency_ms, latency_jitter_ms and count must not be negative")
	}
	return nil
}

func (r FaultRule) matches(endpoint string) bool {
	if prefix, ok := strings.CutSuffix(r.Endpoint, "*"); ok {
		return strings.HasPrefix(endpoint, prefix)
	}
	return r.Endpoint == endpoint
}

// SetFaults replaces every fault rule. Nothing changes when a rule is invalid.
func (s *Server) SetFaults(rules []FaultRule) error {
	installed := make([]FaultRule, len(rules))
	for i, r := range rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("rule %d: %w", i, err)
		}
		if r.Status == 0 {
			r.Status = http.StatusServiceUnavailable
		}
		installed[i] = r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = installed
	return nil
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults returns the installed rules; Count is the number of triggers left.
func (s *Server) Faults() []FaultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.faults)
}

// planFault rolls the dice of every rule matching endpoint and retires the rules whose
// Count is used up. Callers hold s.mu.
func (s *Server) planFault(endpoint string) faultPlan {
	var plan faultPlan
	kept := s.faults[:0]
	for _, f := range s.faults {
		if !f.matches(endpoint) {
			kept = append(kept, f)
			continue
		}
		triggered := false
		if f.LatencyMS > 0 || f.LatencyJitterMS > 0 {
			plan.delay += time.Duration(f.LatencyMS) * time.Millisecond
			if f.LatencyJitterMS > 0 {
				plan.delay += time.Duration(s.rng.IntN(f.LatencyJitterMS+1)) * time.Millisecond
			}
			triggered = true
		}
		if plan.kind == faultNone {
			plan.kind = s.rollFault(f)
			if plan.kind != faultNone {
				plan.status, plan.retryAfter = f.Status, f.RetryAfter
				triggered = true
			}
		}
		if triggered && f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				continue
			}
		}
		kept = append(kept, f)
	}
	s.faults = kept
	return plan
}

// rollFault picks at most one fault of a rule. Callers hold s.mu.
func (s *Server) rollFault(r FaultRule) faultKind {
	for _, c := range []struct {
		rate float64
		kind faultKind
	}{
		{r.DropRate, faultDrop},
		{r.Rate, faultStatus},
		{r.MalformedRate, faultMalformed},
		{r.HTMLRate, faultHTML},
		{r.DropAfterRate, faultDropAfter},
	} {
		if c.rate > 0 && s.rng.Float64() < c.rate {
			return c.kind
		}
	}
	return faultNone
}

// dropConnection closes the client connection without a reply.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot be hijacked: abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// writeStatusFault answers with an error status. The Simotel API's errors carry its envelope
// with the status text; the 2N directory reports its own errors with HTTP 200 (401 for
// authentication) and never with an error status, so an error status there comes from the
// HTTP layer or a proxy: a plain-text body, not a directory error.
func writeStatusFault(w http.ResponseWriter, family apiFamily, plan faultPlan) {
	if plan.retryAfter != "" && (plan.status == http.StatusTooManyRequests || plan.status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", plan.retryAfter)
	}
	if family == familyUsers {
		writeJSON(w, plan.status, failure(http.StatusText(plan.status)))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(plan.status)
	_, _ = fmt.Fprintf(w, "%d %s\n", plan.status, http.StatusText(plan.status))
}

// writeMalformed answers HTTP 200 with JSON cut off mid-way.
func writeMalformed(w http.ResponseWriter, family apiFamily) {
	body := `{"success":1,"message":"Requested operation is do`
	if family == familyDir {
		body = `{"success":true,"result":{"series":"64234076`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

const badGatewayHTML = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// writeBadGatewayHTML answers like a reverse proxy whose backend is down.
func writeBadGatewayHTML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte(badGatewayHTML))
}

// discardWriter swallows the reply of a request processed before its connection is dropped.
type discardWriter struct {
	header http.Header
}

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
