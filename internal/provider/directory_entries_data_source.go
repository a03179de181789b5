package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ datasource.DataSourceWithConfigure        = (*directoryEntriesDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*directoryEntriesDataSource)(nil)
)

// NewDirectoryEntriesDataSource returns the pbx_directory_entries data source.
func NewDirectoryEntriesDataSource() datasource.DataSource {
	return &directoryEntriesDataSource{}
}

type directoryEntriesDataSource struct {
	client *pbxapi.Client
}

type directoryEntriesDataSourceModel struct {
	UUIDs           types.List   `tfsdk:"uuids"`
	ChangedSince    types.Object `tfsdk:"changed_since"`
	Owner           types.String `tfsdk:"owner"`
	IncludeEntries  types.Bool   `tfsdk:"include_entries"`
	Entries         types.Map    `tfsdk:"entries"`
	Timestamps      types.Map    `tfsdk:"timestamps"`
	CredentialsJSON types.Map    `tfsdk:"credentials_json"`
	DeletedUUIDs    types.List   `tfsdk:"deleted_uuids"`
	Series          types.String `tfsdk:"series"`
	Resync          types.Bool   `tfsdk:"resync"`
	entryReadOptions
}

type changedSinceModel struct {
	Series    types.String `tfsdk:"series"`
	Timestamp types.Int64  `tfsdk:"timestamp"`
}

func (d *directoryEntriesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_directory_entries"
}

func (d *directoryEntriesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads many entries of the 2N intercom directory at once: the entries with the given `uuids` " +
			"(`POST /api/dir/get`, at most 1000 uuids a request, each uuid asked once), or every entry changed since a " +
			"`timestamp` of a `series` (`POST /api/dir/query`). Prefer it to `for_each` over `pbx_directory_entry` beyond a " +
			"few dozen entries: Terraform's own cost per data source grows faster than their number.",
		Attributes: withReadOptions(map[string]schema.Attribute{
			"uuids": schema.ListAttribute{
				MarkdownDescription: "uuids of the entries to read, any number; duplicates are read once. Conflicts with `changed_since`.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators:          []validator.List{listvalidator.ValueStringsAre(uuidValidator())},
			},
			"changed_since": schema.SingleNestedAttribute{
				MarkdownDescription: "Read every entry changed after `timestamp` in `series` instead (deleted ones are listed in " +
					"`deleted_uuids`). When `series` is no longer the directory's (it was reset), every entry is returned and `resync` is true.",
				Optional: true,
				// Validated as a whole (changedSinceCheck), not attribute by attribute: Terraform
				// places an error on a nested attribute at the data block's first line, one on
				// changed_since at its own line.
				Validators: []validator.Object{changedSinceCheck{}},
				Attributes: map[string]schema.Attribute{
					"series": schema.StringAttribute{
						MarkdownDescription: "A `series` recorded earlier (a decimal number).",
						Required:            true,
					},
					"timestamp": schema.Int64Attribute{
						MarkdownDescription: "A `timestamp` recorded earlier in that series; `0` reads every entry.",
						Required:            true,
					},
				},
			},
			"owner": schema.StringAttribute{
				MarkdownDescription: "Read every entry whose `owner` is this instead (one `dir/query` of the whole directory), e.g. to state " +
					"which entries a configuration claims, so that the ones no `pbx_directory_entry` manages can be reported (see the GitOps guide). " +
					"Conflicts with `uuids` and `changed_since`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 255), noControl()},
			},
			"include_entries": schema.BoolAttribute{
				MarkdownDescription: "Fill `entries` with each entry's attributes. Default `true`. With `false`, `entries` is null and only " +
					"`timestamps` (and `credentials_json` when asked for) is filled, about 110 bytes of state an entry instead of 900: the shape for a drift check of a big directory, " +
					"because Terraform rewrites the whole state once for every resource an apply changes, so every byte this data " +
					"source keeps is paid again for each of them. Conflicts with `include_fields_json`.",
				Optional: true,
			},
			"entries": schema.MapNestedAttribute{
				MarkdownDescription: "The entries read, keyed by uuid as given in `uuids` (with `changed_since` or `owner`: as the device spells it). " +
					"Each has the attributes of the `pbx_directory_entry` data source. Null with `include_entries = false`.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: withEntryAttributes(map[string]schema.Attribute{})},
			},
			"timestamps": schema.MapAttribute{
				MarkdownDescription: "With `include_entries = false`: each entry's `timestamp`, keyed like `entries` would be. Compare it " +
					"with a timestamp recorded earlier in the same `series` to find the entries changed since. Null otherwise (each " +
					"element of `entries` has its `timestamp`).",
				Computed:    true,
				ElementType: types.Int64Type,
			},
			"credentials_json": schema.MapAttribute{
				MarkdownDescription: "With `include_credentials = true`: each entry's access credentials as a JSON object (`pin`, `code`, " +
					"`card`, `virtCard`, `mobkey`, `fpt`, as far as the device returned them), keyed like `entries`. Null otherwise. " +
					"Sensitive as a whole: one sensitive value for the data source, not one per entry, which Terraform would handle in " +
					"time growing with the square of the entries.",
				Computed:    true,
				Sensitive:   true,
				ElementType: types.StringType,
			},
			"deleted_uuids": schema.ListAttribute{
				MarkdownDescription: "With `changed_since`: uuids of the entries deleted since then. Empty otherwise.",
				Computed:            true,
				ElementType:         types.StringType,
			},
			"series": schema.StringAttribute{
				MarkdownDescription: "The directory's timestamp series. It changes when the directory is reset, and then all timestamps restart.",
				Computed:            true,
			},
			"resync": schema.BoolAttribute{
				MarkdownDescription: "With `changed_since`: true when its `series` is not the directory's, so `entries` holds every entry.",
				Computed:            true,
			},
		}),
	}
}

