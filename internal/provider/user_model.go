package provider

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// userResourceModel maps pbx_user. Strings and booleans map one to one to the
// device's string and yes/no fields.
type userResourceModel struct {
	ID               types.String `tfsdk:"id"`
	Number           types.String `tfsdk:"number"`
	Name             types.String `tfsdk:"name"`
	Secret           types.String `tfsdk:"secret"`
	SecretWO         types.String `tfsdk:"secret_wo"`
	SecretWOVersion  types.Int64  `tfsdk:"secret_wo_version"`
	UserType         types.String `tfsdk:"user_type"`
	Active           types.Bool   `tfsdk:"active"`
	CIDNumber        types.String `tfsdk:"cid_number"`
	CallRecord       types.Bool   `tfsdk:"call_record"`
	PushNotification types.Bool   `tfsdk:"push_notification"`
	Deny             types.String `tfsdk:"deny"`
	Permit           types.String `tfsdk:"permit"`
	DTMFMode         types.String `tfsdk:"dtmfmode"`
	CanReinvite      types.Bool   `tfsdk:"canreinvite"`
	DirectMedia      types.Bool   `tfsdk:"directmedia"`
	Context          types.String `tfsdk:"context"`
	Host             types.String `tfsdk:"host"`
	Type             types.String `tfsdk:"type"`
	NAT              types.String `tfsdk:"nat"`
	Port             types.Int64  `tfsdk:"port"`
	Qualify          types.Bool   `tfsdk:"qualify"`
	CallGroup        types.String `tfsdk:"callgroup"`
	PickupGroup      types.String `tfsdk:"pickupgroup"`
	CallCounter      types.Bool   `tfsdk:"callcounter"`
	FaxDetect        types.Bool   `tfsdk:"faxdetect"`
	CallLimit        types.Int64  `tfsdk:"call_limit"`
	Trunk            types.Bool   `tfsdk:"trunk"`
	Transfer         types.Bool   `tfsdk:"transfer"`
	Email            types.String `tfsdk:"email"`
	ForwardPolicy    types.Object `tfsdk:"forward_policy"`
	MoreOptions      types.String `tfsdk:"more_options"`

	DirectoryUUID      types.String `tfsdk:"directory_uuid"`
	DirectoryTimestamp types.Int64  `tfsdk:"directory_timestamp"`
	DirectorySeries    types.String `tfsdk:"directory_series"`
}

type forwardPolicyModel struct {
	Busy        types.String `tfsdk:"busy"`
	NoAnswer    types.String `tfsdk:"no_answer"`
	Unavailable types.String `tfsdk:"unavailable"`
	All         types.String `tfsdk:"all"`
}

var forwardPolicyAttrTypes = map[string]attr.Type{
	"busy":        types.StringType,
	"no_answer":   types.StringType,
	"unavailable": types.StringType,
	"all":         types.StringType,
}

func yn(b types.Bool) string {
	if b.ValueBool() {
		return "yes"
	}
	return "no"
}

// toAPI builds the whole user from a plan or state model.
func (m *userResourceModel) toAPI(ctx context.Context) (pbxapi.User, diag.Diagnostics) {
	var fp forwardPolicyModel
	diags := m.ForwardPolicy.As(ctx, &fp, objectAsOptions)
	u := pbxapi.User{
		ID:               m.ID.ValueString(),
		UserType:         m.UserType.ValueString(),
		Active:           yn(m.Active),
		Name:             m.Name.ValueString(),
		Number:           m.Number.ValueString(),
		CIDNumber:        m.CIDNumber.ValueString(),
		Secret:           m.Secret.ValueString(),
		CallRecord:       yn(m.CallRecord),
		PushNotification: yn(m.PushNotification),
		Deny:             m.Deny.ValueString(),
		Permit:           m.Permit.ValueString(),
		DTMFMode:         m.DTMFMode.ValueString(),
		CanReinvite:      yn(m.CanReinvite),
		DirectMedia:      yn(m.DirectMedia),
		Context:          m.Context.ValueString(),
		Host:             m.Host.ValueString(),
		Type:             m.Type.ValueString(),
		NAT:              m.NAT.ValueString(),
		Port:             strconv.FormatInt(m.Port.ValueInt64(), 10),
		Qualify:          yn(m.Qualify),
		CallGroup:        m.CallGroup.ValueString(),
		PickupGroup:      m.PickupGroup.ValueString(),
		CallCounter:      yn(m.CallCounter),
		FaxDetect:        yn(m.FaxDetect),
		Trunk:            yn(m.Trunk),
		Transfer:         yn(m.Transfer),
		Email:            m.Email.ValueString(),
		ForwardPolicy: pbxapi.ForwardPolicy{
			Busy:        fp.Busy.ValueString(),
			NoAnswer:    fp.NoAnswer.ValueString(),
			UnAvailable: fp.Unavailable.ValueString(),
			All:         fp.All.ValueString(),
		},
		MoreOptions: m.MoreOptions.ValueString(),
	}
	if !m.CallLimit.IsNull() {
		u.CallLimit = strconv.FormatInt(m.CallLimit.ValueInt64(), 10)
	}
	return u, diags
}

