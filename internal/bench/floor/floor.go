package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	pbxprovider "github.com/pbx-iac/terraform-provider-pbx/internal/provider"
)

// New returns the floor provider: the real provider's name and schemas, no I/O.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &floorProvider{real: pbxprovider.New(version)()}
	}
}

type floorProvider struct {
	real provider.Provider
}

func (p *floorProvider) Metadata(ctx context.Context, req provider.MetadataRequest, resp *provider.MetadataResponse) {
	p.real.Metadata(ctx, req, resp)
}

// Schema is the real provider's, so the same provider block (or none) is valid.
func (p *floorProvider) Schema(ctx context.Context, req provider.SchemaRequest, resp *provider.SchemaResponse) {
	p.real.Schema(ctx, req, resp)
}

// Configure accepts any configuration and creates no client.
func (p *floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *floorProvider) Resources(ctx context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, newReal := range p.real.Resources(ctx) {
		out = append(out, func() resource.Resource { return &floorResource{real: newReal()} })
	}
	return out
}

func (p *floorProvider) DataSources(ctx context.Context) []func() datasource.DataSource {
	var out []func() datasource.DataSource
	for _, newReal := range p.real.DataSources(ctx) {
		// The framework makes a data source per request; its schema is read once.
		schema := sync.OnceValue(func() dsschema.Schema {
			var resp datasource.SchemaResponse
			dataSourceSchema(ctx, newReal(), datasource.SchemaRequest{}, &resp)
			return resp.Schema
		})
		out = append(out, func() datasource.DataSource { return &floorDataSource{real: newReal(), schema: schema} })
	}
	return out
}

// floorResource has the real resource's type name and schema and keeps the plan as state.
type floorResource struct {
	real resource.Resource
}

func (r *floorResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.real.Metadata(ctx, req, resp)
}

func (r *floorResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	resourceSchema(ctx, r.real, req, resp)
}

func (r *floorResource) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	state, err := fillUnknown(req.Plan.Raw)
	if err != nil {
		resp.Diagnostics.AddError("floor: filling computed values", err.Error())
		return
	}
	resp.State.Raw = state
}

// Read keeps the prior state, which the framework has already copied into resp.State.
func (r *floorResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *floorResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	state, err := fillUnknown(req.Plan.Raw)
	if err != nil {
		resp.Diagnostics.AddError("floor: filling computed values", err.Error())
		return
	}
	resp.State.Raw = state
}

// Delete does nothing; the framework removes the resource from the state.
func (r *floorResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// floorDataSource has the real data source's type name and schema and reads nothing.
type floorDataSource struct {
	real   datasource.DataSource
	schema func() dsschema.Schema
}

func (d *floorDataSource) Metadata(ctx context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	d.real.Metadata(ctx, req, resp)
}

func (d *floorDataSource) Schema(ctx context.Context, req datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	dataSourceSchema(ctx, d.real, req, resp)
}

func (d *floorDataSource) Read(_ context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	state, err := fillComputed(d.schema(), req.Config.Raw)
	if err != nil {
		resp.Diagnostics.AddError("floor: filling computed values", err.Error())
		return
	}
	resp.State.Raw = state
}

// fillUnknown replaces every unknown value in a planned resource object by a zero value
// of its type, and an unknown top-level "id" by a fresh random id.
func fillUnknown(plan tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(plan, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		if p.Equal(tftypes.NewAttributePath().WithAttributeName("id")) && v.Type().Is(tftypes.String) {
			return tftypes.NewValue(tftypes.String, newID()), nil
		}
		return zeroValue(v.Type()), nil
	})
}

