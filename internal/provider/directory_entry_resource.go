package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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

// Formats the 2N directory accepts (api/dir/template, the 2N configuration
// manual and the contract in design/api).
var (
	switchCodePattern = regexp.MustCompile(`^[0-9]{2,15}$`)
	virtNumberPattern = regexp.MustCompile(`^[0-9]{1,7}$`)
	treepathPattern   = regexp.MustCompile(`^/[^<>]*$`)
	// entryEmailPattern: one address or several, comma-separated.
	entryEmailPattern = regexp.MustCompile(`^[^@\s,]+@[^@\s,]+(,\s?[^@\s,]+@[^@\s,]+)*$`)
	// noWhitespace: peers and card ids are single tokens (a number, a SIP
	// URI, a card id).
	noWhitespace = regexp.MustCompile(`^\S*$`)
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

func emptyCallPositions() types.List {
	positions := make([]attr.Value, pbxapi.CallPositions)
	for i := range positions {
		positions[i] = callPositionValue(types.StringValue(""), types.BoolValue(false), types.StringValue(""))
	}
	return types.ListValueMust(callPositionType, positions)
}

func (r *directoryEntryResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	codeCheck := stringCheck{"empty or 2 to 15 digits", func(s string) string {
		if s != "" && !switchCodePattern.MatchString(s) {
			return "has a code that is not 2 to 15 digits"
		}
		return ""
	}}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One entry (a person or a flat) of the 2N IP intercom directory: its name, the peers its call positions dial " +
			"and its access credentials. Created with `dir/create` (the provider chooses the uuid), changed with `dir/update` " +
			"(only the changed fields are sent), deleted with `dir/delete`. Drift is found by the entry's `timestamp`: a refresh of " +
			"any number of entries is one `dir/query` for what changed since the last one. Fields not listed here " +
			"(photo, buttons, access points, mobile keys, …) are left as they are on the intercom.",
		Attributes: map[string]schema.Attribute{
			"uuid": schema.StringAttribute{
				MarkdownDescription: "The entry's uuid, chosen by the provider (a random upper-case uuid4) when it creates the entry. " +
					"Link a `pbx_user` to the entry with `directory_uuid = pbx_directory_entry.<name>.uuid`. A plan that changes the " +
					"entry's `name` or `email` shows the uuid as known after apply (it does not change), so that linked users take the " +
					"new values in the same apply.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), followedValuesChange{}},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name of the entry. Must not contain `<`, `>`, `/` or control characters.",
				Required:            true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 128),
					stringvalidator.RegexMatches(regexp.MustCompile(`^[^<>/]*$`), "must not contain <, > or /"),
					noControl(),
				},
			},
			"email": optString("E-mail address for missed-call notices; several addresses are separated by commas.", "",
				stringvalidator.Any(stringvalidator.OneOf(""),
					stringvalidator.RegexMatches(entryEmailPattern, "must be an e-mail address, or several separated by commas")),
				stringvalidator.LengthAtMost(254), noControl()),
			"treepath": optString("Folder of the entry in the phonebook tree, e.g. `/Staff/Reception`; `/` is the root. "+
				"Must start with `/` and not contain `<`, `>` or control characters.", "/",
				stringvalidator.RegexMatches(treepathPattern, "must start with / and not contain < or >"),
				stringvalidator.LengthAtMost(255), noControl()),
			"virt_number": optString("Virtual number dialled on the intercom's keypad (followed by `*`) to call the entry: 1 to 7 digits.", "",
				stringvalidator.Any(stringvalidator.OneOf(""), stringvalidator.RegexMatches(virtNumberPattern, "must be 1 to 7 digits"))),
			"owner": optString("The system or team that manages the entry (`My2N`, `ACOM`, or your team's name). "+
				"Entries of one owner can be deleted together on the intercom; see the resource documentation.", "",
				stringvalidator.LengthAtMost(64), noControl()),
			"deputy": optString("uuid of the entry of this person's deputy (e.g. `pbx_directory_entry.deputy.uuid`).", "",
				stringvalidator.Any(stringvalidator.OneOf(""), uuidValidator())),
			"call_positions": schema.ListNestedAttribute{
				MarkdownDescription: "The entry's three call positions (`callPos`), in order: exactly 3 elements (use `{}` for an unused one). " +
					"Default: three empty positions.",
				Optional: true,
				Computed: true,
				Default:  listdefault.StaticValue(emptyCallPositions()),
				Validators: []validator.List{
					listvalidator.SizeBetween(pbxapi.CallPositions, pbxapi.CallPositions),
				},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"peer": optString("Phone number or SIP URI called at this position (no spaces).", "",
							stringvalidator.LengthAtMost(255), noControl(),
							stringvalidator.RegexMatches(noWhitespace, "must not contain spaces, line breaks or other white space")),
						"grouped": schema.BoolAttribute{
							MarkdownDescription: "Ring this position together with the previous one (a group call). Default: `false`.",
							Optional:            true,
							Computed:            true,
							Default:             booldefault.StaticBool(false),
						},
						"profiles": optString("Time profiles that limit when this position is called.", "",
							stringvalidator.LengthAtMost(255), noControl()),
					},
				},
			},
			"access": schema.SingleNestedAttribute{
				MarkdownDescription: "Access credentials of the entry. Default: no validity limit and no credentials.",
				Optional:            true,
				Computed:            true,
				Default:             objectdefault.StaticValue(noAccess),
				Attributes: map[string]schema.Attribute{
					"valid_from": schema.StringAttribute{
						MarkdownDescription: "Start of the validity of the credentials, in UTC as `YYYY-MM-DDTHH:MM:SSZ`. Unset: no start limit.",
						Optional:            true,
						Validators:          []validator.String{utcTimeValidator()},
					},
					"valid_to": schema.StringAttribute{
						MarkdownDescription: "End of the validity of the credentials, in UTC as `YYYY-MM-DDTHH:MM:SSZ`. Unset: no end limit.",
						Optional:            true,
						Validators:          []validator.String{utcTimeValidator()},
					},
					"pin": schema.StringAttribute{
						MarkdownDescription: "Access PIN, 2 to 15 digits. Sensitive; it is stored in the Terraform state.",
						Optional:            true,
						Sensitive:           true,
						Validators: []validator.String{
							stringvalidator.RegexMatches(switchCodePattern, "must be 2 to 15 digits"),
						},
					},
					"codes": schema.ListAttribute{
						MarkdownDescription: "Switch codes by position (up to 4): each 2 to 15 digits, or `\"\"` for a position without a code; " +
							"the last one must not be empty. Sensitive; they are stored in the Terraform state.",
						Optional:    true,
						Sensitive:   true,
						ElementType: types.StringType,
						Validators: []validator.List{
							listvalidator.SizeBetween(1, pbxapi.AccessCodes),
							listvalidator.ValueStringsAre(codeCheck),
							lastNotEmpty{},
						},
					},
					"cards": schema.ListAttribute{
						MarkdownDescription: "RFID card ids by position (up to 2), `\"\"` for a position without a card; the last one must not be empty.",
						Optional:            true,
						ElementType:         types.StringType,
						Validators: []validator.List{
							listvalidator.SizeBetween(1, pbxapi.AccessCards),
							listvalidator.ValueStringsAre(stringvalidator.LengthAtMost(64), noControl(),
								stringvalidator.RegexMatches(noWhitespace, "must not contain spaces, line breaks or other white space")),
							lastNotEmpty{},
						},
					},
				},
			},
			"timestamp": schema.Int64Attribute{
				MarkdownDescription: "The entry's change counter on the intercom: it grows on every change of the entry. A refresh that finds " +
					"a newer timestamp reads the entry and shows what changed. Comparable only within one `series`.",
				Computed: true,
			},
			"series": schema.StringAttribute{
				MarkdownDescription: "The directory's timestamp series. It changes when the directory is reset; the next refresh then reads every entry again.",
				Computed:            true,
			},
		},
	}
}

