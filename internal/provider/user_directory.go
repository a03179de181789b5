package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// followedFields are the directory fields a linked user follows.
var followedFields = []string{"name", "email"}

// ModifyPlan resolves the values that follow the linked directory entry.
//
// Every plan of a linked user reads the entry. name and email not set in the
// configuration take the entry's values; directory_timestamp and
// directory_series keep the recorded values while the entry is unchanged,
// and take the entry's when its timestamp moved or the directory's series
// changed (a reset: timestamps are then not comparable). A change of either
// is an in-place update; after it is applied the next plan is empty.
func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
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

	switch {
	case plan.DirectoryUUID.IsNull():
		plan.DirectoryTimestamp = types.Int64Null()
		plan.DirectorySeries = types.StringNull()
		if config.Email.IsNull() {
			plan.Email = types.StringValue("")
		}
	case plan.DirectoryUUID.IsUnknown() || r.client == nil:
		// The uuid, or the provider's configuration, is known only after
		// apply: so are the followed values.
		plan.DirectoryTimestamp = types.Int64Unknown()
		plan.DirectorySeries = types.StringUnknown()
		if config.Name.IsNull() {
			plan.Name = types.StringUnknown()
		}
		if config.Email.IsNull() {
			plan.Email = types.StringUnknown()
		}
	default:
		if !r.followEntry(ctx, &plan, &config, state, resp) {
			return
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// followEntry reads the linked entry and fills the plan from it. It reports
// false after adding an error.
func (r *userResource) followEntry(ctx context.Context, plan, config, state *userResourceModel, resp *resource.ModifyPlanResponse) bool {
	uuid := plan.DirectoryUUID.ValueString()
	who := userLabel(plan, state)
	entry, series, err := r.client.GetEntry(ctx, uuid, followedFields)
	if err != nil {
		summary := fmt.Sprintf("Directory entry of PBX user %s is unavailable", who)
		switch {
		case errors.Is(err, pbxapi.ErrNotFound):
			resp.Diagnostics.AddAttributeError(path.Root("directory_uuid"), summary,
				fmt.Sprintf("PBX user %s is linked to directory entry %s, which does not exist in the directory (series %s): "+
					"the device answered EDIR_UUID_DOES_NOT_EXIST, so it was deleted or never created. "+
					"Link the user to an existing entry, restore the entry on the intercom, or remove directory_uuid and set name (and email) in the configuration.",
					who, uuid, series))
		default:
			resp.Diagnostics.AddAttributeError(path.Root("directory_uuid"), summary,
				fmt.Sprintf("Reading directory entry %s for PBX user %s failed. %s", uuid, who, describe(err)))
		}
		return false
	}
	e := entry.Entry
	if config.Name.IsNull() {
		if e.Name == nil || *e.Name == "" {
			resp.Diagnostics.AddAttributeError(path.Root("name"), fmt.Sprintf("Directory entry %s has no name", uuid),
				fmt.Sprintf("PBX user %s follows the name of directory entry %s, but the entry's name is empty and the PBX requires one. "+
					"Set name in the configuration or give the entry a name.", who, uuid))
			return false
		}
		plan.Name = types.StringValue(*e.Name)
	}
	if config.Email.IsNull() {
		plan.Email = types.StringValue(stringOr(e.Email, ""))
	}
	unchanged := state != nil &&
		state.DirectoryUUID.Equal(plan.DirectoryUUID) &&
		state.DirectorySeries.ValueString() == series &&
		state.DirectoryTimestamp.ValueInt64() == e.Timestamp
	if unchanged {
		plan.DirectoryTimestamp = state.DirectoryTimestamp
		plan.DirectorySeries = state.DirectorySeries
	} else {
		plan.DirectoryTimestamp = types.Int64Value(e.Timestamp)
		plan.DirectorySeries = types.StringValue(series)
	}
	return true
}

func stringOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

// userLabel names a user in messages: its number, and its _id when known.
func userLabel(plan, state *userResourceModel) string {
	label := "number " + plan.Number.ValueString()
	if state != nil && !state.ID.IsNull() {
		label += " (" + state.ID.ValueString() + ")"
	}
	return label
}
