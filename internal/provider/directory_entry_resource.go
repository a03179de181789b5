package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ resource.ResourceWithConfigure      = (*directoryEntryResource)(nil)
	_ resource.ResourceWithImportState    = (*directoryEntryResource)(nil)
	_ resource.ResourceWithIdentity       = (*directoryEntryResource)(nil)
	_ resource.ResourceWithValidateConfig = (*directoryEntryResource)(nil)
)

// NewDirectoryEntryResource returns the pbx_directory_entry resource.
func NewDirectoryEntryResource() resource.Resource {
	return &directoryEntryResource{}
}

type directoryEntryResource struct {
	client *pbxapi.Client
}

// directoryEntryResourceModel maps pbx_directory_entry.
type directoryEntryResourceModel struct {
	UUID          types.String `tfsdk:"uuid"`
	Name          types.String `tfsdk:"name"`
	Email         types.String `tfsdk:"email"`
	Treepath      types.String `tfsdk:"treepath"`
	VirtNumber    types.String `tfsdk:"virt_number"`
	Owner         types.String `tfsdk:"owner"`
	Deputy        types.String `tfsdk:"deputy"`
	CallPositions types.List   `tfsdk:"call_positions"`
	Access        types.Object `tfsdk:"access"`
	Timestamp     types.Int64  `tfsdk:"timestamp"`
	Series        types.String `tfsdk:"series"`
}

type callPositionModel struct {
	Peer     types.String `tfsdk:"peer"`
	Grouped  types.Bool   `tfsdk:"grouped"`
	Profiles types.String `tfsdk:"profiles"`
}

type accessModel struct {
	ValidFrom types.String `tfsdk:"valid_from"`
	ValidTo   types.String `tfsdk:"valid_to"`
	PIN       types.String `tfsdk:"pin"`
	Codes     types.List   `tfsdk:"codes"`
	Cards     types.List   `tfsdk:"cards"`
}

type directoryEntryIdentityModel struct {
	UUID types.String `tfsdk:"uuid"`
}

var (
	callPositionType = types.ObjectType{AttrTypes: callPositionAttrTypes}
	accessAttrTypes  = map[string]attr.Type{
		"valid_from": types.StringType,
		"valid_to":   types.StringType,
		"pin":        types.StringType,
		"codes":      types.ListType{ElemType: types.StringType},
		"cards":      types.ListType{ElemType: types.StringType},
	}
	// noAccess is access with nothing set: no validity limit and no credentials.
	noAccess = types.ObjectValueMust(accessAttrTypes, map[string]attr.Value{
		"valid_from": types.StringNull(), "valid_to": types.StringNull(), "pin": types.StringNull(),
		"codes": types.ListNull(types.StringType), "cards": types.ListNull(types.StringType),
	})
)

// privateWatermark is the private-state key holding how far the directory
// was known to be unchanged for this entry: {"series": "...", "watermark": N}.
const privateWatermark = "directory_watermark"

type watermark struct {
	Series    string `json:"series"`
	Watermark int64  `json:"watermark"`
}

func setWatermark(ctx context.Context, p privateSetter, series string, ts int64) diag.Diagnostics {
	b, _ := json.Marshal(watermark{Series: series, Watermark: ts})
	return p.SetKey(ctx, privateWatermark, b)
}

func (r *directoryEntryResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_directory_entry"
}

func (r *directoryEntryResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		r.client = client
	}
}

// toFields is the entry a plan (or state) describes.
func (m *directoryEntryResourceModel) toFields(ctx context.Context) (pbxapi.EntryFields, diag.Diagnostics) {
	var diags diag.Diagnostics
	f := pbxapi.EntryFields{
		Name:       m.Name.ValueString(),
		Email:      m.Email.ValueString(),
		Treepath:   m.Treepath.ValueString(),
		VirtNumber: m.VirtNumber.ValueString(),
		Owner:      m.Owner.ValueString(),
		Deputy:     m.Deputy.ValueString(),
	}
	var positions []callPositionModel
	diags.Append(m.CallPositions.ElementsAs(ctx, &positions, false)...)
	if len(positions) > pbxapi.CallPositions {
		diags.AddError("Too many call positions", fmt.Sprintf("%d call positions, the directory has %d. This is a bug in the provider's validation; please report it.", len(positions), pbxapi.CallPositions))
		return f, diags
	}
	for i, p := range positions {
		f.CallPos[i] = pbxapi.CallPositionFields{Peer: p.Peer.ValueString(), Grouped: p.Grouped.ValueBool(), Profiles: p.Profiles.ValueString()}
	}
	if m.Access.IsNull() || m.Access.IsUnknown() {
		return f, diags
	}
	var acc accessModel
	diags.Append(m.Access.As(ctx, &acc, objectAsOptions)...)
	f.Access.ValidFrom = unixOf(acc.ValidFrom)
	f.Access.ValidTo = unixOf(acc.ValidTo)
	f.Access.PIN = acc.PIN.ValueString()
	if !acc.Codes.IsNull() {
		diags.Append(acc.Codes.ElementsAs(ctx, &f.Access.Codes, false)...)
	}
	if !acc.Cards.IsNull() {
		diags.Append(acc.Cards.ElementsAs(ctx, &f.Access.Cards, false)...)
	}
	return f, diags
}

