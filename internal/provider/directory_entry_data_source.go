package provider

import (
	"context"
	"errors"
	"fmt"

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
	UUID            types.String `tfsdk:"uuid"`
	Series          types.String `tfsdk:"series"`
	CredentialsJSON types.String `tfsdk:"credentials_json"`
	entryReadOptions
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
		Attributes: withReadOptions(withEntryAttributes(map[string]schema.Attribute{
			"uuid": schema.StringAttribute{
				MarkdownDescription: "The entry's uuid, `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (hexadecimal; the all-zero uuid is reserved).",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
			},
			"series": schema.StringAttribute{
				MarkdownDescription: "The directory's timestamp series. It changes when the directory is reset, and then all timestamps restart.",
				Computed:            true,
			},
			"credentials_json": schema.StringAttribute{
				MarkdownDescription: "With `include_credentials = true`: the entry's access credentials as a JSON object (`pin`, `code`, " +
					"`card`, `virtCard`, `mobkey`, `fpt`, as far as the device returned them; use `jsondecode()`). Null otherwise. Sensitive.",
				Computed:  true,
				Sensitive: true,
			},
		})),
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
	res, series, err := d.client.GetEntry(ctx, uuid, cfg.fieldList())
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
	v, creds, err := entryValuesFrom(res, cfg.IncludeFieldsJSON.ValueBool(), cfg.IncludeCredentials.ValueBool())
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read directory entry %s", uuid), err.Error())
		return
	}
	state := cfg
	state.entryValues = v
	state.CredentialsJSON = creds
	state.Series = types.StringValue(series)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// callPositionValue is one element of call_positions.
func callPositionValue(peer types.String, grouped types.Bool, profiles types.String) attr.Value {
	return types.ObjectValueMust(callPositionAttrTypes, map[string]attr.Value{"peer": peer, "grouped": grouped, "profiles": profiles})
}
