package provider

// Reliability and security: device faults, TLS trust, bad input and secrets.
// Every failure must become a diagnostic that names the operation, the
// endpoint, the user or uuid and the device's message; never a panic, never a
// secret.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// anyID stands, in diagLike, for a PBX user _id (24 hex digits), which the
// mock derives from the clock and so is not known when the steps are built.
const anyID = "\x00<_id>"

// diagLike is errorLike where a part equal to anyID matches a user _id.
func diagLike(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		if p == anyID {
			quoted[i] = `\b[0-9a-f]{24}\b`
			continue
		}
		quoted[i] = strings.TrimPrefix(errorLike(p).String(), "(?s)")
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, ".*"))
}

// secretsOf lists every secret the test harness hands to the provider or the
// device: none may appear in a diagnostic.
func secretsOf(userSecrets ...string) []string {
	basic := base64.StdEncoding.EncodeToString([]byte(testUsername + ":" + testPassword))
	return append([]string{testPassword, testAPIKey, basic}, userSecrets...)
}

// ---------------------------------------------------------------------------
// Mock control helpers used only here.

// setFaults replaces the mock's fault rules through the control API.
func (p *testPBX) setFaults(t *testing.T, rules ...mockpbx.FaultRule) {
	t.Helper()
	p.mustControl(t, http.MethodPut, "faults", map[string]any{"rules": rules}, nil)
}

// clearFaults removes every fault rule through the control API.
func (p *testPBX) clearFaults(t *testing.T) {
	t.Helper()
	p.mustControl(t, http.MethodDelete, "faults", nil, nil)
}

// requests returns the mock's per-endpoint request counts.
func (p *testPBX) requests(t *testing.T) map[string]int {
	t.Helper()
	var counts map[string]int
	p.mustControl(t, http.MethodGet, "requests", nil, &counts)
	return counts
}

// resetRequests sets the request counts back to zero.
func (p *testPBX) resetRequests(t *testing.T) {
	t.Helper()
	p.mustControl(t, http.MethodDelete, "requests", nil, nil)
}

// usersWithNumber returns every stored user with this number.
func (p *testPBX) usersWithNumber(number string) ([]map[string]any, error) {
	var users, out []map[string]any
	if err := p.control(http.MethodGet, "users", nil, &users); err != nil {
		return nil, err
	}
	for _, u := range users {
		if fmt.Sprint(u["number"]) == number {
			out = append(out, u)
		}
	}
	return out, nil
}

// checkNumberCount checks that exactly n stored users have this number.
func (p *testPBX) checkNumberCount(number string, n int) tfresource.TestCheckFunc {
	return func(*terraform.State) error {
		users, err := p.usersWithNumber(number)
		if err != nil {
			return err
		}
		if len(users) != n {
			return fmt.Errorf("the PBX holds %d users with number %s, want %d: %v", len(users), number, n, users)
		}
		return nil
	}
}

// checkRequests checks the request counts of some endpoints since the last
// resetRequests.
func (p *testPBX) checkRequests(t *testing.T, want map[string]int) {
	t.Helper()
	got := p.requests(t)
	for endpoint, n := range want {
		if got[endpoint] != n {
			t.Errorf("%s was called %d times, want %d (all counts: %v)", endpoint, got[endpoint], n, got)
		}
	}
}

// fastRetryConfig is the provider block with one quick retry, so retries are
// visible in the request counts and exhausted quickly.
func (p *testPBX) fastRetryConfig() string {
	return p.providerConfig("max_retries = 1", `retry_max_wait = "50ms"`)
}

func userBlock(label, number, name, secret string) string {
	return fmt.Sprintf(`
resource "pbx_user" %q {
  number = %q
  name   = %q
  secret = %q
}
`, label, number, name, secret)
}

// ---------------------------------------------------------------------------
// TLS

// tlsPBX is one mock served over HTTPS with httptest's self-signed
// certificate. The provider talks to TLSURL; the control API (testPBX) is
// served by a second, plain listener on the same mock.
type tlsPBX struct {
	*testPBX
	TLSURL  string
	CertPEM string
	// conns counts TCP connections to the TLS listener, handshakeErrors the
	// TLS handshakes it saw fail.
	conns, handshakeErrors atomic.Int32
}

type logCounter struct {
	match string
	n     *atomic.Int32
}

func (l logCounter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), l.match) {
		l.n.Add(1)
	}
	return len(p), nil
}