// unixOf is the Unix seconds of a validated valid_from/valid_to; 0 (no
// limit) when unset.
func unixOf(v types.String) int64 {
	if v.IsNull() || v.IsUnknown() {
		return 0
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	if err != nil {
		return 0
	}
	return t.Unix()
}

func timeOf(unix int64) types.String {
	if unix == 0 {
		return types.StringNull()
	}
	return types.StringValue(time.Unix(unix, 0).UTC().Format(time.RFC3339))
}

// fromFields sets every managed attribute from what the device holds: the
// credentials only where managed (see directory_entry_resource_credentials.go).
func (m *directoryEntryResourceModel) fromFields(f *pbxapi.EntryFields, managed managedCredentials) {
	m.Name = types.StringValue(f.Name)
	m.Email = types.StringValue(f.Email)
	m.Treepath = types.StringValue(f.Treepath)
	m.VirtNumber = types.StringValue(f.VirtNumber)
	m.Owner = types.StringValue(f.Owner)
	m.Deputy = types.StringValue(f.Deputy)
	positions := make([]attr.Value, len(f.CallPos))
	for i, p := range f.CallPos {
		positions[i] = callPositionValue(types.StringValue(p.Peer), types.BoolValue(p.Grouped), types.StringValue(p.Profiles))
	}
	m.CallPositions = types.ListValueMust(callPositionType, positions)
	pin, codes, cards := types.StringNull(), types.ListNull(types.StringType), types.ListNull(types.StringType)
	if managed.pin {
		pin = types.StringValue(f.Access.PIN)
	}
	if managed.codes {
		codes = credentialList(f.Access.Codes)
	}
	if managed.cards {
		cards = credentialList(f.Access.Cards)
	}
	m.Access = types.ObjectValueMust(accessAttrTypes, map[string]attr.Value{
		"valid_from": timeOf(f.Access.ValidFrom),
		"valid_to":   timeOf(f.Access.ValidTo),
		"pin":        pin,
		"codes":      codes,
		"cards":      cards,
	})
}

func setEntryIdentity(ctx context.Context, identity interface {
	Set(context.Context, any) diag.Diagnostics
}, uuid string) diag.Diagnostics {
	return identity.Set(ctx, directoryEntryIdentityModel{UUID: types.StringValue(uuid)})
}

func (r *directoryEntryResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan directoryEntryResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	fields, diags := plan.toFields(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	managed, diags := credentialsOf(ctx, plan.Access)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	uuid := entryUUIDOf(&plan, &fields)
	mark := r.directoryWatermark(ctx)
	w, slots, ok := r.createOrAdopt(ctx, uuid, fields, managed, &resp.Diagnostics)
	if !ok {
		return
	}
	entryRunOf(r.client).noteWritten(uuid, &fields)
	if w.Adopted {
		tflog.Warn(ctx, "directory entry adopted instead of created", map[string]any{"uuid": w.UUID})
	}
	plan.UUID = types.StringValue(strings.ToUpper(w.UUID))
	plan.Timestamp = types.Int64Value(w.Timestamp)
	plan.Series = types.StringValue(w.Series)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setWatermark(ctx, resp.Private, w.Series, mark(w.Series, w.Timestamp))...)
	resp.Diagnostics.Append(setSlots(ctx, resp.Private, slots)...)
	if resp.Identity != nil {
		resp.Diagnostics.Append(setEntryIdentity(ctx, resp.Identity, plan.UUID.ValueString())...)
	}
}

// directoryWatermark, called before a write, returns what to record as the
// written entry's watermark: the run's directory watermark, taken before the
// write, so no later change is missed, and shared by every entry written in
// the run, so that the next refresh of all of them is one dir/query. It is 0
// for an empty directory, and also when the device does not give its highest
// timestamp: 0 is still a valid watermark (the next refresh then asks for
// every entry, in one request). Only when the watermark is unavailable or of
// another series is the entry's own new timestamp recorded.
func (r *directoryEntryResource) directoryWatermark(ctx context.Context) func(series string, ts int64) int64 {
	wSeries, w, err := r.client.DirectoryWatermark(ctx)
	if err != nil {
		tflog.Debug(ctx, "directory watermark unavailable; recording the entry's own timestamp", map[string]any{"error": err.Error()})
	}
	return func(series string, ts int64) int64 {
		if err != nil || wSeries != series || w < 0 || w > ts {
			return ts
		}
		return w
	}
}

func (r *directoryEntryResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state directoryEntryResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	uuid := state.UUID.ValueString()
	if resp.Identity != nil {
		// Set first, also when the entry turns out to be gone: the framework
		// (v1.19) rejects a Read that leaves the identity null, which it is
		// for state written by Terraform before 1.12.
		resp.Diagnostics.Append(setEntryIdentity(ctx, resp.Identity, strings.ToUpper(uuid))...)
	}
	// What was recorded: the series and the point up to which the entry is
	// known to be unchanged: the private watermark, shared with the other
	// entries of the run that recorded it (it may be below the entry's own
	// timestamp), else the entry's own timestamp.
	series, since := state.Series.ValueString(), state.Timestamp.ValueInt64()
	raw, diags := req.Private.GetKey(ctx, privateWatermark)
	resp.Diagnostics.Append(diags...)
	var wm watermark
	if len(raw) > 0 && json.Unmarshal(raw, &wm) == nil && wm.Series == series && wm.Watermark >= 0 {
		since = wm.Watermark
	}
	ch, err := r.client.RefreshEntry(ctx, uuid, series, since)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read directory entry %s", uuid), describe(err))
		return
	}
	if ch.Deleted {
		resp.Diagnostics.AddWarning(fmt.Sprintf("Directory entry %s is gone", uuid),
			fmt.Sprintf("The directory (series %s) no longer has entry %s (%q): it was deleted outside Terraform, or the directory was reset. "+
				"It is removed from the state, and the next apply creates it again (with the configured uuid, or the one its "+
				"arguments derive).", ch.Series, uuid, state.Name.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if ch.Changed {
		f, err := ch.Entry.Fields()
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Unable to read directory entry %s", uuid),
				fmt.Sprintf("The intercom returned an entry the provider cannot read: %v. Check the entry in the intercom's directory.", err))
			return
		}
		managed, diags := credentialsOf(ctx, state.Access)
		resp.Diagnostics.Append(diags...)
		state.fromFields(f, managed)
		resp.Diagnostics.Append(setSlots(ctx, resp.Private, slotsOf(f))...)
		if ch.Entry.UUID != "" {
			state.UUID = types.StringValue(strings.ToUpper(ch.Entry.UUID))
		}
		state.Timestamp = types.Int64Value(ch.Entry.Timestamp)
		state.Series = types.StringValue(ch.Series)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
	resp.Diagnostics.Append(setWatermark(ctx, resp.Private, ch.Series, ch.Watermark)...)
}

func (r *directoryEntryResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state directoryEntryResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	want, diags := plan.toFields(ctx)
	resp.Diagnostics.Append(diags...)
	prior, diags := state.toFields(ctx)
	resp.Diagnostics.Append(diags...)
	planManaged, diags := credentialsOf(ctx, plan.Access)
	resp.Diagnostics.Append(diags...)
	stateManaged, diags := credentialsOf(ctx, state.Access)
	resp.Diagnostics.Append(diags...)
	slots, diags := getSlots(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	priorForUpdate(&prior, &want, stateManaged, planManaged, slots)
	uuid := state.UUID.ValueString()
	plan.UUID = state.UUID
	mark := r.directoryWatermark(ctx)
	w, err := r.client.UpdateEntry(ctx, uuid, prior, want)
	if err != nil {
		detail := describeEntryWrite(err)
		if errors.Is(err, pbxapi.ErrNotFound) {
			detail += "\n\nThe entry was deleted on the intercom after Terraform last read it. Run terraform apply again: " +
				"the refresh notices it is gone and creates it."
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to update directory entry %s (%q)", uuid, want.Name), detail)
		return
	}
	entryRunOf(r.client).noteWritten(uuid, &want)
	switch {
	case w == nil || w.Timestamp == 0:
		// Nothing the device holds had to change.
		plan.Timestamp, plan.Series = state.Timestamp, state.Series
	default:
		plan.Timestamp, plan.Series = types.Int64Value(w.Timestamp), types.StringValue(w.Series)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setWatermark(ctx, resp.Private, plan.Series.ValueString(), mark(plan.Series.ValueString(), plan.Timestamp.ValueInt64()))...)
	written := slotsOf(&want)
	if !planManaged.codes {
		written.Codes = slots.Codes
	}
	if !planManaged.cards {
		written.Cards = slots.Cards
	}
	resp.Diagnostics.Append(setSlots(ctx, resp.Private, written)...)
	if resp.Identity != nil {
		resp.Diagnostics.Append(setEntryIdentity(ctx, resp.Identity, uuid)...)
	}
}

func (r *directoryEntryResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state directoryEntryResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if _, err := r.client.DeleteEntry(ctx, state.UUID.ValueString()); err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to delete directory entry %s (%q)", state.UUID.ValueString(), state.Name.ValueString()), describeEntryWrite(err))
	}
}

// ImportState accepts the entry's uuid (any case), as an ID or as identity.
func (r *directoryEntryResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	uuid := req.ID
	if uuid == "" && req.Identity != nil {
		var id directoryEntryIdentityModel
		resp.Diagnostics.Append(req.Identity.Get(ctx, &id)...)
		if resp.Diagnostics.HasError() {
			return
		}
		uuid = id.UUID.ValueString()
	}
	if !pbxapi.ValidUUID(uuid) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is not a directory entry uuid: use XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX (hexadecimal, not all zeros), "+
				"as the intercom's directory shows it.", uuid))
		return
	}
	uuid = strings.ToUpper(uuid)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, pathUUID, uuid)...)
	if resp.Identity != nil {
		resp.Diagnostics.Append(setEntryIdentity(ctx, resp.Identity, uuid)...)
	}
}
