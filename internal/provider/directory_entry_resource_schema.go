package provider

// The schema of pbx_directory_entry and its validators.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
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

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
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
			"and its access credentials. Created with `dir/create` under a uuid the configuration determines (see `uuid`), changed with `dir/update` " +
			"(only the changed fields are sent), deleted with `dir/delete`. Drift is found by the entry's `timestamp`: a refresh of " +
			"any number of entries is one `dir/query` for what changed since the last one. Fields not listed here " +
			"(photo, buttons, access points, mobile keys, …) are left as they are on the intercom, and so are the credentials " +
			"(`access.pin`, `access.codes`, `access.cards`) the configuration does not mention.",
		Attributes: map[string]schema.Attribute{
			"uuid": schema.StringAttribute{
				MarkdownDescription: "The entry's uuid, in upper case. Set it for an entry whose uuid another system already knows; " +
					"changing it replaces the entry. Unset, a new entry gets a uuid derived from its arguments (a name-based uuid of every " +
					"argument except the credentials), so that an apply repeated after an interrupted one finds the entry the interrupted " +
					"one created and adopts it instead of creating a twin; the entry then keeps that uuid whatever changes later. Two " +
					"entries whose arguments differ only in their credentials derive the same uuid: give one of them a `uuid`. " +
					"Link a `pbx_user` to the entry with `directory_uuid = pbx_directory_entry.<name>.uuid`. When the uuid is not set in " +
					"the configuration, a plan that changes the entry's `name` or `email` shows it as known after apply (it does not " +
					"change), so that linked users take the new values in the same apply.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{uuidCheck()},
				// followedValuesChange comes after RequiresReplace, which must see the state's uuid.
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(), followedValuesChange{}},
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
				MarkdownDescription: "Access credentials of the entry. Default: no validity limit, and no credential managed.",
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
						MarkdownDescription: "Access PIN, 2 to 15 digits; `\"\"` removes the PIN. Unset: not managed (the entry keeps " +
							"whatever PIN it has, and the state holds none). Sensitive; a managed PIN is stored in the Terraform state.",
						Optional:  true,
						Sensitive: true,
						Validators: []validator.String{
							stringvalidator.Any(stringvalidator.OneOf(""),
								stringvalidator.RegexMatches(switchCodePattern, "must be 2 to 15 digits, or \"\" for no PIN")),
						},
					},
					"codes": schema.ListAttribute{
						MarkdownDescription: "Switch codes by position (up to 4): each 2 to 15 digits, or `\"\"` for a position without a code; " +
							"the last one must not be empty; `[]` removes every code. Unset: not managed (the entry keeps its codes). Sensitive; " +
							"managed codes are stored in the Terraform state.",
						Optional:    true,
						Sensitive:   true,
						ElementType: types.StringType,
						Validators: []validator.List{
							listvalidator.SizeAtMost(pbxapi.AccessCodes),
							listvalidator.ValueStringsAre(codeCheck),
							lastNotEmpty{},
						},
					},
					"cards": schema.ListAttribute{
						MarkdownDescription: "RFID card ids by position (up to 2), `\"\"` for a position without a card; the last one must " +
							"not be empty; `[]` removes every card. Unset: not managed (the entry keeps its cards). Sensitive; managed card ids " +
							"are stored in the Terraform state.",
						Optional:    true,
						Sensitive:   true,
						ElementType: types.StringType,
						Validators: []validator.List{
							listvalidator.SizeAtMost(pbxapi.AccessCards),
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
