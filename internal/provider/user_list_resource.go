package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ list.ListResourceWithConfigure      = (*userListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*userListResource)(nil)
)

// NewUserListResource returns the pbx_user list resource (terraform query,
// Terraform 1.14+).
func NewUserListResource() list.ListResource {
	return &userListResource{}
}

type userListResource struct {
	client *pbxapi.Client
}

// userListModel is the config block of a `list "pbx_user"` block. Every
// filter is optional; the filters that are set must all match.
type userListModel struct {
	NumberPrefix types.String `tfsdk:"number_prefix"`
	NumberMin    types.String `tfsdk:"number_min"`
	NumberMax    types.String `tfsdk:"number_max"`
	NameContains types.String `tfsdk:"name_contains"`
	Active       types.Bool   `tfsdk:"active"`
	UserType     types.String `tfsdk:"user_type"`
}

func (l *userListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func extensionNumberFilter(description string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: description,
		Optional:            true,
		Validators: []validator.String{
			stringvalidator.RegexMatches(digitsPattern, "must contain only digits"),
			stringvalidator.LengthBetween(1, 20),
		},
	}
}

func (l *userListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the extensions on the PBX for `terraform query` (Terraform 1.14+), with one `users/search` request " +
			"however many users match. Each result is named like `201 Alice` and carries the identity `{ id }` (the PBX `_id`) that an " +
			"`import` block takes; with `include_resource = true` (implied by `terraform query -generate-config-out`) it also carries every " +
			"attribute of the `pbx_user`, secret excepted (the PBX never returns it). Every filter is optional, and the filters that are set must all match.",
		Attributes: map[string]schema.Attribute{
			"number_prefix": extensionNumberFilter("Only extensions whose number starts with these digits, e.g. `2` for `2xx`."),
			"number_min": extensionNumberFilter("Only extensions whose number is at least this one, compared as numbers " +
				"(`number_min = \"200\"` and `number_max = \"299\"` select 200 to 299, not 2000)."),
			"number_max": extensionNumberFilter("Only extensions whose number is at most this one, compared as numbers."),
			"name_contains": schema.StringAttribute{
				MarkdownDescription: "Only extensions whose name contains this text, ignoring case (the PBX's `alike` search).",
				Optional:            true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 128),
					noControl(),
				},
			},
			"active": schema.BoolAttribute{
				MarkdownDescription: "Only enabled (`true`) or only disabled (`false`) extensions.",
				Optional:            true,
			},
			"user_type": schema.StringAttribute{
				MarkdownDescription: "Only extensions of this protocol: " + quoteList(userTypes) + ".",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(userTypes...)},
			},
		},
	}
}

func (l *userListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		l.client = client
	}
}

// ValidateListResourceConfig checks the rules that span filters.
func (l *userListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var cfg userListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(cfg.validateRange()...)
}

// validateRange checks that number_min is not above number_max (the list
// resource and the pbx_users data source).
func (m *userListModel) validateRange() diag.Diagnostics {
	var diags diag.Diagnostics
	lo, hi := m.NumberMin, m.NumberMax
	if lo.IsNull() || lo.IsUnknown() || hi.IsNull() || hi.IsUnknown() {
		return diags
	}
	if !digitsPattern.MatchString(lo.ValueString()) || !digitsPattern.MatchString(hi.ValueString()) {
		return diags // reported by the attribute validators
	}
	if compareNumbers(lo.ValueString(), hi.ValueString()) > 0 {
		diags.AddAttributeError(path.Root("number_max"), "Empty number range",
			fmt.Sprintf("number_min %q is greater than number_max %q, so no extension could match. Swap them or widen the range.",
				lo.ValueString(), hi.ValueString()))
	}
	return diags
}

// userFilter is a validated list configuration.
type userFilter struct {
	prefix, min, max, nameContains, userType string
	active                                   *bool
}

func (m *userListModel) filter() userFilter {
	f := userFilter{
		prefix:       m.NumberPrefix.ValueString(),
		min:          m.NumberMin.ValueString(),
		max:          m.NumberMax.ValueString(),
		nameContains: m.NameContains.ValueString(),
		userType:     m.UserType.ValueString(),
	}
	if !m.Active.IsNull() {
		active := m.Active.ValueBool()
		f.active = &active
	}
	return f
}

// query is the one users/search request that returns every user the filter
// can match. The device's alike search is a case-insensitive substring match
// on every condition given, so a number prefix is sent as a substring and
// narrowed by matches; the other filters have no condition on the device.
func (f userFilter) query() pbxapi.SearchQuery {
	if f.prefix == "" && f.nameContains == "" {
		return pbxapi.SearchQuery{}
	}
	return pbxapi.SearchQuery{Alike: true, Number: f.prefix, Name: f.nameContains}
}

// matches applies every filter to a user the device returned, so the result
// does not depend on how loosely the device matched.
func (f userFilter) matches(u *pbxapi.User) bool {
	switch {
	case f.prefix != "" && !strings.HasPrefix(u.Number, f.prefix):
		return false
	case f.min != "" && (!digitsPattern.MatchString(u.Number) || compareNumbers(u.Number, f.min) < 0):
		return false
	case f.max != "" && (!digitsPattern.MatchString(u.Number) || compareNumbers(u.Number, f.max) > 0):
		return false
	case f.nameContains != "" && !strings.Contains(strings.ToLower(u.Name), strings.ToLower(f.nameContains)):
		return false
	case f.userType != "" && u.UserType != f.userType:
		return false
	case f.active != nil && (u.Active == "yes") != *f.active:
		return false
	}
	return true
}

// compareNumbers compares two digit strings as numbers of any length
// (leading zeros ignored), then as strings, so that the order is total.
func compareNumbers(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := len(ta) - len(tb); c != 0 {
		return c
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// userDisplayName names a result in terraform query's output: `201 Alice`.
func userDisplayName(u *pbxapi.User) string {
	return strings.TrimSpace(u.Number + " " + u.Name)
}

func (l *userListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg userListModel
	if !startList(ctx, req, stream, &cfg, l.client, "users") {
		return
	}
	filter := cfg.filter()
	users, err := l.client.SearchUsers(ctx, filter.query())
	if err != nil {
		failList(stream, nil, "Unable to list PBX users", "users/search failed. "+describe(err))
		return
	}
	users = slices.DeleteFunc(users, func(u pbxapi.User) bool { return !filter.matches(&u) })
	slices.SortStableFunc(users, func(a, b pbxapi.User) int { return compareNumbers(a.Number, b.Number) })
	streamResults(stream, users, req.Limit, func(u *pbxapi.User) list.ListResult { return l.result(ctx, req, u) })
}

// result is one listed user: its identity and display name, and with
// include_resource the whole resource as a refresh would store it (the
// secret, never returned by the PBX, stays null).
func (l *userListResource) result(ctx context.Context, req list.ListRequest, u *pbxapi.User) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = userDisplayName(u)
	result.Diagnostics.Append(result.Identity.Set(ctx, userIdentityModel{ID: types.StringValue(u.ID)})...)
	if !req.IncludeResource {
		return result
	}
	var m userResourceModel
	result.Diagnostics.Append(m.fromAPI(u)...)
	if result.Diagnostics.HasError() {
		return result
	}
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	return result
}