func newTLSTestPBX(t *testing.T) *tlsPBX {
	t.Helper()
	m, err := mockpbx.New(mockpbx.Config{
		Accounts:    []mockpbx.Account{{Username: testUsername, Password: testPassword, APIKey: testAPIKey, Mode: "both"}},
		DirAuth:     "digest",
		DirUsername: testUsername,
		DirPassword: testPassword,
		Control:     true,
		RandSeed:    1,
	})
	if err != nil {
		t.Fatalf("mockpbx.New: %v", err)
	}
	p := &tlsPBX{}
	srv := httptest.NewUnstartedServer(m)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.conns.Add(1)
		}
	}
	// Handshake failures are expected in some cases: count them instead of
	// printing them.
	srv.Config.ErrorLog = log.New(logCounter{match: "TLS handshake error", n: &p.handshakeErrors}, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	plain := httptest.NewServer(m)
	t.Cleanup(plain.Close)
	p.testPBX = &testPBX{URL: plain.URL, mock: m}
	p.TLSURL = srv.URL
	p.CertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return p
}

// tlsConfig is the provider block for the TLS listener plus extra arguments.
func (p *tlsPBX) tlsConfig(extra string) string {
	return providerBlock(p.TLSURL, extra) + userBlock("test", "530", "TLS User", "tls-s3cret")
}

// unrelatedCAPEM is a freshly generated CA certificate that did not sign the
// mock's certificate. (Every httptest server uses the same built-in
// certificate, so another test server's would not do.)
func unrelatedCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Unrelated Test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestAccProvider_tls(t *testing.T) {
	// untrusted: the apply fails at the TLS handshake, once: a verification
	// failure is permanent and never retried (max_retries is the default 4).
	untrusted := func(p *tlsPBX, extra string) []tfresource.TestStep {
		return []tfresource.TestStep{{
			Config: p.tlsConfig(extra),
			ExpectError: diagLike("Unable to create PBX user TLS User (number 530)",
				"users/add ("+p.TLSURL+"/api/v4/pbx/users/add)", "x509:", "certificate", "ca_cert_pem"),
		}}
	}
	cases := []struct {
		name  string
		steps func(p *tlsPBX) []tfresource.TestStep
		// conns is the exact number of TLS connections, -1 = not checked.
		conns, handshakeErrors int32
	}{
		{"no CA", func(p *tlsPBX) []tfresource.TestStep { return untrusted(p, "") }, 1, 1},
		{"unrelated CA", func(p *tlsPBX) []tfresource.TestStep {
			return untrusted(p, fmt.Sprintf("ca_cert_pem = %q", unrelatedCAPEM(t)))
		}, 1, 1},
		// Trusted through ca_cert_pem: create, empty plan. Then through
		// insecure_skip_verify: an out-of-band edit makes the apply write
		// through the unverified connection, and the plan is empty again.
		{"ca_cert_pem, then insecure_skip_verify", func(p *tlsPBX) []tfresource.TestStep {
			return []tfresource.TestStep{
				{
					Config: p.tlsConfig(fmt.Sprintf("ca_cert_pem = %q", p.CertPEM)),
					ConfigPlanChecks: tfresource.ConfigPlanChecks{
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					Check: tfresource.ComposeAggregateTestCheckFunc(
						p.checkStored("530", map[string]any{"name": "TLS User", "secret": "tls-s3cret"}),
						p.checkUserCount(1),
					),
				},
				{
					PreConfig: func() {
						p.mustControl(t, http.MethodPatch, "users/"+p.mustUserID(t, "530"), map[string]any{"name": "Edited"}, nil)
					},
					Config: p.tlsConfig("insecure_skip_verify = true"),
					ConfigPlanChecks: tfresource.ConfigPlanChecks{
						PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("pbx_user.test", plancheck.ResourceActionUpdate)},
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					Check: p.checkStored("530", map[string]any{"name": "TLS User"}),
				},
			}
		}, -1, 0},
		{"ca_cert_pem not PEM", func(p *tlsPBX) []tfresource.TestStep {
			return []tfresource.TestStep{{
				Config:      p.tlsConfig(`ca_cert_pem = "garbage"`),
				PlanOnly:    true,
				ExpectError: errorLike("Invalid ca_cert_pem", "ca_cert_pem contains no PEM block", "must be PEM-encoded certificate(s)"),
			}}
		}, 0, 0},
		{"ca_cert_pem without a certificate", func(p *tlsPBX) []tfresource.TestStep {
			notCert := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not a key either")}))
			return []tfresource.TestStep{{
				Config:      p.tlsConfig(fmt.Sprintf("ca_cert_pem = %q", notCert)),
				PlanOnly:    true,
				ExpectError: errorLike("Unable to configure the PBX client", "ca_cert_pem contains no valid PEM certificate"),
			}}
		}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newTLSTestPBX(t)
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             p.checkUserCount(0),
				Steps:                    c.steps(p),
			})
			if c.conns >= 0 && p.conns.Load() != c.conns {
				t.Errorf("%d TLS connections, want %d (a retried handshake would show here)", p.conns.Load(), c.conns)
			}
			if got := p.handshakeErrors.Load(); got != c.handshakeErrors {
				t.Errorf("%d failed TLS handshakes, want %d", got, c.handshakeErrors)
			}
			// Nothing reached the users API when the handshake failed.
			if c.handshakeErrors > 0 {
				if n := p.mock.RequestCounts()["users/add"]; n != 0 {
					t.Errorf("users/add reached the device %d times through an untrusted TLS connection", n)
				}
			}
		})
	}
}

