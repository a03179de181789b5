package mockpbx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account is one Simotel API account (Maintenance > API Accounts on the real PBX).
type Account struct {
	Username, Password string   // HTTP Basic credentials
	APIKey             string   // X-APIKEY token
	Mode               string   // "basic", "token" or "both" (empty means "both"): which headers this account must present
	Allowed            []string // endpoint paths this account is granted, e.g. "pbx/users/add"; nil = all
}

// Config configures a mock Server. Zero values pick the documented defaults.
type Config struct {
	Accounts      []Account        // Simotel API accounts; at least one is required
	DirAuth       string           // "none", "basic" or "digest" (default "digest", the device default)
	DirUsername   string           // default: Accounts[0].Username
	DirPassword   string           // default: Accounts[0].Password
	DirRealm      string           // default "2N Intercom"
	Control       bool             // enable the /_mock/ control API
	RevealSecrets bool             // users/search returns secret in clear (old firmware) instead of "******"
	Series        string           // initial directory series (a decimal uint64); "" = random
	MaxGetUUIDs   int              // default 1000; more entries in one dir request -> error 13
	Capacity      int              // default 10000 directory entries
	RandSeed      int64            // seed for fault injection randomness and ids; 0 = time-based
	Users         []map[string]any // seed users (validated like users/add; _id, description, date, queues kept)
	Directory     []map[string]any // seed directory entries (validated like dir/create; uuid generated if absent)
	Readings      Readings         // how to answer where the sources disagree (default: the contract's reading)

	// The 2N HTTP API's service settings (Services > HTTP API on the device).
	DirHTTPSOnly   bool     // connection type HTTPS: a plain-HTTP request gets error code 7
	DirDisabled    bool     // the System service is disabled: every directory function gets code 4
	DirUnsupported []string // directory functions ("dir/template", …) this model lacks: code 1
	DirNoPrivilege bool     // the directory account lacks System - Control: code 10 after authentication
}

// ErrNotFound is returned by the Server's Go helpers when an id or uuid is unknown.
var ErrNotFound = errors.New("mockpbx: not found")

// Server is an in-memory Simotel PBX users API plus a 2N directory API.
// It is an http.Handler; every method is safe for concurrent use.
type Server struct {
	cfg Config // normalised, read-only after New

	mu      sync.Mutex
	now     func() time.Time
	rng     *rand.Rand
	oid     objectIDSource
	users   map[string]*user
	numbers map[string]int // users per number (setUser, dropUser): numberTaken is O(1), so seeding stays linear
	dir     directory
	nonces  map[string]*nonceInfo
	opaque  string
	faults  []FaultRule
	counts  map[string]int // requests per endpoint, 401 answers not included
	auth401 map[string]int // 401 answers (authentication challenges and rejections) per endpoint
}

