package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/list"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

const managedEntryAddr = "pbx_directory_entry.test"

// derivedUUID is the form of the uuid a configuration without `uuid` derives
// for its entry: upper case, name-based (version 8, RFC 9562).
var derivedUUID = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

// dirRecorder sits in front of the mock and keeps the body of every
// directory request, so a test can see what the provider sent.
type dirRecorder struct {
	next http.Handler

	mu     sync.Mutex
	bodies map[string][][]byte // by function: "dir/update", …
}

func (d *dirRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if fn, ok := strings.CutPrefix(r.URL.Path, "/api/"); ok && strings.HasPrefix(fn, "dir/") {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Header.Get("Authorization") != "" { // the Digest retry, not the challenge
			d.mu.Lock()
			d.bodies[fn] = append(d.bodies[fn], body)
			d.mu.Unlock()
		}
	}
	d.next.ServeHTTP(w, r)
}

func (d *dirRecorder) sent(fn string) [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.bodies[fn]...)
}

func (d *dirRecorder) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bodies = map[string][][]byte{}
}

// newRecordedPBX is newTestPBX with a dirRecorder in front of the mock.
func newRecordedPBX(t *testing.T, opts ...func(*mockpbx.Config)) (*testPBX, *dirRecorder) {
	t.Helper()
	m := newTestMock(t, opts...)
	rec := &dirRecorder{next: m, bodies: map[string][][]byte{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return &testPBX{URL: srv.URL, mock: m}, rec
}

func managedEntryConfig(p *testPBX, body string) string {
	return p.providerConfig() + "\nresource \"pbx_directory_entry\" \"test\" {\n" + body + "\n}\n"
}

const fullEntryBody = `
  name        = "Reception"
  email       = "reception@example.com, desk@example.com"
  treepath    = "/Staff/Front"
  virt_number = "100"
  owner       = "team-a"
  deputy      = "76543210-68FF-18CA-3210-FEDCBA987654"
  call_positions = [
    { peer = "sip:201@pbx.example.com" },
    { peer = "202", grouped = true, profiles = "1" },
    {},
  ]
  access = {
    valid_from = "2026-01-01T00:00:00Z"
    valid_to   = "2027-01-01T00:00:00Z"
    pin        = "4711"
    codes      = ["", "2580"]
    cards      = ["04A2B1C3"]
  }
`

// fullEntryStored is what the intercom holds for fullEntryBody.
var fullEntryStored = map[string]string{
	"name": "Reception", "email": "reception@example.com, desk@example.com", "treepath": "/Staff/Front",
	"virtNumber": "100", "owner": "team-a", "deputy": "76543210-68FF-18CA-3210-FEDCBA987654",
	"callPos.0.peer": "sip:201@pbx.example.com", "callPos.0.grouped": "false", "callPos.0.profiles": "",
	"callPos.1.peer": "202", "callPos.1.grouped": "true", "callPos.1.profiles": "1",
	"callPos.2.peer": "", "callPos.2.grouped": "false", "callPos.2.profiles": "",
	"access.validFrom": "1767225600", "access.validTo": "1798761600", "access.pin": "4711",
	"access.code": "[ 2580  ]", "access.card": "[04A2B1C3 ]",
}

// defaultEntryStored is what the intercom holds for an entry with only a name.
var defaultEntryStored = map[string]string{
	"email": "", "treepath": "/", "virtNumber": "", "owner": "", "deputy": "",
	"callPos.0.peer": "", "callPos.0.grouped": "false", "callPos.1.peer": "", "callPos.1.grouped": "false",
	"callPos.1.profiles": "", "callPos.2.peer": "",
	"access.validFrom": "0", "access.validTo": "0", "access.pin": "", "access.code": "[   ]", "access.card": "[ ]",
}

// flatten turns a stored entry into "a.b.0.c" keys; arrays of scalars stay
// whole, printed with fmt.
func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			flatten(prefix+k+".", x, out)
		}
	case []any:
		if len(t) > 0 {
			if _, isObj := t[0].(map[string]any); isObj {
				for i, x := range t {
					flatten(fmt.Sprintf("%s%d.", prefix, i), x, out)
				}
				return
			}
		}
		out[strings.TrimSuffix(prefix, ".")] = fmt.Sprint(t)
	default:
		out[strings.TrimSuffix(prefix, ".")] = fmt.Sprint(t)
	}
}

func stateUUID(s *terraform.State, addr string) (string, error) {
	rs, ok := s.RootModule().Resources[addr]
	if !ok {
		return "", fmt.Errorf("%s is not in the state", addr)
	}
	return rs.Primary.Attributes["uuid"], nil
}