// TestAccProvider_tlsFromEnvironment covers PBX_CA_CERT_PEM. It sets the
// process environment, so it cannot run in parallel.
func TestAccProvider_tlsFromEnvironment(t *testing.T) {
	p := newTLSTestPBX(t)
	t.Setenv(envCACertPEM, unrelatedCAPEM(t))
	t.Setenv(envInsecureSkip, "") // an exported "true" would make the test pass without a CA
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			// The configuration wins over the environment, where
			// PBX_CA_CERT_PEM holds a CA that did not sign the mock's
			// certificate.
			{
				Config: p.tlsConfig(fmt.Sprintf("ca_cert_pem = %q", p.CertPEM)),
				Check:  p.checkStored("530", map[string]any{"name": "TLS User"}),
			},
			// PBX_CA_CERT_PEM alone: the refresh goes through TLS, and the
			// plan is empty.
			{
				PreConfig: func() { t.Setenv(envCACertPEM, p.CertPEM) },
				Config:    p.tlsConfig(""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
	if n := p.handshakeErrors.Load(); n != 0 {
		t.Errorf("%d failed TLS handshakes, want none", n)
	}
}

// ---------------------------------------------------------------------------
// Device faults surfaced as diagnostics

// TestAccUserResource_faults injects faults through the mock's control API
// (PUT /_mock/faults) with max_retries = 1 and retry_max_wait = 50ms; after
// each failure the faults are cleared and the next step must converge.
func TestAccUserResource_faults(t *testing.T) {
	p := newTestPBX(t, withSeedEntry)
	usersURL := p.URL + "/api/v4/pbx/users/"
	one := p.fastRetryConfig() + userBlock("test", "530", "Fault Test", "f4ult-s3cret")
	two := one + userBlock("second", "531", "Second", "s3cond")
	withEntry := two + fmt.Sprintf("\ndata \"pbx_directory_entry\" \"test\" {\n  uuid = %q\n}\n", entryUUID)
	emptyAfterApply := tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
	var failedAt time.Time

	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			// A proxy's HTML 502 on users/add. 502 is ambiguous for a create,
			// so the client never resends it blindly: it looks the number up
			// (users/search) and adds again only when the user is not there.
			// Adds and lookups share one budget of max_retries + 1 requests:
			// with max_retries = 1, one add and one lookup.
			{
				PreConfig: func() {
					p.setFaults(t, mockpbx.FaultRule{Endpoint: "users/add", HTMLRate: 1})
					p.resetRequests(t)
				},
				Config: one,
				ExpectError: diagLike("Unable to create PBX user Fault Test (number 530)",
					"users/add", "number 530", "users/add ("+usersURL+"add)", "HTTP 502", "502 Bad Gateway"),
			},
			{
				PreConfig: func() {
					p.checkRequests(t, map[string]int{"users/add": 1, "users/search": 1})
					if n := p.mock.Users(); len(n) != 0 {
						t.Errorf("a failed add left %d users on the device", len(n))
					}
					p.clearFaults(t)
				},
				Config:           one,
				ConfigPlanChecks: emptyAfterApply,
				Check:            p.checkNumberCount("530", 1),
			},
			// Truncated JSON from users/search during the refresh.
			{
				PreConfig: func() {
					p.setFaults(t, mockpbx.FaultRule{Endpoint: "users/search", MalformedRate: 1})
				},
				Config: one,
				ExpectError: diagLike("Unable to read PBX user", anyID, "(number 530)",
					"users/search ("+usersURL+"search)", "HTTP 200", "response is not the Simotel JSON envelope",
					`{"success":1,"message":"Requested operation is do`),
			},
			{
				PreConfig: func() { p.clearFaults(t) },
				Config:    one,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			// 503 with a long Retry-After on every users/update: retried
			// max_retries times, each wait capped by retry_max_wait.
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodPatch, "users/"+p.mustUserID(t, "530"), map[string]any{"name": "Edited in the panel"}, nil)
					p.setFaults(t, mockpbx.FaultRule{Endpoint: "users/update", Rate: 1, Status: 503, RetryAfter: "30"})
					p.resetRequests(t)
					failedAt = time.Now()
				},
				Config: one,
				ExpectError: diagLike("Unable to update PBX user", anyID, "(number 530)",
					"users/update ("+usersURL+"update)", "HTTP 503", "Service Unavailable", "retries were exhausted"),
			},
			{
				PreConfig: func() {
					if d := time.Since(failedAt); d > 20*time.Second {
						t.Errorf("the failed update took %v: Retry-After: 30 was not capped by retry_max_wait", d)
					}
					p.checkRequests(t, map[string]int{"users/update": 2})
					p.clearFaults(t)
				},
				Config:           one,
				ConfigPlanChecks: emptyAfterApply,
				Check:            p.checkStored("530", map[string]any{"name": "Fault Test", "secret": "f4ult-s3cret"}),
			},
			// One transient 503 on users/add: retried once, and the device
			// holds the user exactly once.
			{
				PreConfig: func() {
					p.setFaults(t, mockpbx.FaultRule{Endpoint: "users/add", Rate: 1, Count: 1})
					p.resetRequests(t)
				},
				Config:           two,
				ConfigPlanChecks: emptyAfterApply,
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkNumberCount("531", 1),
					p.checkUserCount(2),
					func(*terraform.State) error {
						if n := p.requests(t)["users/add"]; n != 2 {
							return fmt.Errorf("users/add was called %d times, want 2 (one 503, one retry)", n)
						}
						if left := p.mock.Faults(); len(left) != 0 {
							return fmt.Errorf("the transient fault was not consumed: %+v", left)
						}
						return nil
					},
				),
			},
			// dir/get keeps answering 503 (2N error code 14).
			{
				PreConfig: func() {
					p.setFaults(t, mockpbx.FaultRule{Endpoint: "dir/get", Rate: 1, Status: 503})
					p.resetRequests(t)
				},
				Config: withEntry,
				ExpectError: diagLike("Unable to read directory entry "+entryUUID,
					"dir/get ("+p.URL+"/api/dir/get)", "HTTP 503", "error code 14", "processing error", "retries were exhausted"),
			},
			{
				PreConfig: func() {
					p.checkRequests(t, map[string]int{"dir/get": 2})
					p.clearFaults(t)
				},
				Config:           withEntry,
				ConfigPlanChecks: emptyAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("name"), knownvalue.StringExact("ABCD")),
				},
				Check: p.checkUserCount(2),
			},
		},
	})
}

