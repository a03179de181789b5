package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	lschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ datasource.DataSourceWithConfigure      = (*usersDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*usersDataSource)(nil)
)

// NewUsersDataSource returns the pbx_users data source.
func NewUsersDataSource() datasource.DataSource {
	return &usersDataSource{}
}

// usersDataSource lists extensions with the filters of the pbx_user list
// resource, from the run's one users/search listing (pbxapi.Client.ListUsers):
// in a run that refreshes pbx_user resources it sends no request of its own.
type usersDataSource struct {
	client *pbxapi.Client
}

// usersDataSourceModel is the list resource's filters plus the result.
type usersDataSourceModel struct {
	userListModel
	Users types.Map `tfsdk:"users"`
}

// unlistedUserAttributes are the pbx_user attributes a listed user does not
// carry: the secrets (the PBX never returns one; nothing here ever holds
// one) and the directory link, which lives only in the configuration.
var unlistedUserAttributes = []string{"secret", "secret_wo", "secret_wo_version", "directory_uuid", "directory_timestamp", "directory_series"}

// userResourceSchema is the pbx_user resource's schema.
func userResourceSchema(ctx context.Context) rschema.Schema {
	var resp resource.SchemaResponse
	(&userResource{}).Schema(ctx, resource.SchemaRequest{}, &resp)
	return resp.Schema
}

// listedUserAttributes are the attributes of one listed user: every pbx_user
// attribute the device returns, read-only, with the resource's descriptions.
func listedUserAttributes(ctx context.Context) map[string]dschema.Attribute {
	out := map[string]dschema.Attribute{}
	for name, a := range userResourceSchema(ctx).Attributes {
		if !slices.Contains(unlistedUserAttributes, name) {
			out[name] = computedAttribute(a)
		}
	}
	return out
}

// computedAttribute is a resource attribute as a read-only data source
// attribute (the kinds pbx_user uses).
func computedAttribute(a rschema.Attribute) dschema.Attribute {
	switch a := a.(type) {
	case rschema.StringAttribute:
		return dschema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Computed: true}
	case rschema.BoolAttribute:
		return dschema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Computed: true}
	case rschema.Int64Attribute:
		return dschema.Int64Attribute{MarkdownDescription: a.MarkdownDescription, Computed: true}
	case rschema.SingleNestedAttribute:
		nested := map[string]dschema.Attribute{}
		for name, n := range a.Attributes {
			nested[name] = computedAttribute(n)
		}
		return dschema.SingleNestedAttribute{MarkdownDescription: a.MarkdownDescription, Computed: true, Attributes: nested}
	}
	panic(fmt.Sprintf("pbx_users: no data source form of a %T", a))
}

// filterAttributes are the pbx_user list resource's filters, with its
// descriptions and validators, as data source arguments.
func filterAttributes(ctx context.Context) map[string]dschema.Attribute {
	var resp list.ListResourceSchemaResponse
	(&userListResource{}).ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &resp)
	out := map[string]dschema.Attribute{}
	for name, a := range resp.Schema.Attributes {
		switch a := a.(type) {
		case lschema.StringAttribute:
			out[name] = dschema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true, Validators: a.Validators}
		case lschema.BoolAttribute:
			out[name] = dschema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true, Validators: a.Validators}
		default:
			panic(fmt.Sprintf("pbx_users: no data source form of the filter %s (%T)", name, a))
		}
	}
	return out
}

func (d *usersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_users"
}