// New validates cfg, fills its defaults and loads the seed data.
func New(cfg Config) (*Server, error) {
	if len(cfg.Accounts) == 0 {
		return nil, errors.New("mockpbx: Config.Accounts needs at least one Simotel API account")
	}
	accounts := make([]Account, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		if a.Mode == "" {
			a.Mode = "both"
		}
		switch a.Mode {
		case "basic", "token", "both":
		default:
			return nil, fmt.Errorf("mockpbx: account %d: Mode %q is not basic, token or both", i, a.Mode)
		}
		if a.Mode != "token" && a.Username == "" {
			return nil, fmt.Errorf("mockpbx: account %d: Mode %q needs a Username", i, a.Mode)
		}
		if a.Mode != "basic" && a.APIKey == "" {
			return nil, fmt.Errorf("mockpbx: account %d: Mode %q needs an APIKey", i, a.Mode)
		}
		if a.Allowed != nil {
			allowed := make([]string, len(a.Allowed))
			for j, p := range a.Allowed {
				allowed[j] = strings.Trim(p, "/")
			}
			a.Allowed = allowed
		}
		accounts[i] = a
	}
	cfg.Accounts = accounts

	if cfg.DirAuth == "" {
		cfg.DirAuth = "digest"
	}
	switch cfg.DirAuth {
	case "none", "basic", "digest":
	default:
		return nil, fmt.Errorf("mockpbx: DirAuth %q is not none, basic or digest", cfg.DirAuth)
	}
	if cfg.DirUsername == "" {
		cfg.DirUsername = cfg.Accounts[0].Username
	}
	if cfg.DirPassword == "" {
		cfg.DirPassword = cfg.Accounts[0].Password
	}
	if cfg.DirAuth != "none" && cfg.DirUsername == "" {
		return nil, fmt.Errorf("mockpbx: DirAuth %q needs DirUsername (or a username on Accounts[0])", cfg.DirAuth)
	}
	if cfg.DirRealm == "" {
		cfg.DirRealm = "2N Intercom"
	}
	if strings.ContainsAny(cfg.DirRealm, "\"\\") {
		return nil, fmt.Errorf("mockpbx: DirRealm %q must not contain quotes or backslashes", cfg.DirRealm)
	}
	for _, fn := range cfg.DirUnsupported {
		if dirFunctions[fn] == "" {
			return nil, fmt.Errorf("mockpbx: DirUnsupported: %q is not a directory function", fn)
		}
	}
	if cfg.MaxGetUUIDs == 0 {
		cfg.MaxGetUUIDs = 1000
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = 10000
	}
	if cfg.MaxGetUUIDs < 0 || cfg.Capacity < 0 {
		return nil, errors.New("mockpbx: MaxGetUUIDs and Capacity must not be negative")
	}
	if cfg.Series != "" {
		if _, err := strconv.ParseUint(cfg.Series, 10, 64); err != nil {
			return nil, fmt.Errorf("mockpbx: Series %q is not a decimal uint64", cfg.Series)
		}
	}
	if err := cfg.Readings.normalize(); err != nil {
		return nil, fmt.Errorf("mockpbx: %w", err)
	}
	if cfg.RandSeed == 0 {
		cfg.RandSeed = time.Now().UnixNano()
	}

	rng := rand.New(rand.NewPCG(uint64(cfg.RandSeed), 0x9e3779b97f4a7c15))
	s := &Server{
		cfg:     cfg,
		now:     time.Now,
		rng:     rng,
		oid:     newObjectIDSource(rng),
		users:   map[string]*user{},
		numbers: map[string]int{},
		nonces:  map[string]*nonceInfo{},
		opaque:  randomToken(),
		counts:  map[string]int{},
		auth401: map[string]int{},
	}
	s.dir = newDirectory(cfg.Series, rng)
	for i, m := range cfg.Users {
		if _, err := s.seedUser(m); err != nil {
			return nil, fmt.Errorf("mockpbx: seed user %d: %w", i, err)
		}
	}
	for i, m := range cfg.Directory {
		if err := s.seedEntry(m); err != nil {
			return nil, fmt.Errorf("mockpbx: seed directory entry %d: %w", i, err)
		}
	}
	return s, nil
}

// simotelActions maps a Simotel action path (after /api/v4/) to its endpoint name.
var simotelActions = map[string]string{
	"pbx/users/add":    "users/add",
	"pbx/users/search": "users/search",
	"pbx/users/update": "users/update",
	"pbx/users/remove": "users/remove",
}

// dirFunctions maps a 2N function path (after /api/) to its endpoint name.
var dirFunctions = map[string]string{
	"dir/get":      "dir/get",
	"dir/query":    "dir/query",
	"dir/create":   "dir/create",
	"dir/update":   "dir/update",
	"dir/delete":   "dir/delete",
	"dir/template": "dir/template",
}

// endpointNames lists every endpoint counted by RequestCounts and matchable by a FaultRule.
var endpointNames = []string{
	"users/add", "users/search", "users/update", "users/remove",
	"dir/get", "dir/query", "dir/create", "dir/update", "dir/delete", "dir/template",
}