// fillComputed returns a data source's state for config: every computed top-level
// attribute left null is set to a zero value, except that
//   - a computed map next to a "uuids" list or set of strings (pbx_directory_entries'
//     entries and timestamps) gets one element per uuid (an object with its "uuid"
//     attribute set), as the real data source returns;
//   - a computed attribute X stays null when the configuration sets include_X = false, as
//     the real data source leaves it (pbx_directory_entries' include_entries).
//
// The state then holds as many values as the real data source's, which Terraform pays for
// in every state it writes.
func fillComputed(schema dsschema.Schema, config tftypes.Value) (tftypes.Value, error) {
	var attrs map[string]tftypes.Value
	if err := config.As(&attrs); err != nil {
		return config, err
	}
	uuids, err := stringsOf(attrs["uuids"])
	if err != nil {
		return config, fmt.Errorf("uuids: %w", err)
	}
	out := make(map[string]tftypes.Value, len(attrs))
	for name, v := range attrs {
		out[name] = v
		a, ok := schema.Attributes[name]
		if !ok || !a.IsComputed() || !v.IsNull() || excluded(attrs["include_"+name]) {
			continue
		}
		m, isMap := v.Type().(tftypes.Map)
		if !isMap || uuids == nil {
			out[name] = zeroValue(v.Type())
			continue
		}
		elem := func(string) tftypes.Value { return zeroValue(m.ElementType) }
		if obj, ok := m.ElementType.(tftypes.Object); ok {
			elem = func(uuid string) tftypes.Value { return entryValue(obj, uuid) }
		}
		elems := make(map[string]tftypes.Value, len(uuids))
		for _, uuid := range uuids {
			elems[uuid] = elem(uuid)
		}
		out[name] = tftypes.NewValue(m, elems)
	}
	return tftypes.NewValue(config.Type(), out), nil
}

// excluded reports whether v is a known false bool (include_X = false).
func excluded(v tftypes.Value) bool {
	var b bool
	return v.Type() != nil && v.Type().Is(tftypes.Bool) && v.IsKnown() && !v.IsNull() && v.As(&b) == nil && !b
}

// entryValue is a zero object of type obj whose "uuid" attribute, if any, is uuid.
func entryValue(obj tftypes.Object, uuid string) tftypes.Value {
	v := zeroValue(obj)
	if t, ok := obj.AttributeTypes["uuid"]; !ok || !t.Is(tftypes.String) {
		return v
	}
	var attrs map[string]tftypes.Value
	_ = v.As(&attrs) // a zero object always converts
	attrs["uuid"] = tftypes.NewValue(tftypes.String, uuid)
	return tftypes.NewValue(obj, attrs)
}

// stringsOf returns the elements of a known list or set of strings; nil for anything else.
func stringsOf(v tftypes.Value) ([]string, error) {
	if v.Type() == nil || !v.IsKnown() || v.IsNull() {
		return nil, nil
	}
	var elemType tftypes.Type
	switch t := v.Type().(type) {
	case tftypes.List:
		elemType = t.ElementType
	case tftypes.Set:
		elemType = t.ElementType
	default:
		return nil, nil
	}
	if !elemType.Is(tftypes.String) {
		return nil, nil
	}
	var elems []tftypes.Value
	if err := v.As(&elems); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		var s string
		if err := e.As(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// zeroValue is "", 0, false, an empty collection, or an object or tuple of zero values.
func zeroValue(t tftypes.Type) tftypes.Value {
	switch tt := t.(type) {
	case tftypes.List, tftypes.Set:
		return tftypes.NewValue(t, []tftypes.Value{})
	case tftypes.Map:
		return tftypes.NewValue(t, map[string]tftypes.Value{})
	case tftypes.Object:
		attrs := make(map[string]tftypes.Value, len(tt.AttributeTypes))
		for name, at := range tt.AttributeTypes {
			attrs[name] = zeroValue(at)
		}
		return tftypes.NewValue(t, attrs)
	case tftypes.Tuple:
		elems := make([]tftypes.Value, len(tt.ElementTypes))
		for i, et := range tt.ElementTypes {
			elems[i] = zeroValue(et)
		}
		return tftypes.NewValue(t, elems)
	}
	switch {
	case t.Is(tftypes.String):
		return tftypes.NewValue(t, "")
	case t.Is(tftypes.Number):
		return tftypes.NewValue(t, new(big.Float))
	case t.Is(tftypes.Bool):
		return tftypes.NewValue(t, false)
	}
	return tftypes.NewValue(t, nil) // dynamic: null
}

// newID returns 24 random hexadecimal digits, the shape of a PBX _id.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}
