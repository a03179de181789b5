package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ resource.ResourceWithConfigure      = (*userResource)(nil)
	_ resource.ResourceWithImportState    = (*userResource)(nil)
	_ resource.ResourceWithIdentity       = (*userResource)(nil)
	_ resource.ResourceWithValidateConfig = (*userResource)(nil)
)

// NewUserResource returns the pbx_user resource.
func NewUserResource() resource.Resource {
	return &userResource{}
}

type userResource struct {
	client *pbxapi.Client
}

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

// Enumerations accepted by the device.
var (
	userTypes     = []string{"SIP", "IAX2"}
	peerTypes     = []string{"user", "peer", "friend"}
	natModes      = []string{"no", "yes", "force_rport,comedia", "force_rport", "comedia"}
	dtmfModes     = []string{"rfc2833", "info", "shortinfo", "inband", "auto"}
	digitsPattern = regexp.MustCompile(`^[0-9]+$`)
	dialPattern   = regexp.MustCompile(`^[0-9*#+]*$`)
	emailPattern  = regexp.MustCompile(`^$|^[^@\s,]+@[^@\s,]+$`)
	contextRegexp = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// nameValidators and emailValidators check name and email, whether they come
// from the configuration or from a linked directory entry.
var (
	nameValidators = []validator.String{
		stringvalidator.LengthBetween(1, 128),
		noControl(),
	}
	emailValidators = []validator.String{
		noControl(),
		stringvalidator.RegexMatches(emailPattern, "must be an e-mail address such as alice@example.com"),
		stringvalidator.LengthAtMost(254),
	}
)

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, ", ")
}

func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func yesNo(description string, def bool) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: fmt.Sprintf("%s Default: `%t`.", description, def),
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(def),
	}
}

func optString(description, def string, validators ...validator.String) schema.StringAttribute {
	d := "empty"
	if def != "" {
		d = "`" + def + "`"
	}
	return schema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("%s Default: %s.", description, d),
		Optional:            true,
		Computed:            true,
		Default:             stringdefault.StaticString(def),
		Validators:          validators,
	}
}

// secretValidators check secret and secret_wo; the other one conflicts.
func secretValidators(other path.Expression) []validator.String {
	return []validator.String{
		stringvalidator.LengthBetween(1, 128),
		noControl(),
		stringvalidator.ConflictsWith(other),
	}
}

func forwardAttr(condition string) schema.StringAttribute {
	return optString("Destination (extension or phone number) calls are forwarded to "+condition+".", "",
		stringvalidator.RegexMatches(dialPattern, "must contain only digits, *, # and +"),
		stringvalidator.LengthAtMost(32))
}