// checkEntryStored checks that the intercom holds the entry of addr, live,
// with these (flattened) values; a key in a later map overrides an earlier one.
func (p *testPBX) checkEntryStored(addr string, want ...map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		uuid, err := stateUUID(s, addr)
		if err != nil {
			return err
		}
		e, ok := p.mock.DirectoryEntry(uuid)
		if !ok || e["deleted"] == true {
			return fmt.Errorf("the directory has no live entry %s", uuid)
		}
		got := map[string]string{}
		flatten("", e, got)
		merged := map[string]string{} // later maps override earlier ones
		for _, w := range want {
			for k, v := range w {
				merged[k] = v
			}
		}
		var diffs []string
		for k, v := range merged {
			g, stored := got[k]
			switch {
			case !stored:
				diffs = append(diffs, fmt.Sprintf("%s: not stored, want %q", k, v))
			case g != v:
				diffs = append(diffs, fmt.Sprintf("%s: stored %q, want %q", k, g, v))
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			return fmt.Errorf("entry %s differs:\n  %s", uuid, strings.Join(diffs, "\n  "))
		}
		return nil
	}
}

// checkOneUpdate checks that exactly one dir/update was sent since the last
// reset, carrying the uuid of managedEntryAddr and exactly these fields.
func checkOneUpdate(rec *dirRecorder, fields map[string]any) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		uuid, err := stateUUID(s, managedEntryAddr)
		if err != nil {
			return err
		}
		sent := rec.sent("dir/update")
		if len(sent) != 1 {
			return fmt.Errorf("%d dir/update requests, want 1", len(sent))
		}
		item := map[string]any{"uuid": uuid}
		for k, v := range fields {
			item[k] = v
		}
		want, _ := json.Marshal(map[string]any{"users": []any{item}})
		var g, w any
		_ = json.Unmarshal(sent[0], &g)
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			return fmt.Errorf("dir/update sent\n  %s\nwant\n  %s", sent[0], want)
		}
		return nil
	}
}

// checkLiveEntries checks that the directory holds exactly n live entries.
func (p *testPBX) checkLiveEntries(n int) error {
	var live []string
	for _, e := range p.mock.DirectoryEntries() {
		if e["deleted"] != true {
			live = append(live, fmt.Sprintf("%v (%v)", e["uuid"], e["name"]))
		}
	}
	if len(live) != n {
		return fmt.Errorf("the directory holds %d live entries, want %d: %v", len(live), n, live)
	}
	return nil
}

// checkNoLiveEntries checks that no entry is live.
func (p *testPBX) checkNoLiveEntries(*terraform.State) error {
	for _, e := range p.mock.DirectoryEntries() {
		if e["deleted"] != true {
			return fmt.Errorf("entry %v (%v) is still in the directory", e["uuid"], e["name"])
		}
	}
	return nil
}

// planCheckFunc is a plan check that looks at something other than the
// plan (the mock's request counts).
type planCheckFunc func() error

func (f planCheckFunc) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f()
}

// expectChange checks that the plan changes attribute attr of addr from
// before (the refreshed state) to after.
func expectChange(addr, attr string, before, after any) plancheck.PlanCheck {
	return changeCheck{addr, attr, before, after}
}

type changeCheck struct {
	addr, attr    string
	before, after any
}

