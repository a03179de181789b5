package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// listSeed is a PBX made in the web panel: values away from the defaults,
// secrets Terraform never saw, numbers of different lengths.
var listSeed = []map[string]any{
	{
		"name": "Alice", "number": "201", "secret": "alice-panel-secret", "type": "friend", "nat": "force_rport,comedia",
		"qualify": "yes", "cid_number": "2100", "callgroup": "2,4-6", "pickupgroup": "",
	},
	{
		"name": "Bob", "number": "202", "secret": "bob-panel-secret", "user_type": "IAX2", "trunk": "yes", "active": "no",
		"forward_policy": map[string]any{"Busy": "571", "No Answer": "", "UnAvailable": "", "All": ""},
	},
	{"name": "Malik", "number": "299", "secret": "malik-panel-secret", "call_limit": "2"},
	{"name": "Carol", "number": "1001", "secret": "carol-panel-secret"},
	{"name": "Alina", "number": "2000", "secret": "alina-panel-secret", "email": "alina@example.com"},
	{"name": "Lobby", "number": "20", "secret": "lobby-panel-secret", "host": "192.168.10.20"},
}

func withListSeed(c *mockpbx.Config) { c.Users = listSeed }

func TestCompareNumbers(t *testing.T) {
	ordered := []string{"0", "007", "7", "20", "201", "0202", "299", "1001", "2000", "99999999999999999999"}
	for i := range ordered {
		for j := range ordered {
			got := compareNumbers(ordered[i], ordered[j])
			if (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("compareNumbers(%q, %q) = %d, want the sign of %d", ordered[i], ordered[j], got, i-j)
			}
		}
	}
}

// listConfig is the config block of a list "pbx_user" block.
func listConfig(t *testing.T, values map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	var sr list.ListResourceSchemaResponse
	NewUserListResource().ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("list config type %T", sr.Schema.Type().TerraformType(ctx))
	}
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		all[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range values {
		if _, ok := all[name]; !ok {
			t.Fatalf("list config has no attribute %q", name)
		}
		all[name] = v
	}
	return tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, all)}
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

