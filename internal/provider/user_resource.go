package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ resource.ResourceWithConfigure      = (*userResource)(nil)
	_ resource.ResourceWithImportState    = (*userResource)(nil)
	_ resource.ResourceWithIdentity       = (*userResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*userResource)(nil)
	_ resource.ResourceWithValidateConfig = (*userResource)(nil)
)

// NewUserResource returns the pbx_user resource.
func NewUserResource() resource.Resource {
	return &userResource{}
}

type userResource struct {
	client *pbxapi.Client
}

func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

// ValidateConfig runs the attribute validators (user_validate.go) and
// checks the rules that span attributes. It reads the configuration's values
// directly: decoding the whole model costs more than the rules, and it runs
// for every user on every plan.
func (r *userResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	attrs, err := rawAttrs(req.Config.Raw)
	if err != nil {
		return // an unknown configuration: nothing to check yet
	}
	resp.Diagnostics.Append(validateUserAttributes(ctx, req.Config, attrs)...)
	cfg := struct {
		Name, DirectoryUUID, UserType types.String
		Trunk, Transfer               types.Bool
	}{
		Name: rawString(attrs["name"]), DirectoryUUID: rawString(attrs["directory_uuid"]), UserType: rawString(attrs["user_type"]),
		Trunk: rawBool(attrs["trunk"]), Transfer: rawBool(attrs["transfer"]),
	}
	if cfg.Name.IsNull() && cfg.DirectoryUUID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Missing name",
			"name is required unless directory_uuid links the user to a directory entry whose name it then follows. Set one of them.")
	}
	if cfg.UserType.IsUnknown() {
		return
	}
	userType := cfg.UserType.ValueString()
	if cfg.UserType.IsNull() {
		userType = "SIP"
	}
	if userType == "IAX2" {
		return
	}
	for _, f := range []struct {
		name string
		v    types.Bool
	}{{"trunk", cfg.Trunk}, {"transfer", cfg.Transfer}} {
		name, v := f.name, f.v
		if v.ValueBool() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "IAX2-only setting on a SIP user",
				fmt.Sprintf("%s applies only to IAX2 extensions, but user_type is %q. Remove %s or set user_type = \"IAX2\".", name, userType, name))
		}
	}
}

func (r *userResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		r.client = client
	}
}