func (r *directoryEntryResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"uuid": identityschema.StringAttribute{
				Description:       "The entry's uuid, XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX (hexadecimal).",
				RequiredForImport: true,
			},
		},
	}
}

// utcTimeValidator accepts a time as YYYY-MM-DDTHH:MM:SSZ after the epoch:
// the device stores whole Unix seconds, and this form reads back unchanged.
func utcTimeValidator() validator.String {
	return stringCheck{"a UTC time as YYYY-MM-DDTHH:MM:SSZ, e.g. 2026-01-31T18:00:00Z", func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		switch {
		case err != nil || t.UTC().Format(time.RFC3339) != s:
			return fmt.Sprintf("%q is not in the form YYYY-MM-DDTHH:MM:SSZ", s)
		case t.Unix() <= 0:
			return fmt.Sprintf("%q is not after 1970-01-01T00:00:00Z", s)
		}
		return ""
	}}
}

// lastNotEmpty rejects a code or card list that ends with "": the device
// does not keep trailing empty positions apart from missing ones.
type lastNotEmpty struct{}

func (lastNotEmpty) Description(context.Context) string {
	return "the last element must not be empty"
}
func (v lastNotEmpty) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (lastNotEmpty) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elems := req.ConfigValue.Elements()
	if len(elems) == 0 {
		return
	}
	if last, ok := elems[len(elems)-1].(types.String); ok && !last.IsUnknown() && last.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
			fmt.Sprintf("%s ends with an empty element. Empty positions after the last one are implied: remove the trailing \"\".", req.Path))
	}
}

