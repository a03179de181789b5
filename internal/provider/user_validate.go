package provider

import (
	"context"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// pbx_user's attribute validators are run by its ValidateConfig, not listed
// in the schema. The framework calls a schema validator for every attribute
// of every user, set or not, and writes two trace log entries around each
// call (each with the validator's description); with some 35 validators that
// was more CPU than the rest of the user's validation. ValidateConfig runs the
// same validators, with the same request, only on the values the
// configuration sets and knows (every validator here ignores null and unknown
// values), so the diagnostics are the ones the schema gave.

// userStringValidators are the validators of pbx_user's string attributes,
// by attribute path (forward_policy's by forward_policy.<name>).
var userStringValidators = func() map[string][]validator.String {
	forward := []validator.String{
		stringvalidator.RegexMatches(dialPattern, "must contain only digits, *, # and +"),
		stringvalidator.LengthAtMost(32),
	}
	return map[string][]validator.String{
		"number": {
			stringvalidator.RegexMatches(digitsPattern, "must contain only digits"),
			stringvalidator.LengthBetween(1, 20),
		},
		"name":   nameValidators,
		"secret": secretValidators(path.MatchRoot("secret_wo")),
		"secret_wo": append(secretValidators(path.MatchRoot("secret")),
			stringvalidator.AlsoRequires(path.MatchRoot("secret_wo_version"))),
		"user_type": {stringvalidator.OneOf(userTypes...)},
		"cid_number": {
			stringvalidator.RegexMatches(cidPattern, "must contain only digits"), stringvalidator.LengthAtMost(20),
		},
		"deny":     {ipMaskValidator()},
		"permit":   {ipMaskValidator()},
		"dtmfmode": {stringvalidator.OneOf(dtmfModes...)},
		"context": {
			stringvalidator.RegexMatches(contextRegexp, "must contain only letters, digits, _ and -"), stringvalidator.LengthAtMost(80),
		},
		"host":                       {hostValidator()},
		"type":                       {stringvalidator.OneOf(peerTypes...)},
		"nat":                        {stringvalidator.OneOf(natModes...)},
		"callgroup":                  {groupValidator()},
		"pickupgroup":                {groupValidator()},
		"email":                      emailValidators,
		"forward_policy.busy":        forward,
		"forward_policy.no_answer":   forward,
		"forward_policy.unavailable": forward,
		"forward_policy.all":         forward,
		"more_options":               {moreOptionsValidator()},
		"directory_uuid":             {uuidValidator()},
	}
}()

// userInt64Validators are the validators of pbx_user's number attributes.
var userInt64Validators = map[string][]validator.Int64{
	"secret_wo_version": {int64validator.AlsoRequires(path.MatchRoot("secret_wo"))},
	"port":              {int64validator.Between(1, 65535)},
	"call_limit":        {int64validator.Between(1, 1000)},
}

// userValidatedPaths are the keys of both tables, sorted: the order
// validateUserAttributes checks them in.
var userValidatedPaths = func() []string {
	var keys []string
	for k := range userStringValidators {
		keys = append(keys, k)
	}
	for k := range userInt64Validators {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}()

// validateUserAttributes runs the attribute validators on the configured
// values of a pbx_user configuration (attrs: its attributes, from rawAttrs).
func validateUserAttributes(ctx context.Context, config tfsdk.Config, attrs map[string]tftypes.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	check := func(p path.Path, key string, v tftypes.Value) {
		if v.Type() == nil || !v.IsKnown() || v.IsNull() {
			return
		}
		if vs := userStringValidators[key]; vs != nil {
			var s string
			if v.As(&s) != nil {
				return // not a string: the framework reports the type
			}
			req := validator.StringRequest{Path: p, PathExpression: p.Expression(), Config: config, ConfigValue: types.StringValue(s)}
			diags.Append(runStringValidators(ctx, req, vs)...)
		}
		if vs := userInt64Validators[key]; vs != nil {
			var f big.Float
			if v.As(&f) != nil {
				return
			}
			n, acc := f.Int64()
			if acc != big.Exact {
				return // not an int64: the framework reports it
			}
			req := validator.Int64Request{Path: p, PathExpression: p.Expression(), Config: config, ConfigValue: types.Int64Value(n)}
			for _, val := range vs {
				resp := &validator.Int64Response{}
				val.ValidateInt64(ctx, req, resp)
				diags.Append(resp.Diagnostics...)
			}
		}
	}
	var forward map[string]tftypes.Value
	for _, key := range userValidatedPaths {
		name, nested, ok := strings.Cut(key, ".")
		if !ok {
			check(path.Root(name), key, attrs[name])
			continue
		}
		if forward == nil {
			var err error
			if forward, err = rawAttrs(attrs[name]); err != nil {
				forward = map[string]tftypes.Value{} // null or unknown: nothing to check
			}
		}
		if v, ok := forward[nested]; ok {
			check(path.Root(name).AtName(nested), key, v)
		}
	}
	return diags
}

// runStringValidators runs validators on one value, as the framework runs a
// schema's: ValidateConfig here, and validateString on values a device sent.
func runStringValidators(ctx context.Context, req validator.StringRequest, validators []validator.String) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, v := range validators {
		resp := &validator.StringResponse{}
		v.ValidateString(ctx, req, resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}
