package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// directorySeed is a directory made in the intercom's web page.
var directorySeed = []map[string]any{
	{"uuid": "0A000000-0000-4000-8000-000000000001", "name": "Reception", "owner": "team-a", "treepath": "/Staff/Front",
		"email": "reception@example.com", "callPos": []any{map[string]any{"peer": "200"}, map[string]any{"peer": "201", "grouped": true}},
		"access": map[string]any{"pin": "4711", "code": []any{"", "2580"}, "validTo": "1798761600"}},
	{"uuid": "0A000000-0000-4000-8000-000000000002", "name": "Novák", "owner": "team-a", "treepath": "/Flats"},
	{"uuid": "0A000000-0000-4000-8000-000000000003", "name": "Svoboda", "owner": "My2N", "treepath": "/Flats"},
	{"uuid": "0A000000-0000-4000-8000-000000000004", "name": "Staffing agency", "treepath": "/Staffing"},
	{"uuid": "0A000000-0000-4000-8000-000000000005", "name": "Gone", "owner": "team-a"},
}

// withDirectorySeed seeds the directory. The intercom asks for no
// authentication, so that the request counts hold no Digest challenges.
func withDirectorySeed(c *mockpbx.Config) { c.Directory, c.DirAuth = directorySeed, "none" }

// listDirectory runs List against the mock and returns the results.
func listDirectory(t *testing.T, p *testPBX, values map[string]tftypes.Value, includeResource bool, limit int64) []list.ListResult {
	t.Helper()
	ctx := context.Background()
	var lr list.ListResourceSchemaResponse
	NewDirectoryEntryListResource().ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &lr)
	typ, _ := lr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		all[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range values {
		all[name] = v
	}
	client, err := pbxapi.New(pbxapi.Config{Endpoint: p.URL, Username: testUsername, Password: testPassword, APIKey: testAPIKey, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &directoryEntryResource{}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	var ir resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)
	l := &directoryEntryListResource{client: client}
	var stream list.ListResultsStream
	l.List(ctx, list.ListRequest{
		Config:          tfsdk.Config{Schema: lr.Schema, Raw: tftypes.NewValue(typ, all)},
		IncludeResource: includeResource, Limit: limit,
		ResourceSchema: sr.Schema, ResourceIdentitySchema: ir.IdentitySchema,
	}, &stream)
	return slices.Collect(stream.Results)
}

func TestDirectoryEntryListResource_filters(t *testing.T) {
	p := newTestPBX(t, withDirectorySeed)
	if _, err := p.mock.DeleteDirectoryEntry("0A000000-0000-4000-8000-000000000005"); err != nil {
		t.Fatal(err)
	}
	s := func(v string) tftypes.Value { return tftypes.NewValue(tftypes.String, v) }
	cases := map[string]struct {
		config map[string]tftypes.Value
		limit  int64
		want   []string // names, in order
	}{
		"every live entry, by name":      {want: []string{"Novák", "Reception", "Staffing agency", "Svoboda"}},
		"owner":                          {config: map[string]tftypes.Value{"owner": s("team-a")}, want: []string{"Novák", "Reception"}},
		"no owner":                       {config: map[string]tftypes.Value{"owner": s("")}, want: []string{"Staffing agency"}},
		"name, any case":                 {config: map[string]tftypes.Value{"name_contains": s("STAFF")}, want: []string{"Staffing agency"}},
		"folder and below, not siblings": {config: map[string]tftypes.Value{"treepath_prefix": s("/Staff")}, want: []string{"Reception"}},
		"folder with a trailing slash":   {config: map[string]tftypes.Value{"treepath_prefix": s("/Flats/")}, want: []string{"Novák", "Svoboda"}},
		"filters combined":               {config: map[string]tftypes.Value{"owner": s("team-a"), "treepath_prefix": s("/Flats")}, want: []string{"Novák"}},
		"limit":                          {limit: 2, want: []string{"Novák", "Reception"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p.mock.ResetRequestCounts()
			results := listDirectory(t, p, c.config, false, c.limit)
			var got []string
			for _, r := range results {
				if r.Diagnostics.HasError() {
					t.Fatalf("result diagnostics: %v", r.Diagnostics)
				}
				name, _, _ := strings.Cut(r.DisplayName, " (")
				got = append(got, name)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("listed %q, want %q", got, c.want)
			}
			if counts := p.mock.RequestCounts(); counts["dir/query"] != 1 || counts["dir/get"] != 0 {
				t.Errorf("requests %v, want one dir/query", counts)
			}
		})
	}
}

// TestDirectoryEntryListResource_resource: with include_resource, a result
// is the resource exactly as a refresh stores it.
func TestDirectoryEntryListResource_resource(t *testing.T) {
	p := newTestPBX(t, withDirectorySeed)
	results := listDirectory(t, p, map[string]tftypes.Value{"name_contains": tftypes.NewValue(tftypes.String, "Reception")}, true, 0)
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Diagnostics.HasError() {
		t.Fatal(r.Diagnostics)
	}
	ctx := context.Background()
	var m directoryEntryResourceModel
	if d := r.Resource.Get(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
	var id directoryEntryIdentityModel
	if d := r.Identity.Get(ctx, &id); d.HasError() {
		t.Fatal(d)
	}
	entry, _ := p.mock.DirectoryEntry("0A000000-0000-4000-8000-000000000001")
	got := map[string]string{
		"identity": id.UUID.ValueString(), "uuid": m.UUID.ValueString(), "name": m.Name.ValueString(), "email": m.Email.ValueString(),
		"treepath": m.Treepath.ValueString(), "owner": m.Owner.ValueString(), "series": m.Series.ValueString(),
		"timestamp": fmt.Sprint(m.Timestamp.ValueInt64()), "call_positions": m.CallPositions.String(), "access": m.Access.String(),
		"display": r.DisplayName,
	}
	want := map[string]string{
		"identity": "0A000000-0000-4000-8000-000000000001", "uuid": "0A000000-0000-4000-8000-000000000001",
		"name": "Reception", "email": "reception@example.com", "treepath": "/Staff/Front", "owner": "team-a",
		"series": p.mock.Series(), "timestamp": fmt.Sprint(entry["timestamp"]),
		"call_positions": `[{"grouped":false,"peer":"200","profiles":""},{"grouped":true,"peer":"201","profiles":""},{"grouped":false,"peer":"","profiles":""}]`,
		// No credential: a listed (or generated) entry manages none.
		"access":  `{"cards":<null>,"codes":<null>,"pin":<null>,"valid_from":<null>,"valid_to":"2027-01-01T00:00:00Z"}`,
		"display": "Reception (0A000000-0000-4000-8000-000000000001)",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
}

// checkDirectoryUnchanged checks that the intercom's directory is as seeded:
// as many entries, and no change since (its highest timestamp).
func checkDirectoryUnchanged(p *testPBX, seeded int64) error {
	if n := len(p.mock.DirectoryEntries()); n != len(directorySeed) {
		return fmt.Errorf("the directory holds %d entries, want the %d seeded", n, len(directorySeed))
	}
	if ts := p.mock.Timestamp(); ts != seeded {
		return fmt.Errorf("the directory's timestamp is %d, %d when seeded: something was written", ts, seeded)
	}
	return nil
}

func directoryQueryConfig(blocks map[string]string) string {
	var b strings.Builder
	for name, body := range blocks {
		fmt.Fprintf(&b, "list \"pbx_directory_entry\" %q {\n  provider = pbx\n  include_resource = true\n  config {\n    %s\n  }\n}\n", name, body)
	}
	return b.String()
}

// TestAccDirectoryEntryListResource_query runs terraform query (Terraform
// 1.14+): identities, display names, whole resources and filters, one
// dir/query per list block.
func TestAccDirectoryEntryListResource_query(t *testing.T) {
	p := newTestPBX(t, withDirectorySeed)
	seeded := p.mock.Timestamp()
	id := func(uuid string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"uuid": knownvalue.StringExact(uuid)}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   needsTerraform114,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			// (A query needs a state to start from; this step writes
			// nothing, to the state or to the intercom.)
			{
				Config: p.providerConfig(),
				Check: func(s *terraform.State) error {
					if n := len(s.RootModule().Resources); n != 0 {
						return fmt.Errorf("the state holds %d resources, want none", n)
					}
					return checkDirectoryUnchanged(p, seeded)
				},
			},
			{
				PreConfig: p.mock.ResetRequestCounts,
				Query:     true,
				Config:    directoryQueryConfig(map[string]string{"all": "", "team": `owner = "team-a"`}),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("pbx_directory_entry.all", len(directorySeed)),
					querycheck.ExpectLength("pbx_directory_entry.team", 3),
					querycheck.ExpectIdentity("pbx_directory_entry.team", id("0A000000-0000-4000-8000-000000000002")),
					querycheck.ExpectResourceDisplayName("pbx_directory_entry.all", queryfilter.ByResourceIdentity(id("0A000000-0000-4000-8000-000000000001")),
						knownvalue.StringExact("Reception (0A000000-0000-4000-8000-000000000001)")),
					querycheck.ExpectResourceKnownValues("pbx_directory_entry.all", queryfilter.ByResourceIdentity(id("0A000000-0000-4000-8000-000000000001")),
						[]querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("Reception")},
							{Path: tfjsonpath.New("treepath"), KnownValue: knownvalue.StringExact("/Staff/Front")},
							{Path: tfjsonpath.New("call_positions").AtSliceIndex(1).AtMapKey("grouped"), KnownValue: knownvalue.Bool(true)},
							{Path: tfjsonpath.New("access").AtMapKey("valid_to"), KnownValue: knownvalue.StringExact("2027-01-01T00:00:00Z")},
							// Listed, an entry manages no credential: none is
							// shown, and a generated configuration sets none.
							{Path: tfjsonpath.New("access").AtMapKey("pin"), KnownValue: knownvalue.Null()},
							{Path: tfjsonpath.New("access").AtMapKey("codes"), KnownValue: knownvalue.Null()},
							{Path: tfjsonpath.New("access").AtMapKey("cards"), KnownValue: knownvalue.Null()},
						}),
				},
			},
			{
				PreConfig: func() {
					if n := p.mock.RequestCounts()["dir/query"]; n != 2 {
						t.Errorf("%d dir/query for two list blocks, want 2", n)
					}
					p.mock.ResetRequestCounts()
				},
				Query:       true,
				Config:      directoryQueryConfig(map[string]string{"bad": `treepath_prefix = "Staff"`}),
				ExpectError: errorLike("must start with /"),
			},
			// The invalid filter was refused before any request.
			{
				Config: p.providerConfig(),
				Check: func(*terraform.State) error {
					if n := p.mock.RequestCounts()["dir/query"]; n != 0 {
						return fmt.Errorf("%d dir/query requests for an invalid filter, want none", n)
					}
					return checkDirectoryUnchanged(p, seeded)
				},
			},
		},
	})
}