func (c changeCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		b, _ := rc.Change.Before.(map[string]any)
		a, _ := rc.Change.After.(map[string]any)
		if !reflect.DeepEqual(b[c.attr], c.before) || !reflect.DeepEqual(a[c.attr], c.after) {
			resp.Error = fmt.Errorf("%s.%s: planned %v -> %v, want %v -> %v", c.addr, c.attr, b[c.attr], a[c.attr], c.before, c.after)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: no planned change", c.addr)
}

// credentialStateKeys are the state keys of the credentials, which an import
// leaves unmanaged.
var credentialStateKeys = []string{"access.pin", "access.codes", "access.cards"}

// importedWithoutCredentials checks that an imported entry's state holds no
// credential (not even an empty one).
func importedWithoutCredentials(states []*terraform.InstanceState) error {
	if len(states) != 1 {
		return fmt.Errorf("%d imported instances, want 1", len(states))
	}
	for k, v := range states[0].Attributes {
		for _, c := range credentialStateKeys {
			if strings.HasPrefix(k, c) {
				return fmt.Errorf("the imported state holds %s = %q: an import manages no credential", k, v)
			}
		}
	}
	return nil
}

func TestAccDirectoryEntryResource_lifecycle(t *testing.T) {
	p, rec := newRecordedPBX(t)
	sameUUID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			// Create with every argument: the entry lands as configured, and
			// the next plan is empty.
			{
				Config: managedEntryConfig(p, fullEntryBody),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("uuid"), knownvalue.StringRegexp(derivedUUID)),
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("series"), knownvalue.StringExact(p.mock.Series())),
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("timestamp"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("access").AtMapKey("codes"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(""), knownvalue.StringExact("2580")})),
					statecheck.ExpectSensitiveValue(managedEntryAddr, tfjsonpath.New("access").AtMapKey("pin")),
					statecheck.ExpectSensitiveValue(managedEntryAddr, tfjsonpath.New("access").AtMapKey("codes")),
					statecheck.ExpectSensitiveValue(managedEntryAddr, tfjsonpath.New("access").AtMapKey("cards")),
					sameUUID.AddStateValue(managedEntryAddr, tfjsonpath.New("uuid")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					// The derived uuid is known after apply (the state check
					// above holds it to the derived form).
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectUnknownValue(managedEntryAddr, tfjsonpath.New("uuid")),
						plancheck.ExpectSensitiveValue(managedEntryAddr, tfjsonpath.New("access").AtMapKey("cards")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: p.checkEntryStored(managedEntryAddr, fullEntryStored),
			},
			// Import by uuid (lower case is accepted): every attribute
			// matches, except the credentials, which an import does not
			// manage (nor put in the state) until the configuration names
			// them.
			{
				ResourceName:                         managedEntryAddr,
				ImportState:                          true,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "uuid",
				ImportStateVerifyIgnore:              credentialStateKeys,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					id, err := stateUUID(s, managedEntryAddr)
					return strings.ToLower(id), err
				},
				ImportStateCheck: importedWithoutCredentials,
			},
			// One field changes: dir/update carries only it.
			{
				PreConfig: rec.reset,
				Config:    managedEntryConfig(p, strings.Replace(fullEntryBody, `"Reception"`, `"Front desk"`, 1)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionUpdate),
						onlyChanges(managedEntryAddr, "name", "timestamp", "series", "uuid"),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sameUUID.AddStateValue(managedEntryAddr, tfjsonpath.New("uuid")),
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("timestamp"), knownvalue.Int64Exact(2)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{"name": "Front desk"}),
					p.checkEntryStored(managedEntryAddr, fullEntryStored, map[string]string{"name": "Front desk"}),
				),
			},
			// One sub-field of the third call position and one switch code:
			// only they travel.
			{
				PreConfig: rec.reset,
				Config: managedEntryConfig(p, strings.NewReplacer(`"Reception"`, `"Front desk"`, "{},\n", "{ peer = \"203\" },\n",
					`codes      = ["", "2580"]`, `codes      = ["", "2581"]`).Replace(fullEntryBody)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{onlyChanges(managedEntryAddr, "call_positions", "access", "timestamp", "series")},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{
						"callPos": []any{map[string]any{}, map[string]any{}, map[string]any{"peer": "203"}},
						"access":  map[string]any{"code": []any{"", "2581"}},
					}),
					p.checkEntryStored(managedEntryAddr, fullEntryStored, map[string]string{
						"name": "Front desk", "callPos.2.peer": "203", "access.code": "[ 2581  ]",
					}),
				),
			},
			// Back to a name only: every other field returns to its default
			// on the intercom, except the credentials, which the
			// configuration no longer manages: they are neither sent nor
			// cleared, and leave the state.
			{
				PreConfig: rec.reset,
				Config:    managedEntryConfig(p, `name = "Front desk"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sameUUID.AddStateValue(managedEntryAddr, tfjsonpath.New("uuid")),
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("access"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"valid_from": knownvalue.Null(), "valid_to": knownvalue.Null(), "pin": knownvalue.Null(),
						"codes": knownvalue.Null(), "cards": knownvalue.Null(),
					})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{
						"email": "", "treepath": "/", "virtNumber": "", "owner": "", "deputy": "",
						"callPos": []any{map[string]any{"peer": ""}, map[string]any{"peer": "", "grouped": false, "profiles": ""}, map[string]any{"peer": ""}},
						"access":  map[string]any{"validFrom": "0", "validTo": "0"},
					}),
					p.checkEntryStored(managedEntryAddr, defaultEntryStored, map[string]string{
						"name": "Front desk", "access.pin": "4711", "access.code": "[ 2581  ]", "access.card": "[04A2B1C3 ]",
					}),
				),
			},
			// Clearing them takes an explicit empty value: every code and
			// card position the entry holds is cleared.
			{
				PreConfig: rec.reset,
				Config: managedEntryConfig(p, `
  name   = "Front desk"
  access = { pin = "", codes = [], cards = [] }
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("access"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"valid_from": knownvalue.Null(), "valid_to": knownvalue.Null(), "pin": knownvalue.StringExact(""),
						"codes": knownvalue.ListExact([]knownvalue.Check{}), "cards": knownvalue.ListExact([]knownvalue.Check{}),
					})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkOneUpdate(rec, map[string]any{
						"access": map[string]any{"pin": "", "code": []any{"", ""}, "card": []any{""}},
					}),
					p.checkEntryStored(managedEntryAddr, defaultEntryStored, map[string]string{"name": "Front desk"}),
				),
			},
			// The minimal entry imports completely too (the empty
			// credentials aside: an import manages none).
			{
				ResourceName:                         managedEntryAddr,
				ImportState:                          true,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "uuid",
				ImportStateVerifyIgnore:              credentialStateKeys,
				ImportStateIdFunc:                    func(s *terraform.State) (string, error) { return stateUUID(s, managedEntryAddr) },
				ImportStateCheck:                     importedWithoutCredentials,
			},
		},
	})
}

