package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// How a linked user follows its directory entry is in the package
// documentation (doc.go, "Users linked to a directory entry").

// privateDirectoryKey is the private-state key of followedEntry.
const privateDirectoryKey = "directory"

// followedEntry is what the last refresh learned about the linked entry.
type followedEntry struct {
	UUID      string  `json:"uuid"`
	Watermark int64   `json:"watermark,omitempty"`
	Name      *string `json:"name,omitempty"`
	Email     *string `json:"email,omitempty"`
	// Missing: the entry does not exist in the directory.
	Missing bool `json:"missing,omitempty"`
}

// privateGetter and privateSetter are the private-state methods of the
// requests and responses that carry it.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// loadFollowed returns the recorded entry for uuid, or nil when none is
// recorded for it.
func loadFollowed(ctx context.Context, p privateGetter, uuid string) (*followedEntry, diag.Diagnostics) {
	if p == nil || uuid == "" {
		return nil, nil
	}
	raw, diags := p.GetKey(ctx, privateDirectoryKey)
	if diags.HasError() || len(raw) == 0 {
		return nil, diags
	}
	var f followedEntry
	if err := json.Unmarshal(raw, &f); err != nil || f.UUID != uuid {
		// Unreadable or for another entry: read the entry afresh.
		return nil, diags
	}
	return &f, diags
}

func storeFollowed(ctx context.Context, p privateSetter, f *followedEntry) diag.Diagnostics {
	raw, err := json.Marshal(f)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Unable to record the directory entry", "Encoding private state failed: "+err.Error()+". This is always a bug in the provider.")
		return diags
	}
	return p.SetKey(ctx, privateDirectoryKey, raw)
}

// refreshDirectory brings the linked entry of state up to date (Read). It
// changes directory_timestamp and directory_series in state and returns what
// to keep in private state.
func (r *userResource) refreshDirectory(ctx context.Context, state *userResourceModel, prior *followedEntry) (*followedEntry, diag.Diagnostics) {
	var diags diag.Diagnostics
	uuid := state.DirectoryUUID.ValueString()
	series, since := "", int64(0)
	if prior != nil && !prior.Missing {
		series, since = state.DirectorySeries.ValueString(), prior.Watermark
	}
	ch, err := r.client.RefreshEntry(ctx, uuid, series, since)
	if err != nil {
		diags.AddError(fmt.Sprintf("Unable to read directory entry %s of PBX user %s", uuid, userLabel(state, state)),
			fmt.Sprintf("PBX user %s follows directory entry %s. %s", userLabel(state, state), uuid, describe(err)))
		return prior, diags
	}
	switch {
	case !ch.Changed:
		f := *prior
		f.Watermark = ch.Watermark
		return &f, diags
	case ch.Deleted:
		return &followedEntry{UUID: uuid, Missing: true}, diags
	}
	e := ch.Entry
	state.DirectoryTimestamp = types.Int64Value(e.Timestamp)
	state.DirectorySeries = types.StringValue(ch.Series)
	return &followedEntry{UUID: uuid, Watermark: ch.Watermark, Name: e.Text("name"), Email: e.Text("email")}, diags
}

