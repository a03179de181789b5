package pbxapi

// How the client authenticates to the 2N directory is in the package
// documentation (doc.go, "Directory authentication").

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/icholy/digest"
)

// authScheme is an HTTP authentication scheme the directory client speaks.
type authScheme int

const (
	schemeNone authScheme = iota
	schemeBasic
	schemeDigest
)

func (s authScheme) String() string {
	switch s {
	case schemeBasic:
		return "basic"
	case schemeDigest:
		return "digest"
	}
	return "none"
}

// refusal is why the client does not answer a challenge.
type refusal int

const (
	refuseNothing refusal = iota
	// refuseBasicOverHTTP: auto, plain HTTP, and Basic is all the intercom offers.
	refuseBasicOverHTTP
	// refuseBasicForDigest: directory.auth is "digest", and the intercom offers only Basic.
	refuseBasicForDigest
	// refuseUnsupported: no offered scheme is one the client can answer.
	refuseUnsupported
)

// DirectoryAuthError means the intercom asked for an authentication the
// client would not or could not give. No credentials were sent in answer to
// that challenge.
type DirectoryAuthError struct {
	// Operation is the API action, e.g. "dir/get".
	Operation string
	// Endpoint is the URL called, without credentials.
	Endpoint string
	// Setting is the configured directory authentication (auto when unset).
	Setting DirectoryAuth
	// Offered describes the challenges of the intercom's 401, e.g. "Basic"
	// or "Digest (algorithm SHA-1)".
	Offered []string

	reason refusal
}

func (e *DirectoryAuthError) Error() string {
	prefix := fmt.Sprintf("%s (%s): ", e.Operation, e.Endpoint)
	switch e.reason {
	case refuseBasicOverHTTP:
		return prefix + "the intercom asks for HTTP Basic authentication over plain HTTP, which would send the directory password unencrypted, " +
			"so the provider did not answer it. Use an https:// directory endpoint, set the intercom's HTTP API to Digest, " +
			`or allow Basic over plain HTTP explicitly with directory.auth = "basic" (PBX_DIRECTORY_AUTH=basic)`
	case refuseBasicForDigest:
		return prefix + `the intercom asks for HTTP Basic authentication, but directory.auth is "digest", which never falls back to Basic. ` +
			"Set the intercom's HTTP API to Digest, " +
			`or set directory.auth = "basic" (PBX_DIRECTORY_AUTH=basic), or leave it unset to answer Basic over https`
	default:
		offered := "no scheme"
		if len(e.Offered) > 0 {
			offered = strings.Join(e.Offered, ", ")
		}
		return prefix + "the intercom asks for an HTTP authentication the provider cannot answer (offered: " + offered + "). " +
			"Set the intercom's HTTP API authentication to Digest (or Basic over https)"
	}
}

// decideAuth is the decision table: which scheme answers these challenges
// under this setting, on a secure (https) connection or not. With no
// challenge at all it returns schemeNone and no refusal: the 401 is the
// device's answer.
func decideAuth(setting DirectoryAuth, secure bool, chals []challenge) (authScheme, *digest.Challenge, refusal) {
	if len(chals) == 0 {
		return schemeNone, nil, refuseNothing
	}
	basic := false
	for _, c := range chals {
		if d := c.digestChallenge(); d != nil {
			return schemeDigest, d, refuseNothing
		}
		basic = basic || c.is("Basic")
	}
	switch {
	case !basic:
		return schemeNone, nil, refuseUnsupported
	case setting == DirectoryAuthDigest:
		return schemeNone, nil, refuseBasicForDigest
	case setting == DirectoryAuthBasic || secure:
		return schemeBasic, nil, refuseNothing
	}
	return schemeNone, nil, refuseBasicOverHTTP
}