// TestAccDirectoryEntryResource_drift: an edit on the intercom shows in the
// plan field by field and is restored; an entry touched without a change
// plans nothing; a deleted entry is created again.
func TestAccDirectoryEntryResource_drift(t *testing.T) {
	p := newTestPBX(t)
	var firstUUID string
	mustUUID := func() string {
		for _, e := range p.mock.DirectoryEntries() {
			if e["deleted"] != true {
				return fmt.Sprint(e["uuid"])
			}
		}
		t.Fatal("no live entry")
		return ""
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			{
				Config: managedEntryConfig(p, fullEntryBody),
				Check:  p.checkEntryStored(managedEntryAddr, fullEntryStored),
			},
			// Someone renames the entry and changes a peer and the PIN in the
			// intercom's web page: the plan names those fields.
			{
				PreConfig: func() {
					firstUUID = mustUUID()
					if _, err := p.mock.PutDirectoryEntry(firstUUID, map[string]any{
						"name": "Mallory", "callPos": []any{nil, map[string]any{"peer": "999"}}, "access": map[string]any{"pin": "0000"},
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config: managedEntryConfig(p, fullEntryBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionUpdate),
						onlyChanges(managedEntryAddr, "name", "call_positions", "access", "timestamp", "series", "uuid"),
						expectChange(managedEntryAddr, "name", "Mallory", "Reception"),
					},
				},
				Check: p.checkEntryStored(managedEntryAddr, fullEntryStored),
			},
			// Touched without a change: a newer timestamp, nothing to plan.
			{
				PreConfig: func() {
					if _, err := p.mock.TouchDirectoryEntry(firstUUID); err != nil {
						t.Fatal(err)
					}
				},
				Config:   managedEntryConfig(p, fullEntryBody),
				PlanOnly: true,
			},
			// Deleted on the intercom: removed from the state and created
			// again, under the uuid the same arguments derive (the directory
			// allows re-creating a deleted uuid): one live entry.
			{
				PreConfig: func() {
					if _, err := p.mock.DeleteDirectoryEntry(firstUUID); err != nil {
						t.Fatal(err)
					}
				},
				Config: managedEntryConfig(p, fullEntryBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionCreate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					p.checkEntryStored(managedEntryAddr, fullEntryStored),
					func(s *terraform.State) error {
						if uuid, _ := stateUUID(s, managedEntryAddr); uuid != firstUUID {
							return fmt.Errorf("the recreated entry has uuid %s, want the one its arguments derive, %s", uuid, firstUUID)
						}
						return p.checkLiveEntries(1)
					},
				),
			},
		},
	})
}