// fromAPI refreshes every attribute the device returns. The secret is never
// returned (masked), so it is kept; IAX2-only fields absent from a SIP
// record keep their previous value (false when there is none).
func (m *userResourceModel) fromAPI(u *pbxapi.User) diag.Diagnostics {
	var diags diag.Diagnostics
	unexpected := func(key, value, want string) {
		diags.AddError("Unexpected value on the PBX",
			fmt.Sprintf("User %s (number %s) has %s = %q on the PBX, which is %s. Fix it in the PBX panel, then run terraform again.", u.ID, u.Number, key, value, want))
	}
	boolField := func(key, v string, prior types.Bool) types.Bool {
		switch v {
		case "yes":
			return types.BoolValue(true)
		case "no":
			return types.BoolValue(false)
		case "":
			if prior.IsNull() || prior.IsUnknown() {
				return types.BoolValue(false)
			}
			return prior
		}
		unexpected(key, v, "neither yes nor no")
		return prior
	}
	m.ID = types.StringValue(u.ID)
	m.Number = types.StringValue(u.Number)
	m.Name = types.StringValue(u.Name)
	m.UserType = types.StringValue(u.UserType)
	m.Active = boolField("active", u.Active, m.Active)
	m.CIDNumber = types.StringValue(u.CIDNumber)
	m.CallRecord = boolField("call_record", u.CallRecord, m.CallRecord)
	m.PushNotification = boolField("push_notification", u.PushNotification, m.PushNotification)
	m.Deny = types.StringValue(u.Deny)
	m.Permit = types.StringValue(u.Permit)
	m.DTMFMode = types.StringValue(u.DTMFMode)
	m.CanReinvite = boolField("canreinvite", u.CanReinvite, m.CanReinvite)
	m.DirectMedia = boolField("directmedia", u.DirectMedia, m.DirectMedia)
	m.Context = types.StringValue(u.Context)
	m.Host = types.StringValue(u.Host)
	m.Type = types.StringValue(u.Type)
	m.NAT = types.StringValue(u.NAT)
	port, err := strconv.ParseInt(u.Port, 10, 64)
	if err != nil {
		unexpected("port", u.Port, "not a number")
	} else {
		m.Port = types.Int64Value(port)
	}
	m.Qualify = boolField("qualify", u.Qualify, m.Qualify)
	m.CallGroup = types.StringValue(u.CallGroup)
	m.PickupGroup = types.StringValue(u.PickupGroup)
	m.CallCounter = boolField("callcounter", u.CallCounter, m.CallCounter)
	m.FaxDetect = boolField("faxdetect", u.FaxDetect, m.FaxDetect)
	if u.CallLimit == "" {
		m.CallLimit = types.Int64Null()
	} else if n, err := strconv.ParseInt(u.CallLimit, 10, 64); err == nil {
		m.CallLimit = types.Int64Value(n)
	} else {
		unexpected("call_limit", u.CallLimit, "not a number")
	}
	m.Trunk = boolField("trunk", u.Trunk, m.Trunk)
	m.Transfer = boolField("transfer", u.Transfer, m.Transfer)
	m.Email = types.StringValue(u.Email)
	m.ForwardPolicy = types.ObjectValueMust(forwardPolicyAttrTypes, map[string]attr.Value{
		"busy":        types.StringValue(u.ForwardPolicy.Busy),
		"no_answer":   types.StringValue(u.ForwardPolicy.NoAnswer),
		"unavailable": types.StringValue(u.ForwardPolicy.UnAvailable),
		"all":         types.StringValue(u.ForwardPolicy.All),
	})
	m.MoreOptions = types.StringValue(u.MoreOptions)
	return diags
}

