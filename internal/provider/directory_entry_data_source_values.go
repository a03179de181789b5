package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

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

// entryReadOptions are the arguments both data sources share: what to ask
// the device for and what to put into state beyond the typed attributes.
type entryReadOptions struct {
	Fields             types.List `tfsdk:"fields"`
	IncludeFieldsJSON  types.Bool `tfsdk:"include_fields_json"`
	IncludeCredentials types.Bool `tfsdk:"include_credentials"`
}

// fieldList is the device's field selection: nil when fields is unset (every
// field; the client sends [] then).
func (o entryReadOptions) fieldList() []string {
	if o.Fields.IsNull() || o.Fields.IsUnknown() {
		return []string{}
	}
	out := make([]string, 0, len(o.Fields.Elements()))
	for _, e := range o.Fields.Elements() {
		if s, ok := e.(types.String); ok {
			out = append(out, s.ValueString())
		}
	}
	return out
}

// entryValuesFrom maps a found entry to its typed attributes: null for a
// field the device did not return. With withJSON, fields_json holds what the
// device returned minus the credentials (keys sorted, so it is stable); with
// withCredentials, creds is the credentials as a JSON object ("{}" when the
// device returned none). Whatever is not asked for stays null, and the
// entry's raw JSON is not decoded again then.
func entryValuesFrom(e *pbxapi.Entry, withJSON, withCredentials bool) (v entryValues, creds types.String, err error) {
	v = entryValues{
		Name:          types.StringPointerValue(e.Text("name")),
		Email:         types.StringPointerValue(e.Text("email")),
		Treepath:      types.StringPointerValue(e.Text("treepath")),
		VirtNumber:    types.StringPointerValue(e.Text("virtNumber")),
		Owner:         types.StringPointerValue(e.Text("owner")),
		Timestamp:     types.Int64Value(e.Timestamp),
		CallPositions: types.ListNull(callPositionType),
		FieldsJSON:    types.StringNull(),
	}
	creds = types.StringNull()
	if len(e.CallPos) > 0 {
		positions := make([]attr.Value, len(e.CallPos))
		for i, cp := range e.CallPos {
			key := fmt.Sprintf("callPos[%d].", i)
			peer, grouped, profiles := types.StringNull(), types.BoolNull(), types.StringNull()
			if e.Has(key + "peer") {
				peer = types.StringValue(cp.Peer)
			}
			if e.Has(key + "grouped") {
				grouped = types.BoolValue(cp.Grouped)
			}
			if e.Has(key + "profiles") {
				profiles = types.StringValue(cp.Profiles)
			}
			positions[i] = callPositionValue(peer, grouped, profiles)
		}
		v.CallPositions = types.ListValueMust(callPositionType, positions)
	}
	if withJSON {
		s, err := e.PublicJSON()
		if err != nil {
			return v, creds, err
		}
		v.FieldsJSON = types.StringValue(s)
	}
	if withCredentials {
		s, err := e.CredentialsJSON()
		if err != nil {
			return v, creds, err
		}
		creds = types.StringValue(s)
	}
	return v, creds, nil
}

// The Terraform types of the plural data source's entries, derived once from
// the schema's types and shared by every entry: converting framework values
// would derive a new object type, a map of attribute types, for each entry.
var (
	entryTerraformType        = entryObjectType.TerraformType(context.Background())
	callPositionTerraformType = callPositionType.TerraformType(context.Background())
	callPositionsNull         = tftypes.NewValue(tftypes.List{ElementType: callPositionTerraformType}, nil)
)

// entryTerraformValue is v as one element of the plural data source's
// entries, a value of entryTerraformType. The values in v come from the
// device and are never unknown.
func entryTerraformValue(v entryValues) tftypes.Value {
	positions := callPositionsNull
	if !v.CallPositions.IsNull() {
		elems := v.CallPositions.Elements()
		values := make([]tftypes.Value, len(elems))
		for i, e := range elems {
			// Built by callPositionValue: a failed assertion would read as null, and
			// TestEntryTerraformValueMatchesFramework would fail.
			o, _ := e.(types.Object)
			attrs := o.Attributes()
			peer, _ := attrs["peer"].(types.String)
			grouped, _ := attrs["grouped"].(types.Bool)
			profiles, _ := attrs["profiles"].(types.String)
			values[i] = tftypes.NewValue(callPositionTerraformType, map[string]tftypes.Value{
				"peer":     tfString(peer),
				"grouped":  tfBool(grouped),
				"profiles": tfString(profiles),
			})
		}
		positions = tftypes.NewValue(callPositionsNull.Type(), values)
	}
	return tftypes.NewValue(entryTerraformType, map[string]tftypes.Value{
		"name":           tfString(v.Name),
		"email":          tfString(v.Email),
		"treepath":       tfString(v.Treepath),
		"virt_number":    tfString(v.VirtNumber),
		"owner":          tfString(v.Owner),
		"call_positions": positions,
		"timestamp":      tfInt64(v.Timestamp),
		"fields_json":    tfString(v.FieldsJSON),
	})
}

// withTerraformAttribute is the object obj with its attribute name replaced
// by v (of that attribute's type).
func withTerraformAttribute(obj tftypes.Value, name string, v tftypes.Value) (tftypes.Value, error) {
	var attrs map[string]tftypes.Value
	if err := obj.As(&attrs); err != nil {
		return obj, err
	}
	attrs[name] = v
	if err := tftypes.ValidateValue(obj.Type(), attrs); err != nil {
		return obj, err
	}
	return tftypes.NewValue(obj.Type(), attrs), nil
}

// withReadOptions adds the arguments of entryReadOptions to attrs.
func withReadOptions(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	attrs["fields"] = schema.ListAttribute{
		MarkdownDescription: "Fields to read, as the device names them (`name`, `email`, `callPos.peer`, `callPos[1].grouped`, `access`, " +
			"`access.pin`, …). Unset: every field. Outputs whose field was not selected are null; unknown names are ignored by the device.",
		Optional:    true,
		ElementType: types.StringType,
		Validators: []validator.List{
			listvalidator.SizeAtLeast(1),
			listvalidator.UniqueValues(),
			listvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 64)),
		},
	}
	attrs["include_fields_json"] = schema.BoolAttribute{
		MarkdownDescription: "Fill `fields_json` with everything the device returned (credentials excluded). Default `false`: " +
			"`fields_json` is null and costs nothing in the state.",
		Optional: true,
	}
	attrs["include_credentials"] = schema.BoolAttribute{
		MarkdownDescription: "Fill the sensitive `credentials_json` with the access credentials the device returned (`pin`, switch " +
			"codes `code`, card ids `card`, `virtCard`, `mobkey`, `fpt`). Default `false`: `credentials_json` is null, and no credential reaches the state.",
		Optional: true,
	}
	return attrs
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
			MarkdownDescription: "With `include_fields_json = true`: everything the device returned for the entry, as JSON (use " +
				"`jsondecode()`), keys sorted, without the access credentials (those are in `credentials_json`). Null otherwise.",
			Computed: true,
		},
	} {
		attrs[k] = v
	}
	return attrs
}