// TestAccDirectoryEntryResource_seriesReset: a directory restored from a
// backup (new series, timestamps restarted) is read again in full and needs
// no change; a wiped directory gets its entries created again.
func TestAccDirectoryEntryResource_seriesReset(t *testing.T) {
	p := newTestPBX(t)
	var restored, firstUUID string
	// kept checks that the entry is still the one first created, and that
	// the run created nothing.
	kept := func(s *terraform.State) error {
		if uuid, err := stateUUID(s, managedEntryAddr); err != nil || uuid != firstUUID {
			return fmt.Errorf("the state holds entry %s (%v), want the first one, %s", uuid, err, firstUUID)
		}
		if n := p.mock.RequestCounts()["dir/create"]; n != 0 {
			return fmt.Errorf("%d dir/create requests, want none", n)
		}
		return p.checkLiveEntries(6) // the entry and the five others
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			{
				Config: managedEntryConfig(p, fullEntryBody),
				Check: resource.ComposeAggregateTestCheckFunc(
					p.checkEntryStored(managedEntryAddr, fullEntryStored),
					func(s *terraform.State) error {
						var err error
						firstUUID, err = stateUUID(s, managedEntryAddr)
						return err
					},
				),
			},
			{
				PreConfig: func() {
					// Push the timestamps of the old series past the entry's,
					// so that a stale comparison would see no change.
					for range 5 {
						if _, err := p.mock.PutDirectoryEntry("", map[string]any{"name": "Other"}); err != nil {
							t.Fatal(err)
						}
					}
					restored = p.mock.ResetDirectory(true)
					p.mock.ResetRequestCounts()
				},
				Config: managedEntryConfig(p, fullEntryBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("series"), knownvalue.StringFunc(func(s string) error {
						if s != restored {
							return fmt.Errorf("series %s, want the restored directory's %s", s, restored)
						}
						return nil
					})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(kept, p.checkEntryStored(managedEntryAddr, fullEntryStored)),
			},
			// A later plan of the restored directory is empty too.
			{
				PreConfig: p.mock.ResetRequestCounts,
				Config:    managedEntryConfig(p, fullEntryBody),
				PlanOnly:  true,
			},
			// Wiped: created again in the new series.
			{
				PreConfig: func() { restored = p.mock.ResetDirectory(false) },
				Config:    managedEntryConfig(p, fullEntryBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("timestamp"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(managedEntryAddr, tfjsonpath.New("series"), knownvalue.StringFunc(func(s string) error {
						if s != restored {
							return fmt.Errorf("series %s, want the wiped directory's %s", s, restored)
						}
						return nil
					})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					p.checkEntryStored(managedEntryAddr, fullEntryStored),
					func(*terraform.State) error { return p.checkLiveEntries(1) },
				),
			},
		},
	})
}

// TestAccDirectoryEntryResource_refreshIsOneQuery: a refresh of 200 managed
// entries is one dir/query, and no dir/get when nothing moved; when one
// entry moved, still one query, and the plan names that entry.
func TestAccDirectoryEntryResource_refreshIsOneQuery(t *testing.T) {
	const n = 200
	// No authentication on the intercom: the counts then hold no Digest
	// challenges, only the requests the provider chose to send.
	p := newTestPBX(t, func(c *mockpbx.Config) { c.DirAuth = "none" })
	config := p.providerConfig() + fmt.Sprintf(`
resource "pbx_directory_entry" "many" {
  count = %d
  name  = "Flat ${count.index}"
  call_positions = [{ peer = "${1000 + count.index}" }, {}, {}]
}
`, n)
	// counts runs after the refresh plan of a PlanOnly step (Check does not
	// run in PlanOnly steps).
	counts := func(query, get int) []plancheck.PlanCheck {
		return []plancheck.PlanCheck{planCheckFunc(func() error {
			c := p.mock.RequestCounts()
			if c["dir/query"] != query || c["dir/get"] != get {
				return fmt.Errorf("%d dir/query and %d dir/get, want %d and %d", c["dir/query"], c["dir/get"], query, get)
			}
			return nil
		})}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// Every entry created in one run records the same watermark.
			{Config: config},
			// The refresh plan of a PlanOnly step is the only refresh.
			{
				PreConfig:        p.mock.ResetRequestCounts,
				Config:           config,
				PlanOnly:         true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: counts(1, 0)},
			},
			{
				PreConfig: func() {
					var uuid string
					for _, e := range p.mock.DirectoryEntries() {
						if e["name"] == "Flat 7" {
							uuid = fmt.Sprint(e["uuid"])
						}
					}
					if _, err := p.mock.PutDirectoryEntry(uuid, map[string]any{"name": "Flat 7 (edited)"}); err != nil {
						t.Fatal(err)
					}
					p.mock.ResetRequestCounts()
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: append(counts(1, 0),
					plancheck.ExpectResourceAction("pbx_directory_entry.many[7]", plancheck.ResourceActionUpdate),
					expectChange("pbx_directory_entry.many[7]", "name", "Flat 7 (edited)", "Flat 7"),
				)},
			},
		},
	})
}

