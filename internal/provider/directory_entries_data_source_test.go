package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

const entriesAddr = "data.pbx_directory_entries.test"

// withPeopleAndSeed: Alice, Bob and the seed page's entry.
func withPeopleAndSeed(c *mockpbx.Config) {
	withSeedEntry(c)
	seed := c.Directory
	withPeople(c)
	c.Directory = append(c.Directory, seed...)
}

func entriesConfig(p *testPBX, args string) string {
	return p.providerConfig() + fmt.Sprintf("data \"pbx_directory_entries\" \"test\" {\n  %s\n}\n", args)
}

func TestAccDirectoryEntriesDataSource_uuids(t *testing.T) {
	p := newTestPBX(t, withPeopleAndSeed)
	lower := "a11ce000-0000-4000-8000-000000000001"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Missing entries are named, all of them, in one error.
				Config:      entriesConfig(p, fmt.Sprintf("uuids = [%q, %q, %q]", aliceUUID, "76543210-68FF-18CA-3210-FEDCBA987654", "76543210-68FF-18CA-3210-FEDCBA987655")),
				ExpectError: errorLike("2 directory entries do not exist", "76543210-68FF-18CA-3210-FEDCBA987654, 76543210-68FF-18CA-3210-FEDCBA987655", "EDIR_UUID_DOES_NOT_EXIST"),
			},
			{
				Config:      entriesConfig(p, `uuids = ["nope"]`),
				PlanOnly:    true,
				ExpectError: errorLike(`"nope" is not a valid directory uuid`),
			},
			{
				// Both mistakes of changed_since are reported at its own line (Terraform shows a
				// nested attribute's error at the data block's first line), the value quoted.
				Config:   entriesConfig(p, "changed_since = {\n    series    = \"12\\na\"\n    timestamp = -1\n  }"),
				PlanOnly: true,
				ExpectError: errorLike("Invalid changed_since.series", "changed_since = {", `changed_since.series is "12\na": it must be a decimal number`,
					"Invalid changed_since.timestamp", "changed_since = {", "changed_since.timestamp is -1: it must be 0"),
			},
			{
				Config:      entriesConfig(p, ""),
				PlanOnly:    true,
				ExpectError: errorLike("Exactly one of these attributes must be configured: [uuids,changed_since,owner]"),
			},
			{
				// A duplicate (in another letter case) is read once and keyed as given.
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q, %q, %q]", aliceUUID, lower, bobUUID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(aliceUUID).AtMapKey("name"), knownvalue.StringExact("Alice")),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(lower).AtMapKey("email"), knownvalue.StringExact("alice@example.com")),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(bobUUID).AtMapKey("name"), knownvalue.StringExact("Bob")),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries"), knownvalue.MapSizeExact(3)),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("series"), knownvalue.StringExact("6423407687606431951")),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(bobUUID).AtMapKey("fields_json"), knownvalue.Null()),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("credentials_json"), knownvalue.Null()),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("timestamps"), knownvalue.Null()),
				},
			},
			{
				Config:      entriesConfig(p, fmt.Sprintf("uuids = [%q]\n  include_entries = false\n  include_fields_json = true", bobUUID)),
				PlanOnly:    true,
				ExpectError: errorLike("include_fields_json needs entries", "include_entries = false leaves null"),
			},
			{
				// Without entries only the timestamps reach the state (and the
				// credentials, asked for): the shape for a big directory's drift check.
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q, %q]\n  include_entries = false\n  include_credentials = true", aliceUUID, entryUUID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries"), knownvalue.Null()),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("timestamps"), knownvalue.MapExact(map[string]knownvalue.Check{
						aliceUUID: knownvalue.Int64Func(positive), entryUUID: knownvalue.Int64Func(positive),
					})),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("credentials_json").AtMapKey(entryUUID), knownvalue.StringRegexp(regexp.MustCompile(`"pin":"4321"`))),
				},
			},
			{
				// The timestamps are the entries' own.
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q]\n  include_entries = false", entryUUID)) +
					fmt.Sprintf("data \"pbx_directory_entries\" \"full\" {\n  uuids = [%q]\n}\n", entryUUID),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries"), knownvalue.Null()),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("credentials_json"), knownvalue.Null()),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("timestamps").AtMapKey(entryUUID), knownvalue.Int64Func(positive)),
					statecheck.CompareValuePairs(entriesAddr, tfjsonpath.New("timestamps").AtMapKey(entryUUID),
						"data.pbx_directory_entries.full", tfjsonpath.New("entries").AtMapKey(entryUUID).AtMapKey("timestamp"), compare.ValuesSame()),
				},
			},
			{
				// The field selection reaches the device; fields_json and the
				// credentials only on request, the credentials in one
				// sensitive map beside the entries.
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q, %q]\n  fields = [\"name\", \"access.pin\"]\n  include_fields_json = true\n  include_credentials = true", bobUUID, entryUUID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(entryUUID), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name": knownvalue.StringExact("ABCD"), "email": knownvalue.Null(), "fields_json": knownvalue.StringRegexp(regexp.MustCompile(`^\{"name":"ABCD","timestamp":\d+,"uuid":"` + entryUUID + `"\}$`)),
					})),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("credentials_json"), knownvalue.MapExact(map[string]knownvalue.Check{
						entryUUID: knownvalue.StringExact(`{"pin":"4321"}`),
						bobUUID:   knownvalue.StringExact(`{"pin":""}`),
					})),
					statecheck.ExpectSensitiveValue(entriesAddr, tfjsonpath.New("credentials_json")),
				},
			},
		},
	})
}