// dirAuthTransport authenticates the requests to the directory host.
// Requests to any other host (a redirect) pass through without credentials.
type dirAuthTransport struct {
	setting  DirectoryAuth // auto, basic or digest
	host     string        // host[:port] of the directory endpoint
	username string
	password string
	next     http.RoundTripper
	logger   func(ctx context.Context, msg string, fields map[string]any)

	mu     sync.Mutex
	scheme authScheme        // sent with every request; none until a challenge is answered
	chal   *digest.Challenge // the Digest challenge in use
	nc     int               // the last nonce count used with chal
	// settled: a request got through (a scheme was learned, or none was
	// needed). Until then one request at a time negotiates (negotiating is
	// closed when it is done), so concurrent first requests of a run cost
	// one challenge, not one each.
	settled     bool
	negotiating chan struct{}
}

// newDirTransport returns the transport for this directory configuration
// (Auth already defaulted) on top of base.
func newDirTransport(dir DirectoryConfig, host string, base http.RoundTripper, logger func(context.Context, string, map[string]any)) (http.RoundTripper, error) {
	switch dir.Auth {
	case DirectoryAuthNone:
		return base, nil
	case DirectoryAuthAuto:
		if dir.Username == "" {
			// No credentials to answer a challenge with.
			return base, nil
		}
	case DirectoryAuthBasic, DirectoryAuthDigest:
		if dir.Username == "" {
			return nil, fmt.Errorf("directory auth %s needs a username", dir.Auth)
		}
	default:
		return nil, fmt.Errorf("unknown directory auth %q: use auto, none, basic or digest", dir.Auth)
	}
	t := &dirAuthTransport{setting: dir.Auth, host: host, username: dir.Username, password: dir.Password, next: base, logger: logger}
	if dir.Auth == DirectoryAuthBasic {
		// Explicit Basic: sent with every request, no challenge needed.
		t.scheme = schemeBasic
	}
	return t, nil
}

// RoundTrip sends req with the credentials of the scheme in use. On a 401 it
// answers the challenge once, if the decision table allows it; a 401 it does
// not retry is returned untouched, so that its body (the device's error) can
// be read.
func (t *dirAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return t.next.RoundTrip(req)
	}
	firstBody, again, err := replayableBody(req)
	if err != nil {
		return nil, err
	}
	lead, err := t.awaitNegotiation(req)
	if err != nil {
		closeBody(firstBody)
		return nil, err
	}
	if lead {
		defer t.endNegotiation()
	}
	first := req.Clone(req.Context())
	first.Body = firstBody
	sent, sentChal, sentNC := t.current()
	if err := t.authorize(first, again, sent, sentChal, sentNC); err != nil {
		closeBody(firstBody)
		return nil, err
	}
	resp, err := t.next.RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		if err == nil {
			t.settle()
		}
		return resp, err
	}

	chals := parseChallenges(resp.Header.Values("WWW-Authenticate"))
	scheme, chal, why := decideAuth(t.setting, req.URL.Scheme == "https", chals)
	if why != refuseNothing {
		discard(resp)
		offered := make([]string, len(chals))
		for i, c := range chals {
			offered[i] = c.describe()
		}
		op := policyFrom(req.Context()).operation
		if op == "" {
			op = "directory request"
		}
		return nil, &DirectoryAuthError{Operation: op, Endpoint: req.URL.Redacted(), Setting: t.setting, Offered: offered, reason: why}
	}
	if scheme == schemeNone || (scheme == schemeBasic && sent == schemeBasic) {
		// No challenge, or Basic credentials rejected: the device's answer.
		return resp, nil
	}
	discard(resp)
	nc := t.countFor(chal)
	second := req.Clone(req.Context())
	if second.Body, err = again(); err != nil {
		return nil, err
	}
	second.GetBody = again
	if err := t.authorize(second, again, scheme, chal, nc); err != nil {
		closeBody(second.Body)
		return nil, err
	}
	resp, err = t.next.RoundTrip(second)
	if err == nil {
		// Shared only now: concurrent requests reusing the new nonce with
		// higher counts cannot overtake this answer's count, which a
		// device checking counts strictly would refuse.
		t.learn(req, scheme, chal, nc)
	}
	return resp, err
}

