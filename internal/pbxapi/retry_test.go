package pbxapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

const retryUUID = "01234567-89AB-CDEF-0123-456789ABCDEF"

// step answers one scripted request.
type step func(w http.ResponseWriter, r *http.Request)

func status(code int) step {
	return func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, code, "text/plain", "scripted "+strconv.Itoa(code))
	}
}

func statusRetryAfter(code int, after string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", after)
		writeRaw(w, code, "text/plain", "slow down")
	}
}

func drop(w http.ResponseWriter, _ *http.Request) { dropConn(w) }

// scriptServer serves both APIs: the target action answers with script[i]
// on its i-th hit (nil or past the end: a normal answer); every other
// action answers normally. Normal: add returns an _id, search no users,
// update/remove success, dir/get one found entry.
type scriptServer struct {
	srv    *httptest.Server
	target string
	script []step
	hits   map[string]*atomic.Int64

	mu    sync.Mutex
	seq   []string
	times []time.Time // of the target's hits
}

func actionOf(path string) string {
	if path == dirGetPath {
		return "get"
	}
	return strings.TrimPrefix(path, usersPrefix)
}

func newScriptHandler(target string, script ...step) *scriptServer {
	s := &scriptServer{target: target, script: script, hits: map[string]*atomic.Int64{}}
	for _, a := range []string{"add", "search", "update", "remove", "get"} {
		s.hits[a] = new(atomic.Int64)
	}
	return s
}

func newScriptServer(t *testing.T, target string, script ...step) *scriptServer {
	s := newScriptHandler(target, script...)
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scriptServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = mustRead(r)
	action := actionOf(r.URL.Path)
	cnt, ok := s.hits[action]
	if !ok {
		writeRaw(w, 404, "text/plain", "no such path")
		return
	}
	n := int(cnt.Add(1))
	s.mu.Lock()
	s.seq = append(s.seq, action)
	if action == s.target {
		s.times = append(s.times, time.Now())
	}
	s.mu.Unlock()
	if action == s.target && n <= len(s.script) && s.script[n-1] != nil {
		s.script[n-1](w, r)
		return
	}
	switch action {
	case "add":
		writeJSON(w, 200, simotelOK(map[string]any{"_id": "64b558207af75f2cf3788801"}))
	case "search":
		writeJSON(w, 200, map[string]any{"success": 1, "message": "", "data": []any{}})
	case "update", "remove":
		writeJSON(w, 200, simotelOK(""))
	case "get":
		writeRaw(w, 200, "application/json", `{"success":true,"result":{"series":"1","users":[{"uuid":"`+retryUUID+`","timestamp":1}]}}`)
	}
}

func (s *scriptServer) sequence() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seq)
}

type retryOp struct {
	name       string
	idempotent bool
	run        func(ctx context.Context, c *pbxapi.Client) error
}