func TestAccDirectoryEntriesDataSource_changedSince(t *testing.T) {
	p := newTestPBX(t, withPeopleAndSeed)
	since := p.mock.Timestamp() // after seeding
	sinceConfig := func(series string) string {
		return entriesConfig(p, fmt.Sprintf("changed_since = { series = %q, timestamp = %d }", series, since))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Bob renamed and the seed entry deleted after the recorded point.
				PreConfig: func() {
					must(t)(p.mock.PutDirectoryEntry(bobUUID, map[string]any{"name": "Robert"}))
					must(t)(p.mock.DeleteDirectoryEntry(entryUUID))
				},
				Config: sinceConfig("6423407687606431951"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries"), knownvalue.MapExact(map[string]knownvalue.Check{
						bobUUID: knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Robert")}),
					})),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("deleted_uuids"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(entryUUID)})),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("resync"), knownvalue.Bool(false)),
				},
			},
			{
				// Another series: every entry comes back.
				Config: sinceConfig("1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("resync"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(aliceUUID).AtMapKey("name"), knownvalue.StringExact("Alice")),
					statecheck.ExpectKnownValue(entriesAddr, tfjsonpath.New("entries").AtMapKey(bobUUID).AtMapKey("name"), knownvalue.StringExact("Robert")),
				},
			},
		},
	})
}

func positive(v int64) error {
	if v <= 0 {
		return fmt.Errorf("%d, want a timestamp above 0", v)
	}
	return nil
}

// TestAccDirectoryEntriesDataSource_timestampsOnlyRequest: with include_entries =
// false the device is asked for the timestamps only, unless the credentials or a
// field selection are asked for.
func TestAccDirectoryEntriesDataSource_timestampsOnlyRequest(t *testing.T) {
	m := newTestMock(t, withPeopleAndSeed)
	var mu sync.Mutex
	var selections []string // the "fields" of every dir/get, as JSON
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/dir/get") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				Fields json.RawMessage `json:"fields"`
			}
			if json.Unmarshal(body, &req) == nil && len(req.Fields) > 0 {
				mu.Lock()
				selections = append(selections, string(req.Fields))
				mu.Unlock()
			}
		}
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p := &testPBX{URL: srv.URL, mock: m}
	lastSelection := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			mu.Lock()
			defer mu.Unlock()
			if len(selections) == 0 || selections[len(selections)-1] != want {
				return fmt.Errorf("dir/get field selections %v, want the last to be %s", selections, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q]\n  include_entries = false", aliceUUID)),
				Check:  lastSelection(`["timestamp"]`),
			},
			{
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q]\n  include_entries = false\n  include_credentials = true", aliceUUID)),
				Check:  lastSelection(`[]`),
			},
			{
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q]\n  include_entries = false\n  fields = [\"name\"]", aliceUUID)),
				Check:  lastSelection(`["name"]`),
			},
			{
				Config: entriesConfig(p, fmt.Sprintf("uuids = [%q]", aliceUUID)),
				Check:  lastSelection(`[]`),
			},
		},
	})
}