func (d *directoryEntriesDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("uuids"), path.MatchRoot("changed_since"), path.MatchRoot("owner")),
		withoutEntriesCheck{},
	}
}

func (d *directoryEntriesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		d.client = client
	}
}

// entryObjectType is the type of one element of entries, derived from the
// entry attributes' schema.
var entryObjectType = func() types.ObjectType {
	attrTypes := map[string]attr.Type{}
	for name, a := range withEntryAttributes(map[string]schema.Attribute{}) {
		attrTypes[name] = a.GetType()
	}
	return types.ObjectType{AttrTypes: attrTypes}
}()

func (d *directoryEntriesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg directoryEntriesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := cfg
	withJSON, withCreds := cfg.IncludeFieldsJSON.ValueBool(), cfg.IncludeCredentials.ValueBool()
	withEntries := cfg.IncludeEntries.IsNull() || cfg.IncludeEntries.ValueBool()
	fields := cfg.fieldList()
	if !withEntries && !withCreds && cfg.Fields.IsNull() {
		// Only the timestamps are kept: the device returns uuid and timestamp whatever
		// the selection (design/api/reference.md, fields selection).
		fields = []string{"timestamp"}
	}
	// entries is built as Terraform values of one shared type (entryTerraformType), not as
	// framework values: State.Set would derive a new object type for each entry.
	entries := map[string]tftypes.Value{}
	timestamps := map[string]attr.Value{}
	creds := map[string]attr.Value{}
	deleted := []string{}
	add := func(key string, r *pbxapi.Entry) bool {
		v, c, err := entryValuesFrom(r, withJSON, withCreds)
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to read directory entry %s", key), err.Error())
			return false
		}
		if withEntries {
			entries[key] = entryTerraformValue(v)
		} else {
			timestamps[key] = v.Timestamp
		}
		if withCreds {
			creds[key] = c
		}
		return true
	}

	switch {
	case !cfg.Owner.IsNull():
		res, err := d.client.QueryEntries(ctx, "", 0, []string{})
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to list the directory entries of owner %q", cfg.Owner.ValueString()), describe(err))
			return
		}
		for i := range res.Entries {
			e := &res.Entries[i]
			if owner := e.Text("owner"); e.Deleted || owner == nil || *owner != cfg.Owner.ValueString() {
				continue
			}
			if !add(e.UUID, e) {
				return
			}
		}
		state.Series = types.StringValue(res.Series)
		state.Resync = types.BoolValue(false)
	case cfg.ChangedSince.IsNull():
		var uuids []string
		resp.Diagnostics.Append(cfg.UUIDs.ElementsAs(ctx, &uuids, false)...)
		if resp.Diagnostics.HasError() {
			return
		}
		set, err := d.client.ReadEntries(ctx, uuids, fields)
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to read %d directory entries", len(uuids)), describe(err))
			return
		}
		var missing, invalid []string
		for _, u := range uuids {
			r, _ := set.Lookup(u)
			switch {
			case errors.Is(r.Err, pbxapi.ErrNotFound):
				missing = append(missing, u)
			case errors.Is(r.Err, pbxapi.ErrInvalidUUID):
				invalid = append(invalid, u)
			case r.Err != nil:
				resp.Diagnostics.AddAttributeError(path.Root("uuids"), fmt.Sprintf("Unable to read directory entry %s", u), r.Err.Error())
			default:
				if !add(u, &r) {
					return
				}
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			missing = slices.Compact(missing)
			resp.Diagnostics.AddAttributeError(path.Root("uuids"), fmt.Sprintf("%d directory entries do not exist", len(missing)),
				fmt.Sprintf("The directory (series %s) has no entry with uuid %s (EDIR_UUID_DOES_NOT_EXIST): they were never created or have been deleted. "+
					"Check the uuids in the intercom's directory, or remove them from uuids.", set.Series, strings.Join(missing, ", ")))
		}
		if len(invalid) > 0 {
			resp.Diagnostics.AddAttributeError(path.Root("uuids"), "Malformed directory uuids",
				fmt.Sprintf("The device rejected uuid %s as malformed (EDIR_UUID_INVALID_FORMAT). Use the form XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX.", strings.Join(invalid, ", ")))
		}
		if resp.Diagnostics.HasError() {
			return
		}
		state.Series = types.StringValue(set.Series)
		state.Resync = types.BoolValue(false)
	default:
		var since changedSinceModel
		resp.Diagnostics.Append(cfg.ChangedSince.As(ctx, &since, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
		res, err := d.client.QueryEntries(ctx, since.Series.ValueString(), since.Timestamp.ValueInt64(), fields)
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to query directory entries changed since %d (series %s)", since.Timestamp.ValueInt64(), since.Series.ValueString()), describe(err))
			return
		}
		for _, e := range res.Entries {
			if e.Deleted {
				deleted = append(deleted, e.UUID)
				continue
			}
			if !add(e.UUID, &e) {
				return
			}
		}
		state.Series = types.StringValue(res.Series)
		state.Resync = types.BoolValue(res.Series != since.Series.ValueString())
	}
	l, diags := types.ListValueFrom(ctx, types.StringType, deleted)
	resp.Diagnostics.Append(diags...)
	state.Entries, state.DeletedUUIDs = types.MapNull(entryObjectType), l
	state.Timestamps = types.MapNull(types.Int64Type)
	if !withEntries {
		state.Timestamps, diags = types.MapValue(types.Int64Type, timestamps)
		resp.Diagnostics.Append(diags...)
	}
	state.CredentialsJSON = types.MapNull(types.StringType)
	if withCreds {
		state.CredentialsJSON, diags = types.MapValue(types.StringType, creds)
		resp.Diagnostics.Append(diags...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	if resp.Diagnostics.HasError() || !withEntries {
		return
	}
	raw, err := withTerraformAttribute(resp.State.Raw, "entries", tftypes.NewValue(tftypes.Map{ElementType: entryTerraformType}, entries))
	if err != nil {
		resp.Diagnostics.AddError("Unable to store the directory entries read", err.Error())
		return
	}
	resp.State.Raw = raw
}

// changedSinceCheck validates changed_since's series (a decimal number) and
// timestamp (0 or more), and reports at changed_since itself, which Terraform
// can show in the configuration (see the schema).
type changedSinceCheck struct{}

const changedSinceRule = "series must be a decimal number and timestamp at least 0"

func (changedSinceCheck) Description(context.Context) string { return changedSinceRule }
func (v changedSinceCheck) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (changedSinceCheck) ValidateObject(_ context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	attrs := req.ConfigValue.Attributes()
	if s, ok := attrs["series"].(types.String); ok && !s.IsNull() && !s.IsUnknown() && !digitsPattern.MatchString(s.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid changed_since.series",
			fmt.Sprintf("changed_since.series is %q: it must be a decimal number, a series recorded earlier (the series attribute of this data source or of an entry).", s.ValueString()))
	}
	if ts, ok := attrs["timestamp"].(types.Int64); ok && !ts.IsNull() && !ts.IsUnknown() && ts.ValueInt64() < 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid changed_since.timestamp",
			fmt.Sprintf("changed_since.timestamp is %d: it must be 0 (every entry) or a timestamp recorded earlier in that series.", ts.ValueInt64()))
	}
}

// withoutEntriesCheck rejects include_fields_json = true with include_entries =
// false: fields_json lives in entries.
type withoutEntriesCheck struct{}

func (withoutEntriesCheck) Description(context.Context) string {
	return "include_fields_json needs include_entries"
}
func (v withoutEntriesCheck) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (withoutEntriesCheck) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var entries, fieldsJSON types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("include_entries"), &entries)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("include_fields_json"), &fieldsJSON)...)
	if entries.IsNull() || entries.IsUnknown() || entries.ValueBool() || !fieldsJSON.ValueBool() {
		return
	}
	resp.Diagnostics.AddAttributeError(path.Root("include_fields_json"), "include_fields_json needs entries",
		"fields_json is an attribute of each element of entries, which include_entries = false leaves null. "+
			"Remove include_fields_json, or set include_entries to true (or leave it unset).")
}