// ---------------------------------------------------------------------------
// Two resources, one number

// TestAccUserResource_duplicateNumberInConfig: two resources with one number
// race to create it. Exactly one wins; the other fails with the device's
// message and the hint, and the device holds the number once.
func TestAccUserResource_duplicateNumberInConfig(t *testing.T) {
	p := newTestPBX(t)
	dup := p.providerConfig() + userBlock("first", "530", "First", "first-s3cret") +
		userBlock("second", "530", "Second", "second-s3cret")
	// Distinct numbers, neither the other's old number: the fix converges in
	// any order, whichever resource won.
	fixed := p.providerConfig() + userBlock("first", "531", "First", "first-s3cret") +
		userBlock("second", "532", "Second", "second-s3cret")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config: dup,
				ExpectError: diagLike("Unable to create PBX user", "(number 530)", "users/add", "This number already exists",
					"terraform import <address> number:530",
					"If two pbx_user resources in this configuration share the number, give each its own"),
			},
			{
				PreConfig: func() {
					users, err := p.usersWithNumber("530")
					if err != nil {
						t.Fatal(err)
					}
					if len(users) != 1 {
						t.Fatalf("the device holds %d users with number 530, want exactly 1: %v", len(users), users)
					}
				},
				Config:           fixed,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: tfresource.ComposeAggregateTestCheckFunc(
					p.checkUserCount(2),
					p.checkStored("531", map[string]any{"name": "First", "secret": "first-s3cret"}),
					p.checkStored("532", map[string]any{"name": "Second", "secret": "second-s3cret"}),
				),
			},
		},
	})
}

// ---------------------------------------------------------------------------
// users/add with an unknown outcome

