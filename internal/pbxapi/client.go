package pbxapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// AuthMode selects the headers sent to the Simotel API.
type AuthMode string

// Simotel authentication modes, as named by the official client.
const (
	AuthBasic AuthMode = "basic" // Authorization: Basic
	AuthToken AuthMode = "token" // X-APIKEY
	AuthBoth  AuthMode = "both"  // both headers
)

// DirectoryAuth selects the HTTP authentication of the 2N directory API.
type DirectoryAuth string

// 2N HTTP API authentication methods (see dirauth.go).
const (
	// DirectoryAuthAuto answers the intercom's challenge: Digest when
	// offered, Basic only over HTTPS. The default with credentials.
	DirectoryAuthAuto DirectoryAuth = "auto"
	// DirectoryAuthNone sends no credentials.
	DirectoryAuthNone DirectoryAuth = "none"
	// DirectoryAuthBasic sends Basic credentials with every request, also
	// over plain HTTP (and answers Digest if the intercom asks for it).
	DirectoryAuthBasic DirectoryAuth = "basic"
	// DirectoryAuthDigest answers Digest challenges only, never Basic.
	DirectoryAuthDigest DirectoryAuth = "digest"
)

// Default retry and timeout settings.
const (
	DefaultMaxRetries     = 4
	DefaultRetryWaitMin   = 250 * time.Millisecond
	DefaultRetryMaxWait   = 30 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	maxResponseBytes      = 32 << 20
)

// Config configures a Client. Endpoint is required; everything else has a
// default.
type Config struct {
	// Endpoint is the PBX base URL, e.g. "https://pbx.example.com". A path
	// ending in /api/v4 is accepted too.
	Endpoint string
	// AuthMode selects Basic, API key or both. Empty: inferred from which of
	// Username/APIKey is set.
	AuthMode AuthMode
	Username string
	Password string
	APIKey   string

	// Directory configures the 2N directory API. Unset fields default to the
	// PBX values (endpoint, username, password); Auth defaults to auto, which
	// sends nothing when no username is known.
	Directory DirectoryConfig

	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// CACertPEM adds PEM-encoded CA certificates to the trusted roots.
	CACertPEM string
	// RequestTimeout bounds each HTTP attempt. Zero: DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxRetries bounds every call: it sends at most MaxRetries + 1 requests,
	// retries and the lookups that resolve an ambiguous outcome included.
	// Negative: one request; zero: DefaultMaxRetries.
	MaxRetries int
	// RetryWaitMin and RetryMaxWait bound the backoff between attempts.
	RetryWaitMin time.Duration
	RetryMaxWait time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// Transport replaces the base HTTP transport (tests). TLS settings above
	// are ignored when it is set.
	Transport http.RoundTripper
	// Logger, if set, receives one line per attempt and per retry. Fields
	// never contain bodies or credentials.
	Logger func(ctx context.Context, msg string, fields map[string]any)
}

// DirectoryConfig configures the 2N directory API connection.
type DirectoryConfig struct {
	Endpoint string
	Username string
	Password string
	Auth     DirectoryAuth
}

// Client talks to both devices. It is safe for concurrent use.
type Client struct {
	usersBase string
	dirBase   string
	userAgent string
	logger    func(ctx context.Context, msg string, fields map[string]any)

	maxRetries int
	pbx        *retryablehttp.Client
	dir        *retryablehttp.Client
	entries    entryCoalescer
	dirSync    dirSync
	users      userListing
	redact     redactor
	// userMethods holds, per users action, the HTTP method the PBX allowed
	// after refusing POST (see simotel); absent: POST.
	userMethods sync.Map
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	usersBase, err := baseURL(cfg.Endpoint, "/api/v4")
	if err != nil {
		return nil, fmt.Errorf("PBX endpoint: %w", err)
	}
	mode := cfg.AuthMode
	if mode == "" {
		mode = InferAuthMode(cfg.Username, cfg.APIKey)
	}
	switch mode {
	case AuthBasic, AuthBoth:
		if cfg.Username == "" || cfg.Password == "" {
			return nil, fmt.Errorf("auth mode %q needs a username and a password", mode)
		}
	case AuthToken:
	default:
		return nil, fmt.Errorf("unknown auth mode %q: use basic, token or both", mode)
	}
	if (mode == AuthToken || mode == AuthBoth) && cfg.APIKey == "" {
		return nil, fmt.Errorf("auth mode %q needs an API key", mode)
	}

	dirCfg := cfg.Directory
	if dirCfg.Endpoint == "" {
		// The PBX host and path prefix, without the PBX's /api/v4.
		dirCfg.Endpoint = strings.TrimSuffix(usersBase, "/api/v4")
	}
	if dirCfg.Username == "" {
		dirCfg.Username = cfg.Username
	}
	if dirCfg.Password == "" {
		dirCfg.Password = cfg.Password
	}
	if dirCfg.Auth == "" {
		dirCfg.Auth = DirectoryAuthAuto
	}
	dirBase, err := baseURL(dirCfg.Endpoint, "/api")
	if err != nil {
		return nil, fmt.Errorf("directory endpoint: %w", err)
	}

	base := cfg.Transport
	if base == nil {
		t := cleanhttp.DefaultPooledTransport()
		tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // user opt-in
		if cfg.CACertPEM != "" {
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM([]byte(cfg.CACertPEM)) {
				return nil, errors.New("ca_cert_pem contains no valid PEM certificate")
			}
			tlsCfg.RootCAs = pool
		}
		t.TLSClientConfig = tlsCfg
		base = t
	}

	pbxAuth := http.Header{}
	if mode == AuthBasic || mode == AuthBoth {
		pbxAuth.Set("Authorization", basicAuth(cfg.Username, cfg.Password))
	}
	if mode == AuthToken || mode == AuthBoth {
		pbxAuth.Set("X-APIKEY", cfg.APIKey)
	}
	pbxTransport := &headerTransport{host: hostOf(usersBase), header: pbxAuth, next: base}

	dirTransport, err := newDirTransport(dirCfg, hostOf(dirBase), base, cfg.Logger)
	if err != nil {
		return nil, err
	}

	timeout := cfg.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	maxRetries := cfg.MaxRetries
	switch {
	case maxRetries == 0:
		maxRetries = DefaultMaxRetries
	case maxRetries < 0:
		maxRetries = 0
	}
	waitMin, waitMax := cfg.RetryWaitMin, cfg.RetryMaxWait
	if waitMin <= 0 {
		waitMin = DefaultRetryWaitMin
	}
	if waitMax <= 0 {
		waitMax = DefaultRetryMaxWait
	}
	if waitMin > waitMax {
		waitMin = waitMax
	}

	c := &Client{
		usersBase:  usersBase,
		dirBase:    dirBase,
		userAgent:  cfg.UserAgent,
		logger:     cfg.Logger,
		maxRetries: maxRetries,
		redact:     newRedactor(cfg, dirCfg),
	}
	if c.userAgent == "" {
		c.userAgent = "terraform-provider-pbx"
	}
	c.pbx = c.newRetryClient(&http.Client{Transport: pbxTransport, Timeout: timeout}, maxRetries, waitMin, waitMax)
	c.dir = c.newRetryClient(&http.Client{Transport: dirTransport, Timeout: timeout}, maxRetries, waitMin, waitMax)
	return c, nil
}

