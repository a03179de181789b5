package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// listedUsersSeed are extensions made in the PBX panel, with secrets that
// must never reach the data source's state.
var listedUsersSeed = []map[string]any{
	{"name": "Alice", "number": "201", "secret": "listed-secret-201", "email": "alice@example.com"},
	{"name": "Bob (IAX2)", "number": "202", "secret": "listed-secret-202", "user_type": "IAX2", "trunk": "yes", "active": "no"},
	{"name": "Panel Phone", "number": "250", "secret": "listed-secret-250", "port": "5070",
		"forward_policy": map[string]any{"Busy": "201", "No Answer": "", "UnAvailable": "", "All": ""}},
	{"name": "Malik", "number": "299", "secret": "listed-secret-299", "call_limit": "2"},
	{"name": "Lobby", "number": "300", "secret": "listed-secret-300"},
	{"name": "Carol", "number": "2001", "secret": "listed-secret-2001"},
	{"name": "Short", "number": "20", "secret": "listed-secret-20"},
}

// TestAccUsersDataSource: each filter of the list resource selects the
// same extensions here, keyed by number, with every field the device
// returns and never a secret.
func TestAccUsersDataSource(t *testing.T) {
	p := newTestPBX(t, func(c *mockpbx.Config) { c.Users = listedUsersSeed })
	cases := []struct {
		label, filters string
		want           []string
	}{
		{"all", ``, []string{"20", "201", "202", "2001", "250", "299", "300"}},
		{"range", `number_min = "200"` + "\n" + `number_max = "299"`, []string{"201", "202", "250", "299"}},
		{"prefix", `number_prefix = "20"`, []string{"20", "201", "202", "2001"}},
		{"name", `name_contains = "PHONE"`, []string{"250"}},
		{"inactive", `active = false`, []string{"202"}},
		{"iax2", `user_type = "IAX2"`, []string{"202"}},
		{"none", `number_min = "5000"`, nil},
		{"combined", `number_prefix = "2"` + "\n" + `number_max = "250"` + "\n" + `active = true`, []string{"20", "201", "250"}},
	}
	config := p.providerConfig()
	var checks []tfresource.TestCheckFunc
	for _, c := range cases {
		config += fmt.Sprintf("\ndata \"pbx_users\" %q {\n%s\n}\n", c.label, c.filters)
		checks = append(checks, checkListedNumbers("data.pbx_users."+c.label, c.want))
	}
	checks = append(checks,
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.250.name", "Panel Phone"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.250.port", "5070"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.250.forward_policy.busy", "201"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.250.active", "true"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.202.user_type", "IAX2"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.202.trunk", "true"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.201.email", "alice@example.com"),
		tfresource.TestCheckResourceAttr("data.pbx_users.all", "users.299.call_limit", "2"),
		tfresource.TestCheckNoResourceAttr("data.pbx_users.all", "users.201.call_limit"),
		tfresource.TestCheckResourceAttrWith("data.pbx_users.all", "users.201.id", func(v string) error {
			if want := p.mustUserID(t, "201"); v != want {
				return fmt.Errorf("id %s, want %s", v, want)
			}
			return nil
		}),
		checkNoSecretsListed,
	)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []tfresource.TestStep{{Config: config, Check: tfresource.ComposeAggregateTestCheckFunc(checks...)}},
	})
}

// checkListedNumbers checks the keys of a pbx_users data source's users.
func checkListedNumbers(addr string, want []string) tfresource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		var got []string
		for k := range rs.Primary.Attributes {
			if rest, ok := strings.CutPrefix(k, "users."); ok && strings.HasSuffix(rest, ".id") {
				got = append(got, strings.TrimSuffix(rest, ".id"))
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s lists numbers %v, want %v", addr, got, want)
		}
		return nil
	}
}

// checkNoSecretsListed: no attribute of a pbx_users data source is a
// secret, and no value is one of the seeded secrets.
func checkNoSecretsListed(s *terraform.State) error {
	for addr, rs := range s.RootModule().Resources {
		if rs.Type != "pbx_users" {
			continue
		}
		for k, v := range rs.Primary.Attributes {
			if strings.Contains(k, "secret") || strings.Contains(v, "listed-secret") || v == pbxapi.SecretMask {
				return fmt.Errorf("%s holds a secret: %s = %q", addr, k, v)
			}
		}
	}
	return nil
}