func TestAccUserResource_ambiguousAdd(t *testing.T) {
	cases := []struct {
		name  string
		fault mockpbx.FaultRule
		adds  int // users/add requests the device sees
	}{
		// The device creates the user, then the connection drops: the lookup
		// finds it and adopts it; no second add.
		{"processed then dropped", mockpbx.FaultRule{Endpoint: "users/add", DropAfterRate: 1, Count: 1}, 1},
		// The connection drops before the device processes the add: the
		// lookup finds nothing, and the add is sent again.
		{"dropped before processing", mockpbx.FaultRule{Endpoint: "users/add", DropRate: 1, Count: 1}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newTestPBX(t)
			// max_retries = 2: add, lookup and a second add fit in the budget.
			config := p.providerConfig("max_retries = 2", `retry_max_wait = "50ms"`) + userBlock("test", "530", "Ambiguous", "amb-s3cret")
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             p.checkUserCount(0),
				Steps: []tfresource.TestStep{{
					PreConfig: func() {
						p.setFaults(t, c.fault)
						p.resetRequests(t)
					},
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("id"), knownvalue.StringFunc(func(id string) error {
							u, err := p.storedUser("530")
							if err != nil || u == nil {
								return fmt.Errorf("no stored user with number 530 (%v)", err)
							}
							if stored := fmt.Sprint(u["_id"]); id != stored {
								return fmt.Errorf("state id %s, but the device's user 530 has _id %s", id, stored)
							}
							return nil
						})),
					},
					ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					Check: tfresource.ComposeAggregateTestCheckFunc(
						p.checkNumberCount("530", 1),
						p.checkUserCount(1),
						p.checkStored("530", map[string]any{"name": "Ambiguous", "secret": "amb-s3cret"}),
						func(*terraform.State) error {
							if n := p.requests(t)["users/add"]; n != c.adds {
								return fmt.Errorf("users/add was called %d times, want %d", n, c.adds)
							}
							if left := p.mock.Faults(); len(left) != 0 {
								return fmt.Errorf("the fault was not triggered: %+v", left)
							}
							return nil
						},
					),
				}},
			})
		})
	}
}

// ---------------------------------------------------------------------------
// Secrets never appear in diagnostics
//
// The acceptance tests above match the visible error text; these drive the
// provider's Configure, CRUD, import and data source read directly, so every
// diagnostic's full summary and detail can be searched for secrets.

const (
	seedUserID     = "603b41443e14270c550bf15a"
	seedUserSecret = "s1p-s3cret-of-530"
)

// direct is the provider configured in-process against one server.
type direct struct {
	ctx       context.Context
	user      *userResource
	entry     *directoryEntryDataSource
	userSch   resource.SchemaResponse
	userIDSch resource.IdentitySchemaResponse
	entrySch  datasource.SchemaResponse
	configure diag.Diagnostics
}

var directoryAttrTypes = map[string]attr.Type{
	"endpoint": types.StringType, "username": types.StringType, "password": types.StringType, "auth": types.StringType,
}

// newDirect runs the provider's Configure with this provider model, then
// configures the resource and the data source with its client.
func newDirect(t *testing.T, cfg pbxProviderModel) *direct {
	t.Helper()
	ctx := context.Background()
	prov := New("test")()
	var sch provider.SchemaResponse
	prov.Schema(ctx, provider.SchemaRequest{}, &sch)
	st := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil)}
	if d := st.Set(ctx, &cfg); d.HasError() {
		t.Fatalf("provider config: %v", d)
	}
	var resp provider.ConfigureResponse
	prov.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: sch.Schema, Raw: st.Raw}}, &resp)
	d := &direct{ctx: ctx, user: &userResource{}, entry: &directoryEntryDataSource{}, configure: resp.Diagnostics}
	if resp.Diagnostics.HasError() {
		return d
	}
	var cr resource.ConfigureResponse
	d.user.Configure(ctx, resource.ConfigureRequest{ProviderData: resp.ResourceData}, &cr)
	var dr datasource.ConfigureResponse
	d.entry.Configure(ctx, datasource.ConfigureRequest{ProviderData: resp.DataSourceData}, &dr)
	if cr.Diagnostics.HasError() || dr.Diagnostics.HasError() {
		t.Fatalf("configure: %v %v", cr.Diagnostics, dr.Diagnostics)
	}
	d.user.Schema(ctx, resource.SchemaRequest{}, &d.userSch)
	d.user.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &d.userIDSch)
	d.entry.Schema(ctx, datasource.SchemaRequest{}, &d.entrySch)
	return d
}

// providerModel is the provider configuration of the tests: the test account,
// one quick retry.
func providerModel(endpoint string) pbxProviderModel {
	return pbxProviderModel{
		Endpoint:           types.StringValue(endpoint),
		Username:           types.StringValue(testUsername),
		Password:           types.StringValue(testPassword),
		APIKey:             types.StringValue(testAPIKey),
		AuthMode:           types.StringNull(),
		Directory:          types.ObjectNull(directoryAttrTypes),
		InsecureSkipVerify: types.BoolNull(),
		CACertPEM:          types.StringNull(),
		RequestTimeout:     types.StringValue("5s"),
		MaxRetries:         types.Int64Value(1),
		RetryMaxWait:       types.StringValue("50ms"),
	}
}

