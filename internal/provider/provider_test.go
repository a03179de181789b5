package provider

import (
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// testAccProtoV6ProviderFactories runs in-process, for
// terraform-plugin-testing, the protocol server main.go ships
// (NewProtocol6Server), so the acceptance tests run what users run.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"pbx": func() (tfprotov6.ProviderServer, error) { return NewProtocol6Server("test")(), nil },
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

// newTestPBX serves newTestMock over HTTP.
func newTestPBX(t *testing.T, opts ...func(*mockpbx.Config)) *testPBX {
	t.Helper()
	m := newTestMock(t, opts...)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return &testPBX{URL: srv.URL, mock: m}
}

// newTestMock is a mock with the test account, Digest on the directory and
// the control API enabled. opts adjust the configuration.
func newTestMock(t *testing.T, opts ...func(*mockpbx.Config)) *mockpbx.Server {
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
	return m
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

// mustUserID returns the _id of the stored user with this number.
func (p *testPBX) mustUserID(t *testing.T, number string) string {
	t.Helper()
	u, ok := p.mock.UserByNumber(number)
	if !ok {
		t.Fatalf("no stored user with number %s", number)
	}
	return fmt.Sprint(u["_id"])
}

// must fails the test when a call to the mock's Go API failed:
// must(t)(p.mock.PutDirectoryEntry(uuid, fields)), must(t)(nil, p.mock.DeleteUser(id)).
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// editUser changes the stored user with this number as an edit in the web
// panel does.
func (p *testPBX) editUser(t *testing.T, number string, fields map[string]any) {
	t.Helper()
	if _, err := p.mock.PatchUser(p.mustUserID(t, number), fields); err != nil {
		t.Fatal(err)
	}
}

// checkStored checks that the device holds the user with this number with
// exactly these field values (forward_policy as a map of the device's keys).
func (p *testPBX) checkStored(number string, want map[string]any) resource.TestCheckFunc {
	return func(*terraform.State) error {
		u, ok := p.mock.UserByNumber(number)
		if !ok {
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
		if users := p.mock.Users(); len(users) != n {
			return fmt.Errorf("the PBX holds %d users, want %d", len(users), n)
		}
		return nil
	}
}

// checkNumberCount checks that exactly n stored users have this number.
func (p *testPBX) checkNumberCount(number string, n int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var same []map[string]any
		for _, u := range p.mock.Users() {
			if fmt.Sprint(u["number"]) == number {
				same = append(same, u)
			}
		}
		if len(same) != n {
			return fmt.Errorf("the PBX holds %d users with number %s, want %d: %v", len(same), number, n, same)
		}
		return nil
	}
}

// setFaults replaces the mock's fault rules.
func (p *testPBX) setFaults(t *testing.T, rules ...mockpbx.FaultRule) {
	t.Helper()
	if err := p.mock.SetFaults(rules); err != nil {
		t.Fatal(err)
	}
}

// requests returns the mock's per-endpoint request counts.
func (p *testPBX) requests(*testing.T) map[string]int { return p.mock.RequestCounts() }

// resetRequests sets the request counts back to zero.
func (p *testPBX) resetRequests(*testing.T) { p.mock.ResetRequestCounts() }

// checkRequests checks the request counts of some endpoints since the last
// resetRequests.
func (p *testPBX) checkRequests(t *testing.T, want map[string]int) {
	t.Helper()
	got := p.mock.RequestCounts()
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

// TestConfigureDiagnostics: Configure checks every argument, from the
// configuration or the environment, names the argument and its variable in
// each diagnostic, and reports them in the schema's order: the same
// configuration gives the same diagnostics in the same order, every time.
func TestConfigureDiagnostics(t *testing.T) {
	allEnv := []string{envEndpoint, envUsername, envPassword, envAPIKey, envAuthMode, envDirEndpoint, envDirUsername,
		envDirPassword, envDirAuth, envInsecureSkip, envCACertPEM, envRequestTimeout, envMaxRetries, envRetryMaxWait}
	fromEnv := func(m *pbxProviderModel) {
		m.RequestTimeout, m.MaxRetries, m.RetryMaxWait = types.StringNull(), types.Int64Null(), types.StringNull()
	}
	cases := []struct {
		name string
		env  map[string]string
		edit func(*pbxProviderModel)
		want []string // each diagnostic: "attribute | summary | a part of the detail", in order
	}{
		{"invalid values from the environment", map[string]string{
			envRetryMaxWait: "-1s", envMaxRetries: "many", envRequestTimeout: "soon", envInsecureSkip: "perhaps",
			envDirAuth: "kerberos", envDirEndpoint: "ftp://door.example", envAuthMode: "digest",
		}, fromEnv, []string{
			`auth_mode | Invalid auth_mode | auth_mode (PBX_AUTH_MODE) "digest" is not one of them: must be one of basic, token, both.`,
			`directory.endpoint | Invalid directory.endpoint | directory.endpoint (PBX_DIRECTORY_ENDPOINT) "ftp://door.example" does not start with http:// or https://`,
			`directory.auth | Invalid directory.auth | directory.auth (PBX_DIRECTORY_AUTH) "kerberos" is not one of them: must be one of auto, digest, basic, none.`,
			`insecure_skip_verify | Invalid insecure_skip_verify | insecure_skip_verify (PBX_INSECURE_SKIP_VERIFY) "perhaps" is not true or false`,
			`request_timeout | Invalid request_timeout | request_timeout (PBX_REQUEST_TIMEOUT) "soon" is not a positive duration`,
			`max_retries | Invalid max_retries | max_retries (PBX_MAX_RETRIES) "many" is not a whole number from 0 to 20`,
			`retry_max_wait | Invalid retry_max_wait | retry_max_wait (PBX_RETRY_MAX_WAIT) "-1s" is not a positive duration`,
		}},
		{"values known only after apply", nil, func(m *pbxProviderModel) {
			m.RetryMaxWait, m.MaxRetries, m.InsecureSkipVerify, m.Username = types.StringUnknown(), types.Int64Unknown(), types.BoolUnknown(), types.StringUnknown()
		}, []string{
			"username | Unknown provider configuration value | Set it from a known value, or through the PBX_USERNAME environment variable.",
			"insecure_skip_verify | Unknown provider configuration value | PBX_INSECURE_SKIP_VERIFY",
			"max_retries | Unknown provider configuration value | PBX_MAX_RETRIES",
			"retry_max_wait | Unknown provider configuration value | PBX_RETRY_MAX_WAIT",
		}},
		{"no endpoint, no credentials", nil, func(m *pbxProviderModel) {
			m.Endpoint, m.Username, m.Password, m.APIKey = types.StringNull(), types.StringNull(), types.StringNull(), types.StringNull()
		}, []string{
			"endpoint | Missing PBX endpoint | the PBX_ENDPOINT environment variable",
			"api_key | Missing PBX credentials | set `api_key` (or PBX_API_KEY), or `username` and `password` (or PBX_USERNAME and PBX_PASSWORD)",
		}},
		{"auth_mode both, API key only", nil, func(m *pbxProviderModel) {
			m.Username, m.Password, m.AuthMode = types.StringNull(), types.StringNull(), types.StringValue("both")
		}, []string{
			"username | Missing PBX user name | auth_mode \"both\" needs the API account's user name: set `username` or the PBX_USERNAME environment variable.",
			"password | Missing PBX password | set `password` or the PBX_PASSWORD environment variable.",
		}},
		{"auth_mode token from the environment, no API key", map[string]string{envAuthMode: "token"}, func(m *pbxProviderModel) {
			m.APIKey = types.StringNull()
		}, []string{"api_key | Missing PBX API key | auth_mode \"token\" needs the API account's API key: set `api_key` or the PBX_API_KEY environment variable."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, env := range allEnv {
				t.Setenv(env, c.env[env])
			}
			cfg := providerModel("https://pbx.example.com")
			c.edit(&cfg)
			first := configureDiags(t, cfg)
			for range 10 {
				if again := configureDiags(t, cfg); !slices.Equal(again, first) {
					t.Fatalf("the same configuration gave other diagnostics or another order:\n%s\nthen:\n%s",
						strings.Join(first, "\n"), strings.Join(again, "\n"))
				}
			}
			if len(first) != len(c.want) {
				t.Fatalf("%d diagnostics, want %d:\n%s", len(first), len(c.want), strings.Join(first, "\n"))
			}
			for i, w := range c.want {
				attr, rest, _ := strings.Cut(w, " | ")
				summary, detail, _ := strings.Cut(rest, " | ")
				if !strings.HasPrefix(first[i], attr+" | "+summary+" | ") || !strings.Contains(first[i], detail) {
					t.Errorf("diagnostic %d is\n  %s\nwant\n  %s", i, first[i], w)
				}
			}
		})
	}
}

// configureDiags runs Configure and returns its diagnostics as
// "attribute | summary | detail" (white space folded), in order.
func configureDiags(t *testing.T, cfg pbxProviderModel) []string {
	t.Helper()
	var out []string
	for _, d := range newDirect(t, cfg).configure {
		attr := ""
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			attr = wp.Path().String()
		}
		out = append(out, attr+" | "+d.Summary()+" | "+strings.Join(strings.Fields(d.Detail()), " "))
	}
	return out
}