// awaitNegotiation makes req wait while another request negotiates the
// scheme. It reports whether req negotiates itself (it must then call
// endNegotiation when done). After a failed negotiation the next waiting
// request tries.
func (t *dirAuthTransport) awaitNegotiation(req *http.Request) (bool, error) {
	for {
		t.mu.Lock()
		if t.settled {
			t.mu.Unlock()
			return false, nil
		}
		if t.negotiating == nil {
			t.negotiating = make(chan struct{})
			t.mu.Unlock()
			return true, nil
		}
		wait := t.negotiating
		t.mu.Unlock()
		select {
		case <-wait:
		case <-req.Context().Done():
			return false, req.Context().Err()
		}
	}
}

func (t *dirAuthTransport) endNegotiation() {
	t.mu.Lock()
	close(t.negotiating)
	t.negotiating = nil
	t.mu.Unlock()
}

// settle records that requests get through with the scheme in use.
func (t *dirAuthTransport) settle() {
	t.mu.Lock()
	t.settled = true
	t.mu.Unlock()
}

// current returns the scheme in use and, for Digest, its challenge and the
// next nonce count.
func (t *dirAuthTransport) current() (authScheme, *digest.Challenge, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.scheme == schemeDigest {
		t.nc++
		return schemeDigest, t.chal, t.nc
	}
	return t.scheme, nil, 0
}

// authorize sets the Authorization header of r (a clone) for scheme; for
// Digest it answers chal with nonce count nc.
func (t *dirAuthTransport) authorize(r *http.Request, body func() (io.ReadCloser, error), scheme authScheme, chal *digest.Challenge, nc int) error {
	switch scheme {
	case schemeBasic:
		r.Header.Set("Authorization", basicAuth(t.username, t.password))
	case schemeDigest:
		cred, err := digest.Digest(chal, digest.Options{
			Method:   r.Method,
			URI:      r.URL.RequestURI(),
			GetBody:  body,
			Count:    nc,
			Username: t.username,
			Password: t.password,
		})
		if err != nil {
			// The digest package's errors name the algorithm or qop, or a
			// body read failure; never the credentials.
			return fmt.Errorf("answering the intercom's Digest challenge: %w", err)
		}
		r.Header.Set("Authorization", cred.String())
	}
	return nil
}

// countFor returns the nonce count with which to answer chal: the next one
// when chal's nonce is the one in use (a device that always sends the same
// nonce), else 1.
func (t *dirAuthTransport) countFor(chal *digest.Challenge) int {
	if chal == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.chal != nil && t.chal.Nonce == chal.Nonce {
		t.nc++
		return t.nc
	}
	return 1
}

// learn records the scheme (and the Digest challenge, answered with count
// nc) used from now on, and logs a change of scheme.
func (t *dirAuthTransport) learn(req *http.Request, scheme authScheme, chal *digest.Challenge, nc int) {
	t.mu.Lock()
	changed := scheme != t.scheme
	t.scheme, t.settled = scheme, true
	if scheme == schemeDigest {
		if t.chal == nil || t.chal.Nonce != chal.Nonce {
			t.chal, t.nc = chal, nc
		} else {
			t.nc = max(t.nc, nc)
		}
	}
	t.mu.Unlock()
	if changed && t.logger != nil {
		t.logger(req.Context(), "PBX directory authentication", map[string]any{
			"operation": policyFrom(req.Context()).operation, "url": req.URL.Redacted(), "scheme": scheme.String(),
		})
	}
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the base
// transport.
func (t *dirAuthTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// replayableBody returns the body for the first attempt and a function that
// returns a fresh copy for an answer to a challenge. It uses req.GetBody
// (retryablehttp sets it) and buffers the body otherwise.
func replayableBody(req *http.Request) (io.ReadCloser, func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, func() (io.ReadCloser, error) { return http.NoBody, nil }, nil
	}
	if req.GetBody != nil {
		return req.Body, req.GetBody, nil
	}
	data, err := io.ReadAll(req.Body)
	closeBody(req.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading request body: %w", err)
	}
	again := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	b, _ := again()
	return b, again, nil
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		_ = b.Close()
	}
}

// discard drains (a bounded amount of) a response that is not returned, so
// that its connection can be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