// listUsers runs List against the mock and returns the results.
func listUsers(t *testing.T, p *testPBX, config tfsdk.Config, includeResource bool, limit int64) []list.ListResult {
	t.Helper()
	ctx := context.Background()
	client, err := pbxapi.New(pbxapi.Config{Endpoint: p.URL, Username: testUsername, Password: testPassword, APIKey: testAPIKey, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &userResource{}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	var ir resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)

	l := &userListResource{client: client}
	req := list.ListRequest{
		Config: config, IncludeResource: includeResource, Limit: limit,
		ResourceSchema: sr.Schema, ResourceIdentitySchema: ir.IdentitySchema,
	}
	var stream list.ListResultsStream
	l.List(ctx, req, &stream)
	return slices.Collect(stream.Results)
}

func TestUserListResource_filters(t *testing.T) {
	p := newTestPBX(t, withListSeed)
	cases := map[string]struct {
		config map[string]tftypes.Value
		limit  int64
		want   []string
	}{
		"every user, in number order": {
			want: []string{"20 Lobby", "201 Alice", "202 Bob", "299 Malik", "1001 Carol", "2000 Alina"},
		},
		"number prefix": {
			config: map[string]tftypes.Value{"number_prefix": str("20")},
			want:   []string{"20 Lobby", "201 Alice", "202 Bob", "2000 Alina"},
		},
		"number range, compared as numbers": {
			config: map[string]tftypes.Value{"number_min": str("200"), "number_max": str("299")},
			want:   []string{"201 Alice", "202 Bob", "299 Malik"},
		},
		"open-ended range": {
			config: map[string]tftypes.Value{"number_min": str("300")},
			want:   []string{"1001 Carol", "2000 Alina"},
		},
		"name substring, any case": {
			config: map[string]tftypes.Value{"name_contains": str("ALI")},
			want:   []string{"201 Alice", "299 Malik", "2000 Alina"},
		},
		"disabled users": {
			config: map[string]tftypes.Value{"active": tftypes.NewValue(tftypes.Bool, false)},
			want:   []string{"202 Bob"},
		},
		"enabled users": {
			config: map[string]tftypes.Value{"active": tftypes.NewValue(tftypes.Bool, true)},
			want:   []string{"20 Lobby", "201 Alice", "299 Malik", "1001 Carol", "2000 Alina"},
		},
		"user type": {
			config: map[string]tftypes.Value{"user_type": str("IAX2")},
			want:   []string{"202 Bob"},
		},
		"every filter at once": {
			config: map[string]tftypes.Value{
				"number_prefix": str("2"), "number_min": str("200"), "number_max": str("999"),
				"name_contains": str("li"), "active": tftypes.NewValue(tftypes.Bool, true), "user_type": str("SIP"),
			},
			want: []string{"201 Alice", "299 Malik"},
		},
		"nothing matches": {
			config: map[string]tftypes.Value{"name_contains": str("nobody")},
		},
		"limit": {
			limit: 2,
			want:  []string{"20 Lobby", "201 Alice"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p.mock.ResetRequestCounts()
			results := listUsers(t, p, listConfig(t, tc.config), false, tc.limit)
			var got []string
			for _, r := range results {
				if r.Diagnostics.HasError() {
					t.Fatal(r.Diagnostics)
				}
				got = append(got, r.DisplayName)
				var identity userIdentityModel
				if diags := r.Identity.Get(context.Background(), &identity); diags.HasError() {
					t.Fatal(diags)
				}
				number, _, _ := strings.Cut(r.DisplayName, " ")
				if want := p.mustUserID(t, number); identity.ID.ValueString() != want {
					t.Errorf("%s: identity id %s, want %s", r.DisplayName, identity.ID, want)
				}
				if !r.Resource.Raw.IsNull() {
					t.Errorf("%s: resource filled without include_resource", r.DisplayName)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("listed %q, want %q", got, tc.want)
			}
			counts := p.mock.RequestCounts()
			if counts["users/search"] != 1 || counts["users/add"]+counts["users/update"]+counts["users/remove"] != 0 {
				t.Errorf("requests %v, want exactly one users/search", counts)
			}
		})
	}
}

// TestUserListResource_includeResource: with include_resource each result
// is the whole user, mapped as a refresh maps it, without its secret.
func TestUserListResource_includeResource(t *testing.T) {
	p := newTestPBX(t, withListSeed)
	ctx := context.Background()
	results := listUsers(t, p, listConfig(t, nil), true, 0)
	if len(results) != len(listSeed) {
		t.Fatalf("%d results, want %d", len(results), len(listSeed))
	}
	client, err := pbxapi.New(pbxapi.Config{Endpoint: p.URL, Username: testUsername, Password: testPassword, APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	devices, err := client.SearchUsers(ctx, pbxapi.SearchQuery{})
	if err != nil {
		t.Fatal(err)
	}
	byNumber := map[string]pbxapi.User{}
	for _, u := range devices {
		byNumber[u.Number] = u
	}
	for _, r := range results {
		if r.Diagnostics.HasError() {
			t.Fatal(r.Diagnostics)
		}
		var got userResourceModel
		if diags := r.Resource.Get(ctx, &got); diags.HasError() {
			t.Fatal(diags)
		}
		device := byNumber[got.Number.ValueString()]
		if !got.Secret.IsNull() {
			t.Errorf("%s: the result carries a secret", r.DisplayName)
		}
		if got.ID.ValueString() != device.ID {
			t.Errorf("%s: id %s, want %s", r.DisplayName, got.ID, device.ID)
		}
		// The seed's values, written out here (not mapped by the code under
		// test), over the PBX's defaults.
		values := map[string]attr.Value{
			"name": got.Name, "user_type": got.UserType, "active": got.Active, "cid_number": got.CIDNumber, "host": got.Host,
			"type": got.Type, "nat": got.NAT, "port": got.Port, "qualify": got.Qualify, "callgroup": got.CallGroup,
			"pickupgroup": got.PickupGroup, "trunk": got.Trunk, "email": got.Email, "context": got.Context,
			"busy": got.ForwardPolicy.Attributes()["busy"],
		}
		want := map[string]string{
			"user_type": `"SIP"`, "active": "true", "cid_number": `""`, "host": `"dynamic"`, "type": `"user"`, "nat": `"no"`,
			"port": "5060", "qualify": "false", "callgroup": `"1"`, "pickupgroup": `"1"`, "trunk": "false", "email": `""`,
			"context": `"main_routing"`, "busy": `""`,
		}
		for k, v := range map[string]map[string]string{
			"201":  {"name": `"Alice"`, "type": `"friend"`, "nat": `"force_rport,comedia"`, "qualify": "true", "cid_number": `"2100"`, "callgroup": `"2,4-6"`, "pickupgroup": `""`},
			"202":  {"name": `"Bob"`, "user_type": `"IAX2"`, "trunk": "true", "active": "false", "busy": `"571"`},
			"299":  {"name": `"Malik"`},
			"1001": {"name": `"Carol"`},
			"2000": {"name": `"Alina"`, "email": `"alina@example.com"`},
			"20":   {"name": `"Lobby"`, "host": `"192.168.10.20"`},
		}[got.Number.ValueString()] {
			want[k] = v
		}
		if _, ok := want["name"]; !ok {
			t.Errorf("%s: user %s is not in the seed", r.DisplayName, got.Number)
		}
		for k, w := range want {
			if v := values[k]; v == nil || v.String() != w {
				t.Errorf("%s: %s = %v, want %s", r.DisplayName, k, v, w)
			}
		}
		if n := got.Number.ValueString(); n == "299" && got.CallLimit.ValueInt64() != 2 {
			t.Errorf("%s: call_limit = %s, want 2", r.DisplayName, got.CallLimit)
		}
		if got.ID.ValueString() == "" || got.Name.ValueString() == "" || got.Port.IsNull() || got.ForwardPolicy.IsNull() {
			t.Errorf("%s: resource not filled: %+v", r.DisplayName, got)
		}
	}
	var bob userResourceModel
	if diags := results[2].Resource.Get(ctx, &bob); diags.HasError() {
		t.Fatal(diags)
	}
	if bob.UserType.ValueString() != "IAX2" || !bob.Trunk.ValueBool() || bob.Active.ValueBool() ||
		bob.ForwardPolicy.Attributes()["busy"].String() != `"571"` {
		t.Errorf("202 Bob mapped as %+v", bob)
	}
}

func TestUserListResource_errors(t *testing.T) {
	t.Run("device error", func(t *testing.T) {
		p := newTestPBX(t, withListSeed)
		if err := p.mock.SetFaults([]mockpbx.FaultRule{{Endpoint: "users/search", Status: 500, Rate: 1}}); err != nil {
			t.Fatal(err)
		}
		results := listUsers(t, p, listConfig(t, nil), true, 0)
		if len(results) != 1 || !results[0].Diagnostics.HasError() {
			t.Fatalf("want one error result, got %+v", results)
		}
		d := results[0].Diagnostics.Errors()[0]
		if d.Summary() != "Unable to list PBX users" || !strings.Contains(d.Detail(), "HTTP 500") {
			t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
		}
	})
	t.Run("value the resource cannot hold", func(t *testing.T) {
		p := newTestPBX(t, withListSeed)
		p.editUser(t, "201", map[string]any{"port": "not-a-port"})
		results := listUsers(t, p, listConfig(t, map[string]tftypes.Value{"number_prefix": str("201")}), true, 0)
		if len(results) != 1 || !results[0].Diagnostics.HasError() {
			t.Fatalf("want one error result, got %+v", results)
		}
		if d := results[0].Diagnostics.Errors()[0].Detail(); !strings.Contains(d, "number 201") || !strings.Contains(d, "port") {
			t.Errorf("the error does not name the user and the field: %s", d)
		}
	})
	t.Run("empty number range", func(t *testing.T) {
		var resp list.ValidateConfigResponse
		(&userListResource{}).ValidateListResourceConfig(context.Background(), list.ValidateConfigRequest{
			Config: listConfig(t, map[string]tftypes.Value{"number_min": str("300"), "number_max": str("299")}),
		}, &resp)
		if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Detail(), `number_min "300" is greater than number_max "299"`) {
			t.Errorf("diagnostics %v", resp.Diagnostics)
		}
	})
}

// queryConfig is a .tfquery.hcl with one list block per filter set.
func queryConfig(blocks map[string]string) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(blocks)) {
		fmt.Fprintf(&b, "list \"pbx_user\" %q {\n  provider = pbx\n  include_resource = true\n  config {\n    %s\n  }\n}\n", name, blocks[name])
	}
	return b.String()
}

// TestAccUserListResource_query runs terraform query (Terraform 1.14+)
// against a PBX made in the web panel: identities, display names, whole
// resources and the filters, one users/search per list block.
func TestAccUserListResource_query(t *testing.T) {
	p := newTestPBX(t, withListSeed)
	id := func(number string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"id": knownvalue.StringExact(p.mustUserID(t, number))}
	}
	checkOneSearchPer := func(blocks int) func() {
		return func() {
			counts := p.mock.RequestCounts()
			if counts["users/search"] != blocks || counts["users/add"]+counts["users/update"]+counts["users/remove"] != 0 {
				t.Fatalf("the query made requests %v, want %d users/search and nothing else", counts, blocks)
			}
			p.mock.ResetRequestCounts()
		}
	}
	filters := map[string]string{
		"prefix":   `number_prefix = "20"`,
		"range":    "number_min = \"200\"\n    number_max = \"299\"",
		"name":     `name_contains = "ALI"`,
		"inactive": `active = false`,
		"iax2":     `user_type = "IAX2"`,
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   needsTerraform114,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				// The working directory's configuration: the provider only.
				Config: p.providerConfig(),
			},
			{
				PreConfig: p.mock.ResetRequestCounts,
				Query:     true,
				Config:    queryConfig(map[string]string{"all": ""}),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("pbx_user.all", len(listSeed)),
					querycheck.ExpectIdentity("pbx_user.all", id("201")),
					querycheck.ExpectIdentity("pbx_user.all", id("2000")),
					querycheck.ExpectResourceDisplayName("pbx_user.all", queryfilter.ByResourceIdentity(id("201")), knownvalue.StringExact("201 Alice")),
					querycheck.ExpectResourceKnownValues("pbx_user.all", queryfilter.ByResourceIdentity(id("201")), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("number"), KnownValue: knownvalue.StringExact("201")},
						{Path: tfjsonpath.New("type"), KnownValue: knownvalue.StringExact("friend")},
						{Path: tfjsonpath.New("nat"), KnownValue: knownvalue.StringExact("force_rport,comedia")},
						{Path: tfjsonpath.New("qualify"), KnownValue: knownvalue.Bool(true)},
						{Path: tfjsonpath.New("pickupgroup"), KnownValue: knownvalue.StringExact("")},
						{Path: tfjsonpath.New("port"), KnownValue: knownvalue.Int64Exact(5060)},
						{Path: tfjsonpath.New("secret"), KnownValue: knownvalue.Null()},
					}),
				},
			},
			{
				PreConfig: checkOneSearchPer(1),
				Query:     true,
				Config:    queryConfig(filters),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("pbx_user.prefix", 4),
					querycheck.ExpectLength("pbx_user.range", 3),
					querycheck.ExpectIdentity("pbx_user.range", id("299")),
					querycheck.ExpectLength("pbx_user.name", 3),
					querycheck.ExpectIdentity("pbx_user.name", id("2000")),
					querycheck.ExpectLength("pbx_user.inactive", 1),
					querycheck.ExpectIdentity("pbx_user.inactive", id("202")),
					querycheck.ExpectLength("pbx_user.iax2", 1),
					querycheck.ExpectIdentity("pbx_user.iax2", id("202")),
				},
			},
			{
				PreConfig:   checkOneSearchPer(len(filters)),
				Query:       true,
				Config:      queryConfig(map[string]string{"bad": `number_prefix = "2x"`}),
				ExpectError: regexp.MustCompile(`must contain only digits`),
			},
			{
				Query:       true,
				Config:      queryConfig(map[string]string{"bad": "number_min = \"300\"\n    number_max = \"299\""}),
				ExpectError: errorLike(`number_min "300" is greater than number_max "299"`),
			},
			{
				Query:       true,
				Config:      queryConfig(map[string]string{"bad": `user_type = "sip"`}),
				ExpectError: errorLike(`value must be one of`),
			},
		},
	})
}
