package pbxapi

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

type policyKey struct{}

type policy struct {
	operation  string
	idempotent bool
}

func withPolicy(ctx context.Context, operation string, idempotent bool) context.Context {
	return context.WithValue(ctx, policyKey{}, policy{operation: operation, idempotent: idempotent})
}

func policyFrom(ctx context.Context) policy {
	p, _ := ctx.Value(policyKey{}).(policy)
	return p
}

type budgetKey struct{}

// budget is what is left of one call's attempts. max_retries bounds the total
// number of HTTP requests a call of the client sends: the retries of each
// request and the requests a call makes to resolve an outcome (AddUser's
// lookup after an ambiguous add or a taken number, the lookup behind
// UpdateUser's and RemoveUser's "not found") all come out of one budget of
// max_retries + 1 attempts.
type budget struct {
	left atomic.Int64
}

// withBudget returns ctx carrying a budget: the one already there (a request
// made on behalf of a larger call shares its budget), or a new one of
// max_retries + 1 attempts.
func (c *Client) withBudget(ctx context.Context) (context.Context, *budget) {
	if b := budgetFrom(ctx); b != nil {
		return ctx, b
	}
	b := &budget{}
	b.left.Store(int64(c.maxRetries) + 1)
	return context.WithValue(ctx, budgetKey{}, b), b
}

func budgetFrom(ctx context.Context) *budget {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	return b
}

// spend records one attempt.
func (b *budget) spend() {
	if b != nil {
		b.left.Add(-1)
	}
}

// exhausted reports whether no attempt is left. A nil budget never is.
func (b *budget) exhausted() bool {
	return b != nil && b.left.Load() <= 0
}

func (c *Client) newRetryClient(hc *http.Client, maxRetries int, waitMin, waitMax time.Duration) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = nil
	rc.RetryMax = maxRetries
	rc.RetryWaitMin = waitMin
	rc.RetryWaitMax = waitMax
	rc.CheckRetry = checkRetry
	rc.Backoff = backoff
	rc.ErrorHandler = func(resp *http.Response, err error, attempts int) (*http.Response, error) {
		if resp != nil {
			// Retries exhausted on a status: hand the last response to the
			// decoder, which reports the device's own message.
			return resp, nil
		}
		return nil, &retriesError{attempts: attempts, err: err}
	}
	// Called once before every attempt: the attempt is charged to the call's
	// budget here.
	rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, attempt int) {
		budgetFrom(req.Context()).spend()
		p := policyFrom(req.Context())
		if attempt == 0 {
			c.log(req.Context(), "PBX API request", map[string]any{"operation": p.operation, "method": req.Method, "url": req.URL.Redacted()})
			return
		}
		c.log(req.Context(), "PBX API retry", map[string]any{"operation": p.operation, "method": req.Method, "url": req.URL.Redacted(), "attempt": attempt + 1})
	}
	rc.ResponseLogHook = func(_ retryablehttp.Logger, resp *http.Response) {
		p := policyFrom(resp.Request.Context())
		c.log(resp.Request.Context(), "PBX API response", map[string]any{"operation": p.operation, "status": resp.StatusCode})
	}
	return rc
}

type retriesError struct {
	attempts int
	err      error
}

func (e *retriesError) Error() string {
	if e.attempts <= 1 {
		return e.err.Error()
	}
	return "giving up after " + strconv.Itoa(e.attempts) + " attempts: " + e.err.Error()
}

func (e *retriesError) Unwrap() error { return e.err }

// checkRetry is the one retry policy of the client.
//
//   - 429 and 503 are retried for every request: the device (or its proxy)
//     refused the request without processing it.
//   - 502, 504 and transport errors are retried only for idempotent requests;
//     for users/add they are ambiguous (the PBX may have created the user),
//     and AddUser resolves them by looking the number up instead.
//   - A refused connection is retried for every request: nothing was sent.
//   - TLS verification errors, bad URLs and cancelled contexts never are.
//   - Nothing is retried once the call's budget (max_retries + 1 attempts in
//     all, see budget) is spent.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	retry, err := retryable(policyFrom(ctx), resp, err)
	if retry && budgetFrom(ctx).exhausted() {
		return false, nil
	}
	return retry, err
}

func retryable(p policy, resp *http.Response, err error) (bool, error) {
	if err != nil {
		if isPermanentTransportError(err) {
			return false, err
		}
		if p.idempotent || isConnRefused(err) {
			return true, nil
		}
		return false, err
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true, nil
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return p.idempotent, nil
	}
	return false, nil
}

func isConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// IsAmbiguous reports whether err leaves it unknown if the device processed
// the request (dropped connection, timeout, 502/504 from a proxy, or a 200
// whose body could not be understood).
func IsAmbiguous(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return !isConnRefused(err) && !isPermanentTransportError(err)
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.undecodable || ae.StatusCode == http.StatusBadGateway || ae.StatusCode == http.StatusGatewayTimeout
	}
	return false
}

func isPermanentTransportError(err error) bool {
	var certErr *x509.CertificateInvalidError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var dnsErr *net.DNSError
	var authErr *DirectoryAuthError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &authErr):
		return true
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return true
	}
	return false
}

// backoff waits Retry-After when the device gives one (capped at max), and
// otherwise an exponential delay from min with full jitter, capped at max.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, hi)
		}
	}
	ceiling := lo << min(attempt, 30)
	if ceiling <= 0 || ceiling > hi {
		ceiling = hi
	}
	// Full jitter in [lo/2, ceiling].
	floor := lo / 2
	return floor + time.Duration(rand.Int64N(int64(ceiling-floor)+1))
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