// ValidateConfig checks the validity window.
func (r *directoryEntryResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg directoryEntryResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.Access.IsNull() || cfg.Access.IsUnknown() {
		return
	}
	var acc accessModel
	resp.Diagnostics.Append(cfg.Access.As(ctx, &acc, objectAsOptions)...)
	if resp.Diagnostics.HasError() || acc.ValidFrom.IsNull() || acc.ValidFrom.IsUnknown() || acc.ValidTo.IsNull() || acc.ValidTo.IsUnknown() {
		return
	}
	from, err1 := time.Parse(time.RFC3339, acc.ValidFrom.ValueString())
	to, err2 := time.Parse(time.RFC3339, acc.ValidTo.ValueString())
	if err1 == nil && err2 == nil && !from.Before(to) {
		resp.Diagnostics.AddAttributeError(path.Root("access").AtName("valid_to"), "Empty validity window",
			fmt.Sprintf("access.valid_to (%s) must be later than access.valid_from (%s), or the credentials are never valid.",
				acc.ValidTo.ValueString(), acc.ValidFrom.ValueString()))
	}
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

func codeList(codes []string) types.List {
	codes = pbxapi.TrimCodes(codes)
	if codes == nil {
		return types.ListNull(types.StringType)
	}
	elems := make([]attr.Value, len(codes))
	for i, c := range codes {
		elems[i] = types.StringValue(c)
	}
	return types.ListValueMust(types.StringType, elems)
}

// fromFields sets every managed attribute from what the device holds.
func (m *directoryEntryResourceModel) fromFields(f *pbxapi.EntryFields) {
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
	pin := types.StringNull()
	if f.Access.PIN != "" {
		pin = types.StringValue(f.Access.PIN)
	}
	m.Access = types.ObjectValueMust(accessAttrTypes, map[string]attr.Value{
		"valid_from": timeOf(f.Access.ValidFrom),
		"valid_to":   timeOf(f.Access.ValidTo),
		"pin":        pin,
		"codes":      codeList(f.Access.Codes),
		"cards":      codeList(f.Access.Cards),
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
	uuid, err := pbxapi.NewEntryUUID()
	if err != nil {
		resp.Diagnostics.AddError("Unable to create directory entry "+fields.Name, err.Error())
		return
	}
	mark := r.directoryWatermark(ctx)
	w, err := r.client.CreateEntry(ctx, uuid, fields)
	if err != nil {
		detail := describeEntryWrite(err)
		if pbxapi.IsAmbiguous(err) {
			detail += fmt.Sprintf("\n\nThe intercom may have created the entry with uuid %s. Look for it in the directory, then import it "+
				"(terraform import <address> %s) or delete it before running terraform apply again.", uuid, uuid)
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to create directory entry %q (uuid %s)", fields.Name, uuid), detail)
		return
	}
	if w.Adopted {
		tflog.Warn(ctx, "dir/create reply was lost; the entry it created was found and adopted", map[string]any{"uuid": w.UUID})
	}
	plan.UUID = types.StringValue(strings.ToUpper(w.UUID))
	plan.Timestamp = types.Int64Value(w.Timestamp)
	plan.Series = types.StringValue(w.Series)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setWatermark(ctx, resp.Private, w.Series, mark(w.Series, w.Timestamp))...)
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
				"It is removed from the state, and the next apply creates it again (with a new uuid).", ch.Series, uuid, state.Name.ValueString()))
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
		state.fromFields(f)
		if ch.Entry.UUID != "" {
			state.UUID = types.StringValue(strings.ToUpper(ch.Entry.UUID))
		}
		state.Timestamp = types.Int64Value(ch.Entry.Entry.Timestamp)
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
	if resp.Diagnostics.HasError() {
		return
	}
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
	switch {
	case w == nil || w.Timestamp == 0:
		// Nothing the device holds had to change.
		plan.Timestamp, plan.Series = state.Timestamp, state.Series
	default:
		plan.Timestamp, plan.Series = types.Int64Value(w.Timestamp), types.StringValue(w.Series)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setWatermark(ctx, resp.Private, plan.Series.ValueString(), mark(plan.Series.ValueString(), plan.Timestamp.ValueInt64()))...)
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

// describeEntryWrite explains a failed directory write: the per-entry codes
// the intercom gives, or the request-level failure.
func describeEntryWrite(err error) string {
	var we *pbxapi.WriteError
	if !errors.As(err, &we) {
		return describe(err)
	}
	msg := fmt.Sprintf("The intercom refused the write: %s.", err.Error())
	switch {
	case we.HasCode(pbxapi.CodeFieldValueError):
		msg += "\n\nEDIR_FIELD_VALUE_ERROR: the intercom did not accept one of the values. The provider checks the documented formats; " +
			"this intercom model may restrict a value further (virt_number length, the number of codes or cards, time profiles that do not exist)."
	case we.HasCode(pbxapi.CodeFieldNameUnknown), we.HasCode(pbxapi.CodeFieldNotAvailable):
		msg += "\n\nThis intercom model does not have one of the fields that were set (for example treepath and virt_number on 2N IP Base, " +
			"or switch codes 3 and 4). Leave that argument unset."
	case we.HasCode(pbxapi.CodeUUIDAlreadyExists):
		msg += "\n\nAn entry with the uuid the provider chose already exists. Run terraform apply again: a new uuid is chosen."
	}
	return msg
}
