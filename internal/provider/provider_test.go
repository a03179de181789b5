package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// testAccProtoV6ProviderFactories runs the provider in-process for
// terraform-plugin-testing.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"pbx": providerserver.NewProtocol6WithError(New("test")()),
}

// Credentials of the in-process mock's API account.
const (
	testUsername = "tf-admin"
	testPassword = "mock-password-9f2c"
	testAPIKey   = "mock-api-key-41d7"
)

// TestMain refuses to let the acceptance tests skip silently in CI: they are
// the point of the suite, and `make test` sets TF_ACC=1.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "TF_ACC is not set: the acceptance tests would be skipped. Run `make test`.")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "note: TF_ACC is not set, acceptance tests are skipped; `make test` runs them.")
	}
	os.Exit(m.Run())
}

// testPBX is one mock PBX + intercom served by httptest for one test.
type testPBX struct {
	URL  string
	mock *mockpbx.Server
}

// newTestPBX starts a mock with the test account, Digest on the directory and
// the control API enabled. opts adjust the configuration.
func newTestPBX(t *testing.T, opts ...func(*mockpbx.Config)) *testPBX {
	t.Helper()
	cfg := mockpbx.Config{
		Accounts:    []mockpbx.Account{{Username: testUsername, Password: testPassword, APIKey: testAPIKey, Mode: "both"}},
		DirAuth:     "digest",
		DirUsername: testUsername,
		DirPassword: testPassword,
		Control:     true,
		RandSeed:    1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	m, err := mockpbx.New(cfg)
	if err != nil {
		t.Fatalf("mockpbx.New: %v", err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return &testPBX{URL: srv.URL, mock: m}
}

// providerBlock is a provider block for the test account at endpoint, with
// extra arguments (one per line).
func providerBlock(endpoint string, extra ...string) string {
	return fmt.Sprintf(`
provider "pbx" {
  endpoint = %q
  username = %q
  password = %q
  api_key  = %q
  %s
}
`, endpoint, testUsername, testPassword, testAPIKey, strings.Join(extra, "\n  "))
}

// providerConfig is the provider block pointing at this mock.
func (p *testPBX) providerConfig(extra ...string) string {
	return providerBlock(p.URL, extra...)
}

// control calls the mock's /_mock/ control API and decodes the JSON reply
// into out (if non-nil).
func (p *testPBX) control(method, route string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.URL+"/_mock/"+strings.TrimPrefix(route, "/"), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("control %s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("control %s %s: HTTP %d: %s", method, route, resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("control %s %s: decoding %s: %w", method, route, data, err)
		}
	}
	return nil
}

// mustControl is control for PreConfig steps: it fails the test on error.
func (p *testPBX) mustControl(t *testing.T, method, route string, body any, out any) {
	t.Helper()
	if err := p.control(method, route, body, out); err != nil {
		t.Fatal(err)
	}
}

// storedUser returns the stored user with this number (secret in clear), or
// nil.
func (p *testPBX) storedUser(number string) (map[string]any, error) {
	var users []map[string]any
	if err := p.control(http.MethodGet, "users", nil, &users); err != nil {
		return nil, err
	}
	for _, u := range users {
		if fmt.Sprint(u["number"]) == number {
			return u, nil
		}
	}
	return nil, nil
}

// mustUserID returns the _id of the stored user with this number.
func (p *testPBX) mustUserID(t *testing.T, number string) string {
	t.Helper()
	u, err := p.storedUser(number)
	if err != nil || u == nil {
		t.Fatalf("no stored user with number %s (%v)", number, err)
	}
	return fmt.Sprint(u["_id"])
}

// checkStored checks that the device holds the user with this number with
// exactly these field values (forward_policy as a map of the device's keys).
func (p *testPBX) checkStored(number string, want map[string]any) resource.TestCheckFunc {
	return func(*terraform.State) error {
		u, err := p.storedUser(number)
		if err != nil {
			return err
		}
		if u == nil {
			return fmt.Errorf("the PBX has no user with number %s", number)
		}
		var diffs []string
		for k, w := range want {
			if got := u[k]; fmt.Sprint(got) != fmt.Sprint(w) {
				diffs = append(diffs, fmt.Sprintf("%s: stored %v, want %v", k, got, w))
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			return fmt.Errorf("user %s on the PBX differs from the configuration:\n  %s", number, strings.Join(diffs, "\n  "))
		}
		return nil
	}
}

// checkUserCount checks how many users the device holds.
func (p *testPBX) checkUserCount(n int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var users []map[string]any
		if err := p.control(http.MethodGet, "users", nil, &users); err != nil {
			return err
		}
		if len(users) != n {
			return fmt.Errorf("the PBX holds %d users, want %d", len(users), n)
		}
		return nil
	}
}

// errorLike matches an error message in Terraform's output, which wraps long
// lines: each literal part is quoted, and every space may be any run of
// white space. Parts are joined by "anything".
func errorLike(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		words := strings.Fields(p)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		quoted[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, ".*"))
}
