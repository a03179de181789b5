package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var _ datasource.DataSourceWithConfigure = (*directoryEntryDataSource)(nil)

// NewDirectoryEntryDataSource returns the pbx_directory_entry data source.
func NewDirectoryEntryDataSource() datasource.DataSource {
	return &directoryEntryDataSource{}
}

type directoryEntryDataSource struct {
	client *pbxapi.Client
}

type directoryEntryDataSourceModel struct {
	UUID   types.String `tfsdk:"uuid"`
	Fields types.List   `tfsdk:"fields"`
	Series types.String `tfsdk:"series"`
	entryValues
}

var callPositionAttrTypes = map[string]attr.Type{
	"peer":     types.StringType,
	"grouped":  types.BoolType,
	"profiles": types.StringType,
}

func (d *directoryEntryDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_directory_entry"
}

func (d *directoryEntryDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one entry of the 2N intercom directory with `POST /api/dir/get`. " +
			"`timestamp` grows on every change of the entry and `series` changes when the directory is reset, " +
			"so together they show whether the entry changed since it was last reviewed.",
		Attributes: withEntryAttributes(map[string]schema.Attribute{
			"uuid": schema.StringAttribute{
				MarkdownDescription: "The entry's uuid, `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (hexadecimal; the all-zero uuid is reserved).",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
			},
			"fields": schema.ListAttribute{
				MarkdownDescription: "Fields to read, as the device names them (`name`, `email`, `callPos.peer`, `callPos[1].grouped`, `access`, …). " +
					"Unset: every field. Outputs whose field was not selected are null; unknown names are ignored by the device.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 64)),
				},
			},
			"series": schema.StringAttribute{
				MarkdownDescription: "The directory's timestamp series. It changes when the directory is reset, and then all timestamps restart.",
				Computed:            true,
			},
		}),
	}
}

func (d *directoryEntryDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		d.client = client
	}
}

func (d *directoryEntryDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg directoryEntryDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	uuid := cfg.UUID.ValueString()
	fields := []string{} // every field
	if !cfg.Fields.IsNull() {
		resp.Diagnostics.Append(cfg.Fields.ElementsAs(ctx, &fields, false)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	res, series, err := d.client.GetEntry(ctx, uuid, fields)
	if err != nil {
		summary := fmt.Sprintf("Unable to read directory entry %s", uuid)
		switch {
		case errors.Is(err, pbxapi.ErrNotFound):
			resp.Diagnostics.AddAttributeError(pathUUID, summary,
				fmt.Sprintf("The directory (series %s) has no entry with uuid %s (EDIR_UUID_DOES_NOT_EXIST): it was never created or has been deleted. "+
					"Check the uuid in the intercom's directory.", series, uuid))
		case errors.Is(err, pbxapi.ErrInvalidUUID):
			resp.Diagnostics.AddAttributeError(pathUUID, summary,
				fmt.Sprintf("The device rejected uuid %s as malformed (EDIR_UUID_INVALID_FORMAT). Use the form XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX.", uuid))
		default:
			resp.Diagnostics.AddError(summary, describe(err))
		}
		return
	}
	v, err := entryValuesFrom(res)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read directory entry %s", uuid), err.Error())
		return
	}
	state := cfg
	state.entryValues = v
	state.Series = types.StringValue(series)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// callPositionValue is one element of call_positions.
func callPositionValue(peer types.String, grouped types.Bool, profiles types.String) attr.Value {
	return types.ObjectValueMust(callPositionAttrTypes, map[string]attr.Value{"peer": peer, "grouped": grouped, "profiles": profiles})
}

// entryValues are the attributes both directory entry data sources read
// from one entry.
type entryValues struct {
	Name          types.String `tfsdk:"name"`
	Email         types.String `tfsdk:"email"`
	Treepath      types.String `tfsdk:"treepath"`
	VirtNumber    types.String `tfsdk:"virt_number"`
	Owner         types.String `tfsdk:"owner"`
	CallPositions types.List   `tfsdk:"call_positions"`
	Timestamp     types.Int64  `tfsdk:"timestamp"`
	FieldsJSON    types.String `tfsdk:"fields_json"`
}

// entryValuesFrom maps a found entry to its attributes; fields_json holds
// everything the device returned, keys sorted so that it is stable.
func entryValuesFrom(res *pbxapi.EntryResult) (entryValues, error) {
	e := res.Entry
	v := entryValues{
		Name:          types.StringPointerValue(e.Name),
		Email:         types.StringPointerValue(e.Email),
		Treepath:      types.StringPointerValue(e.Treepath),
		VirtNumber:    types.StringPointerValue(e.VirtNumber),
		Owner:         types.StringPointerValue(e.Owner),
		Timestamp:     types.Int64Value(e.Timestamp),
		CallPositions: types.ListNull(callPositionType),
	}
	if e.CallPos != nil {
		positions := make([]attr.Value, len(e.CallPos))
		for i, cp := range e.CallPos {
			positions[i] = callPositionValue(types.StringPointerValue(cp.Peer), types.BoolPointerValue(cp.Grouped), types.StringPointerValue(cp.Profiles))
		}
		v.CallPositions = types.ListValueMust(callPositionType, positions)
	}
	var generic any
	if err := json.Unmarshal(res.Raw, &generic); err != nil {
		return v, fmt.Errorf("the entry is not valid JSON: %w", err)
	}
	normalized, _ := json.Marshal(generic) // keys sorted: stable between reads
	v.FieldsJSON = types.StringValue(string(normalized))
	return v, nil
}

// withEntryAttributes adds the attributes read from an entry (entryValues)
// to attrs.
func withEntryAttributes(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	for k, v := range map[string]schema.Attribute{
		"name":        schema.StringAttribute{MarkdownDescription: "Display name of the entry.", Computed: true},
		"email":       schema.StringAttribute{MarkdownDescription: "E-mail address(es) of the entry.", Computed: true},
		"treepath":    schema.StringAttribute{MarkdownDescription: "Folder of the entry in the phonebook tree (`/` is the root).", Computed: true},
		"virt_number": schema.StringAttribute{MarkdownDescription: "Virtual number dialled on the keypad (`virtNumber`).", Computed: true},
		"owner":       schema.StringAttribute{MarkdownDescription: "System that manages the entry (e.g. `My2N`), empty if none.", Computed: true},
		"call_positions": schema.ListNestedAttribute{
			MarkdownDescription: "The entry's call positions (`callPos`), in order.",
			Computed:            true,
			NestedObject: schema.NestedAttributeObject{
				Attributes: map[string]schema.Attribute{
					"peer":     schema.StringAttribute{MarkdownDescription: "Phone number or SIP URI called at this position.", Computed: true},
					"grouped":  schema.BoolAttribute{MarkdownDescription: "Whether this position rings together with the previous one.", Computed: true},
					"profiles": schema.StringAttribute{MarkdownDescription: "Time profiles limiting this position.", Computed: true},
				},
			},
		},
		"timestamp": schema.Int64Attribute{
			MarkdownDescription: "The entry's change counter: it grows on every change of the entry. Comparable only within one `series`.",
			Computed:            true,
		},
		"fields_json": schema.StringAttribute{
			MarkdownDescription: "Everything the device returned for the entry, as JSON (use `jsondecode()`). " +
				"Sensitive, because it includes the entry's access credentials (PIN, switch codes, card ids).",
			Computed:  true,
			Sensitive: true,
		},
	} {
		attrs[k] = v
	}
	return attrs
}