func (r *userResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One extension (SIP or IAX2 user) on a Simotel PBX. Created with `users/add`, read with `users/search`, " +
			"changed with `users/update` (which replaces the whole user, so every argument is always sent) and deleted with `users/remove`. " +
			"Every optional argument defaults to the PBX's own default, so a configuration with `number`, `name` and `secret` (or `secret_wo`) is complete.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The PBX's identifier of the extension (`_id`, 24 hexadecimal digits).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"number": schema.StringAttribute{
				MarkdownDescription: "Extension number (digits only), unique on the PBX. Can be changed in place.",
				Required:            true,
				Validators: []validator.String{
					stringvalidator.RegexMatches(digitsPattern, "must contain only digits"),
					stringvalidator.LengthBetween(1, 20),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name of the extension. Required unless `directory_uuid` is set; then, when unset, it follows the directory entry's name.",
				Optional:            true,
				Computed:            true,
				Validators:          nameValidators,
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "SIP/IAX2 password of the extension. Sensitive: the PBX never returns it (it answers `******`), " +
					"so it is kept from the configuration and never shows a diff from the device. It is stored in the Terraform state: " +
					"prefer `secret_wo` where Terraform 1.11 or later is used. Optional for an imported extension, which then keeps the secret it has " +
					"until a change needs to be written (see [Secrets](#secrets)); required to create one (or `secret_wo`). Conflicts with `secret_wo`.",
				Optional:   true,
				Sensitive:  true,
				Validators: secretValidators(path.MatchRoot("secret_wo")),
			},
			"secret_wo": schema.StringAttribute{
				MarkdownDescription: "Write-only SIP/IAX2 password of the extension (Terraform 1.11 or later): sent with every write of the extension, " +
					"never stored in the plan or the state. Requires `secret_wo_version`; change the version to send a new value. Conflicts with `secret`.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
				Validators: append(secretValidators(path.MatchRoot("secret")),
					stringvalidator.AlsoRequires(path.MatchRoot("secret_wo_version"))),
			},
			"secret_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Version of `secret_wo`. Terraform cannot see a write-only value change, so change this number (any new value) " +
					"to send `secret_wo` to the PBX; an apply that updates the extension for another reason sends it too.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("secret_wo"))},
			},
			"user_type": optString("Protocol of the extension: "+quoteList(userTypes)+".", "SIP", stringvalidator.OneOf(userTypes...)),
			"active":    yesNo("Whether the extension is enabled.", true),
			"cid_number": optString("Caller-ID number shown for calls from this extension (digits). Empty uses the PBX's behaviour for an unset caller ID.", "",
				stringvalidator.RegexMatches(regexp.MustCompile(`^[0-9]*$`), "must contain only digits"), stringvalidator.LengthAtMost(20)),
			"call_record":       yesNo("Record the extension's calls.", false),
			"push_notification": yesNo("Push notifications for the Simotel softphone.", false),
			"deny":              optString("Addresses the extension may not register from, as `IP/NETMASK`.", "0.0.0.0/0.0.0.0", ipMaskValidator()),
			"permit":            optString("Addresses the extension may register from, as `IP/NETMASK`.", "0.0.0.0/0.0.0.0", ipMaskValidator()),
			"dtmfmode":          optString("DTMF signalling: "+quoteList(dtmfModes)+".", "rfc2833", stringvalidator.OneOf(dtmfModes...)),
			"canreinvite":       yesNo("Allow re-INVITEs that bypass the PBX (SIP).", false),
			"directmedia":       yesNo("Let media flow directly between endpoints (SIP).", false),
			"context": optString("Dial-plan context of the extension.", "main_routing",
				stringvalidator.RegexMatches(contextRegexp, "must contain only letters, digits, _ and -"), stringvalidator.LengthAtMost(80)),
			"host": optString("`dynamic` to register from anywhere, or the only IPv4 address or host name the extension may use.", "dynamic", hostValidator()),
			"type": optString("Peer type: `user` (outgoing calls only), `peer` (incoming only) or `friend` (both).", "user", stringvalidator.OneOf(peerTypes...)),
			"nat":  optString("NAT handling: "+quoteList(natModes)+".", "no", stringvalidator.OneOf(natModes...)),
			"port": schema.Int64Attribute{
				MarkdownDescription: "SIP/IAX2 port of the extension, 1-65535. Default: `5060`.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(5060),
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
			},
			"qualify":     yesNo("Send keep-alive OPTIONS to the device.", false),
			"callgroup":   optString("Call group(s), e.g. `1` or `1,3-5` (0-63).", "1", groupValidator()),
			"pickupgroup": optString("Pickup group(s), e.g. `1` or `1,3-5` (0-63).", "1", groupValidator()),
			"callcounter": yesNo("Track busy state so queues skip a busy extension (SIP).", false),
			"faxdetect":   yesNo("Detect fax tones (SIP).", false),
			"call_limit": schema.Int64Attribute{
				MarkdownDescription: "Maximum number of simultaneous calls. Unset: no limit.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 1000)},
			},
			"trunk":    yesNo("IAX2 trunking. Only for `user_type = \"IAX2\"`.", false),
			"transfer": yesNo("IAX2 native transfer. Only for `user_type = \"IAX2\"`.", false),
			"email": schema.StringAttribute{
				MarkdownDescription: "E-mail address of the extension's owner. When unset it follows the directory entry's e-mail if `directory_uuid` is set, and is empty otherwise.",
				Optional:            true,
				Computed:            true,
				Validators:          emailValidators,
			},
			"forward_policy": schema.SingleNestedAttribute{
				MarkdownDescription: "Call forwarding per condition. An empty destination does not forward. Default: no forwarding.",
				Optional:            true,
				Computed:            true,
				Default: objectdefault.StaticValue(types.ObjectValueMust(forwardPolicyAttrTypes, map[string]attr.Value{
					"busy": types.StringValue(""), "no_answer": types.StringValue(""), "unavailable": types.StringValue(""), "all": types.StringValue(""),
				})),
				Attributes: map[string]schema.Attribute{
					"busy":        forwardAttr("when the extension is busy"),
					"no_answer":   forwardAttr("when it does not answer"),
					"unavailable": forwardAttr("when it is unavailable (not registered)"),
					"all":         forwardAttr("always"),
				},
			},
			"more_options": optString("Extra Asterisk peer options, one `key=value` per line.", "", moreOptionsValidator()),
			"directory_uuid": schema.StringAttribute{
				MarkdownDescription: "uuid of the 2N directory entry of the person behind the extension. When set, `name` and `email` " +
					"follow the entry unless set here. Every refresh asks the directory whether the entry changed since it was last read " +
					"(one `dir/query` for all linked users); a renamed entry plans an in-place update of the user. " +
					"A followed value is validated like a configured one, and a missing entry fails the plan.",
				Optional:   true,
				Validators: []validator.String{uuidValidator()},
			},
			"directory_timestamp": schema.Int64Attribute{
				MarkdownDescription: "The linked directory entry's `timestamp` when it was last read (null when not linked).",
				Computed:            true,
			},
			"directory_series": schema.StringAttribute{
				MarkdownDescription: "The directory's `series` when the entry was last read (null when not linked).",
				Computed:            true,
			},
		},
	}
}

