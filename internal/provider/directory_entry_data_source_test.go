package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

const (
	entryUUID = "01234567-89AB-CDEF-0123-456789ABCDEF"
	entryAddr = "data.pbx_directory_entry.test"
)

func withSeedEntry(c *mockpbx.Config) {
	c.Series = "6423407687606431951"
	c.Directory = []map[string]any{{
		"uuid":     entryUUID,
		"name":     "ABCD",
		"email":    "abcd@abcd.cz",
		"treepath": "/Lobby",
		"owner":    "My2N",
		"callPos": []any{
			map[string]any{"peer": "sip:100@pbx.example.com"},
			map[string]any{"peer": "200", "grouped": "true", "profiles": "1"},
			map[string]any{"peer": ""},
		},
		"access": map[string]any{"pin": "4321"},
	}}
}

func entryBlock(uuid, extra string) string {
	return fmt.Sprintf(`
data "pbx_directory_entry" "test" {
  uuid = %q
  %s
}
`, uuid, extra)
}

func entryConfig(p *testPBX, uuid, extra string) string {
	return p.providerConfig() + entryBlock(uuid, extra)
}

func TestAccDirectoryEntryDataSource_found(t *testing.T) {
	p := newTestPBX(t, withSeedEntry)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: entryConfig(p, entryUUID, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("name"), knownvalue.StringExact("ABCD")),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("email"), knownvalue.StringExact("abcd@abcd.cz")),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("treepath"), knownvalue.StringExact("/Lobby")),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("owner"), knownvalue.StringExact("My2N")),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("virt_number"), knownvalue.StringExact("")),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("series"), knownvalue.StringExact("6423407687606431951")),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("timestamp"), knownvalue.Int64Func(func(v int64) error {
						if v < 1 {
							return fmt.Errorf("timestamp %d, want a positive change counter", v)
						}
						return nil
					})),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("call_positions"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{"peer": knownvalue.StringExact("sip:100@pbx.example.com"), "grouped": knownvalue.Bool(false), "profiles": knownvalue.StringExact("")}),
						knownvalue.ObjectExact(map[string]knownvalue.Check{"peer": knownvalue.StringExact("200"), "grouped": knownvalue.Bool(true), "profiles": knownvalue.StringExact("1")}),
						knownvalue.ObjectExact(map[string]knownvalue.Check{"peer": knownvalue.StringExact(""), "grouped": knownvalue.Bool(false), "profiles": knownvalue.StringExact("")}),
					})),
					// Nothing beyond the typed attributes unless asked for.
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("fields_json"), knownvalue.Null()),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("credentials_json"), knownvalue.Null()),
					statecheck.ExpectSensitiveValue(entryAddr, tfjsonpath.New("credentials_json")),
					stateLacks("4321"),
				},
			},
			{
				// fields_json on request, without the credentials; those only
				// in the sensitive credentials_json.
				Config: entryConfig(p, entryUUID, "include_fields_json = true\n  include_credentials = true"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("fields_json"), knownvalue.StringFunc(func(v string) error {
						if !strings.Contains(v, `"name":"ABCD"`) || strings.Contains(v, "4321") || strings.Contains(v, `"pin"`) {
							return fmt.Errorf("fields_json %s: want the entry without its PIN", v)
						}
						return nil
					})),
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("credentials_json"), knownvalue.StringExact(
						`{"card":["",""],"code":["","","",""],"fpt":"","mobkey":"","pin":"4321","virtCard":""}`)),
					statecheck.ExpectSensitiveValue(entryAddr, tfjsonpath.New("credentials_json")),
				},
			},
			// A change on the device shows in the next read, with a higher timestamp.
			{
				PreConfig: func() {
					must(t)(p.mock.PutDirectoryEntry(entryUUID, map[string]any{"name": "Reception"}))
				},
				Config: entryConfig(p, entryUUID, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("name"), knownvalue.StringExact("Reception")),
				},
			},
		},
	})
}