// userModel is a pbx_user with every default, as a plan (id "" = unknown) or
// a state.
func userModel(id, number, name, secret string) userResourceModel {
	var m userResourceModel
	m.fromAPI(&pbxapi.User{
		ID: id, UserType: "SIP", Active: "yes", Name: name, Number: number, CallRecord: "no", PushNotification: "no",
		Deny: "0.0.0.0/0.0.0.0", Permit: "0.0.0.0/0.0.0.0", DTMFMode: "rfc2833", CanReinvite: "no", DirectMedia: "no",
		Context: "main_routing", Host: "dynamic", Type: "user", NAT: "no", Port: "5060", Qualify: "no", CallGroup: "1",
		PickupGroup: "1", CallCounter: "no", FaxDetect: "no", Trunk: "no", Transfer: "no",
	})
	m.Secret = types.StringValue(secret)
	if id == "" {
		m.ID = types.StringUnknown()
	}
	return m
}

func (d *direct) userRaw(t *testing.T, m userResourceModel) tftypes.Value {
	t.Helper()
	st := tfsdk.State{Schema: d.userSch.Schema, Raw: tftypes.NewValue(d.userSch.Schema.Type().TerraformType(d.ctx), nil)}
	if diags := st.Set(d.ctx, &m); diags.HasError() {
		t.Fatalf("user model: %v", diags)
	}
	return st.Raw
}

// emptyIdentity is the identity the framework gives every CRUD response.
func (d *direct) emptyIdentity() *tfsdk.ResourceIdentity {
	sch := d.userIDSch.IdentitySchema
	return &tfsdk.ResourceIdentity{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(d.ctx), nil)}
}

func (d *direct) emptyUserState() tfsdk.State {
	return tfsdk.State{Schema: d.userSch.Schema, Raw: tftypes.NewValue(d.userSch.Schema.Type().TerraformType(d.ctx), nil)}
}

func (d *direct) create(t *testing.T, m userResourceModel) diag.Diagnostics {
	raw := d.userRaw(t, m)
	resp := resource.CreateResponse{State: d.emptyUserState(), Identity: d.emptyIdentity()}
	d.user.Create(d.ctx, resource.CreateRequest{
		Plan:   tfsdk.Plan{Schema: d.userSch.Schema, Raw: raw},
		Config: tfsdk.Config{Schema: d.userSch.Schema, Raw: raw},
	}, &resp)
	return resp.Diagnostics
}

func (d *direct) read(t *testing.T, m userResourceModel) diag.Diagnostics {
	st := tfsdk.State{Schema: d.userSch.Schema, Raw: d.userRaw(t, m)}
	resp := resource.ReadResponse{State: st, Identity: d.emptyIdentity()}
	d.user.Read(d.ctx, resource.ReadRequest{State: st}, &resp)
	return resp.Diagnostics
}

func (d *direct) update(t *testing.T, state, plan userResourceModel) diag.Diagnostics {
	st := tfsdk.State{Schema: d.userSch.Schema, Raw: d.userRaw(t, state)}
	pl := d.userRaw(t, plan)
	resp := resource.UpdateResponse{State: st, Identity: d.emptyIdentity()}
	d.user.Update(d.ctx, resource.UpdateRequest{
		State:  st,
		Plan:   tfsdk.Plan{Schema: d.userSch.Schema, Raw: pl},
		Config: tfsdk.Config{Schema: d.userSch.Schema, Raw: pl},
	}, &resp)
	return resp.Diagnostics
}

func (d *direct) delete(t *testing.T, m userResourceModel) diag.Diagnostics {
	st := tfsdk.State{Schema: d.userSch.Schema, Raw: d.userRaw(t, m)}
	resp := resource.DeleteResponse{State: st}
	d.user.Delete(d.ctx, resource.DeleteRequest{State: st}, &resp)
	return resp.Diagnostics
}

func (d *direct) importState(id string) diag.Diagnostics {
	resp := resource.ImportStateResponse{State: d.emptyUserState()}
	d.user.ImportState(d.ctx, resource.ImportStateRequest{ID: id}, &resp)
	return resp.Diagnostics
}

func (d *direct) readEntry(t *testing.T, uuid string) diag.Diagnostics {
	t.Helper()
	m := directoryEntryDataSourceModel{
		UUID:          types.StringValue(uuid),
		Fields:        types.ListNull(types.StringType),
		CallPositions: types.ListNull(types.ObjectType{AttrTypes: callPositionAttrTypes}),
	}
	sch := d.entrySch.Schema
	st := tfsdk.State{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(d.ctx), nil)}
	if diags := st.Set(d.ctx, &m); diags.HasError() {
		t.Fatalf("entry model: %v", diags)
	}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(d.ctx), nil)}}
	d.entry.Read(d.ctx, datasource.ReadRequest{Config: tfsdk.Config{Schema: sch, Raw: st.Raw}}, &resp)
	return resp.Diagnostics
}

