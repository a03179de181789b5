package provider

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// Credentials of the intercom's own HTTP API account in these tests.
const (
	intercomUser = "intercom"
	intercomPass = "intercom-pass-5e1b"
)

// intercom is one mock PBX + intercom whose directory API is served over
// plain HTTP (PlainURL, also the PBX endpoint and the control API) and
// HTTPS (TLSURL), recording the Authorization scheme of each directory
// request on each listener.
type intercom struct {
	*testPBX
	PlainURL, TLSURL, CertPEM string

	mu      sync.Mutex
	schemes map[bool][]string // tls → schemes of the directory requests ("" without credentials)
}

// schemeRecorder records the Authorization scheme of directory requests.
func (ic *intercom) schemeRecorder(tls bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/dir/") {
			scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			ic.mu.Lock()
			ic.schemes[tls] = append(ic.schemes[tls], strings.ToLower(scheme))
			ic.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// newIntercom starts a mock whose directory API asks for dirAuth ("basic"
// or "digest") with the intercom account, and holds the seed entry.
func newIntercom(t *testing.T, dirAuth string) *intercom {
	t.Helper()
	cfg := mockpbx.Config{
		Accounts:    []mockpbx.Account{{Username: testUsername, Password: testPassword, APIKey: testAPIKey, Mode: "both"}},
		DirAuth:     dirAuth,
		DirUsername: intercomUser,
		DirPassword: intercomPass,
		Control:     true,
		RandSeed:    1,
	}
	withSeedEntry(&cfg)
	m, err := mockpbx.New(cfg)
	if err != nil {
		t.Fatalf("mockpbx.New: %v", err)
	}
	ic := &intercom{schemes: map[bool][]string{}}
	plain := httptest.NewServer(ic.schemeRecorder(false, m))
	t.Cleanup(plain.Close)
	tlsSrv := httptest.NewUnstartedServer(ic.schemeRecorder(true, m))
	// A connection closed at the end of the test mid-handshake is logged;
	// it is not a failure.
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	ic.testPBX = &testPBX{URL: plain.URL, mock: m}
	ic.PlainURL, ic.TLSURL = plain.URL, tlsSrv.URL
	ic.CertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}))
	return ic
}

// sent lists the Authorization schemes of the directory requests received
// over TLS or plain HTTP.
func (ic *intercom) sent(tls bool) []string {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return append([]string(nil), ic.schemes[tls]...)
}

// config is the provider block for the PBX on plain HTTP and the directory
// at dirURL with the intercom account, plus extra provider arguments and
// directory arguments, and the entry data source.
func (ic *intercom) config(dirURL string, dirExtra string, extra ...string) string {
	dir := fmt.Sprintf("directory = {\n    endpoint = %q\n    username = %q\n    password = %q\n    %s\n  }", dirURL, intercomUser, intercomPass, dirExtra)
	return providerBlock(ic.PlainURL, append([]string{dir}, extra...)...) + entryBlock(entryUUID, "")
}