// TestAccDirectoryEntryResource_linkedUser: a pbx_user linked to a managed
// entry (directory_uuid = pbx_directory_entry.x.uuid) is planned and applied
// in the same run as the entry, taking its name and e-mail from it.
func TestAccDirectoryEntryResource_linkedUser(t *testing.T) {
	p := newTestPBX(t)
	config := func(name string) string {
		return p.providerConfig() + fmt.Sprintf(`
resource "pbx_directory_entry" "alice" {
  name  = %q
  email = "alice@example.com"
}

resource "pbx_user" "alice" {
  number         = "201"
  secret         = "s3cret-201"
  directory_uuid = pbx_directory_entry.alice.uuid
}
`, name)
	}
	sameUUID := statecheck.CompareValuePairs("pbx_directory_entry.alice", tfjsonpath.New("uuid"),
		"pbx_user.alice", tfjsonpath.New("directory_uuid"), compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			p.checkNoLiveEntries,
			p.checkUserCount(0),
		),
		Steps: []resource.TestStep{
			{
				Config: config("Alice Example"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("pbx_directory_entry.alice", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("pbx_user.alice", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("pbx_user.alice", tfjsonpath.New("name")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sameUUID,
					statecheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("name"), knownvalue.StringExact("Alice Example")),
					statecheck.ExpectKnownValue("pbx_user.alice", tfjsonpath.New("email"), knownvalue.StringExact("alice@example.com")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					p.checkStored("201", map[string]any{"name": "Alice Example", "email": "alice@example.com"}),
					p.checkEntryStored("pbx_directory_entry.alice", map[string]string{"name": "Alice Example"}),
				),
			},
			// The entry is renamed in the configuration: the entry's uuid is
			// planned known after apply, so the user's followed values are
			// too, and the user follows in the same run.
			{
				Config: config("Alice Smith"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("pbx_directory_entry.alice", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("pbx_user.alice", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("pbx_user.alice", tfjsonpath.New("name")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: p.checkStored("201", map[string]any{"name": "Alice Smith", "email": "alice@example.com"}),
			},
			{
				Config: config("Alice Smith"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: p.checkStored("201", map[string]any{"name": "Alice Smith", "email": "alice@example.com"}),
			},
		},
	})
}

// TestAccDirectoryEntryResource_validation: values the intercom would refuse
// (or that would inject into its configuration) fail the plan, naming the
// attribute; nothing reaches the device.
func TestAccDirectoryEntryResource_validation(t *testing.T) {
	p := newTestPBX(t)
	cases := []struct {
		body string
		err  []string
	}{
		{`name = "Flat 1/2"`, []string{"name", "must not contain <, > or /"}},
		{`name = "<b>Alice</b>"`, []string{"name", "must not contain <, > or /"}},
		{`name = "Mallory\ncontext=evil"`, []string{"name", "must not contain line breaks"}},
		{`name = ""`, []string{"name", "length must be between 1 and 128"}},
		{`
name  = "A"
email = "not an address"`, []string{"email", "must be an e-mail address"}},
		{`
name     = "A"
treepath = "Staff"`, []string{"treepath", "must start with /"}},
		{`
name     = "A"
treepath = "/Staff\n/Other"`, []string{"treepath", "must not contain line breaks"}},
		{`
name        = "A"
virt_number = "12345678"`, []string{"virt_number", "1 to 7 digits"}},
		{`
name   = "A"
deputy = "not-a-uuid"`, []string{"deputy", "not a valid directory uuid"}},
		{`
name  = "A"
owner = "team\tb"`, []string{"owner", "must not contain line breaks"}},
		{`
name           = "A"
call_positions = [{ peer = "201" }]`, []string{"call_positions", "list must contain at least 3 elements and at most 3"}},
		{`
name           = "A"
call_positions = [{ peer = "20 1" }, {}, {}]`, []string{"peer", "must not contain spaces"}},
		{`
name           = "A"
call_positions = [{ profiles = "1\n2" }, {}, {}]`, []string{"profiles", "must not contain line breaks"}},
		{`
name   = "A"
access = { pin = "1" }`, []string{"pin", "must be 2 to 15 digits"}},
		{`
name   = "A"
access = { pin = "12a4" }`, []string{"pin", "must be 2 to 15 digits"}},
		{`
name   = "A"
access = { pin = "1234567890123456" }`, []string{"pin", "must be 2 to 15 digits"}},
		{`
name   = "A"
access = { codes = ["12", "x1"] }`, []string{"codes", "2 to 15 digits"}},
		{`
name   = "A"
access = { codes = ["12", ""] }`, []string{"codes", "ends with an empty element"}},
		{`
name   = "A"
access = { codes = ["12", "13", "14", "15", "16"] }`, []string{"codes", "at most 4"}},
		{`
name   = "A"
access = { cards = ["C1", "C2", "C3"] }`, []string{"cards", "at most 2"}},
		{`
name   = "A"
access = { valid_from = "2026-01-01" }`, []string{"valid_from", "YYYY-MM-DDTHH:MM:SSZ"}},
		{`
name   = "A"
access = { valid_from = "2026-01-01T01:00:00+01:00" }`, []string{"valid_from", "YYYY-MM-DDTHH:MM:SSZ"}},
		{`
name   = "A"
access = { valid_to = "1970-01-01T00:00:00Z" }`, []string{"valid_to", "is not after 1970-01-01T00:00:00Z"}},
		{`
name   = "A"
access = { valid_from = "2027-01-01T00:00:00Z", valid_to = "2026-01-01T00:00:00Z" }`, []string{"valid_to", "must be later than access.valid_from"}},
	}
	steps := make([]resource.TestStep, len(cases))
	for i, c := range cases {
		steps[i] = resource.TestStep{
			Config:      managedEntryConfig(p, c.body),
			PlanOnly:    true,
			ExpectError: errorLike(c.err...),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			for fn, n := range p.mock.RequestCounts() {
				if strings.HasPrefix(fn, "dir/") && n != 0 {
					return fmt.Errorf("%d %s requests for configurations that are invalid", n, fn)
				}
			}
			return nil
		},
		Steps: steps,
	})
}

// TestAccDirectoryEntryResource_identity: the identity {uuid} is set by
// create and refresh, and import blocks work with identity and with the
// uuid as ID (in any case).
func TestAccDirectoryEntryResource_identity(t *testing.T) {
	p := newTestPBX(t)
	// Without credentials: an import block with a configuration that names
	// them plans to write them (the import does not put them in the state).
	config := managedEntryConfig(p, strings.NewReplacer(`    pin        = "4711"`+"\n", "", `    codes      = ["", "2580"]`+"\n", "",
		`    cards      = ["04A2B1C3"]`+"\n", "").Replace(fullEntryBody))
	stored := []map[string]string{fullEntryStored, {"access.pin": "", "access.code": "[   ]", "access.card": "[ ]"}}
	identityIsUUID := []statecheck.StateCheck{
		statecheck.ExpectIdentity(managedEntryAddr, map[string]knownvalue.Check{"uuid": knownvalue.StringRegexp(derivedUUID)}),
		statecheck.ExpectIdentityValueMatchesState(managedEntryAddr, tfjsonpath.New("uuid")),
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsTerraform112,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             p.checkNoLiveEntries,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: identityIsUUID,
			},
			{
				ResourceName:    managedEntryAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionNoop)},
				},
			},
			{
				ResourceName:    managedEntryAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					id, err := stateUUID(s, managedEntryAddr)
					return strings.ToLower(id), err
				},
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(managedEntryAddr, plancheck.ResourceActionNoop)},
				},
			},
			// A refresh after an out-of-band edit keeps the identity.
			{
				PreConfig: func() {
					for _, e := range p.mock.DirectoryEntries() {
						if _, err := p.mock.PutDirectoryEntry(fmt.Sprint(e["uuid"]), map[string]any{"email": "x@example.com"}); err != nil {
							t.Fatal(err)
						}
					}
				},
				Config:            config,
				ConfigStateChecks: identityIsUUID,
				Check:             p.checkEntryStored(managedEntryAddr, stored...),
			},
			{
				Config: config + `
resource "pbx_directory_entry" "other" {
  name = "Other"
}

import {
  to       = pbx_directory_entry.other
  identity = { uuid = "not-a-uuid" }
}
`,
				ExpectError: errorLike(`"not-a-uuid" is not a directory entry uuid`),
			},
		},
	})
}