var retryOps = []retryOp{
	{"search", true, func(ctx context.Context, c *pbxapi.Client) error {
		_, err := c.SearchUsers(ctx, pbxapi.SearchQuery{Number: "101"})
		return err
	}},
	{"add", false, func(ctx context.Context, c *pbxapi.Client) error {
		_, err := c.AddUser(ctx, sampleUser("A", "101", "s"))
		return err
	}},
	{"update", true, func(ctx context.Context, c *pbxapi.Client) error {
		u := sampleUser("A", "101", "s")
		u.ID = "64b558207af75f2cf3788801"
		return c.UpdateUser(ctx, u)
	}},
	{"remove", true, func(ctx context.Context, c *pbxapi.Client) error {
		return c.RemoveUser(ctx, "64b558207af75f2cf3788801")
	}},
	{"get", true, func(ctx context.Context, c *pbxapi.Client) error {
		_, err := c.GetEntries(ctx, []string{retryUUID}, nil)
		return err
	}},
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestRetryPolicy pins which first failures are retried, per operation.
func TestRetryPolicy(t *testing.T) {
	type scenario struct {
		name     string
		first    step
		wantOK   bool
		idemHits int      // hits of an idempotent target
		addSeq   []string // request sequence of AddUser
	}
	scenarios := []scenario{
		{"503", status(503), true, 2, []string{"add", "add"}},
		{"429", status(429), true, 2, []string{"add", "add"}},
		{"502", status(502), true, 2, []string{"add", "search", "add"}},
		{"504", status(504), true, 2, []string{"add", "search", "add"}},
		{"dropped connection", drop, true, 2, []string{"add", "search", "add"}},
		{"500", status(500), false, 1, []string{"add"}},
		{"501", status(501), false, 1, []string{"add"}},
	}
	for _, code := range []int{400, 401, 403, 404, 405, 408, 409, 413, 415, 422} {
		scenarios = append(scenarios, scenario{strconv.Itoa(code), status(code), false, 1, []string{"add"}})
	}
	for _, sc := range scenarios {
		for _, op := range retryOps {
			t.Run(sc.name+"/"+op.name, func(t *testing.T) {
				s := newScriptServer(t, op.name, sc.first)
				err := op.run(testCtx(t), newClient(t, fastConfig(s.srv.URL)))
				if sc.wantOK && err != nil {
					t.Fatalf("error %v, want success after a retry", err)
				}
				if !sc.wantOK {
					var ae *pbxapi.APIError
					if !errors.As(err, &ae) {
						t.Fatalf("error %T %v, want *APIError", err, err)
					}
				}
				got := s.sequence()
				want := repeat(op.name, sc.idemHits)
				if !op.idempotent {
					want = sc.addSeq
				}
				if !slices.Equal(got, want) {
					t.Errorf("requests %v, want %v", got, want)
				}
			})
		}
	}
}

// TestRetryAfterHonoured measures the wait a 429 with Retry-After: 1
// imposes (the only slow test: about one second).
func TestRetryAfterHonoured(t *testing.T) {
	s := newScriptServer(t, "search", statusRetryAfter(429, "1"))
	cfg := fastConfig(s.srv.URL)
	cfg.RetryMaxWait = 5 * time.Second
	if err := retryOps[0].run(testCtx(t), newClient(t, cfg)); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.times) != 2 {
		t.Fatalf("%d hits, want 2", len(s.times))
	}
	if gap := s.times[1].Sub(s.times[0]); gap < 990*time.Millisecond {
		t.Errorf("retried after %v, want >= 1s (Retry-After: 1)", gap)
	}
}

// TestRetryAfterCapped: RetryMaxWait caps a Retry-After of an hour. An
// uncapped wait would hold the call past the watchdog; the capped one takes
// milliseconds.
func TestRetryAfterCapped(t *testing.T) {
	for _, code := range []int{429, 503} {
		for _, after := range []string{"3600", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)} {
			s := newScriptServer(t, "get", statusRetryAfter(code, after))
			cfg := fastConfig(s.srv.URL)
			cfg.RetryMaxWait = 20 * time.Millisecond
			err := callWithin(t, fmt.Sprintf("%d Retry-After %q capped at 20ms", code, after), func() error {
				return retryOps[4].run(context.Background(), newClient(t, cfg))
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := s.hits["get"].Load(); n != 2 {
				t.Errorf("%d hits", n)
			}
		}
	}
}

// watchdog bounds a call that a test expects to end at once (a wait cut
// short, capped or cancelled). What it guards against, a Retry-After of an
// hour waited in full, takes far longer, and no load stretches milliseconds
// to minutes, so the bound cannot flake.
const watchdog = 5 * time.Minute

// callWithin runs call and returns its error, failing the test if it has not
// returned within the watchdog.
func callWithin(t *testing.T, what string, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(watchdog):
		t.Fatalf("%s: the call has not returned after %v", what, watchdog)
		return nil
	}
}

// expiringCtx is a context whose deadline passes when the test calls expire,
// not at a time on the clock.
type expiringCtx struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiringCtx() *expiringCtx {
	return &expiringCtx{Context: context.Background(), done: make(chan struct{})}
}

func (c *expiringCtx) Done() <-chan struct{} { return c.done }

func (c *expiringCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *expiringCtx) expire() { c.once.Do(func() { close(c.done) }) }