// TestAccUsersDataSource_invalidFilters: the list resource's rules, at plan.
func TestAccUsersDataSource_invalidFilters(t *testing.T) {
	p := newTestPBX(t)
	steps := []tfresource.TestStep{}
	for _, c := range []struct{ filters, want string }{
		{`number_min = "300"` + "\n" + `number_max = "200"`, `number_min "300" is greater than number_max "200"`},
		{`number_prefix = "2a"`, "must contain only digits"},
		{`user_type = "PJSIP"`, `value must be one of`},
	} {
		steps = append(steps, tfresource.TestStep{
			Config:      p.providerConfig() + "data \"pbx_users\" \"x\" {\n" + c.filters + "\n}\n",
			ExpectError: errorLike(c.want),
		})
	}
	tfresource.ParallelTest(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
	if n := p.mock.RequestCounts()["users/search"]; n != 0 {
		t.Errorf("an invalid configuration sent %d users/search", n)
	}
}

// TestUsersDataSourceSharesRefreshListing: refreshing three pbx_user and
// reading two pbx_users data sources with one client (one Terraform run)
// sends exactly one users/search.
func TestUsersDataSourceSharesRefreshListing(t *testing.T) {
	p := newTestPBX(t, func(c *mockpbx.Config) { c.Users = listedUsersSeed })
	client, err := pbxapi.New(pbxapi.Config{Endpoint: p.URL, Username: testUsername, Password: testPassword, APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := &userResource{client: client}
	var ir resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)
	for _, number := range []string{"201", "202", "250"} {
		sch, raw := userStateValue(t, pbxapi.User{ID: p.mustUserID(t, number), Number: number, Name: "x", UserType: "SIP", Port: "5060"}, "")
		state := tfsdk.State{Schema: sch, Raw: raw}
		identity := &tfsdk.ResourceIdentity{Schema: ir.IdentitySchema, Raw: tftypes.NewValue(ir.IdentitySchema.Type().TerraformType(ctx), nil)}
		resp := resource.ReadResponse{State: state, Identity: identity}
		r.Read(ctx, resource.ReadRequest{State: state, Identity: identity}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatal(resp.Diagnostics)
		}
	}
	d := &usersDataSource{client: client}
	var sr datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &sr)
	for _, lo := range []string{"200", "250"} {
		config := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
		cfg := usersDataSourceModel{Users: types.MapNull(listedUserType(t, sr))}
		cfg.NumberMin = types.StringValue(lo)
		if diags := config.Set(ctx, &cfg); diags.HasError() {
			t.Fatal(diags)
		}
		resp := datasource.ReadResponse{State: tfsdk.State{Schema: sr.Schema, Raw: config.Raw}}
		d.Read(ctx, datasource.ReadRequest{Config: tfsdk.Config{Schema: sr.Schema, Raw: config.Raw}}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatal(resp.Diagnostics)
		}
		var got usersDataSourceModel
		resp.Diagnostics.Append(resp.State.Get(ctx, &got)...)
		if resp.Diagnostics.HasError() || len(got.Users.Elements()) == 0 {
			t.Fatalf("number_min %s: %v %v", lo, got.Users, resp.Diagnostics)
		}
	}
	if got := p.mock.RequestCounts(); got["users/search"] != 1 {
		t.Errorf("%d users/search for three refreshes and two data sources, want 1 (counts %v)", got["users/search"], got)
	}
}

// TestUsersDataSourceDuplicateNumbers: two extensions with one number (a
// device the API let get there) fail the read, naming both.
func TestUsersDataSourceDuplicateNumbers(t *testing.T) {
	a, b := `{"_id":"64b558207af75f2cf3788801","name":"A","number":"201","port":"5060"}`, `{"_id":"64b558207af75f2cf3788802","name":"B","number":"201","port":"5060"}`
	srv := serveJSON(t, `{"success":1,"message":"ok","data":[`+a+`,`+b+`]}`)
	client, err := pbxapi.New(pbxapi.Config{Endpoint: srv, APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := &usersDataSource{client: client}
	var sr datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &sr)
	raw := tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)
	config := tfsdk.State{Schema: sr.Schema, Raw: raw}
	cfg := usersDataSourceModel{Users: types.MapNull(listedUserType(t, sr))}
	if diags := config.Set(ctx, &cfg); diags.HasError() {
		t.Fatal(diags)
	}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: sr.Schema, Raw: config.Raw}}
	d.Read(ctx, datasource.ReadRequest{Config: tfsdk.Config{Schema: sr.Schema, Raw: config.Raw}}, &resp)
	var got strings.Builder
	for _, d := range resp.Diagnostics {
		fmt.Fprintf(&got, "%s: %s\n", d.Summary(), d.Detail())
	}
	if !resp.Diagnostics.HasError() || !strings.Contains(got.String(), "number 201 (_id 64b558207af75f2cf3788801, 64b558207af75f2cf3788802)") {
		t.Fatalf("diagnostics %s", got.String())
	}
}

// serveJSON serves body as JSON for every request and returns the URL.
func serveJSON(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// listedUserType is the element type of a pbx_users data source's users.
func listedUserType(t *testing.T, sr datasource.SchemaResponse) attr.Type {
	t.Helper()
	m, ok := sr.Schema.Attributes["users"].GetType().(types.MapType)
	if !ok {
		t.Fatalf("users is a %T, not a map", sr.Schema.Attributes["users"].GetType())
	}
	return m.ElemType
}