// TestDirectoryEntrySchema: every attribute is documented, the access
// credentials are sensitive, and the docs examples exist.
func TestDirectoryEntrySchema(t *testing.T) {
	ctx := context.Background()
	var rresp fwresource.SchemaResponse
	NewDirectoryEntryResource().Schema(ctx, fwresource.SchemaRequest{}, &rresp)
	var lresp list.ListResourceSchemaResponse
	NewDirectoryEntryListResource().ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &lresp)
	if rresp.Schema.MarkdownDescription == "" || lresp.Schema.MarkdownDescription == "" {
		t.Error("the resource or the list resource has no MarkdownDescription")
	}
	missing := undocumented("", asDescribed(rresp.Schema.Attributes))
	positions, ok := rresp.Schema.Attributes["call_positions"].(rschema.ListNestedAttribute)
	if !ok {
		t.Fatal("call_positions is not a list of objects")
	}
	missing = append(missing, undocumented("call_positions.", asDescribed(positions.NestedObject.Attributes))...)
	missing = append(missing, undocumented("list.", asDescribed(lresp.Schema.Attributes))...)
	for _, a := range missing {
		t.Errorf("attribute %s has no MarkdownDescription", a)
	}
	access, ok := rresp.Schema.Attributes["access"].(rschema.SingleNestedAttribute)
	if !ok {
		t.Fatal("access is not an object")
	}
	for _, name := range []string{"pin", "codes"} {
		if !access.Attributes[name].IsSensitive() {
			t.Errorf("access.%s is not sensitive", name)
		}
	}
	for _, f := range []string{
		"../../examples/resources/pbx_directory_entry/resource.tf",
		"../../examples/resources/pbx_directory_entry/import.sh",
		"../../examples/resources/pbx_directory_entry/import-by-identity.tf",
		"../../templates/resources/directory_entry.md.tmpl",
	} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestAccDirectoryEntryResource_ambiguousCreate: a dir/create whose reply is
