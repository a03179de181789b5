package pbxapi_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
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

// headerRecorder is a server that records the headers and path of every
// request and answers with an empty success for both APIs.
type headerRecorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.reqs = append(h.reqs, r.Clone(r.Context()))
	h.mu.Unlock()
	if strings.Contains(r.URL.Path, "/dir/") {
		writeRaw(w, http.StatusOK, "application/json", `{"success":true,"result":{"series":"1","users":[]}}`)
		return
	}
	writeRaw(w, http.StatusOK, "application/json", `{"success":1,"message":"","data":[]}`)
}

func (h *headerRecorder) last(t *testing.T) *http.Request {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		t.Fatal("no request received")
	}
	return h.reqs[len(h.reqs)-1]
}

func TestAuthModeHeaders(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))
	tests := []struct {
		name      string
		mode      pbxapi.AuthMode
		user, pw  string
		key       string
		wantAuth  string
		wantKey   string
		wantCount int // number of auth headers
	}{
		{"basic", pbxapi.AuthBasic, "admin", "pw", "", basic, "", 1},
		{"basic ignores a key", pbxapi.AuthBasic, "admin", "pw", "k1", basic, "", 1},
		{"token", pbxapi.AuthToken, "", "", "k1", "", "k1", 1},
		{"token ignores a username", pbxapi.AuthToken, "admin", "pw", "k1", "", "k1", 1},
		{"both", pbxapi.AuthBoth, "admin", "pw", "k1", basic, "k1", 2},
		{"inferred both", "", "admin", "pw", "k1", basic, "k1", 2},
		{"inferred token", "", "", "", "k1", "", "k1", 1},
		{"inferred basic", "", "admin", "pw", "", basic, "", 1},
		{"seed credentials", pbxapi.AuthBoth, testUser, testPass, testKey, goldenAuth, testKey, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &headerRecorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			cfg := fastConfig(srv.URL)
			cfg.AuthMode, cfg.Username, cfg.Password, cfg.APIKey = tt.mode, tt.user, tt.pw, tt.key
			c := newClient(t, cfg)
			if _, err := c.SearchUsers(testCtx(t), pbxapi.SearchQuery{}); err != nil {
				t.Fatal(err)
			}
			r := rec.last(t)
			if got := r.Header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization %q, want %q", got, tt.wantAuth)
			}
			if got := r.Header.Get("X-APIKEY"); got != tt.wantKey {
				t.Errorf("X-APIKEY %q, want %q", got, tt.wantKey)
			}
			if got := len(r.Header.Values("Authorization")) + len(r.Header.Values("X-APIKEY")); got != tt.wantCount {
				t.Errorf("%d auth header values, want %d", got, tt.wantCount)
			}
		})
	}
}

