package provider

// Secrets never appear in diagnostics. The acceptance tests match the visible
// error text; these drive the provider's Configure, CRUD, import and data
// source read directly, so every diagnostic's full summary and detail can be
// searched for the credentials and the extensions' secrets.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// secretsOf lists every secret the test harness hands to the provider or the
// device: none may appear in a diagnostic.
func secretsOf(userSecrets ...string) []string {
	basic := base64.StdEncoding.EncodeToString([]byte(testUsername + ":" + testPassword))
	return append([]string{testPassword, testAPIKey, basic}, userSecrets...)
}

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
		RequestTimeout:     types.StringNull(),
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
		UUID:             types.StringValue(uuid),
		entryReadOptions: entryReadOptions{Fields: types.ListNull(types.StringType)},
		entryValues:      entryValues{CallPositions: types.ListNull(types.ObjectType{AttrTypes: callPositionAttrTypes})},
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
				return []string{"Unable to read directory entry " + entryUUID, url + "/api/dir/get", "HTTP 503", "Service Unavailable"}
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