// lost neither fails the apply nor leaves a twin: the same uuid is created
// again, and an entry the lost attempt created is adopted.
func TestAccDirectoryEntryResource_ambiguousCreate(t *testing.T) {
	for name, rule := range map[string]mockpbx.FaultRule{
		"processed, then the connection dropped": {Endpoint: "dir/create", DropAfterRate: 1, Count: 1},
		"dropped before processing":              {Endpoint: "dir/create", DropRate: 1, Count: 1},
		"a truncated reply":                      {Endpoint: "dir/create", MalformedRate: 1, Count: 1},
		"a proxy's 502 page":                     {Endpoint: "dir/create", HTMLRate: 1, Count: 1},
	} {
		t.Run(name, func(t *testing.T) {
			p := newTestPBX(t, func(c *mockpbx.Config) { c.DirAuth = "none" })
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             p.checkNoLiveEntries,
				Steps: []resource.TestStep{{
					PreConfig: func() {
						if err := p.mock.SetFaults([]mockpbx.FaultRule{rule}); err != nil {
							t.Fatal(err)
						}
					},
					Config: managedEntryConfig(p, fullEntryBody),
					Check: resource.ComposeAggregateTestCheckFunc(
						p.checkEntryStored(managedEntryAddr, fullEntryStored),
						func(*terraform.State) error {
							if n := len(p.mock.DirectoryEntries()); n != 1 {
								return fmt.Errorf("the directory holds %d entries, want 1", n)
							}
							if c := p.mock.RequestCounts()["dir/create"]; c != 2 {
								return fmt.Errorf("%d dir/create requests, want 2 (the lost one and its repeat)", c)
							}
							return nil
						},
					),
				}},
			})
		})
	}
}

// planRequest is a plan check request for a plan given as Terraform's JSON.
// (The plan type is reached through the request, not imported.)
func planRequest(t *testing.T, plan string) plancheck.CheckPlanRequest {
	t.Helper()
	var req plancheck.CheckPlanRequest
	p := reflect.New(reflect.TypeOf(req.Plan).Elem())
	if err := json.Unmarshal([]byte(plan), p.Interface()); err != nil {
		t.Fatal(err)
	}
	reflect.ValueOf(&req).Elem().FieldByName("Plan").Set(p)
	return req
}

// TestHelpersCanFail: the plan and state checks the tests rely on fail a
// wrong provider: onlyChanges a create, an update of another attribute or of
// none; checkEntryStored a value the intercom does not store at all.
func TestHelpersCanFail(t *testing.T) {
	change := func(actions, before, after string) string {
		return fmt.Sprintf(`{"format_version": "1.2", "resource_changes": [{"address": %q, "mode": "managed", "type": "pbx_directory_entry",
			"name": "test", "change": {"actions": %s, "before": %s, "after": %s}}]}`, managedEntryAddr, actions, before, after)
	}
	for name, c := range map[string]struct {
		plan    string
		wantErr string
	}{
		"update of the allowed attribute": {change(`["update"]`, `{"name": "a", "email": "x"}`, `{"name": "b", "email": "x"}`), ""},
		"a create":                        {change(`["create"]`, `null`, `{"name": "b", "email": "x"}`), "want an update"},
		"another attribute changes":       {change(`["update"]`, `{"name": "a", "email": "x"}`, `{"name": "b", "email": "y"}`), "planned changes to [email]"},
		"an attribute appears":            {change(`["update"]`, `{"name": "a"}`, `{"name": "b", "email": "y"}`), "planned changes to [email]"},
		"nothing changes":                 {change(`["update"]`, `{"name": "a"}`, `{"name": "a"}`), "no planned change to any of [name]"},
		"another resource":                {`{"format_version": "1.2", "resource_changes": []}`, "no planned change"},
	} {
		t.Run(name, func(t *testing.T) {
			var resp plancheck.CheckPlanResponse
			onlyChanges(managedEntryAddr, "name").CheckPlan(context.Background(), planRequest(t, c.plan), &resp)
			switch {
			case c.wantErr == "" && resp.Error != nil:
				t.Errorf("unexpected error: %v", resp.Error)
			case c.wantErr != "" && (resp.Error == nil || !strings.Contains(resp.Error.Error(), c.wantErr)):
				t.Errorf("error %v, want one containing %q", resp.Error, c.wantErr)
			}
		})
	}

	t.Run("checkEntryStored", func(t *testing.T) {
		const uuid = "0A000000-0000-4000-8000-000000000001"
		p := newTestPBX(t, withDirectorySeed)
		state := &terraform.State{Modules: []*terraform.ModuleState{{
			Path: []string{"root"},
			Resources: map[string]*terraform.ResourceState{
				managedEntryAddr: {Type: "pbx_directory_entry", Primary: &terraform.InstanceState{ID: uuid, Attributes: map[string]string{"uuid": uuid}}},
			},
		}}}
		for _, c := range []struct {
			want    map[string]string
			wantErr string
		}{
			{map[string]string{"name": "Reception", "access.pin": "4711"}, ""},
			{map[string]string{"name": "Front"}, `name: stored "Reception", want "Front"`},
			{map[string]string{"nickname": ""}, `nickname: not stored, want ""`},
		} {
			err := p.checkEntryStored(managedEntryAddr, c.want)(state)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("%v: unexpected error: %v", c.want, err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("%v: error %v, want one containing %q", c.want, err, c.wantErr)
			}
		}
	})
}
