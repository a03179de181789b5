package provider

// TLS trust: a device's certificate is verified against the system roots plus
// ca_cert_pem (or PBX_CA_CERT_PEM), unless insecure_skip_verify; a failed
// verification is reported once, never retried, and nothing reaches the API.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// tlsPBX is one mock served over HTTPS with httptest's self-signed
// certificate. The provider talks to TLSURL; testPBX.URL is a second, plain
// listener on the same mock.
type tlsPBX struct {
	*testPBX
	TLSURL  string
	CertPEM string
	// conns counts TCP connections to the TLS listener, handshakeErrors the
	// TLS handshakes it saw fail. The server logs a failed handshake on its
	// own goroutine, maybe after the client has its error: read them after
	// closeTLS.
	conns, handshakeErrors atomic.Int32
	tls                    *httptest.Server
}

// closeTLS closes the TLS listener and waits until each of its connections
// has ended, and so been counted.
func (p *tlsPBX) closeTLS() { p.tls.Close() }

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
	m := newTestMock(t)
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
	p.tls = srv
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
					PreConfig: func() { p.editUser(t, "530", map[string]any{"name": "Edited"}) },
					Config:    p.tlsConfig("insecure_skip_verify = true"),
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
			p.closeTLS()
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
	p.closeTLS()
	if n := p.handshakeErrors.Load(); n != 0 {
		t.Errorf("%d failed TLS handshakes, want none", n)
	}
}
