package pbxapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

const (
	dirUser = "door-api"
	dirPass = "Door-Pw-leakcheck"
	// realBasicChallenge is what a 2N intercom set to Basic sends (RFC 2617).
	realBasicChallenge = `Basic realm="2N Intercom"`
)

// dirBasicToken is dirPass as it travels in a Basic header.
var dirBasicToken = base64.StdEncoding.EncodeToString([]byte(dirUser + ":" + dirPass))

// authServer is an intercom whose HTTP API answers every unauthenticated
// request with a 401 carrying the challenges in offers (one WWW-Authenticate
// header each, in order) and accepts the right Basic or Digest credentials
// when it offers that scheme.
//
// An offer is "basic" (a 2N Basic challenge), "digest" (a fresh MD5 Digest
// challenge), "basic+digest" (both in one header, Basic first), or a literal
// challenge (e.g. "NTLM").
type authServer struct {
	user, pass   string // the account: dirUser, dirPass unless a test changes it
	offers       []string
	acceptBasic  bool
	acceptDigest bool
	ds           digestNonces
	get          *echoDir     // the API behind the authentication
	next         http.Handler // serves authenticated requests (get unless a test changes it)

	// before and after, if set, run at the start and the end of each
	// request.
	before, after func(r *http.Request)

	unauthorized atomic.Int64 // 401s sent
	requests     atomic.Int64

	mu      sync.Mutex
	schemes []string // scheme of each request's Authorization header, "" without one
}

func newAuthServer(offers ...string) *authServer {
	s := &authServer{user: dirUser, pass: dirPass, get: &echoDir{}}
	s.next = s.get
	s.setOffers(offers...)
	return s
}

// setOffers changes what the server asks for from now on.
func (s *authServer) setOffers(offers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offers = offers
	s.acceptBasic, s.acceptDigest = false, false
	for _, o := range offers {
		s.acceptBasic = s.acceptBasic || strings.Contains(o, "basic")
		s.acceptDigest = s.acceptDigest || strings.Contains(o, "digest")
	}
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.before != nil {
		s.before(r)
	}
	if s.after != nil {
		defer s.after(r)
	}
	h := r.Header.Get("Authorization")
	scheme, _, _ := strings.Cut(h, " ")
	scheme = strings.ToLower(scheme)
	s.mu.Lock()
	s.schemes = append(s.schemes, scheme)
	offers, acceptBasic, acceptDigest := s.offers, s.acceptBasic, s.acceptDigest
	s.mu.Unlock()
	switch {
	case scheme == "basic" && acceptBasic:
		if u, p, ok := r.BasicAuth(); ok && u == s.user && p == s.pass {
			s.next.ServeHTTP(w, r)
			return
		}
	case scheme == "digest" && acceptDigest:
		if s.ds.verify(r, s.user, s.pass) == "" {
			s.next.ServeHTTP(w, r)
			return
		}
	}
	_, _ = io.Copy(io.Discard, r.Body)
	for _, o := range offers {
		switch o {
		case "basic":
			w.Header().Add("WWW-Authenticate", realBasicChallenge)
		case "digest":
			w.Header().Add("WWW-Authenticate", s.ds.challenge())
		case "basic+digest":
			w.Header().Add("WWW-Authenticate", realBasicChallenge+", "+s.ds.challenge())
		default:
			w.Header().Add("WWW-Authenticate", o)
		}
	}
	s.unauthorized.Add(1)
	writeRaw(w, http.StatusUnauthorized, "application/json", `{"success":false,"error":{"code":9,"description":"authorization required"}}`)
}

// sentSchemes lists the Authorization schemes received so far.
func (s *authServer) sentSchemes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.schemes...)
}