func TestInferAuthMode(t *testing.T) {
	tests := []struct {
		user, key string
		want      pbxapi.AuthMode
	}{
		{"u", "k", pbxapi.AuthBoth},
		{"", "k", pbxapi.AuthToken},
		{"u", "", pbxapi.AuthBasic},
		{"", "", pbxapi.AuthBasic},
	}
	for _, tt := range tests {
		if got := pbxapi.InferAuthMode(tt.user, tt.key); got != tt.want {
			t.Errorf("InferAuthMode(%q, %q) = %q, want %q", tt.user, tt.key, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	const pw = "Hunter2-Pass-xyz"
	ok := pbxapi.Config{Endpoint: "http://pbx.example", Username: "u", Password: "p"}
	tests := []struct {
		name    string
		mutate  func(*pbxapi.Config)
		wantSub string
	}{
		{"no endpoint", func(c *pbxapi.Config) { c.Endpoint = "" }, "no endpoint"},
		{"no scheme", func(c *pbxapi.Config) { c.Endpoint = "pbx.example" }, "http"},
		{"ftp scheme", func(c *pbxapi.Config) { c.Endpoint = "ftp://pbx.example" }, "http"},
		{"no host", func(c *pbxapi.Config) { c.Endpoint = "http:///api/v4" }, "no host"},
		{"bad port", func(c *pbxapi.Config) { c.Endpoint = "http://pbx.example:port/" }, "not a URL"},
		{"query", func(c *pbxapi.Config) { c.Endpoint = "http://pbx.example/?a=1" }, "query"},
		{"fragment", func(c *pbxapi.Config) { c.Endpoint = "http://pbx.example/#x" }, "fragment"},
		{"credentials in endpoint", func(c *pbxapi.Config) { c.Endpoint = "http://admin:" + pw + "@pbx.example/" }, "credentials"},
		{"credentials in unparsable endpoint", func(c *pbxapi.Config) { c.Endpoint = "http://admin:" + pw + "@pbx.example:bad/" }, "not a URL"},
		{"credentials with space in host", func(c *pbxapi.Config) { c.Endpoint = "http://admin:" + pw + "@pbx example/" }, "not a URL"},
		{"credentials in directory endpoint", func(c *pbxapi.Config) { c.Directory.Endpoint = "https://admin:" + pw + "@door.example" }, "directory endpoint"},
		{"unparsable directory endpoint", func(c *pbxapi.Config) { c.Directory.Endpoint = "https://admin:" + pw + "@door:x" }, "directory endpoint"},
		{"basic without password", func(c *pbxapi.Config) { c.Password = "" }, "password"},
		{"basic without username", func(c *pbxapi.Config) { c.Username = ""; c.AuthMode = pbxapi.AuthBasic }, "username"},
		{"no credentials at all", func(c *pbxapi.Config) { c.Username, c.Password = "", "" }, "username"},
		{"token without key", func(c *pbxapi.Config) { c.AuthMode = pbxapi.AuthToken }, "API key"},
		{"both without key", func(c *pbxapi.Config) { c.AuthMode = pbxapi.AuthBoth }, "API key"},
		{"both without password", func(c *pbxapi.Config) { c.AuthMode, c.APIKey, c.Password = pbxapi.AuthBoth, "k", "" }, "password"},
		{"unknown mode", func(c *pbxapi.Config) { c.AuthMode = "digest" }, "unknown auth mode"},
		{"unknown directory auth", func(c *pbxapi.Config) { c.Directory.Auth = "ntlm" }, "unknown directory auth"},
		{"directory basic without username", func(c *pbxapi.Config) {
			c.AuthMode, c.Username, c.Password, c.APIKey, c.Directory.Auth = pbxapi.AuthToken, "", "", "k", pbxapi.DirectoryAuthBasic
		}, "username"},
		{"directory digest without username", func(c *pbxapi.Config) {
			c.AuthMode, c.Username, c.Password, c.APIKey, c.Directory.Auth = pbxapi.AuthToken, "", "", "k", pbxapi.DirectoryAuthDigest
		}, "username"},
		{"invalid CA PEM", func(c *pbxapi.Config) {
			c.CACertPEM = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
		}, "PEM"},
		{"CA not PEM at all", func(c *pbxapi.Config) { c.CACertPEM = "hello" }, "PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			c, err := pbxapi.New(cfg)
			if err == nil {
				t.Fatalf("New succeeded (%v), want an error", c)
			}
			if c != nil {
				t.Error("New returned a client with its error")
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("error %q does not mention %q", err, tt.wantSub)
			}
			assertNoSecrets(t, "New error", err.Error(), pw)
		})
	}
	if _, err := pbxapi.New(ok); err != nil {
		t.Fatalf("the base config must be valid: %v", err)
	}
}

func TestBaseURLs(t *testing.T) {
	tests := []struct {
		endpoint  string // appended to the server URL
		dirEP     string // directory endpoint appended to the server URL; "" = default
		wantUsers string
		wantDir   string
	}{
		{"", "", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"/", "", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"/api/v4", "", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"/api/v4/", "", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"/pbx", "", "/pbx/api/v4/pbx/users/search", "/pbx/api/dir/get"},
		{"/pbx/", "", "/pbx/api/v4/pbx/users/search", "/pbx/api/dir/get"},
		{"/pbx/api/v4//", "", "/pbx/api/v4/pbx/users/search", "/pbx/api/dir/get"},
		{"", "/", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"", "/api", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"", "/api/", "/api/v4/pbx/users/search", "/api/dir/get"},
		{"/api/v4", "/door", "/api/v4/pbx/users/search", "/door/api/dir/get"},
		{"/api/v4", "/door/api", "/api/v4/pbx/users/search", "/door/api/dir/get"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+"|"+tt.dirEP, func(t *testing.T) {
			rec := &headerRecorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			cfg := fastConfig(srv.URL + tt.endpoint)
			if tt.dirEP != "" {
				cfg.Directory.Endpoint = srv.URL + tt.dirEP
			}
			c := newClient(t, cfg)
			if _, err := c.SearchUsers(testCtx(t), pbxapi.SearchQuery{}); err != nil {
				t.Fatal(err)
			}
			if got := rec.last(t).URL.Path; got != tt.wantUsers {
				t.Errorf("users path %q, want %q", got, tt.wantUsers)
			}
			if _, err := c.GetEntries(testCtx(t), nil, nil); err != nil {
				t.Fatal(err)
			}
			if got := rec.last(t).URL.Path; got != tt.wantDir {
				t.Errorf("directory path %q, want %q", got, tt.wantDir)
			}
		})
	}
}

// TestDirectorySeparateHost: the directory may live on another host with
// its own credentials; neither API gets the other's.
func TestDirectorySeparateHost(t *testing.T) {
	pbxRec, dirRec := &headerRecorder{}, &headerRecorder{}
	pbxSrv, dirSrv := httptest.NewServer(pbxRec), httptest.NewServer(dirRec)
	defer pbxSrv.Close()
	defer dirSrv.Close()
	cfg := fastConfig(pbxSrv.URL)
	cfg.Directory = pbxapi.DirectoryConfig{Endpoint: dirSrv.URL, Username: "door", Password: "doorpw", Auth: pbxapi.DirectoryAuthBasic}
	c := newClient(t, cfg)
	ctx := testCtx(t)
	if _, err := c.SearchUsers(ctx, pbxapi.SearchQuery{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetEntries(ctx, []string{}, nil); err != nil {
		t.Fatal(err)
	}
	if r := pbxRec.last(t); r.Header.Get("Authorization") != goldenAuth || r.Header.Get("X-APIKEY") != testKey {
		t.Errorf("PBX headers %v", r.Header)
	}
	r := dirRec.last(t)
	if u, p, ok := r.BasicAuth(); !ok || u != "door" || p != "doorpw" {
		t.Errorf("directory basic auth %q %q %v, want door/doorpw", u, p, ok)
	}
	if r.Header.Get("X-APIKEY") != "" {
		t.Error("the PBX API key was sent to the directory")
	}
	if r.URL.Path != dirGetPath {
		t.Errorf("directory path %q", r.URL.Path)
	}
}

func TestUserAgentAndAccept(t *testing.T) {
	for _, ua := range []string{"", "terraform-provider-pbx/1.2.3 (test)"} {
		rec := &headerRecorder{}
		srv := httptest.NewServer(rec)
		cfg := fastConfig(srv.URL)
		cfg.UserAgent = ua
		c := newClient(t, cfg)
		want := ua
		if want == "" {
			want = "terraform-provider-pbx"
		}
		ctx := testCtx(t)
		if _, err := c.SearchUsers(ctx, pbxapi.SearchQuery{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetEntries(ctx, []string{}, nil); err != nil {
			t.Fatal(err)
		}
		rec.mu.Lock()
		for _, r := range rec.reqs {
			if got := r.Header.Get("User-Agent"); got != want {
				t.Errorf("%s: User-Agent %q, want %q", r.URL.Path, got, want)
			}
			if got := r.Header.Get("Accept"); got != "application/json" {
				t.Errorf("%s: Accept %q", r.URL.Path, got)
			}
		}
		if len(rec.reqs) != 2 {
			t.Errorf("%d requests, want 2", len(rec.reqs))
		}
		rec.mu.Unlock()
		srv.Close()
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(&headerRecorder{})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	defer srv.Close()
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	t.Run("unknown CA fails without retry", func(t *testing.T) {
		logs := &logSink{}
		cfg := fastConfig(srv.URL)
		cfg.Logger = logs.log
		_, err := newClient(t, cfg).SearchUsers(testCtx(t), pbxapi.SearchQuery{})
		if err == nil {
			t.Fatal("want a certificate error")
		}
		var te *pbxapi.TransportError
		if !errors.As(err, &te) {
			t.Errorf("error %T %v, want *TransportError", err, err)
		}
		if !strings.Contains(err.Error(), "certificate") {
			t.Errorf("error %q does not mention the certificate", err)
		}
		if n := logs.count("PBX API retry"); n != 0 {
			t.Errorf("a TLS verification failure was retried %d times", n)
		}
		if pbxapi.IsAmbiguous(err) {
			t.Error("a TLS verification failure is not ambiguous: nothing was sent")
		}
	})
	t.Run("CA PEM", func(t *testing.T) {
		cfg := fastConfig(srv.URL)
		cfg.CACertPEM = certPEM
		c := newClient(t, cfg)
		if _, err := c.SearchUsers(testCtx(t), pbxapi.SearchQuery{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetEntries(testCtx(t), []string{}, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		cfg := fastConfig(srv.URL)
		cfg.InsecureSkipVerify = true
		if _, err := newClient(t, cfg).SearchUsers(testCtx(t), pbxapi.SearchQuery{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLoggerNeverLeaks runs a full add (with a retry and an ambiguous
// failure) and update, and checks every Logger line for credentials and the
// user's secret.
func TestLoggerNeverLeaks(t *testing.T) {
	fake := newFakePBX(t, withFault(func(action string, n int64, processed bool, w http.ResponseWriter, _ *fakePBX) bool {
		switch {
		case action == "add" && n == 1 && !processed:
			writeJSON(w, http.StatusServiceUnavailable, simotelFail("busy"))
			return true
		case action == "add" && n == 2 && processed:
			writeRaw(w, http.StatusBadGateway, "text/html", "<html><body>502 Bad Gateway</body></html>")
			return true
		}
		return false
	}))
	logs := &logSink{}
	cfg := fastConfig(fake.srv.URL)
	cfg.Password, cfg.APIKey = leakPass, leakKey
	cfg.Logger = logs.log
	c := newClient(t, cfg)
	ctx := testCtx(t)
	u := sampleUser("Logged User", "4242", leakSecret)
	added, err := c.AddUser(ctx, u)
	if err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	u.ID = added.ID
	u.Name = "Renamed"
	if err := c.UpdateUser(ctx, u); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	lines := logs.all()
	for _, want := range []string{"PBX API request", "PBX API response", "PBX API retry", "outcome unknown"} {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, want)
		}
		if !found {
			t.Errorf("no log line contains %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	basic := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + leakPass))
	for _, l := range lines {
		assertNoSecrets(t, "log line", l, leakPass, leakKey, leakSecret, basic)
	}
}

// A redirect to another host must not carry the PBX credentials.
func TestCredentialsNotSentToRedirectTarget(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-APIKEY") != "" {
			leaked.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":1,"message":"","data":[]}`))
	}))
	defer other.Close()
	pbx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer pbx.Close()
	c, err := pbxapi.New(pbxapi.Config{Endpoint: pbx.URL, Username: "u", Password: "p", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchUsers(context.Background(), pbxapi.SearchQuery{}); err != nil {
		t.Fatal(err)
	}
	if leaked.Load() {
		t.Fatal("the redirect target received the PBX credentials")
	}
}