// ServeHTTP routes /api/v4/ to the Simotel users API, the rest of /api/ to the 2N
// directory API and /_mock/ to the control API (when enabled).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/_mock" || strings.HasPrefix(p, "/_mock/"):
		if !s.cfg.Control {
			writeApacheNotFound(w)
			return
		}
		s.serveControl(w, r)
	case p == "/api/v4" || strings.HasPrefix(p, "/api/v4/"):
		action := strings.TrimPrefix(strings.TrimPrefix(p, "/api/v4"), "/")
		endpoint := simotelActions[action]
		s.serveEndpoint(w, r, familyUsers, endpoint, func(w http.ResponseWriter, r *http.Request) {
			s.serveSimotel(w, r, action, endpoint)
		})
	case p == "/api" || strings.HasPrefix(p, "/api/"):
		endpoint := dirFunctions[strings.TrimPrefix(p, "/api/")]
		s.serveEndpoint(w, r, familyDir, endpoint, func(w http.ResponseWriter, r *http.Request) {
			s.serveDir(w, r, endpoint)
		})
	default:
		writeApacheNotFound(w)
	}
}

// serveEndpoint counts the request, applies the fault rules and then runs handle (which
// moves the count to the challenges when it answers 401, see challenged). Requests to
// unknown endpoints are neither counted nor faulted.
func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, family apiFamily, endpoint string, handle http.HandlerFunc) {
	if endpoint == "" {
		handle(w, r)
		return
	}
	s.mu.Lock()
	s.counts[endpoint]++
	plan := s.planFault(endpoint)
	s.mu.Unlock()

	if plan.delay > 0 {
		// Reading the body to its end lets net/http notice a client that hangs up, which
		// cancels the request context and ends the wait early.
		head, _ := io.ReadAll(io.LimitReader(r.Body, dirBodyLimit+1))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(head), r.Body))
		t := time.NewTimer(plan.delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	switch plan.kind {
	case faultDrop:
		dropConnection(w)
	case faultStatus:
		writeStatusFault(w, family, plan)
	case faultMalformed:
		writeMalformed(w, family)
	case faultHTML:
		writeBadGatewayHTML(w)
	case faultDropAfter:
		handle(discardWriter{header: http.Header{}}, r)
		dropConnection(w)
	default:
		handle(w, r)
	}
}

// Reset wipes users and directory (the directory gets a new series), clears the
// fault rules and the request counts.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.numbers = map[string]*user{}, map[string]int{}
	s.dir.reset(false, s.rng)
	s.faults = nil
	s.counts, s.auth401 = map[string]int{}, map[string]int{}
}

// challenged moves a request of endpoint from the request counts to the challenge counts,
// before its 401 reply is written (a Digest or Basic challenge, or the Simotel API's
// rejection of the credentials): reads are then counted exactly, whatever the
// authentication costs.
func (s *Server) challenged(endpoint string) {
	if endpoint == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[endpoint]--
	s.auth401[endpoint]++
}

// RequestCounts returns how many requests each endpoint received (faulted ones included),
// not counting those answered 401 (see ChallengeCounts). Every endpoint name is present,
// with 0 when it was never called.
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countsOf(s.counts)
}

// ChallengeCounts returns how many requests of each endpoint were answered 401: the
// directory's authentication challenges (a Digest client pays one per new nonce) and the
// Simotel API's credential rejections. Every endpoint name is present.
func (s *Server) ChallengeCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return countsOf(s.auth401)
}

func countsOf(m map[string]int) map[string]int {
	out := make(map[string]int, len(endpointNames))
	for _, name := range endpointNames {
		out[name] = m[name]
	}
	return out
}

// ResetRequestCounts sets every request and challenge count back to zero.
func (s *Server) ResetRequestCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts, s.auth401 = map[string]int{}, map[string]int{}
}

const apacheNotFound = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
`

// writeApacheNotFound answers like the Apache in front of the Simotel API does for an unknown path.
func writeApacheNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(apacheNotFound))
}