// ValidateConfig checks rules that span attributes.
func (r *userResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	// Only the attributes the rules need: decoding the whole model costs
	// more than the rules (it runs for every user on every plan).
	var cfg struct {
		Name, DirectoryUUID, UserType types.String
		Trunk, Transfer               types.Bool
	}
	for _, a := range []struct {
		name string
		dst  any
	}{{"name", &cfg.Name}, {"directory_uuid", &cfg.DirectoryUUID}, {"user_type", &cfg.UserType}, {"trunk", &cfg.Trunk}, {"transfer", &cfg.Transfer}} {
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(a.name), a.dst)...)
	}
	if resp.Diagnostics.HasError() {
		return
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

func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config userResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	followed, diags := r.resolveLink(ctx, &plan, &config)
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
	if u.Secret, ok = configuredSecret(&config); !ok {
		resp.Diagnostics.Append(checkSecret(&plan, &config, nil)...)
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
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if followed != nil {
		resp.Diagnostics.Append(storeFollowed(ctx, resp.Private, followed)...)
	}
	resp.Diagnostics.Append(resp.Identity.Set(ctx, userIdentityModel{ID: plan.ID})...)
}

func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state userResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
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
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	if followed != nil {
		resp.Diagnostics.Append(storeFollowed(ctx, resp.Private, followed)...)
	}
}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config userResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	if plan.DirectorySeries.IsUnknown() {
		// The link is new: the plan could not know the followed values.
		followed, diags := r.resolveLink(ctx, &plan, &config)
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
	if writesUser(&plan, &state, &config) {
		var ok bool
		if u.Secret, ok = configuredSecret(&config); !ok {
			resp.Diagnostics.Append(checkSecret(&plan, &config, &state)...)
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
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, userIdentityModel{ID: plan.ID})...)
}

func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state userResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
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

// describe turns a client error into a diagnostic detail that says what
// happened and what to do. Client errors never contain credentials.
func describe(err error) string {
	if errors.Is(err, pbxapi.ErrControlCharacter) {
		return err.Error() + ". Nothing was sent: control characters (U+0000-U+001F, U+007F-U+009F) are never written to a device. " +
			"Remove the character from the configuration, or from the device the value was read from."
	}
	var authErr *pbxapi.DirectoryAuthError
	if errors.As(err, &authErr) {
		return err.Error() + "."
	}
	var ae *pbxapi.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("The device answered %s.", err.Error())
		switch {
		case ae.IsAuth():
			msg += "\n\nThe credentials were rejected or the API account lacks permission for this endpoint. " +
				"Check username/password/api_key (or the directory credentials) and the account's allowed requests on the device."
		case ae.StatusCode == 404 || ae.StatusCode == 501:
			msg += "\n\nThe endpoint does not exist there: check the provider's endpoint (the base URL, without /api/...)."
		case ae.StatusCode == 429 || ae.StatusCode == 502 || ae.StatusCode == 503 || ae.StatusCode == 504:
			msg += "\n\nThe device is overloaded or unavailable and retries were exhausted (max_retries). Try again later."
		case ae.StatusCode >= 500:
			msg += "\n\nThe device reported an internal error; such errors are not retried. Check the device's logs, then try again."
		}
		return msg
	}
	return fmt.Sprintf("The request failed: %v.\n\nCheck that the endpoint is reachable and, for HTTPS, trusted (ca_cert_pem).", err)
}
