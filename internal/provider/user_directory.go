package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
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