func TestRetriesExhausted(t *testing.T) {
	busy := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == dirGetPath {
			// The directory reports its own errors with HTTP 200: a 503 comes
			// from the HTTP layer, without a directory error body.
			writeRaw(w, 503, "text/plain", "503 Service Unavailable")
			return
		}
		writeRaw(w, 503, "application/json", `{"success":0,"message":"PBX is busy, try later","data":null}`)
	}
	for _, op := range retryOps {
		t.Run(op.name, func(t *testing.T) {
			s := newScriptServer(t, op.name, busy, busy, busy, busy, busy)
			cfg := fastConfig(s.srv.URL)
			cfg.MaxRetries = 2
			err := op.run(testCtx(t), newClient(t, cfg))
			var ae *pbxapi.APIError
			if !errors.As(err, &ae) || ae.StatusCode != 503 {
				t.Fatalf("error %v, want an APIError with status 503", err)
			}
			wantMsg := "PBX is busy, try later"
			if op.name == "get" {
				wantMsg = "Service Unavailable: [text/plain] 503 Service Unavailable"
				if ae.Code != "" {
					t.Errorf("code %q, want none", ae.Code)
				}
			}
			if ae.Message != wantMsg {
				t.Errorf("message %q, want %q", ae.Message, wantMsg)
			}
			if got := s.sequence(); !slices.Equal(got, repeat(op.name, 3)) {
				t.Errorf("requests %v, want 3 x %s", got, op.name)
			}
		})
	}
}

func TestNoRetriesWhenNegative(t *testing.T) {
	for _, op := range retryOps {
		for _, first := range []struct {
			name string
			step step
		}{{"503", status(503)}, {"429", status(429)}, {"drop", drop}} {
			s := newScriptServer(t, op.name, first.step)
			cfg := fastConfig(s.srv.URL)
			cfg.MaxRetries = -1
			if err := op.run(testCtx(t), newClient(t, cfg)); err == nil {
				t.Errorf("%s/%s: want an error without retries", op.name, first.name)
			}
			// One request in all: not even the lookup that would resolve a
			// dropped add (AddUser reports the outcome as unknown).
			want := []string{op.name}
			if got := s.sequence(); !slices.Equal(got, want) {
				t.Errorf("%s/%s: requests %v, want %v", op.name, first.name, got, want)
			}
		}
	}
}

// TestDroppedConnectionExhausted: an idempotent call that never gets an
// answer ends with a TransportError that is ambiguous.
func TestDroppedConnectionExhausted(t *testing.T) {
	s := newScriptServer(t, "search", drop, drop, drop)
	cfg := fastConfig(s.srv.URL)
	cfg.MaxRetries = 2
	err := retryOps[0].run(testCtx(t), newClient(t, cfg))
	var te *pbxapi.TransportError
	if !errors.As(err, &te) || !pbxapi.IsAmbiguous(err) || te.Operation != "users/search" {
		t.Fatalf("error %T %v", err, err)
	}
	if n := s.hits["search"].Load(); n != 3 {
		t.Errorf("%d hits, want 3", n)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("error %q does not tell the attempts", err)
	}
}

// TestConnectionRefused: nothing was sent, so every call (add included) is
// retried; the server appears only when the first retry starts.
func TestConnectionRefused(t *testing.T) {
	for _, op := range retryOps {
		t.Run(op.name, func(t *testing.T) {
			port := reservePort(t)
			s := newScriptHandler(op.name)
			srv := httptest.NewUnstartedServer(s)
			_ = srv.Listener.Close()
			var (
				once     sync.Once
				startErr error
			)
			t.Cleanup(srv.Close)
			logs := &logSink{}
			cfg := fastConfig("http://" + port.addr)
			cfg.Logger = func(ctx context.Context, msg string, fields map[string]any) {
				logs.log(ctx, msg, fields)
				if msg == "PBX API retry" {
					once.Do(func() {
						// The port stayed reserved since the refused attempt:
						// nothing else can have taken it.
						l, err := port.listen()
						if err != nil {
							startErr = err
							return
						}
						srv.Listener = l
						srv.Start()
					})
				}
			}
			err := op.run(testCtx(t), newClient(t, cfg))
			if startErr != nil {
				t.Fatalf("listening on the reserved port %s: %v", port.addr, startErr)
			}
			if err != nil {
				t.Fatalf("error %v, want success on the retry", err)
			}
			if got := s.sequence(); !slices.Equal(got, []string{op.name}) {
				t.Errorf("requests %v, want one %s", got, op.name)
			}
			if n := logs.count("PBX API retry"); n != 1 {
				t.Errorf("%d retries logged, want 1", n)
			}
		})
	}

	t.Run("exhausted", func(t *testing.T) {
		for _, op := range retryOps {
			logs := &logSink{}
			cfg := fastConfig("http://" + closedAddr(t))
			cfg.MaxRetries = 2
			cfg.Logger = logs.log
			err := op.run(testCtx(t), newClient(t, cfg))
			var te *pbxapi.TransportError
			if !errors.As(err, &te) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("%s: error %T %v, want a TransportError for ECONNREFUSED", op.name, err, err)
			}
			if pbxapi.IsAmbiguous(err) {
				t.Errorf("%s: a refused connection is not ambiguous", op.name)
			}
			if n := logs.count("PBX API retry"); n != 2 {
				t.Errorf("%s: %d retries, want 2", op.name, n)
			}
			if n := logs.count("PBX API request"); n != 1 {
				t.Errorf("%s: %d first attempts logged, want 1 (no lookup after a refused add)", op.name, n)
			}
		}
	})
}