// TestAccDirectoryAuth: a Basic-only intercom works over HTTPS without any
// setting, and over plain HTTP gives a clear error (no password sent) unless
// Basic is allowed explicitly; an explicit digest never falls back to Basic;
// a Digest intercom works whatever the connection.
func TestAccDirectoryAuth(t *testing.T) {
	found := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("name"), knownvalue.StringExact("ABCD")),
		statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("series"), knownvalue.StringExact("6423407687606431951")),
	}
	tests := []struct {
		name     string
		dirAuth  string // the intercom's setting
		tls      bool
		dirExtra string // directory arguments besides endpoint and credentials
		trust    string // TLS trust: "ca" (ca_cert_pem) or "skip" (insecure_skip_verify)
		env      map[string]string
		errParts []string // nil: the entry is read
		// wantBasic: Basic credentials are expected on this connection;
		// otherwise none may arrive there.
		wantBasic bool
	}{
		{name: "Basic intercom, http, auth unset: clear error", dirAuth: "basic",
			errParts: []string{"Unable to read directory entry", "dir/get (PLAIN/api/dir/get)", "asks for HTTP Basic authentication over plain HTTP",
				"password unencrypted", "https://", `directory.auth = "basic"`, "PBX_DIRECTORY_AUTH=basic"}},
		{name: "Basic intercom, http, auth auto: clear error", dirAuth: "basic", dirExtra: `auth = "auto"`,
			errParts: []string{"dir/get (PLAIN/api/dir/get)", "asks for HTTP Basic authentication over plain HTTP", `directory.auth = "basic"`}},
		{name: "Basic intercom, https, auth unset, ca_cert_pem: works", dirAuth: "basic", tls: true, trust: "ca", wantBasic: true},
		{name: "Basic intercom, https, auth unset, insecure_skip_verify: works", dirAuth: "basic", tls: true, trust: "skip", wantBasic: true},
		{name: "Basic intercom, http, auth basic: works", dirAuth: "basic", dirExtra: `auth = "basic"`, wantBasic: true},
		{name: "Basic intercom, http, PBX_DIRECTORY_AUTH=basic: works", dirAuth: "basic", env: map[string]string{envDirAuth: "basic"}, wantBasic: true},
		{name: "Basic intercom, https, auth digest: no fallback", dirAuth: "basic", tls: true, trust: "ca", dirExtra: `auth = "digest"`,
			errParts: []string{"dir/get (TLS/api/dir/get)", "asks for HTTP Basic authentication", `directory.auth is "digest"`, "never falls back to Basic"}},
		{name: "Basic intercom, https, auth none: the device's 401", dirAuth: "basic", tls: true, trust: "ca", dirExtra: `auth = "none"`,
			errParts: []string{"dir/get (TLS/api/dir/get)", "HTTP 401", "error code 9"}},
		{name: "Digest intercom, http, auth unset: works", dirAuth: "digest"},
		{name: "Digest intercom, https, auth auto: works", dirAuth: "digest", tls: true, trust: "ca", dirExtra: `auth = "auto"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ic := newIntercom(t, tc.dirAuth)
			dirURL := ic.PlainURL
			var extra []string
			if tc.tls {
				dirURL = ic.TLSURL
			}
			switch tc.trust {
			case "ca":
				extra = append(extra, fmt.Sprintf("ca_cert_pem = %q", ic.CertPEM))
			case "skip":
				extra = append(extra, "insecure_skip_verify = true")
			}
			step := resource.TestStep{Config: ic.config(dirURL, tc.dirExtra, extra...)}
			if tc.errParts != nil {
				parts := make([]string, len(tc.errParts))
				for i, p := range tc.errParts {
					parts[i] = strings.NewReplacer("PLAIN", ic.PlainURL, "TLS", ic.TLSURL).Replace(p)
				}
				step.ExpectError = errorLike(parts...)
			} else {
				step.ConfigStateChecks = found
			}
			steps := []resource.TestStep{step}
			if tc.errParts == nil {
				// A second run with the same configuration reads again.
				steps = append(steps, resource.TestStep{Config: step.Config, ConfigStateChecks: found})
			}
			run := resource.ParallelTest
			if tc.env != nil {
				run = resource.Test // t.Setenv forbids parallel tests
			}
			run(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})

			if t.Failed() {
				return
			}
			sent := ic.sent(tc.tls)
			if len(sent) == 0 {
				t.Fatal("the intercom received no directory request")
			}
			if other := ic.sent(!tc.tls); len(other) > 0 {
				t.Errorf("directory requests on the other listener: %q", other)
			}
			basic := strings.Contains(strings.Join(sent, ","), "basic")
			if basic != tc.wantBasic {
				t.Errorf("Basic credentials sent: %v, want %v (schemes %q)", basic, tc.wantBasic, sent)
			}
			if tc.dirAuth == "digest" && !strings.Contains(strings.Join(sent, ","), "digest") {
				t.Errorf("no Digest answer sent to a Digest intercom (schemes %q)", sent)
			}
		})
	}
}

func TestAccDirectoryAuth_invalidValue(t *testing.T) {
	ic := newIntercom(t, "basic")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      ic.config(ic.PlainURL, `auth = "ntlm"`),
			ExpectError: errorLike("directory", "auth", `value must be one of: ["auto" "digest" "basic" "none"], got: "ntlm"`),
		}},
	})
}
