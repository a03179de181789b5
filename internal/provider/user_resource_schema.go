package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

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
	cidPattern    = regexp.MustCompile(`^[0-9]*$`)
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

func yesNo(description string, def bool) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: fmt.Sprintf("%s Default: `%t`.", description, def),
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(def),
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
	return optString("Destination (extension or phone number) calls are forwarded to "+condition+".", "")
}

// Schema lists no validators: ValidateConfig runs them (user_validate.go).
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
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name of the extension. Required unless `directory_uuid` is set; then, when unset, it follows the directory entry's name.",
				Optional:            true,
				Computed:            true,
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "SIP/IAX2 password of the extension. Sensitive: the PBX never returns it (it answers `******`), " +
					"so it is kept from the configuration and never shows a diff from the device. It is stored in the Terraform state: " +
					"prefer `secret_wo` where Terraform 1.11 or later is used. Optional for an imported extension, which then keeps the secret it has " +
					"until a change needs to be written (see [Secrets](#secrets)); required to create one (or `secret_wo`). Conflicts with `secret_wo`.",
				Optional:  true,
				Sensitive: true,
			},
			"secret_wo": schema.StringAttribute{
				MarkdownDescription: "Write-only SIP/IAX2 password of the extension (Terraform 1.11 or later): sent with every write of the extension, " +
					"never stored in the plan or the state. Requires `secret_wo_version`; change the version to send a new value. Conflicts with `secret`.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"secret_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Version of `secret_wo`. Terraform cannot see a write-only value change, so change this number (any new value) " +
					"to send `secret_wo` to the PBX; an apply that updates the extension for another reason sends it too.",
				Optional: true,
			},
			"user_type":         optString("Protocol of the extension: "+quoteList(userTypes)+".", "SIP"),
			"active":            yesNo("Whether the extension is enabled.", true),
			"cid_number":        optString("Caller-ID number shown for calls from this extension (digits). Empty uses the PBX's behaviour for an unset caller ID.", ""),
			"call_record":       yesNo("Record the extension's calls.", false),
			"push_notification": yesNo("Push notifications for the Simotel softphone.", false),
			"deny":              optString("Addresses the extension may not register from, as `IP/NETMASK`.", "0.0.0.0/0.0.0.0"),
			"permit":            optString("Addresses the extension may register from, as `IP/NETMASK`.", "0.0.0.0/0.0.0.0"),
			"dtmfmode":          optString("DTMF signalling: "+quoteList(dtmfModes)+".", "rfc2833"),
			"canreinvite":       yesNo("Allow re-INVITEs that bypass the PBX (SIP).", false),
			"directmedia":       yesNo("Let media flow directly between endpoints (SIP).", false),
			"context":           optString("Dial-plan context of the extension.", "main_routing"),
			"host":              optString("`dynamic` to register from anywhere, or the only IPv4 address or host name the extension may use.", "dynamic"),
			"type":              optString("Peer type: `user` (outgoing calls only), `peer` (incoming only) or `friend` (both).", "user"),
			"nat":               optString("NAT handling: "+quoteList(natModes)+".", "no"),
			"port": schema.Int64Attribute{
				MarkdownDescription: "SIP/IAX2 port of the extension, 1-65535. Default: `5060`.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(5060),
			},
			"qualify":     yesNo("Send keep-alive OPTIONS to the device.", false),
			"callgroup":   optString("Call group(s), e.g. `1` or `1,3-5` (0-63).", "1"),
			"pickupgroup": optString("Pickup group(s), e.g. `1` or `1,3-5` (0-63).", "1"),
			"callcounter": yesNo("Track busy state so queues skip a busy extension (SIP).", false),
			"faxdetect":   yesNo("Detect fax tones (SIP).", false),
			"call_limit": schema.Int64Attribute{
				MarkdownDescription: "Maximum number of simultaneous calls. Unset: no limit.",
				Optional:            true,
			},
			"trunk":    yesNo("IAX2 trunking. Only for `user_type = \"IAX2\"`.", false),
			"transfer": yesNo("IAX2 native transfer. Only for `user_type = \"IAX2\"`.", false),
			"email": schema.StringAttribute{
				MarkdownDescription: "E-mail address of the extension's owner. When unset it follows the directory entry's e-mail if `directory_uuid` is set, and is empty otherwise.",
				Optional:            true,
				Computed:            true,
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
			"more_options": optString("Extra Asterisk peer options, one `key=value` per line.", ""),
			"directory_uuid": schema.StringAttribute{
				MarkdownDescription: "uuid of the 2N directory entry of the person behind the extension. When set, `name` and `email` " +
					"follow the entry unless set here. Every refresh asks the directory whether the entry changed since it was last read " +
					"(one `dir/query` for all linked users); a renamed entry plans an in-place update of the user. " +
					"A followed value is validated like a configured one, and a missing entry fails the plan.",
				Optional: true,
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