func TestContextCancelDuringBackoff(t *testing.T) {
	for _, op := range retryOps {
		t.Run(op.name+"/deadline", func(t *testing.T) {
			t.Parallel()
			slow := statusRetryAfter(503, "3600")
			s := newScriptServer(t, op.name, slow, slow, slow)
			cfg := fastConfig(s.srv.URL)
			cfg.RetryMaxWait = 2 * time.Hour
			// The deadline passes when the 503 has arrived: the client is
			// about to wait an hour, and must stop waiting at once.
			ctx := newExpiringCtx()
			cfg.Logger = func(_ context.Context, msg string, _ map[string]any) {
				if msg == "PBX API response" {
					ctx.expire()
				}
			}
			err := callWithin(t, op.name+" waiting an hour past its deadline", func() error {
				return op.run(ctx, newClient(t, cfg))
			})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want context.DeadlineExceeded", err)
			}
			if n := s.hits[op.name].Load(); n != 1 {
				t.Errorf("%d hits, want 1", n)
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		s := newScriptServer(t, "get", statusRetryAfter(429, "3600"))
		cfg := fastConfig(s.srv.URL)
		cfg.RetryMaxWait = 2 * time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Cancelled when the 429 has arrived: the client is about to wait an hour.
		cfg.Logger = func(_ context.Context, msg string, _ map[string]any) {
			if msg == "PBX API response" {
				cancel()
			}
		}
		err := callWithin(t, "dir/get waiting an hour after a cancel", func() error {
			return retryOps[4].run(ctx, newClient(t, cfg))
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if !strings.Contains(err.Error(), "dir/get") {
			t.Errorf("error %q does not name the operation", err)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		s := newScriptServer(t, "search")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, op := range retryOps {
			if err := op.run(ctx, newClient(t, fastConfig(s.srv.URL))); !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v", op.name, err)
			}
		}
		if got := s.sequence(); len(got) != 0 {
			t.Errorf("requests %v sent with a cancelled context", got)
		}
	})
}

// TestRequestTimeout: a hanging idempotent call times out per attempt and
// is retried.
func TestRequestTimeout(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	s := newScriptServer(t, "search", hang)
	cfg := fastConfig(s.srv.URL)
	cfg.RequestTimeout = time.Second // the hang is endless; each attempt has a second
	if err := retryOps[0].run(testCtx(t), newClient(t, cfg)); err != nil {
		t.Fatal(err)
	}
	// The hang was cut by the timeout and retried. (On a loaded machine the
	// retry may need more than its second too, and be retried again.)
	if n := s.hits["search"].Load(); n < 2 {
		t.Errorf("%d hits, want the hanging attempt and at least one retry", n)
	}
}

func ExampleIsAmbiguous() {
	err := &pbxapi.APIError{Operation: "users/add", StatusCode: 502}
	fmt.Println(pbxapi.IsAmbiguous(err), pbxapi.IsAmbiguous(&pbxapi.APIError{StatusCode: 503}))
	// Output: true false
}