// dirTestServer serves s over plain HTTP or HTTPS and returns a client
// configuration for it with the directory credentials and setting.
func dirTestServer(t *testing.T, s http.Handler, tls bool, setting pbxapi.DirectoryAuth) pbxapi.Config {
	t.Helper()
	srv := httptest.NewUnstartedServer(s)
	if tls {
		// Closing the server mid-handshake of an idle connection is logged:
		// not a test failure.
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	cfg := fastConfig(srv.URL)
	if tls {
		cfg.Transport = srv.Client().Transport
	}
	cfg.Directory = pbxapi.DirectoryConfig{Username: dirUser, Password: dirPass, Auth: setting}
	return cfg
}

var testUUIDs = []string{"01234567-89AB-CDEF-0123-456789ABCDEF"}

// Outcomes in the decision table.
const (
	useBasic     = "basic"                // answered with Basic, works
	useDigest    = "digest"               // answered with Digest, works
	refuseHTTP   = "refuse Basic on HTTP" // DirectoryAuthError: Basic over plain HTTP
	refuseDigest = "refuse Basic, digest" // DirectoryAuthError: explicit digest, Basic offered
	unsupported  = "unsupported"          // DirectoryAuthError: nothing the client can answer
	device401    = "device's 401"         // APIError from the device's own 401 body
)

// TestDirectoryAuthDecisionTable runs the client against an intercom for
// every challenge × connection × setting: what is sent, what works, what is
// refused and how.
func TestDirectoryAuthDecisionTable(t *testing.T) {
	const auto, unset = pbxapi.DirectoryAuthAuto, pbxapi.DirectoryAuth("")
	basic, digest, none := pbxapi.DirectoryAuthBasic, pbxapi.DirectoryAuthDigest, pbxapi.DirectoryAuthNone
	tests := []struct {
		offers      []string
		setting     pbxapi.DirectoryAuth
		http, https string
	}{
		// A 2N intercom set to Basic.
		{[]string{"basic"}, unset, refuseHTTP, useBasic},
		{[]string{"basic"}, auto, refuseHTTP, useBasic},
		{[]string{"basic"}, basic, useBasic, useBasic},
		{[]string{"basic"}, digest, refuseDigest, refuseDigest},
		{[]string{"basic"}, none, device401, device401},
		// Set to Digest (the device default).
		{[]string{"digest"}, unset, useDigest, useDigest},
		{[]string{"digest"}, auto, useDigest, useDigest},
		{[]string{"digest"}, basic, useDigest, useDigest},
		{[]string{"digest"}, digest, useDigest, useDigest},
		{[]string{"digest"}, none, device401, device401},
		// Both offered, Basic first: Digest wins (explicit basic already
		// sent Basic, which is accepted).
		{[]string{"basic", "digest"}, unset, useDigest, useDigest},
		{[]string{"basic", "digest"}, digest, useDigest, useDigest},
		{[]string{"basic", "digest"}, basic, useBasic, useBasic},
		{[]string{"basic+digest"}, unset, useDigest, useDigest},
		{[]string{"basic+digest"}, digest, useDigest, useDigest},
		// Schemes the client does not speak, alone or beside Basic.
		{[]string{"NTLM"}, unset, unsupported, unsupported},
		{[]string{"NTLM"}, digest, unsupported, unsupported},
		{[]string{"NTLM"}, basic, unsupported, unsupported},
		{[]string{`Digest realm="2N", nonce="n1", algorithm=SHA-1`}, unset, unsupported, unsupported},
		{[]string{`Digest realm="2N", nonce="n1", algorithm=SHA-1`, "basic"}, unset, refuseHTTP, useBasic},
		{[]string{"Negotiate", "basic"}, unset, refuseHTTP, useBasic},
		// A 401 without a challenge is the device's answer.
		{nil, unset, device401, device401},
		{nil, digest, device401, device401},
		{nil, basic, device401, device401},
	}
	for _, tc := range tests {
		for _, tls := range []bool{false, true} {
			want, proto := tc.http, "http"
			if tls {
				want, proto = tc.https, "https"
			}
			name := fmt.Sprintf("%s/offers %s/setting %q", proto, strings.Join(tc.offers, ","), tc.setting)
			t.Run(name, func(t *testing.T) {
				s := newAuthServer(tc.offers...)
				logs := &logSink{}
				cfg := dirTestServer(t, s, tls, tc.setting)
				cfg.Logger = logs.log
				c := newClient(t, cfg)
				res, err := c.GetEntries(testCtx(t), testUUIDs, []string{"name"})
				switch want {
				case useBasic, useDigest:
					if err != nil || res.Series != "77" || len(res.Entries) != 1 {
						t.Fatalf("GetEntries: %+v, %v", res, err)
					}
					// The scheme is remembered: no further 401.
					before := s.unauthorized.Load()
					if before > 1 {
						t.Errorf("%d challenges for the first request, want at most 1", before)
					}
					for range 2 {
						if _, err := c.GetEntries(testCtx(t), testUUIDs, []string{"name"}); err != nil {
							t.Fatalf("later GetEntries: %v", err)
						}
					}
					if n := s.unauthorized.Load(); n != before {
						t.Errorf("later requests were challenged again (%d → %d 401s)", before, n)
					}
					if got := s.sentSchemes(); got[len(got)-1] != want {
						t.Errorf("last request authenticated with %q, want %q (all: %q)", got[len(got)-1], want, got)
					}
					if tc.setting != basic && want == useBasic {
						if !logged(logs, "PBX directory authentication", "scheme:basic") {
							t.Errorf("the chosen scheme was not logged: %q", logs.all())
						}
					}
					s.get.mu.Lock()
					for _, b := range s.get.bodies {
						assertJSONEqual(t, []byte(b), []byte(`{"fields":["name"],"users":[{"uuid":"`+testUUIDs[0]+`"}]}`))
					}
					s.get.mu.Unlock()
				case device401:
					var ae *pbxapi.APIError
					if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "9" || !strings.Contains(ae.Message, "authorization required") {
						t.Fatalf("error %v (%T), want the device's 401 with code 9", err, err)
					}
				default:
					var ae *pbxapi.DirectoryAuthError
					if !errors.As(err, &ae) {
						t.Fatalf("error %v (%T), want a DirectoryAuthError", err, err)
					}
					endpoint := cfg.Endpoint + "/api/dir/get"
					if ae.Operation != "dir/get" || ae.Endpoint != endpoint {
						t.Errorf("operation %q endpoint %q, want dir/get %s", ae.Operation, ae.Endpoint, endpoint)
					}
					if pbxapi.IsAmbiguous(err) {
						t.Error("a refused challenge is reported as ambiguous")
					}
					wantText := map[string][]string{
						refuseHTTP:   {"dir/get (" + endpoint + ")", "asks for HTTP Basic authentication over plain HTTP", "https://", `directory.auth = "basic"`, "PBX_DIRECTORY_AUTH=basic"},
						refuseDigest: {"dir/get (" + endpoint + ")", "asks for HTTP Basic authentication", `directory.auth is "digest"`, "never falls back to Basic", `directory.auth = "basic"`},
						unsupported:  {"dir/get (" + endpoint + ")", "cannot answer", "offered: "},
					}[want]
					if want == unsupported {
						// The error names what the intercom offered.
						wantText = append(wantText, strings.Fields(tc.offers[0])[0])
					}
					for _, w := range wantText {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("error %q does not contain %q", err, w)
						}
					}
				}
				if want != useBasic && want != useDigest {
					// Refused or rejected: one request, not retried, and no
					// Basic password sent unless configured explicitly.
					if n := s.requests.Load(); n != 1 {
						t.Errorf("%d requests, want 1", n)
					}
					if tc.setting != basic {
						for _, sch := range s.sentSchemes() {
							if sch == "basic" {
								t.Error("Basic credentials were sent without directory.auth = basic")
							}
						}
					}
					assertNoSecrets(t, "error", err.Error(), dirPass, dirBasicToken)
				}
				assertNoSecrets(t, "log", strings.Join(logs.all(), "\n"), dirPass, dirBasicToken)
			})
		}
	}
}

