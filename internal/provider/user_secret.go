package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// The rules for the secret of a pbx_user are in the package documentation
// (doc.go, "The secret of a pbx_user").

// configuredSecret returns the secret the configuration gives (secret or
// secret_wo), and whether it gives one. An unknown value (known only at
// apply) counts as given, with an empty value.
func configuredSecret(config *userResourceModel) (string, bool) {
	for _, v := range []struct {
		null, unknown bool
		value         string
	}{
		{config.SecretWO.IsNull(), config.SecretWO.IsUnknown(), config.SecretWO.ValueString()},
		{config.Secret.IsNull(), config.Secret.IsUnknown(), config.Secret.ValueString()},
	} {
		if v.unknown {
			return "", true
		}
		if !v.null {
			return v.value, true
		}
	}
	return "", false
}

// pbxValues lists the attributes a write sends to the PBX, the secret aside,
// by name.
func (m *userResourceModel) pbxValues() []struct {
	name  string
	value attr.Value
} {
	return []struct {
		name  string
		value attr.Value
	}{
		{"number", m.Number}, {"name", m.Name}, {"user_type", m.UserType}, {"active", m.Active},
		{"cid_number", m.CIDNumber}, {"call_record", m.CallRecord}, {"push_notification", m.PushNotification},
		{"deny", m.Deny}, {"permit", m.Permit}, {"dtmfmode", m.DTMFMode}, {"canreinvite", m.CanReinvite},
		{"directmedia", m.DirectMedia}, {"context", m.Context}, {"host", m.Host}, {"type", m.Type},
		{"nat", m.NAT}, {"port", m.Port}, {"qualify", m.Qualify}, {"callgroup", m.CallGroup},
		{"pickupgroup", m.PickupGroup}, {"callcounter", m.CallCounter}, {"faxdetect", m.FaxDetect},
		{"call_limit", m.CallLimit}, {"trunk", m.Trunk}, {"transfer", m.Transfer}, {"email", m.Email},
		{"forward_policy", m.ForwardPolicy}, {"more_options", m.MoreOptions},
	}
}

// changedFields names the attributes sent to the PBX that differ between
// plan and state (an unknown planned value counts as a change).
func changedFields(plan, state *userResourceModel) []string {
	var changed []string
	old := state.pbxValues()
	for i, v := range plan.pbxValues() {
		if !v.value.Equal(old[i].value) {
			changed = append(changed, v.name)
		}
	}
	return changed
}

// sendsNewSecret reports whether the plan gives the PBX a secret it is not
// known to hold: a secret that differs from the state's (new, changed, or the
// first one for an imported user), or a new secret_wo_version.
func sendsNewSecret(plan, state, config *userResourceModel) bool {
	if !plan.Secret.IsNull() && !plan.Secret.Equal(state.Secret) {
		return true
	}
	return !config.SecretWO.IsNull() && !plan.SecretWOVersion.Equal(state.SecretWOVersion)
}

// writesUser reports whether applying the plan writes the extension to the
// PBX (Update): a field it holds changes, or a new secret is sent.
func writesUser(plan, state, config *userResourceModel) bool {
	return len(changedFields(plan, state)) > 0 || sendsNewSecret(plan, state, config)
}

// checkSecret fails a plan that would write the extension without a secret
// to send (ModifyPlan; state is nil for a create).
func checkSecret(plan, config, state *userResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if _, ok := configuredSecret(config); ok {
		return diags
	}
	const what = "Set secret, or secret_wo with secret_wo_version (Terraform 1.11 or later), to the extension's SIP/IAX2 password; " +
		"the apply then writes it to the PBX with the rest of the extension."
	if state == nil {
		diags.AddAttributeError(path.Root("secret"), fmt.Sprintf("PBX user %s has no secret", userLabel(plan, nil)),
			fmt.Sprintf("Creating PBX user %s needs its SIP/IAX2 password, and the configuration has none. %s", userLabel(plan, nil), what))
		return diags
	}
	changed := changedFields(plan, state)
	if len(changed) == 0 {
		return diags
	}
	who := userLabel(plan, state)
	if n := state.Number.ValueString(); n != plan.Number.ValueString() {
		who += ", number " + n + " on the PBX"
	}
	diags.AddAttributeError(path.Root("secret"), fmt.Sprintf("PBX user %s has no secret", who),
		fmt.Sprintf("This plan changes PBX user %s (%s). The PBX's users/update replaces the whole extension, secret included, "+
			"and the PBX never returns the secret, so Terraform has to send it, but the configuration has none "+
			"(the extension was imported without one, or the secret was removed from it). %s To leave the extension as it is, undo the change.",
			who, strings.Join(changed, ", "), what))
	return diags
}