// InferAuthMode returns the Simotel auth mode implied by the credentials that
// are set: both when a username and an API key are given, else basic or token.
func InferAuthMode(username, apiKey string) AuthMode {
	switch {
	case username != "" && apiKey != "":
		return AuthBoth
	case apiKey != "":
		return AuthToken
	default:
		return AuthBasic
	}
}

func baseURL(raw, apiSuffix string) (string, error) {
	if raw == "" {
		return "", errors.New("no endpoint given")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the whole input, password included: keep
		// only its reason, and not even that when credentials may be in it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.Contains(raw, "@") {
			return "", fmt.Errorf("%q is not a URL", redact(raw))
		}
		return "", fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q must start with http:// or https://", redact(raw))
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", redact(raw))
	}
	if u.User != nil {
		return "", fmt.Errorf("%q contains credentials: set them as username/password instead", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must not have a query or fragment", u.String())
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, apiSuffix)
	u.Path = p + apiSuffix
	return u.String(), nil
}

// redact hides credentials in a URL-ish string that may not parse.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "xxxxx@" + raw[i+1:]
		}
	}
	return raw
}

// headerTransport adds fixed (authentication) headers to the requests for
// one host; a redirect elsewhere does not get the credentials.
type headerTransport struct {
	host   string
	header http.Header
	next   http.RoundTripper
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	for k, v := range t.header {
		r.Header[k] = v
	}
	return t.next.RoundTrip(r)
}

// hostOf is the host[:port] of a URL that baseURL accepted.
func hostOf(base string) string {
	u, _ := url.Parse(base)
	return u.Host
}

// basicAuth is the value of an HTTP Basic Authorization header.
func basicAuth(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

func (c *Client) log(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger(ctx, msg, fields)
	}
}

// call is one logical request: it is retried according to the policy and its
// response body is returned with the HTTP status.
type call struct {
	client     *retryablehttp.Client
	operation  string
	method     string
	url        string
	body       any // marshalled to JSON; nil for no body
	idempotent bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("%s: encoding request: %w", cl.operation, err)
		}
	}
	var rawBody any
	if payload != nil {
		rawBody = payload
	}
	ctx, _ = c.withBudget(ctx)
	ctx = withPolicy(ctx, cl.operation, cl.idempotent)
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, cl.url, rawBody)
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", cl.operation, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := cl.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s (%s): %w", cl.operation, cl.url, ctxErr)
		}
		var authErr *DirectoryAuthError
		if errors.As(err, &authErr) {
			return nil, authErr
		}
		return nil, &TransportError{Operation: cl.operation, Endpoint: cl.url, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, &TransportError{Operation: cl.operation, Endpoint: cl.url, Err: fmt.Errorf("reading response: %w", err)}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// TransportError is a failure to get a complete response: connection refused
// or dropped, timeout, TLS failure, or retries exhausted on such errors. The
// device may or may not have processed the request.
type TransportError struct {
	Operation string
	Endpoint  string
	Err       error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s (%s): %v", e.Operation, e.Endpoint, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// snippet describes a response body that could not be decoded, without
// echoing more than a short, single-line excerpt.
func snippet(resp *response) string {
	ct := resp.header.Get("Content-Type")
	s := truncate(strings.Join(strings.Fields(string(bytes.ToValidUTF8(resp.body, nil))), " "), 120)
	if s == "" {
		s = "(empty body)"
	}
	if ct != "" {
		return fmt.Sprintf("[%s] %s", ct, s)
	}
	return s
}
