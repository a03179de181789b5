package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// Moving a user managed with Mastercard/terraform-provider-restapi into
// pbx_user (Terraform 1.8+):
//
//	moved {
//	  from = restapi_object.alice
//	  to   = pbx_user.alice
//	}
//
// The move happens in the state only: no request to the PBX, no import. The
// _id comes from the restapi_object's state and every field from its data
// (the JSON it sent to users/add, or read back); the refresh that follows
// reads everything else from the PBX.

var _ resource.ResourceWithMoveState = (*userResource)(nil)

// restapiProvider is the source provider address of restapi_object
// (Terraform lower-cases the namespace).
const restapiProvider = "registry.terraform.io/mastercard/restapi"

func (r *userResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: moveFromRestapiObject}}
}

// restapiObjectState holds the attributes of a restapi_object state (v3
// schema, version 0) that a move reads; the others are ignored.
type restapiObjectState struct {
	ID      *string           `json:"id"`
	Path    *string           `json:"path"`
	Data    *string           `json:"data"`
	APIData map[string]string `json:"api_data"`
}

// moveFromRestapiObject builds the pbx_user state of a restapi_object whose
// data is a PBX user. Other sources are left to other movers (none: the
// framework then reports the move as unsupported).
func moveFromRestapiObject(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	if !strings.EqualFold(req.SourceProviderAddress, restapiProvider) || req.SourceTypeName != "restapi_object" {
		return
	}
	if req.SourceRawState == nil {
		resp.Diagnostics.AddError("Unable to move restapi_object to pbx_user", "The restapi_object has no state to move.")
		return
	}
	var src restapiObjectState
	if err := json.Unmarshal(req.SourceRawState.JSON, &src); err != nil {
		resp.Diagnostics.AddError("Unable to move restapi_object to pbx_user",
			fmt.Sprintf("The state of the restapi_object is not restapi's (schema version %d): %v.", req.SourceSchemaVersion, err))
		return
	}
	m, diags := userFromRestapi(&src)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, m)...)
	if resp.TargetIdentity != nil {
		resp.Diagnostics.Append(resp.TargetIdentity.Set(ctx, userIdentityModel{ID: m.ID})...)
	}
}

// userFromRestapi is the pbx_user state of a restapi_object: its _id and the
// fields of its data, the PBX's defaults for the fields data leaves out (as
// users/add does). It fails, naming the object, unless data is a PBX user.
func userFromRestapi(src *restapiObjectState) (*userResourceModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	name := restapiName(src)
	notUser := func(why string) (*userResourceModel, diag.Diagnostics) {
		diags.AddError(fmt.Sprintf("Unable to move %s to pbx_user: not a PBX user", name),
			fmt.Sprintf("The restapi_object %s cannot become a pbx_user: %s. A pbx_user moves only from a restapi_object that manages a "+
				"Simotel extension (its data is the users/add body: number, name, secret, …). Remove the moved block of this object, or point "+
				"it at the right restapi_object.", name, why))
		return nil, diags
	}
	if src.Data == nil || strings.TrimSpace(*src.Data) == "" {
		return notUser("it has no data")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*src.Data), &fields); err != nil || fields == nil {
		return notUser("its data is not a JSON object")
	}
	for _, key := range []string{"number", "name"} {
		if _, ok := fields[key]; !ok {
			return notUser(fmt.Sprintf("its data has no %q", key))
		}
	}
	// The PBX's defaults, then data over them.
	var m userResourceModel
	defaults, d := defaultUserFields()
	diags.Append(d...)
	if diags.HasError() {
		return nil, diags
	}
	for key, v := range fields {
		defaults[key] = v
	}
	merged, err := json.Marshal(defaults)
	if err != nil {
		diags.AddError("Unable to move "+name+" to pbx_user", err.Error())
		return nil, diags
	}
	var u pbxapi.User
	if err := json.Unmarshal(merged, &u); err != nil {
		return notUser(fmt.Sprintf("its data does not decode as a user (%v)", err))
	}
	if !digitsPattern.MatchString(u.Number) {
		return notUser(fmt.Sprintf("its data has number %q, which is not an extension number (digits)", u.Number))
	}
	u.ID = restapiUserID(src, &u)
	if !objectIDPattern.MatchString(u.ID) {
		return notUser("neither its id nor its api_data or data hold a PBX _id (24 lowercase hexadecimal digits)")
	}
	if d := m.fromAPI(&u); d.HasError() {
		for _, e := range d.Errors() {
			diags.AddError(fmt.Sprintf("Unable to move %s to pbx_user", name), e.Detail())
		}
		return nil, diags
	}
	// restapi sent data's secret to the PBX: the state records it, as after
	// a pbx_user write. Data read back from the PBX holds only the mask.
	if u.Secret != "" && u.Secret != pbxapi.SecretMask {
		m.Secret = types.StringValue(u.Secret)
	}
	return &m, diags
}

// restapiName names the source object in messages: its path and id as
// restapi knows them (Terraform does not tell a provider the address a
// moved block moves from).
func restapiName(src *restapiObjectState) string {
	var parts []string
	if src.Path != nil && *src.Path != "" {
		parts = append(parts, "path "+*src.Path)
	}
	if src.ID != nil && *src.ID != "" {
		parts = append(parts, "id "+*src.ID)
	}
	if len(parts) == 0 {
		return "restapi_object (no path, no id)"
	}
	return "restapi_object (" + strings.Join(parts, ", ") + ")"
}

// restapiUserID finds the user's _id: restapi's id (its id_attribute, e.g.
// data/_id of the users/add answer), else _id in api_data or data.
func restapiUserID(src *restapiObjectState, fromData *pbxapi.User) string {
	for _, id := range []string{deref(src.ID), src.APIData["_id"], fromData.ID} {
		if id = strings.ToLower(strings.TrimSpace(id)); objectIDPattern.MatchString(id) {
			return id
		}
	}
	return ""
}

// defaultUserFields is the users/add body of a pbx_user whose optional
// arguments are all unset: the PBX's defaults, taken from the schema's.
func defaultUserFields() (map[string]json.RawMessage, diag.Diagnostics) {
	ctx := context.Background()
	schema := userResourceSchema(ctx)
	objType, ok := schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		var diags diag.Diagnostics
		diags.AddError("Unexpected pbx_user schema", "The pbx_user schema is not an object. This is always a bug in the provider; please report it.")
		return nil, diags
	}
	values := make(map[string]tftypes.Value, len(objType.AttributeTypes))
	for name, typ := range objType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
		def, diags := defaultValue(ctx, path.Root(name), schema.Attributes[name])
		if diags.HasError() {
			return nil, diags
		}
		if def != nil {
			values[name] = *def
		}
	}
	var m userResourceModel
	state := tfsdk.State{Schema: schema, Raw: tftypes.NewValue(objType, values)}
	diags := state.Get(ctx, &m)
	if diags.HasError() {
		return nil, diags
	}
	u, d := m.toAPI(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return nil, diags
	}
	data, err := json.Marshal(u)
	var out map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(data, &out)
	}
	if err != nil {
		diags.AddError("Unexpected default user", err.Error())
	}
	return out, diags
}
