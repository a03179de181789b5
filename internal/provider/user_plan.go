package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// ModifyPlan fills the values that follow the linked directory entry from
// the refreshed state; it makes no network call.
//
// It reads and writes only the attributes it needs, on the Terraform values
// (rawAttrs): decoding plan, configuration and state into whole models was
// most of the provider's CPU for a user in a plan. A plan that writes the
// user without a configured secret, which checkSecret may reject and name
// every changed attribute of, takes the whole models (modifyPlanModels).
func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	planAttrs, err := rawAttrs(req.Plan.Raw)
	if err != nil {
		r.modifyPlanModels(ctx, req, resp)
		return
	}
	config, diags := userConfigOf(req.Config.Raw)
	if diags.HasError() {
		r.modifyPlanModels(ctx, req, resp)
		return
	}
	if _, ok := configuredSecret(config); !ok {
		r.modifyPlanModels(ctx, req, resp)
		return
	}
	plan := followFields(planAttrs)
	var state *userResourceModel
	if !req.State.Raw.IsNull() {
		stateAttrs, err := rawAttrs(req.State.Raw)
		if err != nil {
			r.modifyPlanModels(ctx, req, resp)
			return
		}
		state = followFields(stateAttrs)
	}
	before := *plan
	resp.Diagnostics.Append(r.planFollowed(ctx, req.Private, plan, config, state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// checkSecret has nothing to say: the configuration gives a secret.
	changed := false
	for _, f := range []struct {
		name     string
		was, now attr.Value
		value    func() tftypes.Value
	}{
		{"name", before.Name, plan.Name, func() tftypes.Value { return tfString(plan.Name) }},
		{"email", before.Email, plan.Email, func() tftypes.Value { return tfString(plan.Email) }},
		{"directory_timestamp", before.DirectoryTimestamp, plan.DirectoryTimestamp, func() tftypes.Value { return tfInt64(plan.DirectoryTimestamp) }},
		{"directory_series", before.DirectorySeries, plan.DirectorySeries, func() tftypes.Value { return tfString(plan.DirectorySeries) }},
	} {
		if !f.was.Equal(f.now) {
			planAttrs[f.name] = f.value()
			changed = true
		}
	}
	if changed {
		resp.Plan.Raw = tftypes.NewValue(req.Plan.Raw.Type(), planAttrs)
	}
}

// modifyPlanModels is ModifyPlan on whole models.
func (r *userResource) modifyPlanModels(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, config userResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *userResourceModel
	if !req.State.Raw.IsNull() {
		state = &userResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	resp.Diagnostics.Append(r.planFollowed(ctx, req.Private, &plan, &config, state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A write needs the secret (see user_secret.go).
	resp.Diagnostics.Append(checkSecret(&plan, &config, state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planFollowed plans name, email, directory_timestamp and directory_series
// (state is nil for a create). It reads of plan, config and state only what
// followFields and userConfigOf give.
func (r *userResource) planFollowed(ctx context.Context, private privateGetter, plan, config, state *userResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	var followed *followedEntry
	if state != nil && !plan.DirectoryUUID.IsUnknown() && state.DirectoryUUID.Equal(plan.DirectoryUUID) {
		f, d := loadFollowed(ctx, private, plan.DirectoryUUID.ValueString())
		diags.Append(d...)
		followed = f
	}
	switch {
	case plan.DirectoryUUID.IsNull():
		plan.DirectoryTimestamp = types.Int64Null()
		plan.DirectorySeries = types.StringNull()
		if config.Email.IsNull() {
			plan.Email = types.StringValue("")
		}
	case followed == nil && state != nil && state.DirectoryUUID.Equal(plan.DirectoryUUID):
		// Linked, but nothing recorded yet (a state from before the
		// provider recorded entries, planned with -refresh=false): keep
		// what the state holds; the next refresh records the entry.
		if config.Name.IsNull() {
			plan.Name = state.Name
		}
		if config.Email.IsNull() {
			plan.Email = state.Email
		}
		plan.DirectoryTimestamp = state.DirectoryTimestamp
		plan.DirectorySeries = state.DirectorySeries
	case followed == nil, r.updatedSinceRefresh(followed):
		// A new link, or an uuid known only after apply: so are the
		// followed values. Create or Update reads the entry. So too in
		// the plan Terraform makes again at apply when this run changed
		// what the user follows (see followedValuesChange).
		plan.DirectoryTimestamp = types.Int64Unknown()
		plan.DirectorySeries = types.StringUnknown()
		if config.Name.IsNull() {
			plan.Name = types.StringUnknown()
		}
		if config.Email.IsNull() {
			plan.Email = types.StringUnknown()
		}
	default:
		diags.Append(applyFollowed(ctx, plan, config, state, followed)...)
		plan.DirectoryTimestamp = state.DirectoryTimestamp
		plan.DirectorySeries = state.DirectorySeries
	}
	return diags
}

// applyFollowed sets name and email not set in config from the entry, after
// checking them with exactly the rules configured values get.
func applyFollowed(ctx context.Context, plan, config, state *userResourceModel, f *followedEntry) diag.Diagnostics {
	var diags diag.Diagnostics
	who, uuid := userLabel(plan, state), plan.DirectoryUUID.ValueString()
	if f.Missing {
		diags.AddAttributeError(path.Root("directory_uuid"), fmt.Sprintf("Directory entry of PBX user %s is unavailable", who),
			fmt.Sprintf("PBX user %s is linked to directory entry %s, which does not exist in the directory: "+
				"the device answered EDIR_UUID_DOES_NOT_EXIST at the last refresh, so it was deleted or never created. "+
				"Link the user to an existing entry, restore the entry on the intercom, or remove directory_uuid and set name (and email) in the configuration.",
				who, uuid))
		return diags
	}
	follow := []struct {
		field      string
		configured types.String
		value      *string
		planned    *types.String
		validators []validator.String
	}{
		{"name", config.Name, f.Name, &plan.Name, nameValidators},
		{"email", config.Email, f.Email, &plan.Email, emailValidators},
	}
	for _, fl := range follow {
		if !fl.configured.IsNull() {
			continue
		}
		v := ""
		if fl.value != nil {
			v = *fl.value
		}
		if fl.field == "name" && v == "" {
			diags.AddAttributeError(path.Root("name"), fmt.Sprintf("Directory entry %s has no name", uuid),
				fmt.Sprintf("PBX user %s follows the name of directory entry %s, but the entry's name is empty and the PBX requires one. "+
					"Set name in the configuration or give the entry a name.", who, uuid))
			continue
		}
		for _, problem := range validateString(ctx, fl.field, v, fl.validators) {
			diags.AddAttributeError(path.Root(fl.field), fmt.Sprintf("Directory entry %s has an invalid %s", uuid, fl.field),
				fmt.Sprintf("PBX user %s follows the %s of directory entry %s, which is %q on the intercom: %s. Nothing was written to the PBX. "+
					"Correct the entry on the intercom, or set %s in the configuration.", who, fl.field, uuid, v, problem, fl.field))
		}
		*fl.planned = types.StringValue(v)
	}
	return diags
}

// validateString runs a string attribute's validators on a value that did not
// come from the configuration and returns their error details.
func validateString(ctx context.Context, field, value string, validators []validator.String) []string {
	var problems []string
	req := validator.StringRequest{Path: path.Root(field), ConfigValue: types.StringValue(value)}
	for _, d := range runStringValidators(ctx, req, validators).Errors() {
		problems = append(problems, d.Detail())
	}
	return problems
}

// updatedSinceRefresh reports whether this run wrote the entry since the
// refresh recorded it (in f) in a way that makes the record stale: an update
// that changed the name or email, or a create of an entry the refresh found
// missing (re-created after a directory reset wiped it, under the same
// derived uuid). That happens only in the plan Terraform makes again at
// apply, after the entry's apply, for a user whose plan showed the followed
// values as known after apply (see followedValuesChange; a re-created
// entry's uuid is known after apply). It reads the provider's own record of
// the run's entry writes (entryRun) and makes no request.
func (r *userResource) updatedSinceRefresh(f *followedEntry) bool {
	if r.client == nil {
		return false
	}
	w, ok := entryRunOf(r.client).wrote(f.UUID)
	if !ok {
		return false
	}
	return f.Missing || w.Name != deref(f.Name) || w.Email != deref(f.Email)
}