// diagText is every diagnostic's severity, summary and detail.
func diagText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "[%s] %s: %s\n", d.Severity(), d.Summary(), d.Detail())
	}
	return b.String()
}

// checkDiags requires an error diagnostic, every want part somewhere in the
// diagnostics (white space normalised, in any order: the client's wording may
// change) and no secret.
func checkDiags(t *testing.T, diags diag.Diagnostics, secrets []string, want ...string) {
	t.Helper()
	text := diagText(diags)
	if !diags.HasError() {
		t.Fatalf("want an error diagnostic, got:\n%s", text)
	}
	for _, w := range want {
		if !errorLike(w).MatchString(text) {
			t.Errorf("the diagnostics do not contain %q:\n%s", w, text)
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a diagnostic contains the secret %q:\n%s", s, text)
		}
	}
}

func TestSecretsNotInDiagnostics(t *testing.T) {
	t.Parallel()
	secrets := secretsOf(seedUserSecret, "n3w-s1p-s3cret")
	seeded := func(c *mockpbx.Config) {
		withSeedEntry(c)
		c.Users = []map[string]any{{"_id": seedUserID, "name": "Seeded", "number": "530", "secret": seedUserSecret}}
	}
	state := userModel(seedUserID, "530", "Seeded", seedUserSecret)
	renamed := userModel(seedUserID, "530", "Renamed", seedUserSecret)
	newUser := userModel("", "531", "New", "n3w-s1p-s3cret")

	cases := []struct {
		name   string
		faults []mockpbx.FaultRule
		// password is the provider's password, testPassword unless set.
		password string
		run      func(t *testing.T, d *direct) diag.Diagnostics
		want     func(url string) []string
	}{
		{"create: HTML 502", []mockpbx.FaultRule{{Endpoint: "users/add", HTMLRate: 1}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.create(t, newUser) },
			func(url string) []string {
				return []string{"Unable to create PBX user New (number 531)", "users/add", url + "/api/v4/pbx/users/add", "HTTP 502", "502 Bad Gateway"}
			}},
		{"create: dropped, lookup fails", []mockpbx.FaultRule{{Endpoint: "users/add", DropRate: 1}, {Endpoint: "users/search", Rate: 1, Status: 500}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.create(t, newUser) },
			func(url string) []string {
				return []string{"Unable to create PBX user New (number 531)", "users/add", url + "/api/v4/pbx/users/add",
					"users/search", "HTTP 500", "Internal Server Error"}
			}},
		{"create: duplicate number", nil, "",
			func(t *testing.T, d *direct) diag.Diagnostics {
				return d.create(t, userModel("", "530", "Twin", "n3w-s1p-s3cret"))
			},
			func(url string) []string {
				return []string{"Unable to create PBX user Twin (number 530)", url + "/api/v4/pbx/users/add", "This number already exists", "number:530"}
			}},
		{"create: wrong password", nil, "wrong-" + testPassword,
			func(t *testing.T, d *direct) diag.Diagnostics { return d.create(t, newUser) },
			func(url string) []string {
				return []string{"Unable to create PBX user New (number 531)", url + "/api/v4/pbx/users/add", "HTTP 401", "BasicAuth or ApiKey is invalid"}
			}},
		{"read: malformed search", []mockpbx.FaultRule{{Endpoint: "users/search", MalformedRate: 1}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.read(t, state) },
			func(url string) []string {
				return []string{"Unable to read PBX user " + seedUserID + " (number 530)", url + "/api/v4/pbx/users/search", "not the Simotel JSON envelope"}
			}},
		{"update: 503 exhausted", []mockpbx.FaultRule{{Endpoint: "users/update", Rate: 1, RetryAfter: "1"}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.update(t, state, renamed) },
			func(url string) []string {
				return []string{"Unable to update PBX user " + seedUserID + " (number 530)", url + "/api/v4/pbx/users/update", "HTTP 503", "Service Unavailable"}
			}},
		{"delete: 500", []mockpbx.FaultRule{{Endpoint: "users/remove", Rate: 1, Status: 500}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.delete(t, state) },
			func(url string) []string {
				return []string{"Unable to delete PBX user " + seedUserID + " (number 530)", url + "/api/v4/pbx/users/remove", "HTTP 500"}
			}},
		{"import: search dropped", []mockpbx.FaultRule{{Endpoint: "users/search", DropRate: 1}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.importState("number:530") },
			func(url string) []string {
				return []string{"Unable to import PBX user number 530", url + "/api/v4/pbx/users/search", "EOF"}
			}},
		{"data source: dir/get 503", []mockpbx.FaultRule{{Endpoint: "dir/get", Rate: 1, Status: 503}}, "",
			func(t *testing.T, d *direct) diag.Diagnostics { return d.readEntry(t, entryUUID) },
			func(url string) []string {
				return []string{"Unable to read directory entry " + entryUUID, url + "/api/dir/get", "HTTP 503", "error code 14"}
			}},
		{"data source: wrong digest password", nil, "wrong-" + testPassword,
			func(t *testing.T, d *direct) diag.Diagnostics { return d.readEntry(t, entryUUID) },
			func(url string) []string {
				return []string{"Unable to read directory entry " + entryUUID, url + "/api/dir/get", "HTTP 401", "error code 9"}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newTestPBX(t, seeded)
			if err := p.mock.SetFaults(c.faults); err != nil {
				t.Fatal(err)
			}
			cfg := providerModel(p.URL)
			secrets := secrets
			if c.password != "" {
				cfg.Password = types.StringValue(c.password)
				secrets = append(secrets, c.password, base64.StdEncoding.EncodeToString([]byte(testUsername+":"+c.password)))
			}
			d := newDirect(t, cfg)
			if d.configure.HasError() {
				t.Fatalf("configure: %s", diagText(d.configure))
			}
			checkDiags(t, c.run(t, d), secrets, c.want(p.URL)...)
		})
	}
}