func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan userResourceModel
	resp.Diagnostics.Append(plan.fromRaw(ctx, req.Plan.Raw)...)
	config, diags := userConfigOf(req.Config.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	followed, diags := r.resolveLink(ctx, &plan, config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	u, diags := plan.toAPI(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var ok bool
	if u.Secret, ok = configuredSecret(config); !ok {
		resp.Diagnostics.Append(checkSecret(&plan, config, nil)...)
		return
	}
	added, err := r.client.AddUser(ctx, u)
	if err != nil {
		detail := describe(err)
		if errors.Is(err, pbxapi.ErrNumberExists) {
			detail += "\n\nAnother extension already uses this number. Choose another number, or bring the existing one under Terraform with " +
				"`terraform import <address> number:" + u.Number + "`. If two pbx_user resources in this configuration share the number, give each its own."
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to create PBX user %s (number %s)", u.Name, u.Number), detail)
		return
	}
	if added.Adopted {
		// Left by an interrupted run, most likely: the same user, but its
		// secret is unknown. One full write makes it the configured one.
		u.ID = added.ID
		if err := r.client.UpdateUser(ctx, u); err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to adopt PBX user %s (number %s)", added.ID, u.Number),
				fmt.Sprintf("The PBX already had an extension with number %s (_id %s) matching this configuration, and Terraform was adopting it, "+
					"but writing the configured secret to it failed. %s\n\nRun terraform apply again.", u.Number, added.ID, describe(err)))
			return
		}
		resp.Diagnostics.AddWarning(fmt.Sprintf("Adopted existing PBX user %s (number %s)", added.ID, u.Number),
			fmt.Sprintf("The PBX already had an extension with number %s (_id %s) whose every field matches this configuration, "+
				"probably created by an earlier apply that was interrupted before it could record it. Terraform now manages it, "+
				"and has written the configured secret to it (the PBX never returns a secret, so the old one could not be compared).", u.Number, added.ID))
	}
	plan.ID = types.StringValue(added.ID)
	resp.Diagnostics.Append(setState(ctx, &resp.State, &plan)...)
	if followed != nil {
		resp.Diagnostics.Append(storeFollowed(ctx, resp.Private, followed)...)
	}
	resp.Diagnostics.Append(resp.Identity.Set(ctx, userIdentityModel{ID: plan.ID})...)
}

func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state userResourceModel
	resp.Diagnostics.Append(state.fromRaw(ctx, req.State.Raw)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Set first: a state from before identity existed gets one even when the user is gone.
	resp.Diagnostics.Append(resp.Identity.Set(ctx, userIdentityModel{ID: state.ID})...)
	u, err := r.client.GetUser(ctx, state.ID.ValueString())
	if errors.Is(err, pbxapi.ErrNotFound) {
		resp.Diagnostics.AddWarning(fmt.Sprintf("PBX user %s is gone", state.ID.ValueString()),
			fmt.Sprintf("The extension with _id %s (number %s) no longer exists on the PBX; it was deleted outside Terraform. "+
				"It is removed from the state, and the next apply creates it again.", state.ID.ValueString(), state.Number.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read PBX user %s (number %s)", state.ID.ValueString(), state.Number.ValueString()), describe(err))
		return
	}
	resp.Diagnostics.Append(state.fromAPI(u)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var followed *followedEntry
	if !state.DirectoryUUID.IsNull() {
		prior, diags := loadFollowed(ctx, req.Private, state.DirectoryUUID.ValueString())
		resp.Diagnostics.Append(diags...)
		followed, diags = r.refreshDirectory(ctx, &state, prior)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	resp.Diagnostics.Append(setState(ctx, &resp.State, &state)...)
	if followed != nil {
		resp.Diagnostics.Append(storeFollowed(ctx, resp.Private, followed)...)
	}
}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state userResourceModel
	resp.Diagnostics.Append(plan.fromRaw(ctx, req.Plan.Raw)...)
	resp.Diagnostics.Append(state.fromRaw(ctx, req.State.Raw)...)
	config, diags := userConfigOf(req.Config.Raw)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	if plan.DirectorySeries.IsUnknown() {
		// The link is new: the plan could not know the followed values.
		followed, diags := r.resolveLink(ctx, &plan, config)
		resp.Diagnostics.Append(diags...)
		if followed != nil {
			resp.Diagnostics.Append(storeFollowed(ctx, resp.Private, followed)...)
		}
		if resp.Diagnostics.HasError() {
			return
		}
	}
	u, diags := plan.toAPI(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Unless only the link (directory_uuid, timestamp, series) or what the
	// state records of the secret changed, the PBX gets the whole user.
	if writesUser(&plan, &state, config) {
		var ok bool
		if u.Secret, ok = configuredSecret(config); !ok {
			resp.Diagnostics.Append(checkSecret(&plan, config, &state)...)
			return
		}
		if err := r.client.UpdateUser(ctx, u); err != nil {
			detail := describe(err)
			switch {
			case errors.Is(err, pbxapi.ErrNotFound):
				detail += "\n\nThe extension was deleted on the PBX after Terraform last read it. Run terraform apply again: the refresh notices it is gone and creates it."
			case errors.Is(err, pbxapi.ErrNumberExists):
				detail += "\n\nAnother extension already uses number " + u.Number + "."
			}
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to update PBX user %s (number %s)", u.ID, u.Number), detail)
			return
		}
	}
	resp.Diagnostics.Append(setState(ctx, &resp.State, &plan)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, userIdentityModel{ID: plan.ID})...)
}

func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state userResourceModel
	resp.Diagnostics.Append(state.fromRaw(ctx, req.State.Raw)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.RemoveUser(ctx, state.ID.ValueString())
	if err != nil && !errors.Is(err, pbxapi.ErrNotFound) {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to delete PBX user %s (number %s)", state.ID.ValueString(), state.Number.ValueString()), describe(err))
	}
}

var objectIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// ImportState accepts the PBX _id, or number:NNN to look the _id up, or
// (an import block with identity, Terraform 1.12+) the identity's id.
func (r *userResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := req.ID
	if id == "" && req.Identity != nil && !req.Identity.Raw.IsNull() {
		id = importIdentityID(ctx, req, resp)
		if resp.Diagnostics.HasError() {
			return
		}
	} else if number, ok := strings.CutPrefix(id, "number:"); ok {
		if !digitsPattern.MatchString(number) {
			resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("%q: after number: give the extension number (digits), e.g. number:530.", id))
			return
		}
		u, err := r.client.FindUserByNumber(ctx, number)
		if err != nil {
			detail := describe(err)
			if errors.Is(err, pbxapi.ErrNotFound) {
				detail = fmt.Sprintf("The PBX has no extension with number %s. Check the number with the PBX panel.", number)
			}
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to import PBX user number %s", number), detail)
			return
		}
		id = u.ID
	} else if !objectIDPattern.MatchString(id) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is neither a PBX user _id (24 lowercase hex digits, e.g. 603b41443e14270c550bf15a) nor number:NNN.", id))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, userIdentityModel{ID: types.StringValue(id)})...)
}

// userIdentityModel is pbx_user's resource identity: the PBX _id, which never
// changes (a number change is an in-place update).
type userIdentityModel struct {
	ID types.String `tfsdk:"id"`
}

func (r *userResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				Description:       "The PBX's identifier of the extension (`_id`, 24 lowercase hexadecimal digits), as in the resource's `id`.",
				RequiredForImport: true,
			},
		},
	}
}

// importIdentityID returns the _id of an import block's identity, or adds an
// error when it is not one.
func importIdentityID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) string {
	var identity userIdentityModel
	resp.Diagnostics.Append(req.Identity.Get(ctx, &identity)...)
	if resp.Diagnostics.HasError() {
		return ""
	}
	id := identity.ID.ValueString()
	if !objectIDPattern.MatchString(id) {
		resp.Diagnostics.AddError("Invalid import identity",
			fmt.Sprintf("identity.id %q is not a PBX user _id (24 lowercase hex digits, e.g. 603b41443e14270c550bf15a). "+
				"To import by extension number, use id = \"number:NNN\" in the import block instead of identity.", id))
	}
	return id
}