func TestAccDirectoryEntryDataSource_fieldsSelection(t *testing.T) {
	p := newTestPBX(t, withSeedEntry)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Lower-case uuid: the device matches case-insensitively.
			Config: entryConfig(p, "01234567-89ab-cdef-0123-456789abcdef", "fields = [\"name\", \"callPos[1].grouped\"]\n  include_fields_json = true\n  include_credentials = true"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("name"), knownvalue.StringExact("ABCD")),
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("email"), knownvalue.Null()),
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("call_positions").AtSliceIndex(1).AtMapKey("grouped"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("call_positions").AtSliceIndex(1).AtMapKey("peer"), knownvalue.Null()),
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("fields_json"), knownvalue.StringRegexp(regexp.MustCompile(`^[^@]*$`))),
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("credentials_json"), knownvalue.StringExact("{}")),
			},
		}},
	})
}

func TestAccDirectoryEntryDataSource_errors(t *testing.T) {
	p := newTestPBX(t, withSeedEntry)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      entryConfig(p, "76543210-68FF-18CA-3210-FEDCBA987654", ""),
				ExpectError: errorLike("Unable to read directory entry 76543210-68FF-18CA-3210-FEDCBA987654", "no entry with uuid 76543210-68FF-18CA-3210-FEDCBA987654 (EDIR_UUID_DOES_NOT_EXIST)"),
			},
			{
				Config:      entryConfig(p, "76543210-68FF-18-3210-FEDCBA987654", ""),
				PlanOnly:    true,
				ExpectError: errorLike(`uuid "76543210-68FF-18-3210-FEDCBA987654" is not a valid directory uuid`),
			},
			{
				Config:      entryConfig(p, "00000000-0000-0000-0000-000000000000", ""),
				PlanOnly:    true,
				ExpectError: errorLike(`not all zeros`),
			},
			{
				Config:      entryConfig(p, entryUUID, `fields = []`),
				PlanOnly:    true,
				ExpectError: errorLike(`fields list must contain at least 1 elements`),
			},
			// Deleted on the device: soft-deleted entries are not found.
			{
				PreConfig: func() {
					must(t)(p.mock.DeleteDirectoryEntry(entryUUID))
				},
				Config:      entryConfig(p, entryUUID, ""),
				ExpectError: regexp.MustCompile(`EDIR_UUID_DOES_NOT_EXIST`),
			},
		},
	})
}

func TestAccDirectoryEntryDataSource_wrongDigestPassword(t *testing.T) {
	p := newTestPBX(t, withSeedEntry)
	config := p.providerConfig(`directory = { password = "wrong-directory-password" }`) + entryBlock(entryUUID, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: errorLike("dir/get", "HTTP 401", "error code 9", "credentials were rejected"),
		}},
	})
}

// TestAccProvider_tokenAndBasicAuth: an API-key-only PBX account and a
// Basic-auth intercom with its own credentials, configured from the
// environment.
func TestAccProvider_tokenAndBasicAuth(t *testing.T) {
	p := newTestPBX(t, withSeedEntry, func(c *mockpbx.Config) {
		c.Accounts = []mockpbx.Account{{Username: "unused", Password: "unused", APIKey: testAPIKey, Mode: "token"}}
		c.DirAuth, c.DirUsername, c.DirPassword = "basic", "intercom", "intercom-pass"
	})
	for env, v := range map[string]string{
		envEndpoint: p.URL, envAPIKey: testAPIKey, envUsername: "", envPassword: "", envAuthMode: "",
		envDirUsername: "intercom", envDirPassword: "intercom-pass", envDirAuth: "basic",
	} {
		t.Setenv(env, v)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: userBlock("test", "530", "Token", "t0ken-s3cret") + entryBlock(entryUUID, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(entryAddr, tfjsonpath.New("name"), knownvalue.StringExact("ABCD")),
			},
			Check: p.checkStored("530", map[string]any{"name": "Token"}),
		}},
	})
}