// logged reports whether a log line starts with msg and contains all parts.
func logged(l *logSink, msg string, parts ...string) bool {
	for _, line := range l.all() {
		if !strings.HasPrefix(line, msg) {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestDirectoryUnansweredChallengeKeepsBody pins the root cause of
// "reading response: http: read on closed response body": the digest
// transport drained and closed a 401 it could not answer (a Basic-only or
// challenge-less one) and still returned it. A 401 the client does not answer
// must reach the decoder intact, as the device's error.
func TestDirectoryUnansweredChallengeKeepsBody(t *testing.T) {
	for _, tc := range []struct {
		name       string
		offers     []string
		tls        bool
		setting    pbxapi.DirectoryAuth
		user, pass string
		requests   int64 // a 401 to an answer is final: never retried
	}{
		{"no challenge, auto", nil, false, "", dirUser, dirPass, 1},
		{"no challenge, digest", nil, false, pbxapi.DirectoryAuthDigest, dirUser, dirPass, 1},
		{"Basic over https, wrong password", []string{"basic"}, true, "", dirUser, "wrong-" + dirPass, 2},
		{"explicit Basic, wrong password", []string{"basic"}, false, pbxapi.DirectoryAuthBasic, dirUser, "wrong-" + dirPass, 1},
		{"Digest, wrong password", []string{"digest"}, false, "", dirUser, "wrong-" + dirPass, 2},
		{"Digest, wrong user", []string{"digest"}, false, "", "nobody", dirPass, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newAuthServer(tc.offers...)
			cfg := dirTestServer(t, s, tc.tls, tc.setting)
			cfg.Directory.Username, cfg.Directory.Password = tc.user, tc.pass
			_, err := newClient(t, cfg).GetEntries(testCtx(t), testUUIDs, nil)
			var ae *pbxapi.APIError
			if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "9" || ae.Message != "authorization required" || !ae.IsAuth() {
				t.Fatalf("error %v (%T), want the device's 401: error code 9, authorization required", err, err)
			}
			var te *pbxapi.TransportError
			if errors.As(err, &te) || strings.Contains(err.Error(), "closed") {
				t.Errorf("transport error %v", err)
			}
			if n := s.requests.Load(); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			assertNoSecrets(t, "error", err.Error(), tc.pass, dirPass)
		})
	}
}

// TestDirectoryAuthForgedDowngrade: once Digest is in use over plain HTTP, a
// 401 that asks for Basic only (a forged or changed challenge) is refused
// without sending the password.
func TestDirectoryAuthForgedDowngrade(t *testing.T) {
	s := newAuthServer("digest")
	c := newClient(t, dirTestServer(t, s, false, ""))
	if _, err := c.GetEntries(testCtx(t), testUUIDs, nil); err != nil {
		t.Fatal(err)
	}
	s.setOffers("basic")
	_, err := c.GetEntries(testCtx(t), testUUIDs, nil)
	var ae *pbxapi.DirectoryAuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "over plain HTTP") {
		t.Fatalf("error %v, want the Basic-over-HTTP refusal", err)
	}
	if got := s.sentSchemes(); strings.Contains(strings.Join(got, ","), "basic") {
		t.Errorf("Basic credentials sent: %q", got)
	}
}

// TestDirectoryAuthStaleNonce: when the intercom forgets its nonces (restart,
// expiry), the next request answers the new challenge within the same call.
func TestDirectoryAuthStaleNonce(t *testing.T) {
	s := newAuthServer("digest")
	c := newClient(t, dirTestServer(t, s, false, ""))
	for i := range 3 {
		if i == 2 {
			s.ds.forget()
		}
		if _, err := c.GetEntries(testCtx(t), testUUIDs, []string{"name"}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := s.unauthorized.Load(); n != 2 {
		t.Errorf("%d challenges, want 2 (first request, forgotten nonce)", n)
	}
}

// TestDirectoryAuthConcurrent: concurrent requests each succeed with at
// most one challenge, also against a device that refuses nonce counts out of
// order (as digestNonces does); afterwards the scheme is remembered. Run with
// -race.
func TestDirectoryAuthConcurrent(t *testing.T) {
	for _, tc := range []struct {
		offer string
		tls   bool
	}{{"digest", false}, {"basic", true}} {
		t.Run(tc.offer, func(t *testing.T) {
			const workers, waves = 16, 3
			s := newAuthServer(tc.offer)
			c := newClient(t, dirTestServer(t, s, tc.tls, ""))
			ctx := testCtx(t)
			for wave := range waves {
				var wg sync.WaitGroup
				errs := make(chan error, workers)
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := c.GetEntries(ctx, testUUIDs, []string{"name"}); err != nil {
							errs <- err
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Errorf("wave %d: %v", wave, err)
				}
			}
			// One request negotiates while the others wait; with Digest, this
			// server (strict about nonce counts arriving in order) may
			// challenge again a request overtaken by a higher count.
			if n, limit := s.unauthorized.Load(), int64(workers*waves); n < 1 || n > limit || (tc.offer == "basic" && n != 1) {
				t.Errorf("%d challenges for %d requests, want 1 (Basic) or 1 to %d (Digest)", n, limit, limit)
			}
			if n, limit := s.requests.Load(), int64(2*workers*waves); n > limit {
				t.Errorf("%d HTTP requests for %d calls, want at most %d", n, workers*waves, limit)
			}
			before := s.unauthorized.Load()
			if _, err := c.GetEntries(ctx, testUUIDs, nil); err != nil {
				t.Fatal(err)
			}
			if n := s.unauthorized.Load(); n != before {
				t.Errorf("a request after the concurrent ones was challenged (%d → %d)", before, n)
			}
		})
	}
}

// TestDirectoryAuthAnswerNotOvertaken: a fresh Digest challenge is shared
// with other requests only once its answer is done. Otherwise a concurrent
// request reuses the nonce with count 2, overtakes the answer's count 1, and
// a device that refuses counts out of order (as digestNonces does) fails the
// first call. The answer is held until the second call's first request has
// been handled, so the order is forced.
func TestDirectoryAuthAnswerNotOvertaken(t *testing.T) {
	s := newAuthServer("digest")
	answering, release := make(chan struct{}), make(chan struct{})
	var held, released atomic.Bool
	s.before = func(r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Digest ") && held.CompareAndSwap(false, true) {
			close(answering)
			select {
			case <-release:
			case <-r.Context().Done(): // the client gave up: let the test report it
			}
		}
	}
	cfg := dirTestServer(t, s, false, "")
	cfg.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if call, _ := r.Context().Value(callKey{}).(string); call != "" {
			r = r.Clone(r.Context())
			r.Header.Set("X-Test-Call", call)
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	c := newClient(t, cfg)
	ctx := testCtx(t)
	first := make(chan error, 1)
	go func() {
		_, err := c.GetEntries(context.WithValue(ctx, callKey{}, "first"), testUUIDs, nil)
		first <- err
	}()
	select {
	case <-answering:
	case err := <-first:
		t.Fatalf("the first call ended before answering the challenge: %v", err)
	}
	// The second call starts while the answer is held: it waits for the
	// negotiation (or, if it is sent, must not overtake the answer's count).
	second := make(chan error, 1)
	go func() {
		_, err := c.GetEntries(context.WithValue(ctx, callKey{}, "second"), testUUIDs, nil)
		second <- err
	}()
	if released.CompareAndSwap(false, true) {
		close(release)
	}
	if err := <-second; err != nil {
		t.Errorf("second call: %v", err)
	}
	if n := s.unauthorized.Load(); n != 1 {
		t.Errorf("%d challenges, want 1", n)
	}
	if err := <-first; err != nil {
		t.Errorf("first call: %v", err)
	}
}

type callKey struct{}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDirectoryAuthCredentialsStayOnHost: after a redirect to another host,
// neither Basic nor Digest credentials follow, even when that host
// challenges.
func TestDirectoryAuthCredentialsStayOnHost(t *testing.T) {
	for _, setting := range []pbxapi.DirectoryAuth{"", pbxapi.DirectoryAuthBasic, pbxapi.DirectoryAuthDigest} {
		t.Run(fmt.Sprintf("setting %q", setting), func(t *testing.T) {
			other := newAuthServer("basic", "digest")
			otherSrv := httptest.NewServer(other)
			defer otherSrv.Close()
			// The directory accepts Basic and Digest, then redirects.
			s := newAuthServer("basic", "digest")
			s.next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, otherSrv.URL+r.URL.Path, http.StatusTemporaryRedirect)
			})
			c := newClient(t, dirTestServer(t, s, false, setting))
			_, err := c.GetEntries(testCtx(t), testUUIDs, nil)
			if err == nil {
				t.Fatal("the redirect target answered without credentials")
			}
			if got := other.sentSchemes(); len(got) == 0 || strings.Join(got, "") != "" {
				t.Errorf("the redirect target received Authorization schemes %q", got)
			}
		})
	}
}