func (d *usersDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := filterAttributes(ctx)
	attrs["users"] = dschema.MapNestedAttribute{
		MarkdownDescription: "The matching extensions, keyed by number. Each has the attributes of a `pbx_user` that the PBX returns " +
			"(`id`, `name`, `user_type`, `active`, …), never a secret.",
		Computed:     true,
		NestedObject: dschema.NestedAttributeObject{Attributes: listedUserAttributes(ctx)},
	}
	resp.Schema = dschema.Schema{
		MarkdownDescription: "Lists the extensions on the PBX, with the filters of the `pbx_user` list resource, as a map keyed by number. " +
			"It reads the same single `users/search` listing that refreshes every `pbx_user` of the run, so a plan that also refreshes " +
			"users sends no extra request, however many users there are. Secrets are never returned. " +
			"Typical use: state which number range a configuration claims, and report extensions in it that no `pbx_user` manages " +
			"(see the GitOps guide).",
		Attributes: attrs,
	}
}

func (d *usersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		d.client = client
	}
}

func (d *usersDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var cfg usersDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(cfg.validateRange()...)
}

func (d *usersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg usersDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider not configured",
			"The pbx provider was not configured before reading pbx_users. This is always a bug in the provider; please report it.")
		return
	}
	users, err := d.client.ListUsers(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to list PBX users", "users/search failed. "+describe(err))
		return
	}
	filter := cfg.filter()
	users = slices.DeleteFunc(users, func(u pbxapi.User) bool { return !filter.matches(&u) })
	schema := userResourceSchema(ctx)
	elemType := types.ObjectType{AttrTypes: map[string]attr.Type{}}
	for name, a := range listedUserAttributes(ctx) {
		elemType.AttrTypes[name] = a.GetType()
	}
	elements := make(map[string]attr.Value, len(users))
	ids := map[string][]string{}
	for i := range users {
		u := &users[i]
		ids[u.Number] = append(ids[u.Number], u.ID)
		v, diags := listedUser(ctx, schema, elemType, u)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		elements[u.Number] = v
	}
	var dups []string
	for number, same := range ids {
		if len(same) > 1 {
			sort.Strings(same)
			dups = append(dups, fmt.Sprintf("number %s (_id %s)", number, strings.Join(same, ", ")))
		}
	}
	if len(dups) > 0 {
		sort.Strings(dups)
		resp.Diagnostics.AddError("Duplicate extension numbers on the PBX",
			fmt.Sprintf("users/search returned more than one extension with %s, so pbx_users cannot key them by number. "+
				"Give each its own number in the PBX panel, or delete the extra ones.", strings.Join(dups, "; ")))
		return
	}
	m, diags := types.MapValue(elemType, elements)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := cfg
	state.Users = m
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// listedUser is one element of users: the user as a pbx_user refresh would
// store it (userResourceModel.fromAPI), the unlisted attributes dropped.
func listedUser(ctx context.Context, schema rschema.Schema, elemType types.ObjectType, u *pbxapi.User) (attr.Value, diag.Diagnostics) {
	var m userResourceModel
	diags := m.fromAPI(u)
	if diags.HasError() {
		return nil, diags
	}
	// The nulls of a model never decoded: every unlisted attribute stays null.
	m.Secret, m.SecretWO, m.SecretWOVersion = types.StringNull(), types.StringNull(), types.Int64Null()
	m.DirectoryUUID, m.DirectoryTimestamp, m.DirectorySeries = types.StringNull(), types.Int64Null(), types.StringNull()
	state := tfsdk.State{Schema: schema, Raw: tftypes.NewValue(schema.Type().TerraformType(ctx), nil)}
	diags.Append(state.Set(ctx, &m)...)
	if diags.HasError() {
		return nil, diags
	}
	var all map[string]tftypes.Value
	if err := state.Raw.As(&all); err != nil {
		diags.AddError("Unexpected user value", err.Error())
		return nil, diags
	}
	listed := make(map[string]tftypes.Value, len(elemType.AttrTypes))
	for name := range elemType.AttrTypes {
		listed[name] = all[name]
	}
	v, err := elemType.ValueFromTerraform(ctx, tftypes.NewValue(elemType.TerraformType(ctx), listed))
	if err != nil {
		diags.AddError("Unexpected user value", err.Error())
	}
	return v, diags
}
