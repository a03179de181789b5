package provider

import (
	"errors"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Reading and writing the Terraform values of a plan, state or configuration
// directly, for the hot paths: decoding a whole model by reflection (35
// attributes of a pbx_user) costs more than most of what ModifyPlan,
// ValidateConfig and Create do with it, for every user of every plan, and
// converting framework values derives a new object type for each of 10,000
// directory entries.

// rawAttrs returns the attributes of a known, non-null object value.
func rawAttrs(v tftypes.Value) (map[string]tftypes.Value, error) {
	if v.Type() == nil || !v.IsKnown() || v.IsNull() {
		return nil, errors.New("not a known object")
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return nil, err
	}
	return attrs, nil
}

// rawString is a string attribute as the framework decodes it.
func rawString(v tftypes.Value) types.String {
	var s string
	switch {
	case v.Type() == nil || v.IsNull():
		return types.StringNull()
	case !v.IsKnown():
		return types.StringUnknown()
	case v.As(&s) != nil:
		return types.StringNull()
	}
	return types.StringValue(s)
}

// rawBool is a bool attribute as the framework decodes it.
func rawBool(v tftypes.Value) types.Bool {
	var b bool
	switch {
	case v.Type() == nil || v.IsNull():
		return types.BoolNull()
	case !v.IsKnown():
		return types.BoolUnknown()
	case v.As(&b) != nil:
		return types.BoolNull()
	}
	return types.BoolValue(b)
}

// rawInt64 is an integer attribute as the framework decodes it.
func rawInt64(v tftypes.Value) types.Int64 {
	var f big.Float
	switch {
	case v.Type() == nil || v.IsNull():
		return types.Int64Null()
	case !v.IsKnown():
		return types.Int64Unknown()
	case v.As(&f) != nil:
		return types.Int64Null()
	}
	n, _ := f.Int64()
	return types.Int64Value(n)
}

// tfString, tfBool and tfInt64 are the Terraform values of framework values.
func tfString(s types.String) tftypes.Value {
	switch {
	case s.IsNull():
		return tftypes.NewValue(tftypes.String, nil)
	case s.IsUnknown():
		return tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	}
	return tftypes.NewValue(tftypes.String, s.ValueString())
}

func tfBool(b types.Bool) tftypes.Value {
	switch {
	case b.IsNull():
		return tftypes.NewValue(tftypes.Bool, nil)
	case b.IsUnknown():
		return tftypes.NewValue(tftypes.Bool, tftypes.UnknownValue)
	}
	return tftypes.NewValue(tftypes.Bool, b.ValueBool())
}

func tfInt64(i types.Int64) tftypes.Value {
	switch {
	case i.IsNull():
		return tftypes.NewValue(tftypes.Number, nil)
	case i.IsUnknown():
		return tftypes.NewValue(tftypes.Number, tftypes.UnknownValue)
	}
	return tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(i.ValueInt64()))
}