// userConfigOf reads the attributes of a pbx_user configuration that the
// resource's methods use (name, email, secret, secret_wo); the others stay
// zero.
func userConfigOf(config tftypes.Value) (*userResourceModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	attrs, err := rawAttrs(config)
	if err != nil {
		diags.AddError("Unable to read the pbx_user configuration", err.Error()+". This is always a bug in the provider; please report it.")
		return nil, diags
	}
	return &userResourceModel{
		Name:     rawString(attrs["name"]),
		Email:    rawString(attrs["email"]),
		Secret:   rawString(attrs["secret"]),
		SecretWO: rawString(attrs["secret_wo"]),
	}, diags
}

// followFields reads what planFollowed reads and writes of a plan or state:
// id, number, name, email and the link.
func followFields(attrs map[string]tftypes.Value) *userResourceModel {
	return &userResourceModel{
		ID:                 rawString(attrs["id"]),
		Number:             rawString(attrs["number"]),
		Name:               rawString(attrs["name"]),
		Email:              rawString(attrs["email"]),
		DirectoryUUID:      rawString(attrs["directory_uuid"]),
		DirectoryTimestamp: rawInt64(attrs["directory_timestamp"]),
		DirectorySeries:    rawString(attrs["directory_series"]),
	}
}

// userField is one attribute of userResourceModel: its name and a pointer to
// its field.
type userField struct {
	name  string
	value any // *types.String, *types.Bool, *types.Int64 or *types.Object
}

// userFieldIndex is every field of userResourceModel with its tfsdk tag,
// read once from the struct: the model's field list has one place, the
// struct.
var userFieldIndex = func() []struct {
	name  string
	index int
} {
	typ := reflect.TypeOf(userResourceModel{})
	out := make([]struct {
		name  string
		index int
	}, 0, typ.NumField())
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("tfsdk"); tag != "" && tag != "-" {
			out = append(out, struct {
				name  string
				index int
			}{tag, i})
		}
	}
	return out
}()

// fields lists every attribute of the model, as its tfsdk tags name them,
// each with a pointer to its field.
func (m *userResourceModel) fields() []userField {
	v := reflect.ValueOf(m).Elem()
	out := make([]userField, len(userFieldIndex))
	for i, f := range userFieldIndex {
		out[i] = userField{f.name, v.Field(f.index).Addr().Interface()}
	}
	return out
}

// fromRaw decodes a whole plan or state, as Plan.Get and State.Get do, without
// their reflection.
func (m *userResourceModel) fromRaw(ctx context.Context, v tftypes.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	attrs, err := rawAttrs(v)
	if err != nil {
		diags.AddError("Unable to read a pbx_user", err.Error()+". This is always a bug in the provider; please report it.")
		return diags
	}
	for _, f := range m.fields() {
		raw := attrs[f.name]
		switch p := f.value.(type) {
		case *types.String:
			*p = rawString(raw)
		case *types.Bool:
			*p = rawBool(raw)
		case *types.Int64:
			*p = rawInt64(raw)
		case *types.Object:
			obj, err := types.ObjectType{AttrTypes: forwardPolicyAttrTypes}.ValueFromTerraform(ctx, raw)
			if err != nil {
				diags.AddError("Unable to read a pbx_user", f.name+": "+err.Error()+". This is always a bug in the provider; please report it.")
				continue
			}
			*p, _ = obj.(types.Object)
		}
	}
	return diags
}

// toRaw encodes the whole model as a value of typ (the schema's), as
// State.Set does, without its reflection.
func (m *userResourceModel) toRaw(ctx context.Context, typ tftypes.Type) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	fields := m.fields()
	attrs := make(map[string]tftypes.Value, len(fields))
	for _, f := range fields {
		v, ok := f.value.(attr.Value)
		if !ok {
			continue
		}
		raw, err := v.ToTerraformValue(ctx)
		if err != nil {
			diags.AddError("Unable to write a pbx_user", f.name+": "+err.Error()+". This is always a bug in the provider; please report it.")
			return tftypes.Value{}, diags
		}
		attrs[f.name] = raw
	}
	if err := tftypes.ValidateValue(typ, attrs); err != nil {
		diags.AddError("Unable to write a pbx_user", err.Error()+". This is always a bug in the provider; please report it.")
		return tftypes.Value{}, diags
	}
	return tftypes.NewValue(typ, attrs), diags
}

// setState writes the whole model to a response's state (State.Set without
// its reflection).
func setState(ctx context.Context, state *tfsdk.State, m *userResourceModel) diag.Diagnostics {
	typ := state.Raw.Type() // the framework fills it, null, before Create
	if typ == nil {
		typ = state.Schema.Type().TerraformType(ctx)
	}
	raw, diags := m.toRaw(ctx, typ)
	if !diags.HasError() {
		state.Raw = raw
	}
	return diags
}