// ModifyPlan fills the values that follow the linked directory entry from
// the refreshed state; it makes no network call.
func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	if unchangedUnlinked(ctx, req) {
		return
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

	var followed *followedEntry
	if state != nil && !plan.DirectoryUUID.IsUnknown() && state.DirectoryUUID.Equal(plan.DirectoryUUID) {
		f, diags := loadFollowed(ctx, req.Private, plan.DirectoryUUID.ValueString())
		resp.Diagnostics.Append(diags...)
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
		resp.Diagnostics.Append(applyFollowed(ctx, &plan, &config, state, followed)...)
		plan.DirectoryTimestamp = state.DirectoryTimestamp
		plan.DirectorySeries = state.DirectorySeries
	}
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

// unchangedUnlinked reports a plan ModifyPlan has nothing to do for: an
// unlinked user whose plan is its refreshed state, with an email that needs
// no resetting. That is most users of a no-change plan, and decoding plan,
// configuration and state into whole models is most of the provider's CPU
// in such a plan.
func unchangedUnlinked(ctx context.Context, req resource.ModifyPlanRequest) bool {
	if req.State.Raw.IsNull() || !req.Plan.Raw.Equal(req.State.Raw) {
		return false
	}
	var uuid, email, configEmail types.String
	if req.Plan.GetAttribute(ctx, path.Root("directory_uuid"), &uuid).HasError() || !uuid.IsNull() {
		return false
	}
	if req.State.GetAttribute(ctx, path.Root("email"), &email).HasError() {
		return false
	}
	if email.ValueString() == "" {
		return true
	}
	// An email set on the PBX but not in the configuration is reset below.
	return !req.Config.GetAttribute(ctx, path.Root("email"), &configEmail).HasError() && !configEmail.IsNull()
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
	for _, v := range validators {
		req := validator.StringRequest{Path: path.Root(field), ConfigValue: types.StringValue(value)}
		resp := &validator.StringResponse{}
		v.ValidateString(ctx, req, resp)
		for _, d := range resp.Diagnostics.Errors() {
			problems = append(problems, d.Detail())
		}
	}
	return problems
}

// resolveLink reads the linked entry at apply time, when the plan could not
// know its values (a new link, or an uuid known only after apply), and fills
// plan from it. It returns what to record in private state.
func (r *userResource) resolveLink(ctx context.Context, plan, config *userResourceModel) (*followedEntry, diag.Diagnostics) {
	var diags diag.Diagnostics
	if plan.DirectoryUUID.IsNull() {
		return nil, diags
	}
	uuid := plan.DirectoryUUID.ValueString()
	ch, err := r.client.LinkEntry(ctx, uuid)
	if err != nil {
		diags.AddAttributeError(path.Root("directory_uuid"), fmt.Sprintf("Unable to read directory entry %s of PBX user %s", uuid, userLabel(plan, nil)),
			fmt.Sprintf("Reading directory entry %s for PBX user %s failed. %s", uuid, userLabel(plan, nil), describe(err)))
		return nil, diags
	}
	f := &followedEntry{UUID: uuid, Missing: ch.Deleted}
	if !ch.Deleted {
		e := ch.Entry
		f.Watermark, f.Name, f.Email = ch.Watermark, e.Text("name"), e.Text("email")
		plan.DirectoryTimestamp = types.Int64Value(e.Timestamp)
		plan.DirectorySeries = types.StringValue(ch.Series)
	}
	diags.Append(applyFollowed(ctx, plan, config, nil, f)...)
	return f, diags
}

// userLabel names a user in messages: its number, and its _id when known.
func userLabel(plan, state *userResourceModel) string {
	label := "number " + plan.Number.ValueString()
	if state != nil && !state.ID.IsNull() && !state.ID.IsUnknown() {
		label += " (" + state.ID.ValueString() + ")"
	}
	return label
}

// updatedSinceRefresh reports whether this run wrote the entry since the
// refresh recorded it (in f) in a way that makes the record stale: an update
// that changed the name or email, or a create of an entry the refresh found
// missing (re-created after a directory reset wiped it, under the same
// derived uuid). That happens only in the plan Terraform makes again at
// apply, after the entry's apply, for a user whose plan showed the followed
// values as known after apply (see followedValuesChange; a re-created
// entry's uuid is known after apply). It makes no request.
func (r *userResource) updatedSinceRefresh(f *followedEntry) bool {
	if r.client == nil {
		return false
	}
	w, ok := r.client.WrittenEntry(f.UUID)
	if !ok {
		return false
	}
	return f.Missing || w.Name != deref(f.Name) || w.Email != deref(f.Email)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// followedValuesChange is the plan modifier of pbx_directory_entry's uuid
// that lets linked users follow a change of the entry in the same apply.
// A user links with directory_uuid = pbx_directory_entry.<name>.uuid, which
// is all the user's plan sees of the entry. When the entry's plan changes
// what users follow (name or email: an edit of the configuration, or
// restoring a rename made in the panel), the uuid is planned as known after
// apply, though it never changes. The linked user then plans the followed
// values as known after apply, and its apply, which runs after the entry's,
// reads them from the entry as the entry's apply left it. Otherwise the user
// would plan the values its refresh read, the entry's apply would change
// them, and only a second apply would bring the user along.
type followedValuesChange struct{}

func (followedValuesChange) Description(context.Context) string {
	return "known after apply when the plan changes the entry's name or email, so that linked users follow the new values in the same apply"
}

func (m followedValuesChange) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (followedValuesChange) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || resp.PlanValue.IsUnknown() {
		return // created (unknown anyway) or destroyed
	}
	if !req.ConfigValue.IsNull() {
		// A configured uuid is planned as configured; its linked users follow
		// a change of the entry at the next refresh.
		return
	}
	for _, name := range []string{"name", "email"} {
		var planned, prior types.String
		resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(name), &planned)...)
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(name), &prior)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if !planned.Equal(prior) {
			resp.PlanValue = types.StringUnknown()
			return
		}
	}
}