// TestSecretsNotInConfigureDiagnostics: invalid provider settings are
// reported without echoing the credentials next to them.
func TestSecretsNotInConfigureDiagnostics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*pbxProviderModel)
		want []string
	}{
		{"credentials in the endpoint", func(m *pbxProviderModel) {
			m.Endpoint = types.StringValue("https://" + testUsername + ":" + testPassword + "@pbx.example.com")
		}, []string{"Invalid endpoint", "endpoint (PBX_ENDPOINT)", "contains credentials"}},
		{"unparsable endpoint with credentials", func(m *pbxProviderModel) {
			m.Endpoint = types.StringValue("https://" + testUsername + ":" + testPassword + "@pbx.example.com:port/")
		}, []string{"Invalid endpoint", "endpoint (PBX_ENDPOINT) is not a URL"}},
		{"password without user name", func(m *pbxProviderModel) {
			m.Username = types.StringNull()
			m.AuthMode = types.StringValue("both")
		}, []string{"Missing PBX user name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := providerModel("https://pbx.example.com")
			c.edit(&cfg)
			checkDiags(t, newDirect(t, cfg).configure, secretsOf(), c.want...)
		})
	}
}

// TestDescribeEchoedSecrets: a device or proxy that echoes the request in an
// error reply (a debug error page, or the Simotel validation message "Field
// 'x':value '…' is invalid" applied to the secret) must not carry the
// credentials or the extension's secret into the diagnostic.
func TestDescribeEchoedSecrets(t *testing.T) {
	t.Parallel()
	const sipSecret = "ech0ed-s1p-s3cret"
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"debug error page", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "<h1>Whoops</h1><pre>X-APIKEY: %s\nAuthorization: %s\n%s</pre>",
				r.Header.Get("X-APIKEY"), r.Header.Get("Authorization"), body)
		}},
		{"validation message", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"success":0,"message":"Field 'secret':value '%s' is invalid","data":""}`, sipSecret)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(c.handler)
			t.Cleanup(srv.Close)
			d := newDirect(t, providerModel(srv.URL))
			if d.configure.HasError() {
				t.Fatalf("configure: %s", diagText(d.configure))
			}
			checkDiags(t, d.create(t, userModel("", "531", "Echo", sipSecret)), secretsOf(sipSecret),
				"Unable to create PBX user Echo (number 531)", "users/add", srv.URL+"/api/v4/pbx/users/add")
		})
	}
}

// TestAccProvider_requestTimeout: request_timeout bounds each attempt; a
// users/add that times out is looked up instead of repeated blindly, and
// the run converges once the device is fast again.
func TestAccProvider_requestTimeout(t *testing.T) {
	p := newTestPBX(t)
	config := p.providerConfig(`request_timeout = "300ms"`, "max_retries = 0") + userBlock("test", "530", "Slow", "sl0w-s3cret")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodPut, "faults", map[string]any{"rules": []map[string]any{{"endpoint": "users/add", "latency_ms": 3000}}}, nil)
				},
				Config: config,
				// Go reports the client's timeout as "context deadline exceeded",
				// with or without "(Client.Timeout exceeded …)" depending on
				// which timer fires first.
				ExpectError: errorLike("Unable to create PBX user Slow (number 530)", "users/add", "context deadline exceeded"),
			},
			{
				PreConfig: func() {
					p.mustControl(t, http.MethodDelete, "faults", nil, nil)
				},
				Config: config,
				Check:  tfresource.ComposeAggregateTestCheckFunc(p.checkUserCount(1), p.checkStored("530", map[string]any{"name": "Slow"})),
			},
		},
	})
}
