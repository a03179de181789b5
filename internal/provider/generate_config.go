package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// configFromState returns the configuration that plans exactly state: every
// argument whose value the configuration must give, and nothing else.
func configFromState(ctx context.Context, schema rschema.Schema, state tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	if state.IsNull() || !state.IsKnown() {
		return state, nil
	}
	return configObject(ctx, path.Empty(), schema.Attributes, state)
}

func configObject(ctx context.Context, at path.Path, attrs map[string]rschema.Attribute, obj tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	values := map[string]tftypes.Value{}
	if err := obj.As(&values); err != nil {
		diags.AddAttributeError(at, "Unexpected state value", err.Error())
		return obj, diags
	}
	out := make(map[string]tftypes.Value, len(values))
	for name, v := range values {
		a, ok := attrs[name]
		if !ok {
			out[name] = v
			continue
		}
		var d diag.Diagnostics
		out[name], d = configValue(ctx, at.AtName(name), a, v)
		diags.Append(d...)
	}
	return tftypes.NewValue(obj.Type(), out), diags
}

// configValue is the configuration value of one argument, null (left out)
// when:
//   - it is read-only, deprecated, sensitive or write-only (no secret is
//     ever written: the PBX never returns one, and a state's is not for files);
//   - it equals the argument's default, which a null plans again;
//   - it is an empty string of an optional, computed argument without a
//     default (email: the resource computes "" when unset).
//
// A nested object is written attribute by attribute under the same rules, or
// left out as a whole when it equals its default.
func configValue(ctx context.Context, at path.Path, a rschema.Attribute, v tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	null := tftypes.NewValue(v.Type(), nil)
	switch {
	case v.IsNull() || !v.IsKnown():
		return v, nil
	case a.IsComputed() && !a.IsOptional(), a.GetDeprecationMessage() != "", a.IsSensitive(), a.IsWriteOnly():
		return null, nil
	}
	def, diags := defaultValue(ctx, at, a)
	if diags.HasError() {
		return v, diags
	}
	switch {
	case def != nil && v.Equal(*def):
		return null, nil
	case def == nil && a.IsComputed() && v.Type().Is(tftypes.String):
		var s string
		if err := v.As(&s); err == nil && s == "" {
			return null, nil
		}
	}
	if nested, ok := a.(rschema.SingleNestedAttribute); ok {
		return configObject(ctx, at, nested.Attributes, v)
	}
	return v, nil
}

// defaultValue returns the attribute's schema default, or nil when it has
// none (or one of a kind this provider does not use).
func defaultValue(ctx context.Context, at path.Path, a rschema.Attribute) (*tftypes.Value, diag.Diagnostics) {
	var (
		value attr.Value
		diags diag.Diagnostics
	)
	switch a := a.(type) {
	case rschema.StringAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	case rschema.BoolAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	case rschema.Int64Attribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	case rschema.SingleNestedAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.ObjectResponse
		a.Default.DefaultObject(ctx, defaults.ObjectRequest{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	default:
		return nil, nil
	}
	if diags.HasError() {
		return nil, diags
	}
	tv, err := value.ToTerraformValue(ctx)
	if err != nil {
		diags.AddAttributeError(at, "Unexpected default value", err.Error())
		return nil, diags
	}
	return &tv, diags
}
